//! The compile pipeline as one call: load → passes → plan → codegen. Used by the CLI and tests.

use crate::codegen::{self, CodegenOptions, CrateFiles};
use crate::error::{Error, Result};
use crate::ir::Graph;
use crate::onnx::{self, ImportOptions};
use crate::passes;
use crate::plan::{self, Plan};
use crate::target::Target;
use sha2::{Digest, Sha256};
use std::path::Path;

/// Everything `onnxc compile` needs besides the model path.
#[derive(Clone, Debug)]
pub struct CompileOptions {
    pub target: Target,
    pub import: ImportOptions,
    /// Cargo package name; defaults to the model file's stem.
    pub crate_name: Option<String>,
    pub standalone_workspace: bool,
    /// A crate of its own, or a module of a crate hosting several models.
    pub layout: codegen::Layout,
    /// The command-line flags, recorded in the generated header.
    pub flags: String,
}

/// A compiled model: the optimized graph, its plan and the crate's files.
pub struct Compiled {
    pub graph: Graph,
    pub plan: Plan,
    pub files: CrateFiles,
}

/// Loads a model and runs the pass pipeline (stopping after `stop_after` if given).
pub fn load_and_optimize(path: &Path, import: &ImportOptions, target: &Target, stop_after: Option<&str>) -> Result<Graph> {
    let mut graph = onnx::load(path, import)?;
    // Exporters' default graph names say nothing; the file name says more.
    const GENERIC_NAMES: &[&str] = &["", "model", "graph", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx"];
    if GENERIC_NAMES.contains(&graph.name.as_str()) {
        if let Some(stem) = path.file_stem() {
            graph.name = stem.to_string_lossy().into_owned();
        }
    }
    if stop_after != Some("import") {
        passes::run_pipeline(&mut graph, target, stop_after)?;
    }
    Ok(graph)
}

/// Compiles the model at `path` into crate files.
pub fn compile(path: &Path, opts: &CompileOptions) -> Result<Compiled> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}: {e}", path.display())))?;
    let digest = Sha256::digest(&bytes);
    let sha: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    let graph = load_and_optimize(path, &opts.import, &opts.target, None)?;
    let plan = plan::plan_with_limits(&graph, &opts.import.limits)?;
    let file_name = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let crate_name = opts.crate_name.clone().unwrap_or_else(|| {
        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        codegen::snake(&stem).replace('_', "-")
    });
    let header = format!(
        "{} compiled by onnxc {} for target `{}`.\nModel: {file_name} (sha256 {sha}).\nFlags: {}\nGenerated code: do not edit, regenerate with onnxc.",
        graph.name,
        env!("CARGO_PKG_VERSION"),
        opts.target.name,
        if opts.flags.is_empty() { "(none)" } else { &opts.flags },
    );
    let files = codegen::generate(
        &graph,
        &plan,
        &opts.target,
        &CodegenOptions { crate_name, header, standalone_workspace: opts.standalone_workspace, layout: opts.layout },
    )?;
    Ok(Compiled { graph, plan, files })
}
