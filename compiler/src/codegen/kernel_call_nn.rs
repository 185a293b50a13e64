//! Calls of the nn kernels (see `lower::nn`) in generated code; mirrors `eval::nn`.

use super::{Arg, Uses};
use crate::error::{Error, Result};
use crate::ir::DType;
use crate::lower::nn::{NnKernel, NnKernelKind};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// `Some(arg)` or `None::<&[ty]>` for an optional slice argument.
fn optional(arg: Option<&Arg>, absent: TokenStream) -> TokenStream {
    match arg {
        Some(a) => {
            let e = &a.expr;
            quote!(Some(#e))
        }
        None => quote!(None::<#absent>),
    }
}

/// The statements of one nn kernel call.
pub(super) fn emit(kernel: &NnKernel, dtype: DType, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let slot = |i: usize| inputs.get(i).and_then(Option::as_ref);
    let input = |i: usize| -> Result<&TokenStream> {
        slot(i).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("nn kernel input {i} missing")))
    };
    let out = |i: usize| -> Result<&TokenStream> {
        outputs.get(i).map(|a| &a.expr).ok_or_else(|| Error::internal(format!("nn kernel output {i} missing")))
    };
    // The element type of the first input, for absent optional arguments of that type.
    let t = format_ident!("{}", dtype.rust_type());
    let opt_out = |i: usize| optional(outputs.get(i), quote!(&mut [#t]));
    Ok(match &kernel.kind {
        NnKernelKind::Attention(p) => {
            let f = uses.function("attention", "attention");
            let extras = uses.function("attention", "AttentionExtras");
            let (q, k, v, y) = (input(0)?, input(1)?, input(2)?, out(0)?);
            let mask = optional(slot(3), quote!(&[u8]));
            let (pk, pv) = (optional(slot(4), quote!(&[#t])), optional(slot(5), quote!(&[#t])));
            let nonpad = optional(slot(6), quote!(&[i64]));
            let (ok, ov, oq) = (opt_out(1), opt_out(2), opt_out(3));
            let ty = uses.type_of(p)?;
            let lit = uses.literal(p)?;
            quote! {
                const P: #ty = #lit;
                #f(&P, #q, #k, #v, #extras { mask: #mask, past_key: #pk, past_value: #pv, nonpad: #nonpad }, #y, #ok, #ov, #oq);
            }
        }
        NnKernelKind::RmsNorm(p) => {
            let f = uses.function("normalize", "rms_norm");
            let (x, s, y) = (input(0)?, input(1)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #s, #y);))?
        }
        NnKernelKind::LpNorm(p) => {
            let f = uses.function("normalize", "lp_norm");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        NnKernelKind::Pool(p) => {
            let f = uses.function("pool_nd", "pool_nd");
            let (x, y) = (input(0)?, out(0)?);
            let idx = optional(outputs.get(1), quote!(&mut [i64]));
            with_params(uses, p, quote!(#f(&P, #x, #y, #idx);))?
        }
        NnKernelKind::ResizeTaps(p) => {
            let f = uses.function("resize_taps", "resize_taps");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        NnKernelKind::GridSample(p) => {
            let f = uses.function("sample", "grid_sample");
            let (x, g, y) = (input(0)?, input(1)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #g, #y);))?
        }
        NnKernelKind::Rnn(p) => {
            let f = uses.function("rnn", "rnn");
            let inputs_ty = uses.function("rnn", "RnnInputs");
            let (x, w, r) = (input(0)?, input(1)?, input(2)?);
            let f32s = quote!(&[f32]);
            let (b, sl, h0, c0, pp) = (
                optional(slot(3), f32s.clone()),
                optional(slot(4), quote!(&[i32])),
                optional(slot(5), f32s.clone()),
                optional(slot(6), f32s.clone()),
                optional(slot(7), f32s),
            );
            let outs: Vec<TokenStream> = (0..3).map(|i| optional(outputs.get(i), quote!(&mut [f32]))).collect();
            let (y, yh, yc) = (&outs[0], &outs[1], &outs[2]);
            with_params(
                uses,
                p,
                quote!(#f(&P, #x, #w, #r, #inputs_ty { bias: #b, seq_lens: #sl, initial_h: #h0, initial_c: #c0, peepholes: #pp }, #y, #yh, #yc);),
            )?
        }
        NnKernelKind::QLinearMatMul(p) => {
            let f = uses.function("quant", "qlinear_matmul");
            let args = uses.function("quant", "QLinearArgs");
            let i: Vec<&TokenStream> = (0..8).map(input).collect::<Result<_>>()?;
            let (a, a_s, a_z, b, b_s, b_z, y_s, y_z) = (i[0], i[1], i[2], i[3], i[4], i[5], i[6], i[7]);
            let y = out(0)?;
            with_params(
                uses,
                p,
                quote!(#f(&P, #a, #b, #args { a_scale: #a_s, a_zero: #a_z, b_scale: #b_s, b_zero: #b_z, y_scale: #y_s, y_zero: #y_z }, #y);),
            )?
        }
        NnKernelKind::MatMulInteger(p, b_type) => {
            let f = uses.function("quant", "matmul_integer");
            let (a, b, y) = (input(0)?, input(1)?, out(0)?);
            let bt = format_ident!("{}", b_type.rust_type());
            let (az, bz) = (optional(slot(2), quote!(&[#t])), optional(slot(3), quote!(&[#bt])));
            with_params(uses, p, quote!(#f(&P, #a, #b, #az, #bz, #y);))?
        }
        NnKernelKind::DynamicQuantizeLinear => {
            let f = uses.function("quant", "dynamic_quantize_linear");
            let (x, y, s, z) = (input(0)?, out(0)?, out(1)?, out(2)?);
            quote!(#f(#x, #y, #s, #z);)
        }
        NnKernelKind::GroupNorm(p) => {
            let f = uses.function("normalize", "group_norm");
            let (x, s, b, y) = (input(0)?, input(1)?, input(2)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #s, #b, #y);))?
        }
        NnKernelKind::MeanVarianceNorm(p) => {
            let f = uses.function("normalize", "mean_variance_norm");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        NnKernelKind::Lrn(p) => {
            let f = uses.function("normalize", "lrn");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        NnKernelKind::Col2Im(p) => {
            let f = uses.function("pool_nd", "col2im");
            let (x, y) = (input(0)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #y);))?
        }
        NnKernelKind::MaxUnpool(p) => {
            let f = uses.function("pool_nd", "max_unpool");
            let (x, i, y) = (input(0)?, input(1)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #x, #i, #y);))?
        }
        NnKernelKind::Rotary(p) => {
            let f = uses.function("attention", "rotary_embedding");
            let (x, c, s, y) = (input(0)?, input(1)?, input(2)?, out(0)?);
            let ids = optional(slot(3), quote!(&[i64]));
            with_params(uses, p, quote!(#f(&P, #x, #c, #s, #ids, #y);))?
        }
        NnKernelKind::LinearAttention(p) => {
            let f = uses.function("linear_attention", "linear_attention");
            let extras = uses.function("linear_attention", "LinearAttentionExtras");
            let s = format_ident!("{}", state_type(p.state_elem));
            let (q, k, v, y) = (input(0)?, input(1)?, input(2)?, out(0)?);
            let past = optional(slot(3), quote!(&[#s]));
            let (decay, beta) = (optional(slot(4), quote!(&[#t])), optional(slot(5), quote!(&[#t])));
            let present = optional(outputs.get(1), quote!(&mut [#s]));
            with_params(uses, p, quote!(#f(&P, #q, #k, #v, #extras { past_state: #past, decay: #decay, beta: #beta }, #y, #present);))?
        }
        NnKernelKind::CausalConv(p) => {
            let f = uses.function("linear_attention", "causal_conv_with_state");
            let (x, w, y) = (input(0)?, input(1)?, out(0)?);
            let (b, past) = (optional(slot(2), quote!(&[#t])), optional(slot(3), quote!(&[#t])));
            let present = opt_out(1);
            with_params(uses, p, quote!(#f(&P, #x, #w, #b, #past, #y, #present);))?
        }
        NnKernelKind::SwiGlu(p) => {
            let f = uses.function("linear_attention", "swiglu");
            let (a, b, y) = (input(0)?, input(1)?, out(0)?);
            with_params(uses, p, quote!(#f(&P, #a, #b, #y);))?
        }
        NnKernelKind::ConvNd(p) => {
            let f = uses.function("conv_nd", "conv_nd");
            let (x, w, y) = (input(0)?, input(1)?, out(0)?);
            let b = optional(slot(2), quote!(&[#t]));
            with_params(uses, p, quote!(#f(&P, #x, #w, #b, #y);))?
        }
    })
}

/// `const P: Type = literal;` then `call`.
/// The Rust element type of a state buffer of kind `k`.
fn state_type(k: onnxc_templates::generic::real::FloatKind) -> &'static str {
    use onnxc_templates::generic::real::FloatKind;
    match k {
        FloatKind::F32 => "f32",
        FloatKind::F64 => "f64",
        FloatKind::F16 | FloatKind::BF16 => "u16",
        FloatKind::Bool => "u8",
    }
}

fn with_params<T: std::fmt::Debug>(uses: &mut Uses, p: &T, call: TokenStream) -> Result<TokenStream> {
    let ty = uses.type_of(p)?;
    let lit = uses.literal(p)?;
    Ok(quote! {
        const P: #ty = #lit;
        #call
    })
}
