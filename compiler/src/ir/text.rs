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
use super::op::{activation_name, Activation, AutoPad, Conv, ConvTranspose, Op, Window};
use super::tensor::{f16_to_f32, Data, Tensor};
use petgraph::stable_graph::NodeIndex;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

/// Widest node-name column before names stop being padded.
const NAME_COLUMN_MAX: usize = 48;
/// Widest `%name = Op(…) attrs` column before the outputs stop being aligned.
const CALL_COLUMN_MAX: usize = 140;
/// How many leading values a constant preview shows.
const PREVIEW_VALUES: usize = 4;

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

/// The salient attributes of `op` in the text form, e.g. `k=5x5 s=2x2 p=1 g=32 act=Relu`.
/// Attributes equal to their ONNX default are left out.
pub fn attributes(op: &Op) -> String {
    let parts: Vec<String> = attribute_list(op)
        .into_iter()
        .filter(|a| a.default.as_ref() != Some(&a.value))
        .map(|a| format_attr(&a))
        .collect();
    parts.join(" ")
}

/// [`attributes`] for a node, with a Conv's kernel size taken from its weight when the op does
/// not record it.
pub(crate) fn node_attributes(graph: &Graph, n: NodeIndex) -> String {
    attributes(&with_kernel(graph, n))
}

/// The node's op, with an empty Conv/ConvTranspose kernel filled from the weight shape
/// (a copy only in that case).
pub(crate) fn with_kernel(graph: &Graph, n: NodeIndex) -> Cow<'_, Op> {
    let op = &graph.node(n).op;
    let kernel_missing = match op {
        Op::Conv(c) => c.window.kernel.is_empty(),
        Op::ConvTranspose(c) => c.window.kernel.is_empty(),
        _ => false,
    };
    let weight = graph.input(n, 1).and_then(|w| value_info(graph, w));
    match weight {
        Some(w) if kernel_missing && w.shape.len() > 2 => {
            let mut op = op.clone();
            if let Op::Conv(Conv { window, .. }) | Op::ConvTranspose(ConvTranspose { window, .. }) =
                &mut op
            {
                window.kernel = w.shape[2..].to_vec();
            }
            Cow::Owned(op)
        }
        _ => Cow::Borrowed(op),
    }
}

/// One typed attribute value, as the dumps print it.
#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    Int(i64),
    Ints(Vec<i64>),
    Float(f32),
    Floats(Vec<f32>),
    Bool(bool),
    Str(String),
}

/// One attribute of an op: its ONNX name, value, and ONNX default (if it has one).
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub key: &'static str,
    pub value: AttrValue,
    pub default: Option<AttrValue>,
}

fn attr(key: &'static str, value: AttrValue, default: Option<AttrValue>) -> Attr {
    Attr {
        key,
        value,
        default,
    }
}

