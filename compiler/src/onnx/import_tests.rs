//! Whole-model import: graph structure, validation errors, limits, external data.

use super::*;
use crate::error::ErrorKind;
use crate::ir::op::BinaryOp;
use crate::ir::Tensor;
use crate::limits::Limits;
use crate::onnx::proto::{OperatorSetIdProto, TensorProto};
use crate::onnx::test_util::*;

/// `y = x + b` with `x: f32[2, 3]` and the initializer `b: f32[3]`.
fn add_graph() -> GraphProto {
    let b = Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap();
    GraphProto {
        name: "tiny".into(),
        node: vec![node("Add", &["x", "b"], &["y"], vec![])],
        initializer: vec![tensor_proto("b", &b)],
        input: vec![f32_input("x", &[2, 3])],
        output: vec![output("y")],
        ..GraphProto::default()
    }
}

fn build_model(model: &ModelProto) -> Result<Graph> {
    build(model, None, &ImportOptions::default())
}

fn build_graph(opset: i64, graph: GraphProto) -> Result<Graph> {
    build_model(&model(opset, graph))
}

fn find(graph: &Graph, name: &str) -> petgraph::stable_graph::NodeIndex {
    graph.graph.node_indices().find(|&n| graph.node(n).name == name).unwrap_or_else(|| panic!("no node '{name}'"))
}

#[test]
fn a_tiny_add_model_imports() {
    let g = build_graph(13, add_graph()).unwrap();
    assert_eq!(g.name, "tiny");
    assert_eq!(g.graph.node_count(), 3);
    assert_eq!(g.inputs.len(), 1);
    let x = g.node(g.inputs[0]);
    assert_eq!((&x.name, &x.op), (&"x".to_string(), &Op::Input));
    assert_eq!((x.outputs[0].dtype, x.outputs[0].shape.clone()), (DType::F32, vec![2, 3]));
    let add = find(&g, "Add_0");
    assert_eq!(g.node(add).op, Op::Binary(BinaryOp::Add));
    let inputs = g.inputs(add);
    assert_eq!(inputs[0], Some(ValueRef { node: g.inputs[0], slot: 0 }));
    let b = inputs[1].unwrap();
    assert_eq!(g.constant(b).and_then(|t| t.to_f32_vec()), Some(vec![1.0, 2.0, 3.0]));
    assert_eq!(g.value(b).name, "b");
    assert_eq!(g.node(add).outputs[0].name, "y");
    assert_eq!(g.outputs.len(), 1);
    assert_eq!((g.outputs[0].name.as_str(), g.outputs[0].value), ("y", ValueRef { node: add, slot: 0 }));
}

#[test]
fn a_tiny_add_model_loads_with_shapes() {
    let bytes = model(13, add_graph()).encode_to_vec();
    let g = load_bytes(&bytes, None, &ImportOptions::default()).unwrap();
    let y = g.outputs[0].value;
    assert_eq!((g.value(y).dtype, g.value(y).shape.clone()), (DType::F32, vec![2, 3]));
}

#[test]
fn initializers_listed_as_inputs_are_constants() {
    let mut graph = add_graph();
    graph.input.push(f32_input("b", &[3]));
    graph.name.clear();
    let g = build_graph(9, graph).unwrap();
    assert_eq!(g.inputs.len(), 1);
    assert_eq!(g.name, "model");
}

#[test]
fn symbolic_dims_need_a_binding() {
    let mut graph = add_graph();
    graph.input = vec![value_info("x", 1, &[Err("batch"), Ok(3)])];
    let err = build_graph(13, graph.clone()).unwrap_err();
    assert_eq!(err.message, "input 'x': dimension 'batch' is symbolic; bind it with --dim batch=N");
    let mut opts = ImportOptions::default();
    opts.dims.insert("batch".into(), 4);
    let g = build(&model(13, graph), None, &opts).unwrap();
    assert_eq!(g.node(g.inputs[0]).outputs[0].shape, vec![4, 3]);
}

