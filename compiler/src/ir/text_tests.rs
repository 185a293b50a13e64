//! Unit tests for `text.rs`, and [`tiny_graph`], the graph the dump tests share.

use super::*;
use crate::ir::display_names::shorten;
use crate::ir::number_format::fmt_short;
use crate::ir::op::{Activation, AutoPad, Conv, Gemm, Pool, PoolKind, Window};
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
        antialias: false,
        keep_aspect: 0,
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
