//! Calls of the quantization kernels (see `lower::quant`) in generated code; mirrors
//! `eval::quant`.

use super::{scalar_literal, Arg, Uses};
use crate::error::{Error, Result};
use crate::ir::DType;
use crate::lower::quant::{QuantKernel, QuantKernelKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `Some(arg)` or `None::<absent>` for an optional slice argument.
fn optional(arg: Option<&Arg>, absent: TokenStream) -> TokenStream {
    match arg {
        Some(a) => {
            let e = &a.expr;
            quote!(Some(#e))
        }
        None => quote!(None::<#absent>),
    }
}

/// `const P: Type = literal;` then `call`.
fn with_params<T: std::fmt::Debug>(uses: &mut Uses, p: &T, call: TokenStream) -> Result<TokenStream> {
    let ty = uses.type_of(p)?;
    let lit = uses.literal(p)?;
    Ok(quote! {
        const P: #ty = #lit;
        #call
    })
}

/// The statements of one quantization kernel call. `dtype`: the first input's type.
pub(super) fn emit(kernel: &QuantKernel, dtype: DType, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let slot = |i: usize| inputs.get(i).and_then(Option::as_ref);
    let input = |i: usize| -> Result<&TokenStream> {
        slot(i).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("quant kernel input {i} missing")))
    };
    let out = |i: usize| -> Result<&TokenStream> {
        outputs.get(i).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("quant kernel output {i} missing")))
    };
    let t = format_ident!("{}", dtype.rust_type());
    Ok(match &kernel.kind {
        QuantKernelKind::Quantize(p) => {
            let f = uses.function("qlinear", "quantize_linear");
            let (x, s, y) = (input(0)?, input(1)?, out(0)?);
            let yt = format_ident!("{}", crate::lower::quant::qelem_rust_type(p.y));
            let z = optional(slot(2), quote!(&[#yt]));
            with_params(uses, p, quote!(#f(&P, #x, #s, #z, #y);))?
        }
        QuantKernelKind::Dequantize(p) => {
            let f = uses.function("qlinear", "dequantize_linear");
            let (x, s, y) = (input(0)?, input(1)?, out(0)?);
            let z = optional(slot(2), quote!(&[#t]));
            with_params(uses, p, quote!(#f(&P, #x, #s, #z, #y);))?
        }
        QuantKernelKind::ConvInteger(p, w_type) => {
            let f = uses.function("conv_direct", "conv_integer");
            let (x, w, y) = (input(0)?, input(1)?, out(0)?);
            let wt = format_ident!("{}", w_type.rust_type());
            let (xz, wz) = (optional(slot(2), quote!(&[#t])), optional(slot(3), quote!(&[#wt])));
            with_params(uses, p, quote!(#f(&P, #x, #w, #xz, #wz, #y);))?
        }
        QuantKernelKind::QLinearConv(p, _) => {
            let f = uses.function("conv_direct", "qlinear_conv");
            let args = uses.function("conv_direct", "QConvArgs");
            let i: Vec<&TokenStream> = (0..8).map(input).collect::<Result<_>>()?;
            let (x, xs, xz, w, ws, wz, ys, yz) = (i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]);
            let b = optional(slot(8), quote!(&[i32]));
            let y = out(0)?;
            with_params(
                uses,
                p,
                quote!(#f(&P, #x, #w, #args { x_scale: #xs, x_zero: #xz, w_scale: #ws, w_zero: #wz, y_scale: #ys, y_zero: #yz, bias: #b }, #y);),
            )?
        }
        QuantKernelKind::Clip { min, max } => {
            let bound = |slot_arg: Option<&Arg>, attr: &Option<crate::ir::Tensor>| -> Result<TokenStream> {
                match attr {
                    Some(c) => {
                        let v = scalar_literal(c)?;
                        Ok(quote!(Some(&[#v])))
                    }
                    None => Ok(optional(slot_arg, quote!(&[#t]))),
                }
            };
            let (lo, hi) = (bound(slot(1), min)?, bound(slot(2), max)?);
            let (x, y) = (input(0)?, out(0)?);
            match dtype {
                DType::F16 | DType::BF16 => {
                    let f = uses.function("qlinear", "clip_half");
                    let bf16 = dtype == DType::BF16;
                    quote!(#f(#bf16, #x, #lo, #hi, #y);)
                }
                _ => {
                    let f = uses.function("qlinear", "clip");
                    quote!(#f(#x, #lo, #hi, #y);)
                }
            }
        }
        QuantKernelKind::PadValue(p) => {
            let f = uses.function("qlinear", "pad_value");
            let (x, v, y) = (input(0)?, input(2)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #v, #y);))?
        }
        QuantKernelKind::DropoutMask => {
            let f = uses.function("qlinear", "dropout_mask");
            let (x, y) = (input(0)?, out(0)?);
            match outputs.get(1) {
                Some(m) => {
                    let m = &m.expr;
                    quote!(#f(#x, #y, #m);)
                }
                None => quote!(#f(#x, #y, &mut []);),
            }
        }
        QuantKernelKind::MaxPool(p) => {
            let f = uses.function("qlinear", "max_pool_number");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        QuantKernelKind::RangeHalf(bf16) => {
            let f = uses.function("qlinear", "range_half");
            let (s, d, y) = (input(0)?, input(2)?, out(0)?);
            quote!(#f(#bf16, #s, #d, #y);)
        }
        QuantKernelKind::ConvTransposeNd(p, act) => {
            let f = uses.function("conv_direct", "conv_transpose_nd");
            let (x, w, y) = (input(0)?, input(1)?, out(0)?);
            let b = optional(slot(2), quote!(&[f32]));
            let act = uses.literal(act)?;
            with_params(uses, p, quote!(#f(&P, #x, #w, #b, #act, #y);))?
        }
    })
}