#[test]
fn input_types_and_shapes_are_checked() {
    let mut graph = add_graph();
    graph.input = vec![value_info("x", 8, &[Ok(3)])];
    let err = build_graph(13, graph.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!(err.message, "input 'x' has element type STRING (code 8), which onnxc does not support");
    graph.input = vec![ValueInfoProto { name: "x".into(), ..Default::default() }];
    assert_eq!(build_graph(13, graph.clone()).unwrap_err().kind, ErrorKind::Unsupported);
    let mut no_shape = f32_input("x", &[]);
    if let Some(type_proto::Value::TensorType(t)) = no_shape.r#type.as_mut().and_then(|t| t.value.as_mut()) {
        t.shape = None;
    }
    graph.input = vec![no_shape];
    assert!(build_graph(13, graph.clone()).unwrap_err().message.contains("has no shape"));
    graph.input = vec![f32_input("x", &[2, -1])];
    assert_eq!(build_graph(13, graph).unwrap_err().kind, ErrorKind::Invalid);
}

#[test]
fn opsets_are_checked() {
    let mut m = model(13, add_graph());
    m.opset_import = vec![OperatorSetIdProto { domain: "ai.onnx".into(), version: 13 }];
    assert!(build_model(&m).is_ok());
    m.opset_import = vec![OperatorSetIdProto { domain: "com.microsoft".into(), version: 1 }];
    assert!(build_model(&m).unwrap_err().message.contains("no ai.onnx opset"));
    // Without any ai.onnx node, the other domains' nodes are listed as unsupported.
    m.graph.as_mut().unwrap().node =
        vec![NodeProto { domain: "ai.onnx.ml".into(), ..node("Binarizer", &["x"], &["y"], vec![]) }];
    m.opset_import = vec![OperatorSetIdProto { domain: "ai.onnx.ml".into(), version: 1 }];
    assert_eq!(
        build_model(&m).unwrap_err().message,
        "unsupported: 1 node(s): 'Binarizer_0' (ai.onnx.ml.Binarizer, opset 1); see SUPPORTED_OPS.md for the supported list"
    );
    for v in [0, 29] {
        let err = build_graph(v, add_graph()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unsupported, "{err}");
        assert!(err.message.contains(&format!("opset {v}")), "{err}");
    }
}

#[test]
fn nodes_must_be_in_topological_order() {
    let mut graph = add_graph();
    graph.node = vec![
        NodeProto { name: "second".into(), ..node("Relu", &["t"], &["y"], vec![]) },
        NodeProto { name: "first".into(), ..node("Add", &["x", "b"], &["t"], vec![]) },
    ];
    let err = build_graph(13, graph.clone()).unwrap_err();
    assert_eq!(
        err.message,
        "node 'second' (Relu, opset 13): reads 't', which no node, input or initializer produces (before it)"
    );
    graph.node = vec![node("Add", &["x", "b"], &["y"], vec![]), node("Relu", &["x"], &["y"], vec![])];
    let err = build_graph(13, graph.clone()).unwrap_err();
    assert!(err.message.contains("'y', which is already produced"), "{err}");
    graph.node = vec![node("Relu", &["x"], &["b"], vec![])];
    assert!(build_graph(13, graph).is_err(), "a node may not overwrite an initializer");
}

#[test]
fn unsupported_ops_are_listed_together() {
    let mut graph = add_graph();
    graph.node = vec![
        NodeProto { name: "dec".into(), ..node("ImageDecoder", &["x"], &["a"], vec![]) },
        node("Relu", &["a"], &["r"], vec![]),
        node("StringNormalizer", &["r"], &["c"], vec![]),
        NodeProto { domain: "com.microsoft".into(), name: "ms".into(), ..node("FusedConv", &["x"], &["d"], vec![]) },
        node("Add", &["x", "b"], &["y"], vec![]),
    ];
    let mut m = model(13, graph);
    m.opset_import.push(OperatorSetIdProto { domain: "com.microsoft".into(), version: 1 });
    let err = build_model(&m).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!(
        err.message,
        "unsupported: 3 node(s): 'dec' (ImageDecoder, opset 13), 'StringNormalizer_2' (StringNormalizer, opset 13), \
         'ms' (com.microsoft.FusedConv, opset 1); see SUPPORTED_OPS.md for the supported list"
    );
}

