//! The IR validator: the invariants every stage may rely on, checked after import and after
//! every pass, so a rewrite that breaks one is caught where it happens, not in codegen.
//!
//! Checked: the graph is acyclic; every edge joins an existing output slot to an existing
//! input slot, and no input slot has two producers; every op has its required inputs; the
//! `Op::Input` nodes are exactly [`Graph::inputs`]; every model output names an existing value;
//! value names are unique; and the stored type and shape of every value are what shape
//! inference computes from scratch. A failure is an onnxc bug: [`ErrorKind::Internal`].
//!
//! [`ErrorKind::Internal`]: crate::error::ErrorKind::Internal

use super::{Graph, Op};
use crate::error::{Error, Result};
use petgraph::stable_graph::NodeIndex;
use petgraph::Direction;
use std::collections::{HashMap, HashSet};

/// Checks every invariant of the IR; the first violation is the error.
pub fn validate(graph: &Graph) -> Result<()> {
    graph.topo_order().map_err(|e| Error::internal(e.message))?;
    check_edges(graph)?;
    check_nodes(graph)?;
    check_inputs(graph)?;
    check_outputs(graph)?;
    check_names(graph)?;
    check_types(graph)
}

/// How a node is named in messages.
fn describe(graph: &Graph, n: NodeIndex) -> String {
    let node = graph.node(n);
    format!("node '{}' ({})", node.name, node.op.name())
}

/// Edge slots in range, and at most one edge per input slot.
fn check_edges(graph: &Graph) -> Result<()> {
    for e in graph.graph.edge_indices() {
        let (Some((from, to)), Some(w)) = (graph.graph.edge_endpoints(e), graph.graph.edge_weight(e)) else { continue };
        let outputs = graph.node(from).outputs.len();
        if w.from_slot >= outputs {
            return Err(Error::internal(format!(
                "an edge leaves output {} of {}, which has {outputs} output(s)",
                w.from_slot,
                describe(graph, from)
            )));
        }
        let slots = graph.node(to).num_inputs;
        if w.to_slot >= slots {
            return Err(Error::internal(format!(
                "an edge enters input {} of {}, which has {slots} input slot(s)",
                w.to_slot,
                describe(graph, to)
            )));
        }
    }
    for n in graph.graph.node_indices() {
        let mut seen = HashSet::new();
        for e in graph.graph.edges_directed(n, Direction::Incoming) {
            if !seen.insert(e.weight().to_slot) {
                return Err(Error::internal(format!(
                    "input {} of {} has more than one producer",
                    e.weight().to_slot,
                    describe(graph, n)
                )));
            }
        }
    }
    Ok(())
}

/// How many leading input slots `op` needs filled.
fn required_inputs(op: &Op, num_inputs: usize) -> usize {
    match op {
        Op::Input | Op::Constant(_) => 0,
        Op::BatchNorm { .. } => 5,
        Op::InstanceNorm { .. } | Op::Where => 3,
        Op::Conv(_)
        | Op::ConvTranspose(_)
        | Op::Gemm(_)
        | Op::MatMul(_)
        | Op::Binary(_)
        | Op::Compare(_)
        | Op::Logic(_)
        | Op::LayerNorm { .. }
        | Op::Reshape { .. }
        | Op::Gather { .. }
        | Op::Expand
        | Op::Tile
        | Op::CastLike => 2,
        Op::Concat { .. } => num_inputs.max(1),
        Op::Index(i) => i.required_inputs(),
        Op::Vision(v) => v.required_inputs(),
        Op::Signal(s) => s.required_inputs(),
        Op::Layout(l) => l.required_inputs(),
        _ => 1,
    }
}

/// Sources have no inputs and one output; other nodes have outputs and their required inputs.
fn check_nodes(graph: &Graph) -> Result<()> {
    for n in graph.graph.node_indices() {
        let node = graph.node(n);
        match &node.op {
            Op::Input | Op::Constant(_) => {
                if graph.graph.edges_directed(n, Direction::Incoming).next().is_some() || node.outputs.len() != 1 {
                    return Err(Error::internal(format!(
                        "{} must have no inputs and one output, has {} input edge(s) and {} output(s)",
                        describe(graph, n),
                        graph.graph.edges_directed(n, Direction::Incoming).count(),
                        node.outputs.len()
                    )));
                }
                if let Op::Constant(t) = &node.op {
                    let elements = super::tensor::element_count(&t.shape)?;
                    if elements != t.len() {
                        return Err(Error::internal(format!(
                            "{} holds {} elements for shape {:?}",
                            describe(graph, n),
                            t.len(),
                            t.shape
                        )));
                    }
                }
            }
            op => {
                if node.outputs.is_empty() {
                    return Err(Error::internal(format!("{} has no outputs", describe(graph, n))));
                }
                let inputs = graph.inputs(n);
                let required = required_inputs(op, node.num_inputs);
                if let Some(slot) = (0..required).find(|&s| inputs.get(s).copied().flatten().is_none()) {
                    return Err(Error::internal(format!("{} has no input {slot}, which it requires", describe(graph, n))));
                }
            }
        }
    }
    Ok(())
}

