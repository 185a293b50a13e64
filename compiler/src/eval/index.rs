//! Evaluation of the indexing ops: the compile-time-only ones (Size, EyeLike, NonZero) directly,
//! the others through their [`IndexKernel`]s.

use crate::error::{Error, Result};
use crate::ir::index_op::{IndexOp, ScatterReduction};
use crate::ir::{DType, Data, Tensor, ValueInfo};
use crate::lower::IndexKernel;
use onnxc_templates::generic as k;

/// The value of an op computed from shapes or constant values alone; `None` for kernel ops.
pub(super) fn eval_special(op: &IndexOp, inputs: &[Option<&ValueInfo>], values: &[Option<&Tensor>], outputs: &[ValueInfo]) -> Result<Option<Vec<Tensor>>> {
    let x = inputs.first().copied().flatten().ok_or_else(|| Error::invalid("input 0 is required"))?;
    Ok(Some(match op {
        IndexOp::Size => vec![Tensor::from_i64(vec![], vec![x.elements() as i64])?],
        IndexOp::EyeLike { k, .. } => {
            let out = outputs.first().ok_or_else(|| Error::internal("EyeLike without output"))?;
            let (rows, cols) = (out.shape[0], out.shape[1]);
            let one = super::scalar_of(out.dtype, 1.0);
            let one = match (&one.data, out.dtype) {
                // scalar_of does not encode f16; 1.0 is 0x3c00.
                (_, DType::F16) => vec![0x00, 0x3c],
                (d, _) => d.to_le_bytes(),
            };
            let size = out.dtype.size();
            let mut bytes = vec![0u8; rows * cols * size];
            for r in 0..rows {
                let c = r as i64 + k;
                if c >= 0 && (c as usize) < cols {
                    let at = (r * cols + c as usize) * size;
                    bytes[at..at + size].copy_from_slice(&one);
                }
            }
            vec![Tensor { shape: out.shape.clone(), data: Data::from_le_bytes(out.dtype, &bytes)? }]
        }
        IndexOp::NonZero => {
            let t = values.first().copied().flatten().ok_or_else(|| {
                Error::unsupported("NonZero's output shape depends on its input's values, which must be a compile-time constant")
            })?;
            vec![crate::ir::infer::index::nonzero(t)?]
        }
        _ => return Ok(None),
    }))
}

fn index_err(what: &str, t: &Tensor) -> Error {
    Error::unsupported(format!("{what} on {} data", t.dtype()))
}

