//! Control flow (`If`, `Loop`, `Scan`) expanded into plain nodes while importing.
//!
//! onnxc compiles static graphs, so control flow is resolved at compile time:
//! - `If`: its condition must fold to a constant; the chosen branch is inlined.
//! - `Loop`: its trip count and every iteration's condition must fold; the body is unrolled
//!   once per iteration, and scan outputs are stacked with `Unsqueeze` + `Concat`.
//! - `Scan`: the number of iterations is the static length of the scanned axis; the body is
//!   unrolled with `Gather` picking each slice (opset 8's batched form is unrolled per batch
//!   row too).
//!
//! A body is inlined by converting its nodes with the importer's usual path inside a
//! [`Scope`]: the body's value names map to fresh unique names, and names the body does not
//! define resolve in the enclosing scopes (outer-scope references). Nested control flow
//! works the same way, one scope deeper.

use super::attributes::Attrs;
use super::import::{Builder, Scope, Source};
use super::proto::{GraphProto, NodeProto};
use crate::error::{Error, Result};
use crate::ir::{Data, DType, Op, Tensor, ValueRef};
use std::collections::HashMap;

/// Most iterations one `Loop` or `Scan` is unrolled to (each copies the whole body).
const MAX_UNROLLED_ITERATIONS: usize = 4096;

/// True for the ops this module expands.
pub(super) fn is_control_flow(op_type: &str) -> bool {
    matches!(op_type, "If" | "Loop" | "Scan")
}