/// Every attribute of `op` in a fixed order (options that are unset are left out).
/// The single source of truth for the text, dot and JSON dumps.
pub fn attribute_list(op: &Op) -> Vec<Attr> {
    use AttrValue::{Bool, Float, Floats, Int, Ints, Str};
    let mut list = Vec::new();
    let ints = |v: &[usize]| Ints(v.iter().map(|&x| x as i64).collect());
    let opt_ints = |list: &mut Vec<Attr>, key, v: &Option<Vec<i64>>| {
        if let Some(v) = v {
            list.push(attr(key, Ints(v.clone()), None));
        }
    };
    let window = |list: &mut Vec<Attr>, w: &Window| {
        if !w.kernel.is_empty() {
            list.push(attr("kernel_shape", ints(&w.kernel), None));
        }
        let rank = w
            .kernel
            .len()
            .max(w.strides.len())
            .max(w.dilations.len())
            .max(w.pads.len() / 2);
        if !w.strides.is_empty() {
            list.push(attr("strides", ints(&w.strides), None));
        }
        if !w.dilations.is_empty() {
            list.push(attr(
                "dilations",
                ints(&w.dilations),
                Some(Ints(vec![1; w.dilations.len().max(rank)])),
            ));
        }
        if !w.pads.is_empty() {
            list.push(attr(
                "pads",
                ints(&w.pads),
                Some(Ints(vec![0; w.pads.len()])),
            ));
        }
        list.push(attr(
            "auto_pad",
            Str(auto_pad_name(w.auto_pad).into()),
            Some(Str("NOTSET".into())),
        ));
    };
    let activation = |list: &mut Vec<Attr>, a: &Activation| {
        if *a != Activation::None {
            list.push(attr("activation", Str(activation_label(*a)), None));
        }
    };
    match op {
        Op::Input
        | Op::Not
        | Op::Identity
        | Op::Where
        | Op::Expand
        | Op::Tile
        | Op::Binary(_)
        | Op::Compare(_)
        | Op::Logic(_)
        | Op::GlobalPool(_) => {}
        Op::Constant(t) => {
            list.push(attr("dtype", Str(t.dtype().name().into()), None));
            list.push(attr("shape", ints(&t.shape), None));
        }
        Op::Conv(c) => {
            window(&mut list, &c.window);
            list.push(attr("group", Int(c.group as i64), Some(Int(1))));
            activation(&mut list, &c.activation);
        }
        Op::ConvTranspose(c) => {
            window(&mut list, &c.window);
            list.push(attr("group", Int(c.group as i64), Some(Int(1))));
            if !c.output_padding.is_empty() {
                list.push(attr(
                    "output_padding",
                    ints(&c.output_padding),
                    Some(Ints(vec![0; c.output_padding.len()])),
                ));
            }
            if !c.output_shape.is_empty() {
                list.push(attr("output_shape", ints(&c.output_shape), None));
            }
            activation(&mut list, &c.activation);
        }
        Op::Gemm(g) => {
            list.push(attr("alpha", Float(g.alpha), Some(Float(1.0))));
            list.push(attr("beta", Float(g.beta), Some(Float(1.0))));
            list.push(attr("transA", Bool(g.trans_a), Some(Bool(false))));
            list.push(attr("transB", Bool(g.trans_b), Some(Bool(false))));
            activation(&mut list, &g.activation);
        }
        Op::MatMul(m) => activation(&mut list, &m.activation),
        Op::Unary(a) => match *a {
            Activation::LeakyRelu { alpha } => {
                list.push(attr("alpha", Float(alpha), Some(Float(0.01))))
            }
            Activation::Elu { alpha } => list.push(attr("alpha", Float(alpha), Some(Float(1.0)))),
            Activation::HardSigmoid { alpha, beta } => {
                list.push(attr("alpha", Float(alpha), Some(Float(0.2))));
                list.push(attr("beta", Float(beta), Some(Float(0.5))));
            }
            Activation::Clip { min, max } => {
                if min != f32::MIN {
                    list.push(attr("min", Float(min), None));
                }
                if max != f32::MAX {
                    list.push(attr("max", Float(max), None));
                }
            }
            _ => {}
        },
        Op::Clip { min, max } => {
            if let Some(min) = min {
                list.push(attr("min", Float(*min), None));
            }
            if let Some(max) = max {
                list.push(attr("max", Float(*max), None));
            }
        }
        Op::Softmax {
            axis,
            log: _,
            legacy,
        } => {
            list.push(attr("axis", Int(*axis), None));
            list.push(attr("legacy", Bool(*legacy), Some(Bool(false))));
        }
        Op::Pool(p) => {
            window(&mut list, &p.window);
            list.push(attr("ceil_mode", Bool(p.ceil_mode), Some(Bool(false))));
            list.push(attr(
                "count_include_pad",
                Bool(p.count_include_pad),
                Some(Bool(false)),
            ));
        }
        Op::BatchNorm { epsilon } | Op::InstanceNorm { epsilon } => {
            list.push(attr("epsilon", Float(*epsilon), Some(Float(1e-5))));
        }
        Op::LayerNorm { axis, epsilon } => {
            list.push(attr("axis", Int(*axis), Some(Int(-1))));
            list.push(attr("epsilon", Float(*epsilon), Some(Float(1e-5))));
        }
        Op::Reshape { allowzero } => {
            list.push(attr("allowzero", Bool(*allowzero), Some(Bool(false))))
        }
        Op::Flatten { axis } => list.push(attr("axis", Int(*axis), Some(Int(1)))),
        Op::Transpose { perm } => opt_ints(&mut list, "perm", perm),
        Op::Concat { axis } => list.push(attr("axis", Int(*axis), None)),
        Op::Split(s) => {
            list.push(attr("axis", Int(s.axis), Some(Int(0))));
            opt_ints(&mut list, "split", &s.split);
        }
        Op::Slice(s) => {
            opt_ints(&mut list, "starts", &s.starts);
            opt_ints(&mut list, "ends", &s.ends);
            opt_ints(&mut list, "axes", &s.axes);
        }
        Op::Squeeze { axes } | Op::Unsqueeze { axes } => opt_ints(&mut list, "axes", axes),
        Op::Gather { axis } => list.push(attr("axis", Int(*axis), Some(Int(0)))),
        Op::Pad(p) => {
            list.push(attr(
                "mode",
                Str(enum_name(&p.mode)),
                Some(Str("constant".into())),
            ));
            opt_ints(&mut list, "pads", &p.pads);
            list.push(attr("value", Float(p.value), Some(Float(0.0))));
        }
        Op::Resize(r) => {
            list.push(attr(
                "mode",
                Str(enum_name(&r.mode)),
                Some(Str("nearest".into())),
            ));
            list.push(attr(
                "coordinate_transformation_mode",
                Str(enum_name(&r.coordinate_mode)),
                Some(Str("half_pixel".into())),
            ));
            list.push(attr(
                "nearest_mode",
                Str(enum_name(&r.nearest_mode)),
                Some(Str("round_prefer_floor".into())),
            ));
            list.push(attr(
                "exclude_outside",
                Bool(r.exclude_outside),
                Some(Bool(false)),
            ));
            list.push(attr(
                "extrapolation_value",
                Float(r.extrapolation_value),
                Some(Float(0.0)),
            ));
            list.push(attr(
                "cubic_coeff_a",
                Float(r.cubic_coeff_a),
                Some(Float(-0.75)),
            ));
            opt_ints(&mut list, "axes", &r.axes);
            if let Some(scales) = &r.scales_attr {
                list.push(attr("scales", Floats(scales.clone()), None));
            }
        }
        Op::Reduce(r) => {
            opt_ints(&mut list, "axes", &r.axes);
            list.push(attr("keepdims", Bool(r.keepdims), Some(Bool(true))));
            list.push(attr(
                "noop_with_empty_axes",
                Bool(r.noop_with_empty_axes),
                Some(Bool(false)),
            ));
        }
        Op::Cast { to } => list.push(attr("to", Str(to.name().into()), None)),
        Op::ConstantOfShape { value } => {
            list.push(attr("dtype", Str(value.dtype().name().into()), None));
            let v = if value.dtype().is_float() {
                value.scalar_f32().map(Float)
            } else {
                value.to_i64_vec().and_then(|v| v.first().copied()).map(Int)
            };
            if let Some(v) = v {
                list.push(attr("value", v, None));
            }
        }
        Op::Shape { start, end } => {
            list.push(attr("start", Int(*start), Some(Int(0))));
            if let Some(end) = end {
                list.push(attr("end", Int(*end), None));
            }
        }
    }
    list
}

