//! Calls of the vision kernels (see `lower::vision`) in generated code; mirrors `eval::vision`.

use super::{Arg, Uses};
use crate::error::{Error, Result};
use crate::lower::vision::{VisionKernel, VisionKernelKind};
use proc_macro2::TokenStream;
use quote::quote;

/// `Some(arg)` or `None` for an optional slice argument (its type follows from the kernel's
/// other arguments).
fn optional(arg: Option<&Arg>) -> TokenStream {
    match arg {
        Some(a) => {
            let e = &a.expr;
            quote!(Some(#e))
        }
        None => quote!(None),
    }
}

/// A constant slice literal `&[a, b, …]` of the given values.
fn slice_literal<T: std::fmt::Debug>(values: &[T], suffix: &str) -> Result<TokenStream> {
    let items: Vec<String> = values.iter().map(|v| format!("{v:?}{suffix}")).collect();
    let text = format!("&[{}]", items.join(", "));
    let expr: syn::Expr = syn::parse_str(&text).map_err(|e| Error::internal(format!("constant slice does not print as Rust ({e})")))?;
    Ok(quote!(#expr))
}

/// The statements of one vision kernel call.
pub(super) fn emit(kernel: &VisionKernel, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let slot = |i: usize| inputs.get(i).and_then(Option::as_ref);
    let input = |i: usize| -> Result<&TokenStream> {
        slot(i).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("vision kernel input {i} missing")))
    };
    let y = &outputs.first().ok_or_else(|| Error::internal("vision kernel without output"))?.expr;
    Ok(match &kernel.kind {
        VisionKernelKind::RoiAlign(p) => {
            let f = uses.function("vision", "roi_align");
            let (x, rois, idx) = (input(0)?, input(1)?, input(2)?);
            with_params(uses, p, quote!(#f(&P, #x, #rois, #idx, #y);))?
        }
        VisionKernelKind::DeformConv(p) => {
            let f = uses.function("vision", "deform_conv");
            let (x, w, offset) = (input(0)?, input(1)?, input(2)?);
            let (bias, mask) = (optional(slot(3)), optional(slot(4)));
            with_params(uses, p, quote!(#f(&P, #x, #w, #offset, #bias, #mask, #y);))?
        }
        VisionKernelKind::AffineGrid(p) => {
            let f = uses.function("vision", "affine_grid");
            let theta = input(0)?;
            with_params(uses, p, quote!(#f(&P, #theta, #y);))?
        }
        VisionKernelKind::TfIdf(t) => {
            let f = uses.function("tfidf", "tfidf");
            let pool_ty = uses.function("tfidf", "TfIdfPool");
            let x = input(0)?;
            let pool = slice_literal(&t.pool, "")?;
            let counts = slice_literal(&t.ngram_counts, "")?;
            let indexes = slice_literal(&t.ngram_indexes, "")?;
            let weights = slice_literal(&t.weights, "")?;
            with_params(
                uses,
                &t.params,
                quote! {
                    const POOL: &[i64] = #pool;
                    const NGRAM_COUNTS: &[i64] = #counts;
                    const NGRAM_INDEXES: &[i64] = #indexes;
                    const WEIGHTS: &[f32] = #weights;
                    #f(&P, #pool_ty { pool: POOL, ngram_counts: NGRAM_COUNTS, ngram_indexes: NGRAM_INDEXES, weights: WEIGHTS }, #x, #y);
                },
            )?
        }
    })
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