impl Builder<'_> {
    /// Expands one control-flow node. `Ok(false)`: something inside a body failed and was
    /// recorded (its error or unknown op is reported with the others).
    pub(super) fn expand_control_flow(
        &mut self,
        node: &NodeProto,
        name: &str,
        inputs: &[Option<ValueRef>],
        context: &str,
    ) -> Result<bool> {
        let attrs = Attrs::new(&node.attribute)?;
        let outputs = match node.op_type.as_str() {
            "If" => self.expand_if(&attrs, name, inputs)?,
            "Loop" => self.expand_loop(&attrs, name, inputs, node.output.len())?,
            _ => self.expand_scan(&attrs, name, inputs, node.output.len())?,
        };
        if let Some(unread) = attrs.first_unread() {
            return Err(Error::invalid(format!("attribute '{unread}' is not defined for {}", node.op_type)));
        }
        let Some(outputs) = outputs else {
            return Ok(false);
        };
        if outputs.len() < node.output.iter().filter(|o| !o.is_empty()).count() {
            return Err(Error::invalid(format!(
                "the node names {} outputs; its body produces {}",
                node.output.len(),
                outputs.len()
            )));
        }
        // Each output gets an Identity node of its own: the value keeps the node's output name
        // even when a branch returns an outer value (or a graph input) unchanged; `simplify`
        // removes the ones that are not needed.
        for (i, (out, value)) in node.output.iter().zip(outputs).enumerate() {
            if out.is_empty() {
                continue;
            }
            let id = self.unique_node_name(format!("{name}_output{i}"));
            let info = crate::ir::ValueInfo { name: String::new(), dtype: DType::F32, shape: Vec::new() };
            let node_id = self.graph.add_node(id, Op::Identity, &[Some(value)], vec![info]);
            let unique = self.define_scoped(out, Source::Value(ValueRef { node: node_id, slot: 0 }), context)?;
            if let Some(info) = self.graph.node_mut(node_id).outputs.first_mut() {
                info.name = unique;
            }
        }
        Ok(true)
    }

    fn expand_if(&mut self, attrs: &Attrs, name: &str, inputs: &[Option<ValueRef>]) -> Result<Option<Vec<ValueRef>>> {
        let then_branch = required_graph(attrs, "then_branch")?;
        let else_branch = required_graph(attrs, "else_branch")?;
        let cond = inputs.first().copied().flatten().ok_or_else(|| Error::invalid("If has no condition input"))?;
        let value = self.known_value(cond)?.ok_or_else(|| {
            Error::unsupported("the condition is computed at run time; onnxc compiles If only when its condition is a compile-time constant")
        })?;
        let taken = truth(&value).ok_or_else(|| Error::invalid("the condition is not a one-element tensor"))?;
        let (branch, label) = if taken { (then_branch, "then") } else { (else_branch, "else") };
        self.inline_body(branch, &[], &format!("{name}/{label}/"))
    }

    fn expand_loop(
        &mut self,
        attrs: &Attrs,
        name: &str,
        inputs: &[Option<ValueRef>],
        node_outputs: usize,
    ) -> Result<Option<Vec<ValueRef>>> {
        let body = required_graph(attrs, "body")?;
        let trip_count = match inputs.first().copied().flatten() {
            None => None,
            Some(m) => {
                let t = self.known_value(m)?.ok_or_else(|| {
                    Error::unsupported("the trip count M is computed at run time; onnxc unrolls a Loop only when M is a compile-time constant")
                })?;
                let m = t.to_i64_vec().and_then(|v| v.first().copied()).ok_or_else(|| Error::invalid("M is not an integer"))?;
                Some(usize::try_from(m.max(0)).unwrap_or(usize::MAX))
            }
        };
        let mut cond = match inputs.get(1).copied().flatten() {
            None => true,
            Some(c) => {
                let t = self.known_value(c)?.ok_or_else(|| {
                    Error::unsupported("the initial condition is computed at run time; onnxc unrolls a Loop only when it folds")
                })?;
                truth(&t).ok_or_else(|| Error::invalid("the condition is not a one-element tensor"))?
            }
        };
        let mut state: Vec<ValueRef> = Vec::new();
        for (i, v) in inputs.iter().enumerate().skip(2) {
            state.push(v.ok_or_else(|| Error::invalid(format!("loop-carried input {i} is empty")))?);
        }
        let carried = state.len();
        if body.input.len() != carried + 2 || body.output.len() < carried + 1 {
            return Err(Error::invalid(format!(
                "the body takes {} inputs and returns {} outputs; the Loop carries {carried} values",
                body.input.len(),
                body.output.len()
            )));
        }
        let scanned = body.output.len() - carried - 1;
        let mut stacks: Vec<Vec<ValueRef>> = vec![Vec::new(); scanned];
        let mut iteration = 0usize;
        while cond && trip_count.is_none_or(|m| iteration < m) {
            if iteration >= MAX_UNROLLED_ITERATIONS {
                return Err(Error::limit(format!(
                    "the Loop runs more than {MAX_UNROLLED_ITERATIONS} iterations, the most onnxc unrolls"
                )));
            }
            let prefix = format!("{name}/iter{iteration}/");
            let counter = self.add_helper_constant(format!("{prefix}iteration"), scalar_i64(iteration)?);
            let cond_in = self.add_helper_constant(format!("{prefix}cond"), Tensor::new(Vec::new(), Data::Bool(vec![1]))?);
            let mut bound = vec![counter, cond_in];
            bound.extend(&state);
            let Some(outs) = self.inline_body(body, &bound, &prefix)? else {
                return Ok(None);
            };
            let (cond_out, rest) = outs.split_first().ok_or_else(|| Error::internal("Loop body without outputs"))?;
            // The condition is only needed when it can end the loop early.
            let passes_through = body.output.first().map(|o| &o.name) == body.input.get(1).map(|i| &i.name);
            if !passes_through {
                let t = self.known_value(*cond_out)?.ok_or_else(|| {
                    Error::unsupported(format!(
                        "iteration {iteration}'s condition is computed at run time; onnxc unrolls a Loop only when it folds"
                    ))
                })?;
                cond = truth(&t).ok_or_else(|| Error::invalid("the condition is not a one-element tensor"))?;
            }
            state = rest.iter().take(carried).copied().collect();
            for (stack, v) in stacks.iter_mut().zip(rest.iter().skip(carried)) {
                stack.push(*v);
            }
            iteration += 1;
        }
        let mut outputs = state;
        for (k, parts) in stacks.iter().enumerate().take(node_outputs.saturating_sub(carried)) {
            outputs.push(self.stack(&format!("{name}/scan_output{k}"), parts, 0, false)?);
        }
        Ok(Some(outputs))
    }

    fn expand_scan(
        &mut self,
        attrs: &Attrs,
        name: &str,
        inputs: &[Option<ValueRef>],
        node_outputs: usize,
    ) -> Result<Option<Vec<ValueRef>>> {
        let body = required_graph(attrs, "body")?;
        let scans = attrs.int("num_scan_inputs")?.ok_or_else(|| Error::invalid("Scan needs num_scan_inputs"))?;
        let scans = usize::try_from(scans).map_err(|_| Error::invalid("num_scan_inputs is negative"))?;
        if self.opset_of_default_domain() < 9 {
            return self.expand_scan8(attrs, body, name, inputs, scans, node_outputs);
        }
        let values = all_present(inputs)?;
        if scans > values.len() || scans == 0 {
            return Err(Error::invalid(format!("num_scan_inputs is {scans}, with {} inputs", values.len())));
        }
        let spec = ScanSpec::read(attrs, scans, body.output.len().saturating_sub(values.len() - scans))?;
        let (states, xs) = values.split_at(values.len() - scans);
        self.scan_core(body, name, states, xs, &spec, node_outputs)
    }

    /// Opset 8's Scan: inputs are `[batch, sequence, …]` after an optional `sequence_lens`;
    /// every batch row is scanned on its own and the results are stacked again.
    fn expand_scan8(
        &mut self,
        attrs: &Attrs,
        body: &GraphProto,
        name: &str,
        inputs: &[Option<ValueRef>],
        scans: usize,
        node_outputs: usize,
    ) -> Result<Option<Vec<ValueRef>>> {
        if inputs.first().copied().flatten().is_some() {
            return Err(Error::unsupported("Scan's sequence_lens input is not supported (give every row the full length)"));
        }
        let values = all_present(inputs.get(1..).unwrap_or_default())?;
        if scans > values.len() || scans == 0 {
            return Err(Error::invalid(format!("num_scan_inputs is {scans}, with {} inputs", values.len())));
        }
        let carried = values.len() - scans;
        let mut spec = ScanSpec::read_opset8(attrs, scans, body.output.len().saturating_sub(carried))?;
        let batch = *self
            .static_shape(values.first().copied().ok_or_else(|| Error::invalid("Scan has no inputs"))?)?
            .first()
            .ok_or_else(|| Error::invalid("Scan's inputs need a batch axis"))?;
        spec.output_axes.iter_mut().for_each(|a| *a = 0);
        let mut per_output: Vec<Vec<ValueRef>> = Vec::new();
        for b in 0..batch {
            let row = format!("{name}/batch{b}/");
            let mut sliced = Vec::with_capacity(values.len());
            for (i, v) in values.iter().enumerate() {
                sliced.push(self.take(&format!("{row}input{i}"), *v, b, 0)?);
            }
            let (states, xs) = sliced.split_at(carried);
            let Some(outs) = self.scan_core(body, &row, states, xs, &spec, node_outputs)? else {
                return Ok(None);
            };
            per_output.resize(outs.len(), Vec::new());
            for (parts, v) in per_output.iter_mut().zip(outs) {
                parts.push(v);
            }
        }
        let mut outputs = Vec::with_capacity(per_output.len());
        for (k, parts) in per_output.iter().enumerate() {
            outputs.push(self.stack(&format!("{name}/output{k}"), parts, 0, false)?);
        }
        Ok(Some(outputs))
    }

    /// Unrolls a Scan over `xs` (sliced along their scan axes) with `states` carried along.
    fn scan_core(
        &mut self,
        body: &GraphProto,
        name: &str,
        states: &[ValueRef],
        xs: &[ValueRef],
        spec: &ScanSpec,
        node_outputs: usize,
    ) -> Result<Option<Vec<ValueRef>>> {
        let carried = states.len();
        if body.input.len() != carried + xs.len() || body.output.len() < carried {
            return Err(Error::invalid(format!(
                "the body takes {} inputs and returns {} outputs; the Scan carries {carried} and scans {}",
                body.input.len(),
                body.output.len(),
                xs.len()
            )));
        }
        let mut axes = Vec::with_capacity(xs.len());
        let mut length = None;
        for (j, x) in xs.iter().enumerate() {
            let shape = self.static_shape(*x)?;
            let axis = normalize(spec.input_axes.get(j).copied().unwrap_or(0), shape.len())?;
            let n = shape.get(axis).copied().unwrap_or(0);
            if length.is_some_and(|l| l != n) {
                return Err(Error::invalid("the scanned inputs have different lengths"));
            }
            length = Some(n);
            axes.push(axis);
        }
        let length = length.unwrap_or(0);
        if length > MAX_UNROLLED_ITERATIONS {
            return Err(Error::limit(format!(
                "the Scan runs {length} iterations, more than the {MAX_UNROLLED_ITERATIONS} onnxc unrolls"
            )));
        }
        let scanned = body.output.len() - carried;
        let mut state = states.to_vec();
        let mut stacks: Vec<Vec<ValueRef>> = vec![Vec::new(); scanned];
        for t in 0..length {
            let prefix = format!("{name}/iter{t}/");
            let mut bound = state.clone();
            for (j, (x, axis)) in xs.iter().zip(&axes).enumerate() {
                let reverse = spec.input_reverse.get(j).copied().unwrap_or(false);
                let index = if reverse { length - 1 - t } else { t };
                bound.push(self.take(&format!("{prefix}x{j}"), *x, index, *axis)?);
            }
            let Some(outs) = self.inline_body(body, &bound, &prefix)? else {
                return Ok(None);
            };
            state = outs.iter().take(carried).copied().collect();
            for (stack, v) in stacks.iter_mut().zip(outs.iter().skip(carried)) {
                stack.push(*v);
            }
        }
        let mut outputs = state;
        for (k, parts) in stacks.iter().enumerate().take(node_outputs.saturating_sub(carried)) {
            let axis = spec.output_axes.get(k).copied().unwrap_or(0);
            let reverse = spec.output_reverse.get(k).copied().unwrap_or(false);
            outputs.push(self.stack(&format!("{name}/scan_output{k}"), parts, axis, reverse)?);
        }
        Ok(Some(outputs))
    }

    /// Converts a sub-graph's nodes with `bound` as its inputs; returns its outputs, or
    /// `None` when a node inside failed (already recorded).
    fn inline_body(&mut self, body: &GraphProto, bound: &[ValueRef], prefix: &str) -> Result<Option<Vec<ValueRef>>> {
        if body.input.len() != bound.len() {
            return Err(Error::invalid(format!("the body takes {} inputs, {} are given", body.input.len(), bound.len())));
        }
        self.scopes.push(Scope { prefix: prefix.to_string(), names: HashMap::new() });
        let result = self.inline_in_scope(body, bound, prefix);
        self.scopes.pop();
        result
    }

    fn inline_in_scope(&mut self, body: &GraphProto, bound: &[ValueRef], prefix: &str) -> Result<Option<Vec<ValueRef>>> {
        for (input, value) in body.input.iter().zip(bound) {
            self.define_scoped(&input.name, Source::Value(*value), "a body input")?;
        }
        for t in &body.initializer {
            let tensor = self.read_tensor(t)?;
            let value = self.add_helper_constant(format!("{prefix}{}", t.name), tensor);
            self.define_scoped(&t.name, Source::Value(value), "a body initializer")?;
        }
        let failures = (self.unknown.len(), self.first_error.is_some());
        for (index, node) in body.node.iter().enumerate() {
            self.add_one_node(index, node, prefix)?;
        }
        if (self.unknown.len(), self.first_error.is_some()) != failures {
            return Ok(None);
        }
        let mut outputs = Vec::with_capacity(body.output.len());
        for out in &body.output {
            match self.lookup(&out.name) {
                Some(Source::Value(v)) => outputs.push(*v),
                Some(Source::Failed) => return Ok(None),
                Some(Source::Dropped { node, op_type, index }) => {
                    return Err(Error::unsupported(format!(
                        "the body returns '{}', output {index} of node '{node}' ({op_type}), which onnxc does not compute",
                        out.name
                    )))
                }
                None => return Err(Error::invalid(format!("the body returns '{}', which nothing produces", out.name))),
            }
        }
        Ok(Some(outputs))
    }

    /// Slice `index` of `x` along `axis`, without that axis (a Gather with a scalar index).
    fn take(&mut self, name: &str, x: ValueRef, index: usize, axis: usize) -> Result<ValueRef> {
        let i = self.add_helper_constant(format!("{name}_index"), scalar_i64(index)?);
        let axis = i64::try_from(axis).map_err(|_| Error::internal("axis"))?;
        Ok(self.add_helper_node(name.to_string(), Op::Gather { axis }, &[Some(x), Some(i)]))
    }

    /// The per-iteration values stacked along a new axis `axis` (negative: from the end of
    /// the stacked rank), in reverse order when `reverse`.
    fn stack(&mut self, name: &str, parts: &[ValueRef], axis: i64, reverse: bool) -> Result<ValueRef> {
        if parts.is_empty() {
            return Err(Error::unsupported(
                "the loop runs zero times, so its scan outputs would be empty tensors of unknown shape",
            ));
        }
        let mut rows = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let row = self.add_helper_node(format!("{name}_row{i}"), Op::Unsqueeze { axes: Some(vec![axis]) }, &[Some(*part)]);
            rows.push(Some(row));
        }
        if reverse {
            rows.reverse();
        }
        if rows.len() == 1 {
            return rows.first().copied().flatten().ok_or_else(|| Error::internal("empty stack"));
        }
        Ok(self.add_helper_node(name.to_string(), Op::Concat { axis }, &rows))
    }

    /// The value of `v` if it is known at compile time (a constant, or computable from
    /// constants by inference's constant evaluation).
    fn known_value(&self, v: ValueRef) -> Result<Option<Tensor>> {
        if let Some(t) = self.graph.constant(v) {
            return Ok(Some(t.clone()));
        }
        crate::ir::infer::known_value(&self.graph, v)
    }
}