/// The `Op::Input` nodes are exactly the listed graph inputs, each listed once.
fn check_inputs(graph: &Graph) -> Result<()> {
    let mut listed = HashSet::new();
    for (i, &n) in graph.inputs.iter().enumerate() {
        if !graph.contains(n) {
            return Err(Error::internal(format!("graph input {i} refers to a removed node")));
        }
        if !matches!(graph.node(n).op, Op::Input) {
            return Err(Error::internal(format!("graph input {i} is {}, not an input node", describe(graph, n))));
        }
        if !listed.insert(n) {
            return Err(Error::internal(format!("{} is listed twice among the graph inputs", describe(graph, n))));
        }
    }
    if let Some(n) = graph.graph.node_indices().find(|n| matches!(graph.node(*n).op, Op::Input) && !listed.contains(n)) {
        return Err(Error::internal(format!("{} is not listed among the graph inputs", describe(graph, n))));
    }
    Ok(())
}

/// Every model output refers to an existing value, under a unique name.
fn check_outputs(graph: &Graph) -> Result<()> {
    let mut names = HashSet::new();
    for out in &graph.outputs {
        let v = out.value;
        if !graph.contains(v.node) {
            return Err(Error::internal(format!("model output '{}' refers to a removed node", out.name)));
        }
        if v.slot >= graph.node(v.node).outputs.len() {
            return Err(Error::internal(format!(
                "model output '{}' refers to output {} of {}, which has {} output(s)",
                out.name,
                v.slot,
                describe(graph, v.node),
                graph.node(v.node).outputs.len()
            )));
        }
        if !names.insert(out.name.as_str()) {
            return Err(Error::internal(format!("two model outputs are named '{}'", out.name)));
        }
    }
    Ok(())
}

/// Value names are non-empty and unique across the graph.
fn check_names(graph: &Graph) -> Result<()> {
    let mut seen: HashMap<&str, (NodeIndex, usize)> = HashMap::new();
    for n in graph.graph.node_indices() {
        for (slot, info) in graph.node(n).outputs.iter().enumerate() {
            if info.name.is_empty() {
                return Err(Error::internal(format!("output {slot} of {} has no name", describe(graph, n))));
            }
            if let Some(&(first, first_slot)) = seen.get(info.name.as_str()) {
                return Err(Error::internal(format!(
                    "value name '{}' is used by output {first_slot} of {} and output {slot} of {}",
                    info.name,
                    describe(graph, first),
                    describe(graph, n)
                )));
            }
            seen.insert(&info.name, (n, slot));
        }
    }
    Ok(())
}