/// `Relu`, `LeakyRelu(0.1)`, `Clip(0..6)`, `HardSigmoid(0.2,0.5)`: a fused or unary function.
pub fn activation_label(a: Activation) -> String {
    let name = activation_name(a);
    match a {
        Activation::LeakyRelu { alpha } | Activation::Elu { alpha } => {
            format!("{name}({})", fmt_f32(alpha))
        }
        Activation::HardSigmoid { alpha, beta } => {
            format!("{name}({},{})", fmt_f32(alpha), fmt_f32(beta))
        }
        Activation::Clip { min, max } => {
            let lo = if min == f32::MIN {
                String::new()
            } else {
                fmt_f32(min)
            };
            let hi = if max == f32::MAX {
                String::new()
            } else {
                fmt_f32(max)
            };
            format!("{name}({lo}..{hi})")
        }
        _ => name.to_string(),
    }
}

/// The ONNX spelling of an `auto_pad` value.
pub(crate) fn auto_pad_name(a: AutoPad) -> &'static str {
    match a {
        AutoPad::NotSet => "NOTSET",
        AutoPad::Valid => "VALID",
        AutoPad::SameUpper => "SAME_UPPER",
        AutoPad::SameLower => "SAME_LOWER",
    }
}

/// The ONNX (snake_case) spelling of a kernel-side mode enum, from its `Type::Variant` Debug
/// form: `CoordinateMode::PytorchHalfPixel` → `pytorch_half_pixel`.
pub(crate) fn enum_name(value: &dyn std::fmt::Debug) -> String {
    let debug = format!("{value:?}");
    let variant = debug.rsplit("::").next().unwrap_or(&debug);
    let mut out = String::new();
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// An `f32` as the dumps print it: shortest round-trip form, exponent form for very small or
/// large magnitudes, `NaN`/`inf`/`-inf` for non-finite values.
pub fn fmt_f32(x: f32) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// An `f64` in the same style as [`fmt_f32`].
pub(crate) fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A value rounded to about four significant digits, for previews of weights.
fn fmt_short(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return fmt_f64(x);
    }
    let magnitude = x.abs().log10().floor() as i32;
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-3..5).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        trim(format!("{x:.decimals$}"))
    } else {
        let s = format!("{x:.3e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim(mantissa.to_string())),
            None => s,
        }
    }
}