/// `Scan`'s axis and direction attributes, one entry per scanned input or scan output.
struct ScanSpec {
    input_axes: Vec<i64>,
    input_reverse: Vec<bool>,
    output_axes: Vec<i64>,
    output_reverse: Vec<bool>,
}

impl ScanSpec {
    fn read(attrs: &Attrs, scans: usize, outputs: usize) -> Result<ScanSpec> {
        let input_axes = attrs.ints("scan_input_axes")?.unwrap_or_else(|| vec![0; scans]);
        let input_reverse = directions(attrs.ints("scan_input_directions")?, scans)?;
        let output_axes = attrs.ints("scan_output_axes")?.unwrap_or_else(|| vec![0; outputs]);
        let output_reverse = directions(attrs.ints("scan_output_directions")?, outputs)?;
        if input_axes.len() != scans || output_axes.len() != outputs {
            return Err(Error::invalid("scan_input_axes/scan_output_axes do not match the number of scans"));
        }
        Ok(ScanSpec { input_axes, input_reverse, output_axes, output_reverse })
    }

    /// Opset 8: one `directions` list for the scanned inputs; outputs go forward along axis 0
    /// of each batch row.
    fn read_opset8(attrs: &Attrs, scans: usize, outputs: usize) -> Result<ScanSpec> {
        let input_reverse = directions(attrs.ints("directions")?, scans)?;
        Ok(ScanSpec {
            input_axes: vec![0; scans],
            input_reverse,
            output_axes: vec![0; outputs],
            output_reverse: vec![false; outputs],
        })
    }
}

