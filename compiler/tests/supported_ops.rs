//! `SUPPORTED_OPS.md` (which unsupported-op errors point to) is written by
//! `cargo xtask conformance --bless` from the importer's table and the conformance results.
//! This test keeps its op list and opset ranges in sync with the importer's table.

use std::collections::BTreeSet;
use std::path::Path;

#[test]
fn supported_ops_md_lists_exactly_the_importers_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../SUPPORTED_OPS.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let rows: BTreeSet<String> = text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| op ") && !l.starts_with("|---"))
        .map(|l| l.split('|').take(3).collect::<Vec<_>>().join("|"))
        .collect();
    let want: BTreeSet<String> =
        onnxc::onnx::supported_op_table().iter().map(|(op, a, b)| format!("| {op} | {a}–{b} ")).collect();
    let missing: Vec<_> = want.difference(&rows).collect();
    let extra: Vec<_> = rows.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "SUPPORTED_OPS.md is stale (missing {missing:?}, extra {extra:?}): run `cargo xtask conformance --bless`"
    );
}
