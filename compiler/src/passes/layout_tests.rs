//! The layout pass on small graphs: which ops become channels-last, where the transposes go,
//! and that the evaluator gives the same outputs before and after (it runs the NHWC kernels).

use super::*;
use crate::ir::op::{Activation, AutoPad, BinaryOp, Conv, Window};
use crate::passes::testutil::{assert_close_outputs, count_ops, Builder};

fn conv(group: usize, pads: usize, strides: usize) -> Op {
    let window = Window { kernel: vec![], strides: vec![strides; 2], dilations: vec![], pads: vec![pads; 4], auto_pad: AutoPad::NotSet };
    Op::Conv(Conv { window, group, activation: Activation::None })
}

/// The layout pass for `target`, then dead-code elimination (the pipeline's cleanup), with
/// inference, validation and the numeric check.
fn layout_for(graph: &Graph, target: &str) -> Graph {
    let mut after = graph.clone();
    let target = Target::named(target).expect("target exists");
    run(&mut after, &target).expect("pass runs");
    crate::passes::dce::run(&mut after, &target).expect("dce runs");
    crate::ir::infer::infer_graph(&mut after).expect("rewritten graph infers");
    crate::ir::validate::validate(&after).expect("rewritten graph is valid");
    // NHWC sums run in another order: allow for float rounding.
    assert_close_outputs(graph, &after, 3, 1e-4);
    after
}

fn is_transpose(op: &Op) -> bool {
    matches!(op, Op::Transpose { .. })
}

fn is_nhwc_conv(op: &Op) -> bool {
    matches!(op, Op::Layout(LayoutOp::Conv(_)))
}

#[test]
fn a_residual_block_runs_channels_last_between_two_transposes() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 3, 9, 7]);
    let w1 = b.random_constant("w1", &[8, 3, 3, 3]);
    let c1 = b.op("c1", conv(1, 1, 1), &[x, w1]);
    let r1 = b.op("r1", Op::Unary(Activation::Relu), &[c1]);
    let wd = b.random_constant("wd", &[8, 1, 3, 3]);
    let bd = b.random_constant("bd", &[8]);
    let dw = b.op_opt("dw", conv(8, 1, 1), &[Some(r1), Some(wd), Some(bd)]);
    let sum = b.op("add", Op::Binary(BinaryOp::Add), &[dw, r1]);
    let half = b.scalar("half", 0.5);
    let scaled = b.op("scale", Op::Binary(BinaryOp::Mul), &[sum, half]);
    b.output(scaled);
    let after = layout_for(&b.finish(), "x86-avx2");
    assert_eq!(count_ops(&after, is_nhwc_conv), 2);
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Conv(_))), 0);
    assert_eq!(count_ops(&after, is_transpose), 2, "one into the block, one out of it");
    assert_eq!(after.value(after.outputs[0].value).name, "scale", "the model output keeps its name");
    assert_eq!(after.value(after.outputs[0].value).shape, [1, 8, 9, 7]);
}

#[test]
fn grouped_convolutions_and_other_targets_stay_nchw() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 4, 6, 6]);
    let w = b.random_constant("w", &[6, 2, 3, 3]);
    let y = b.op("grouped", conv(2, 1, 2), &[x, w]);
    b.output(y);
    let graph = b.finish();
    let after = layout_for(&graph, "x86-avx512");
    assert_eq!(count_ops(&after, is_nhwc_conv), 0);
    assert_eq!(count_ops(&after, is_transpose), 0);
    let mut b = Builder::new();
    let x = b.input("x", &[1, 4, 6, 6]);
    let w = b.random_constant("w", &[6, 4, 3, 3]);
    let y = b.op("plain", conv(1, 1, 2), &[x, w]);
    b.output(y);
    let after = layout_for(&b.finish(), "generic");
    assert_eq!(count_ops(&after, is_nhwc_conv), 0);
}

#[test]
fn moving_only_unit_axes_is_a_view() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 1, 12, 5]);
    let w = b.random_constant("w", &[8, 1, 3, 2]);
    let y = b.op("c", conv(1, 0, 1), &[x, w]);
    b.output(y);
    let after = layout_for(&b.finish(), "x86-avx2");
    assert_eq!(count_ops(&after, is_nhwc_conv), 1);
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Reshape { .. })), 1, "[1,1,H,W] to [1,H,W,1] moves no data");
    assert_eq!(count_ops(&after, is_transpose), 1, "the output goes back to NCHW");
}

#[test]
fn packed_weights_are_equal_panels_no_wider_than_the_tile() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 2, 7, 7]);
    let w = b.random_constant("w", &[50, 2, 1, 1]);
    let y = b.op("c", conv(1, 0, 1), &[x, w]);
    b.output(y);
    let after = layout_for(&b.finish(), "x86-avx512");
    let node = crate::passes::testutil::find(&after, is_nhwc_conv);
    let Op::Layout(LayoutOp::Conv(p)) = &after.node(node).op else { unreachable!() };
    assert_eq!(p.panel, 32, "50 channels: panels of 32 and 18, not 48 and 2");
    assert_eq!(after.value(after.input(node, 1).expect("weights")).shape, [50 * 2], "panels store no padding");
}

