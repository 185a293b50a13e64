//! ONNX model → [`Graph`]: decoding, validation, and conversion of every node to a typed op.
//!
//! The file is untrusted: every error is a value with the node, op and opset it concerns, and
//! sizes claimed by the file are checked before anything is allocated for them.

use super::attributes::Attrs;
use super::ops::{self, Lowered, NodeCtx};
use super::proto::{tensor_shape_proto::dimension, type_proto, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use super::tensor::TensorReader;
use crate::error::{Error, Result};
use crate::ir::{DType, Graph, GraphOutput, Op, ValueInfo, ValueRef};
use crate::limits::{self, Bytes, Limits, DECODE_ALLOWANCE, PROTOBUF_DEPTH_LIMIT};
use prost::Message;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The ai.onnx opsets onnxc imports.
pub const OPSET_RANGE: std::ops::RangeInclusive<i64> = 1..=28;

/// Choices the model file cannot make for itself.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Sizes for symbolic input dimensions (`--dim name=value`).
    pub dims: BTreeMap<String, usize>,
    /// Caps on sizes and counts (the importer enforces all but `max_arena_bytes`).
    pub limits: Limits,
}

/// Most unsupported nodes listed by name in one error (the count is always given).
const MAX_LISTED_UNSUPPORTED: usize = 50;

/// Reads an ONNX file; external data is looked up in the file's folder.
pub fn load(path: &Path, opts: &ImportOptions) -> Result<Graph> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(format!("cannot read {}: {e}", path.display())))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    load_bytes(&bytes, Some(dir), opts)
}

/// Imports a model from memory; `model_dir` is where external data lives (`None`: refuse it).
pub fn load_bytes(bytes: &[u8], model_dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    let model = decode_with(bytes, &opts.limits)?;
    let mut graph = build(&model, model_dir, opts)?;
    drop(model);
    crate::ir::infer::infer_graph(&mut graph)?;
    check_values(&graph, &opts.limits)?;
    Ok(graph)
}

/// Decodes the protobuf with the default limits.
#[cfg(test)]
pub(crate) fn decode(bytes: &[u8]) -> Result<ModelProto> {
    decode_with(bytes, &Limits::default())
}

/// Decodes the protobuf, with one clear line for anything that is not an ONNX model.
///
/// Before prost allocates anything, a scan of the bytes ([`super::wire`]) checks what decoding
/// will cost against `limits.max_decode_expansion` and counts nodes and initializers against
/// `limits.max_nodes`.
pub(crate) fn decode_with(bytes: &[u8], limits: &Limits) -> Result<ModelProto> {
    if bytes.is_empty() {
        return Err(Error::invalid("not a valid ONNX model: the file is empty"));
    }
    let scan = super::wire::scan(bytes)?;
    let budget = (limits.max_decode_expansion as u128).saturating_mul(bytes.len() as u128) + DECODE_ALLOWANCE as u128;
    if scan.decoded_bytes > budget {
        return Err(Error::limit(format!(
            "decoding the model needs about {} of memory for its {} messages, more than {} times the file's {} plus {} (raise the factor with --max-decode-expansion)",
            Bytes(scan.decoded_bytes),
            scan.messages,
            limits.max_decode_expansion,
            Bytes(bytes.len() as u128),
            Bytes(DECODE_ALLOWANCE as u128),
        )));
    }
    check_counts(scan.nodes, scan.initializers, limits)?;
    let model = ModelProto::decode(bytes).map_err(|e| {
        let reason = e.to_string();
        let reason = reason.strip_prefix("failed to decode Protobuf message: ").unwrap_or(&reason).to_string();
        if reason.ends_with("recursion limit reached") {
            // prost names every level of the path; the outermost one is enough to locate it.
            let outer = reason.split(": ").next().unwrap_or_default();
            return Error::invalid(format!(
                "not a valid ONNX model: protobuf messages nested more than {PROTOBUF_DEPTH_LIMIT} levels deep (under {outer})"
            ));
        }
        Error::invalid(format!("not a valid ONNX model: {reason}"))
    })?;
    if model.graph.is_none() {
        return Err(Error::invalid("not a valid ONNX model: it has no graph"));
    }
    Ok(model)
}

