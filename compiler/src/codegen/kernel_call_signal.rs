//! Calls of the signal kernels ([`SignalKernel`]) in generated code; mirrors `eval::signal`.

use super::{Arg, Uses};
use crate::error::{Error, Result};
use crate::ir::DType;
use crate::lower::signal::SignalKernel;
use proc_macro2::TokenStream;
use quote::quote;

/// The statements of one signal step. `inputs` are the node's input slots.
pub(super) fn emit(kernel: &SignalKernel, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let slot = |i: usize| -> Result<&TokenStream> {
        inputs.get(i).and_then(Option::as_ref).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("kernel input {i} missing")))
    };
    let y = &outputs.first().ok_or_else(|| Error::internal("kernel without outputs"))?.expr;
    let (name, params, args): (&str, TokenStream, TokenStream) = match kernel {
        SignalKernel::Einsum(p, half) => {
            let xs = (0..p.operands).map(slot).collect::<Result<Vec<_>>>()?;
            let lit = params(uses, p.as_ref())?;
            match half {
                Some(kind) => {
                    let kind = uses.literal(kind)?;
                    let f = uses.function("einsum", "einsum_half");
                    return Ok(quote! { #lit #f(&P, #kind, &[#(#xs),*], #y); });
                }
                None => {
                    let f = uses.function("einsum", "einsum");
                    return Ok(quote! { #lit #f(&P, &[#(#xs),*], #y); });
                }
            }
        }
        SignalKernel::Dft(p) => {
            let x = slot(0)?;
            ("dft", params(uses, p)?, quote!(#x, #y))
        }
        SignalKernel::Stft(p, has_window) => {
            let x = slot(0)?;
            let w = if *has_window {
                let w = slot(2)?;
                quote!(Some(#w))
            } else {
                quote!(None)
            };
            ("stft", params(uses, p)?, quote!(#x, #w, #y))
        }
        SignalKernel::Window(_, d) | SignalKernel::Mel(_, d) if !matches!(d, DType::F32 | DType::F64) => {
            return Err(Error::unsupported(format!(
                "a window or mel matrix of {d} in generated code (f32 and f64 only; smaller ones are folded at compile time)"
            )))
        }
        SignalKernel::Window(p, _) => ("window", params(uses, p)?, quote!(#y)),
        SignalKernel::Mel(p, _) => ("mel_weight_matrix", params(uses, p)?, quote!(#y)),
        SignalKernel::TensorScatter(p) => {
            let (c, u) = (slot(0)?, slot(1)?);
            let ix = match inputs.get(2).and_then(Option::as_ref) {
                Some(a) => {
                    let e = &a.expr;
                    quote!(Some(#e))
                }
                None => quote!(None),
            };
            ("tensor_scatter", params(uses, p)?, quote!(#c, #u, #ix, #y))
        }
    };
    let f = uses.function("signal", name);
    Ok(quote! { #params #f(&P, #args); })
}

/// `const P: Type = literal;`
fn params<T: std::fmt::Debug>(uses: &mut Uses, p: &T) -> Result<TokenStream> {
    let ty = uses.type_of(p)?;
    let lit = uses.literal(p)?;
    Ok(quote!(const P: #ty = #lit;))
}
