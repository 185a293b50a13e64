//! Whole-graph evaluation for `onnxc run`.

use crate::error::{Context, Error, Result};
use crate::ir::{Graph, Op, Tensor, ValueRef};
use std::collections::{BTreeMap, HashMap};

/// Options of a reference run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {}

/// Evaluates the graph on `inputs` (by input name) and returns every model output by name.
pub fn run_graph(graph: &Graph, inputs: &BTreeMap<String, Tensor>, _opts: &RunOptions) -> Result<Vec<(String, Tensor)>> {
    let mut values: HashMap<ValueRef, Tensor> = HashMap::new();
    for &input in &graph.inputs {
        let info = &graph.node(input).outputs[0];
        let t = inputs
            .get(&info.name)
            .ok_or_else(|| Error::invalid(format!("input '{}' was not given", info.name)))?;
        // A scalar may come as `[1]` (as in the ONNX test data): same elements, same order.
        let same_layout = t.shape.iter().filter(|&&d| d != 1).eq(info.shape.iter().filter(|&&d| d != 1));
        if t.dtype() != info.dtype || !same_layout {
            return Err(Error::invalid(format!(
                "input '{}' must be {} {:?}, got {} {:?}",
                info.name,
                info.dtype,
                info.shape,
                t.dtype(),
                t.shape
            )));
        }
        let mut t = t.clone();
        t.shape.clone_from(&info.shape);
        values.insert(ValueRef { node: input, slot: 0 }, t);
    }
    for name in inputs.keys() {
        if !graph.inputs.iter().any(|&i| &graph.node(i).outputs[0].name == name) {
            return Err(Error::invalid(format!("the model has no input named '{name}'")));
        }
    }
    for node in graph.topo_order()? {
        let n = graph.node(node);
        if matches!(n.op, Op::Input) {
            continue;
        }
        let ins = graph.inputs(node);
        let infos: Vec<_> = ins.iter().map(|v| v.map(|v| graph.value(v))).collect();
        let vals: Vec<Option<&Tensor>> = ins.iter().map(|v| v.and_then(|v| values.get(&v))).collect();
        let outs = super::eval_node(&n.op, &infos, &vals, &n.outputs)
            .with_context(|| format!("node '{}' ({})", n.name, n.op.name()))?;
        for (slot, t) in outs.into_iter().enumerate() {
            values.insert(ValueRef { node, slot }, t);
        }
    }
    graph
        .outputs
        .iter()
        .map(|o| {
            let t = values.get(&o.value).cloned().ok_or_else(|| Error::internal(format!("output '{}' was not computed", o.name)))?;
            Ok((o.name.clone(), t))
        })
        .collect()
}