/// Who produced a value name, as far as the importer knows.
#[derive(Clone, Debug)]
pub(super) enum Source {
    Value(ValueRef),
    /// An output onnxc does not compute (Dropout's mask, BatchNorm's statistics, …).
    Dropped {
        node: String,
        op_type: String,
        index: usize,
    },
    /// An output of a node that could not be converted (its error is reported instead).
    Failed,
}

/// The value names of one inlined sub-graph (see `Builder::scopes`).
#[derive(Default)]
pub(super) struct Scope {
    /// Prepended to the names of the values and nodes the sub-graph makes.
    pub(super) prefix: String,
    /// The sub-graph's own value names → their unique names.
    pub(super) names: HashMap<String, String>,
}

/// The importer's state while it walks the graph.
pub(super) struct Builder<'m> {
    pub(super) graph: Graph,
    opset: i64,
    opsets: HashMap<&'m str, i64>,
    /// Every value by its unique (graph-wide) name.
    values: HashMap<String, Source>,
    /// While a sub-graph is being inlined (`If` branch, `Loop`/`Scan` body), one map per level
    /// from the sub-graph's own value names to the unique names they were given: an unrolled
    /// body defines the same ONNX names once per iteration.
    pub(super) scopes: Vec<Scope>,
    node_names: HashSet<String>,
    /// The next suffix to try for a node name that is taken (see `unique_node_name`).
    name_suffixes: HashMap<String, usize>,
    reader: TensorReader<'m>,
    pub(super) limits: &'m Limits,
    /// Nodes of unsupported ops, and the first conversion error, collected over the whole
    /// model (sub-graphs included) and reported together at the end.
    pub(super) unknown: Vec<String>,
    pub(super) first_error: Option<Error>,
}

/// Nodes and initializers against `limits.max_nodes`.
fn check_counts(nodes: usize, initializers: usize, limits: &Limits) -> Result<()> {
    for (what, count) in [("nodes", nodes), ("initializers", initializers)] {
        if count > limits.max_nodes {
            return Err(limits::too_many(what, count, limits.max_nodes, "--max-nodes"));
        }
    }
    Ok(())
}

/// Every value's rank and size against the limits, once inference has given them shapes: the
/// passes and the evaluator after import may allocate a value's size.
fn check_values(graph: &Graph, limits: &Limits) -> Result<()> {
    for node in graph.graph.node_indices() {
        let n = graph.node(node);
        for info in &n.outputs {
            let what = || format!("value '{}' of node '{}' ({})", info.name, n.name, n.op.name());
            if info.shape.len() > limits.max_rank {
                return Err(limits::rank_exceeded(what(), info.shape.len(), limits));
            }
            limits::check_tensor_size(what(), &info.shape, info.dtype, limits)?;
        }
    }
    Ok(())
}

/// Converts a decoded model without running shape inference.
pub(crate) fn build(model: &ModelProto, model_dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    let g = model.graph.as_ref().ok_or_else(|| Error::invalid("not a valid ONNX model: it has no graph"))?;
    let (opset, opsets) = opsets(model, g)?;
    check_counts(g.node.len(), g.initializer.len(), &opts.limits)?;
    if let Some(s) = g.sparse_initializer.first() {
        let name = s.values.as_ref().map(|v| v.name.as_str()).unwrap_or_default();
        return Err(Error::unsupported(format!("sparse initializers are not supported ('{name}')")));
    }
    let name = if g.name.is_empty() { "model".to_string() } else { g.name.clone() };
    let total = Cell::new(0);
    let mut b = Builder {
        graph: Graph::new(name),
        opset,
        opsets,
        values: HashMap::new(),
        scopes: Vec::new(),
        node_names: HashSet::new(),
        name_suffixes: HashMap::new(),
        reader: TensorReader { model_dir, limits: &opts.limits, total: &total },
        limits: &opts.limits,
        unknown: Vec::new(),
        first_error: None,
    };
    b.add_inputs(g, &opts.dims)?;
    b.add_initializers(g)?;
    b.add_nodes(g)?;
    b.add_outputs(g)?;
    unused_dropout_masks(&mut b.graph);
    Ok(b.graph)
}