/// The elements `[start, end)` of a tensor as preview strings (floats shortened, ints exact).
pub(crate) fn element_strings(data: &Data, end: usize) -> Vec<String> {
    fn take<T: Copy>(v: &[T], end: usize, f: impl Fn(T) -> String) -> Vec<String> {
        v.iter().take(end).map(|&x| f(x)).collect()
    }
    match data {
        Data::F32(v) => take(v, end, |x| fmt_short(f64::from(x))),
        Data::F64(v) => take(v, end, fmt_short),
        Data::F16(v) => take(v, end, |x| fmt_short(f64::from(f16_to_f32(x)))),
        Data::BF16(v) => take(v, end, |x| {
            fmt_short(f64::from(f32::from_bits(u32::from(x) << 16)))
        }),
        Data::I8(v) => take(v, end, |x| x.to_string()),
        Data::I16(v) => take(v, end, |x| x.to_string()),
        Data::I32(v) => take(v, end, |x| x.to_string()),
        Data::I64(v) => take(v, end, |x| x.to_string()),
        Data::U8(v) | Data::Bool(v) => take(v, end, |x| x.to_string()),
        Data::U16(v) => take(v, end, |x| x.to_string()),
        Data::U32(v) => take(v, end, |x| x.to_string()),
        Data::U64(v) => take(v, end, |x| x.to_string()),
    }
}

/// `[0.1, -0.25, …]`, `[1, -1]` (all values when there are few), `splat(0)`, `[]`, or the bare
/// value of a scalar.
pub(crate) fn preview(t: &Tensor) -> String {
    preview_n(t, PREVIEW_VALUES)
}

