//! Activation fusion: an elementwise activation after a Conv, ConvTranspose, Gemm or MatMul is
//! applied by that op's kernel while the output is still in registers.
//!
//! First, activations exporters spell out as several ops are recognized as one:
//! the exact GELU `x * 0.5 * (1 + erf(x / √2))` (PyTorch's Div, Erf, Add, Mul, Mul, in any
//! association and operand order, with `x / √2` or `x * (1/√2)`) and HardSwish
//! `x * HardSigmoid(x)` (alpha = 1/6, beta = 0.5) become one unary op each.
//! Then a unary Relu, LeakyRelu, Clip, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu, Gelu or
//! GeluTanh whose input is the sole use of such a producer's output becomes the producer's
//! `activation`, and the unary node goes; the producer's output takes the unary's output name.
//!
//! Not fused: a producer that already carries an activation, a producer output that something
//! else also reads (or that is a model output), activations the kernels do not apply in their
//! output pipeline (Exp, Log, Erf, …).

use super::rewrite::{absorb, out0, scalar, sole_producer};
use crate::error::Result;
use crate::ir::op::{Activation, BinaryOp};
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Graph, Op, ValueRef};
use crate::target::Target;
use petgraph::stable_graph::NodeIndex;

/// Tolerance for recognizing the constants of a decomposed activation (f32 rounding of 1/√2 …).
const CONSTANT_TOLERANCE: f32 = 1e-5;

/// Recognizes decomposed GELU and HardSwish, then fuses activations into their producers.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        if graph.contains(node) && !recognize_gelu(graph, node) {
            recognize_hard_swish(graph, node);
        }
    }
    for node in graph.topo_order()? {
        if graph.contains(node) {
            fuse(graph, node);
        }
    }
    Ok(())
}

/// True for the activations the Conv/Gemm/MatMul kernels apply in their output pipeline.
fn fusable(act: Activation) -> bool {
    matches!(
        act,
        Activation::Relu
            | Activation::LeakyRelu { .. }
            | Activation::Clip { .. }
            | Activation::Sigmoid
            | Activation::HardSigmoid { .. }
            | Activation::HardSwish
            | Activation::Tanh
            | Activation::Elu { .. }
            | Activation::Gelu
            | Activation::GeluTanh
    )
}

/// The activation an op carries, for ops that can carry one.
fn carried_activation(op: &Op) -> Option<Activation> {
    match op {
        Op::Conv(c) => Some(c.activation),
        Op::ConvTranspose(c) => Some(c.activation),
        Op::Gemm(g) => Some(g.activation),
        Op::MatMul(m) => Some(m.activation),
        Op::Layout(LayoutOp::Conv(p) | LayoutOp::Dense(p)) => Some(p.conv.act),
        _ => None,
    }
}

/// Moves the unary activation `node` into its input's producer, when allowed.
pub(super) fn fuse(graph: &mut Graph, node: NodeIndex) -> bool {
    let Op::Unary(act) = graph.node(node).op else { return false };
    let Some(x) = graph.input(node, 0) else { return false };
    let Some(producer) = sole_producer(graph, x) else { return false };
    if !fusable(act) || carried_activation(&producer.op) != Some(Activation::None) {
        return false;
    }
    // The f64/f16/bf16 kernels round per op: keep their activations separate.
    if graph.value(x).shape != graph.node(node).outputs[0].shape || graph.value(x).dtype != crate::ir::DType::F32 {
        return false;
    }
    if let Some(slot) = graph.node_mut(x.node).op.fused_activation_mut() {
        *slot = act;
    }
    absorb(graph, node, x);
    true
}

/// The node producing `v` with binary op `op`, when `v` is its output and read only once.
fn single_use_binary(graph: &Graph, v: ValueRef, op: BinaryOp) -> Option<NodeIndex> {
    let node = sole_producer(graph, v)?;
    (node.op == Op::Binary(op)).then_some(v.node)
}

/// Both inputs of a binary node.
fn operands(graph: &Graph, node: NodeIndex) -> Option<(ValueRef, ValueRef)> {
    Some((graph.input(node, 0)?, graph.input(node, 1)?))
}

fn near(value: Option<f32>, target: f32) -> bool {
    value.is_some_and(|v| (v - target).abs() <= CONSTANT_TOLERANCE * target.abs().max(1.0))
}

