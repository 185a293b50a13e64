//! The graph: typed ops as petgraph nodes, tensors as (node, output slot) values.
//!
//! Every value is produced by exactly one node (graph inputs and constants are nodes too), and
//! each edge carries one value from a producer's output slot to a consumer's input slot. Edges
//! are the single source of truth for connectivity; nodes only record how many input slots
//! they have, so an optional input that is absent is simply a slot with no edge.

use super::dtype::DType;
use super::op::Op;
use crate::error::{Error, Result};
use petgraph::stable_graph::{NodeIndex, StableDiGraph};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::BinaryHeap;

/// One output of one node: the IR's notion of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ValueRef {
    pub node: NodeIndex,
    pub slot: usize,
}

/// Name, element type and static shape of a value.
#[derive(Clone, Debug, PartialEq)]
pub struct ValueInfo {
    pub name: String,
    pub dtype: DType,
    pub shape: Vec<usize>,
}

impl ValueInfo {
    pub fn elements(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn bytes(&self) -> usize {
        self.elements() * self.dtype.size()
    }
}

/// An operator instance.
#[derive(Clone, Debug)]
pub struct Node {
    /// The ONNX node name (or a generated one when the model had none).
    pub name: String,
    pub op: Op,
    /// Number of input slots, including absent optional ones.
    pub num_inputs: usize,
    pub outputs: Vec<ValueInfo>,
}

/// An edge: which output of the producer feeds which input of the consumer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from_slot: usize,
    pub to_slot: usize,
}

/// A model output: the name the caller sees and the value behind it.
#[derive(Clone, Debug)]
pub struct GraphOutput {
    pub name: String,
    pub value: ValueRef,
}

/// A whole model.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    pub graph: StableDiGraph<Node, Edge>,
    /// `Op::Input` nodes in the model's input order.
    pub inputs: Vec<NodeIndex>,
    pub outputs: Vec<GraphOutput>,
    /// The model's name (graph name, or the file stem).
    pub name: String,
}

impl Graph {
    pub fn new(name: impl Into<String>) -> Graph {
        Graph { name: name.into(), ..Graph::default() }
    }

    /// Adds a node and connects its inputs (`None` = absent optional input).
    pub fn add_node(
        &mut self,
        name: impl Into<String>,
        op: Op,
        inputs: &[Option<ValueRef>],
        outputs: Vec<ValueInfo>,
    ) -> NodeIndex {
        let node = self.graph.add_node(Node { name: name.into(), op, num_inputs: inputs.len(), outputs });
        for (slot, input) in inputs.iter().enumerate() {
            if let Some(v) = input {
                self.graph.add_edge(v.node, node, Edge { from_slot: v.slot, to_slot: slot });
            }
        }
        node
    }

    /// Adds a constant node holding `tensor` and returns its value.
    pub fn add_constant(&mut self, name: impl Into<String>, tensor: super::Tensor) -> ValueRef {
        let name = name.into();
        let info = ValueInfo { name: name.clone(), dtype: tensor.dtype(), shape: tensor.shape.clone() };
        let node = self.add_node(name, Op::Constant(tensor), &[], vec![info]);
        ValueRef { node, slot: 0 }
    }

    pub fn node(&self, n: NodeIndex) -> &Node {
        &self.graph[n]
    }

    pub fn node_mut(&mut self, n: NodeIndex) -> &mut Node {
        &mut self.graph[n]
    }

    pub fn contains(&self, n: NodeIndex) -> bool {
        self.graph.contains_node(n)
    }

    pub fn value(&self, v: ValueRef) -> &ValueInfo {
        &self.graph[v.node].outputs[v.slot]
    }

    /// The node's inputs by slot; `None` for absent optional inputs.
    pub fn inputs(&self, n: NodeIndex) -> Vec<Option<ValueRef>> {
        let mut inputs = vec![None; self.graph[n].num_inputs];
        for e in self.graph.edges_directed(n, Direction::Incoming) {
            if let Some(slot) = inputs.get_mut(e.weight().to_slot) {
                *slot = Some(ValueRef { node: e.source(), slot: e.weight().from_slot });
            }
        }
        inputs
    }

    /// The input in `slot`, if present.
    pub fn input(&self, n: NodeIndex, slot: usize) -> Option<ValueRef> {
        self.inputs(n).get(slot).copied().flatten()
    }

