//! Shape and type inference: fills every value's [`ValueInfo`] from its inputs.
//!
//! Shapes in onnxc are fully static, so inputs that decide a shape (Reshape's shape, Slice's
//! starts, …) must be known at compile time. The driver walks the graph in topological order
//! and, next to the infos, keeps the *values* of small tensors computable from constants
//! (PyTorch's `Shape → Gather → Concat` chains) by running the evaluator on them. It does not
//! change the graph's structure: turning those values into constants is the folding pass's job.

mod elementwise;
mod geometry;
pub mod index;
mod layout;
pub mod nn;
pub mod stateful;
pub mod quant;
pub mod vision;
pub mod signal;
mod rules;

pub use geometry::{broadcast_shapes, conv_transpose_geometry, normalize_axis, window_geometry, WindowGeometry};
pub use rules::{infer_node, matmul_shape, pad_amounts, reduce_axes, reshape_shape, resize_scales, resolve_perm, shape_range, slice_plan, split_sizes, Inputs, SliceDim};

use super::{Graph, Tensor, ValueRef};
use crate::error::{Context, Result};
use std::collections::HashMap;

/// Largest tensor (in elements) the driver evaluates to learn a shape-deciding value.
const MAX_EVAL_ELEMENTS: usize = 1 << 16;

/// Recomputes every node's output infos in place.
pub fn infer_graph(graph: &mut Graph) -> Result<()> {
    let results = infer_all(graph)?;
    for (node, outputs) in results {
        let slots = &mut graph.node_mut(node).outputs;
        for (slot, (dtype, shape)) in slots.iter_mut().zip(outputs) {
            slot.dtype = dtype;
            slot.shape = shape;
        }
    }
    Ok(())
}

/// Output types and shapes of a node, slot by slot.
pub type Inferred = Vec<(super::DType, Vec<usize>)>;

/// Infers every node without modifying the graph (the validator compares the result).
pub fn infer_all(graph: &Graph) -> Result<Vec<(petgraph::stable_graph::NodeIndex, Inferred)>> {
    Ok(infer_with_values(graph)?.0)
}

/// The value of `v` when inference can compute it from constants (small tensors only), for
/// the importer's compile-time decisions (an `If` condition, a `Loop` trip count).
pub fn known_value(graph: &Graph, v: ValueRef) -> Result<Option<Tensor>> {
    Ok(infer_with_values(graph)?.1.remove(&v))
}

type Known = HashMap<ValueRef, Tensor>;

fn infer_with_values(graph: &Graph) -> Result<(Vec<(petgraph::stable_graph::NodeIndex, Inferred)>, Known)> {
    let mut known: HashMap<ValueRef, Tensor> = HashMap::new();
    let mut infos = graph.clone();
    let mut results = Vec::new();
    for node in graph.topo_order()? {
        let inputs = infos.inputs(node);
        let n = infos.node(node);
        if matches!(n.op, crate::ir::Op::Input) {
            results.push((node, n.outputs.iter().map(|o| (o.dtype, o.shape.clone())).collect()));
            continue;
        }
        let in_infos: Vec<_> = inputs.iter().map(|v| v.map(|v| infos.value(v))).collect();
        let in_values: Vec<Option<&Tensor>> = inputs
            .iter()
            .map(|v| v.and_then(|v| infos.constant(v).or_else(|| known.get(&v))))
            .collect();
        let context = || format!("node '{}' ({})", n.name, n.op.name());
        let outputs = infer_node(&n.op, &in_infos, &in_values, n.outputs.len()).with_context(context)?;
        let foldable = !matches!(n.op, crate::ir::Op::Input | crate::ir::Op::Constant(_))
            && in_values.iter().zip(&inputs).all(|(v, i)| i.is_none() || v.is_some())
            && outputs.iter().all(|(_, s)| s.iter().product::<usize>() <= MAX_EVAL_ELEMENTS);
        let values = if foldable || n.op.shape_only() {
            let mut out_infos = n.outputs.clone();
            for (info, (dtype, shape)) in out_infos.iter_mut().zip(&outputs) {
                info.dtype = *dtype;
                info.shape.clone_from(shape);
            }
            crate::eval::eval_node(&n.op, &in_infos, &in_values, &out_infos).ok()
        } else {
            None
        };
        let node_mut = infos.node_mut(node);
        for (slot, (dtype, shape)) in node_mut.outputs.iter_mut().zip(&outputs) {
            slot.dtype = *dtype;
            slot.shape.clone_from(shape);
        }
        if let Some(values) = values {
            for (slot, t) in values.into_iter().enumerate() {
                known.insert(ValueRef { node, slot }, t);
            }
        }
        results.push((node, outputs));
    }
    Ok((results, known))
}
