//! Control flow expanded at import: results checked against values worked out by hand.

use crate::onnx::import::{load_bytes, ImportOptions};
use crate::onnx::proto::{AttributeProto, AttributeType, GraphProto, ModelProto};
use crate::onnx::test_util::*;
use crate::error::ErrorKind;
use crate::eval::{run_graph, RunOptions};
use crate::ir::{Data, Tensor};
use prost::Message;
use std::collections::BTreeMap;

fn attr_g(name: &str, g: GraphProto) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: AttributeType::Graph as i32, g: Some(Box::new(g)), ..AttributeProto::default() }
}

fn scalar_bool(name: &str, v: bool) -> crate::onnx::proto::TensorProto {
    tensor_proto(name, &Tensor::new(vec![], Data::Bool(vec![u8::from(v)])).unwrap())
}

fn run(model: &ModelProto, inputs: &[(&str, Tensor)]) -> crate::error::Result<Vec<(String, Tensor)>> {
    let graph = load_bytes(&model.encode_to_vec(), None, &ImportOptions::default())?;
    let inputs: BTreeMap<String, Tensor> = inputs.iter().map(|(n, t)| (n.to_string(), t.clone())).collect();
    run_graph(&graph, &inputs, &RunOptions::default())
}

fn values(out: &[(String, Tensor)], i: usize) -> (String, Vec<usize>, Vec<f32>) {
    let (name, t) = &out[i];
    (name.clone(), t.shape.clone(), t.to_f32_vec().unwrap())
}

/// `y = If(cond) then x + 1 else x * 2`, both branches reading the outer `x`.
fn if_model(cond: Option<bool>) -> ModelProto {
    let one = Tensor::from_f32(vec![], vec![1.0]).unwrap();
    let two = Tensor::from_f32(vec![], vec![2.0]).unwrap();
    let branch = |op: &str, c: &str, t: &Tensor| GraphProto {
        node: vec![node(op, &["x", c], &["r"], vec![])],
        initializer: vec![tensor_proto(c, t)],
        output: vec![output("r")],
        ..GraphProto::default()
    };
    let mut input = vec![f32_input("x", &[3])];
    let mut initializer = Vec::new();
    match cond {
        Some(c) => initializer.push(scalar_bool("cond", c)),
        None => input.push(value_info("cond", code(crate::ir::DType::Bool), &[])),
    }
    model(
        13,
        GraphProto {
            name: "if".into(),
            node: vec![node(
                "If",
                &["cond"],
                &["y"],
                vec![attr_g("then_branch", branch("Add", "one", &one)), attr_g("else_branch", branch("Mul", "two", &two))],
            )],
            initializer,
            input,
            output: vec![output("y")],
            ..GraphProto::default()
        },
    )
}

#[test]
fn if_with_a_constant_condition_inlines_the_taken_branch() {
    let x = Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap();
    let out = run(&if_model(Some(true)), &[("x", x.clone())]).unwrap();
    assert_eq!(values(&out, 0), ("y".into(), vec![3], vec![2.0, 3.0, 4.0]));
    let out = run(&if_model(Some(false)), &[("x", x)]).unwrap();
    assert_eq!(values(&out, 0), ("y".into(), vec![3], vec![2.0, 4.0, 6.0]));
}

#[test]
fn if_with_a_run_time_condition_is_refused_clearly() {
    let bytes = if_model(None).encode_to_vec();
    let e = load_bytes(&bytes, None, &ImportOptions::default()).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.message.contains("'If_0' (If, opset 13)") && e.message.contains("compile-time constant"), "{e}");
}

