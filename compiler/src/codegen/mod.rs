//! Code generation: writes a standalone `no_std` crate from a planned graph.
//!
//! The crate holds `src/lib.rs` (the model: constants, arena type, `run`), `src/kernels/` and
//! `src/rt/` (the kernel and runtime sources it needs, trimmed from `codegen-templates` and
//! `runtime-min`), `src/main.rs` and `src/runner/` (the `std` command-line runner),
//! `weights.bin`, `Cargo.toml` and `README.md`. Output is byte-for-byte deterministic.

pub(crate) mod family;
mod kernel_call;
mod lib_rs;
mod main_rs;
mod names;
pub mod report;
mod sources;

pub use lib_rs::Layout;
pub use names::snake;

use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::plan::Plan;
use crate::target::Target;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Options that shape the generated crate.
#[derive(Clone, Debug)]
pub struct CodegenOptions {
    /// Cargo package name of the crate.
    pub crate_name: String,
    /// Header lines: model file, its sha256, onnxc's version, the flags.
    pub header: String,
    /// Emit an empty `[workspace]` table so the crate builds on its own anywhere.
    pub standalone_workspace: bool,
    /// A crate of its own, or a module (`mod.rs`, `cli.rs`, `weights.bin`) for a crate that
    /// hosts several models and provides `kernels`, `rt` and `runner` (the conformance suite
    /// batches tests this way).
    pub layout: Layout,
}

/// The files of a generated crate, by relative path.
pub type CrateFiles = BTreeMap<String, Vec<u8>>;

/// Generates every file of the crate.
pub fn generate(graph: &Graph, plan: &Plan, target: &Target, opts: &CodegenOptions) -> Result<CrateFiles> {
    let files = generate_files(graph, plan, target, opts);
    // With proc-macro2's `span-locations` (used to cut kernel items out of their source text),
    // every parse adds the text to a thread-local source map that is never freed: ~340 KiB per
    // call, which a process compiling many models would accumulate. No span outlives this
    // function, so they can all be dropped here.
    proc_macro2::extra::invalidate_current_thread_spans();
    files
}

fn generate_files(graph: &Graph, plan: &Plan, target: &Target, opts: &CodegenOptions) -> Result<CrateFiles> {
    let simd = family::family(&target.kernel_family);
    if target.kernel_family != "generic" && simd.is_none() {
        return Err(Error::unsupported(format!("target '{}' has no kernels yet; use --target generic", target.name)));
    }
    // A module of a SIMD target calls `kernels::simd_*` too: its host crate provides the family's
    // kernels next to the generic ones (as the conformance batch crates do).
    let mut uses = kernel_call::Uses { family: simd, ..Default::default() };
    let tokens = lib_rs::lib_rs(graph, plan, &opts.header, opts.layout, &mut uses)?;
    if opts.layout == Layout::Module {
        let mut files = CrateFiles::new();
        files.insert("mod.rs".into(), print(tokens)?.into_bytes());
        files.insert("cli.rs".into(), main_rs::main_rs(graph, &opts.crate_name, Layout::Module)?.into_bytes());
        files.insert("weights.bin".into(), plan.weights.bytes.clone());
        return Ok(files);
    }
    // Every identifier in `lib.rs` (not its comments) is a root for trimming the sources.
    let mut roots: BTreeSet<String> = uses.roots.clone();
    collect_token_idents(tokens.clone(), &mut roots);
    let mut lib = print(tokens)?;
    let mut kernel_sources: Vec<&sources::Source> = sources::GENERIC_KERNELS.iter().collect();
    if let Some(f) = simd {
        kernel_sources.push(&f.vec);
        kernel_sources.extend(family::SHARED_SOURCES);
        lib.push_str(&family::guard(f, &target.name));
    }
    let kernels = sources::trim(&kernel_sources, &roots)?;
    for text in kernels.values() {
        if let Ok(tokens) = text.parse() {
            collect_token_idents(tokens, &mut roots);
        }
    }
    let runtime_sources: Vec<&sources::Source> = sources::RUNTIME.iter().collect();
    let runtime = sources::trim(&runtime_sources, &roots)?;

    let mut files = CrateFiles::new();
    files.insert("src/lib.rs".into(), lib.into_bytes());
    let kernels_doc = match simd {
        Some(f) => format!("Kernels used by this model, trimmed from onnxc's `generic` and `{}` families.", f.name),
        None => "Kernels used by this model, trimmed from onnxc's `generic` family.".to_string(),
    };
    files.insert("src/kernels/mod.rs".into(), module_list(&kernels_doc, &kernels).into_bytes());
    for (m, text) in &kernels {
        files.insert(format!("src/kernels/{m}.rs"), text.clone().into_bytes());
    }
    files.insert("src/rt/mod.rs".into(), module_list("Runtime support (math, typed views of the arena and weights), trimmed from onnxc's runtime-min.", &runtime).into_bytes());
    for (m, text) in &runtime {
        files.insert(format!("src/rt/{m}.rs"), text.clone().into_bytes());
    }
    for s in sources::RUNNER {
        files.insert(format!("src/runner/{}.rs", s.module), s.text.as_bytes().to_vec());
    }
    files.insert("src/runner/mod.rs".into(), RUNNER_MOD.as_bytes().to_vec());
    files.insert("src/main.rs".into(), main_rs::main_rs(graph, &opts.crate_name, Layout::Crate)?.into_bytes());
    files.insert("weights.bin".into(), plan.weights.bytes.clone());
    files.insert("Cargo.toml".into(), cargo_toml(opts, target).into_bytes());
    files.insert("README.md".into(), report::readme(graph, plan, &opts.header, &opts.crate_name).into_bytes());
    files.insert(".gitignore".into(), b"/target\n".to_vec());
    if let Some(f) = simd {
        files.insert(".cargo/config.toml".into(), family::cargo_config(f, &target.target_features).into_bytes());
    }
    Ok(files)
}

