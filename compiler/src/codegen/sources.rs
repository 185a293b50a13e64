//! Kernel and runtime sources embedded in onnxc, and trimming them to what a model uses.
//!
//! Generated crates get copies of `codegen-templates` and `runtime-min` files, cut down to the
//! items reachable from the kernels the model calls. Trimming works on the original text
//! (item line ranges from `syn` spans), so comments, `// SAFETY:` notes and formatting survive.

use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, OnceLock};
use syn::spanned::Spanned;

/// One embedded source file: where it goes in the generated crate and its text.
pub struct Source {
    /// Module name (`conv`, `math`, …).
    pub module: &'static str,
    pub text: &'static str,
}

/// The `generic` kernel families, as `kernels/<module>.rs` in generated crates.
pub const GENERIC_KERNELS: &[Source] = &[
    Source { module: "activation", text: include_str!("../../../codegen-templates/src/generic/activation.rs") },
    Source { module: "attention", text: include_str!("../../../codegen-templates/src/generic/attention.rs") },
    Source { module: "conv", text: include_str!("../../../codegen-templates/src/generic/conv.rs") },
    Source { module: "conv_direct", text: include_str!("../../../codegen-templates/src/generic/conv_direct.rs") },
    Source { module: "conv_nd", text: include_str!("../../../codegen-templates/src/generic/conv_nd.rs") },
    Source { module: "conv_nhwc", text: include_str!("../../../codegen-templates/src/generic/conv_nhwc.rs") },
    Source { module: "conv_transpose", text: include_str!("../../../codegen-templates/src/generic/conv_transpose.rs") },
    Source { module: "depthwise_block", text: include_str!("../../../codegen-templates/src/generic/depthwise_block.rs") },
    Source { module: "einsum", text: include_str!("../../../codegen-templates/src/generic/einsum.rs") },
    Source { module: "elementwise", text: include_str!("../../../codegen-templates/src/generic/elementwise.rs") },
    Source { module: "float_linalg", text: include_str!("../../../codegen-templates/src/generic/float_linalg.rs") },
    Source { module: "gemm", text: include_str!("../../../codegen-templates/src/generic/gemm.rs") },
    Source { module: "index", text: include_str!("../../../codegen-templates/src/generic/index.rs") },
    Source { module: "linalg", text: include_str!("../../../codegen-templates/src/generic/linalg.rs") },
    Source { module: "linear_attention", text: include_str!("../../../codegen-templates/src/generic/linear_attention.rs") },
    Source { module: "half", text: include_str!("../../../codegen-templates/src/generic/half.rs") },
    Source { module: "movement", text: include_str!("../../../codegen-templates/src/generic/movement.rs") },
    Source { module: "norm", text: include_str!("../../../codegen-templates/src/generic/norm.rs") },
    Source { module: "normalize", text: include_str!("../../../codegen-templates/src/generic/normalize.rs") },
    Source { module: "number", text: include_str!("../../../codegen-templates/src/generic/number.rs") },
    Source { module: "pool", text: include_str!("../../../codegen-templates/src/generic/pool.rs") },
    Source { module: "pool_nhwc", text: include_str!("../../../codegen-templates/src/generic/pool_nhwc.rs") },
    Source { module: "pool_nd", text: include_str!("../../../codegen-templates/src/generic/pool_nd.rs") },
    Source { module: "qlinear", text: include_str!("../../../codegen-templates/src/generic/qlinear.rs") },
    Source { module: "quant", text: include_str!("../../../codegen-templates/src/generic/quant.rs") },
    Source { module: "real", text: include_str!("../../../codegen-templates/src/generic/real.rs") },
    Source { module: "reduce", text: include_str!("../../../codegen-templates/src/generic/reduce.rs") },
    Source { module: "signal", text: include_str!("../../../codegen-templates/src/generic/signal.rs") },
    Source { module: "resize", text: include_str!("../../../codegen-templates/src/generic/resize.rs") },
    Source { module: "resize_taps", text: include_str!("../../../codegen-templates/src/generic/resize_taps.rs") },
    Source { module: "rnn", text: include_str!("../../../codegen-templates/src/generic/rnn.rs") },
    Source { module: "sample", text: include_str!("../../../codegen-templates/src/generic/sample.rs") },
    Source { module: "shape", text: include_str!("../../../codegen-templates/src/generic/shape.rs") },
    Source { module: "softmax", text: include_str!("../../../codegen-templates/src/generic/softmax.rs") },
    Source { module: "vision", text: include_str!("../../../codegen-templates/src/generic/vision.rs") },
    Source { module: "winograd", text: include_str!("../../../codegen-templates/src/generic/winograd.rs") },
    Source { module: "tfidf", text: include_str!("../../../codegen-templates/src/generic/tfidf.rs") },
];

