//! Expansion fusion on small graphs: which pairs fuse, and that the evaluator (running the
//! banded kernel) gives the outputs of the unfused graph.

use super::*;
use crate::ir::op::{Activation, AutoPad, Conv, Window};
use crate::passes::testutil::{assert_close_outputs, count_ops, Builder};

fn conv(group: usize, pads: usize, strides: usize) -> Op {
    let window = Window { kernel: vec![], strides: vec![strides; 2], dilations: vec![], pads: vec![pads; 4], auto_pad: AutoPad::NotSet };
    Op::Conv(Conv { window, group, activation: Activation::Clip { min: 0.0, max: 6.0 } })
}

/// The layout pass, this one, and cleanup, with inference, validation and the numeric check.
fn fused(graph: &Graph) -> Graph {
    let target = Target::named("x86-avx512").expect("target exists");
    let mut after = graph.clone();
    crate::passes::layout::run(&mut after, &target).expect("layout runs");
    run(&mut after, &target).expect("pass runs");
    crate::passes::dce::run(&mut after, &target).expect("dce runs");
    crate::ir::infer::infer_graph(&mut after).expect("rewritten graph infers");
    crate::ir::validate::validate(&after).expect("rewritten graph is valid");
    assert_close_outputs(graph, &after, 2, 1e-4);
    after
}

fn is_fused(op: &Op) -> bool {
    matches!(op, Op::Layout(LayoutOp::ExpandDepthwise(_)))
}

/// x `[1, 4, h, h]` expanded to `e` channels, then a 3×3 depthwise with `stride`: (expanded,
/// depthwise output).
fn block(b: &mut Builder, h: usize, e: usize, stride: usize) -> (crate::ir::ValueRef, crate::ir::ValueRef) {
    let x = b.input("x", &[1, 4, h, h]);
    let we = b.random_constant("we", &[e, 4, 1, 1]);
    let be = b.random_constant("be", &[e]);
    let expanded = b.op_opt("expand", conv(1, 0, 1), &[Some(x), Some(we), Some(be)]);
    let wd = b.random_constant("wd", &[e, 1, 3, 3]);
    (expanded, b.op("dw", conv(e, 1, stride), &[expanded, wd]))
}

#[test]
fn a_large_expansion_and_its_depthwise_become_one_banded_op() {
    for stride in [1, 2] {
        let mut b = Builder::new();
        let (_, y) = block(&mut b, 64, 96, stride);
        b.output(y);
        let after = fused(&b.finish());
        assert_eq!(count_ops(&after, is_fused), 1);
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Layout(LayoutOp::Conv(_)))), 0);
        let node = crate::passes::testutil::find(&after, is_fused);
        let Op::Layout(LayoutOp::ExpandDepthwise(p)) = &after.node(node).op else { unreachable!() };
        // 64 × 96 channels × 4 bytes = 24 KiB a row: 21 rows fit half of AVX-512's 1 MiB L2.
        assert_eq!(p.band_rows, if stride == 1 { 19 } else { 10 });
        assert_eq!(after.node(node).outputs[1].shape, [band_len(p)]);
        assert_eq!(after.value(after.outputs[0].value).name, "dw", "the output keeps its name");
    }
}

#[test]
fn small_or_shared_expansions_stay_apart() {
    // 32² × 64 channels is 256 KiB, within AVX-512's 1 MiB L2: it stays in cache unfused.
    let mut b = Builder::new();
    let (_, y) = block(&mut b, 32, 64, 1);
    b.output(y);
    assert_eq!(count_ops(&fused(&b.finish()), is_fused), 0);
    // The expansion has a second reader: it must exist whole.
    let mut b = Builder::new();
    let (expanded, y) = block(&mut b, 64, 96, 1);
    b.output(y);
    let reread = b.op("relu", Op::Unary(Activation::Relu), &[expanded]);
    b.output(reread);
    assert_eq!(count_ops(&fused(&b.finish()), is_fused), 0);
}