/// Runs a body for every (data, output) pair of one numeric type.
macro_rules! numeric2 {
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

/// Runs a body for every (data, updates, output) triple of one type; `numeric` restricts to
/// numeric types.
macro_rules! three {
    (any, $x:expr, $u:expr, $y:expr, |$a:ident, $b:ident, $o:ident| $body:expr, $err:expr) => {
        three!(@ $x, $u, $y, |$a, $b, $o| $body, $err, F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool)
    };
    (numeric, $x:expr, $u:expr, $y:expr, |$a:ident, $b:ident, $o:ident| $body:expr, $err:expr) => {
        three!(@ $x, $u, $y, |$a, $b, $o| $body, $err, F32, F64, I8, I16, I32, I64, U8, U16, U32, U64)
    };
    (@ $x:expr, $u:expr, $y:expr, |$a:ident, $b:ident, $o:ident| $body:expr, $err:expr, $($v:ident),*) => {
        match ($x, $u, $y) {
            $((Data::$v($a), Data::$v($b), Data::$v($o)) => $body,)*
            _ => return Err($err),
        }
    };
}

/// Runs `$body` with `$i` bound to the indices as i64 or i32.
macro_rules! with_indices {
    ($t:expr, |$i:ident| $body:expr) => {
        match &$t.data {
            Data::I64(v) => {
                let $i = v.as_slice();
                $body
            }
            Data::I32(v) => {
                let $i = v.as_slice();
                $body
            }
            _ => return Err(Error::invalid(format!("indices must be int32 or int64, found {}", $t.dtype()))),
        }
    };
}

/// Runs `$body` with `$i` bound to a numeric input of any type.
macro_rules! with_numeric {
    ($t:expr, |$i:ident| $body:expr) => {
        match &$t.data {
            Data::F32($i) => $body,
            Data::F64($i) => $body,
            Data::I8($i) => $body,
            Data::I16($i) => $body,
            Data::I32($i) => $body,
            Data::I64($i) => $body,
            Data::U8($i) => $body,
            Data::U16($i) => $body,
            Data::U32($i) => $body,
            Data::U64($i) => $body,
            _ => return Err(index_err("OneHot indices", $t)),
        }
    };
}

/// Executes an indexing kernel.
pub(super) fn execute(kernel: &IndexKernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    let arg = |i: usize| -> Result<&Tensor> {
        args.get(i).copied().ok_or_else(|| Error::internal(format!("kernel argument {i} missing")))
    };
    let (first, rest) = results.split_first_mut().ok_or_else(|| Error::internal("kernel without outputs"))?;
    let x = arg(0)?;
    let name = format!("{kernel:?}");
    let name = name.split(['(', ' ', '{']).next().unwrap_or("kernel");
    let err = || index_err(name, x);
    match kernel {
        IndexKernel::GatherElements(p) => {
            with_indices!(arg(1)?, |ix| any_type!(&x.data, &mut first.data, |a, y| k::index::gather_elements(p, a, ix, y), err()))
        }
        IndexKernel::GatherNd(p) => {
            with_indices!(arg(1)?, |ix| any_type!(&x.data, &mut first.data, |a, y| k::index::gather_nd(p, a, ix, y), err()))
        }
        IndexKernel::ScatterElements(p, r) => {
            let u = arg(2)?;
            with_indices!(arg(1)?, |ix| match r {
                ScatterReduction::None => {
                    three!(any, &x.data, &u.data, &mut first.data, |a, b, y| k::index::scatter_elements(p, a, ix, b, y), err())
                }
                r => three!(numeric, &x.data, &u.data, &mut first.data, |a, b, y| {
                    k::index::scatter_elements_reduce(p, *r, a, ix, b, y)
                }, err()),
            })
        }
        IndexKernel::ScatterNd(p, r) => {
            let u = arg(2)?;
            with_indices!(arg(1)?, |ix| match r {
                ScatterReduction::None => {
                    three!(any, &x.data, &u.data, &mut first.data, |a, b, y| k::index::scatter_nd(p, a, ix, b, y), err())
                }
                r => three!(numeric, &x.data, &u.data, &mut first.data, |a, b, y| {
                    k::index::scatter_nd_reduce(p, *r, a, ix, b, y)
                }, err()),
            })
        }
        IndexKernel::Arg { max, params } => {
            let Data::I64(y) = &mut first.data else { return Err(Error::internal("ArgMax output must be i64")) };
            if *max {
                with_numeric!(x, |a| k::reduce::argmax(params, a, y))
            } else {
                with_numeric!(x, |a| k::reduce::argmin(params, a, y))
            }
        }
        IndexKernel::TopK(p) => {
            let mut scratch = Tensor::zeros(DType::I64, first.shape.clone())?;
            let indices = rest.first_mut().unwrap_or(&mut scratch);
            let Data::I64(ix) = &mut indices.data else { return Err(Error::internal("TopK indices must be i64")) };
            numeric2!(&x.data, &mut first.data, |a, y| k::index::topk(p, a, y, ix), err())
        }
        IndexKernel::CumSum(p) => {
            with_indices!(arg(1)?, |axis| numeric2!(&x.data, &mut first.data, |a, y| k::index::cumsum(p, a, axis, y), err()))
        }
        IndexKernel::Trilu(p) => {
            let kk = match args.get(1).map(|t| &t.data) {
                Some(Data::I64(v)) => Some(v.as_slice()),
                None => None,
                Some(_) => return Err(Error::invalid("Trilu's k must be int64")),
            };
            any_type!(&x.data, &mut first.data, |a, y| k::index::trilu(p, a, kk, y), err())
        }
        IndexKernel::OneHot(p) => {
            let values = arg(2)?;
            with_numeric!(x, |ix| any_type!(&values.data, &mut first.data, |v, y| k::index::one_hot(p, ix, v, y), err()))
        }
        IndexKernel::Hardmax(p) => numeric2!(&x.data, &mut first.data, |a, y| k::index::hardmax(p, a, y), err()),
        IndexKernel::Range => {
            let delta = arg(2)?;
            three!(numeric, &x.data, &delta.data, &mut first.data, |s, d, y| k::index::range(s, d, y), err())
        }
        IndexKernel::Compress(p) => {
            let cond = match &arg(1)?.data {
                Data::Bool(c) => c,
                _ => return Err(Error::invalid("Compress's condition must be bool")),
            };
            any_type!(&x.data, &mut first.data, |a, y| k::index::compress(p, a, cond, y), err())
        }
        IndexKernel::Variadic { op, parts, mean } => {
            for (i, (p, input)) in parts.iter().zip(args).enumerate() {
                if i == 0 {
                    any_type!(&input.data, &mut first.data, |a, y| k::movement::expand(p, a, y), err());
                } else {
                    numeric2!(&input.data, &mut first.data, |a, y| k::index::accumulate(*op, p, a, y), err());
                }
            }
            if *mean {
                numeric2!(&x.data, &mut first.data, |_a, y| k::index::divide_by(parts.len(), y), err());
            }
        }
        IndexKernel::Det(p) => match (&x.data, &mut first.data) {
            (Data::F32(a), Data::F32(y)) => k::linalg::det(p, a, y),
            (Data::F64(a), Data::F64(y)) => k::linalg::det(p, a, y),
            _ => return Err(err()),
        },
        IndexKernel::ReverseSequence(p) => {
            let Data::I64(lens) = &arg(1)?.data else { return Err(Error::invalid("sequence_lens must be int64")) };
            any_type!(&x.data, &mut first.data, |a, y| k::index::reverse_sequence(p, a, lens, y), err())
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