/// The `no_std` runtime modules, as `rt/<module>.rs`.
pub const RUNTIME: &[Source] = &[
    Source { module: "math", text: include_str!("../../../runtime-min/src/math.rs") },
    Source { module: "view", text: include_str!("../../../runtime-min/src/view.rs") },
];

/// The `std` runner modules for the generated binary, as `runner/<module>.rs` (`runner.rs`
/// becomes `cli.rs` there, so the module is not named like its parent). They are copied whole,
/// so their unit tests come along: the `*_tests.rs` files their `#[cfg(test)]` modules load.
pub const RUNNER: &[Source] = &[
    Source { module: "npy", text: include_str!("../../../runtime-min/src/npy.rs") },
    Source { module: "npy_tests", text: include_str!("../../../runtime-min/src/npy_tests.rs") },
    Source { module: "cli", text: include_str!("../../../runtime-min/src/runner.rs") },
    Source { module: "runner_tests", text: include_str!("../../../runtime-min/src/runner_tests.rs") },
];

/// The module of `codegen-templates` that defines the public type `name`, if any.
pub fn type_module(name: &str) -> Option<&'static str> {
    GENERIC_KERNELS.iter().find_map(|s| {
        let defines = [format!("pub struct {name} "), format!("pub struct {name}<"), format!("pub enum {name} "), format!("pub trait {name}")]
            .iter()
            .any(|pat| s.text.contains(pat.as_str()));
        defines.then_some(s.module)
    })
}

/// A parsed source with each top-level item's name, text, and the identifiers it mentions.
struct ParsedFile {
    module: &'static str,
    header: String,
    items: Vec<ParsedItem>,
}

struct ParsedItem {
    /// Names the item defines (empty for items always kept with their owner, like impls).
    names: Vec<String>,
    /// For impl blocks: the self type and trait names, which decide whether it is kept.
    impl_of: Option<(String, Option<String>)>,
    text: String,
    mentions: BTreeSet<String>,
    is_use: bool,
    /// For inherent impls: the methods, kept one by one.
    methods: Vec<ParsedItem>,
    impl_head: String,
    /// For `use` items: each imported leaf as (path text, name it binds).
    use_leaves: Vec<(String, String)>,
    /// For item-level macro invocations (`impl_number!(f32, …);`): the macro's name.
    invokes: Option<String>,
}

fn use_leaves(tree: &syn::UseTree, prefix: &str, out: &mut Vec<(String, String)>) {
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, &format!("{prefix}{}::", p.ident), out),
        syn::UseTree::Name(n) => out.push((format!("{prefix}{}", n.ident), n.ident.to_string())),
        syn::UseTree::Rename(r) => out.push((format!("{prefix}{} as {}", r.ident, r.rename), r.rename.to_string())),
        syn::UseTree::Glob(_) => out.push((format!("{prefix}*"), "*".into())),
        syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_leaves(t, prefix, out)),
    }
}

fn idents(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => idents(g.stream(), out),
            _ => {}
        }
    }
}

/// The text of lines `[start, end]` (1-based) plus the comment lines right above `start`.
fn item_text(lines: &[&str], start: usize, end: usize) -> String {
    let mut first = start;
    while first > 1 && lines[first - 2].trim_start().starts_with("//") && !lines[first - 2].trim_start().starts_with("//!") {
        first -= 1;
    }
    let mut text = lines[first - 1..end.min(lines.len())].join("\n");
    text.push('\n');
    text
}

fn type_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default(),
        _ => String::new(),
    }
}

