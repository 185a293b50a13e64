//! The generated `src/lib.rs`: constants, the arena type, the weights view and `run`.

use super::kernel_call::{self, Arg, Uses};
use super::names::{screaming, Namer};
use super::report;
use crate::error::{Error, Result};
use crate::ir::{Graph, ValueInfo, ValueRef};
use crate::plan::{Plan, Storage};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use std::collections::BTreeMap;

/// Whether the model is a crate of its own or a module of a crate that provides `kernels`
/// and `rt` (and `runner` for the command-line adapter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Crate,
    Module,
}

/// The Rust-facing description of one model input or output.
pub struct Port {
    pub name: String,
    pub ident: String,
    pub info: ValueInfo,
}

/// Inputs and outputs of the model as `run` parameters, in model order.
pub fn ports(graph: &Graph) -> (Vec<Port>, Vec<Port>) {
    // `run`'s parameters must not shadow the names its body uses.
    let mut namer = Namer::avoiding(["arena", "weight", "kernels", "rt", "run"]);
    let inputs = graph
        .inputs
        .iter()
        .map(|&n| {
            let info = graph.node(n).outputs[0].clone();
            Port { ident: namer.fresh(&info.name), name: info.name.clone(), info }
        })
        .collect();
    let outputs = graph
        .outputs
        .iter()
        .map(|o| {
            let mut info = graph.value(o.value).clone();
            info.name.clone_from(&o.name);
            Port { ident: namer.fresh(&o.name), name: o.name.clone(), info }
        })
        .collect();
    (inputs, outputs)
}

/// An unsuffixed integer literal (`784`, not `784usize`).
fn num(n: usize) -> proc_macro2::Literal {
    proc_macro2::Literal::usize_unsuffixed(n)
}

