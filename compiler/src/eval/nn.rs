//! Evaluation of the nn kernels (see `lower::nn`).

use crate::error::{Error, Result};
use crate::ir::{Data, Tensor};
use crate::lower::nn::{NnKernel, NnKernelKind};
use onnxc_templates::generic as k;
use onnxc_templates::generic::real::Real;

/// Element types the nn kernels take, viewed out of evaluator tensors.
pub trait Slice: Sized {
    fn of(d: &Data) -> Option<&[Self]>;
    fn of_mut(d: &mut Data) -> Option<&mut [Self]>;
}

macro_rules! slice_impl {
    ($t:ty, $($v:ident),*) => {
        impl Slice for $t {
            fn of(d: &Data) -> Option<&[Self]> {
                match d {
                    $(Data::$v(v) => Some(v),)*
                    _ => None,
                }
            }
            fn of_mut(d: &mut Data) -> Option<&mut [Self]> {
                match d {
                    $(Data::$v(v) => Some(v),)*
                    _ => None,
                }
            }
        }
    };
}
slice_impl!(f32, F32);
slice_impl!(f64, F64);
slice_impl!(u16, F16, BF16, U16);
slice_impl!(u8, Bool, U8);
slice_impl!(i8, I8);
slice_impl!(i16, I16);
slice_impl!(i32, I32);
slice_impl!(u32, U32);
slice_impl!(i64, I64);
slice_impl!(u64, U64);

/// The inputs by slot (`None` where absent).
pub struct Args<'a> {
    by_slot: Vec<Option<&'a Tensor>>,
}

impl<'a> Args<'a> {
    fn new(slots: &[bool], args: &[&'a Tensor]) -> Result<Args<'a>> {
        let mut it = args.iter();
        let by_slot = slots
            .iter()
            .map(|&p| if p { it.next().copied().map(Some).ok_or_else(|| Error::internal("nn kernel argument missing")) } else { Ok(None) })
            .collect::<Result<_>>()?;
        Ok(Args { by_slot })
    }
    pub fn tensor(&self, i: usize) -> Option<&'a Tensor> {
        self.by_slot.get(i).copied().flatten()
    }
    /// Input `i` as `T`s, if present.
    pub fn opt<T: Slice>(&self, i: usize) -> Result<Option<&'a [T]>> {
        match self.tensor(i) {
            None => Ok(None),
            Some(t) => T::of(&t.data).map(Some).ok_or_else(|| Error::invalid(format!("input {i} has an unexpected type {}", t.dtype()))),
        }
    }
    /// Required input `i` as `T`s.
    pub fn get<T: Slice>(&self, i: usize) -> Result<&'a [T]> {
        self.opt(i)?.ok_or_else(|| Error::internal(format!("nn kernel input {i} missing")))
    }
}

/// The outputs as `T`s (`None` beyond the computed ones).
fn outs<T: Slice>(results: &mut [Tensor]) -> Result<Vec<&mut [T]>> {
    results
        .iter_mut()
        .map(|t| {
            let d = t.dtype();
            T::of_mut(&mut t.data).ok_or_else(|| Error::internal(format!("unexpected output type {d}")))
        })
        .collect()
}

/// The first output as `T`s.
fn first<T: Slice>(results: &mut [Tensor]) -> Result<&mut [T]> {
    outs::<T>(results)?.into_iter().next().ok_or_else(|| Error::internal("nn kernel without output"))
}

/// Runs `$body` with `$t` bound to the Rust element type of a float tensor.
macro_rules! by_real {
    ($tensor:expr, $t:ident => $body:expr) => {
        match &$tensor.data {
            Data::F32(_) => {
                type $t = f32;
                $body
            }
            Data::F64(_) => {
                type $t = f64;
                $body
            }
            Data::F16(_) | Data::BF16(_) => {
                type $t = u16;
                $body
            }
            other => return Err(Error::unsupported(format!("{} data: this op supports float types", other.dtype()))),
        }
    };
}