/// Inference Dropout whose mask nobody reads is the identity (a view, not a copy).
fn unused_dropout_masks(graph: &mut Graph) {
    let nodes: Vec<_> = graph.graph.node_indices().collect();
    for n in nodes {
        let mask = crate::ir::ValueRef { node: n, slot: 1 };
        if graph.node(n).op == crate::ir::Op::Quant(crate::ir::op_quant::QuantOp::DropoutMask) && graph.use_count(mask) == 0 {
            let node = graph.node_mut(n);
            node.op = crate::ir::Op::Identity;
            node.outputs.truncate(1);
        }
    }
}

/// The default domain's opset (checked against [`OPSET_RANGE`]) and every domain's version.
///
/// A model that imports no ai.onnx opset is only let through when all its nodes are in other
/// domains, so that they are reported together as unsupported operators.
fn opsets<'a>(model: &'a ModelProto, g: &GraphProto) -> Result<(i64, HashMap<&'a str, i64>)> {
    let mut opsets: HashMap<&str, i64> = HashMap::new();
    for o in &model.opset_import {
        let domain = if o.domain == "ai.onnx" { "" } else { o.domain.as_str() };
        let v = opsets.entry(domain).or_insert(o.version);
        *v = (*v).max(o.version);
    }
    let Some(&opset) = opsets.get("") else {
        if g.node.is_empty() || g.node.iter().any(|n| is_default_domain(&n.domain)) {
            return Err(Error::invalid(
                "the model imports no ai.onnx opset (opset_import has no entry for the default domain)",
            ));
        }
        return Ok((0, opsets));
    };
    if !OPSET_RANGE.contains(&opset) {
        return Err(Error::unsupported(format!(
            "ai.onnx opset {opset} is not supported (onnxc supports opsets {} to {})",
            OPSET_RANGE.start(),
            OPSET_RANGE.end()
        )));
    }
    Ok((opset, opsets))
}

fn is_default_domain(domain: &str) -> bool {
    domain.is_empty() || domain == "ai.onnx"
}

impl<'m> Builder<'m> {
    /// `name`, or `name_1`, `name_2`, … if a node already has it. The next suffix to try is
    /// remembered per name, so that many nodes of one name cost linear time, not quadratic.
    pub(super) fn unique_node_name(&mut self, name: String) -> String {
        if self.node_names.insert(name.clone()) {
            return name;
        }
        let next = self.name_suffixes.entry(name.clone()).or_insert(1);
        loop {
            let candidate = format!("{name}_{next}");
            *next += 1;
            if self.node_names.insert(candidate.clone()) {
                return candidate;
            }
        }
    }

    /// The model's ai.onnx opset.
    pub(super) fn opset_of_default_domain(&self) -> i64 {
        self.opset
    }

    /// Decodes a tensor of a sub-graph (its initializers), under the same limits.
    pub(super) fn read_tensor(&self, t: &super::proto::TensorProto) -> Result<crate::ir::Tensor> {
        self.reader.read(t, &format!("initializer '{}'", t.name))
    }

    /// Records who produces `name`; a second producer is an error.
    fn define(&mut self, name: &str, source: Source, by: &str) -> Result<()> {
        if self.values.contains_key(name) {
            return Err(Error::invalid(format!("{by} produces '{name}', which is already produced elsewhere")));
        }
        self.values.insert(name.to_string(), source);
        Ok(())
    }

    /// Defines a value the model names `name` in the current scope and returns its unique
    /// name: `name` itself in the main graph, a fresh name inside an inlined sub-graph.
    pub(super) fn define_scoped(&mut self, name: &str, source: Source, by: &str) -> Result<String> {
        let Some(scope) = self.scopes.last() else {
            self.define(name, source, by)?;
            return Ok(name.to_string());
        };
        if scope.names.contains_key(name) {
            return Err(Error::invalid(format!("{by} produces '{name}', which is already produced elsewhere")));
        }
        let unique = self.fresh_value_name(&format!("{}{name}", scope.prefix), &[]);
        self.values.insert(unique.clone(), source);
        if let Some(scope) = self.scopes.last_mut() {
            scope.names.insert(name.to_string(), unique.clone());
        }
        Ok(unique)
    }

    /// The producer of the value the model calls `name` here: the innermost sub-graph that
    /// defines the name wins, then the enclosing ones, then the main graph.
    pub(super) fn lookup(&self, name: &str) -> Option<&Source> {
        for scope in self.scopes.iter().rev() {
            if let Some(unique) = scope.names.get(name) {
                return self.values.get(unique);
            }
        }
        self.values.get(name)
    }