fn directions(values: Option<Vec<i64>>, n: usize) -> Result<Vec<bool>> {
    let values = values.unwrap_or_else(|| vec![0; n]);
    if values.len() != n {
        return Err(Error::invalid(format!("{} directions given for {n} scans", values.len())));
    }
    values
        .iter()
        .map(|&d| match d {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Error::invalid(format!("scan direction {d} is neither 0 nor 1"))),
        })
        .collect()
}

fn required_graph<'a>(attrs: &Attrs<'a>, name: &str) -> Result<&'a GraphProto> {
    attrs.graph(name)?.ok_or_else(|| Error::invalid(format!("attribute '{name}' (a graph) is missing")))
}

fn all_present(inputs: &[Option<ValueRef>]) -> Result<Vec<ValueRef>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, v)| v.ok_or_else(|| Error::invalid(format!("input {i} is empty"))))
        .collect()
}

fn normalize(axis: i64, rank: usize) -> Result<usize> {
    let r = i64::try_from(rank).map_err(|_| Error::internal("rank"))?;
    let a = if axis < 0 { axis + r } else { axis };
    usize::try_from(a).ok().filter(|&a| a < rank).ok_or_else(|| Error::invalid(format!("scan axis {axis} is out of range for rank {rank}")))
}

fn scalar_i64(v: usize) -> Result<Tensor> {
    let v = i64::try_from(v).map_err(|_| Error::internal("iteration count"))?;
    Tensor::from_i64(Vec::new(), vec![v])
}

/// A one-element tensor's truth value.
fn truth(t: &Tensor) -> Option<bool> {
    if t.len() != 1 {
        return None;
    }
    match &t.data {
        Data::Bool(v) => v.first().map(|&b| b != 0),
        _ => t.to_f32_vec().and_then(|v| v.first().map(|&x| x != 0.0)),
    }
}

#[cfg(test)]
#[path = "control_flow_tests.rs"]
mod tests;
