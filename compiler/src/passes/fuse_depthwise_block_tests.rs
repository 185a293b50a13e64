//! Depthwise block fusion on small graphs: which neighbours join, and that the evaluator
//! (running the banded kernel) gives the outputs of the unfused graph.

use super::*;
use crate::ir::op::{Activation, AutoPad, BinaryOp, Conv, Window};
use crate::passes::testutil::{check_channels_last_pass, count_ops, find, Builder};

fn conv(group: usize, pads: usize, strides: usize, activation: Activation) -> Op {
    let window = Window { kernel: vec![], strides: vec![strides; 2], dilations: vec![], pads: vec![pads; 4], auto_pad: AutoPad::NotSet };
    Op::Conv(Conv { window, group, activation })
}

const RELU6: Activation = Activation::Clip { min: 0.0, max: 6.0 };

/// This pass after the ones it follows, checked (see `check_channels_last_pass`).
fn fused(graph: &Graph) -> Graph {
    check_channels_last_pass(graph, "x86-avx512", run)
}

fn block_params(after: &Graph) -> DepthwiseBlockParams {
    let node = find(after, |op| matches!(op, Op::Layout(LayoutOp::DepthwiseBlock(_))));
    let Op::Layout(LayoutOp::DepthwiseBlock(p)) = &after.node(node).op else { unreachable!() };
    **p
}

fn convs(after: &Graph) -> usize {
    count_ops(after, |op| matches!(op, Op::Layout(LayoutOp::Conv(_))))
}

/// x `[1, c, h, h]` expanded to `e` channels, a 3×3 depthwise with `stride`, projected to `m`
/// channels (16 or more, or the projection stays NCHW): (x, expanded, depthwise output,
/// projection output).
fn block(b: &mut Builder, c: usize, h: usize, e: usize, stride: usize, m: usize) -> [crate::ir::ValueRef; 4] {
    let x = b.input("x", &[1, c, h, h]);
    let we = b.random_constant("we", &[e, c, 1, 1]);
    let be = b.random_constant("be", &[e]);
    let expanded = b.op_opt("expand", conv(1, 0, 1, RELU6), &[Some(x), Some(we), Some(be)]);
    let wd = b.random_constant("wd", &[e, 1, 3, 3]);
    let dw = b.op("dw", conv(e, 1, stride, RELU6), &[expanded, wd]);
    let wp = b.random_constant("wp", &[m, e, 1, 1]);
    let projected = b.op("project", conv(1, 0, 1, Activation::None), &[dw, wp]);
    [x, expanded, dw, projected]
}

#[test]
fn an_inverted_residual_block_becomes_one_banded_op() {
    // 64² × 96 channels is 1.5 MiB, above AVX-512's 1 MiB L2, both before and after the
    // depthwise (stride 1); the residual Add joins the projection first.
    let mut b = Builder::new();
    let [x, _, _, projected] = block(&mut b, 16, 64, 96, 1, 16);
    let sum = b.op("add", Op::Binary(BinaryOp::Add), &[projected, x]);
    b.output(sum);
    let after = fused(&b.finish());
    assert_eq!(convs(&after), 0);
    let p = block_params(&after);
    assert!(p.expand.is_some() && p.project.is_some(), "{p:?}");
    // Rows of 24 KiB expanded plus 24 KiB of depthwise output: 10 output rows (12 input rows)
    // fill 528 KiB, over half of the 1 MiB L2; 9 fit.
    assert_eq!(p.band_rows, 9);
    assert_eq!(after.value(after.outputs[0].value).name, "add", "the output keeps its name");
}

#[test]
fn each_pointwise_step_joins_only_when_its_tensor_is_large() {
    // Stride 2: the depthwise output is 32² × 96 (384 KiB): the projection stays apart.
    let mut b = Builder::new();
    let [.., projected] = block(&mut b, 16, 64, 96, 2, 16);
    b.output(projected);
    let after = fused(&b.finish());
    assert_eq!(convs(&after), 1);
    let p = block_params(&after);
    assert!(p.expand.is_some() && p.project.is_none());
    // Stride 2: 2r + 1 expanded rows of 24 KiB within 512 KiB.
    assert_eq!(p.band_rows, 10);
    // 32² × 64 channels is 256 KiB on both sides: nothing joins.
    let mut b = Builder::new();
    let [.., projected] = block(&mut b, 16, 32, 64, 1, 16);
    b.output(projected);
    let after = fused(&b.finish());
    assert_eq!(convs(&after), 3);
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Layout(LayoutOp::DepthwiseBlock(_)))), 0);
}

#[test]
fn shared_tensors_stay_whole() {
    // The expanded tensor and the depthwise output each have a second reader.
    let mut b = Builder::new();
    let [_, expanded, dw, projected] = block(&mut b, 16, 64, 96, 1, 16);
    b.output(projected);
    let again = b.op("again", Op::Unary(Activation::Relu), &[expanded]);
    b.output(again);
    let dw_again = b.op("dw_again", Op::Unary(Activation::Relu), &[dw]);
    b.output(dw_again);
    let after = fused(&b.finish());
    assert_eq!(convs(&after), 3);
}

#[test]
fn a_first_strided_layer_joins_as_the_first_step() {
    // MobileNetV2's stem: a 3×3 stride-2 Conv on RGB writes 112² × 32 (1.6 MB, above the
    // 1 MiB L2) for the first depthwise; it joins the block like an expansion would.
    let mut b = Builder::new();
    let x = b.input("x", &[1, 3, 224, 224]);
    let w0 = b.random_constant_in("w0", &[32, 3, 3, 3], -0.3, 0.3);
    let stem = b.op("stem", conv(1, 1, 2, RELU6), &[x, w0]);
    let wd = b.random_constant("wd", &[32, 1, 3, 3]);
    let dw = b.op("dw", conv(32, 1, 1, RELU6), &[stem, wd]);
    let wp = b.random_constant("wp", &[16, 32, 1, 1]);
    let projected = b.op("project", conv(1, 0, 1, Activation::None), &[dw, wp]);
    b.output(projected);
    let after = fused(&b.finish());
    assert_eq!(convs(&after), 0);
    let p = block_params(&after);
    let stem = p.expand.expect("the stem is the first step");
    assert_eq!((stem.conv.kernel_h, stem.conv.stride_h, stem.conv.in_h), (3, 2, 224));
    assert!(p.project.is_some());
}