/// Stored types and shapes equal what inference computes afresh.
fn check_types(graph: &Graph) -> Result<()> {
    for (n, inferred) in super::infer::infer_all(graph)? {
        let node = graph.node(n);
        if inferred.len() != node.outputs.len() {
            return Err(Error::internal(format!(
                "{} has {} output(s) but infers {}",
                describe(graph, n),
                node.outputs.len(),
                inferred.len()
            )));
        }
        for (slot, (info, (dtype, shape))) in node.outputs.iter().zip(&inferred).enumerate() {
            if info.dtype != *dtype || info.shape != *shape {
                return Err(Error::internal(format!(
                    "node '{}' output {slot} is stored as {} {:?} but infers to {dtype} {shape:?}",
                    node.name, info.dtype, info.shape
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::ir::op::{Activation, BinaryOp};
    use crate::ir::{DType, Edge, GraphOutput, Tensor, ValueInfo, ValueRef};

    fn info(name: &str, shape: &[usize]) -> ValueInfo {
        ValueInfo { name: name.into(), dtype: DType::F32, shape: shape.to_vec() }
    }

    /// x → Relu → Add(·, c) → output "y", with correct infos.
    fn small() -> (Graph, [NodeIndex; 4]) {
        let mut g = Graph::new("t");
        let x = g.add_node("x", Op::Input, &[], vec![info("x", &[2, 3])]);
        g.inputs.push(x);
        let c = g.add_constant("c", Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap());
        let r = g.add_node("relu", Op::Unary(Activation::Relu), &[Some(ValueRef { node: x, slot: 0 })], vec![info("r", &[2, 3])]);
        let a = g.add_node("add", Op::Binary(BinaryOp::Add), &[Some(ValueRef { node: r, slot: 0 }), Some(c)], vec![info("y", &[2, 3])]);
        g.outputs.push(GraphOutput { name: "y".into(), value: ValueRef { node: a, slot: 0 } });
        (g, [x, c.node, r, a])
    }

    fn error(g: &Graph) -> String {
        let e = validate(g).expect_err("the validator must reject this graph");
        assert_eq!(e.kind, ErrorKind::Internal, "{e}");
        e.message
    }

    #[test]
    fn accepts_a_consistent_graph() {
        validate(&small().0).unwrap();
    }

    #[test]
    fn rejects_cycles() {
        let (mut g, [_, _, r, a]) = small();
        g.graph[r].num_inputs = 2;
        g.graph.add_edge(a, r, Edge { from_slot: 0, to_slot: 1 });
        assert!(error(&g).contains("cycle"));
    }

    #[test]
    fn rejects_edges_out_of_range() {
        let (mut g, [x, _, r, a]) = small();
        g.graph.add_edge(r, a, Edge { from_slot: 1, to_slot: 1 });
        assert!(error(&g).contains("leaves output 1 of node 'relu'"));
        let (mut g, _) = small();
        g.graph.add_edge(x, a, Edge { from_slot: 0, to_slot: 2 });
        assert!(error(&g).contains("enters input 2 of node 'add'"));
    }

    #[test]
    fn rejects_two_producers_for_one_slot() {
        let (mut g, [x, _, _, a]) = small();
        g.graph.add_edge(x, a, Edge { from_slot: 0, to_slot: 1 });
        assert!(error(&g).contains("input 1 of node 'add' (Add) has more than one producer"));
    }

    #[test]
    fn rejects_missing_required_inputs() {
        let (mut g, [_, _, _, a]) = small();
        g.set_input(a, 1, None);
        assert!(error(&g).contains("node 'add' (Add) has no input 1"));
        let (mut g, [_, _, r, _]) = small();
        g.set_input(r, 0, None);
        assert!(error(&g).contains("node 'relu' (Relu) has no input 0"));
    }

    #[test]
    fn rejects_inputs_and_constants_with_inputs() {
        let (mut g, [x, c, _, _]) = small();
        g.graph[c].num_inputs = 1;
        g.graph.add_edge(x, c, Edge { from_slot: 0, to_slot: 0 });
        assert!(error(&g).contains("node 'c' (Constant) must have no inputs"));
    }

    #[test]
    fn rejects_unlisted_or_mislisted_inputs() {
        let (mut g, [x, c, _, _]) = small();
        g.inputs.clear();
        assert!(error(&g).contains("node 'x' (Input) is not listed"));
        let (mut g, _) = small();
        g.inputs.push(c);
        assert!(error(&g).contains("graph input 1 is node 'c' (Constant)"));
        let (mut g, _) = small();
        g.inputs.push(x);
        assert!(error(&g).contains("listed twice"));
    }

    #[test]
    fn rejects_dangling_or_duplicate_outputs() {
        let (mut g, [_, _, r, a]) = small();
        g.outputs[0].value = ValueRef { node: a, slot: 1 };
        assert!(error(&g).contains("refers to output 1 of node 'add'"));
        let (mut g, _) = small();
        g.graph.remove_node(a);
        assert!(error(&g).contains("model output 'y' refers to a removed node"));
        let (mut g, _) = small();
        g.outputs.push(GraphOutput { name: "y".into(), value: ValueRef { node: r, slot: 0 } });
        assert!(error(&g).contains("two model outputs are named 'y'"));
    }

    #[test]
    fn rejects_duplicate_value_names() {
        let (mut g, [_, _, r, _]) = small();
        g.node_mut(r).outputs[0].name = "y".into();
        assert!(error(&g).contains("value name 'y' is used by output 0 of node 'relu' (Relu) and output 0 of node 'add'"));
    }

    #[test]
    fn rejects_stale_types_and_shapes() {
        let (mut g, [_, _, r, _]) = small();
        g.node_mut(r).outputs[0].shape = vec![1, 2];
        assert_eq!(error(&g), "node 'relu' output 0 is stored as f32 [1, 2] but infers to f32 [2, 3]");
        let (mut g, [_, _, _, a]) = small();
        g.node_mut(a).outputs[0].dtype = DType::F64;
        assert_eq!(error(&g), "node 'add' output 0 is stored as f64 [2, 3] but infers to f32 [2, 3]");
        let (mut g, [_, c, _, _]) = small();
        g.node_mut(c).outputs[0].shape = vec![4];
        assert!(error(&g).starts_with("node 'c' output 0 is stored as f32 [4]"));
    }

    #[test]
    fn rejects_malformed_constants() {
        let (mut g, [_, c, _, _]) = small();
        if let Op::Constant(t) = &mut g.node_mut(c).op {
            t.shape = vec![2];
        }
        assert!(error(&g).contains("holds 3 elements for shape [2]"));
    }
}
