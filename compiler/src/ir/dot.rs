//! The Graphviz dump (`onnxc inspect --format dot`): one box per op, constants folded into
//! their consumers' labels so a 150-node model stays readable, edges labelled `dtype[shape]`.
//!
//! Render with `dot -Tsvg graph.dot -o graph.svg`.

use super::graph::{Graph, ValueRef};
use super::op::Op;
use super::tensor::Tensor;
use super::text::{
    group_digits, node_attributes, preview_n, shape_label, value_info, value_label, walk_order,
    DisplayNames,
};
use petgraph::stable_graph::NodeIndex;
use std::fmt::Write as _;

/// Longest name shown in a label before it is shortened to its tail.
const NAME_MAX: usize = 32;
/// Attribute text is wrapped at about this many characters per label line.
const WRAP: usize = 40;
/// Constants with at most this many elements show their values in the consumer's label.
const SHOW_VALUES: usize = 4;

/// Fill colours by role: inputs, outputs, compute-heavy ops (the ones worth optimizing),
/// other ops, and views (reshapes that cost nothing at run time).
const INPUT_FILL: &str = "#c8e6c9";
const OUTPUT_FILL: &str = "#ffe0b2";
const HEAVY_FILL: &str = "#bbdefb";
const OP_FILL: &str = "#f5f5f5";
const VIEW_FILL: &str = "#ffffff";

/// The whole graph as a Graphviz `digraph`, deterministic for a given graph.
pub fn to_dot(graph: &Graph) -> String {
    let (order, cycle) = walk_order(graph);
    let names = DisplayNames::new(graph);
    let mut out = String::new();
    let ops = order
        .iter()
        .filter(|&&n| !matches!(graph.node(n).op, Op::Input | Op::Constant(_)))
        .count();
    let constant_bytes: usize = order
        .iter()
        .filter_map(|&n| match &graph.node(n).op {
            Op::Constant(t) => Some(t.byte_len()),
            _ => None,
        })
        .sum();
    let mut title = vec![
        graph.name.clone(),
        format!("{ops} ops, {} B of constants", group_digits(constant_bytes)),
    ];
    if let Some(msg) = cycle {
        title.push(format!("warning: {msg}"));
    }
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&graph.name));
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, fontname=\"Helvetica\", fontsize=12, labelloc=t, label=\"{}\"];",
        label(&title)
    );
    let _ = writeln!(
        out,
        "  node [shape=box, style=\"rounded,filled\", fillcolor=\"{OP_FILL}\", fontname=\"Helvetica\", fontsize=10];"
    );
    let _ = writeln!(
        out,
        "  edge [fontname=\"Helvetica\", fontsize=8, color=\"#616161\"];"
    );

    // Nodes in topological order; constants are drawn only when a model output reads them.
    for &n in &order {
        let node = graph.node(n);
        let id = node_id(n);
        match &node.op {
            Op::Input => {
                let lines: Vec<String> = std::iter::once(short(&names.node(graph, n)))
                    .chain(
                        node.outputs
                            .iter()
                            .filter(|v| v.name != node.name)
                            .map(|v| short(&v.name)),
                    )
                    .chain(node.outputs.iter().map(value_label))
                    .collect();
                let _ = writeln!(
                    out,
                    "  {id} [label=\"{}\", shape=invhouse, fillcolor=\"{INPUT_FILL}\"];",
                    label(&lines)
                );
            }
            Op::Constant(t) => {
                if graph.outputs.iter().any(|o| o.value.node == n) {
                    let lines = vec![short(&names.node(graph, n)), constant_summary(t)];
                    let _ = writeln!(
                        out,
                        "  {id} [label=\"{}\", shape=plaintext, style=\"\"];",
                        label(&lines)
                    );
                }
            }
            op => {
                let mut lines = vec![short(&names.node(graph, n))];
                lines.extend(wrap(
                    &format!("{} {}", op.name(), node_attributes(graph, n)),
                    WRAP,
                ));
                for (slot, input) in graph.inputs(n).into_iter().enumerate() {
                    let Some(v) = input else { continue };
                    let Some(t) = graph.constant(v) else { continue };
                    let name = match value_info(graph, v) {
                        Some(_) => short(&names.value(graph, v)),
                        None => format!("#{slot}"),
                    };
                    lines.push(format!("{name}: {}", constant_summary(t)));
                }
                let heavy = matches!(
                    op,
                    Op::Conv(_) | Op::ConvTranspose(_) | Op::Gemm(_) | Op::MatMul(_)
                );
                let look = if op.is_view() {
                    format!(", fillcolor=\"{VIEW_FILL}\", style=\"rounded,filled,dashed\"")
                } else if heavy {
                    format!(", fillcolor=\"{HEAVY_FILL}\"")
                } else {
                    String::new()
                };
                let _ = writeln!(out, "  {id} [label=\"{}\"{look}];", label(&lines));
            }
        }
    }
    for (i, o) in graph.outputs.iter().enumerate() {
        let lines = vec![
            short(&o.name),
            value_info(graph, o.value).map_or_else(|| "?".to_string(), value_label),
        ];
        let _ = writeln!(
            out,
            "  out{i} [label=\"{}\", shape=house, fillcolor=\"{OUTPUT_FILL}\"];",
            label(&lines)
        );
    }

    // Edges: each op's non-constant inputs by slot, then the model outputs.
    for &n in &order {
        if matches!(graph.node(n).op, Op::Input | Op::Constant(_)) {
            continue;
        }
        for v in graph.inputs(n).into_iter().flatten() {
            if graph.graph.node_weight(v.node).is_none() || graph.constant(v).is_some() {
                continue;
            }
            let _ = writeln!(
                out,
                "  {} -> {} [label=\"{}\"];",
                node_id(v.node),
                node_id(n),
                edge_label(graph, v)
            );
        }
    }
    for (i, o) in graph.outputs.iter().enumerate() {
        if graph.graph.node_weight(o.value.node).is_some() {
            let _ = writeln!(
                out,
                "  {} -> out{i} [label=\"{}\"];",
                node_id(o.value.node),
                edge_label(graph, o.value)
            );
        }
    }
    out.push_str("}\n");
    out
}