/// The leaves of a product tree rooted at the Mul `root`, descending (two levels at most) into
/// inner Muls read only by the tree; the inner Muls go to `inner`.
fn product_leaves(graph: &Graph, root: NodeIndex, depth: usize, leaves: &mut Vec<ValueRef>, inner: &mut Vec<NodeIndex>) {
    let Some((a, b)) = operands(graph, root) else { return };
    for v in [a, b] {
        match single_use_binary(graph, v, BinaryOp::Mul) {
            Some(mul) if depth < 2 => {
                inner.push(mul);
                product_leaves(graph, mul, depth + 1, leaves, inner);
            }
            _ => leaves.push(v),
        }
    }
}

/// For `e = 1 + erf(d)` with `d = x / √2` (or `x * (1/√2)`), single-use all along: x and the
/// nodes computing `e` from it.
fn erf_term(graph: &Graph, e: ValueRef) -> Option<(ValueRef, Vec<NodeIndex>)> {
    let add = single_use_binary(graph, e, BinaryOp::Add)?;
    let (p, q) = operands(graph, add)?;
    let erf_out = if near(scalar(graph, q), 1.0) { p } else if near(scalar(graph, p), 1.0) { q } else { return None };
    let erf = sole_producer(graph, erf_out)?;
    if erf.op != Op::Unary(Activation::Erf) {
        return None;
    }
    let d = graph.input(erf_out.node, 0)?;
    let scale = sole_producer(graph, d)?;
    let (u, v) = operands(graph, d.node)?;
    let x = match scale.op {
        Op::Binary(BinaryOp::Div) if near(scalar(graph, v), std::f32::consts::SQRT_2) => u,
        Op::Binary(BinaryOp::Mul) if near(scalar(graph, v), std::f32::consts::FRAC_1_SQRT_2) => u,
        Op::Binary(BinaryOp::Mul) if near(scalar(graph, u), std::f32::consts::FRAC_1_SQRT_2) => v,
        _ => return None,
    };
    Some((x, vec![add, erf_out.node, d.node]))
}

/// Turns a decomposed exact GELU ending at the Mul `root` into `Unary(Gelu)`; reports whether
/// it did.
fn recognize_gelu(graph: &mut Graph, root: NodeIndex) -> bool {
    if graph.node(root).op != Op::Binary(BinaryOp::Mul) {
        return false;
    }
    let (mut leaves, mut inner) = (Vec::new(), Vec::new());
    product_leaves(graph, root, 0, &mut leaves, &mut inner);
    if leaves.len() != 3 {
        return false;
    }
    let Some(half) = leaves.iter().position(|&v| near(scalar(graph, v), 0.5)) else { return false };
    leaves.remove(half);
    let matched = [(leaves[0], leaves[1]), (leaves[1], leaves[0])].into_iter().find_map(|(x, e)| {
        let (x2, nodes) = erf_term(graph, e)?;
        (x2 == x).then_some((x, nodes))
    });
    let Some((x, nodes)) = matched else { return false };
    let out = &graph.node(root).outputs[0];
    let x_info = graph.value(x);
    if x_info.dtype != DType::F32 || x_info.shape != out.shape {
        return false;
    }
    replace_with_unary(graph, root, Activation::Gelu, x, inner.into_iter().chain(nodes));
    true
}

/// Turns `x * HardSigmoid(x)` (alpha 1/6, beta 0.5) at the Mul `root` into `Unary(HardSwish)`.
fn recognize_hard_swish(graph: &mut Graph, root: NodeIndex) -> bool {
    if graph.node(root).op != Op::Binary(BinaryOp::Mul) {
        return false;
    }
    let Some((a, b)) = operands(graph, root) else { return false };
    let matched = [(a, b), (b, a)].into_iter().find(|&(x, h)| {
        let Some(node) = sole_producer(graph, h) else { return false };
        let Op::Unary(Activation::HardSigmoid { alpha, beta }) = node.op else { return false };
        near(Some(alpha), 1.0 / 6.0) && near(Some(beta), 0.5) && graph.input(h.node, 0) == Some(x)
    });
    let Some((x, h)) = matched else { return false };
    let x_info = graph.value(x);
    if x_info.dtype != DType::F32 || x_info.shape != graph.node(root).outputs[0].shape {
        return false;
    }
    replace_with_unary(graph, root, Activation::HardSwish, x, [h.node]);
    true
}

