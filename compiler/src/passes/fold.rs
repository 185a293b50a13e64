//! Constant folding: computes at compile time what does not depend on the model's inputs.
//!
//! A node whose present inputs are all constants is evaluated with the reference evaluator and
//! replaced by one constant per output; a `Shape` node always is, since every shape is static.
//! Walking in topological order makes whole chains collapse in one run, e.g. PyTorch's
//! `Shape → Gather → Unsqueeze → Concat → Reshape` target computation, which leaves the
//! Reshape with a constant shape input. Results that would grow much larger than their inputs
//! (an `Expand` or `ConstantOfShape` to millions of elements) stay ops, computed at run time,
//! so they do not bloat the weights. Nodes the evaluator cannot run are left alone; whoever
//! generates their code reports them.

use super::rewrite::out0;
use crate::error::{Error, ErrorKind, Result};
use crate::eval::eval_node;
use crate::ir::{Graph, Op, Tensor, ValueInfo, ValueRef};
use crate::target::Target;
use petgraph::stable_graph::NodeIndex;

/// Largest output (in elements) folded from an op that grows its input (Expand, Tile,
/// ConstantOfShape): beyond it the op is cheaper in code than its result is in flash.
const MAX_GROWN_ELEMENTS: usize = 1 << 20;

/// Largest output (in bytes) folded from any op that makes its data bigger.
const MAX_FOLDED_BYTES: usize = 16 << 20;

/// Folds every constant-only node and every `Shape` node into constants.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        if let Some(results) = evaluate(graph, node)? {
            replace_with_constants(graph, node, results);
        }
    }
    Ok(())
}

/// The node's output values, when it can and should be folded.
fn evaluate(graph: &Graph, node: NodeIndex) -> Result<Option<Vec<Tensor>>> {
    let n = graph.node(node);
    if matches!(n.op, Op::Input | Op::Constant(_)) {
        return Ok(None);
    }
    let inputs = graph.inputs(node);
    let values: Vec<Option<&Tensor>> = inputs.iter().map(|v| v.and_then(|v| graph.constant(v))).collect();
    let all_known = inputs.iter().zip(&values).all(|(i, v)| i.is_none() || v.is_some());
    if !all_known && !n.op.shape_only() {
        return Ok(None);
    }
    let input_bytes: usize = values.iter().flatten().map(|t| t.byte_len()).sum();
    if n.outputs.iter().any(|o| too_large(&n.op, input_bytes, o)) {
        return Ok(None);
    }
    let infos: Vec<Option<&ValueInfo>> = inputs.iter().map(|v| v.map(|v| graph.value(v))).collect();
    let results = match eval_node(&n.op, &infos, &values, &n.outputs) {
        Ok(results) => results,
        // A bug, not a limitation: say so.
        Err(e) if e.kind == ErrorKind::Internal => {
            return Err(e.context(format!("folding node '{}' ({})", n.name, n.op.name())))
        }
        // The evaluator cannot run it (yet): the node stays and is generated as code.
        Err(_) => return Ok(None),
    };
    if results.len() != n.outputs.len()
        || results.iter().zip(&n.outputs).any(|(t, o)| t.dtype() != o.dtype || t.shape != o.shape)
    {
        return Err(Error::internal(format!(
            "folding node '{}' ({}) produced values that disagree with its inferred outputs",
            n.name,
            n.op.name()
        )));
    }
    Ok(Some(results))
}

/// True when folding would store an output much bigger than the constants it comes from.
fn too_large(op: &Op, input_bytes: usize, out: &ValueInfo) -> bool {
    let grows = out.bytes() > input_bytes;
    let growth_op = matches!(op, Op::Expand | Op::Tile | Op::ConstantOfShape { .. });
    grows && (out.bytes() > MAX_FOLDED_BYTES || (growth_op && out.elements() > MAX_GROWN_ELEMENTS))
}

