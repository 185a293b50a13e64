//! Evaluation of the signal kernels (see `lower::signal`).

use super::nn::Slice;
use crate::error::{Error, Result};
use crate::ir::{Data, Tensor};
use crate::lower::signal::SignalKernel;
use onnxc_templates::generic as k;

fn unsupported(what: &str, t: &Tensor) -> Error {
    Error::unsupported(format!("{what} on {}", t.dtype()))
}

/// Fills a generated tensor (a window, a mel matrix): f32 and f64 directly, other types by
/// computing in f64 and casting.
fn generated(y: &mut Tensor, fill: impl Fn(&mut [f64])) -> Result<()> {
    match &mut y.data {
        Data::F32(o) => {
            let mut wide = vec![0.0; o.len()];
            fill(&mut wide);
            o.iter_mut().zip(wide).for_each(|(d, v)| *d = v as f32);
        }
        Data::F64(o) => fill(o),
        _ => {
            let mut wide = Tensor::zeros(crate::ir::DType::F64, y.shape.clone())?;
            if let Data::F64(o) = &mut wide.data {
                fill(o);
            }
            super::typed::cast(&wide, y)?;
        }
    }
    Ok(())
}

/// Runs one signal kernel on evaluator tensors (`args`: the present inputs in slot order).
pub fn execute(kernel: &SignalKernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    let arg = |i: usize| -> Result<&Tensor> {
        args.get(i).copied().ok_or_else(|| Error::internal(format!("kernel argument {i} missing")))
    };
    let y = results.first_mut().ok_or_else(|| Error::internal("signal kernel without outputs"))?;
    macro_rules! float {
        ($what:expr, $x:expr, |$a:ident, $o:ident| $body:expr) => {
            match (&$x.data, &mut y.data) {
                (Data::F32($a), Data::F32($o)) => $body,
                (Data::F64($a), Data::F64($o)) => $body,
                _ => return Err(unsupported($what, $x)),
            }
        };
    }
    match kernel {
        SignalKernel::Einsum(p, half) => {
            macro_rules! einsum {
                ($($v:ident),*) => {
                    match &mut y.data {
                        $(Data::$v(o) => {
                            let xs = args
                                .iter()
                                .map(|t| match &t.data {
                                    Data::$v(v) => Ok(v.as_slice()),
                                    _ => Err(unsupported("Einsum", t)),
                                })
                                .collect::<Result<Vec<_>>>()?;
                            k::einsum::einsum(p, &xs, o)
                        })*
                        Data::F16(o) | Data::BF16(o) => {
                            let kind = half.ok_or_else(|| Error::internal("half Einsum without its kind"))?;
                            let xs = args
                                .iter()
                                .map(|t| <u16 as Slice>::of(&t.data).ok_or_else(|| unsupported("Einsum", t)))
                                .collect::<Result<Vec<_>>>()?;
                            k::einsum::einsum_half(p, kind, &xs, o)
                        }
                        _ => return Err(unsupported("Einsum", arg(0)?)),
                    }
                };
            }
            einsum!(F32, F64, I8, I16, I32, I64, U8, U16, U32, U64)
        }
        SignalKernel::Dft(p) => float!("DFT", arg(0)?, |a, o| k::signal::dft(p, a, o)),
        SignalKernel::Stft(p, has_window) => {
            let x = arg(0)?;
            let w = if *has_window { Some(arg(2)?) } else { None };
            match (&x.data, w.map(|w| &w.data), &mut y.data) {
                (Data::F32(a), None, Data::F32(o)) => k::signal::stft(p, a, None, o),
                (Data::F32(a), Some(Data::F32(w)), Data::F32(o)) => k::signal::stft(p, a, Some(w), o),
                (Data::F64(a), None, Data::F64(o)) => k::signal::stft(p, a, None, o),
                (Data::F64(a), Some(Data::F64(w)), Data::F64(o)) => k::signal::stft(p, a, Some(w), o),
                _ => return Err(unsupported("STFT", x)),
            }
        }
        SignalKernel::Window(p, _) => generated(y, |o| k::signal::window(p, o))?,
        SignalKernel::Mel(p, _) => generated(y, |o| k::signal::mel_weight_matrix(p, o))?,
        SignalKernel::TensorScatter(p) => {
            let (c, u) = (arg(0)?, arg(1)?);
            let ix = match args.get(2).map(|t| &t.data) {
                Some(Data::I64(v)) => Some(v.as_slice()),
                None => None,
                Some(_) => return Err(Error::invalid("write_indices must be int64")),
            };
            macro_rules! scatter {
                ($($v:ident),*) => {
                    match (&c.data, &u.data, &mut y.data) {
                        $((Data::$v(a), Data::$v(b), Data::$v(o)) => k::signal::tensor_scatter(p, a, b, ix, o),)*
                        _ => return Err(unsupported("TensorScatter", c)),
                    }
                };
            }
            scatter!(F32, F64, F16, BF16, I8, I16, I32, I64, U8, U16, U32, U64, Bool)
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "signal_tests.rs"]
mod tests;
