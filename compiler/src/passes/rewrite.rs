//! Small graph edits and queries shared by the passes.

use crate::ir::{Graph, Op, Tensor, ValueRef};
use petgraph::stable_graph::NodeIndex;

/// Output 0 of `node`.
pub fn out0(node: NodeIndex) -> ValueRef {
    ValueRef { node, slot: 0 }
}

/// True when readers of `old` may read `new` instead without changing what the model shows:
/// same type and shape, and a model output never becomes a graph input or another model output
/// (the generated code copies those, so the node that makes the copy stays).
pub fn can_bypass(graph: &Graph, old: ValueRef, new: ValueRef) -> bool {
    let (o, n) = (graph.value(old), graph.value(new));
    if o.dtype != n.dtype || o.shape != n.shape {
        return false;
    }
    !graph.is_output(old) || !(matches!(graph.node(new.node).op, Op::Input) || graph.is_output(new))
}

/// Removes `node`, whose output 0 equals `new`: its readers read `new`. When that output was a
/// model output, `new` takes its name, so dumps and generated code keep the model's names.
pub fn bypass(graph: &mut Graph, node: NodeIndex, new: ValueRef) {
    let old = out0(node);
    let name = graph.is_output(old).then(|| graph.value(old).name.clone());
    graph.replace_uses(old, new);
    graph.remove_node(node);
    if let Some(name) = name {
        graph.node_mut(new.node).outputs[new.slot].name = name;
    }
}

/// Removes `node`, whose work `into` now does (a fusion): readers of the node's output read
/// `into`, which takes the node's output name since it now holds that value.
pub fn absorb(graph: &mut Graph, node: NodeIndex, into: ValueRef) {
    let old = out0(node);
    let name = graph.value(old).name.clone();
    graph.replace_uses(old, into);
    graph.remove_node(node);
    graph.node_mut(into.node).outputs[into.slot].name = name;
}

/// Adds a constant under a fresh name derived from `base`.
pub fn new_constant(graph: &mut Graph, base: &str, tensor: Tensor) -> ValueRef {
    let name = graph.unique_name(base);
    graph.add_constant(name, tensor)
}

/// The value of a one-element constant, as `f32`.
pub fn scalar(graph: &Graph, v: ValueRef) -> Option<f32> {
    graph.constant(v).and_then(Tensor::scalar_f32)
}

/// The `f32` elements of a constant `f32` tensor (other element types are not rewritten).
pub fn f32_constant(graph: &Graph, v: ValueRef) -> Option<(&[usize], &[f32])> {
    match graph.constant(v) {
        Some(Tensor { shape, data: crate::ir::Data::F32(values) }) => Some((shape, values)),
        _ => None,
    }
}

/// The node producing `v` when `v` is its only output read exactly once (by one node input,
/// and not a model output): the condition for folding the producer into its reader.
pub fn sole_producer(graph: &Graph, v: ValueRef) -> Option<&crate::ir::Node> {
    let node = graph.node(v.node);
    (v.slot == 0 && node.outputs.len() == 1 && graph.use_count(v) == 1).then_some(node)
}
