//! Calls of the indexing kernels ([`IndexKernel`]) in generated code; mirrors `eval::index`.

use super::{Arg, Uses};
use crate::error::{Error, Result};
use crate::ir::index_op::ScatterReduction;
use crate::lower::IndexKernel;
use proc_macro2::TokenStream;
use quote::quote;

/// The statements of one indexing step. `inputs` are the node's input slots.
pub(super) fn emit(kernel: &IndexKernel, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let slot = |i: usize| -> Result<&TokenStream> {
        inputs.get(i).and_then(Option::as_ref).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("kernel input {i} missing")))
    };
    let y = &outputs.first().ok_or_else(|| Error::internal("kernel without outputs"))?.expr;
    let x = slot(0)?;
    if let IndexKernel::Variadic { op, parts, mean } = kernel {
        let present: Vec<&TokenStream> = inputs.iter().flatten().map(|a| &a.expr).collect();
        let mut body = TokenStream::new();
        for (i, (p, input)) in parts.iter().zip(present).enumerate() {
            let ty = uses.type_of(p)?;
            let lit = uses.literal(p)?;
            let name = quote::format_ident!("PART_{i}");
            let call = if i == 0 {
                let f = uses.function("movement", "expand");
                quote!(#f(&#name, #input, #y);)
            } else {
                let f = uses.function("index", "accumulate");
                let op = uses.literal(op)?;
                quote!(#f(#op, &#name, #input, #y);)
            };
            body.extend(quote! {
                const #name: #ty = #lit;
                #call
            });
        }
        if *mean {
            let f = uses.function("index", "divide_by");
            let n = parts.len();
            body.extend(quote!(#f(#n, #y);));
        }
        return Ok(body);
    }
    let (module, name, args): (&str, &str, TokenStream) = match kernel {
        IndexKernel::GatherElements(_) => ("index", "gather_elements", { let i = slot(1)?; quote!(#x, #i, #y) }),
        IndexKernel::GatherNd(_) => ("index", "gather_nd", { let i = slot(1)?; quote!(#x, #i, #y) }),
        IndexKernel::ScatterElements(_, r) | IndexKernel::ScatterNd(_, r) => {
            let (i, u) = (slot(1)?, slot(2)?);
            let nd = matches!(kernel, IndexKernel::ScatterNd(..));
            match r {
                ScatterReduction::None => ("index", if nd { "scatter_nd" } else { "scatter_elements" }, quote!(#x, #i, #u, #y)),
                r => {
                    let r = uses.literal(r)?;
                    ("index", if nd { "scatter_nd_reduce" } else { "scatter_elements_reduce" }, quote!(#r, #x, #i, #u, #y))
                }
            }
        }
        IndexKernel::Arg { max, .. } => ("reduce", if *max { "argmax" } else { "argmin" }, quote!(#x, #y)),
        IndexKernel::TopK(_) => {
            let ix = &outputs.get(1).ok_or_else(|| Error::unsupported("TopK without its indices output"))?.expr;
            ("index", "topk", quote!(#x, #y, #ix))
        }
        IndexKernel::CumSum(_) => ("index", "cumsum", { let a = slot(1)?; quote!(#x, #a, #y) }),
        IndexKernel::Trilu(_) => {
            let kk = match inputs.get(1).and_then(Option::as_ref) {
                Some(a) => {
                    let e = &a.expr;
                    quote!(Some(#e))
                }
                None => quote!(None),
            };
            ("index", "trilu", quote!(#x, #kk, #y))
        }
        IndexKernel::OneHot(_) => ("index", "one_hot", { let v = slot(2)?; quote!(#x, #v, #y) }),
        IndexKernel::Hardmax(_) => ("index", "hardmax", quote!(#x, #y)),
        IndexKernel::Range => {
            let f = uses.function("index", "range");
            let d = slot(2)?;
            return Ok(quote!(#f(#x, #d, #y);));
        }
        IndexKernel::Variadic { .. } => return Err(Error::internal("variadic kernels are emitted above")),
        IndexKernel::Det(_) => ("linalg", "det", quote!(#x, #y)),
        IndexKernel::Compress(_) => ("index", "compress", { let c = slot(1)?; quote!(#x, #c, #y) }),
        IndexKernel::ReverseSequence(_) => ("index", "reverse_sequence", { let l = slot(1)?; quote!(#x, #l, #y) }),
    };
    let f = uses.function(module, name);
    macro_rules! call {
        ($p:expr) => {{
            let ty = uses.type_of($p)?;
            let lit = uses.literal($p)?;
            quote! {
                const P: #ty = #lit;
                #f(&P, #args);
            }
        }};
    }
    Ok(match kernel {
        IndexKernel::GatherElements(p) | IndexKernel::ScatterElements(p, _) => call!(p),
        IndexKernel::GatherNd(p) | IndexKernel::ScatterNd(p, _) => call!(p),
        IndexKernel::Arg { params, .. } => call!(params),
        IndexKernel::TopK(p) => call!(p),
        IndexKernel::CumSum(p) => call!(p),
        IndexKernel::Trilu(p) => call!(p),
        IndexKernel::OneHot(p) | IndexKernel::Hardmax(p) | IndexKernel::Compress(p) => call!(p),
        IndexKernel::ReverseSequence(p) => call!(p),
        IndexKernel::Det(p) => call!(p),
        IndexKernel::Range | IndexKernel::Variadic { .. } => quote!(),
    })
}