/// `Loop(M = 3)` carrying `s` (s += x each time) and scanning out `s * i` per iteration.
fn loop_model(trip_count: i64) -> ModelProto {
    let body = GraphProto {
        node: vec![
            node("Identity", &["cond_in"], &["cond_out"], vec![]),
            node("Add", &["s_in", "x"], &["s_out"], vec![]),
            node("Cast", &["i"], &["i_f"], vec![attr_i("to", 1)]),
            node("Mul", &["s_out", "i_f"], &["scan"], vec![]),
        ],
        input: vec![
            value_info("i", code(crate::ir::DType::I64), &[]),
            value_info("cond_in", code(crate::ir::DType::Bool), &[]),
            f32_input("s_in", &[2]),
        ],
        output: vec![output("cond_out"), output("s_out"), output("scan")],
        ..GraphProto::default()
    };
    let m = Tensor::from_i64(vec![], vec![trip_count]).unwrap();
    model(
        13,
        GraphProto {
            name: "loop".into(),
            node: vec![node("Loop", &["M", "", "s0"], &["s", "stacked"], vec![attr_g("body", body)])],
            initializer: vec![tensor_proto("M", &m)],
            input: vec![f32_input("x", &[2]), f32_input("s0", &[2])],
            output: vec![output("s"), output("stacked")],
            ..GraphProto::default()
        },
    )
}

#[test]
fn loop_with_a_constant_trip_count_is_unrolled() {
    let x = Tensor::from_f32(vec![2], vec![1.0, 10.0]).unwrap();
    let s0 = Tensor::from_f32(vec![2], vec![0.0, 0.5]).unwrap();
    let out = run(&loop_model(3), &[("x", x), ("s0", s0)]).unwrap();
    // s after each iteration: [1, 10.5], [2, 20.5], [3, 30.5]; scanned s * i for i = 0, 1, 2.
    assert_eq!(values(&out, 0), ("s".into(), vec![2], vec![3.0, 30.5]));
    assert_eq!(values(&out, 1), ("stacked".into(), vec![3, 2], vec![0.0, 0.0, 2.0, 20.5, 6.0, 61.0]));
}

#[test]
fn loop_that_runs_zero_times_with_scan_outputs_is_refused() {
    let bytes = loop_model(0).encode_to_vec();
    let e = load_bytes(&bytes, None, &ImportOptions::default()).unwrap_err();
    assert!(e.message.contains("zero times"), "{e}");
}

/// Scan (opset 11) over the rows of `x`, accumulating a running sum, with the scan output
/// reversed and stacked along axis 1.
#[test]
fn scan_unrolls_over_the_scanned_axis_with_directions() {
    let body = GraphProto {
        node: vec![node("Add", &["acc", "row"], &["acc_out"], vec![]), node("Identity", &["acc_out"], &["each"], vec![])],
        input: vec![f32_input("acc", &[2]), f32_input("row", &[2])],
        output: vec![output("acc_out"), output("each")],
        ..GraphProto::default()
    };
    let m = model(
        11,
        GraphProto {
            name: "scan".into(),
            node: vec![node(
                "Scan",
                &["init", "x"],
                &["total", "partial"],
                vec![
                    attr_g("body", body),
                    attr_i("num_scan_inputs", 1),
                    attr_ints("scan_input_directions", &[1]),
                    attr_ints("scan_output_axes", &[1]),
                ],
            )],
            input: vec![f32_input("init", &[2]), f32_input("x", &[3, 2])],
            output: vec![output("total"), output("partial")],
            ..GraphProto::default()
        },
    );
    let init = Tensor::from_f32(vec![2], vec![0.0, 100.0]).unwrap();
    let x = Tensor::from_f32(vec![3, 2], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
    let out = run(&m, &[("init", init), ("x", x)]).unwrap();
    assert_eq!(values(&out, 0), ("total".into(), vec![2], vec![9.0, 112.0]));
    // Rows taken last first: sums [5, 106], [8, 110], [9, 112], stacked along axis 1.
    assert_eq!(values(&out, 1), ("partial".into(), vec![2, 3], vec![5.0, 8.0, 9.0, 106.0, 110.0, 112.0]));
}
