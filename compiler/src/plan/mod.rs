//! Execution and memory planning: the schedule, where every value lives, and the arena layout.
//!
//! After the passes, the planner fixes the order of execution (the graph's deterministic
//! topological order), lowers every node to its kernel, and decides each value's storage:
//! the caller's input and output arrays, the weights blob, or a fixed slice of the one
//! activation arena. View ops (Reshape, Flatten, …) get no storage of their own: they alias
//! their input. Arena offsets come from [`arena::assign_offsets`], and
//! [`arena::check_no_overlap`] proves that no two simultaneously live tensors share bytes.

pub mod arena;
mod weights;

pub use arena::{ArenaTensor, ALIGN};
pub use weights::WeightBlob;

use crate::error::{Error, Result};
use crate::ir::{Graph, Op, ValueInfo, ValueRef};
use crate::limits::{self, Limits};
use crate::lower::{lower, Kernel, Lowered};
use std::collections::BTreeMap;

/// Where a value's bytes live at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    /// The caller's array for model input `index`.
    Input(usize),
    /// The caller's array for model output `index`.
    Output(usize),
    /// `bytes` bytes at `offset` in `weights.bin`.
    Weight { offset: usize, bytes: usize },
    /// `bytes` bytes at `offset` in the arena.
    Arena { offset: usize, bytes: usize },
}

/// One step of the generated `run` function.
#[derive(Clone, Debug)]
pub struct Step {
    /// The node it runs (for names and comments).
    pub node: petgraph::stable_graph::NodeIndex,
    pub lowered: Lowered,
    /// Inputs by slot (absent optional inputs are `None`).
    pub inputs: Vec<Option<ValueRef>>,
    /// Outputs by slot.
    pub outputs: Vec<ValueRef>,
}

/// A final copy of a value into a model output array (when the value cannot be written there
/// directly: it is a model input, a constant, a view, or listed as two outputs).
#[derive(Clone, Debug)]
pub struct OutputCopy {
    pub from: ValueRef,
    pub output: usize,
}

/// The complete plan codegen turns into a crate.
#[derive(Clone, Debug)]
pub struct Plan {
    pub steps: Vec<Step>,
    pub copies: Vec<OutputCopy>,
    /// Storage of every value that generated code touches.
    pub storage: BTreeMap<ValueRef, Storage>,
    pub arena_tensors: Vec<ArenaTensor>,
    pub arena_bytes: usize,
    /// Largest total of simultaneously live arena bytes: no plan can use less.
    pub lower_bound: usize,
    pub weights: WeightBlob,
}

impl Plan {
    /// The storage of `v`.
    pub fn storage_of(&self, v: ValueRef) -> Result<Storage> {
        self.storage.get(&v).copied().ok_or_else(|| Error::internal(format!("value {v:?} has no storage")))
    }
}

/// Plans `graph` (which must have gone through the pass pipeline) with the default limits.
pub fn plan(graph: &Graph) -> Result<Plan> {
    plan_with_limits(graph, &Limits::default())
}