/// The parse of an embedded source, computed once per process: the sources never change, and
/// parsing them with syn dominates the time of compiling a small model.
fn parsed(source: &Source) -> Result<Arc<ParsedFile>> {
    // Keyed by the text's address too: families share module names (`x86/conv`, `neon/conv`).
    type Cache = Mutex<BTreeMap<(&'static str, usize), Arc<ParsedFile>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (source.module, source.text.as_ptr() as usize);
    if let Some(hit) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(hit);
    }
    let file = Arc::new(parse_file(source.module, source.text)?);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, Arc::clone(&file));
    }
    Ok(file)
}

fn parse_file(module: &'static str, text: &str) -> Result<ParsedFile> {
    let file = syn::parse_file(text).map_err(|e| Error::internal(format!("embedded source {module}.rs does not parse: {e}")))?;
    let lines: Vec<&str> = text.lines().collect();
    let header: String = lines.iter().take_while(|l| l.starts_with("//!") || l.trim().is_empty()).map(|l| format!("{l}\n")).collect();
    let mut items = Vec::new();
    for item in &file.items {
        let is_test = match item {
            syn::Item::Mod(m) => m.attrs.iter().any(|a| quote::quote!(#a).to_string().contains("test")),
            _ => false,
        };
        if is_test {
            continue;
        }
        let span = item.span();
        let (start, end) = (span.start().line, span.end().line);
        let mut mentions = BTreeSet::new();
        idents(quote::quote!(#item), &mut mentions);
        let text = item_text(&lines, start, end);
        let mut parsed = ParsedItem { names: vec![], impl_of: None, text, mentions, is_use: false, methods: vec![], impl_head: String::new(), use_leaves: vec![], invokes: None };
        match item {
            syn::Item::Fn(f) => parsed.names.push(f.sig.ident.to_string()),
            syn::Item::Struct(s) => parsed.names.push(s.ident.to_string()),
            syn::Item::Enum(e) => parsed.names.push(e.ident.to_string()),
            syn::Item::Const(c) => parsed.names.push(c.ident.to_string()),
            syn::Item::Static(s) => parsed.names.push(s.ident.to_string()),
            syn::Item::Trait(t) => parsed.names.push(t.ident.to_string()),
            syn::Item::Type(t) => parsed.names.push(t.ident.to_string()),
            syn::Item::Macro(m) => match &m.ident {
                Some(name) => parsed.names.push(name.to_string()),
                None => parsed.invokes = m.mac.path.segments.last().map(|s| s.ident.to_string()),
            },
            syn::Item::Mod(m) => parsed.names.push(m.ident.to_string()),
            syn::Item::Use(u) => {
                parsed.is_use = true;
                let vis = if matches!(u.vis, syn::Visibility::Inherited) { "" } else { "pub " };
                let mut leaves = Vec::new();
                use_leaves(&u.tree, "", &mut leaves);
                parsed.use_leaves = leaves.into_iter().map(|(p, n)| (format!("{vis}use {p};"), n)).collect();
            }
            syn::Item::Impl(i) => {
                let trait_name = i.trait_.as_ref().and_then(|(_, p, _)| p.segments.last().map(|s| s.ident.to_string()));
                parsed.impl_of = Some((type_name(&i.self_ty), trait_name.clone()));
                if trait_name.is_none() {
                    // Inherent impl: keep only the methods that are used.
                    let body_start = i.brace_token.span.open().start().line;
                    parsed.impl_head = lines[start - 1..body_start.min(lines.len())].join("\n");
                    for m in &i.items {
                        let s = m.span();
                        let mut mm = BTreeSet::new();
                        idents(quote::quote!(#m), &mut mm);
                        let name = match m {
                            syn::ImplItem::Fn(f) => f.sig.ident.to_string(),
                            syn::ImplItem::Const(c) => c.ident.to_string(),
                            _ => String::new(),
                        };
                        parsed.methods.push(ParsedItem {
                            names: vec![name],
                            impl_of: None,
                            text: item_text(&lines, s.start().line, s.end().line),
                            mentions: mm,
                            is_use: false,
                            methods: vec![],
                            impl_head: String::new(),
                            use_leaves: vec![],
                            invokes: None,
                        });
                    }
                }
            }
            _ => parsed.is_use = true,
        }
        items.push(parsed);
    }
    Ok(ParsedFile { module, header, items })
}

/// Trims `sources` to the items reachable from `roots` (names of functions and types the
/// generated code calls), across all files at once, and returns `module → text` for the
/// modules that keep at least one item.
pub fn trim(sources: &[&Source], roots: &BTreeSet<String>) -> Result<BTreeMap<&'static str, String>> {
    let files: Vec<Arc<ParsedFile>> = sources.iter().map(|s| parsed(s)).collect::<Result<_>>()?;
    let defined: BTreeSet<String> = files
        .iter()
        .flat_map(|f| f.items.iter().flat_map(|i| i.names.iter().cloned().chain(i.methods.iter().flat_map(|m| m.names.clone()))))
        .collect();
    let mut live: BTreeSet<String> = roots.clone();
    live.extend(files.iter().map(|f| f.module.to_string()).filter(|m| roots.contains(m)));
    let macro_defs: BTreeMap<String, &ParsedItem> = files
        .iter()
        .flat_map(|f| f.items.iter())
        .filter(|i| i.text.contains("macro_rules!"))
        .flat_map(|i| i.names.iter().map(move |n| (n.clone(), i)))
        .collect();
    loop {
        let before = live.len();
        for item in files.iter().flat_map(|f| f.items.iter()) {
            if let Some(m) = &item.invokes {
                let body_live = macro_defs.get(m).is_some_and(|d| d.mentions.iter().any(|x| x != m && live.contains(x)));
                if body_live || item.mentions.iter().any(|x| x != m && live.contains(x) && defined.contains(x)) {
                    live.insert(format!("!{}", item.text));
                    live.insert(m.clone());
                }
            }
        }
        for f in &files {
            for item in &f.items {
                let keep = item_kept(item, &live, &defined);
                if keep {
                    if item.methods.is_empty() {
                        live.extend(item.mentions.iter().filter(|m| defined.contains(*m)).cloned());
                    }
                    for m in &item.methods {
                        if m.names.iter().any(|n| live.contains(n)) {
                            live.extend(m.mentions.iter().filter(|x| defined.contains(*x)).cloned());
                        }
                    }
                }
            }
        }
        if live.len() == before {
            break;
        }
    }
    let mut out = BTreeMap::new();
    for f in &files {
        let mut body = String::new();
        let mut kept_any = false;
        for item in &f.items {
            if item.is_use || !item_kept(item, &live, &defined) {
                continue;
            }
            kept_any = true;
            body.push('\n');
            if item.impl_head.is_empty() {
                body.push_str(&item.text);
            } else {
                body.push_str(&item.impl_head);
                body.push('\n');
                for m in item.methods.iter().filter(|m| m.names.iter().any(|n| live.contains(n))) {
                    body.push_str(&m.text);
                }
                body.push_str("}\n");
            }
        }
        if !kept_any {
            continue;
        }
        // `use` items go first, and only those whose names the kept code mentions.
        let mut uses = String::new();
        let mut kept_mentions = BTreeSet::new();
        idents_of_text(&body, &mut kept_mentions);
        for item in f.items.iter().filter(|i| i.is_use) {
            for (line, name) in &item.use_leaves {
                if name == "*" || kept_mentions.contains(name) {
                    uses.push_str(line);
                    uses.push('\n');
                }
            }
        }
        out.insert(f.module, format!("{}{}{}", f.header, uses, body));
    }
    Ok(out)
}

fn idents_of_text(text: &str, out: &mut BTreeSet<String>) {
    if let Ok(ts) = text.parse::<proc_macro2::TokenStream>() {
        idents(ts, out);
    }
}

fn item_kept(item: &ParsedItem, live: &BTreeSet<String>, defined: &BTreeSet<String>) -> bool {
    if item.invokes.is_some() {
        // Kept when the code it expands to mentions something live (e.g. it implements a
        // live trait): decided by `invocation_kept`, recorded in `live` as `!name`.
        return live.contains(&format!("!{}", item.text));
    }
    if let Some((ty, tr)) = &item.impl_of {
        let trait_ok = tr.as_ref().is_none_or(|t| live.contains(t) || !defined.contains(t));
        return live.contains(ty) && trait_ok;
    }
    item.names.iter().any(|n| live.contains(n))
}