#[test]
fn attribute_errors_name_the_node() {
    let mut graph = add_graph();
    graph.node = vec![NodeProto {
        name: "c1".into(),
        ..node("Conv", &["x", "b"], &["y"], vec![attr_s("auto_pad", "SOMETIMES")])
    }];
    let err = build_graph(13, graph).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert_eq!(err.message, "node 'c1' (Conv, opset 13): auto_pad \"SOMETIMES\" is not supported");
}

#[test]
fn dropped_outputs_must_be_unused() {
    let mut graph = add_graph();
    graph.node = vec![
        NodeProto { name: "drop".into(), ..node("Dropout", &["x"], &["t", "mask"], vec![]) },
        node("Add", &["t", "b"], &["y"], vec![]),
    ];
    let g = build_graph(13, graph.clone()).unwrap();
    assert_eq!(g.node(find(&g, "drop")).outputs.len(), 1);
    assert_eq!(g.node(find(&g, "drop")).op, crate::ir::Op::Identity);
    // A read mask is computed (all true).
    graph.node.push(node("Not", &["mask"], &["m2"], vec![]));
    let g = build_graph(13, graph.clone()).unwrap();
    assert_eq!(g.node(find(&g, "drop")).outputs.len(), 2);
    graph.node.pop();
    // BatchNormalization's statistics outputs are not computed: reading one is refused.
    graph.node[0] = NodeProto { name: "bn".into(), ..node("BatchNormalization", &["x", "b", "b", "b", "b"], &["t", "mean"], vec![]) };
    graph.input = vec![f32_input("x", &[2, 3])];
    graph.node.push(node("Neg", &["mean"], &["m2"], vec![]));
    let err = build_graph(13, graph.clone()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(err.message.contains("reads 'mean', output 1 of node 'bn' (BatchNormalization)"), "{err}");
    graph.node.pop();
    graph.output.push(output("mean"));
    assert_eq!(build_graph(13, graph).unwrap_err().kind, ErrorKind::Unsupported);
}

#[test]
fn node_names_are_unique() {
    let mut graph = add_graph();
    graph.node = vec![
        node("Relu", &["x"], &["a"], vec![]),
        NodeProto { name: "x".into(), ..node("Relu", &["a"], &["c"], vec![]) },
        NodeProto { name: "n".into(), ..node("Relu", &["c"], &["d"], vec![]) },
        NodeProto { name: "n".into(), ..node("Add", &["d", "b"], &["y"], vec![]) },
    ];
    let g = build_graph(13, graph).unwrap();
    let mut names: Vec<String> = g.graph.node_weights().map(|n| n.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["Relu_0", "b", "n", "n_1", "x", "x_1"]);
}

#[test]
fn constant_nodes_carry_their_type() {
    let mut graph = add_graph();
    graph.initializer.clear();
    let c = Tensor::from_i64(vec![2], vec![3, 4]).unwrap();
    graph.node.insert(0, node("Constant", &[], &["b"], vec![attr_t("value", tensor_proto("", &c))]));
    let g = build_graph(13, graph).unwrap();
    let info = &g.node(find(&g, "Constant_0")).outputs[0];
    assert_eq!((info.name.as_str(), info.dtype, info.shape.clone()), ("b", DType::I64, vec![2]));
}

#[test]
fn graph_outputs_must_be_produced() {
    let mut graph = add_graph();
    graph.output = vec![output("nowhere")];
    assert_eq!(
        build_graph(13, graph.clone()).unwrap_err().message,
        "graph output 'nowhere' is not produced by any node, input or initializer"
    );
    graph.output = vec![output("x"), output("b")];
    let g = build_graph(13, graph.clone()).unwrap();
    assert_eq!(g.outputs.len(), 2);
    graph.output.clear();
    assert!(build_graph(13, graph).is_err());
}

#[test]
fn malformed_files_give_one_line() {
    let bytes = model(13, add_graph()).encode_to_vec();
    let opts = ImportOptions::default();
    let err = load_bytes(&[], None, &opts).unwrap_err();
    assert_eq!(err.message, "not a valid ONNX model: the file is empty");
    for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        let err = load_bytes(&bytes[..cut], None, &opts).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid, "cut at {cut}: {err}");
        assert!(err.message.starts_with("not a valid ONNX model: "), "cut at {cut}: {err}");
        assert!(!err.to_string().contains('\n'));
    }
    // Pseudo-random bytes, deterministic: xorshift.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    for len in [1usize, 7, 64, 4096] {
        let noise: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let err = load_bytes(&noise, None, &opts).unwrap_err();
        assert!(err.message.starts_with("not a valid ONNX model: "), "{len} random bytes: {err}");
    }
    let no_graph = ModelProto { graph: None, ..model(13, GraphProto::default()) }.encode_to_vec();
    assert_eq!(load_bytes(&no_graph, None, &opts).unwrap_err().message, "not a valid ONNX model: it has no graph");
}