    /// Graph inputs that are not initializers become `Op::Input` nodes with static shapes.
    fn add_inputs(&mut self, g: &GraphProto, dims: &BTreeMap<String, usize>) -> Result<()> {
        let initializers: HashSet<&str> = g.initializer.iter().map(|t| t.name.as_str()).collect();
        for input in &g.input {
            if initializers.contains(input.name.as_str()) {
                continue; // Older exporters list initializers as inputs too; they are constants.
            }
            if input.name.is_empty() {
                return Err(Error::invalid("a graph input has no name"));
            }
            let info = input_info(input, dims, self.limits)?;
            let node_name = self.unique_node_name(input.name.clone());
            let node = self.graph.add_node(node_name, Op::Input, &[], vec![info]);
            self.graph.inputs.push(node);
            self.define(&input.name, Source::Value(ValueRef { node, slot: 0 }), "graph input")?;
        }
        Ok(())
    }

    fn add_initializers(&mut self, g: &GraphProto) -> Result<()> {
        for t in &g.initializer {
            if t.name.is_empty() {
                return Err(Error::invalid("an initializer has no name"));
            }
            if self.values.contains_key(&t.name) {
                return Err(Error::invalid(format!("initializer '{}' is defined twice", t.name)));
            }
            let tensor = self.reader.read(t, &format!("initializer '{}'", t.name))?;
            let node_name = self.unique_node_name(t.name.clone());
            let value = self.graph.add_constant(node_name, tensor);
            // The value keeps the ONNX name even when the node had to be renamed.
            if let Some(info) = self.graph.node_mut(value.node).outputs.first_mut() {
                info.name.clone_from(&t.name);
            }
            self.define(&t.name, Source::Value(value), "initializer")?;
        }
        Ok(())
    }

    /// Converts every node in file order; unknown operators are collected and reported together.
    fn add_nodes(&mut self, g: &GraphProto) -> Result<()> {
        for (index, node) in g.node.iter().enumerate() {
            self.add_one_node(index, node, "")?;
        }
        if !self.unknown.is_empty() {
            let more = self.unknown.len().saturating_sub(MAX_LISTED_UNSUPPORTED);
            let mut listed = self.unknown.iter().take(MAX_LISTED_UNSUPPORTED).cloned().collect::<Vec<_>>().join(", ");
            if more > 0 {
                listed.push_str(&format!(" and {more} more"));
            }
            return Err(Error::unsupported(format!(
                "unsupported: {} node(s): {listed}; see SUPPORTED_OPS.md for the supported list",
                self.unknown.len(),
            )));
        }
        self.first_error.take().map_or(Ok(()), Err)
    }

    /// Converts one node (number `index` of its graph); node names get `prefix` inside
    /// inlined sub-graphs. Conversion errors and unknown ops are recorded, not returned, so
    /// that one report can list them all; structural errors are returned.
    pub(super) fn add_one_node(&mut self, index: usize, node: &NodeProto, prefix: &str) -> Result<()> {
        let base = if node.name.is_empty() { format!("{}_{index}", node.op_type) } else { node.name.clone() };
        let name = self.unique_node_name(format!("{prefix}{base}"));
        if node.op_type.is_empty() {
            return Err(Error::invalid(format!("node '{name}' (number {index}) has no op_type")));
        }
        let default_domain = is_default_domain(&node.domain);
        let opset = if default_domain { Some(self.opset) } else { self.opsets.get(node.domain.as_str()).copied() };
        let context = match opset {
            Some(v) if default_domain => format!("node '{name}' ({}, opset {v})", node.op_type),
            Some(v) => format!("node '{name}' ({}.{}, opset {v})", node.domain, node.op_type),
            None => format!("node '{name}' ({}.{}, domain not imported)", node.domain, node.op_type),
        };
        let inputs = self.resolve_inputs(node, &context)?;
        if default_domain && super::control_flow::is_control_flow(&node.op_type) {
            let expanded = match &inputs {
                Some(inputs) => self.expand_control_flow(node, &name, inputs, &context),
                None => Ok(false),
            };
            return match expanded {
                Ok(true) => Ok(()),
                Ok(false) => self.define_failed(node, &context),
                Err(e) if e.kind == crate::error::ErrorKind::Limit => Err(e.context(&context)),
                Err(e) => {
                    self.first_error.get_or_insert(e.context(&context));
                    self.define_failed(node, &context)
                }
            };
        }
        let known = default_domain && ops::is_supported(&node.op_type);
        let lowered = match (known, &inputs) {
            (false, _) => {
                self.unknown.push(context.trim_start_matches("node ").to_string());
                None
            }
            (true, None) => None, // An input comes from a node that failed: its error suffices.
            (true, Some(_)) => match self.lower(node) {
                Ok(Some(lowered)) => Some(lowered),
                Ok(None) => {
                    self.unknown.push(context.trim_start_matches("node ").to_string());
                    None
                }
                Err(e) => {
                    self.first_error.get_or_insert(e.context(&context));
                    None
                }
            },
        };
        match (lowered, inputs) {
            (Some(lowered), Some(mut inputs)) => {
                if ops::legacy_may_unsqueeze(&node.op_type, self.opset) {
                    self.legacy_broadcast(node, &name, &mut inputs).map_err(|e| e.context(&context))?;
                }
                self.add_node(node, name, lowered, &inputs, &context)
            }
            _ => self.define_failed(node, &context),
        }
    }