fn node_id(n: NodeIndex) -> String {
    format!("n{}", n.index())
}

/// `f32[1,6,28,28]`, prefixed with the output slot (`#1 …`) for multi-output producers.
fn edge_label(graph: &Graph, v: ValueRef) -> String {
    let text = value_info(graph, v).map_or_else(|| "?".to_string(), value_label);
    let outputs = graph
        .graph
        .node_weight(v.node)
        .map_or(0, |n| n.outputs.len());
    escape(&if outputs > 1 {
        format!("#{} {text}", v.slot)
    } else {
        text
    })
}

/// `f32[6,1,5,5]`, with the values when there are few (`i64[2] = [1, -1]`) or a splat.
fn constant_summary(t: &Tensor) -> String {
    let shape = shape_label(t.dtype().name(), &t.shape);
    if t.len() <= SHOW_VALUES || (t.len() > 1 && t.is_uniform()) {
        format!("{shape} = {}", preview_n(t, SHOW_VALUES))
    } else {
        shape
    }
}

/// Long names keep their tail (where ONNX exporters put what differs): `…layer4.1.conv2.weight`.
fn short(name: &str) -> String {
    let count = name.chars().count();
    if count <= NAME_MAX {
        name.to_string()
    } else {
        let tail: String = name.chars().skip(count - (NAME_MAX - 1)).collect();
        format!("…{tail}")
    }
}

/// Greedy word wrap at `width` characters (a long word gets a line of its own).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Escaped label lines joined with Graphviz's centred line break.
fn label(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| escape(l))
        .collect::<Vec<_>>()
        .join("\\n")
}

/// Escapes text for a double-quoted DOT string: backslashes (so `\l`, `\N` stay literal),
/// quotes, and line breaks; other control characters are dropped.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::text::tests::tiny_graph;

    #[test]
    fn dot_dump_has_nodes_edges_and_folded_constants() {
        let g = tiny_graph();
        let dot = to_dot(&g);
        println!("{dot}");
        assert!(dot.starts_with("digraph \"tiny \\\"net\\\"\" {\n"));
        assert!(dot.ends_with("}\n"));
        assert!(dot.contains("label=\"input\\nf32[1,1,8,8]\", shape=invhouse"));
        assert!(dot.contains(
            "label=\"conv1\\nConv k=3x3 s=1x1 p=1 act=Relu\\nconv1.weight: f32[2,1,3,3]\\nconv1.bias: f32[2] = splat(0)\", fillcolor=\"#bbdefb\""
        ));
        assert!(dot.contains("shape: i64[2] = [1, -1]"));
        assert!(dot.contains("style=\"rounded,filled,dashed\""));
        // The escaped node name: `fc "quoted"\`.
        assert!(dot.contains("label=\"fc \\\"quoted\\\"\\\\\\nGemm transB"));
        assert!(dot.contains("out0 [label=\"logits\\nf32[1,3]\", shape=house"));
        assert!(dot.contains("-> out0 [label=\"f32[1,3]\"];"));
        assert!(dot.contains("[label=\"f32[1,2,8,8]\"];"));
        // Four data edges plus the output edge; constants draw none.
        assert_eq!(dot.matches(" -> ").count(), 5);
        assert!(!dot.contains("Constant"));
        assert_eq!(dot, to_dot(&tiny_graph()));
    }

    #[test]
    fn quotes_are_balanced_on_every_line() {
        let dot = to_dot(&tiny_graph());
        for line in dot.lines() {
            let mut quotes = 0;
            let mut chars = line.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '"' => quotes += 1,
                    _ => {}
                }
            }
            assert_eq!(quotes % 2, 0, "unbalanced quotes in {line}");
        }
    }

    #[test]
    fn helpers() {
        assert_eq!(escape("a\"b\\c\nd\u{1}"), "a\\\"b\\\\c\\nd");
        assert_eq!(
            wrap(
                "Resize mode=linear coordinate_transformation_mode=align_corners",
                20
            )
            .len(),
            2
        );
        assert_eq!(wrap("", 20), vec![String::new()]);
        let long = "model.encoder.layer.11.attention.self.query.weight";
        let s = short(long);
        assert_eq!(s.chars().count(), NAME_MAX);
        assert!(s.ends_with("query.weight"));
    }
}