/// [`preview`] with at most `n` values.
pub(crate) fn preview_n(t: &Tensor, n: usize) -> String {
    if t.len() > 1 && t.is_uniform() {
        return format!("splat({})", element_strings(&t.data, 1).join(""));
    }
    if t.shape.is_empty() {
        return element_strings(&t.data, 1).join("");
    }
    let mut values = element_strings(&t.data, n);
    if t.len() > n {
        values.push("…".into());
    }
    format!("[{}]", values.join(", "))
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

/// `246,824`.
pub(crate) fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
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

fn format_attr(a: &Attr) -> String {
    let key = match a.key {
        "kernel_shape" => "k",
        "strides" => "s",
        "dilations" => "d",
        "pads" => "p",
        "group" => "g",
        "activation" => "act",
        other => other,
    };
    match &a.value {
        AttrValue::Ints(v) if matches!(key, "k" | "s" | "d") => format!("{key}={}", join(v, "x")),
        AttrValue::Ints(v) if key == "p" && !v.is_empty() && v.iter().all(|&x| x == v[0]) => {
            format!("p={}", v[0])
        }
        AttrValue::Ints(v) if key == "p" => format!("p={}", join(v, ",")),
        AttrValue::Ints(v) => format!("{key}=[{}]", join(v, ",")),
        AttrValue::Int(v) => format!("{key}={v}"),
        AttrValue::Float(v) => format!("{key}={}", fmt_f32(*v)),
        AttrValue::Floats(v) => {
            format!(
                "{key}=[{}]",
                v.iter().map(|&x| fmt_f32(x)).collect::<Vec<_>>().join(",")
            )
        }
        AttrValue::Bool(true) => key.to_string(),
        AttrValue::Bool(false) => format!("{key}=0"),
        AttrValue::Str(s) => format!("{key}={s}"),
    }
}

fn join(v: &[i64], sep: &str) -> String {
    v.iter().map(i64::to_string).collect::<Vec<_>>().join(sep)
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
pub(crate) mod tests {
    use super::*;
    use crate::ir::op::{Conv, Gemm, Pool, PoolKind};
    use crate::ir::{DType, GraphOutput};

    fn info(name: &str, dtype: DType, shape: &[usize]) -> ValueInfo {
        ValueInfo {
            name: name.into(),
            dtype,
            shape: shape.to_vec(),
        }
    }

    fn window(k: usize, s: usize, p: usize) -> Window {
        Window {
            kernel: vec![k, k],
            strides: vec![s, s],
            dilations: vec![1, 1],
            pads: vec![p; 4],
            auto_pad: AutoPad::NotSet,
        }
    }

    /// input → Conv(+Relu) → MaxPool → Reshape → Gemm → output, with weights, a splat bias,
    /// a shape constant, and awkward names for the escapers.
    pub(crate) fn tiny_graph() -> Graph {
        let mut g = Graph::new("tiny \"net\"");
        let input = g.add_node(
            "input",
            Op::Input,
            &[],
            vec![info("input", DType::F32, &[1, 1, 8, 8])],
        );
        g.inputs.push(input);
        let input = ValueRef {
            node: input,
            slot: 0,
        };
        let w: Vec<f32> = (0..18).map(|i| i as f32 * 0.125 - 1.0).collect();
        let w = g.add_constant(
            "conv1.weight",
            Tensor::from_f32(vec![2, 1, 3, 3], w).unwrap(),
        );
        let b = g.add_constant(
            "conv1.bias",
            Tensor::from_f32(vec![2], vec![0.0, 0.0]).unwrap(),
        );
        let conv = g.add_node(
            "conv1",
            Op::Conv(Conv {
                window: Window {
                    kernel: vec![],
                    ..window(3, 1, 1)
                },
                group: 1,
                activation: Activation::Relu,
            }),
            &[Some(input), Some(w), Some(b)],
            vec![info("conv1_out", DType::F32, &[1, 2, 8, 8])],
        );
        let pool = g.add_node(
            "pool1",
            Op::Pool(Pool {
                kind: PoolKind::Max,
                window: window(2, 2, 0),
                ceil_mode: false,
                count_include_pad: false,
            }),
            &[Some(ValueRef {
                node: conv,
                slot: 0,
            })],
            vec![info("pool1_out", DType::F32, &[1, 2, 4, 4])],
        );
        let shape = g.add_constant("shape", Tensor::from_i64(vec![2], vec![1, -1]).unwrap());
        let flat = g.add_node(
            "flatten",
            Op::Reshape { allowzero: false },
            &[
                Some(ValueRef {
                    node: pool,
                    slot: 0,
                }),
                Some(shape),
            ],
            vec![info("flat", DType::F32, &[1, 32])],
        );
        let fc_w = g.add_constant(
            "fc.weight",
            Tensor::from_f32(vec![3, 32], vec![0.5; 96]).unwrap(),
        );
        let gemm = g.add_node(
            "fc \"quoted\"\\",
            Op::Gemm(Gemm {
                alpha: 1.0,
                beta: 1.0,
                trans_a: false,
                trans_b: true,
                activation: Activation::None,
            }),
            &[
                Some(ValueRef {
                    node: flat,
                    slot: 0,
                }),
                Some(fc_w),
                None,
            ],
            vec![info("logits", DType::F32, &[1, 3])],
        );
        g.outputs.push(GraphOutput {
            name: "logits".into(),
            value: ValueRef {
                node: gemm,
                slot: 0,
            },
        });
        g
    }

    #[test]
    fn text_dump_has_the_key_parts() {
        let text = to_text(&tiny_graph());
        println!("{text}");
        assert!(text.starts_with("graph tiny \"net\"  (9 nodes: 1 input, 4 constants, 4 ops)\n"));
        assert!(text.contains("  input  f32[1,1,8,8]  256 B\n"));
        assert!(text.contains("  logits  f32[1,3]  <- %fc \"quoted\"\\\n"));
        assert!(text.contains("constants: 4 tensors, 480 bytes (2 splats, 392 bytes)\n"));
        assert!(text.contains("conv1.weight  f32[2,1,3,3]   72 B  [-1, -0.875, -0.75, -0.625, …]"));
        assert!(text.contains("conv1.bias    f32[2]          8 B  splat(0)"));
        assert!(text.contains("shape         i64[2]         16 B  [1, -1]"));
        assert!(text.contains("= Conv(input, conv1.weight, conv1.bias) k=3x3 s=1x1 p=1 act=Relu"));
        assert!(text.contains("= MaxPool(conv1_out) k=2x2 s=2x2  "));
        assert!(text.contains("= Gemm(flat, fc.weight, _) transB"));
        assert!(text.contains("-> conv1_out: f32[1,2,8,8]\n"));
        assert!(text.contains("summary: 4 ops (Conv 1, Gemm 1, MaxPool 1, Reshape 1); values 780 bytes, largest conv1_out (512 B)"));
        // Constant nodes are not repeated among the ops, and dumps are deterministic.
        let nodes = text.split("nodes:\n").nth(1).unwrap();
        assert!(!nodes.contains("Constant"));
        assert_eq!(text, to_text(&tiny_graph()));
    }

    #[test]
    fn output_columns_are_aligned() {
        let text = to_text(&tiny_graph());
        let nodes = text.split("nodes:\n").nth(1).unwrap();
        let columns: Vec<usize> = nodes
            .lines()
            .filter(|l| l.starts_with("  %"))
            .map(|l| l.find("  -> ").map(|i| l[..i].chars().count()).unwrap())
            .collect();
        assert_eq!(columns.len(), 4);
        assert!(columns.iter().all(|&c| c == columns[0]), "{columns:?}");
        let eq: Vec<usize> = nodes.lines().filter_map(|l| l.find(" = ")).collect();
        assert!(eq.iter().all(|&c| c == eq[0]), "{eq:?}");
    }

    #[test]
    fn attributes_cover_defaults_and_modes() {
        use crate::ir::op::{Reduce, ReduceOp, Resize};
        assert_eq!(attributes(&Op::Flatten { axis: 1 }), "");
        assert_eq!(attributes(&Op::Flatten { axis: 2 }), "axis=2");
        assert_eq!(
            attributes(&Op::Transpose {
                perm: Some(vec![0, 2, 3, 1])
            }),
            "perm=[0,2,3,1]"
        );
        assert_eq!(
            attributes(&Op::BatchNorm { epsilon: 1e-3 }),
            "epsilon=0.001"
        );
        assert_eq!(
            attributes(&Op::LayerNorm {
                axis: -1,
                epsilon: 1e-12
            }),
            "epsilon=1e-12"
        );
        assert_eq!(
            attributes(&Op::Unary(Activation::LeakyRelu { alpha: 0.2 })),
            "alpha=0.2"
        );
        assert_eq!(attributes(&Op::Cast { to: DType::I64 }), "to=i64");
        let conv = Op::Conv(Conv {
            window: Window {
                pads: vec![0, 0, 1, 1],
                dilations: vec![2, 2],
                ..window(3, 2, 0)
            },
            group: 32,
            activation: Activation::Clip { min: 0.0, max: 6.0 },
        });
        assert_eq!(
            attributes(&conv),
            "k=3x3 s=2x2 d=2x2 p=0,0,1,1 g=32 act=Clip(0..6)"
        );
        let resize = Op::Resize(Resize {
            mode: crate::ir::op::ResizeMode::Linear,
            coordinate_mode: crate::ir::op::CoordinateMode::AlignCorners,
            nearest_mode: crate::ir::op::NearestMode::RoundPreferFloor,
            exclude_outside: false,
            extrapolation_value: 0.0,
            cubic_coeff_a: -0.75,
            axes: None,
            scales_attr: Some(vec![1.0, 1.0, 2.0, 2.0]),
        });
        assert_eq!(
            attributes(&resize),
            "mode=linear coordinate_transformation_mode=align_corners scales=[1,1,2,2]"
        );
        let reduce = Op::Reduce(Reduce {
            op: ReduceOp::Mean,
            axes: Some(vec![2, 3]),
            keepdims: false,
            noop_with_empty_axes: false,
        });
        assert_eq!(attributes(&reduce), "axes=[2,3] keepdims=0");
        assert_eq!(
            activation_label(Activation::Clip {
                min: 0.0,
                max: f32::MAX
            }),
            "Clip(0..)"
        );
    }

    #[test]
    fn labels_and_numbers() {
        assert_eq!(
            value_label(&info("x", DType::F32, &[1, 6, 28, 28])),
            "f32[1,6,28,28]"
        );
        assert_eq!(value_label(&info("s", DType::I64, &[])), "i64[]");
        assert_eq!(group_digits(246_824), "246,824");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1_000_000), "1,000,000");
        assert_eq!(fmt_f32(f32::NAN), "NaN");
        assert_eq!(fmt_f32(f32::NEG_INFINITY), "-inf");
        assert_eq!(fmt_f32(1e-5), "1e-5");
        assert_eq!(fmt_f32(0.25), "0.25");
        assert_eq!(fmt_short(0.123456), "0.1235");
        assert_eq!(fmt_short(-1234.5678), "-1235");
        assert_eq!(fmt_short(1.5e-7), "1.5e-7");
        let t = Tensor::from_f32(vec![5], vec![1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
        assert_eq!(preview(&t), "[1, 2, 3, 4, …]");
        let scalar = Tensor::from_f32(vec![], vec![2.5]).unwrap();
        assert_eq!(preview(&scalar), "2.5");
        assert_eq!(column_width([3, 5, 4].into_iter(), 100), 5);
        assert_eq!(column_width(1..=20, 100), 20);
        assert_eq!(column_width([10, 200].into_iter(), 140), 10);
        assert_eq!(column_width([10; 19].into_iter().chain([12]), 140), 12);
        assert_eq!(column_width([10; 19].into_iter().chain([13]), 140), 10);
        assert_eq!(column_width(std::iter::empty(), 140), 0);
    }

    #[test]
    fn exporter_scopes_are_folded_without_collisions() {
        assert_eq!(
            shorten("/features/features.1/conv/conv.0/conv.0.2/Clip_output_0"),
            "features.1/conv.0.2/Clip"
        );
        assert_eq!(
            shorten("/features/features.1/conv/conv.0/conv.0.0/Conv"),
            "features.1/conv.0.0/Conv"
        );
        assert_eq!(shorten("/Split_output_1"), "Split:1");
        assert_eq!(shorten("/conv1/Conv.bias"), "conv1/Conv.bias");
        assert_eq!(shorten("plain_output_0"), "plain_output_0");
        assert_eq!(shorten("/"), "/");
        assert_eq!(shorten("a/ab.1"), "a/ab.1");

        // `/b/Add_output_0` would show as `b/Add`, which is another value's real name.
        let mut g = Graph::new("clash");
        let x = g.add_node("x", Op::Input, &[], vec![info("x", DType::F32, &[4])]);
        g.inputs.push(x);
        let x = ValueRef { node: x, slot: 0 };
        let relu = |g: &mut Graph, name: &str, value: &str, from: ValueRef| {
            let n = g.add_node(
                name,
                Op::Unary(Activation::Relu),
                &[Some(from)],
                vec![info(value, DType::F32, &[4])],
            );
            ValueRef { node: n, slot: 0 }
        };
        let a = relu(&mut g, "/b/Add", "/b/Add_output_0", x);
        let b = relu(&mut g, "/m/m.1/Relu", "b/Add", a);
        let c = relu(&mut g, "/m/m.2/Relu", "/m/m.2/Relu_output_0", b);
        g.outputs.push(GraphOutput {
            name: "y".into(),
            value: c,
        });
        let text = to_text(&g);
        assert!(text.contains("# names: exporter scopes folded"));
        assert!(
            text.contains("%b/Add    = Relu(x)                -> /b/Add_output_0: f32[4]\n"),
            "{text}"
        );
        assert!(
            text.contains("%m.1/Relu = Relu(/b/Add_output_0)  -> b/Add: f32[4]\n"),
            "{text}"
        );
        assert!(
            text.contains("%m.2/Relu = Relu(b/Add)            -> f32[4]\n"),
            "{text}"
        );
        assert!(
            text.contains("  y  f32[4]  <- m.2/Relu (%m.2/Relu)\n"),
            "{text}"
        );
        assert!(!to_text(&tiny_graph()).contains("# names"));
    }

    #[test]
    fn constants_are_listed_in_the_order_they_are_used() {
        let mut g = tiny_graph();
        g.add_constant("unused", Tensor::from_i64(vec![1], vec![7]).unwrap());
        let late = g.add_constant("late", Tensor::from_i64(vec![], vec![3]).unwrap());
        let pool = g
            .graph
            .node_indices()
            .find(|&n| g.node(n).name == "pool1")
            .unwrap();
        g.set_input(pool, 1, Some(late));
        let text = to_text(&g);
        let listed: Vec<&str> = text
            .split("\nnodes:\n")
            .next()
            .unwrap()
            .split("bytes)\n")
            .nth(1)
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(
            listed,
            [
                "conv1.weight",
                "conv1.bias",
                "late",
                "shape",
                "fc.weight",
                "unused"
            ]
        );
        assert!(
            text.contains("  late          i64[]           8 B  3\n"),
            "{text}"
        );
    }

    #[test]
    fn cycles_and_dangling_values_do_not_panic() {
        let mut g = tiny_graph();
        let first = g.topo_order().unwrap()[0];
        let pool = g
            .graph
            .node_indices()
            .find(|&n| g.node(n).name == "pool1")
            .unwrap();
        // A dangling reference (slot 5 of the input) and a cycle (pool1 feeding the input).
        g.set_input(
            pool,
            1,
            Some(ValueRef {
                node: first,
                slot: 5,
            }),
        );
        g.set_input(
            first,
            0,
            Some(ValueRef {
                node: pool,
                slot: 0,
            }),
        );
        let text = to_text(&g);
        assert!(text.contains("# warning:"));
        assert!(text.contains("%input:5?"));
    }
}