/// Plans `graph`; an arena larger than `limits.max_arena_bytes` is an error.
pub fn plan_with_limits(graph: &Graph, limits: &Limits) -> Result<Plan> {
    let order = graph.topo_order()?;
    let mut storage: BTreeMap<ValueRef, Storage> = BTreeMap::new();
    let mut steps = Vec::new();
    let mut copies = Vec::new();

    for (index, &input) in graph.inputs.iter().enumerate() {
        storage.insert(ValueRef { node: input, slot: 0 }, Storage::Input(index));
    }
    // Model outputs computed by a kernel are written straight into the caller's array.
    let mut output_home: BTreeMap<ValueRef, usize> = BTreeMap::new();
    for (index, out) in graph.outputs.iter().enumerate() {
        let computed = !matches!(graph.node(out.value.node).op, Op::Input | Op::Constant(_)) && !graph.node(out.value.node).op.is_view();
        if computed && !output_home.contains_key(&out.value) {
            output_home.insert(out.value, index);
        } else {
            copies.push(OutputCopy { from: out.value, output: index });
        }
    }

    // Constants read by any step or copy go to the weights blob.
    let mut weights = WeightBlob::default();
    let mut views: Vec<(ValueRef, ValueRef)> = Vec::new();
    for &node in &order {
        let n = graph.node(node);
        match &n.op {
            Op::Input | Op::Constant(_) => continue,
            _ => {}
        }
        let inputs = graph.inputs(node);
        let infos: Vec<Option<&ValueInfo>> = inputs.iter().map(|v| v.map(|v| graph.value(v))).collect();
        let values: Vec<_> = inputs.iter().map(|v| v.and_then(|v| graph.constant(v))).collect();
        let lowered = lower(&n.op, &infos, &values, &n.outputs)
            .map_err(|e| e.context(format!("node '{}' ({})", n.name, n.op.name())))?;
        let outputs: Vec<ValueRef> = (0..n.outputs.len()).map(|slot| ValueRef { node, slot }).collect();
        if lowered.kernel == Kernel::View {
            let source = inputs.first().copied().flatten().ok_or_else(|| Error::internal("view without input"))?;
            views.push((outputs[0], source));
        }
        for v in inputs.iter().flatten() {
            if let Some(t) = graph.constant(*v) {
                if !storage.contains_key(v) {
                    let (offset, bytes) = weights.add(t);
                    storage.insert(*v, Storage::Weight { offset, bytes });
                }
            }
        }
        steps.push(Step { node, lowered, inputs, outputs });
    }
    for copy in &copies {
        if let Some(t) = graph.constant(copy.from) {
            storage.entry(copy.from).or_insert_with(|| {
                let (offset, bytes) = weights.add(t);
                Storage::Weight { offset, bytes }
            });
        }
    }
    for (&value, &index) in &output_home {
        storage.insert(value, Storage::Output(index));
    }

    // Views alias their source's storage; resolve to the root value.
    let root_of = |mut v: ValueRef| {
        while let Some((_, src)) = views.iter().find(|(view, _)| *view == v) {
            v = *src;
        }
        v
    };

    // Live ranges of arena values, in step indices; views extend their root's range.
    let mut ranges: BTreeMap<ValueRef, (usize, usize)> = BTreeMap::new();
    for (i, step) in steps.iter().enumerate() {
        if step.lowered.kernel != Kernel::View {
            for &out in &step.outputs {
                if !storage.contains_key(&out) {
                    ranges.insert(out, (i, i));
                }
            }
        }
        for v in step.inputs.iter().flatten() {
            if let Some(r) = ranges.get_mut(&root_of(*v)) {
                r.1 = r.1.max(i);
            }
        }
    }
    let end = steps.len();
    for copy in &copies {
        if let Some(r) = ranges.get_mut(&root_of(copy.from)) {
            r.1 = r.1.max(end);
        }
    }
    let mut tensors: Vec<ArenaTensor> = ranges
        .iter()
        .map(|(&value, &(first, last))| ArenaTensor {
            value,
            name: graph.value(value).name.clone(),
            bytes: graph.value(value).bytes(),
            first,
            last,
            offset: 0,
        })
        .collect();
    let arena_bytes = arena::assign_offsets(&mut tensors);
    if arena_bytes > limits.max_arena_bytes {
        return Err(limits::exceeded("the activation arena", arena_bytes as u128, limits.max_arena_bytes, "--max-arena-bytes"));
    }
    arena::check_no_overlap(&tensors)?;
    let lower_bound = arena::lower_bound(&tensors);
    for t in &tensors {
        storage.insert(t.value, Storage::Arena { offset: t.offset, bytes: t.bytes });
    }
    for (view, _) in &views {
        let root = root_of(*view);
        let s = *storage.get(&root).ok_or_else(|| Error::internal(format!("view of {root:?} without storage")))?;
        storage.entry(*view).or_insert(s);
    }
    Ok(Plan { steps, copies, storage, arena_tensors: tensors, arena_bytes, lower_bound, weights })
}