    /// Marks every output of a node that could not be converted.
    fn define_failed(&mut self, node: &NodeProto, context: &str) -> Result<()> {
        for out in node.output.iter().filter(|o| !o.is_empty()) {
            self.define_scoped(out, Source::Failed, context)?;
        }
        Ok(())
    }

    /// The value behind each input name (`None` for absent optional inputs), or `Ok(None)` when
    /// one comes from a node that failed to convert.
    fn resolve_inputs(&self, node: &NodeProto, context: &str) -> Result<Option<Vec<Option<ValueRef>>>> {
        let mut values = Vec::with_capacity(node.input.len());
        for input in &node.input {
            if input.is_empty() {
                values.push(None);
                continue;
            }
            match self.lookup(input) {
                Some(Source::Value(v)) => values.push(Some(*v)),
                Some(Source::Failed) => return Ok(None),
                Some(Source::Dropped { node: producer, op_type, index }) => {
                    return Err(Error::unsupported(format!(
                        "{context}: reads '{input}', output {index} of node '{producer}' ({op_type}), which onnxc does not compute"
                    )))
                }
                None => {
                    return Err(Error::invalid(format!(
                        "{context}: reads '{input}', which no node, input or initializer produces (before it)"
                    )))
                }
            }
        }
        Ok(Some(values))
    }

    /// Runs the op's converter with the node's attributes and the constants known so far.
    fn lower(&self, node: &NodeProto) -> Result<Option<Lowered>> {
        let constant = |name: &str| match self.lookup(name) {
            Some(Source::Value(v)) => self.graph.constant(*v),
            _ => None,
        };
        let ctx = NodeCtx {
            node,
            opset: self.opset,
            attrs: Attrs::new(&node.attribute)?,
            tensors: self.reader,
            constant: &constant,
        };
        ops::lower(&ctx)
    }

    /// Opsets 1–6: broadcasts input 1 the old way (from `axis`, or PRelu's per-channel slope)
    /// by giving it trailing unit dims through an Unsqueeze node, so NumPy rules apply.
    fn legacy_broadcast(&mut self, node: &NodeProto, name: &str, inputs: &mut [Option<ValueRef>]) -> Result<()> {
        let (Some(Some(a)), Some(Some(b))) = (inputs.first().copied(), inputs.get(1).copied()) else {
            return Ok(());
        };
        let attrs = Attrs::new(&node.attribute)?;
        let axis = if attrs.bool_or("broadcast", false)? { attrs.int("axis")? } else { None };
        if node.op_type != "PRelu" && axis.is_none() {
            return Ok(());
        }
        let (sa, sb) = (self.static_shape(a)?, self.static_shape(b)?);
        let Some(axes) = ops::legacy_unsqueeze(&node.op_type, axis, &sa, &sb)? else {
            return Ok(());
        };
        let node_name = self.unique_node_name(format!("{name}_legacy_broadcast"));
        let value = self.add_helper_node(node_name, Op::Unsqueeze { axes: Some(axes) }, &[Some(b)]);
        if let Some(slot) = inputs.get_mut(1) {
            *slot = Some(value);
        }
        Ok(())
    }

