//! Inputs found by fuzzing (`cargo xtask fuzz`, targets in `compiler/fuzz/`) that once made
//! onnxc panic. Each is stored in `golden/bad/fuzz/<name>.onnx`, run through the same stages
//! as the fuzz target that found it, with the same limits, and must give an error, not a panic.

use onnxc::codegen::{self, CodegenOptions};
use onnxc::limits::Limits;
use onnxc::onnx::ImportOptions;
use onnxc::target::Target;
use std::collections::BTreeMap;
use std::path::Path;

/// The fuzz targets' import options (`compiler/fuzz/src/lib.rs`).
fn options() -> ImportOptions {
    ImportOptions {
        dims: BTreeMap::new(),
        limits: Limits {
            max_tensor_bytes: 16 << 20,
            max_total_weight_bytes: 64 << 20,
            max_arena_bytes: 256 << 20,
            max_nodes: 10_000,
            ..Limits::default()
        },
    }
}

fn bytes(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/bad/fuzz").join(format!("{name}.onnx"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The `import` fuzz target: the error message of `load_bytes`.
fn import_error(name: &str) -> String {
    match onnxc::onnx::load_bytes(&bytes(name), None, &options()) {
        Ok(_) => panic!("{name}: imported without error"),
        Err(e) => e.to_string(),
    }
}

/// The `pipeline` fuzz target: import, passes, plan, codegen; the first error, if any.
#[allow(dead_code)]
fn pipeline(name: &str) -> onnxc::Result<()> {
    let opts = options();
    let mut graph = onnxc::onnx::load_bytes(&bytes(name), None, &opts)?;
    let target = Target::generic();
    onnxc::passes::run_pipeline(&mut graph, &target, None)?;
    let plan = onnxc::plan::plan_with_limits(&graph, &opts.limits)?;
    let codegen_opts = CodegenOptions { crate_name: "fuzz-model".into(), header: "fuzz".into(), standalone_workspace: true, layout: codegen::Layout::Crate };
    codegen::generate(&graph, &plan, &target, &codegen_opts).map(|_| ())
}

/// Pad with pads near `i64::MAX`: shape inference added `dim + begin + end` in `i64` and
/// overflowed (`ir/infer/rules.rs`, Op::Pad).
#[test]
fn pad_with_huge_pads() {
    let err = import_error("pad_overflow");
    assert!(err.contains("Pad") && err.contains("overflows"), "{err}");
}

/// Tile after an Expand to [2, 83951618, 3] with repeats [1, 126443837194241, 2]: shape
/// inference multiplied `dim * repeats` in `usize` and overflowed (`ir/infer/rules.rs`, Op::Tile).
#[test]
fn tile_with_huge_repeats() {
    let err = import_error("tile_overflow");
    assert!(err.contains("Tile") && err.contains("overflows"), "{err}");
}
