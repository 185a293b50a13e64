//! Test helpers: a small graph builder, random inputs, and before/after comparison.

use crate::eval::{run_graph, RunOptions};
use crate::ir::op::{Activation, BinaryOp};
use crate::ir::{DType, Graph, GraphOutput, Op, Tensor, ValueInfo, ValueRef};
use crate::target::Target;
use std::collections::BTreeMap;

/// The target the pass tests run for (passes do not depend on it yet).
pub fn target() -> Target {
    Target::generic()
}

/// A deterministic xorshift generator: no dependency, same numbers on every machine.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// Uniform in [-1, 1).
    pub fn next_f32(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }

    pub fn vec(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.next_f32()).collect()
    }
}

/// Builds small graphs; shapes of op outputs are filled in by inference in [`Builder::finish`].
pub struct Builder {
    pub g: Graph,
    rng: Rng,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder { g: Graph::new("test"), rng: Rng::new(7) }
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    pub fn input(&mut self, name: &str, shape: &[usize]) -> ValueRef {
        let info = ValueInfo { name: name.into(), dtype: DType::F32, shape: shape.to_vec() };
        let node = self.g.add_node(name, Op::Input, &[], vec![info]);
        self.g.inputs.push(node);
        ValueRef { node, slot: 0 }
    }

    pub fn constant(&mut self, name: &str, shape: &[usize], values: Vec<f32>) -> ValueRef {
        let t = Tensor::from_f32(shape.to_vec(), values).expect("constant of the right size");
        self.g.add_constant(name, t)
    }

    pub fn scalar(&mut self, name: &str, value: f32) -> ValueRef {
        self.constant(name, &[], vec![value])
    }

    pub fn random_constant(&mut self, name: &str, shape: &[usize]) -> ValueRef {
        let values = self.rng.vec(shape.iter().product());
        self.constant(name, shape, values)
    }

    /// A constant with values in [lo, hi), e.g. positive variances.
    pub fn random_constant_in(&mut self, name: &str, shape: &[usize], lo: f32, hi: f32) -> ValueRef {
        let values = self.rng.vec(shape.iter().product()).into_iter().map(|v| lo + (v + 1.0) * 0.5 * (hi - lo)).collect();
        self.constant(name, shape, values)
    }

    pub fn ints(&mut self, name: &str, values: &[i64]) -> ValueRef {
        let t = Tensor::from_i64(vec![values.len()], values.to_vec()).expect("1-D tensor");
        self.g.add_constant(name, t)
    }

    /// A one-output node named `name` whose output value is named `name` too.
    pub fn op(&mut self, name: &str, op: Op, inputs: &[ValueRef]) -> ValueRef {
        let inputs: Vec<_> = inputs.iter().copied().map(Some).collect();
        self.op_opt(name, op, &inputs)
    }

    /// Like [`Builder::op`], with absent optional inputs.
    pub fn op_opt(&mut self, name: &str, op: Op, inputs: &[Option<ValueRef>]) -> ValueRef {
        let info = ValueInfo { name: name.into(), dtype: DType::F32, shape: vec![] };
        let node = self.g.add_node(name, op, inputs, vec![info]);
        ValueRef { node, slot: 0 }
    }

    /// `x * 0.5 * (1 + erf(x / sqrt 2))` as PyTorch exports it (Div, Erf, Add, Mul, Mul).
    pub fn gelu_decomposed(&mut self, name: &str, x: ValueRef) -> ValueRef {
        let sqrt2 = self.scalar(&format!("{name}.sqrt2"), std::f32::consts::SQRT_2);
        let one = self.scalar(&format!("{name}.one"), 1.0);
        let half = self.scalar(&format!("{name}.half"), 0.5);
        let d = self.op(&format!("{name}.div"), Op::Binary(BinaryOp::Div), &[x, sqrt2]);
        let e = self.op(&format!("{name}.erf"), Op::Unary(Activation::Erf), &[d]);
        let a = self.op(&format!("{name}.add"), Op::Binary(BinaryOp::Add), &[e, one]);
        let m = self.op(&format!("{name}.mul"), Op::Binary(BinaryOp::Mul), &[x, a]);
        self.op(&format!("{name}.mul2"), Op::Binary(BinaryOp::Mul), &[m, half])
    }

    /// Marks `v` as a model output under its value name.
    pub fn output(&mut self, v: ValueRef) {
        let name = self.g.value(v).name.clone();
        self.g.outputs.push(GraphOutput { name, value: v });
    }