#[test]
fn gemm_and_matmul_with_constant_weights_become_packed_dense_layers() {
    use crate::ir::op::{Gemm, MatMul};
    let mut b = Builder::new();
    let x = b.input("x", &[8, 5]);
    let w = b.random_constant("w", &[7, 5]);
    let c = b.random_constant("c", &[7]);
    let gemm = Op::Gemm(Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true, activation: Activation::Relu });
    let h = b.op("fc", gemm, &[x, w, c]);
    let s = b.ints("s", &[1, 8, 7]);
    let h3 = b.op("r", Op::Reshape { allowzero: false }, &[h, s]);
    let w2 = b.random_constant("w2", &[7, 50]);
    let y = b.op("mm", Op::MatMul(MatMul { activation: Activation::None }), &[h3, w2]);
    b.output(y);
    let after = layout_for(&b.finish(), "x86-avx512");
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Layout(LayoutOp::Dense(_)))), 2);
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Gemm(_) | Op::MatMul(_))), 0);
    assert_eq!(after.value(after.outputs[0].value).name, "mm");
    assert_eq!(after.value(after.outputs[0].value).shape, [1, 8, 50]);
}

#[test]
fn few_output_channels_and_single_rows_keep_their_kernels() {
    use crate::ir::op::Gemm;
    let mut b = Builder::new();
    let x = b.input("x", &[1, 1, 12, 12]);
    let w = b.random_constant("w", &[6, 1, 5, 5]);
    let c = b.op("c", conv(1, 0, 1), &[x, w]);
    let s = b.ints("s", &[1, 384]);
    let flat = b.op("flat", Op::Reshape { allowzero: false }, &[c, s]);
    let wf = b.random_constant("wf", &[384, 10]);
    let gemm = Op::Gemm(Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false, activation: Activation::None });
    let y = b.op("fc", gemm, &[flat, wf]);
    b.output(y);
    let after = layout_for(&b.finish(), "x86-avx512");
    assert_eq!(count_ops(&after, is_nhwc_conv), 0, "6 channels would leave 10 of 16 lanes idle");
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Gemm(_))), 1, "one row: the matrix-vector tile");
}

#[test]
fn the_lane_margin_keeps_nchw_only_where_the_input_is_nchw() {
    // 24 channels fill 75% of 16 lanes, a 16×16 plane 100%: reading the NCHW model input,
    // the margin keeps the first Conv NCHW; after a channels-last Conv (32 channels), the
    // same shape runs channels-last rather than pay a transpose each way.
    let mut b = Builder::new();
    let x = b.input("x", &[1, 4, 16, 16]);
    let w1 = b.random_constant("w1", &[24, 4, 1, 1]);
    let c1 = b.op("c1", conv(1, 0, 1), &[x, w1]);
    let w2 = b.random_constant("w2", &[32, 24, 3, 3]);
    let c2 = b.op("c2", conv(1, 1, 1), &[c1, w2]);
    let w3 = b.random_constant("w3", &[24, 32, 1, 1]);
    let c3 = b.op("c3", conv(1, 0, 1), &[c2, w3]);
    b.output(c3);
    let after = layout_for(&b.finish(), "x86-avx512");
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Conv(_))), 1, "only c1, on the model input");
    assert_eq!(count_ops(&after, is_nhwc_conv), 2);
    assert_eq!(count_ops(&after, is_transpose), 2, "into c2 and out of c3");
}

#[test]
fn pooling_after_a_channels_last_conv_stays_channels_last() {
    use crate::ir::op::{Pool, PoolKind};
    let mut b = Builder::new();
    let x = b.input("x", &[2, 3, 9, 9]);
    let w = b.random_constant("w", &[16, 3, 3, 3]);
    let c = b.op("c", conv(1, 1, 1), &[x, w]);
    let window = Window { kernel: vec![3, 3], strides: vec![2, 2], dilations: vec![], pads: vec![1; 4], auto_pad: AutoPad::NotSet };
    let pool = Op::Pool(Pool { kind: PoolKind::Max, window, ceil_mode: true, count_include_pad: false });
    let m = b.op("max", pool, &[c]);
    let g = b.op("gap", Op::GlobalPool(PoolKind::Average), &[m]);
    let s = b.ints("s", &[2, 16]);
    let y = b.op("flat", Op::Reshape { allowzero: false }, &[g, s]);
    b.output(y);
    let after = layout_for(&b.finish(), "x86-avx512");
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Layout(LayoutOp::Pool(..) | LayoutOp::GlobalPool(..)))), 2);
    assert_eq!(count_ops(&after, is_transpose), 1, "the input's; [2,1,1,5] back to [2,5,1,1] is a view");
}

#[test]
fn panels_are_as_few_as_the_tile_allows_and_equally_wide() {
    let avx512 = Panels { widest: 48, lanes: 16, rows: 8 };
    let widths: Vec<usize> = [16, 24, 32, 48, 64, 96, 144, 160, 1280].iter().map(|&m| avx512.width_for(m)).collect();
    assert_eq!(widths, [16, 32, 32, 48, 32, 48, 48, 48, 48]);
    let neon = Panels { widest: 12, lanes: 4, rows: 8 };
    assert_eq!([6, 8, 16, 64].map(|m| neon.width_for(m)), [8, 8, 8, 12]);
    // AVX2's 4-row tile: two vectors would keep 8 sums, so 32 channels stay 24 + 8.
    let avx2 = Panels { widest: 24, lanes: 8, rows: 4 };
    assert_eq!([16, 32, 40, 64].map(|m| avx2.width_for(m)), [16, 24, 24, 24]);
    assert_eq!(Panels { widest: 0, lanes: 4, rows: 8 }.width_for(64), 0, "no tile: one panel of M");
}