/// Replaces `node` by one constant per used output, named after the output value.
fn replace_with_constants(graph: &mut Graph, node: NodeIndex, results: Vec<Tensor>) {
    for (slot, tensor) in results.into_iter().enumerate() {
        let old = ValueRef { node, slot };
        if graph.use_count(old) == 0 {
            continue;
        }
        let name = graph.value(old).name.clone();
        let constant = graph.add_constant(name, tensor);
        graph.replace_uses(old, constant);
    }
    debug_assert_eq!(graph.use_count(out0(node)), 0);
    graph.remove_node(node);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{Activation, BinaryOp, Split};
    use crate::ir::DType;
    use crate::passes::testutil::{check_pass, count_ops, op_names, Builder};

    #[test]
    fn folds_constant_subgraph() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let c1 = b.random_constant("c1", &[3]);
        let c2 = b.random_constant("c2", &[3]);
        let sum = b.op("sum", Op::Binary(BinaryOp::Add), &[c1, c2]);
        let e = b.op("exp", Op::Unary(Activation::Exp), &[sum]);
        let y = b.op("y", Op::Binary(BinaryOp::Mul), &[x, e]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Mul"]);
        let mul = after.graph.node_indices().find(|&n| matches!(after.node(n).op, Op::Binary(_))).unwrap();
        let c = after.input(mul, 1).unwrap();
        assert!(after.constant(c).is_some());
        assert_eq!(after.value(c).name, "exp", "the constant is named after the folded value");
    }

    #[test]
    fn collapses_pytorch_shape_chain() {
        // x.view(x.size(0), -1): Shape → Gather(0) → Unsqueeze → Concat([n, -1]) → Reshape.
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let shape = b.op("shape", Op::Shape { start: 0, end: None }, &[x]);
        let zero = b.g.add_constant("zero", Tensor::from_i64(vec![], vec![0]).unwrap());
        let n = b.op("gather", Op::Gather { axis: 0 }, &[shape, zero]);
        let axes = b.ints("axes", &[0]);
        let n1 = b.op("unsqueeze", Op::Unsqueeze { axes: None }, &[n, axes]);
        let minus1 = b.ints("minus1", &[-1]);
        let target = b.op("concat", Op::Concat { axis: 0 }, &[n1, minus1]);
        let y = b.op("reshape", Op::Reshape { allowzero: false }, &[x, target]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Reshape"]);
        let reshape = after.graph.node_indices().find(|&n| matches!(after.node(n).op, Op::Reshape { .. })).unwrap();
        let target = after.constant_input(reshape, 1).expect("constant shape");
        assert_eq!(target.to_i64_vec(), Some(vec![2, -1]));
        assert_eq!(after.value(after.input(reshape, 1).unwrap()).dtype, DType::I64);
    }

    #[test]
    fn keeps_large_expansions_for_run_time() {
        let mut b = Builder::new();
        let x = b.input("x", &[1]);
        let c = b.scalar("c", 2.0);
        let big = b.ints("big", &[1100, 1000]);
        let small = b.ints("small", &[4, 5]);
        let e_big = b.op("expand_big", Op::Expand, &[c, big]);
        let e_small = b.op("expand_small", Op::Expand, &[c, small]);
        let y1 = b.op("y1", Op::Binary(BinaryOp::Add), &[x, e_big]);
        let y2 = b.op("y2", Op::Binary(BinaryOp::Add), &[x, e_small]);
        b.output(y1);
        b.output(y2);
        let g = b.finish();
        let mut after = g.clone();
        run(&mut after, &crate::passes::testutil::target()).unwrap();
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Expand)), 1, "only the small Expand folds");
        let e = after.graph.node_indices().find(|&n| matches!(after.node(n).op, Op::Expand)).unwrap();
        assert_eq!(after.node(e).outputs[0].shape, [1100, 1000]);
    }

    #[test]
    fn folded_model_output_keeps_its_name() {
        let mut b = Builder::new();
        let x = b.input("x", &[3]);
        let c1 = b.random_constant("c1", &[3]);
        let c2 = b.random_constant("c2", &[3]);
        let k = b.op("k", Op::Binary(BinaryOp::Sub), &[c1, c2]);
        let y = b.op("y", Op::Unary(Activation::Relu), &[x]);
        b.output(k);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu"]);
        assert_eq!(after.outputs[0].name, "k");
        assert!(after.constant(after.outputs[0].value).is_some());
        assert_eq!(after.value(after.outputs[0].value).name, "k");
    }

    #[test]
    fn folds_every_used_output_of_a_multi_output_node() {
        let mut b = Builder::new();
        let x = b.input("x", &[2]);
        let c = b.random_constant("c", &[6]);
        let infos = (0..3)
            .map(|i| ValueInfo { name: format!("part{i}"), dtype: DType::F32, shape: vec![] })
            .collect();
        let split = b.g.add_node("split", Op::Split(Split { axis: 0, split: Some(vec![2, 2, 2]) }), &[Some(c)], infos);
        let p0 = ValueRef { node: split, slot: 0 };
        let p2 = ValueRef { node: split, slot: 2 };
        let y0 = b.op("y0", Op::Binary(BinaryOp::Add), &[x, p0]);
        let y2 = b.op("y2", Op::Binary(BinaryOp::Mul), &[x, p2]);
        b.output(y0);
        b.output(y2);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Add", "Mul"]);
        let names: Vec<_> = after
            .graph
            .node_weights()
            .filter(|n| matches!(n.op, Op::Constant(_)))
            .map(|n| n.outputs[0].name.clone())
            .collect();
        assert!(names.contains(&"part0".to_string()) && names.contains(&"part2".to_string()), "{names:?}");
        assert!(!names.contains(&"part1".to_string()), "unused outputs are not materialized");
    }

    #[test]
    fn leaves_input_dependent_nodes() {
        let mut b = Builder::new();
        let x = b.input("x", &[4]);
        let c = b.random_constant("c", &[4]);
        let y = b.op("y", Op::Binary(BinaryOp::Add), &[x, c]);
        b.output(y);
        let g = b.finish();
        let after = check_pass(&g, run);
        assert_eq!(after.graph.node_count(), g.graph.node_count());
    }
}
