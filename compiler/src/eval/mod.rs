//! The reference evaluator: runs a node on constant tensors with the `generic` kernels.
//!
//! Used by constant folding, by shape inference (for shape-deciding values) and by
//! `onnxc run`. It executes exactly the [`Kernel`] that codegen would emit, with the same
//! parameters, so a disagreement between `onnxc run` and a generated crate is a codegen bug.

pub mod nn;
mod run;
mod signal;
pub mod typed;
pub mod vision;

pub use run::{run_graph, RunOptions};

use crate::error::{Error, Result};
use crate::ir::op::PoolKind;
use crate::ir::{DType, Data, Op, Tensor, ValueInfo};
use crate::lower::{lower, Kernel};
use crate::with_data;
use onnxc_templates::generic as k;

/// A one-element tensor of `dtype` holding `value` (converted as `Cast` would).
pub fn scalar_of(dtype: DType, value: f64) -> Tensor {
    let data = match dtype {
        DType::F32 => Data::F32(vec![value as f32]),
        DType::F64 => Data::F64(vec![value]),
        DType::F16 => Data::F16(vec![0]),
        DType::BF16 => Data::BF16(vec![((value as f32).to_bits() >> 16) as u16]),
        DType::I8 => Data::I8(vec![value as i8]),
        DType::I16 => Data::I16(vec![value as i16]),
        DType::I32 => Data::I32(vec![value as i32]),
        DType::I64 => Data::I64(vec![value as i64]),
        DType::U8 => Data::U8(vec![value as u8]),
        DType::U16 => Data::U16(vec![value as u16]),
        DType::U32 => Data::U32(vec![value as u32]),
        DType::U64 => Data::U64(vec![value as u64]),
        DType::Bool => Data::Bool(vec![u8::from(value != 0.0)]),
    };
    Tensor { shape: vec![], data }
}

/// Evaluates one node on known inputs, producing one tensor per output.
pub fn eval_node(op: &Op, inputs: &[Option<&ValueInfo>], values: &[Option<&Tensor>], outputs: &[ValueInfo]) -> Result<Vec<Tensor>> {
    match op {
        Op::Input => return Err(Error::internal("graph inputs have no value at compile time")),
        Op::Constant(t) => return Ok(vec![t.clone()]),
        Op::Shape { start, end } => {
            let shape = &inputs.first().copied().flatten().ok_or_else(|| Error::invalid("Shape needs an input"))?.shape;
            let (s, e) = crate::ir::infer::shape_range(shape.len(), *start, *end);
            let dims: Vec<i64> = shape[s..e.max(s)].iter().map(|&d| d as i64).collect();
            return Ok(vec![Tensor::from_i64(vec![dims.len()], dims)?]);
        }
        Op::ConstantOfShape { value } => {
            let out = outputs.first().ok_or_else(|| Error::internal("ConstantOfShape without output"))?;
            let len = crate::ir::tensor::element_count(&out.shape)?;
            let data = with_data!(&value.data, v => {
                let x = *v.first().ok_or_else(|| Error::invalid("ConstantOfShape value is empty"))?;
                let filled = vec![x; len];
                let mut d = Data::zeros(value.dtype(), 0);
                fill_same(&mut d, filled.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())?;
                d
            });
            return Ok(vec![Tensor { shape: out.shape.clone(), data }]);
        }
        Op::CastLike => {
            // Only the first input's value is read: the second gives the type.
            let x = values.first().copied().flatten().ok_or_else(|| Error::unsupported("CastLike of a run-time value"))?;
            let out = outputs.first().ok_or_else(|| Error::internal("CastLike without output"))?;
            let mut y = Tensor::zeros(out.dtype, out.shape.clone())?;
            typed::cast(x, &mut y)?;
            return Ok(vec![y]);
        }
        Op::Index(i) => {
            if let Some(results) = index::eval_special(i, inputs, values, outputs)? {
                return Ok(results);
            }
        }
        Op::Vision(v) => {
            if let Some(results) = vision::eval_special(v, inputs, values, outputs.len())? {
                return Ok(results);
            }
        }
        _ => {}
    }
    let args: Vec<&Tensor> = values
        .iter()
        .zip(inputs)
        .filter(|(_, i)| i.is_some())
        .map(|(v, _)| v.ok_or_else(|| Error::internal("evaluating a node whose inputs are unknown")))
        .collect::<Result<_>>()?;
    let lowered = lower(op, inputs, values, outputs)?;
    let mut results: Vec<Tensor> = outputs
        .iter()
        .map(|o| Tensor::zeros(o.dtype, o.shape.clone()))
        .collect::<Result<_>>()?;
    execute(&lowered.kernel, &args, &mut results)?;
    Ok(results)
}

