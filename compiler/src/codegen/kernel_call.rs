//! One kernel call in generated code: the function path, its constant parameters, its
//! arguments. The mapping mirrors `eval::execute`, which runs the same kernels in-process.

use super::sources::type_module;
use crate::error::{Error, Result};
use crate::ir::op::PoolKind;
use crate::ir::{DType, Tensor};
use crate::eval::typed;
use crate::lower::{Kernel, Lowered};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeSet;
use std::fmt::Debug;

#[path = "kernel_call_index.rs"]
mod index;
#[path = "kernel_call_nn.rs"]
mod nn;
#[path = "kernel_call_quant.rs"]
mod quant;
#[path = "kernel_call_vision.rs"]
mod vision;
#[path = "kernel_call_signal.rs"]
mod signal;

/// What the generated file must import and keep from the kernel sources.
#[derive(Default)]
pub struct Uses {
    /// Kernel items the code names (roots for trimming).
    pub roots: BTreeSet<String>,
    /// (module, type) pairs to `use` at the top of `lib.rs`.
    pub imports: BTreeSet<(String, String)>,
    /// The target's SIMD kernel family, which takes over some calls (`None`: generic).
    pub family: Option<&'static super::family::Family>,
}

impl Uses {
    fn function(&mut self, module: &'static str, name: &str) -> TokenStream {
        let module = super::family::route(self.family, module, name);
        self.roots.insert(name.to_string());
        self.roots.insert(module.to_string());
        let (m, f) = (format_ident!("{module}"), format_ident!("{name}"));
        quote!(kernels::#m::#f)
    }

    /// Prints a parameter value as a Rust expression and records the types it names.
    fn literal<T: Debug>(&mut self, value: &T) -> Result<TokenStream> {
        let text = format!("{value:?}");
        let mut word = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_alphanumeric() || c == '_' {
                word.push(c);
            } else {
                if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                    if let Some(module) = type_module(&word) {
                        self.imports.insert((module.to_string(), word.clone()));
                        self.roots.insert(word.clone());
                    }
                }
                word.clear();
            }
        }
        let expr: syn::Expr = syn::parse_str(&text)
            .map_err(|e| Error::internal(format!("kernel parameters do not print as Rust ({e}): {text}")))?;
        Ok(quote!(#expr))
    }

    /// The type name of a parameter struct (the first word of its Debug output).
    fn type_of<T: Debug>(&mut self, value: &T) -> Result<TokenStream> {
        let text = format!("{value:?}");
        let name = text.split([' ', '{', '(']).next().unwrap_or_default().to_string();
        let ident = syn::parse_str::<syn::Ident>(&name).map_err(|e| Error::internal(format!("bad parameter type {name}: {e}")))?;
        Ok(quote!(#ident))
    }
}

/// A typed slice expression for one kernel argument.
pub struct Arg {
    pub expr: TokenStream,
}

/// A scalar of a constant tensor as a literal.
pub fn scalar_literal(t: &Tensor) -> Result<TokenStream> {
    let text = crate::with_data!(&t.data, v => v.first().map(|x| format!("{x:?}")));
    let text = text.ok_or_else(|| Error::invalid("empty scalar"))?;
    let text = match (t.dtype(), text.as_str()) {
        (DType::F32, "NaN") => "f32::NAN".to_string(),
        (DType::F32, "inf") => "f32::INFINITY".to_string(),
        (DType::F32, "-inf") => "f32::NEG_INFINITY".to_string(),
        (DType::F64, "NaN") => "f64::NAN".to_string(),
        (DType::F64, "inf") => "f64::INFINITY".to_string(),
        (DType::F64, "-inf") => "f64::NEG_INFINITY".to_string(),
        (d, v) => format!("{v}{}", d.rust_type()),
    };
    let expr: syn::Expr = syn::parse_str(&text).map_err(|e| Error::internal(format!("scalar {text}: {e}")))?;
    Ok(quote!(#expr))
}

/// The statements of one step: parameter constants and the kernel call(s).
pub fn emit(lowered: &Lowered, inputs: &[Option<Arg>], outputs: &[Arg], uses: &mut Uses) -> Result<TokenStream> {
    let present: Vec<&TokenStream> = inputs.iter().flatten().map(|a| &a.expr).collect();
    let input = |i: usize| -> Result<&TokenStream> {
        present.get(i).copied().ok_or_else(|| Error::internal(format!("kernel input {i} missing")))
    };
    let optional = |slot: usize| -> TokenStream {
        match inputs.get(slot).and_then(Option::as_ref) {
            Some(a) => {
                let e = &a.expr;
                quote!(Some(#e))
            }
            None => quote!(None),
        }
    };
    let y = &outputs.first().ok_or_else(|| Error::internal("kernel without outputs"))?.expr;
    macro_rules! with_params {
        ($p:expr, |$call:ident| $body:expr) => {{
            let ty = uses.type_of($p)?;
            let lit = uses.literal($p)?;
            let $call = $body;
            quote! {
                const P: #ty = #lit;
                #$call
            }
        }};
    }
    Ok(match &lowered.kernel {
        Kernel::Index(k) => index::emit(k, inputs, outputs, uses)?,
        Kernel::Nn(k) => nn::emit(k, lowered.dtype, inputs, outputs, uses)?,
        Kernel::Quant(k) => quant::emit(k, lowered.dtype, inputs, outputs, uses)?,
        Kernel::Vision(k) => vision::emit(k, inputs, outputs, uses)?,
        Kernel::Signal(k) => signal::emit(k, inputs, outputs, uses)?,
        Kernel::View => quote!(),
        Kernel::Copy => {
            let f = uses.function("movement", "copy");
            let x = input(0)?;
            quote!(#f(#x, #y);)
        }
        Kernel::Conv2d(p) => {
            let f = uses.function("conv", "conv2d");
            let (x, w, b) = (input(0)?, input(1)?, optional(2));
            with_params!(p, |call| quote!(#f(&P, #x, #w, #b, #y);))
        }
        Kernel::ConvNhwc { params: p, .. } => {
            let f = uses.function("conv_nhwc", "conv2d_nhwc");
            let (x, w, b, r) = (input(0)?, input(1)?, optional(2), optional(3));
            with_params!(p, |call| quote!(#f(&P, #x, #w, #b, #r, #y);))
        }
        Kernel::Winograd { params: p, .. } => {
            let f = uses.function("winograd", "winograd_conv");
            let (x, u, b, r) = (input(0)?, input(1)?, optional(2), optional(3));
            let scratch = &outputs.get(1).ok_or_else(|| Error::internal("Winograd convolution without its scratch"))?.expr;
            with_params!(p, |call| quote!(#f(&P, #x, #u, #b, #r, #scratch, #y);))
        }
        Kernel::DepthwiseBlock { params: p, .. } => {
            let f = uses.function("depthwise_block", "depthwise_block");
            let slot = |i: usize| inputs.get(i).and_then(Option::as_ref).map(|a| &a.expr);
            let step = |w: usize, b: usize| match slot(w) {
                Some(w) => {
                    let b = optional(b);
                    quote!(Some((#w, #b)))
                }
                None => quote!(None),
            };
            let x = slot(0).ok_or_else(|| Error::internal("depthwise block without its input"))?;
            let w_d = slot(3).ok_or_else(|| Error::internal("depthwise block without depthwise weights"))?;
            let (expand, b_d, project, r) = (step(1, 2), optional(4), step(5, 6), optional(7));
            let band = &outputs.get(1).ok_or_else(|| Error::internal("depthwise block without its band"))?.expr;
            with_params!(p, |call| quote!(#f(&P, #x, #expand, #w_d, #b_d, #project, #r, #band, #y);))
        }
        Kernel::PoolNhwc(kind, p) => {
            let f = uses.function("pool_nhwc", if *kind == PoolKind::Max { "max_pool2d_nhwc" } else { "avg_pool2d_nhwc" });
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::GlobalPoolNhwc(kind, p) => {
            let f = uses.function("pool_nhwc", if *kind == PoolKind::Max { "global_max_pool_nhwc" } else { "global_avg_pool_nhwc" });
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::ConvTranspose2d(p) => {
            let f = uses.function("conv_transpose", "conv_transpose2d");
            let (x, w, b) = (input(0)?, input(1)?, optional(2));
            with_params!(p, |call| quote!(#f(&P, #x, #w, #b, #y);))
        }
        Kernel::Gemm(p) if lowered.dtype != DType::F32 => {
            let f = uses.function("float_linalg", "gemm_float");
            let kind = uses.literal(&crate::lower::nn::float_kind(lowered.dtype)?)?;
            let (a, b, c) = (input(0)?, input(1)?, optional(2));
            with_params!(p, |call| quote!(#f(&P, #kind, #a, #b, #c, #y);))
        }
        Kernel::MatMul(p) if lowered.dtype != DType::F32 => {
            let f = uses.function("float_linalg", "matmul_float");
            let kind = uses.literal(&crate::lower::nn::float_kind(lowered.dtype)?)?;
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(&P, #kind, #a, #b, #y);))
        }
        Kernel::Softmax(p) if lowered.dtype != DType::F32 => {
            let f = uses.function("float_linalg", "softmax_float");
            let kind = uses.literal(&crate::lower::nn::float_kind(lowered.dtype)?)?;
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #kind, #x, #y);))
        }
        Kernel::Gemm(p) => {
            let f = uses.function("gemm", "gemm");
            let (a, b, c) = (input(0)?, input(1)?, optional(2));
            with_params!(p, |call| quote!(#f(&P, #a, #b, #c, #y);))
        }
        Kernel::MatMul(p) => {
            let f = uses.function("gemm", "matmul");
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(&P, #a, #b, #y);))
        }
        Kernel::Unary(act) => {
            let (module, name) = typed::unary_kernel(lowered.dtype);
            let f = uses.function(module, name);
            let act = if lowered.dtype.is_int() {
                let op = typed::number_unary(*act)
                    .ok_or_else(|| Error::internal(format!("{act:?} has no integer form")))?;
                uses.literal(&op)?
            } else {
                uses.literal(act)?
            };
            let x = input(0)?;
            quote!(#f(#act, #x, #y);)
        }
        Kernel::Binary(op, p) => {
            let (module, name) = typed::binary_kernel(lowered.dtype);
            let f = uses.function(module, name);
            let op = uses.literal(op)?;
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(#op, &P, #a, #b, #y);))
        }
        Kernel::Variadic { op, mean, parts } => {
            let f = uses.function("half", "accumulate");
            let op = uses.literal(op)?;
            let mut body = TokenStream::new();
            for (i, (p, x)) in parts.iter().zip(&present).enumerate() {
                let ty = uses.type_of(p)?;
                let lit = uses.literal(p)?;
                let name = format_ident!("PART_{i}");
                let first = i == 0;
                body.extend(quote! {
                    const #name: #ty = #lit;
                    #f(#op, &#name, #x, #y, #first);
                });
            }
            if *mean {
                let d = uses.function("half", "divide_by");
                let n = parts.len();
                body.extend(quote!(#d(#n, #y);));
            }
            body
        }
        Kernel::BitCast => {
            let f = uses.function("half", "bitcast");
            let x = input(0)?;
            quote!(#f(#x, #y);)
        }
        Kernel::Classify(c) => {
            let name = match lowered.dtype {
                DType::F16 => "classify_f16",
                DType::BF16 => "classify_bf16",
                _ => "classify",
            };
            let f = uses.function("half", name);
            let c = uses.literal(c)?;
            let x = input(0)?;
            quote!(#f(#c, #x, #y);)
        }
        Kernel::PowMixed(p) => {
            let f = uses.function("half", "pow_mixed");
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(&P, #a, #b, #y);))
        }
        Kernel::Compare(op, p) => {
            let (module, name) = typed::compare_kernel(lowered.dtype);
            let f = uses.function(module, name);
            let op = uses.literal(op)?;
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(#op, &P, #a, #b, #y);))
        }
        Kernel::Logic(op, p) => {
            let f = uses.function("elementwise", "logic");
            let op = uses.literal(op)?;
            let (a, b) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(#op, &P, #a, #b, #y);))
        }
        Kernel::Not => {
            let f = uses.function("elementwise", "not");
            let x = input(0)?;
            quote!(#f(#x, #y);)
        }
        Kernel::Where(p) => {
            let f = uses.function("elementwise", "select");
            let (c, a, b) = (input(0)?, input(1)?, input(2)?);
            with_params!(p, |call| quote!(#f(&P, #c, #a, #b, #y);))
        }
        Kernel::Softmax(p) => {
            let f = uses.function("softmax", "softmax");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::MaxPool(p) | Kernel::AvgPool(p) => {
            let name = if matches!(lowered.kernel, Kernel::MaxPool(_)) { "max_pool2d" } else { "avg_pool2d" };
            let f = uses.function("pool", name);
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::GlobalAvgPool(p) | Kernel::GlobalMaxPool(p) => {
            let name = if matches!(lowered.kernel, Kernel::GlobalMaxPool(_)) { "global_max_pool" } else { "global_avg_pool" };
            let f = uses.function("pool", name);
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::BatchNorm(p) => {
            let f = uses.function("norm", "batch_norm");
            let (x, s, b, m, v) = (input(0)?, input(1)?, input(2)?, input(3)?, input(4)?);
            with_params!(p, |call| quote!(#f(&P, #x, #s, #b, #m, #v, #y);))
        }
        Kernel::LayerNorm(p) => {
            let f = uses.function("norm", "layer_norm");
            let (x, s, b) = (input(0)?, input(1)?, optional(2));
            let stats = if outputs.len() > 1 {
                let g = uses.function("norm", "layer_norm_stats");
                let out = |i: usize| outputs.get(i).map(|a| { let e = &a.expr; quote!(Some(#e)) }).unwrap_or(quote!(None));
                let (m, s) = (out(1), out(2));
                quote!(#g(&P, #x, #m, #s);)
            } else {
                quote!()
            };
            with_params!(p, |call| quote!(#f(&P, #x, #s, #b, #y); #stats))
        }
        Kernel::InstanceNorm(p) => {
            let f = uses.function("norm", "instance_norm");
            let (x, s, b) = (input(0)?, input(1)?, input(2)?);
            with_params!(p, |call| quote!(#f(&P, #x, #s, #b, #y);))
        }
        Kernel::Transpose(p) => {
            let f = uses.function("movement", "transpose");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::Concat(parts) => {
            let f = uses.function("movement", "copy_blocks");
            let mut body = TokenStream::new();
            for (i, (p, x)) in parts.iter().zip(&present).enumerate() {
                let ty = uses.type_of(p)?;
                let lit = uses.literal(p)?;
                let name = format_ident!("PART_{i}");
                body.extend(quote! {
                    const #name: #ty = #lit;
                    #f(&#name, #x, #y);
                });
            }
            body
        }
        Kernel::Split(parts) => {
            let f = uses.function("movement", "copy_blocks");
            let x = input(0)?;
            let mut body = TokenStream::new();
            for (i, (p, out)) in parts.iter().zip(outputs).enumerate() {
                let ty = uses.type_of(p)?;
                let lit = uses.literal(p)?;
                let name = format_ident!("PART_{i}");
                let o = &out.expr;
                body.extend(quote! {
                    const #name: #ty = #lit;
                    #f(&#name, #x, #o);
                });
            }
            body
        }
        Kernel::Slice(p) => {
            let f = uses.function("movement", "slice");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::Gather(p) => {
            let f = uses.function("movement", "gather");
            let (x, i) = (input(0)?, input(1)?);
            with_params!(p, |call| quote!(#f(&P, #x, #i, #y);))
        }
        Kernel::Pad(p, value) => {
            let f = uses.function("movement", "pad");
            let x = input(0)?;
            let v = scalar_literal(value)?;
            with_params!(p, |call| quote!(#f(&P, #x, #v, #y);))
        }
        Kernel::Fill(value) => {
            let f = uses.function("movement", "fill");
            let v = scalar_literal(value)?;
            quote!(#f(#v, #y);)
        }
        Kernel::Resize(p) => {
            let f = uses.function("resize", "resize");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::Reduce(op, p) if matches!(lowered.dtype, DType::F16 | DType::BF16) => {
            let f = uses.function("float_linalg", "reduce_half");
            let kind = uses.literal(&crate::lower::nn::float_kind(lowered.dtype)?)?;
            let op = uses.literal(op)?;
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(#op, &P, #kind, #x, #y);))
        }
        Kernel::Reduce(op, p) => {
            let name = if lowered.dtype == DType::F32 { "reduce_f32" } else { "reduce" };
            let f = uses.function("reduce", name);
            let op = uses.literal(op)?;
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(#op, &P, #x, #y);))
        }
        Kernel::Cast { from, to } => {
            let (module, name) = typed::cast_kernel(*from, *to);
            let f = uses.function(module, name);
            let x = input(0)?;
            quote!(#f(#x, #y);)
        }
        Kernel::Expand(p) => {
            let f = uses.function("movement", "expand");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
        Kernel::Tile(p) => {
            let f = uses.function("movement", "tile");
            let x = input(0)?;
            with_params!(p, |call| quote!(#f(&P, #x, #y);))
        }
    })
}