    /// Connects `value` (or nothing) to input `slot` of `n`, replacing what was there.
    pub fn set_input(&mut self, n: NodeIndex, slot: usize, value: Option<ValueRef>) {
        let old: Vec<_> = self
            .graph
            .edges_directed(n, Direction::Incoming)
            .filter(|e| e.weight().to_slot == slot)
            .map(|e| e.id())
            .collect();
        for e in old {
            self.graph.remove_edge(e);
        }
        if slot >= self.graph[n].num_inputs {
            self.graph[n].num_inputs = slot + 1;
        }
        if let Some(v) = value {
            self.graph.add_edge(v.node, n, Edge { from_slot: v.slot, to_slot: slot });
        }
    }

    /// Drops input slots from `count` on.
    pub fn truncate_inputs(&mut self, n: NodeIndex, count: usize) {
        for slot in count..self.graph[n].num_inputs {
            self.set_input(n, slot, None);
        }
        self.graph[n].num_inputs = count.min(self.graph[n].num_inputs);
    }

    /// Every (consumer, input slot) reading `v`, sorted for determinism.
    pub fn consumers(&self, v: ValueRef) -> Vec<(NodeIndex, usize)> {
        let mut users: Vec<_> = self
            .graph
            .edges_directed(v.node, Direction::Outgoing)
            .filter(|e| e.weight().from_slot == v.slot)
            .map(|e| (e.target(), e.weight().to_slot))
            .collect();
        users.sort();
        users
    }

    /// True when `v` is one of the model's outputs.
    pub fn is_output(&self, v: ValueRef) -> bool {
        self.outputs.iter().any(|o| o.value == v)
    }

    /// Number of uses of `v`, counting each model output as one.
    pub fn use_count(&self, v: ValueRef) -> usize {
        self.consumers(v).len() + self.outputs.iter().filter(|o| o.value == v).count()
    }

    /// Makes every reader of `old` (nodes and model outputs) read `new` instead.
    pub fn replace_uses(&mut self, old: ValueRef, new: ValueRef) {
        for (consumer, slot) in self.consumers(old) {
            self.set_input(consumer, slot, Some(new));
        }
        for out in &mut self.outputs {
            if out.value == old {
                out.value = new;
            }
        }
    }

    /// Removes a node and its edges. Readers of its outputs must have been rewired first.
    pub fn remove_node(&mut self, n: NodeIndex) {
        self.graph.remove_node(n);
        self.inputs.retain(|&i| i != n);
    }

    /// All nodes in a deterministic topological order: among ready nodes, the oldest first,
    /// which keeps the model's own node order wherever the dependencies allow it.
    pub fn topo_order(&self) -> Result<Vec<NodeIndex>> {
        let mut pending: std::collections::HashMap<NodeIndex, usize> = self
            .graph
            .node_indices()
            .map(|n| (n, self.graph.edges_directed(n, Direction::Incoming).count()))
            .collect();
        let mut ready: BinaryHeap<std::cmp::Reverse<NodeIndex>> =
            pending.iter().filter(|(_, &c)| c == 0).map(|(&n, _)| std::cmp::Reverse(n)).collect();
        let mut order = Vec::with_capacity(pending.len());
        while let Some(std::cmp::Reverse(n)) = ready.pop() {
            order.push(n);
            for e in self.graph.edges_directed(n, Direction::Outgoing) {
                if let Some(c) = pending.get_mut(&e.target()) {
                    *c -= 1;
                    if *c == 0 {
                        ready.push(std::cmp::Reverse(e.target()));
                    }
                }
            }
        }
        if order.len() != self.graph.node_count() {
            let stuck = self
                .graph
                .node_indices()
                .filter(|n| !order.contains(n))
                .map(|n| self.graph[n].name.clone())
                .min()
                .unwrap_or_default();
            return Err(Error::invalid(format!("the graph has a cycle (through node '{stuck}')")));
        }
        Ok(order)
    }

    /// The constant tensor behind `v`, if its producer is a constant.
    pub fn constant(&self, v: ValueRef) -> Option<&super::Tensor> {
        match &self.graph[v.node].op {
            Op::Constant(t) => Some(t),
            _ => None,
        }
    }

    /// The constant behind input `slot` of `n`, if present and constant.
    pub fn constant_input(&self, n: NodeIndex, slot: usize) -> Option<&super::Tensor> {
        self.input(n, slot).and_then(|v| self.constant(v))
    }

    /// A fresh node/value name that no node uses yet, derived from `base`.
    pub fn unique_name(&self, base: &str) -> String {
        let taken = |name: &str| {
            self.graph
                .node_weights()
                .any(|n| n.name == name || n.outputs.iter().any(|o| o.name == name))
        };
        if !taken(base) {
            return base.to_string();
        }
        (1..).map(|i| format!("{base}_{i}")).find(|n| !taken(n)).unwrap_or_default()
    }
}
