//! Op attributes in the dumps: the typed list every dump shares ([`attribute_list`]) and its
//! compact text form ([`attributes`], e.g. `k=5x5 s=2x2 p=1 g=32 act=Relu`).

use super::display_names::value_info;
use super::graph::Graph;
use super::number_format::fmt_f32;
use super::op::{activation_name, Activation, AutoPad, Conv, ConvTranspose, Op, Window};
use petgraph::stable_graph::NodeIndex;
use std::borrow::Cow;

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
        | Op::CastLike
        | Op::Classify(_)
        | Op::Variadic { .. }
        | Op::Nn(_)
        | Op::Quant(_)
        | Op::Binary(_)
        | Op::Compare(_)
        | Op::Logic(_)
        | Op::GlobalPool(_) => {}
        Op::Index(i) => list.extend(i.attributes()),
        Op::Vision(v) => list.extend(v.attributes()),
        Op::Signal(s) => list.extend(s.attributes()),
        Op::Layout(l) => list.extend(l.attributes()),
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
        Op::BitCast { to } | Op::Cast { to } => list.push(attr("to", Str(to.name().into()), None)),
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
