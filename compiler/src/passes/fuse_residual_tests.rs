//! Residual fusion after the layout pass: which Adds and activations move into the Conv.

use super::*;
use crate::ir::op::{AutoPad, Conv, Window};
use crate::passes::testutil::{assert_close_outputs, count_ops, Builder};

fn conv() -> Op {
    let window = Window { kernel: vec![], strides: vec![], dilations: vec![], pads: vec![1; 4], auto_pad: AutoPad::NotSet };
    Op::Conv(Conv { window, group: 1, activation: Activation::None })
}

/// Layout, residual fusion and dead-code elimination for x86-avx512, checked numerically.
fn fused(graph: &Graph) -> Graph {
    let mut after = graph.clone();
    let target = Target::named("x86-avx512").expect("target exists");
    crate::passes::layout::run(&mut after, &target).expect("layout runs");
    run(&mut after, &target).expect("fusion runs");
    crate::passes::dce::run(&mut after, &target).expect("dce runs");
    crate::ir::infer::infer_graph(&mut after).expect("rewritten graph infers");
    crate::ir::validate::validate(&after).expect("rewritten graph is valid");
    // NHWC sums run in another order: allow for float rounding.
    assert_close_outputs(graph, &after, 3, 1e-4);
    after
}

fn residual_conv(op: &Op) -> bool {
    matches!(op, Op::Layout(LayoutOp::Conv(p)) if p.conv.act == Activation::Relu)
}

#[test]
fn add_and_relu_move_into_the_second_conv_of_a_block() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 16, 6, 5]);
    let w1 = b.random_constant("w1", &[16, 16, 3, 3]);
    let c1 = b.op("c1", conv(), &[x, w1]);
    let r1 = b.op("r1", Op::Unary(Activation::Relu), &[c1]);
    let w2 = b.random_constant("w2", &[16, 16, 3, 3]);
    let c2 = b.op("c2", conv(), &[r1, w2]);
    let sum = b.op("add", Op::Binary(BinaryOp::Add), &[r1, c2]);
    let y = b.op("relu", Op::Unary(Activation::Relu), &[sum]);
    b.output(y);
    let after = fused(&b.finish());
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Binary(_) | Op::Unary(_))), 1, "only r1 stays (c1 does not carry it in this test)");
    assert_eq!(count_ops(&after, residual_conv), 1);
    let conv = crate::passes::testutil::find(&after, residual_conv);
    assert!(after.input(conv, 3).is_some(), "the residual is input 3");
    assert_eq!(after.value(after.outputs[0].value).name, "relu");
}

#[test]
fn a_conv_read_twice_keeps_its_add() {
    let mut b = Builder::new();
    let x = b.input("x", &[1, 16, 5, 5]);
    let w = b.random_constant("w", &[16, 16, 3, 3]);
    let c = b.op("c", conv(), &[x, w]);
    let sum = b.op("add", Op::Binary(BinaryOp::Add), &[c, x]);
    let prod = b.op("mul", Op::Binary(BinaryOp::Mul), &[sum, c]);
    b.output(prod);
    let after = fused(&b.finish());
    assert_eq!(count_ops(&after, |op| matches!(op, Op::Binary(BinaryOp::Add))), 1);
}