#[test]
fn limits_are_enforced() {
    let limited = |limits: Limits| ImportOptions { limits, ..ImportOptions::default() };
    let opts = limited(Limits { max_nodes: 0, ..Limits::default() });
    let err = build(&model(13, add_graph()), None, &opts).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Limit);
    assert_eq!(err.message, "the model has 1 nodes, above the limit of 0 (raise it with --max-nodes)");
    // The node count is checked before decoding, too.
    let bytes = model(13, add_graph()).encode_to_vec();
    assert_eq!(load_bytes(&bytes, None, &opts).unwrap_err().message, err.message);
    let opts = limited(Limits { max_tensor_bytes: 8, ..Limits::default() });
    let mut small_input = add_graph();
    small_input.input = vec![f32_input("x", &[1])];
    let err = build(&model(13, small_input), None, &opts).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Limit);
    assert_eq!(
        err.message,
        "initializer 'b' ([3] of f32) needs 12 bytes, above the 8 bytes limit (raise it with --max-tensor-bytes)"
    );
    // Inputs and inferred values are held to the same cap.
    let opts = limited(Limits { max_tensor_bytes: 20, ..Limits::default() });
    let err = load_bytes(&bytes, None, &opts).unwrap_err();
    assert_eq!(
        err.message,
        "input 'x' ([2, 3] of f32) needs 24 bytes, above the 20 bytes limit (raise it with --max-tensor-bytes)"
    );
    let mut graph = add_graph();
    graph.input = vec![f32_input("x", &[1, 3])];
    graph.node = vec![node("Expand", &["b", "s"], &["y"], vec![])];
    graph.initializer.push(tensor_proto("s", &Tensor::from_i64(vec![2], vec![4, 3]).unwrap()));
    let err = load_bytes(&model(13, graph).encode_to_vec(), None, &opts).unwrap_err();
    assert_eq!(
        err.message,
        "value 'y' of node 'Expand_0' (Expand) ([4, 3] of f32) needs 48 bytes, above the 20 bytes limit (raise it with --max-tensor-bytes)"
    );
    let opts = limited(Limits { max_rank: 1, ..Limits::default() });
    let err = load_bytes(&bytes, None, &opts).unwrap_err();
    assert!(err.message.starts_with("input 'x' has 2 dimensions, above the limit of 1"), "{err}");
}

