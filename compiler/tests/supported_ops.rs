//! `SUPPORTED_OPS.md` (which unsupported-op errors point to) is generated from the importer's
//! table; this test keeps it in sync. Run with `ONNXC_BLESS=1` to rewrite it.

use std::path::Path;

fn render() -> String {
    let (lo, hi) = (onnxc::onnx::OPSET_RANGE.start(), onnxc::onnx::OPSET_RANGE.end());
    let mut s = String::from("# Operators onnxc supports\n\n");
    s.push_str(&format!(
        "Generated from the importer's table (`compiler/src/onnx/ops/mod.rs`) by `cargo test -p onnxc --test supported_ops` \
         with `ONNXC_BLESS=1`. Models may use default-domain opsets {lo} to {hi}; an op is accepted from the opset \
         given here up to {hi}. Element types: float32 for arithmetic; int64, int32 and bool wherever shape \
         arithmetic needs them (data movement ops accept every integer type). Targets: generic.\n\n"
    ));
    s.push_str("| op | opsets |\n|---|---|\n");
    let mut ops: Vec<_> = onnxc::onnx::SUPPORTED_OPS.to_vec();
    ops.sort();
    for (op, since) in ops {
        // Upsample was removed from the standard at opset 10 (Resize replaces it).
        let until = if op == "Upsample" { 9 } else { *hi };
        s.push_str(&format!("| {op} | {}–{until} |\n", since.max(*lo)));
    }
    s
}

#[test]
fn supported_ops_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../SUPPORTED_OPS.md");
    let want = render();
    if std::env::var_os("ONNXC_BLESS").is_some() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "SUPPORTED_OPS.md is stale: run `ONNXC_BLESS=1 cargo test -p onnxc --test supported_ops`");
}
