//! The whole pipeline on the golden models: same outputs before and after, and the rewrites
//! each model was built to exercise actually happen.

use super::testutil::{assert_close_outputs, count_ops, target};
use crate::ir::op::{Activation, Op};
use crate::ir::Graph;
use crate::onnx::ImportOptions;

fn load(model: &str) -> Graph {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/models").join(format!("{model}.onnx"));
    crate::onnx::load(&path, &ImportOptions::default()).expect("golden model imports")
}

/// Optimizes `model`, checks its outputs against the unoptimized graph, returns both.
fn optimize(model: &str) -> (Graph, Graph) {
    let before = load(model);
    crate::ir::validate::validate(&before).expect("imported graph is valid");
    let mut after = before.clone();
    super::run_pipeline(&mut after, &target(), None).expect("pipeline runs");
    // BN folding and fusion reassociate float math: a little more room than one op's 1e-5.
    assert_close_outputs(&before, &after, 1, 1e-4);
    (before, after)
}

fn ops(g: &Graph, pred: impl Fn(&Op) -> bool) -> usize {
    count_ops(g, pred)
}

fn fused(g: &Graph, act: Activation) -> usize {
    ops(g, |op| match op {
        Op::Conv(c) => c.activation == act,
        Op::ConvTranspose(c) => c.activation == act,
        Op::Gemm(g) => g.activation == act,
        Op::MatMul(m) => m.activation == act,
        _ => false,
    })
}

fn no_shape_plumbing(g: &Graph) -> bool {
    ops(g, |op| matches!(op, Op::Shape { .. } | Op::Gather { .. } | Op::Concat { .. } | Op::Unsqueeze { .. } | Op::Identity)) == 0
}

#[test]
fn mlp() {
    let (_, after) = optimize("mlp");
    assert_eq!(fused(&after, Activation::Relu), 2);
    assert_eq!(ops(&after, |op| matches!(op, Op::Unary(_))), 0);
}

#[test]
fn lenet() {
    let (_, after) = optimize("lenet");
    assert!(no_shape_plumbing(&after));
    assert_eq!(ops(&after, |op| matches!(op, Op::Unary(_))), 0, "every Relu fused");
}

#[test]
fn kws_dscnn() {
    let (_, after) = optimize("kws_dscnn");
    assert_eq!(ops(&after, |op| matches!(op, Op::BatchNorm { .. } | Op::Identity | Op::Unary(_))), 0);
}

#[test]
fn vww_mobilenet() {
    let (_, after) = optimize("vww_mobilenet");
    assert_eq!(ops(&after, |op| matches!(op, Op::BatchNorm { .. } | Op::Clip { .. } | Op::Unary(_))), 0);
    assert!(fused(&after, Activation::Clip { min: 0.0, max: 6.0 }) > 0);
}

#[test]
fn ic_resnet8() {
    let (_, after) = optimize("ic_resnet8");
    assert_eq!(ops(&after, |op| matches!(op, Op::BatchNorm { .. })), 0);
}

#[test]
fn ad_autoencoder() {
    let (_, after) = optimize("ad_autoencoder");
    assert_eq!(ops(&after, |op| !matches!(op, Op::Gemm(_))), 0, "nine Gemm+BN+Relu blocks and a Gemm");
    assert_eq!(fused(&after, Activation::Relu), 9);
}

#[test]
fn tiny_transformer() {
    let (before, after) = optimize("tiny_transformer");
    assert!(no_shape_plumbing(&after));
    assert_eq!(ops(&before, |op| matches!(op, Op::Unary(Activation::Erf))), 2);
    assert_eq!(fused(&after, Activation::Gelu), 2, "both FFN GELUs end in their Gemm");
    assert_eq!(ops(&after, |op| matches!(op, Op::Unary(_))), 0);
    // 6 linear layers per encoder layer (q, k, v, out, ffn1, ffn2) and the head become Gemms;
    // the two attention products per layer (activations × activations) stay MatMuls.
    assert_eq!(ops(&after, |op| matches!(op, Op::Gemm(_))), 13);
    assert_eq!(ops(&after, |op| matches!(op, Op::MatMul(_))), 4);
    // Each layer's K is transposed twice ([0,2,1,3] then [0,1,3,2]): one Transpose is left.
    assert_eq!(ops(&after, |op| matches!(op, Op::Transpose { .. })), 8);
}

#[test]
fn mobilenetv2() {
    let (_, after) = optimize("mobilenetv2");
    assert_eq!(ops(&after, |op| matches!(op, Op::BatchNorm { .. } | Op::Clip { .. } | Op::Unary(_))), 0);
}
