//! The text dump: a compact, aligned, deterministic listing of a graph for people doing
//! optimization work (`onnxc inspect MODEL [--after PASS]`).
//!
//! ```text
//! graph lenet  (5 nodes: 1 input, 2 constants, 2 ops)
//! inputs:
//!   input  f32[1,1,28,28]  3,136 B
//! outputs:
//!   y  f32[1,6,14,14]  <- %pool1
//! constants: 2 tensors, 624 bytes (1 splat, 24 bytes)
//!   conv1.weight  f32[6,1,5,5]  600 B  [0.1, -0.25, 0.5, 1, …]
//!   conv1.bias    f32[6]         24 B  splat(0)
//! nodes:
//!   %conv1 = Conv(input, conv1.weight, conv1.bias) k=5x5 s=1x1 p=2 act=Relu  -> conv1_out: f32[1,6,28,28]
//!   %pool1 = MaxPool(conv1_out) k=2x2 s=2x2                                  -> y: f32[1,6,14,14]
//! summary: 2 ops (Conv 1, MaxPool 1); values 23,520 bytes, largest conv1_out (18,816 B)
//! ```
//!
//! Attributes equal to their ONNX default are left out of the text form (the JSON form has
//! them all); the typed attribute list both forms share is [`attribute_list`]. Exporter scope
//! paths in names are folded for reading (`/features/features.1/conv/Conv_output_0` shows as
//! `features.1/conv/Conv`, never colliding with another name), and an output that carries its
//! node's name shows as `-> f32[…]` alone; the JSON dump keeps every name in full.

use super::graph::{Graph, ValueInfo, ValueRef};
use super::op::Op;
use super::tensor::Tensor;
use petgraph::stable_graph::NodeIndex;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

pub use super::attributes::{activation_label, attribute_list, attributes, Attr, AttrValue};
pub use super::number_format::fmt_f32;
// Helpers the dumps share, kept reachable as `text::…` for dot.rs and json.rs.
pub(crate) use super::attributes::{node_attributes, with_kernel};
pub(crate) use super::display_names::{node_name, value_info, value_name, DisplayNames};
pub(crate) use super::number_format::{element_strings, group_digits, preview, preview_n};

/// Widest node-name column before names stop being padded.
const NAME_COLUMN_MAX: usize = 48;
/// Widest `%name = Op(…) attrs` column before the outputs stop being aligned.
const CALL_COLUMN_MAX: usize = 140;

/// `f32[1,6,28,28]`: the element type and static shape of a value (`f32[]` for a scalar).
pub fn value_label(info: &ValueInfo) -> String {
    shape_label(info.dtype.name(), &info.shape)
}

/// `dtype[d0,d1,…]` from parts.
pub(crate) fn shape_label(dtype: &str, shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    format!("{dtype}[{}]", dims.join(","))
}