/// Makes `root` the unary `act` reading `x`, and removes the nodes it replaces.
fn replace_with_unary(graph: &mut Graph, root: NodeIndex, act: Activation, x: ValueRef, replaced: impl IntoIterator<Item = NodeIndex>) {
    graph.node_mut(root).op = Op::Unary(act);
    graph.set_input(root, 0, Some(x));
    graph.truncate_inputs(root, 1);
    for node in replaced {
        debug_assert_eq!(graph.use_count(out0(node)), 0);
        graph.remove_node(node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{AutoPad, Conv, ConvTranspose, Gemm, MatMul, Window};
    use crate::passes::testutil::{check_pass, count_ops, find, op_names, Builder};

    fn window() -> Window {
        Window { kernel: vec![], strides: vec![], dilations: vec![], pads: vec![], auto_pad: AutoPad::NotSet }
    }

    fn conv() -> Op {
        Op::Conv(Conv { window: window(), group: 1, activation: Activation::None })
    }

    fn gemm() -> Op {
        Op::Gemm(Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true, activation: Activation::None })
    }

    fn activation_of(g: &Graph, name: &str) -> Activation {
        let n = g.graph.node_indices().find(|&n| g.node(n).name == name).expect("node exists");
        carried_activation(&g.node(n).op).expect("carries an activation")
    }

    #[test]
    fn fuses_each_activation_into_each_producer() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 2, 5, 5]);
        let w = b.random_constant("w", &[3, 2, 3, 3]);
        let c = b.op("conv", conv(), &[x, w]);
        let r = b.op("relu", Op::Unary(Activation::Relu), &[c]);
        let wt = b.random_constant("wt", &[3, 2, 2, 2]);
        let ct = Op::ConvTranspose(ConvTranspose {
            window: window(),
            group: 1,
            output_padding: vec![],
            output_shape: vec![],
            activation: Activation::None,
        });
        let d = b.op("deconv", ct, &[r, wt]);
        let l = b.op("leaky", Op::Unary(Activation::LeakyRelu { alpha: 0.1 }), &[d]);
        let s = b.ints("s", &[1, 32]);
        let flat = b.op("flat", Op::Reshape { allowzero: false }, &[l, s]);
        let wg = b.random_constant("wg", &[4, 32]);
        let g = b.op("gemm", gemm(), &[flat, wg]);
        let clip = Activation::Clip { min: -0.5, max: 0.5 };
        let cl = b.op("clip", Op::Unary(clip), &[g]);
        let wm = b.random_constant("wm", &[4, 3]);
        let m = b.op("mm", Op::MatMul(MatMul { activation: Activation::None }), &[cl, wm]);
        let y = b.op("sigmoid", Op::Unary(Activation::Sigmoid), &[m]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Conv", "ConvTranspose", "Reshape", "Gemm", "MatMul"]);
        assert_eq!(activation_of(&after, "conv"), Activation::Relu);
        assert_eq!(activation_of(&after, "deconv"), Activation::LeakyRelu { alpha: 0.1 });
        assert_eq!(activation_of(&after, "gemm"), clip);
        assert_eq!(activation_of(&after, "mm"), Activation::Sigmoid);
        assert_eq!(after.outputs[0].name, "sigmoid");
        assert_eq!(after.value(after.outputs[0].value).name, "sigmoid", "the model output keeps its name");
    }

    #[test]
    fn does_not_fuse_shared_outputs_or_second_activations() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let w = b.random_constant("w", &[4, 3]);
        // Gemm output read twice.
        let g1 = b.op("g1", gemm(), &[x, w]);
        let r1 = b.op("r1", Op::Unary(Activation::Relu), &[g1]);
        let sum = b.op("sum", Op::Binary(BinaryOp::Add), &[g1, r1]);
        // Gemm output that is a model output.
        let g2 = b.op("g2", gemm(), &[x, w]);
        let t2 = b.op("t2", Op::Unary(Activation::Tanh), &[g2]);
        // Second activation after a fused one; non-fusable activation.
        let g3 = b.op("g3", gemm(), &[x, w]);
        let r3 = b.op("r3", Op::Unary(Activation::Relu), &[g3]);
        let s3 = b.op("s3", Op::Unary(Activation::Sigmoid), &[r3]);
        let g4 = b.op("g4", gemm(), &[x, w]);
        let e4 = b.op("e4", Op::Unary(Activation::Exp), &[g4]);
        for v in [sum, g2, t2, s3, e4] {
            b.output(v);
        }
        let after = check_pass(&b.finish(), run);
        assert_eq!(activation_of(&after, "g1"), Activation::None);
        assert_eq!(activation_of(&after, "g2"), Activation::None);
        assert_eq!(activation_of(&after, "g3"), Activation::Relu);
        assert_eq!(activation_of(&after, "g4"), Activation::None);
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Unary(_))), 4);
    }

    #[test]
    fn recognizes_pytorch_gelu_and_fuses_it() {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.random_constant("w", &[5, 4]);
        let g = b.op("gemm", gemm(), &[x, w]);
        let y = b.gelu_decomposed("gelu", g);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Gemm"]);
        assert_eq!(activation_of(&after, "gemm"), Activation::Gelu);
        assert_eq!(after.value(after.outputs[0].value).name, "gelu.mul2");
    }

    #[test]
    fn recognizes_gelu_in_other_associations() {
        // (x * 0.5) * (1 + erf(x * 1/√2)) and 0.5 * ((erf(x / √2) + 1) * x), on a graph input.
        let mut b = Builder::new();
        let x = b.input("x", &[2, 7]);
        let half = b.scalar("half", 0.5);
        let one = b.scalar("one", 1.0);
        let inv = b.scalar("inv_sqrt2", std::f32::consts::FRAC_1_SQRT_2);
        let sqrt2 = b.scalar("sqrt2", std::f32::consts::SQRT_2);
        let xh = b.op("xh", Op::Binary(BinaryOp::Mul), &[x, half]);
        let d = b.op("d", Op::Binary(BinaryOp::Mul), &[inv, x]);
        let e = b.op("e", Op::Unary(Activation::Erf), &[d]);
        let a = b.op("a", Op::Binary(BinaryOp::Add), &[one, e]);
        let y1 = b.op("y1", Op::Binary(BinaryOp::Mul), &[xh, a]);
        let d2 = b.op("d2", Op::Binary(BinaryOp::Div), &[x, sqrt2]);
        let e2 = b.op("e2", Op::Unary(Activation::Erf), &[d2]);
        let a2 = b.op("a2", Op::Binary(BinaryOp::Add), &[e2, one]);
        let m2 = b.op("m2", Op::Binary(BinaryOp::Mul), &[a2, x]);
        let y2 = b.op("y2", Op::Binary(BinaryOp::Mul), &[half, m2]);
        b.output(y1);
        b.output(y2);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Gelu", "Gelu"]);
    }

    #[test]
    fn leaves_near_miss_gelu() {
        // 0.6 instead of 0.5, and an intermediate that is also read elsewhere.
        let mut b = Builder::new();
        let x = b.input("x", &[4]);
        let sqrt2 = b.scalar("sqrt2", std::f32::consts::SQRT_2);
        let one = b.scalar("one", 1.0);
        let wrong = b.scalar("wrong", 0.6);
        let d = b.op("d", Op::Binary(BinaryOp::Div), &[x, sqrt2]);
        let e = b.op("e", Op::Unary(Activation::Erf), &[d]);
        let a = b.op("a", Op::Binary(BinaryOp::Add), &[e, one]);
        let m = b.op("m", Op::Binary(BinaryOp::Mul), &[x, a]);
        let y = b.op("y", Op::Binary(BinaryOp::Mul), &[m, wrong]);
        b.output(y);
        let half = b.scalar("half", 0.5);
        let m2 = b.op("m2", Op::Binary(BinaryOp::Mul), &[x, a]);
        let y2 = b.op("y2", Op::Binary(BinaryOp::Mul), &[m2, half]);
        b.output(y2);
        let after = check_pass(&b.finish(), run);
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Unary(Activation::Gelu))), 0);
    }

    #[test]
    fn recognizes_hard_swish() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 2, 4, 4]);
        let w = b.random_constant("w", &[2, 2, 1, 1]);
        let c = b.op("conv", conv(), &[x, w]);
        let h = b.op("hs", Op::Unary(Activation::HardSigmoid { alpha: 1.0 / 6.0, beta: 0.5 }), &[c]);
        let y = b.op("y", Op::Binary(BinaryOp::Mul), &[h, c]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Conv"]);
        assert_eq!(activation_of(&after, "conv"), Activation::HardSwish);
        let conv = find(&after, |op| matches!(op, Op::Conv(_)));
        assert_eq!(after.node(conv).outputs[0].name, "y");
    }
}