fn rust_type(info: &ValueInfo) -> TokenStream {
    let t = format_ident!("{}", info.dtype.rust_type());
    quote!(#t)
}

/// A zero literal of the value's element type (`0f32`, `0u16`, …).
fn typed_zero(info: &ValueInfo) -> TokenStream {
    let lit: proc_macro2::Literal = format!("0{}", info.dtype.rust_type()).parse().unwrap_or_else(|_| proc_macro2::Literal::u8_suffixed(0));
    quote!(#lit)
}

/// Marks a line that becomes a `//` comment after printing (prettyplease drops comments).
pub fn comment(text: &str) -> TokenStream {
    let clean: String = text.chars().map(|c| if c == '"' || c == '\\' || c.is_control() { '\'' } else { c }).collect();
    quote!(__comment!(#clean);)
}

/// Builds `lib.rs` as tokens (printed and post-processed by the caller).
pub fn lib_rs(graph: &Graph, plan: &Plan, header: &str, layout: Layout, uses: &mut Uses) -> Result<TokenStream> {
    let (inputs, outputs) = ports(graph);
    let arena_bytes = num(plan.arena_bytes);
    let weights_bytes = num(plan.weights.bytes.len());

    let mut consts = TokenStream::new();
    for (kind, ports) in [("input", &inputs), ("output", &outputs)] {
        for p in ports.iter() {
            let base = screaming(&p.ident);
            let shape_ident = format_ident!("{base}_SHAPE");
            let len_ident = format_ident!("{base}_LEN");
            let dims: Vec<_> = p.info.shape.iter().map(|&d| num(d)).collect();
            let rank = num(dims.len());
            let len = num(p.info.elements());
            let doc = format!(" Shape of {kind} `{}` ({}).", p.name, p.info.dtype);
            let doc_len = format!(" Elements of {kind} `{}`.", p.name);
            consts.extend(quote! {
                #[doc = #doc]
                pub const #shape_ident: [usize; #rank] = [#(#dims),*];
                #[doc = #doc_len]
                pub const #len_ident: usize = #len;
            });
        }
    }
    let input_names: Vec<&str> = inputs.iter().map(|p| p.name.as_str()).collect();
    let output_names: Vec<&str> = outputs.iter().map(|p| p.name.as_str()).collect();
    let (n_in, n_out) = (num(inputs.len()), num(outputs.len()));

    // Parameters of `run`.
    let mut params = Vec::new();
    for p in &inputs {
        let (id, t, len) = (format_ident!("{}", p.ident), rust_type(&p.info), num(p.info.elements()));
        params.push(quote!(#id: &[#t; #len]));
    }
    for p in &outputs {
        let (id, t, len) = (format_ident!("{}", p.ident), rust_type(&p.info), num(p.info.elements()));
        params.push(quote!(#id: &mut [#t; #len]));
    }

    let mut body = TokenStream::new();
    let mut layer_fns = TokenStream::new();
    let kernel_steps = plan.steps.iter().filter(|s| s.lowered.kernel != crate::lower::Kernel::View).count();
    let mut fn_namer = (kernel_steps > LAYER_FUNCTIONS_ABOVE).then(|| Namer::avoiding(["run", "weight", "main"]));
    for step in &plan.steps {
        let node = graph.node(step.node);
        let block = step_block(graph, plan, step, &node.name, &inputs, &outputs, uses)?;
        body.extend(place_block(block, &format!("layer_{}", node.name), &inputs, &outputs, fn_namer.as_mut(), &mut layer_fns));
    }
    for copy in &plan.copies {
        let src = graph.value(copy.from);
        let dst = &outputs[copy.output];
        let lowered = crate::lower::Lowered { kernel: crate::lower::Kernel::Copy, dtype: src.dtype };
        let mut regions = Regions::new(&inputs, &outputs);
        let x = regions.read(plan.storage_of(copy.from)?, src, &inputs, &outputs)?;
        let y = Arg { expr: { let id = format_ident!("{}", dst.ident); quote!(#id.as_mut_slice()) } };
        let call = kernel_call::emit(&lowered, &[Some(x)], &[y], uses)?;
        let split = regions.split();
        let note = comment(&format!("model output '{}' is a copy of '{}'", dst.name, src.name));
        body.extend(quote!({ #note #split #call }));
    }

    // A model without activations or without weights leaves `arena` or `weight` unused; the
    // crate must still build without warnings.
    let uses_arena = mentions(&body, "arena");
    let arena_unused = if uses_arena { quote!() } else { quote!(let _ = arena;) };
    let arena_bytes_fn = if uses_arena {
        quote! {
            fn bytes(&mut self) -> &mut [u8] {
                &mut self.0 .0
            }
        }
    } else {
        quote!()
    };
    let uses_weights = mentions(&body, "weight") || mentions(&layer_fns, "weight");
    let too_many = if params.len() > 7 { quote!(#[allow(clippy::too_many_arguments)]) } else { quote!() };
    let run_doc = format!(
        " Runs {}: reads the inputs, writes every output. Uses only `arena` as scratch memory.",
        graph.name
    );
    let imports: Vec<TokenStream> = uses
        .imports
        .iter()
        .map(|(m, t)| {
            let (m, t) = (format_ident!("{m}"), format_ident!("{t}"));
            quote!(use kernels::#m::#t;)
        })
        .collect();
    let header_lines: Vec<TokenStream> = header.lines().map(|l| { let l = format!(" {l}"); quote!(#![doc = #l]) }).collect();
    let _ = report::macs;
    // A crate root owns the kernels and the runtime; a module borrows its crate's.
    let (preamble, weights_path, smoke_test) = match layout {
        Layout::Crate => (
            quote! {
                #![no_std]
                #![deny(unsafe_op_in_unsafe_fn)]
                #![deny(clippy::indexing_slicing, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

                /// The kernels this model uses (shared sources: public so that unused variants of
                /// their parameter enums are not dead code).
                #[doc(hidden)]
                pub mod kernels;
                /// Runtime support: `no_std` math and typed views of the arena and weights.
                #[doc(hidden)]
                pub mod rt;
            },
            "../weights.bin",
            smoke_test(&inputs, &outputs),
        ),
        Layout::Module => (
            quote! {
                #![deny(clippy::indexing_slicing, clippy::panic, clippy::unwrap_used, clippy::expect_used)]

                use crate::{kernels, rt};
            },
            "weights.bin",
            TokenStream::new(),
        ),
    };
    let weights_items = if uses_weights {
        quote! {
            #[cfg(target_endian = "big")]
            compile_error!("weights.bin is little-endian; this crate supports little-endian targets only");

            /// The weights blob, aligned so tensors can be viewed in place.
            static WEIGHTS: &rt::view::Aligned<[u8]> = &rt::view::Aligned(*include_bytes!(#weights_path));

            /// `len` bytes of weights at `offset`, viewed as `T`s.
            fn weight<T: rt::view::Element>(offset: usize, len: usize) -> &'static [T] {
                rt::view::cast(WEIGHTS.0.get(offset..offset + len).unwrap_or_default())
            }
        }
    } else {
        quote!()
    };
    Ok(quote! {
        #(#header_lines)*
        #preamble

        #(#imports)*

        /// Bytes of activation memory `run` needs.
        pub const ARENA_BYTES: usize = #arena_bytes;
        /// Bytes of constant weights (in flash, inside the binary).
        pub const WEIGHTS_BYTES: usize = #weights_bytes;
        /// Model input names, in the order `run` takes them.
        pub const INPUT_NAMES: [&str; #n_in] = [#(#input_names),*];
        /// Model output names, in the order `run` takes them.
        pub const OUTPUT_NAMES: [&str; #n_out] = [#(#output_names),*];
        #consts

        /// Activation memory for [`run`]. Place it anywhere: a `static`, the stack, a linker
        /// section. Its contents between calls do not matter.
        pub struct Arena(rt::view::Aligned<[u8; ARENA_BYTES]>);

        impl Arena {
            /// A zeroed arena; `const`, so it can initialize a `static`.
            pub const fn new() -> Arena {
                Arena(rt::view::Aligned([0; ARENA_BYTES]))
            }

            #arena_bytes_fn
        }

        impl Default for Arena {
            fn default() -> Arena {
                Arena::new()
            }
        }

        #weights_items

        #[doc = #run_doc]
        #too_many
        pub fn run(arena: &mut Arena, #(#params),*) {
            #arena_unused
            #body
        }

        #layer_fns

        #smoke_test
    })
}

/// True when `tokens` use the identifier `name` anywhere (groups included).
fn mentions(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        proc_macro2::TokenTree::Ident(id) => id == name,
        proc_macro2::TokenTree::Group(g) => mentions(&g.stream(), name),
        _ => false,
    })
}

/// A test in the generated crate: `run` on all-zero inputs finishes and gives finite float
/// outputs. Cheap, and under `cargo miri test` it checks the whole model for undefined behaviour.
fn smoke_test(inputs: &[Port], outputs: &[Port]) -> TokenStream {
    let mut decls = TokenStream::new();
    let mut args = Vec::new();
    let mut checks = TokenStream::new();
    for p in inputs {
        let (id, zero, len) = (format_ident!("{}", p.ident), typed_zero(&p.info), num(p.info.elements()));
        decls.extend(quote!(let #id = vec![#zero; #len].into_boxed_slice();));
        args.push(quote!((&*#id).try_into().expect("sized from the constants")));
    }
    for p in outputs {
        let (id, zero, len) = (format_ident!("{}", p.ident), typed_zero(&p.info), num(p.info.elements()));
        decls.extend(quote!(let mut #id = vec![#zero; #len].into_boxed_slice();));
        args.push(quote!((&mut *#id).try_into().expect("sized from the constants")));
        if p.info.dtype.is_float() && p.info.dtype == crate::ir::DType::F32 {
            let msg = format!("output {} has a non-finite value", p.name);
            checks.extend(quote!(assert!(#id.iter().all(|v| v.is_finite()), #msg);));
        }
    }
    quote! {
        #[cfg(test)]
        #[allow(clippy::expect_used)]
        mod tests {
            extern crate std;
            use super::*;
            use std::boxed::Box;
            use std::vec;

            #[test]
            fn runs_on_zero_inputs() {
                // The arena lives on the stack: give the test thread room for it.
                let worker = std::thread::Builder::new().stack_size(2 * ARENA_BYTES + (8 << 20)).spawn(|| {
                    let mut arena = Box::new(Arena::new());
                    #decls
                    run(&mut arena, #(#args),*);
                    #checks
                });
                worker.expect("spawn").join().expect("run finished");
            }
        }
    }
}

/// Arena regions one step touches, deduplicated, bound to names for `rt::view::split`.
#[derive(Default)]
struct Regions {
    namer: Namer,
    /// Ports of `run` the block uses: (is output, index) → written.
    ports: BTreeMap<(bool, usize), bool>,
    /// (offset, bytes) → binding name.
    bound: BTreeMap<(usize, usize), String>,
    order: Vec<(usize, usize)>,
}

impl Regions {
    /// Regions of one layer block: their names must not shadow `run`'s parameters (a model
    /// output may share its name with the arena value it copies), nor the names `run` uses.
    fn new(inputs: &[Port], outputs: &[Port]) -> Regions {
        let params = inputs.iter().chain(outputs).map(|p| p.ident.as_str());
        Regions { namer: Namer::avoiding(params.chain(["arena", "weight", "kernels", "rt"])), ..Regions::default() }
    }

    fn bind(&mut self, offset: usize, bytes: usize, name: &str) -> proc_macro2::Ident {
        let key = (offset, bytes);
        if !self.bound.contains_key(&key) {
            let id = self.namer.fresh(name);
            self.bound.insert(key, id);
            self.order.push(key);
        }
        format_ident!("{}", self.bound[&key])
    }

    fn read(&mut self, s: Storage, info: &ValueInfo, inputs: &[Port], outputs: &[Port]) -> Result<Arg> {
        let t = rust_type(info);
        let expr = match s {
            Storage::Input(i) => {
                let id = format_ident!("{}", inputs.get(i).ok_or_else(|| Error::internal("bad input index"))?.ident);
                self.ports.entry((false, i)).or_insert(false);
                quote!(#id.as_slice())
            }
            Storage::Output(i) => {
                let id = format_ident!("{}", outputs.get(i).ok_or_else(|| Error::internal("bad output index"))?.ident);
                self.ports.entry((true, i)).or_insert(false);
                quote!(#id.as_slice())
            }
            Storage::Weight { offset, bytes } => {
                let (offset, bytes) = (num(offset), num(bytes));
                quote!(weight::<#t>(#offset, #bytes))
            }
            // Empty values all sit at one offset: each gets its own empty slice instead of
            // a shared (aliased) region.
            Storage::Arena { bytes: 0, .. } => quote!(&[] as &[#t]),
            Storage::Arena { offset, bytes } => {
                let id = self.bind(offset, bytes, &info.name);
                quote!(rt::view::cast::<#t>(#id))
            }
        };
        Ok(Arg { expr })
    }

    fn write(&mut self, s: Storage, info: &ValueInfo, outputs: &[Port]) -> Result<Arg> {
        let t = rust_type(info);
        let expr = match s {
            Storage::Output(i) => {
                let id = format_ident!("{}", outputs.get(i).ok_or_else(|| Error::internal("bad output index"))?.ident);
                self.ports.insert((true, i), true);
                quote!(#id.as_mut_slice())
            }
            Storage::Arena { bytes: 0, .. } => quote!(&mut [] as &mut [#t]),
            Storage::Arena { offset, bytes } => {
                let id = self.bind(offset, bytes, &info.name);
                quote!(rt::view::cast_mut::<#t>(#id))
            }
            other => return Err(Error::internal(format!("cannot write to {other:?}"))),
        };
        Ok(Arg { expr })
    }

    fn split(&self) -> TokenStream {
        if self.order.is_empty() {
            return quote!();
        }
        let names: Vec<_> = self.order.iter().map(|k| format_ident!("{}", self.bound[k])).collect();
        let ranges: Vec<_> = self.order.iter().map(|&(o, b)| {
            let (o, b) = (num(o), num(b));
            quote!((#o, #b))
        }).collect();
        quote!(let [#(#names),*] = rt::view::split(arena.bytes(), [#(#ranges),*]);)
    }
}

fn step_block(
    graph: &Graph,
    plan: &Plan,
    step: &crate::plan::Step,
    name: &str,
    inputs: &[Port],
    outputs: &[Port],
    uses: &mut Uses,
) -> Result<Block> {
    let node = graph.node(step.node);
    let note = comment(&report::layer_comment(graph, step.node));
    if step.lowered.kernel == crate::lower::Kernel::View {
        return Ok(Block { note, code: None, ports: BTreeMap::new(), uses_arena: false });
    }
    let mut regions = Regions::new(inputs, outputs);
    let mut args = Vec::new();
    for v in &step.inputs {
        args.push(match v {
            Some(v) => Some(regions.read(plan.storage_of(*v)?, graph.value(*v), inputs, outputs)?),
            None => None,
        });
    }
    let mut outs = Vec::new();
    for (slot, v) in step.outputs.iter().enumerate() {
        let _: &ValueRef = v;
        outs.push(regions.write(plan.storage_of(*v)?, &node.outputs[slot], outputs)?);
    }
    let call = kernel_call::emit(&step.lowered, &args, &outs, uses).map_err(|e| e.context(format!("node '{name}'")))?;
    let split = regions.split();
    let uses_arena = !regions.order.is_empty();
    Ok(Block { note, code: Some(quote!(#split #call)), ports: regions.ports, uses_arena })
}

/// One layer's code: its comment, its statements (none for a view) and the ports of `run` it
/// uses.
struct Block {
    note: TokenStream,
    code: Option<TokenStream>,
    ports: BTreeMap<(bool, usize), bool>,
    uses_arena: bool,
}

/// Models with more layers than this get one function per layer: LLVM's time on a single
/// function grows faster than linearly, and `run` inlines every kernel (a 675-layer DenseNet
/// took minutes to build as one function).
const LAYER_FUNCTIONS_ABOVE: usize = 64;

/// The block as statements of `run` (small models), or as a call of a layer function that it
/// adds to `fns`.
fn place_block(block: Block, name: &str, inputs: &[Port], outputs: &[Port], fn_namer: Option<&mut Namer>, fns: &mut TokenStream) -> TokenStream {
    let Block { note, code, ports, uses_arena } = block;
    let Some(code) = code else { return note };
    let Some(namer) = fn_namer else { return quote!({ #note #code }) };
    let f = format_ident!("{}", namer.fresh(name));
    let (mut params, mut args) = (Vec::new(), Vec::new());
    if uses_arena {
        params.push(quote!(arena: &mut Arena));
        args.push(quote!(arena));
    }
    for (&(is_output, i), &written) in &ports {
        let p = if is_output { &outputs[i] } else { &inputs[i] };
        let (id, t, len) = (format_ident!("{}", p.ident), rust_type(&p.info), num(p.info.elements()));
        params.push(if written { quote!(#id: &mut [#t; #len]) } else { quote!(#id: &[#t; #len]) });
        args.push(quote!(#id));
    }
    let too_many = if params.len() > 7 { quote!(#[allow(clippy::too_many_arguments)]) } else { quote!() };
    fns.extend(quote! {
        #[inline(never)]
        #too_many
        fn #f(#(#params),*) { #note #code }
    });
    quote!(#f(#(#args),*);)
}