/// `add_graph` with `b` stored in the external file `location`.
fn external_model(location: &str) -> ModelProto {
    let mut graph = add_graph();
    graph.initializer = vec![TensorProto {
        name: "b".into(),
        dims: vec![3],
        data_type: 1,
        data_location: 1,
        external_data: vec![
            super::super::proto::StringStringEntryProto { key: "location".into(), value: location.into() },
            super::super::proto::StringStringEntryProto { key: "offset".into(), value: "4".into() },
        ],
        ..TensorProto::default()
    }];
    model(13, graph)
}

#[test]
fn external_data_is_read_from_the_model_folder() {
    let tmp = TempDir::new("import-ext");
    let data: Vec<u8> = [0.0f32, 1.0, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(tmp.0.join("weights.bin"), &data).unwrap();
    let g = build(&external_model("weights.bin"), Some(&tmp.0), &ImportOptions::default()).unwrap();
    let b = g.inputs(find(&g, "Add_0"))[1].unwrap();
    assert_eq!(g.constant(b).and_then(|t| t.to_f32_vec()), Some(vec![1.0, 2.0, 3.0]));
    // Loading from bytes without a folder refuses external data.
    assert!(build(&external_model("weights.bin"), None, &ImportOptions::default()).is_err());
}

#[test]
fn external_data_may_not_leave_the_model_folder() {
    let tmp = TempDir::new("import-ext-refuse");
    let dir = tmp.0.join("model");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(tmp.0.join("outside.bin"), [0u8; 16]).unwrap();
    let opts = ImportOptions::default();
    let err = build(&external_model("../outside.bin"), Some(&dir), &opts).unwrap_err();
    assert_eq!(
        err.message,
        "initializer 'b': external data location '../outside.bin' contains '..'; it must stay inside the model's folder"
    );
    let abs = tmp.0.join("outside.bin");
    let err = build(&external_model(&abs.to_string_lossy()), Some(&dir), &opts).unwrap_err();
    assert!(err.message.contains("is absolute"), "{err}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&abs, dir.join("link.bin")).unwrap();
        let err = build(&external_model("link.bin"), Some(&dir), &opts).unwrap_err();
        assert!(err.message.contains("outside the model's folder"), "{err}");
    }
}

#[test]
fn load_reads_files_and_their_external_data() {
    let tmp = TempDir::new("import-load");
    let data: Vec<u8> = [0.0f32, 1.0, 2.0, 3.0].iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(tmp.0.join("weights.bin"), &data).unwrap();
    let path = tmp.0.join("m.onnx");
    std::fs::write(&path, external_model("weights.bin").encode_to_vec()).unwrap();
    let g = load(&path, &ImportOptions::default()).unwrap();
    assert_eq!(g.value(g.outputs[0].value).shape, vec![2, 3]);
    let err = load(&tmp.0.join("missing.onnx"), &ImportOptions::default()).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Io);
}

#[test]
fn multiple_and_unnamed_outputs() {
    let mut graph = add_graph();
    graph.node = vec![
        node("Split", &["x"], &["s0", "s1", "s2"], vec![attr_i("axis", 1)]),
        node("Relu", &["s0"], &[""], vec![]),
        node("Add", &["s2", "b"], &["y"], vec![]),
    ];
    let g = build_graph(13, graph).unwrap();
    let split = find(&g, "Split_0");
    assert_eq!(g.node(split).outputs.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(), ["s0", "s1", "s2"]);
    assert_eq!(g.inputs(find(&g, "Add_2"))[0], Some(ValueRef { node: split, slot: 2 }));
    assert_eq!(g.node(find(&g, "Relu_1")).outputs[0].name, "Relu_1_output0");
}

#[test]
fn corrupted_bytes_never_panic() {
    let mut graph = add_graph();
    graph.node.insert(
        0,
        node("Conv", &["x", "b"], &["c"], vec![attr_ints("kernel_shape", &[3]), attr_s("auto_pad", "VALID")]),
    );
    let bytes = model(13, graph).encode_to_vec();
    let opts = ImportOptions::default();
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = bytes.clone();
            b[i] ^= flip;
            if let Ok(m) = decode(&b) {
                let _ = build(&m, None, &opts);
            }
        }
    }
}
