//! The Winograd rewrite on small graphs: which convolutions it takes, the scratch it plans,
//! and that the evaluator (running the generic Winograd kernel) gives the unrewritten graph's
//! outputs.

use super::*;
use crate::ir::op::{Activation, AutoPad, BinaryOp, Conv, Window};
use crate::passes::testutil::{check_channels_last_pass, count_ops, Builder};

fn conv(strides: usize, pads: usize, activation: Activation) -> Op {
    let window = Window { kernel: vec![], strides: vec![strides; 2], dilations: vec![], pads: vec![pads; 4], auto_pad: AutoPad::NotSet };
    Op::Conv(Conv { window, group: 1, activation })
}

/// This pass after the ones it follows for `target`, checked (see `check_channels_last_pass`).
fn rewritten(graph: &Graph, target: &str) -> Graph {
    check_channels_last_pass(graph, target, run)
}

fn named(after: &Graph, name: &str) -> petgraph::stable_graph::NodeIndex {
    after.graph.node_indices().find(|&n| after.node(n).name == name).expect("the node is there")
}

fn winograd_params(after: &Graph, name: &str) -> WinogradParams {
    match &after.node(named(after, name)).op {
        Op::Layout(LayoutOp::Winograd(p)) => *p,
        other => panic!("{name} is {other:?}"),
    }
}

fn winograds(after: &Graph) -> usize {
    count_ops(after, |op| matches!(op, Op::Layout(LayoutOp::Winograd(_))))
}

/// A ResNet basic block: two 3×3 convolutions of `c` channels on `h × h`, the second with the
/// residual Add (which joins it), and a 3×3 stride-2 one after. Weights are scaled as a
/// trained net's (about `sqrt(2 / fan_in)`), so activations stay near 1 and the tolerance
/// means what it says.
fn basic_block(c: usize, h: usize) -> Graph {
    let mut b = Builder::new();
    let x = b.input("x", &[2, c, h, h]);
    let w1 = b.random_constant_in("w1", &[c, c, 3, 3], -0.15, 0.15);
    let b1 = b.random_constant("b1", &[c]);
    let y1 = b.op("conv1", conv(1, 1, Activation::Relu), &[x, w1, b1]);
    let w2 = b.random_constant_in("w2", &[c, c, 3, 3], -0.15, 0.15);
    let y2 = b.op("conv2", conv(1, 1, Activation::None), &[y1, w2]);
    let sum = b.op("add", Op::Binary(BinaryOp::Add), &[y2, x]);
    let relu = b.op("relu", Op::Unary(Activation::Relu), &[sum]);
    let w3 = b.random_constant_in("w3", &[c, c, 3, 3], -0.15, 0.15);
    let y3 = b.op("down", conv(2, 1, Activation::None), &[relu, w3]);
    b.output(y3);
    b.finish()
}

#[test]
fn stride_one_three_by_three_convolutions_become_winograd() {
    let after = rewritten(&basic_block(16, 9), "x86-avx512");
    assert_eq!(winograds(&after), 2, "conv1 and conv2; the stride-2 one stays direct");
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Layout(LayoutOp::Conv(_)))), 1);
    let (node, p) = (named(&after, "conv1"), winograd_params(&after, "conv1"));
    assert_eq!(p.conv.conv.act, Activation::Relu);
    // 2 images × 5 × 5 tiles, 2 KiB of scratch each, and a cache line of skew for each of
    // the 32 matrices (16 of `V`, 16 of `M_ξ`): 31 tiles fit 64 KiB, rounded to the 16 rows
    // of the tall GEMM tile.
    assert_eq!(p.block_tiles, 16);
    assert_eq!(after.node(node).outputs[1].shape, vec![32 * (16 * 16 + 16)]);
    // The packed direct weights are gone; `U` is 16 × C × M.
    let u = after.input(node, 1).expect("U");
    assert_eq!(after.value(u).shape, vec![16 * 16 * 16]);
    assert_eq!(after.node(node).name, "conv1");
}

#[test]
fn blocks_keep_the_scratch_small() {
    // 64 + 64 channels: 8 KiB a tile, so 7 of the 2 × 4 × 4 tiles fit 64 KiB.
    let after = rewritten(&basic_block(64, 8), "x86-avx2");
    assert_eq!(winograd_params(&after, "conv2").block_tiles, 7);
    // 8 + 8 channels on 2 × 3 × 3 tiles: all 18 fit, in one block.
    let after = rewritten(&basic_block(8, 6), "x86-avx2");
    assert_eq!(winograd_params(&after, "conv2").block_tiles, 18);
}

#[test]
fn few_channels_and_targets_without_winograd_keep_the_direct_kernel() {
    assert_eq!(winograds(&rewritten(&basic_block(4, 9), "x86-avx512")), 0, "4 channels");
    let mut target = Target::named("x86-avx512").expect("target exists");
    target.winograd = false;
    let mut g = basic_block(16, 9);
    crate::passes::layout::run(&mut g, &target).expect("layout runs");
    run(&mut g, &target).expect("pass runs");
    assert_eq!(winograds(&g), 0);
}
