//! Evaluation of the quantization kernels (see `lower::quant`).

use crate::error::{Error, Result};
use crate::ir::{Data, Tensor};
use crate::lower::quant::{QuantKernel, QuantKernelKind};
use onnxc_templates::generic as k;
use onnxc_templates::generic::qlinear::QScalar;
use onnxc_templates::generic::quant::QInt;
use super::nn::Slice;

/// Runs `$body` with `$t` bound to the Rust element type of `$data`, among the listed variants.
macro_rules! pick {
    ($data:expr, $t:ident => $body:expr; $($v:ident : $ty:ty),*) => {
        {
            // The catch-all is unreachable when every variant is listed.
            #[allow(unreachable_patterns)]
            let r = match $data {
                $(Data::$v(_) => {
                    type $t = $ty;
                    $body
                })*
                other => return Err(Error::unsupported(format!("{} data is not supported here", other.dtype()))),
            };
            r
        }
    };
}

/// The inputs by slot.
struct Args<'a> {
    by_slot: Vec<Option<&'a Tensor>>,
}

impl<'a> Args<'a> {
    fn tensor(&self, i: usize) -> Result<&'a Tensor> {
        self.by_slot.get(i).copied().flatten().ok_or_else(|| Error::internal(format!("quant kernel input {i} missing")))
    }
    fn opt<T: Slice>(&self, i: usize) -> Result<Option<&'a [T]>> {
        match self.by_slot.get(i).copied().flatten() {
            None => Ok(None),
            Some(t) => T::of(&t.data).map(Some).ok_or_else(|| Error::invalid(format!("input {i} has an unexpected type {}", t.dtype()))),
        }
    }
    fn get<T: Slice>(&self, i: usize) -> Result<&'a [T]> {
        self.opt(i)?.ok_or_else(|| Error::internal(format!("quant kernel input {i} missing")))
    }
}

fn out<T: Slice>(t: &mut Tensor) -> Result<&mut [T]> {
    let d = t.dtype();
    T::of_mut(&mut t.data).ok_or_else(|| Error::internal(format!("unexpected output type {d}")))
}

/// Executes a quantization kernel.
pub fn execute(kernel: &QuantKernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    let mut it = args.iter();
    let by_slot = kernel
        .slots
        .iter()
        .map(|&p| if p { it.next().copied().map(Some).ok_or_else(|| Error::internal("quant kernel argument missing")) } else { Ok(None) })
        .collect::<Result<_>>()?;
    let a = Args { by_slot };
    let (first, rest) = results.split_first_mut().ok_or_else(|| Error::internal("quant kernel without outputs"))?;
    let x = a.tensor(0)?;
    match &kernel.kind {
        QuantKernelKind::Quantize(p) => pick!(&x.data, X => pick!(&a.tensor(1)?.data, S => pick!(&first.data, Y => {
            k::qlinear::quantize_linear::<X, S, Y>(p, a.get(0)?, a.get(1)?, a.opt(2)?, out(first)?)
        }; U8: u8, I8: i8, U16: u16, I16: i16); F32: f32, F64: f64, F16: u16, BF16: u16); F32: f32, F64: f64, F16: u16, BF16: u16, I32: i32),
        QuantKernelKind::Dequantize(p) => pick!(&x.data, X => pick!(&a.tensor(1)?.data, S => pick!(&first.data, Y => {
            k::qlinear::dequantize_linear::<X, S, Y>(p, a.get(0)?, a.get(1)?, a.opt(2)?, out(first)?)
        }; F32: f32, F64: f64, F16: u16, BF16: u16); F32: f32, F64: f64, F16: u16, BF16: u16); U8: u8, I8: i8, U16: u16, I16: i16, I32: i32),
        QuantKernelKind::ConvInteger(p, _) => pick!(&x.data, A => pick!(&a.tensor(1)?.data, B => {
            k::conv_direct::conv_integer::<A, B>(p, a.get(0)?, a.get(1)?, a.opt(2)?, a.opt(3)?, out(first)?)
        }; U8: u8, I8: i8); U8: u8, I8: i8),
        QuantKernelKind::QLinearConv(p, _) => pick!(&x.data, A => pick!(&a.tensor(3)?.data, B => {
            qlinear_conv::<A, B>(p, &a, first)?
        }; U8: u8, I8: i8); U8: u8, I8: i8),
        QuantKernelKind::Clip { min, max } => {
            macro_rules! bound {
                ($t:ty, $slot:expr, $attr:expr) => {
                    match $attr {
                        Some(c) => Some(<$t>::of(&c.data).ok_or_else(|| Error::internal("Clip bound type"))?),
                        None => a.opt::<$t>($slot)?,
                    }
                };
            }
            match &x.data {
                Data::F16(_) | Data::BF16(_) => {
                    let bf16 = matches!(x.data, Data::BF16(_));
                    k::qlinear::clip_half(bf16, a.get(0)?, bound!(u16, 1, min), bound!(u16, 2, max), out(first)?)
                }
                _ => pick!(&x.data, T => {
                    k::qlinear::clip::<T>(a.get(0)?, bound!(T, 1, min), bound!(T, 2, max), out(first)?)
                }; F32: f32, F64: f64, I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64),
            }
        }
        QuantKernelKind::PadValue(p) => pick!(&x.data, T => {
            k::qlinear::pad_value::<T>(p, a.get(0)?, a.get(2)?, out(first)?)
        }; F32: f32, F64: f64, F16: u16, BF16: u16, I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, Bool: u8),
        QuantKernelKind::DropoutMask => {
            let mask = rest.first_mut().ok_or_else(|| Error::internal("Dropout mask missing"))?;
            let mask = out::<u8>(mask)?;
            pick!(&x.data, T => k::qlinear::dropout_mask::<T>(a.get(0)?, out(first)?, mask);
                F32: f32, F64: f64, F16: u16, BF16: u16, I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64, Bool: u8)
        }
        QuantKernelKind::MaxPool(p) => pick!(&x.data, T => {
            k::qlinear::max_pool_number::<T>(p, a.get(0)?, out(first)?)
        }; F32: f32, F64: f64, I8: i8, I16: i16, I32: i32, I64: i64, U8: u8, U16: u16, U32: u32, U64: u64),
        QuantKernelKind::RangeHalf(bf16) => k::qlinear::range_half(*bf16, a.get(0)?, a.get(2)?, out(first)?),
        QuantKernelKind::ConvTransposeNd(p, act) => {
            k::conv_direct::conv_transpose_nd(p, a.get(0)?, a.get(1)?, a.opt(2)?, *act, out(first)?)
        }
    }
    Ok(())
}

fn qlinear_conv<A: QInt + Slice + QScalar, B: QInt + Slice>(p: &k::conv_direct::DirectConvParams, a: &Args, y: &mut Tensor) -> Result<()> {
    let q = k::conv_direct::QConvArgs {
        x_scale: a.get(1)?,
        x_zero: a.get::<A>(2)?,
        w_scale: a.get(4)?,
        w_zero: a.get::<B>(5)?,
        y_scale: a.get(6)?,
        y_zero: a.get::<A>(7)?,
        bias: a.opt(8)?,
    };
    k::conv_direct::qlinear_conv::<A, B>(p, a.get(0)?, a.get(3)?, q, out(y)?);
    Ok(())
}