    /// Adds a node the model does not name (a helper of legacy broadcasting or of expanded
    /// control flow) with one output under a fresh name, and returns that output.
    pub(super) fn add_helper_node(&mut self, node_name: String, op: Op, inputs: &[Option<ValueRef>]) -> ValueRef {
        let node_name = self.unique_node_name(node_name);
        let value_name = self.fresh_value_name(&format!("{node_name}_output"), &[]);
        let info = ValueInfo { name: value_name.clone(), dtype: DType::F32, shape: Vec::new() };
        let id = self.graph.add_node(node_name, op, inputs, vec![info]);
        let value = ValueRef { node: id, slot: 0 };
        self.values.insert(value_name, Source::Value(value));
        value
    }

    /// Adds a constant under a fresh node and value name.
    pub(super) fn add_helper_constant(&mut self, node_name: String, tensor: crate::ir::Tensor) -> ValueRef {
        let node_name = self.unique_node_name(node_name);
        let value_name = self.fresh_value_name(&node_name, &[]);
        let value = self.graph.add_constant(node_name, tensor);
        if let Some(info) = self.graph.node_mut(value.node).outputs.first_mut() {
            info.name.clone_from(&value_name);
        }
        self.values.insert(value_name, Source::Value(value));
        value
    }

    /// The shape of a value of the graph built so far (inferred when it is computed).
    pub(super) fn static_shape(&self, v: ValueRef) -> Result<Vec<usize>> {
        if matches!(self.graph.node(v.node).op, Op::Input | Op::Constant(_)) {
            return Ok(self.graph.value(v).shape.clone());
        }
        let inferred = crate::ir::infer::infer_all(&self.graph)?;
        inferred
            .into_iter()
            .find(|(n, _)| *n == v.node)
            .and_then(|(_, outs)| outs.into_iter().nth(v.slot))
            .map(|(_, shape)| shape)
            .ok_or_else(|| Error::internal("legacy broadcast: input shape not inferred"))
    }

    /// Adds a converted node and names its outputs.
    fn add_node(
        &mut self,
        node: &NodeProto,
        name: String,
        lowered: Lowered,
        inputs: &[Option<ValueRef>],
        context: &str,
    ) -> Result<()> {
        let slots: Vec<Option<ValueRef>> =
            lowered.inputs.iter().map(|slot| slot.and_then(|i| inputs.get(i).copied().flatten())).collect();
        let computed = lowered.outputs.min(node.output.len());
        let mut outputs = Vec::with_capacity(computed);
        let mut names = Vec::with_capacity(computed);
        for (i, out) in node.output.iter().take(computed).enumerate() {
            let value_name = if out.is_empty() {
                self.fresh_value_name(&format!("{name}_output{i}"), &names)
            } else if self.scopes.is_empty() {
                out.clone()
            } else {
                // Inside a sub-graph the name is made unique when it is defined, below.
                self.fresh_value_name(&format!("{}{out}", self.scope_prefix()), &names)
            };
            let (dtype, shape) = match &lowered.op {
                Op::Constant(t) => (t.dtype(), t.shape.clone()),
                _ => (DType::F32, Vec::new()),
            };
            names.push(value_name.clone());
            outputs.push(ValueInfo { name: value_name, dtype, shape });
        }
        let id = self.graph.add_node(name.clone(), lowered.op, &slots, outputs);
        for (slot, value_name) in names.iter().enumerate() {
            let source = Source::Value(ValueRef { node: id, slot });
            match node.output.get(slot).filter(|o| !o.is_empty() && !self.scopes.is_empty()) {
                Some(onnx_name) => self.bind_scoped(onnx_name, value_name, source, context)?,
                None => self.define(value_name, source, context)?,
            }
        }
        for (index, out) in node.output.iter().enumerate().skip(computed) {
            if !out.is_empty() {
                let source = Source::Dropped { node: name.clone(), op_type: node.op_type.clone(), index };
                self.define_scoped(out, source, context)?;
            }
        }
        Ok(())
    }