/// The whole graph as text: header, inputs, outputs, constants, nodes in topological order,
/// and a one-line summary. The same graph always gives the same bytes.
pub fn to_text(graph: &Graph) -> String {
    let mut out = String::new();
    let (order, cycle) = walk_order(graph);
    let names = DisplayNames::new(graph);
    let kind = |n: NodeIndex| match graph.node(n).op {
        Op::Input => 0,
        Op::Constant(_) => 1,
        _ => 2,
    };
    let inputs: Vec<NodeIndex> = order.iter().copied().filter(|&n| kind(n) == 0).collect();
    let constants = constants_in_use_order(graph, &order);
    let ops: Vec<NodeIndex> = order.iter().copied().filter(|&n| kind(n) == 2).collect();

    let _ = writeln!(
        out,
        "graph {}  ({} nodes: {}, {}, {})",
        graph.name,
        graph.graph.node_count(),
        plural(inputs.len(), "input"),
        plural(constants.len(), "constant"),
        plural(ops.len(), "op"),
    );
    if let Some(msg) = cycle {
        let _ = writeln!(out, "# warning: {msg}; nodes listed in insertion order");
    }
    if names.shortened {
        out.push_str(
            "# names: exporter scopes folded and `_output_0` dropped; --format json has them in full\n",
        );
    }

    // Inputs, in the model's order (graph.inputs), then any stray Input nodes.
    let mut input_order: Vec<NodeIndex> = graph
        .inputs
        .iter()
        .copied()
        .filter(|&n| graph.contains(n))
        .collect();
    for &n in &inputs {
        if !input_order.contains(&n) {
            input_order.push(n);
        }
    }
    out.push_str("inputs:\n");
    let rows: Vec<[String; 3]> = input_order
        .iter()
        .flat_map(|&n| graph.node(n).outputs.iter())
        .map(|v| {
            let bytes = format!("{} B", group_digits(v.bytes()));
            [v.name.clone(), value_label(v), bytes]
        })
        .collect();
    push_rows(&mut out, &rows, &[Align::Left, Align::Left, Align::Right]);

    out.push_str("outputs:\n");
    let rows: Vec<[String; 3]> = graph
        .outputs
        .iter()
        .map(|o| {
            let producer = names.node(graph, o.value.node);
            let (label, source) = match value_info(graph, o.value) {
                Some(info) if info.name == o.name => (value_label(info), format!("<- %{producer}")),
                Some(info) => (
                    value_label(info),
                    format!("<- {} (%{producer})", names.value(graph, o.value)),
                ),
                None => (
                    "?".to_string(),
                    format!("<- {}", value_name(graph, o.value)),
                ),
            };
            [o.name.clone(), label, source]
        })
        .collect();
    push_rows(&mut out, &rows, &[Align::Left, Align::Left, Align::Left]);

    // Constants: one aligned row each, with a preview of the values.
    let tensors: Vec<(String, &Tensor)> = constants
        .iter()
        .filter_map(|&n| match &graph.node(n).op {
            Op::Constant(t) => Some((names.value(graph, ValueRef { node: n, slot: 0 }), t)),
            _ => None,
        })
        .collect();
    let total: usize = tensors.iter().map(|(_, t)| t.byte_len()).sum();
    let splats: Vec<&Tensor> = tensors
        .iter()
        .map(|(_, t)| *t)
        .filter(|t| t.len() > 1 && t.is_uniform())
        .collect();
    let _ = write!(
        out,
        "constants: {}, {} bytes",
        plural(tensors.len(), "tensor"),
        group_digits(total)
    );
    if !splats.is_empty() {
        let splat_bytes: usize = splats.iter().map(|t| t.byte_len()).sum();
        let _ = write!(
            out,
            " ({}, {} bytes)",
            plural(splats.len(), "splat"),
            group_digits(splat_bytes)
        );
    }
    out.push('\n');
    let rows: Vec<[String; 4]> = tensors
        .iter()
        .map(|(name, t)| {
            [
                name.clone(),
                shape_label(t.dtype().name(), &t.shape),
                format!("{} B", group_digits(t.byte_len())),
                preview(t),
            ]
        })
        .collect();
    let align = [Align::Left, Align::Left, Align::Right, Align::Left];
    push_rows(&mut out, &rows, &align);

    // Nodes: `%name = Op(args) attrs` in one column, outputs aligned in the next. An output
    // that carries the node's own name is shown by its type alone.
    out.push_str("nodes:\n");
    let name_width = column_width(
        ops.iter()
            .map(|&n| names.node(graph, n).chars().count() + 1),
        NAME_COLUMN_MAX,
    );
    let calls: Vec<(String, String)> = ops
        .iter()
        .map(|&n| {
            let node = graph.node(n);
            let name = names.node(graph, n);
            let args: Vec<String> = graph
                .inputs(n)
                .iter()
                .map(|v| v.map_or_else(|| "_".to_string(), |v| names.value(graph, v)))
                .collect();
            let head = pad(&format!("%{name}"), name_width, Align::Left);
            let mut call = format!("{head} = {}({})", node.op.name(), args.join(", "));
            let attrs = node_attributes(graph, n);
            if !attrs.is_empty() {
                call.push(' ');
                call.push_str(&attrs);
            }
            let results: Vec<String> = (0..node.outputs.len())
                .map(|slot| {
                    let label = value_label(&node.outputs[slot]);
                    let value = names.value(graph, ValueRef { node: n, slot });
                    if node.outputs.len() == 1 && value == name {
                        label
                    } else {
                        format!("{value}: {label}")
                    }
                })
                .collect();
            (call, results.join(", "))
        })
        .collect();
    let call_width = column_width(
        calls.iter().map(|(c, _)| c.chars().count()),
        CALL_COLUMN_MAX,
    );
    for (call, results) in &calls {
        let call = pad(call, call_width, Align::Left);
        let _ = writeln!(out, "  {call}  -> {results}");
    }

    // Summary: op histogram and the activation footprint (every op output, before planning).
    let mut histogram: BTreeMap<String, usize> = BTreeMap::new();
    for &n in &ops {
        *histogram.entry(graph.node(n).op.name()).or_default() += 1;
    }
    let mut counts: Vec<(String, usize)> = histogram.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let counts: Vec<String> = counts.iter().map(|(op, c)| format!("{op} {c}")).collect();
    let values: Vec<(ValueRef, usize)> = ops
        .iter()
        .flat_map(|&n| {
            let outputs = &graph.node(n).outputs;
            (0..outputs.len()).map(move |slot| (ValueRef { node: n, slot }, outputs[slot].bytes()))
        })
        .collect();
    let value_bytes: usize = values.iter().map(|(_, b)| b).sum();
    let _ = write!(out, "summary: {}", plural(ops.len(), "op"));
    if !counts.is_empty() {
        let _ = write!(out, " ({})", counts.join(", "));
    }
    let _ = write!(out, "; values {} bytes", group_digits(value_bytes));
    // The first of the largest, so ties resolve to the earliest value.
    if let Some((v, bytes)) = values
        .iter()
        .fold(None::<&(ValueRef, usize)>, |best, v| match best {
            Some(b) if b.1 >= v.1 => Some(b),
            _ => Some(v),
        })
    {
        let _ = write!(
            out,
            ", largest {} ({} B)",
            names.value(graph, *v),
            group_digits(*bytes)
        );
    }
    out.push('\n');
    out
}