/// Executes an nn kernel.
pub fn execute(kernel: &NnKernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    let a = Args::new(&kernel.slots, args)?;
    let x = a.tensor(0).ok_or_else(|| Error::internal("nn kernel without input"))?;
    match &kernel.kind {
        NnKernelKind::Attention(p) => by_real!(x, T => {
            match a.tensor(3).map(|m| &m.data) {
                Some(Data::Bool(_)) => attention::<T, u8>(p, &a, results),
                _ => attention::<T, T>(p, &a, results),
            }
        }),
        NnKernelKind::RmsNorm(p) => by_real!(x, T => {
            k::normalize::rms_norm::<T>(p, a.get(0)?, a.get(1)?, first::<T>(results)?);
            Ok(())
        }),
        NnKernelKind::LpNorm(p) => by_real!(x, T => {
            k::normalize::lp_norm::<T>(p, a.get(0)?, first::<T>(results)?);
            Ok(())
        }),
        NnKernelKind::Pool(p) => {
            let (first, rest) = results.split_first_mut().ok_or_else(|| Error::internal("pool without output"))?;
            let y = f32::of_mut(&mut first.data).ok_or_else(|| Error::internal("f32 output expected"))?;
            let indices = match rest.first_mut() {
                Some(t) => Some(i64::of_mut(&mut t.data).ok_or_else(|| Error::internal("int64 Indices expected"))?),
                None => None,
            };
            k::pool_nd::pool_nd(p, a.get(0)?, y, indices);
            Ok(())
        }
        NnKernelKind::ResizeTaps(p) => {
            k::resize_taps::resize_taps(p, a.get(0)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::GridSample(p) => by_real!(x, T => {
            k::sample::grid_sample::<T>(p, a.get(0)?, a.get(1)?, first::<T>(results)?);
            Ok(())
        }),
        NnKernelKind::Rnn(p) => {
            let opt = k::rnn::RnnInputs { bias: a.opt(3)?, seq_lens: a.opt(4)?, initial_h: a.opt(5)?, initial_c: a.opt(6)?, peepholes: a.opt(7)? };
            let mut o = outs::<f32>(results)?.into_iter();
            let (y, yh, yc) = (o.next(), o.next(), o.next());
            k::rnn::rnn(p, a.get(0)?, a.get(1)?, a.get(2)?, opt, y, yh, yc);
            Ok(())
        }
        NnKernelKind::QLinearMatMul(p) => {
            let scale = a.tensor(1).ok_or_else(|| Error::internal("QLinearMatMul without a_scale"))?;
            match (&x.data, &scale.data) {
                (Data::U8(_), Data::F32(_)) => qlinear::<u8, f32>(p, &a, results),
                (Data::U8(_), Data::F16(_) | Data::BF16(_)) => qlinear::<u8, u16>(p, &a, results),
                (Data::I8(_), Data::F32(_)) => qlinear::<i8, f32>(p, &a, results),
                (Data::I8(_), Data::F16(_) | Data::BF16(_)) => qlinear::<i8, u16>(p, &a, results),
                _ => Err(Error::unsupported("QLinearMatMul types")),
            }
        }
        NnKernelKind::MatMulInteger(p, _) => {
            let b = a.tensor(1).ok_or_else(|| Error::internal("MatMulInteger without B"))?;
            match (&x.data, &b.data) {
                (Data::U8(_), Data::U8(_)) => matmul_integer::<u8, u8>(p, &a, results),
                (Data::U8(_), Data::I8(_)) => matmul_integer::<u8, i8>(p, &a, results),
                (Data::I8(_), Data::U8(_)) => matmul_integer::<i8, u8>(p, &a, results),
                (Data::I8(_), Data::I8(_)) => matmul_integer::<i8, i8>(p, &a, results),
                _ => Err(Error::unsupported("MatMulInteger types")),
            }
        }
        NnKernelKind::DynamicQuantizeLinear => {
            let [y, s, z] = results else {
                return Err(Error::unsupported("DynamicQuantizeLinear: all three outputs must be computed"));
            };
            let (y, s, z) = (u8::of_mut(&mut y.data), f32::of_mut(&mut s.data), u8::of_mut(&mut z.data));
            let (Some(y), Some(s), Some(z)) = (y, s, z) else {
                return Err(Error::internal("DynamicQuantizeLinear output types"));
            };
            k::quant::dynamic_quantize_linear(a.get(0)?, y, s, z);
            Ok(())
        }
        NnKernelKind::GroupNorm(p) => {
            k::normalize::group_norm(p, a.get(0)?, a.get(1)?, a.get(2)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::MeanVarianceNorm(p) => {
            k::normalize::mean_variance_norm(p, a.get(0)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::Lrn(p) => {
            k::normalize::lrn(p, a.get(0)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::Col2Im(p) => {
            k::pool_nd::col2im(p, a.get(0)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::MaxUnpool(p) => {
            k::pool_nd::max_unpool(p, a.get(0)?, a.get(1)?, first::<f32>(results)?);
            Ok(())
        }
        NnKernelKind::Rotary(p) => by_real!(x, T => {
            k::attention::rotary_embedding::<T>(p, a.get(0)?, a.get(1)?, a.get(2)?, a.opt(3)?, first::<T>(results)?);
            Ok(())
        }),
        NnKernelKind::LinearAttention(p) => {
            let state = results.get(1).map(|t| t.dtype()).unwrap_or(x.dtype());
            let st = Tensor::zeros(state, vec![0])?;
            by_real!(x, T => by_real!(st, S => linear_attention::<T, S>(p, &a, results)))
        }
        NnKernelKind::CausalConv(p) => by_real!(x, T => {
            let mut o = outs::<T>(results)?.into_iter();
            let y = o.next().ok_or_else(|| Error::internal("CausalConvWithState without output"))?;
            k::linear_attention::causal_conv_with_state::<T>(p, a.get(0)?, a.get(1)?, a.opt(2)?, a.opt(3)?, y, o.next());
            Ok(())
        }),
        NnKernelKind::SwiGlu(p) => by_real!(x, T => {
            k::linear_attention::swiglu::<T>(p, a.get(0)?, a.get(1)?, first::<T>(results)?);
            Ok(())
        }),
        NnKernelKind::ConvNd(p) => by_real!(x, T => {
            k::conv_nd::conv_nd::<T>(p, a.get(0)?, a.get(1)?, a.opt(2)?, first::<T>(results)?);
            Ok(())
        }),
    }
}

/// The f64/f16/bf16 `MatMul` (see `float_linalg`).
pub fn matmul_float(p: &k::gemm::MatMulParams, a: &Tensor, b: &Tensor, y: &mut Tensor) -> Result<()> {
    let kind = crate::lower::nn::float_kind(a.dtype())?;
    let err = || Error::unsupported(format!("MatMul on {} and {} data", a.dtype(), b.dtype()));
    by_real!(a, T => k::float_linalg::matmul_float::<T>(p, kind, T::of(&a.data).ok_or_else(err)?, T::of(&b.data).ok_or_else(err)?, T::of_mut(&mut y.data).ok_or_else(err)?));
    Ok(())
}

/// The f64/f16/bf16 `Gemm`: a, b, c?.
pub fn gemm_float(p: &k::gemm::GemmParams, args: &[&Tensor], y: &mut Tensor) -> Result<()> {
    let a = *args.first().ok_or_else(|| Error::internal("Gemm without input"))?;
    let kind = crate::lower::nn::float_kind(a.dtype())?;
    let err = || Error::unsupported(format!("Gemm on mixed {} data", a.dtype()));
    by_real!(a, T => {
        let get = |i: usize| args.get(i).map(|t| T::of(&t.data).ok_or_else(err)).transpose();
        let (av, bv, cv) = (get(0)?.ok_or_else(err)?, get(1)?.ok_or_else(err)?, get(2)?);
        k::float_linalg::gemm_float::<T>(p, kind, av, bv, cv, T::of_mut(&mut y.data).ok_or_else(err)?)
    });
    Ok(())
}

/// The f64/f16/bf16 `Softmax`.
pub fn softmax_float(p: &k::softmax::SoftmaxParams, x: &Tensor, y: &mut Tensor) -> Result<()> {
    let kind = crate::lower::nn::float_kind(x.dtype())?;
    let err = || Error::internal(format!("Softmax output type differs from {}", x.dtype()));
    by_real!(x, T => k::float_linalg::softmax_float::<T>(p, kind, T::of(&x.data).ok_or_else(err)?, T::of_mut(&mut y.data).ok_or_else(err)?));
    Ok(())
}

fn linear_attention<T: Real + Slice, S: Real + Slice>(p: &k::linear_attention::LinearAttentionParams, a: &Args, results: &mut [Tensor]) -> Result<()> {
    let extras = k::linear_attention::LinearAttentionExtras { past_state: a.opt::<S>(3)?, decay: a.opt::<T>(4)?, beta: a.opt::<T>(5)? };
    let (first, rest) = results.split_first_mut().ok_or_else(|| Error::internal("LinearAttention without output"))?;
    let y = T::of_mut(&mut first.data).ok_or_else(|| Error::internal("LinearAttention output type"))?;
    let present = rest.first_mut().map(|t| S::of_mut(&mut t.data).ok_or_else(|| Error::internal("present_state type"))).transpose()?;
    k::linear_attention::linear_attention::<T, S>(p, a.get(0)?, a.get(1)?, a.get(2)?, extras, y, present);
    Ok(())
}

fn attention<T: Real + Slice, M: Real + Slice>(p: &k::attention::AttentionParams, a: &Args, results: &mut [Tensor]) -> Result<()> {
    let extras = k::attention::AttentionExtras { mask: a.opt::<M>(3)?, past_key: a.opt(4)?, past_value: a.opt(5)?, nonpad: a.opt(6)? };
    let mut o = outs::<T>(results)?.into_iter();
    let y = o.next().ok_or_else(|| Error::internal("Attention without output"))?;
    let (pk, pv, qk) = (o.next(), o.next(), o.next());
    k::attention::attention(p, a.get(0)?, a.get(1)?, a.get(2)?, extras, y, pk, pv, qk);
    Ok(())
}

fn qlinear<Q: k::quant::QInt + Slice, S: Real + Slice>(p: &k::quant::QMatMulParams, a: &Args, results: &mut [Tensor]) -> Result<()> {
    let q = k::quant::QLinearArgs {
        a_scale: a.get::<S>(1)?,
        a_zero: a.get::<Q>(2)?,
        b_scale: a.get::<S>(4)?,
        b_zero: a.get::<Q>(5)?,
        y_scale: a.get::<S>(6)?,
        y_zero: a.get::<Q>(7)?,
    };
    k::quant::qlinear_matmul::<Q, S>(p, a.get(0)?, a.get(3)?, q, first::<Q>(results)?);
    Ok(())
}

fn matmul_integer<A: k::quant::QInt + Slice, B: k::quant::QInt + Slice>(p: &k::quant::QMatMulParams, a: &Args, results: &mut [Tensor]) -> Result<()> {
    k::quant::matmul_integer::<A, B>(p, a.get(0)?, a.get(1)?, a.opt(2)?, a.opt(3)?, first::<i32>(results)?);
    Ok(())
}
