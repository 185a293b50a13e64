//! Human-readable figures: per-layer comments, MACs, and the generated crate's README.

use crate::ir::op::{Activation, Op};
use crate::ir::op_layout::LayoutOp;
use crate::ir::{Graph, ValueInfo};
use crate::plan::{Plan, Storage};
use petgraph::stable_graph::NodeIndex;
use std::fmt::Write;

/// `f32[1,6,28,28]`.
pub fn label(info: &ValueInfo) -> String {
    let dims: Vec<String> = info.shape.iter().map(|d| d.to_string()).collect();
    format!("{}[{}]", info.dtype, dims.join(","))
}

/// Multiply-accumulates of a node (Conv, ConvTranspose, Gemm and MatMul; 0 for others).
pub fn macs(graph: &Graph, node: NodeIndex) -> u64 {
    let n = graph.node(node);
    let ins = graph.inputs(node);
    let shape = |slot: usize| ins.get(slot).copied().flatten().map(|v| graph.value(v).shape.clone()).unwrap_or_default();
    let out: u64 = n.outputs.first().map(|o| o.elements() as u64).unwrap_or(0);
    match &n.op {
        Op::Conv(c) => {
            let w = shape(1);
            out * w.iter().skip(1).product::<usize>() as u64 * u64::from(c.group > 0)
        }
        Op::ConvTranspose(c) => {
            let (x, w) = (shape(0), shape(1));
            x.iter().product::<usize>() as u64 * (w.get(1).copied().unwrap_or(0) * w.iter().skip(2).product::<usize>()) as u64
                * u64::from(c.group > 0)
        }
        Op::Gemm(g) => {
            let a = shape(0);
            let k = if g.trans_a { a.first() } else { a.last() }.copied().unwrap_or(0);
            out * k as u64
        }
        Op::MatMul(_) => {
            let a = shape(0);
            out * a.last().copied().unwrap_or(0) as u64
        }
        Op::Layout(LayoutOp::DepthwiseBlock(p)) => {
            // Each step's own count (rows shared by bands are not computed twice).
            let count = |q: &onnxc_templates::generic::conv_nhwc::ConvNhwcParams| {
                let c = &q.conv;
                (c.batch * c.out_h * c.out_w * c.out_channels * c.kernel_h * c.kernel_w * (c.in_channels / c.groups.max(1))) as u64
            };
            [p.expand, Some(p.depthwise), p.project].iter().flatten().map(count).sum()
        }
        Op::Layout(l) => {
            let Some(c) = l.conv().map(|p| &p.conv) else { return 0 };
            out * (c.kernel_h * c.kernel_w * c.in_channels.checked_div(c.groups).unwrap_or(0)) as u64
        }
        _ => 0,
    }
}