/// The node order of the dumps: topological, or insertion order with a message on a cycle.
pub(crate) fn walk_order(graph: &Graph) -> (Vec<NodeIndex>, Option<String>) {
    match graph.topo_order() {
        Ok(order) => (order, None),
        Err(e) => (graph.graph.node_indices().collect(), Some(e.to_string())),
    }
}

/// The constant nodes ordered by their first reader in `order` (so weights are listed in the
/// order the layers run), then by their own place; constants nobody reads come last.
pub(crate) fn constants_in_use_order(graph: &Graph, order: &[NodeIndex]) -> Vec<NodeIndex> {
    let position: HashMap<NodeIndex, usize> =
        order.iter().enumerate().map(|(i, &n)| (n, i)).collect();
    let mut constants: Vec<(usize, usize, NodeIndex)> = order
        .iter()
        .filter(|&&n| matches!(graph.node(n).op, Op::Constant(_)))
        .map(|&n| {
            let first_reader = graph
                .graph
                .neighbors_directed(n, petgraph::Direction::Outgoing)
                .filter_map(|reader| position.get(&reader).copied())
                .min()
                .unwrap_or(usize::MAX);
            (first_reader, position[&n], n)
        })
        .collect();
    constants.sort_unstable();
    constants.into_iter().map(|(_, _, n)| n).collect()
}

/// The width that aligns a column: the widest cell no wider than 1.25 × the 90th percentile
/// and `max`; the few wider cells overflow instead of pushing everything right.
fn column_width(widths: impl Iterator<Item = usize>, max: usize) -> usize {
    let mut widths: Vec<usize> = widths.collect();
    widths.sort_unstable();
    let Some(&p90) = widths.get((widths.len() * 9 / 10).min(widths.len().saturating_sub(1))) else {
        return 0;
    };
    let cap = (p90 + p90 / 4).min(max);
    widths.into_iter().filter(|&w| w <= cap).max().unwrap_or(0)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

fn pad(s: &str, width: usize, align: Align) -> String {
    let fill = " ".repeat(width.saturating_sub(s.chars().count()));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

/// Writes rows indented by two spaces, columns separated by two spaces and padded to the
/// widest cell; the last column is never padded.
fn push_rows<const N: usize>(out: &mut String, rows: &[[String; N]], align: &[Align; N]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i + 1 == N {
                    cell.clone()
                } else {
                    pad(cell, widths[i], align[i])
                }
            })
            .collect();
        let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
pub(crate) mod tests;