fn fill_same(d: &mut Data, bytes: Vec<u8>) -> Result<()> {
    *d = Data::from_le_bytes(d.dtype(), &bytes)?;
    Ok(())
}

fn mismatch(kernel: &Kernel, t: &Tensor) -> Error {
    Error::unsupported(format!("{} kernel on {} data", kernel_name(kernel), t.dtype()))
}

fn kernel_name(kernel: &Kernel) -> String {
    let debug = format!("{kernel:?}");
    debug.split(['(', ' ', '{']).next().unwrap_or("kernel").to_string()
}

fn f32s<'a>(kernel: &Kernel, t: &'a Tensor) -> Result<&'a [f32]> {
    match &t.data {
        Data::F32(v) => Ok(v),
        _ => Err(Error::unsupported(format!("{} on {}: f32 only", kernel_name(kernel), t.dtype()))),
    }
}

fn f32s_mut(t: &mut Tensor) -> Result<&mut [f32]> {
    match &mut t.data {
        Data::F32(v) => Ok(v),
        other => Err(Error::internal(format!("f32 output expected, found {}", other.dtype()))),
    }
}

fn bytes_mut(t: &mut Tensor) -> Result<&mut [u8]> {
    match &mut t.data {
        Data::Bool(v) | Data::U8(v) => Ok(v),
        other => Err(Error::internal(format!("bool output expected, found {}", other.dtype()))),
    }
}

fn bools(t: &Tensor) -> Result<&[u8]> {
    match &t.data {
        Data::Bool(v) | Data::U8(v) => Ok(v),
        other => Err(Error::invalid(format!("bool input expected, found {}", other.dtype()))),
    }
}

/// Runs a numeric kernel body for every numeric variant (inputs and output of one type).
macro_rules! numeric {
    ($x:expr, $y:expr, |$a:ident, $o:ident| $body:expr, $err:expr) => {
        match ($x, $y) {
            (Data::F32($a), Data::F32($o)) => $body,
            (Data::F64($a), Data::F64($o)) => $body,
            (Data::I8($a), Data::I8($o)) => $body,
            (Data::I16($a), Data::I16($o)) => $body,
            (Data::I32($a), Data::I32($o)) => $body,
            (Data::I64($a), Data::I64($o)) => $body,
            (Data::U8($a), Data::U8($o)) => $body,
            (Data::U16($a), Data::U16($o)) => $body,
            (Data::U32($a), Data::U32($o)) => $body,
            (Data::U64($a), Data::U64($o)) => $body,
            _ => return Err($err),
        }
    };
}

/// Runs a data-movement kernel body for any variant (input and output of one type).
macro_rules! any_type {
    ($x:expr, $y:expr, |$a:ident, $o:ident| $body:expr, $err:expr) => {
        match ($x, $y) {
            (Data::F32($a), Data::F32($o)) => $body,
            (Data::F64($a), Data::F64($o)) => $body,
            (Data::F16($a), Data::F16($o)) => $body,
            (Data::BF16($a), Data::BF16($o)) => $body,
            (Data::I8($a), Data::I8($o)) => $body,
            (Data::I16($a), Data::I16($o)) => $body,
            (Data::I32($a), Data::I32($o)) => $body,
            (Data::I64($a), Data::I64($o)) => $body,
            (Data::U8($a), Data::U8($o)) => $body,
            (Data::U16($a), Data::U16($o)) => $body,
            (Data::U32($a), Data::U32($o)) => $body,
            (Data::U64($a), Data::U64($o)) => $body,
            (Data::Bool($a), Data::Bool($o)) => $body,
            _ => return Err($err),
        }
    };
}