    /// Records `unique` as the value the current sub-graph calls `name`.
    fn bind_scoped(&mut self, name: &str, unique: &str, source: Source, by: &str) -> Result<()> {
        if self.scopes.last().is_some_and(|scope| scope.names.contains_key(name)) {
            return Err(Error::invalid(format!("{by} produces '{name}', which is already produced elsewhere")));
        }
        self.define(unique, source, by)?;
        if let Some(scope) = self.scopes.last_mut() {
            scope.names.insert(name.to_string(), unique.to_string());
        }
        Ok(())
    }

    /// The prefix of value names made inside the current sub-graph.
    fn scope_prefix(&self) -> String {
        self.scopes.last().map(|scope| scope.prefix.clone()).unwrap_or_default()
    }

    /// A value name no ONNX value uses (nor `taken`), for outputs the model left unnamed.
    pub(super) fn fresh_value_name(&self, base: &str, taken: &[String]) -> String {
        let mut candidate = base.to_string();
        let mut i = 1;
        while self.values.contains_key(&candidate) || taken.contains(&candidate) {
            candidate = format!("{base}_{i}");
            i += 1;
        }
        candidate
    }

    fn add_outputs(&mut self, g: &GraphProto) -> Result<()> {
        if g.output.is_empty() {
            return Err(Error::invalid("the graph has no outputs"));
        }
        let mut listed = HashSet::new();
        for out in &g.output {
            if !listed.insert(out.name.as_str()) {
                return Err(Error::invalid(format!("graph output '{}' is listed twice", out.name)));
            }
            let value = match self.values.get(&out.name) {
                Some(Source::Value(v)) => *v,
                Some(Source::Dropped { node, op_type, index }) => {
                    return Err(Error::unsupported(format!(
                    "graph output '{}' is output {index} of node '{node}' ({op_type}), which onnxc does not compute",
                    out.name
                )))
                }
                Some(Source::Failed) => return Err(Error::internal(format!("output '{}' of a failed node", out.name))),
                None => {
                    return Err(Error::invalid(format!(
                        "graph output '{}' is not produced by any node, input or initializer",
                        out.name
                    )))
                }
            };
            self.graph.outputs.push(GraphOutput { name: out.name.clone(), value });
        }
        Ok(())
    }
}

/// An input's element type and static shape, with symbolic dims bound from `dims`.
fn input_info(input: &ValueInfoProto, dims: &BTreeMap<String, usize>, limits: &Limits) -> Result<ValueInfo> {
    let x = &input.name;
    let Some(type_proto::Value::TensorType(tensor)) = input.r#type.as_ref().and_then(|t| t.value.as_ref()) else {
        return Err(Error::unsupported(format!(
            "input '{x}' is not a tensor (sequences, maps, optionals and sparse tensors are not supported)"
        )));
    };
    let dtype = DType::from_onnx(tensor.elem_type).ok_or_else(|| {
        Error::unsupported(format!(
            "input '{x}' has element type {} (code {}), which onnxc does not support",
            DType::onnx_code_name(tensor.elem_type),
            tensor.elem_type
        ))
    })?;
    let shape_proto = tensor
        .shape
        .as_ref()
        .ok_or_else(|| Error::invalid(format!("input '{x}' has no shape; onnxc needs static input shapes")))?;
    if shape_proto.dim.len() > limits.max_rank {
        return Err(limits::rank_exceeded(format!("input '{x}'"), shape_proto.dim.len(), limits));
    }
    let mut shape = Vec::with_capacity(shape_proto.dim.len());
    for (i, dim) in shape_proto.dim.iter().enumerate() {
        let size = match &dim.value {
            Some(dimension::Value::DimValue(v)) => {
                usize::try_from(*v).map_err(|_| Error::invalid(format!("input '{x}': dimension {i} has size {v}")))?
            }
            Some(dimension::Value::DimParam(p)) if !p.is_empty() => *dims.get(p).ok_or_else(|| {
                Error::invalid(format!("input '{x}': dimension '{p}' is symbolic; bind it with --dim {p}=N"))
            })?,
            _ => {
                return Err(Error::invalid(format!(
                    "input '{x}': dimension {i} has neither a size nor a name; onnxc needs static input shapes"
                )))
            }
        };
        shape.push(size);
    }
    limits::check_tensor_size(format!("input '{x}'"), &shape, dtype, limits)?;
    Ok(ValueInfo { name: x.clone(), dtype, shape })
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