/// A short description of an op's salient attributes for comments and tables.
pub fn op_summary(op: &Op) -> String {
    let act = |a: &Activation| if *a == Activation::None { String::new() } else { format!(" + {}", crate::ir::op::activation_name(*a)) };
    let window = |w: &crate::ir::op::Window| {
        let join = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join("x");
        let mut s = String::new();
        if !w.kernel.is_empty() {
            let _ = write!(s, " k{}", join(&w.kernel));
        }
        if w.strides.iter().any(|&x| x != 1) {
            let _ = write!(s, " s{}", join(&w.strides));
        }
        if w.pads.iter().any(|&x| x != 0) {
            let _ = write!(s, " p{}", w.pads.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(","));
        }
        if w.dilations.iter().any(|&x| x != 1) {
            let _ = write!(s, " d{}", join(&w.dilations));
        }
        s
    };
    match op {
        Op::Conv(c) => format!("Conv{}{}{}", window(&c.window), if c.group > 1 { format!(" g{}", c.group) } else { String::new() }, act(&c.activation)),
        Op::ConvTranspose(c) => format!("ConvTranspose{}{}", window(&c.window), act(&c.activation)),
        Op::Gemm(g) => format!("Gemm{}{}", if g.trans_b { " B'" } else { "" }, act(&g.activation)),
        Op::MatMul(m) => format!("MatMul{}", act(&m.activation)),
        Op::Pool(p) => format!("{}{}{}", op.name(), window(&p.window), if p.ceil_mode { " ceil" } else { "" }),
        Op::Softmax { axis, .. } => format!("{} axis {axis}", op.name()),
        Op::Concat { axis } => format!("Concat axis {axis}"),
        Op::Transpose { perm: Some(p) } => format!("Transpose {p:?}"),
        Op::Layout(LayoutOp::Dense(p)) => format!("Gemm, packed weights{}", act(&p.conv.act)),
        Op::Layout(LayoutOp::DepthwiseBlock(p)) => {
            let d = &p.depthwise.conv;
            let stride = if (d.stride_h, d.stride_w) == (1, 1) { String::new() } else { format!(" s{}x{}", d.stride_h, d.stride_w) };
            let mut s = String::new();
            if let Some(e) = &p.expand {
                let c = &e.conv;
                let stride = if (c.stride_h, c.stride_w) == (1, 1) { String::new() } else { format!(" s{}x{}", c.stride_h, c.stride_w) };
                let pads = if (c.pad_top, c.pad_left) == (0, 0) { String::new() } else { format!(" p{},{}", c.pad_top, c.pad_left) };
                let _ = write!(s, "Conv k{}x{}{stride}{pads}{} then ", c.kernel_h, c.kernel_w, act(&c.act));
            }
            let _ = write!(s, "Conv k{}x{}{stride} g{}{}", d.kernel_h, d.kernel_w, d.groups, act(&d.act));
            if let Some(q) = &p.project {
                let _ = write!(s, " then Conv k1x1{}", act(&q.conv.act));
            }
            format!("{s}, {} rows a band, channels-last", p.band_rows)
        }
        Op::Layout(LayoutOp::Winograd(p)) => {
            let c = &p.conv.conv;
            let pads = if (c.pad_top, c.pad_left) != (0, 0) { format!(" p{},{}", c.pad_top, c.pad_left) } else { String::new() };
            format!("Conv k3x3{pads}{} by Winograd F(2x2,3x3), {} tiles a block, channels-last", act(&c.act), p.block_tiles)
        }
        Op::Layout(LayoutOp::Conv(p)) => {
            let c = &p.conv;
            let mut s = format!("Conv k{}x{}", c.kernel_h, c.kernel_w);
            if (c.stride_h, c.stride_w) != (1, 1) {
                let _ = write!(s, " s{}x{}", c.stride_h, c.stride_w);
            }
            if (c.pad_top, c.pad_left) != (0, 0) {
                let _ = write!(s, " p{},{}", c.pad_top, c.pad_left);
            }
            if (c.dilation_h, c.dilation_w) != (1, 1) {
                let _ = write!(s, " d{}x{}", c.dilation_h, c.dilation_w);
            }
            if c.groups > 1 {
                let _ = write!(s, " g{}", c.groups);
            }
            format!("{s}{}, channels-last", act(&c.act))
        }
        other => other.name(),
    }
}

/// The comment above a layer in `run`: name, op, input and output shapes.
pub fn layer_comment(graph: &Graph, node: NodeIndex) -> String {
    let n = graph.node(node);
    let ins: Vec<String> = graph
        .inputs(node)
        .iter()
        .flatten()
        .map(|&v| {
            let info = graph.value(v);
            format!("{} {}", info.name, label(info))
        })
        .collect();
    let outs: Vec<String> = n.outputs.iter().map(|o| format!("{} {}", o.name, label(o))).collect();
    let view = if n.op.is_view() { " (a view: no code)" } else { "" };
    format!("{}: {}{view}; {} -> {}", n.name, op_summary(&n.op), ins.join(", "), outs.join(", "))
}

fn bytes(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The arena plan as a table: value, offset, size, live range (also used by `inspect`).
pub fn arena_table(plan: &Plan) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "arena: {} bytes; lower bound {} bytes ({:.1}% above)", bytes(plan.arena_bytes), bytes(plan.lower_bound), overhead(plan));
    let _ = writeln!(s, "| value | offset | bytes | live (steps) |");
    let _ = writeln!(s, "|---|---:|---:|---|");
    let mut rows: Vec<_> = plan.arena_tensors.iter().collect();
    rows.sort_by_key(|t| (t.first, t.offset));
    for t in rows {
        let _ = writeln!(s, "| `{}` | {} | {} | {}..={} |", t.name, t.offset, bytes(t.bytes), t.first, t.last);
    }
    s
}