mod index;
mod quant;

/// Executes a lowered kernel on evaluator tensors.
pub fn execute(kernel: &Kernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    if let Kernel::Index(ik) = kernel {
        return index::execute(ik, args, results);
    }
    if let Kernel::Signal(sk) = kernel {
        return signal::execute(sk, args, results);
    }
    let arg = |i: usize| -> Result<&Tensor> {
        args.get(i).copied().ok_or_else(|| Error::internal(format!("kernel argument {i} missing")))
    };
    let opt_f32 = |i: usize| -> Result<Option<&[f32]>> { args.get(i).map(|t| f32s(kernel, t)).transpose() };
    if let Kernel::Nn(nn_kernel) = kernel {
        return nn::execute(nn_kernel, args, results);
    }
    if let Kernel::Quant(q) = kernel {
        return quant::execute(q, args, results);
    }
    if let Kernel::Vision(v) = kernel {
        return vision::execute(v, args, results);
    }
    let (first, rest) = results.split_first_mut().ok_or_else(|| Error::internal("kernel without outputs"))?;
    let x = arg(0)?;
    let err = || mismatch(kernel, x);
    match kernel {
        Kernel::View | Kernel::Copy => {
            let bytes = x.data.to_le_bytes();
            first.data = Data::from_le_bytes(first.dtype(), &bytes)?;
        }
        Kernel::Conv2d(p) => k::conv::conv2d(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, opt_f32(2)?, f32s_mut(first)?),
        Kernel::ConvNhwc { params, bias, residual } => {
            // Absent inputs are not in `args`: the residual follows the bias when both are there.
            let b = if *bias { opt_f32(2)? } else { None };
            let r = if *residual { opt_f32(2 + usize::from(*bias))? } else { None };
            k::conv_nhwc::conv2d_nhwc(params, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, b, r, f32s_mut(first)?)
        }
        Kernel::Winograd { params, bias, residual } => {
            let b = if *bias { opt_f32(2)? } else { None };
            let r = if *residual { opt_f32(2 + usize::from(*bias))? } else { None };
            let scratch = rest.first_mut().ok_or_else(|| Error::internal("Winograd convolution without its scratch"))?;
            let scratch = f32s_mut(scratch)?;
            k::winograd::winograd_conv(params, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, b, r, scratch, f32s_mut(first)?)
        }
        Kernel::DepthwiseBlock { params, present } => {
            // Absent inputs are not in `args`: slot `i` is the count of present ones before it.
            let slot = |i: usize| -> Result<Option<&[f32]>> {
                if !present.get(i).copied().unwrap_or(false) {
                    return Ok(None);
                }
                opt_f32(present.iter().take(i).filter(|&&p| p).count())
            };
            let step = |w: usize, b: usize| -> Result<k::depthwise_block::Pointwise<'_>> {
                Ok(match slot(w)? {
                    Some(w) => Some((w, slot(b)?)),
                    None => None,
                })
            };
            let w_d = slot(3)?.ok_or_else(|| Error::internal("depthwise block without depthwise weights"))?;
            let band = rest.first_mut().ok_or_else(|| Error::internal("depthwise block without its band"))?;
            let band = f32s_mut(band)?;
            k::depthwise_block::depthwise_block(params, f32s(kernel, x)?, step(1, 2)?, w_d, slot(4)?, step(5, 6)?, slot(7)?, band, f32s_mut(first)?)
        }
        Kernel::PoolNhwc(PoolKind::Max, p) => k::pool_nhwc::max_pool2d_nhwc(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::PoolNhwc(PoolKind::Average, p) => k::pool_nhwc::avg_pool2d_nhwc(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::GlobalPoolNhwc(PoolKind::Max, p) => k::pool_nhwc::global_max_pool_nhwc(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::GlobalPoolNhwc(PoolKind::Average, p) => k::pool_nhwc::global_avg_pool_nhwc(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::ConvTranspose2d(p) => {
            k::conv_transpose::conv_transpose2d(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, opt_f32(2)?, f32s_mut(first)?)
        }
        Kernel::Gemm(p) if x.dtype() != DType::F32 => nn::gemm_float(p, args, first)?,
        Kernel::Gemm(p) => k::gemm::gemm(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, opt_f32(2)?, f32s_mut(first)?),
        Kernel::MatMul(p) if x.dtype() != DType::F32 => nn::matmul_float(p, x, arg(1)?, first)?,
        Kernel::MatMul(p) => k::gemm::matmul(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, f32s_mut(first)?),
        Kernel::Unary(a) => typed::unary(*a, x, first)?,
        Kernel::Binary(op, p) => typed::binary(*op, p, x, arg(1)?, first)?,
        Kernel::Compare(op, p) => typed::compare(*op, p, x, arg(1)?, first)?,
        Kernel::PowMixed(p) => typed::pow_mixed(p, x, arg(1)?, first)?,
        Kernel::Variadic { op, mean, parts } => {
            for (i, (p, input)) in parts.iter().zip(args).enumerate() {
                numeric!(&input.data, &mut first.data, |b, y| k::half::accumulate(*op, p, b, y, i == 0), mismatch(kernel, input));
            }
            if *mean {
                numeric!(&x.data, &mut first.data, |_a, y| k::half::divide_by(parts.len(), y), err());
            }
        }
        Kernel::BitCast => {
            let bytes = x.data.to_le_bytes();
            first.data = Data::from_le_bytes(first.dtype(), &bytes)?;
        }
        Kernel::Classify(c) => {
            let y = bytes_mut(first)?;
            match &x.data {
                Data::F32(a) => k::half::classify(*c, a, y),
                Data::F64(a) => k::half::classify(*c, a, y),
                Data::F16(a) => k::half::classify_f16(*c, a, y),
                Data::BF16(a) => k::half::classify_bf16(*c, a, y),
                _ => return Err(err()),
            }
        }
        Kernel::Cast { .. } => typed::cast(x, first)?,
        Kernel::Logic(op, p) => k::elementwise::logic(*op, p, bools(x)?, bools(arg(1)?)?, bytes_mut(first)?),
        Kernel::Not => k::elementwise::not(bools(x)?, bytes_mut(first)?),
        Kernel::Where(p) => {
            let (a, b) = (arg(1)?, arg(2)?);
            let cond = bools(x)?;
            match (&a.data, &b.data) {
                (Data::Bool(_), _) | (Data::U8(_), _) => {
                    let y = bytes_mut(first)?;
                    k::elementwise::select(p, cond, bools(a)?, bools(b)?, y)
                }
                _ => {
                    let y = &mut first.data;
                    macro_rules! sel {
                        ($($v:ident),*) => {
                            match (&a.data, &b.data, y) {
                                $((Data::$v(a), Data::$v(b), Data::$v(y)) => k::elementwise::select(p, cond, a, b, y),)*
                                _ => return Err(err()),
                            }
                        };
                    }
                    sel!(F32, F64, F16, BF16, I8, I16, I32, I64, U16, U32, U64)
                }
            }
        }
        Kernel::Softmax(p) if x.dtype() != DType::F32 => nn::softmax_float(p, x, first)?,
        Kernel::Softmax(p) => k::softmax::softmax(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::MaxPool(p) => k::pool::max_pool2d(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::AvgPool(p) => k::pool::avg_pool2d(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::GlobalAvgPool(p) => k::pool::global_avg_pool(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::GlobalMaxPool(p) => k::pool::global_max_pool(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::BatchNorm(p) => k::norm::batch_norm(
            p,
            f32s(kernel, x)?,
            f32s(kernel, arg(1)?)?,
            f32s(kernel, arg(2)?)?,
            f32s(kernel, arg(3)?)?,
            f32s(kernel, arg(4)?)?,
            f32s_mut(first)?,
        ),
        Kernel::LayerNorm(p) => {
            k::norm::layer_norm(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, opt_f32(2)?, f32s_mut(first)?);
            let mut stats = rest.iter_mut().map(f32s_mut);
            let (mean, inv_std) = (stats.next().transpose()?, stats.next().transpose()?);
            if mean.is_some() {
                k::norm::layer_norm_stats(p, f32s(kernel, x)?, mean, inv_std);
            }
        }
        Kernel::InstanceNorm(p) => {
            k::norm::instance_norm(p, f32s(kernel, x)?, f32s(kernel, arg(1)?)?, f32s(kernel, arg(2)?)?, f32s_mut(first)?)
        }
        Kernel::Transpose(p) => any_type!(&x.data, &mut first.data, |a, y| k::movement::transpose(p, a, y), err()),
        Kernel::Concat(parts) => {
            for (p, input) in parts.iter().zip(args) {
                any_type!(&input.data, &mut first.data, |a, y| k::movement::copy_blocks(p, a, y), mismatch(kernel, input));
            }
        }
        Kernel::Split(parts) => {
            let mut outs = std::iter::once(first).chain(rest.iter_mut());
            for p in parts {
                let out = outs.next().ok_or_else(|| Error::internal("Split output missing"))?;
                any_type!(&x.data, &mut out.data, |a, y| k::movement::copy_blocks(p, a, y), err());
            }
        }
        Kernel::Slice(p) => any_type!(&x.data, &mut first.data, |a, y| k::movement::slice(p, a, y), err()),
        Kernel::Gather(p) => {
            let idx = arg(1)?;
            macro_rules! gather {
                ($ix:expr) => {
                    any_type!(&x.data, &mut first.data, |a, y| k::movement::gather(p, a, $ix, y), err())
                };
            }
            match &idx.data {
                Data::I64(ix) => gather!(ix.as_slice()),
                Data::I32(ix) => gather!(ix.as_slice()),
                _ => return Err(Error::invalid("Gather indices must be int32 or int64")),
            }
        }
        Kernel::Pad(p, value) => {
            with_value(value, &x.data, &mut first.data, p, err)?;
        }
        Kernel::Fill(value) => {
            if value.dtype() != first.dtype() || value.data.len() != 1 {
                return Err(err());
            }
            let one = value.data.to_le_bytes();
            let bytes: Vec<u8> = one.iter().copied().cycle().take(one.len() * first.data.len()).collect();
            first.data = Data::from_le_bytes(first.dtype(), &bytes)?;
        }
        Kernel::Resize(p) => k::resize::resize(p, f32s(kernel, x)?, f32s_mut(first)?),
        Kernel::Reduce(op, p) => match (&x.data, &mut first.data) {
            (Data::F32(a), Data::F32(y)) => k::reduce::reduce_f32(*op, p, a, y),
            (Data::F16(a), Data::F16(y)) => k::float_linalg::reduce_half(*op, p, k::real::FloatKind::F16, a, y),
            (Data::BF16(a), Data::BF16(y)) => k::float_linalg::reduce_half(*op, p, k::real::FloatKind::BF16, a, y),
            // Booleans are 0/1 bytes, as in generated code: Max is "any", Min is "all".
            (Data::Bool(a), Data::Bool(y)) => k::reduce::reduce(*op, p, a, y),
            (a, y) => numeric!(a, y, |a, y| k::reduce::reduce(*op, p, a, y), err()),
        },
        Kernel::Expand(p) => any_type!(&x.data, &mut first.data, |a, y| k::movement::expand(p, a, y), err()),
        Kernel::Tile(p) => any_type!(&x.data, &mut first.data, |a, y| k::movement::tile(p, a, y), err()),
        Kernel::Index(_) => return Err(Error::internal("indexing kernels run in eval::index")),
        Kernel::Signal(_) => return Err(Error::internal("signal kernels run in eval::signal")),
        Kernel::Nn(_) | Kernel::Quant(_) => return Err(Error::internal("nn and quant kernels run above")),
        Kernel::Vision(_) => return Err(Error::internal("vision kernels run above")),
    }
    Ok(())
}

fn with_value(value: &Tensor, x: &Data, y: &mut Data, p: &k::movement::PadParams, err: impl Fn() -> Error) -> Result<()> {
    macro_rules! pad {
        ($($v:ident),*) => {
            match (&value.data, x, y) {
                $((Data::$v(v), Data::$v(a), Data::$v(y)) => {
                    let v = *v.first().ok_or_else(|| Error::invalid("empty pad value"))?;
                    k::movement::pad(p, a, v, y)
                })*
                _ => return Err(err()),
            }
        };
    }
    pad!(F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool);
    Ok(())
}