/// Writes the files under `dir`, replacing generated files but leaving others alone.
pub fn write_crate(dir: &Path, files: &CrateFiles) -> Result<()> {
    for (path, bytes) in files {
        let full = dir.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&full, bytes).map_err(|e| Error::io(format!("cannot write {}: {e}", full.display())))?;
    }
    Ok(())
}

fn module_list(doc: &str, modules: &BTreeMap<&'static str, String>) -> String {
    let mut s = format!("//! {doc}\n\n");
    for m in modules.keys() {
        s.push_str(&format!("pub mod {m};\n"));
    }
    s
}

fn collect_token_idents(tokens: proc_macro2::TokenStream, out: &mut BTreeSet<String>) {
    for t in tokens {
        match t {
            proc_macro2::TokenTree::Ident(i) => {
                out.insert(i.to_string());
            }
            proc_macro2::TokenTree::Group(g) => collect_token_idents(g.stream(), out),
            _ => {}
        }
    }
}

/// Prints tokens with prettyplease and turns `__comment!("…");` markers into `//` comments.
fn print(tokens: proc_macro2::TokenStream) -> Result<String> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::internal(format!("generated code does not parse: {e}")))?;
    let text = prettyplease::unparse(&file);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    const MARK: &str = "__comment!(";
    while let Some(at) = rest.find(MARK) {
        let line_start = rest[..at].rfind('\n').map_or(0, |i| i + 1);
        let indent = &rest[line_start..at];
        out.push_str(&rest[..line_start]);
        let after = &rest[at + MARK.len()..];
        let open = after.find('"').unwrap_or(0);
        let close = after[open + 1..].find('"').map_or(after.len(), |i| open + 1 + i);
        let comment = &after[open + 1..close.min(after.len())];
        out.push_str(indent);
        out.push_str("// ");
        out.push_str(comment);
        out.push('\n');
        let tail = &after[close.min(after.len())..];
        let end = tail.find(';').map_or(tail.len(), |i| i + 1);
        rest = tail[end..].strip_prefix('\n').unwrap_or(&tail[end..]);
    }
    out.push_str(rest);
    Ok(space_items(&out))
}

/// Adds the blank lines a person would: between top-level items (keeping runs of `use` and
/// `mod` lines together) and between the per-layer blocks of a function body.
fn space_items(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut prev: Option<&str> = None;
    for line in text.lines() {
        if let Some(p) = prev {
            let top = !line.starts_with(' ') && !line.is_empty() && !line.starts_with('}');
            let prev_top_end = !p.starts_with(' ') && (p.ends_with('}') || p.ends_with(';'));
            let same_group = |kw: &str| line.starts_with(kw) && p.starts_with(kw);
            let item_break = top && prev_top_end && !same_group("use ") && !same_group("mod ") && !same_group("pub mod ");
            let indent = line.len() - line.trim_start().len();
            let block_break = indent > 0 && p.trim_start() == "}" && p.len() - p.trim_start().len() == indent && !line.trim_start().starts_with('}');
            let after_inner_attrs = p.starts_with("#![") && !line.starts_with("#![");
            let after_header = p.starts_with("//!") && !line.starts_with("//!");
            if item_break || block_break || after_inner_attrs || after_header {
                out.push('\n');
            }
        }
        out.push_str(line);
        out.push('\n');
        prev = Some(line);
    }
    out
}

fn cargo_toml(opts: &CodegenOptions, target: &Target) -> String {
    let name = &opts.crate_name;
    let workspace = if opts.standalone_workspace { "\n# Builds on its own; remove this table to make the crate a member of your workspace.\n[workspace]\n" } else { "" };
    format!(
        r#"# Generated by onnxc {version}. Do not edit: regenerate instead.
[package]
name = "{name}"
version = "0.1.0"
edition = "2021"
rust-version = "{rust_version}"
publish = false
description = "Generated by onnxc for target {target}: a no_std, allocation-free model"

[lib]
path = "src/lib.rs"

[[bin]]
name = "{name}"
path = "src/main.rs"
required-features = ["std"]

[features]
# Adds the command-line runner (reads .npy inputs, writes .npy outputs, times inferences).
std = []

[profile.release]
codegen-units = 4
{workspace}"#,
        version = env!("CARGO_PKG_VERSION"),
        target = target.name,
        rust_version = family::family(&target.kernel_family).map_or("1.85", |f| f.rust_version),
    )
}

/// `src/runner/mod.rs`: the runner is a shared library of which each model uses a part.
const RUNNER_MOD: &str = "//! The `std` command-line runner: `.npy` inputs and outputs, timing.\n//! Shared by every generated crate, so not every helper is used by every model.\n#![allow(dead_code)]\n\npub mod cli;\npub mod npy;\n";