/// Arena size above the lower bound, in percent.
pub fn overhead(plan: &Plan) -> f64 {
    if plan.lower_bound == 0 {
        0.0
    } else {
        (plan.arena_bytes as f64 / plan.lower_bound as f64 - 1.0) * 100.0
    }
}

/// The generated crate's README: what it is, how to call it, and the model's figures.
pub fn readme(graph: &Graph, plan: &Plan, header: &str, crate_name: &str) -> String {
    let (inputs, outputs) = super::lib_rs::ports(graph);
    let total_macs: u64 = plan.steps.iter().map(|s| macs(graph, s.node)).sum();
    let mut s = String::new();
    let _ = writeln!(s, "# {crate_name}\n");
    for line in header.lines() {
        let _ = writeln!(s, "{line}  ");
    }
    let _ = writeln!(s, "\n`#![no_std]`, no dependencies, no allocation. Weights live in `weights.bin`, included in the binary.\n");
    let _ = writeln!(s, "## Figures\n");
    let _ = writeln!(s, "| | |\n|---|---:|");
    let _ = writeln!(s, "| arena (activations, `ARENA_BYTES`) | {} B |", bytes(plan.arena_bytes));
    let _ = writeln!(s, "| arena lower bound | {} B |", bytes(plan.lower_bound));
    let _ = writeln!(s, "| weights (`WEIGHTS_BYTES`) | {} B |", bytes(plan.weights.bytes.len()));
    let _ = writeln!(s, "| MACs per inference | {} |", bytes(total_macs as usize));
    let _ = writeln!(s, "| layers | {} |\n", plan.steps.len());
    let _ = writeln!(s, "## Inputs and outputs\n");
    let _ = writeln!(s, "| | name | type | `run` parameter |\n|---|---|---|---|");
    for p in &inputs {
        let _ = writeln!(s, "| input | `{}` | {} | `{}` |", p.name, label(&p.info), p.ident);
    }
    for p in &outputs {
        let _ = writeln!(s, "| output | `{}` | {} | `{}` |", p.name, label(&p.info), p.ident);
    }
    let params: Vec<String> = inputs
        .iter()
        .map(|p| format!("&{}", p.ident))
        .chain(outputs.iter().map(|p| format!("&mut {}", p.ident)))
        .collect();
    let krate = crate_name.replace('-', "_");
    let _ = writeln!(s, "\n## Use\n\n```rust\nlet mut arena = {krate}::Arena::new(); // `const fn`: a `static` works too\n{krate}::run(&mut arena, {});\n```\n", params.join(", "));
    let _ = writeln!(s, "With the `std` feature, a command-line runner reads `.npy` inputs and writes `.npy` outputs:\n");
    let input_args: Vec<String> = inputs.iter().map(|p| format!("--input {}=FILE.npy", p.name)).collect();
    let _ = writeln!(s, "```sh\ncargo run --release --features std -- {} --output-dir out\ncargo run --release --features std -- {} --bench 1000\n```\n", input_args.join(" "), input_args.join(" "));
    let _ = writeln!(s, "## Layers\n\n| # | layer | op | output | MACs | storage |\n|---:|---|---|---|---:|---|");
    for (i, step) in plan.steps.iter().enumerate() {
        let n = graph.node(step.node);
        let out = n.outputs.first().map(label).unwrap_or_default();
        let storage = step
            .outputs
            .first()
            .and_then(|v| plan.storage.get(v))
            .map(|s| match s {
                Storage::Arena { offset, bytes: b } => format!("arena @{offset} ({} B)", bytes(*b)),
                Storage::Output(i) => format!("output {i}"),
                Storage::Input(i) => format!("input {i}"),
                Storage::Weight { .. } => "weights".into(),
            })
            .unwrap_or_default();
        let storage = if n.op.is_view() { format!("view of input ({storage})") } else { storage };
        let _ = writeln!(s, "| {i} | `{}` | {} | {} | {} | {} |", n.name, op_summary(&n.op), out, bytes(macs(graph, step.node) as usize), storage);
    }
    let _ = writeln!(s, "\n## Arena plan\n\n{}", arena_table(plan));
    s
}
