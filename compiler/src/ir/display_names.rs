//! Names of values and nodes in the dumps: the model's own names (with fallbacks for dangling
//! references) and the shortened forms the text and dot dumps show.

use super::graph::{Graph, ValueInfo, ValueRef};
use super::op::Op;
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

/// Names as the text and dot dumps show them: exporter scope paths folded
/// (`/features/features.1/conv/conv.0/Conv_output_0` → `features.1/conv.0/Conv`), never two
/// the same. Values named as graph inputs and outputs keep their names: they are the caller's API.
pub(crate) struct DisplayNames {
    values: HashMap<ValueRef, String>,
    nodes: HashMap<NodeIndex, String>,
    /// True when at least one name differs from the model's.
    pub shortened: bool,
}

impl DisplayNames {
    pub(crate) fn new(graph: &Graph) -> DisplayNames {
        let mut values = Vec::new();
        let mut nodes = Vec::new();
        for n in graph.graph.node_indices() {
            let node = graph.node(n);
            let full = node_name(graph, n);
            nodes.push((n, shorten(&full), full));
            for (slot, info) in node.outputs.iter().enumerate() {
                let v = ValueRef { node: n, slot };
                let shown = if matches!(node.op, Op::Input)
                    || graph
                        .outputs
                        .iter()
                        .any(|o| o.value == v && o.name == info.name)
                {
                    info.name.clone()
                } else {
                    shorten(&info.name)
                };
                values.push((v, shown, info.name.clone()));
            }
        }
        let shortened = resolve_collisions(&mut values) | resolve_collisions(&mut nodes);
        DisplayNames {
            values: values.into_iter().map(|(k, shown, _)| (k, shown)).collect(),
            nodes: nodes.into_iter().map(|(k, shown, _)| (k, shown)).collect(),
            shortened,
        }
    }

    /// The shown name of a value (`%node:slot?` for a dangling reference).
    pub(crate) fn value(&self, graph: &Graph, v: ValueRef) -> String {
        self.values
            .get(&v)
            .cloned()
            .unwrap_or_else(|| value_name(graph, v))
    }

    /// The shown name of a node.
    pub(crate) fn node(&self, graph: &Graph, n: NodeIndex) -> String {
        self.nodes
            .get(&n)
            .cloned()
            .unwrap_or_else(|| node_name(graph, n))
    }
}

/// Puts back the full name wherever two shortened names meet, until all shown names are
/// distinct; returns whether any shortened name remains.
fn resolve_collisions<K>(entries: &mut [(K, String, String)]) -> bool {
    loop {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for (_, shown, _) in entries.iter() {
            *count.entry(shown.as_str()).or_default() += 1;
        }
        let clash: Vec<bool> = entries
            .iter()
            .map(|(_, shown, full)| shown != full && count[shown.as_str()] > 1)
            .collect();
        if !clash.contains(&true) {
            break;
        }
        for ((_, shown, full), clash) in entries.iter_mut().zip(clash) {
            if clash {
                *shown = full.clone();
            }
        }
    }
    entries.iter().any(|(_, shown, full)| shown != full)
}

/// Folds an exporter's scope path: a segment is dropped when the next one extends it
/// (`features/features.1` → `features.1`), a leading `/` goes, and `_output_N` becomes
/// nothing (N = 0) or `:N`. Names without `/` are left alone.
pub(crate) fn shorten(name: &str) -> String {
    if !name.contains('/') {
        return name.to_string();
    }
    let segments: Vec<&str> = name.trim_start_matches('/').split('/').collect();
    let kept: Vec<&str> = segments
        .iter()
        .enumerate()
        .filter(|&(i, seg)| {
            !segments.get(i + 1).is_some_and(|next| {
                next.len() > seg.len() + 1
                    && next.starts_with(seg)
                    && next[seg.len()..].starts_with('.')
            })
        })
        .map(|(_, seg)| *seg)
        .collect();
    let mut short = kept.join("/");
    if let Some((stem, slot)) = short.rsplit_once("_output_") {
        if !stem.is_empty() && !slot.is_empty() && slot.bytes().all(|b| b.is_ascii_digit()) {
            short = if slot == "0" {
                stem.to_string()
            } else {
                format!("{stem}:{slot}")
            };
        }
    }
    if short.is_empty() {
        name.to_string()
    } else {
        short
    }
}

/// The value's metadata, or `None` when the reference is dangling (dumps never panic).
pub(crate) fn value_info(graph: &Graph, v: ValueRef) -> Option<&ValueInfo> {
    graph
        .graph
        .node_weight(v.node)
        .and_then(|n| n.outputs.get(v.slot))
}

/// The value's name, or `%node:slot?` for a dangling reference.
pub(crate) fn value_name(graph: &Graph, v: ValueRef) -> String {
    match value_info(graph, v) {
        Some(info) => info.name.clone(),
        None => format!("%{}:{}?", node_name(graph, v.node), v.slot),
    }
}

/// The node's name, or `#index` when it has none (or is gone).
pub(crate) fn node_name(graph: &Graph, n: NodeIndex) -> String {
    match graph.graph.node_weight(n) {
        Some(node) if !node.name.is_empty() => node.name.clone(),
        _ => format!("#{}", n.index()),
    }
}