    /// Infers every shape and validates the graph.
    pub fn finish(mut self) -> Graph {
        crate::ir::infer::infer_graph(&mut self.g).expect("test graph infers");
        crate::ir::validate::validate(&self.g).expect("test graph is valid");
        self.g
    }
}

/// Random `f32` inputs for every graph input.
pub fn random_inputs(graph: &Graph, seed: u64) -> BTreeMap<String, Tensor> {
    let mut rng = Rng::new(seed);
    graph
        .inputs
        .iter()
        .map(|&n| {
            let info = &graph.node(n).outputs[0];
            let values = rng.vec(info.elements()).into_iter().map(|v| v * 3.0).collect();
            (info.name.clone(), Tensor::from_f32(info.shape.clone(), values).expect("input tensor"))
        })
        .collect()
}

/// Asserts both graphs give the same outputs (names, shapes, values within 1e-5) on random inputs.
pub fn assert_same_outputs(before: &Graph, after: &Graph) {
    assert_close_outputs(before, after, 3, 1e-5);
}

/// Like [`assert_same_outputs`] with `runs` input sets and a relative tolerance `tol`.
pub fn assert_close_outputs(before: &Graph, after: &Graph, runs: u64, tol: f32) {
    for seed in 1..=runs {
        let inputs = random_inputs(before, seed);
        let want = run_graph(before, &inputs, &RunOptions::default()).expect("original graph runs");
        let got = run_graph(after, &inputs, &RunOptions::default()).expect("rewritten graph runs");
        assert_eq!(want.len(), got.len());
        for ((wn, w), (gn, g)) in want.iter().zip(&got) {
            assert_eq!(wn, gn);
            assert_eq!(w.shape, g.shape, "output '{wn}'");
            let (w, g) = (w.to_f32_vec().expect("numeric"), g.to_f32_vec().expect("numeric"));
            for (i, (a, b)) in w.iter().zip(&g).enumerate() {
                assert!((a - b).abs() <= tol * a.abs().max(1.0), "output '{wn}'[{i}]: {a} before, {b} after");
            }
        }
    }
}

/// Runs `pass` on a copy of `graph`, re-infers, validates, checks numerics, returns the copy.
pub fn check_pass(graph: &Graph, pass: crate::passes::PassFn) -> Graph {
    let mut after = graph.clone();
    pass(&mut after, &target()).expect("pass runs");
    crate::ir::infer::infer_graph(&mut after).expect("rewritten graph infers");
    crate::ir::validate::validate(&after).expect("rewritten graph is valid");
    assert_same_outputs(graph, &after);
    after
}

/// For passes that rewrite channels-last ops: the layout pass, residual fusion, `pass`, and
/// dead-code removal (the pipeline's order) on a copy of `graph` for `target`, then
/// inference, validation, and the outputs against the original's within 1e-4.
pub fn check_channels_last_pass(graph: &Graph, target: &str, pass: crate::passes::PassFn) -> Graph {
    let target = Target::named(target).expect("target exists");
    let mut after = graph.clone();
    crate::passes::layout::run(&mut after, &target).expect("layout runs");
    crate::passes::fuse_residual::run(&mut after, &target).expect("residual fusion runs");
    pass(&mut after, &target).expect("pass runs");
    crate::passes::dce::run(&mut after, &target).expect("dce runs");
    crate::ir::infer::infer_graph(&mut after).expect("rewritten graph infers");
    crate::ir::validate::validate(&after).expect("rewritten graph is valid");
    assert_close_outputs(graph, &after, 2, 1e-4);
    after
}

/// Number of nodes whose op satisfies `pred`, not counting inputs and constants.
pub fn count_ops(graph: &Graph, pred: impl Fn(&Op) -> bool) -> usize {
    graph
        .graph
        .node_weights()
        .filter(|n| !matches!(n.op, Op::Input | Op::Constant(_)) && pred(&n.op))
        .count()
}

/// Op names of the non-input, non-constant nodes in topological order.
pub fn op_names(graph: &Graph) -> Vec<String> {
    graph
        .topo_order()
        .expect("acyclic")
        .into_iter()
        .map(|n| graph.node(n))
        .filter(|n| !matches!(n.op, Op::Input | Op::Constant(_)))
        .map(|n| n.op.name())
        .collect()
}

/// The single node whose op satisfies `pred`.
pub fn find(graph: &Graph, pred: impl Fn(&Op) -> bool) -> petgraph::stable_graph::NodeIndex {
    let found: Vec<_> = graph.graph.node_indices().filter(|&n| pred(&graph.node(n).op)).collect();
    assert_eq!(found.len(), 1, "expected one matching node");
    found[0]
}
