//! Proto builders and the cases that a well-formed protobuf can express.

use super::{Case, Extra};
use onnxc::onnx::proto::{
    tensor_proto::Segment, tensor_shape_proto::dimension, tensor_shape_proto::Dimension, type_proto, AttributeProto,
    AttributeType, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, SparseTensorProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

pub const F32: i32 = 1;
pub const I64: i32 = 7;

/// A tensor value info with static dims.
pub fn dims_vi(name: &str, elem: i32, dims: &[i64]) -> ValueInfoProto {
    let dims: Vec<Result<i64, &str>> = dims.iter().map(|&d| Ok(d)).collect();
    sym_vi(name, elem, &dims)
}

/// A tensor value info whose dims are sizes (`Ok`) or names (`Err`).
pub fn sym_vi(name: &str, elem: i32, dims: &[Result<i64, &str>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Ok(v) => dimension::Value::DimValue(*v),
                Err(p) => dimension::Value::DimParam(p.to_string()),
            }),
            ..Default::default()
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type: elem,
                shape: Some(TensorShapeProto { dim }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    }
}

pub fn f32_in(name: &str, dims: &[i64]) -> ValueInfoProto {
    dims_vi(name, F32, dims)
}

/// An output without a type (onnxc infers it).
pub fn out(name: &str) -> ValueInfoProto {
    ValueInfoProto { name: name.into(), ..Default::default() }
}

pub fn node(name: &str, op: &str, inputs: &[&str], outputs: &[&str], attrs: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        name: name.into(),
        op_type: op.into(),
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: outputs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

pub fn attr(name: &str, t: AttributeType) -> AttributeProto {
    AttributeProto { name: name.into(), r#type: t as i32, ..Default::default() }
}

pub fn attr_i(name: &str, i: i64) -> AttributeProto {
    AttributeProto { i, ..attr(name, AttributeType::Int) }
}

pub fn attr_f(name: &str, f: f32) -> AttributeProto {
    AttributeProto { f, ..attr(name, AttributeType::Float) }
}

pub fn attr_ints(name: &str, ints: &[i64]) -> AttributeProto {
    AttributeProto { ints: ints.to_vec(), ..attr(name, AttributeType::Ints) }
}

pub fn attr_s(name: &str, s: &[u8]) -> AttributeProto {
    AttributeProto { s: s.to_vec(), ..attr(name, AttributeType::String) }
}

pub fn attr_t(name: &str, t: TensorProto) -> AttributeProto {
    AttributeProto { t: Some(Box::new(t)), ..attr(name, AttributeType::Tensor) }
}

/// A float tensor with `raw_data` (values cycle through `values`).
pub fn f32_init(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    let count: i64 = dims.iter().product();
    let raw = (0..count as usize).flat_map(|i| values[i % values.len()].to_le_bytes()).collect();
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: F32, raw_data: raw, ..Default::default() }
}

/// An int64 tensor with `int64_data`.
pub fn i64_init(name: &str, dims: &[i64], values: &[i64]) -> TensorProto {
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: I64, int64_data: values.to_vec(), ..Default::default() }
}

/// A float tensor of `dims` with no data (only for cases that must fail before reading it).
pub fn f32_dims(name: &str, dims: &[i64]) -> TensorProto {
    TensorProto { name: name.into(), dims: dims.to_vec(), data_type: F32, ..Default::default() }
}

pub fn graph(
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
) -> GraphProto {
    GraphProto { name: "bad".into(), node: nodes, initializer: initializers, input: inputs, output: outputs, ..Default::default() }
}

pub fn model(opset: i64, graph: GraphProto) -> ModelProto {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto { domain: String::new(), version: opset }],
        graph: Some(graph),
        ..Default::default()
    }
}

/// `y = op(x)` at opset 13 with `x: f32[dims]`.
pub fn unary(op: &str, dims: &[i64], attrs: Vec<AttributeProto>) -> ModelProto {
    model(13, graph(vec![node("n", op, &["x"], &["y"], attrs)], vec![], vec![f32_in("x", dims)], vec![out("y")]))
}

/// `y = x + w` at opset 13, with `x: f32[2, 3]` and the initializer `w`.
pub fn add_with(w: TensorProto) -> ModelProto {
    model(13, graph(vec![node("add", "Add", &["x", "w"], &["y"], vec![])], vec![w], vec![f32_in("x", &[2, 3])], vec![out("y")]))
}

/// A small CNN that compiles: Conv → Relu → MaxPool → Reshape → Gemm → Softmax. The base of
/// the bit-flip cases; its weights are few, so that most flips land in the structure.
pub fn small_cnn() -> ModelProto {
    let nodes = vec![
        node("conv", "Conv", &["x", "w", "b"], &["c"], vec![attr_ints("kernel_shape", &[3, 3]), attr_ints("pads", &[1, 1, 1, 1])]),
        node("relu", "Relu", &["c"], &["r"], vec![]),
        node("pool", "MaxPool", &["r"], &["p"], vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])]),
        node("flat", "Reshape", &["p", "shape"], &["f"], vec![]),
        node("fc", "Gemm", &["f", "fw", "fb"], &["logits"], vec![attr_i("transB", 1)]),
        node("softmax", "Softmax", &["logits"], &["probs"], vec![attr_i("axis", 1)]),
    ];
    let inits = vec![
        f32_init("w", &[2, 1, 3, 3], &[0.1, -0.2, 0.3]),
        f32_init("b", &[2], &[0.0, 0.5]),
        i64_init("shape", &[2], &[1, 8]),
        f32_init("fw", &[3, 8], &[0.01, -0.02, 0.03, 0.04]),
        f32_init("fb", &[3], &[0.1]),
    ];
    model(13, graph(nodes, inits, vec![f32_in("x", &[1, 1, 4, 4])], vec![out("logits"), out("probs")]))
}

pub fn tensor_cases() -> Vec<Case> {
    let mut segmented = f32_init("w", &[3], &[1.0]);
    segmented.segment = Some(Segment { begin: 0, end: 3 });
    let mut sparse = add_with(f32_init("w", &[3], &[1.0]));
    sparse.graph.as_mut().unwrap().sparse_initializer = vec![SparseTensorProto {
        values: Some(Box::new(f32_init("sp", &[1], &[1.0]))),
        indices: Some(Box::new(i64_init("sp_i", &[1], &[0]))),
        dims: vec![3],
    }];
    let u32_tensor = TensorProto { name: "w".into(), dims: vec![1], data_type: 12, uint64_data: vec![1 << 40], ..Default::default() };
    let input_9d = unary("Relu", &[1; 9], vec![]);
    let mut huge_input = unary("Relu", &[1 << 31, 4], vec![]);
    huge_input.graph.as_mut().unwrap().name = "huge".into();
    vec![
        Case::model("negative_dim_initializer", add_with(f32_dims("w", &[2, -3])), &["initializer 'w'", "dims [2, -3] hold a negative size"]),
        Case::model("negative_dim_input", unary("Relu", &[2, -1], vec![]), &["input 'x'", "dimension 1 has size -1"]),
        Case::model(
            "huge_dims_overflow_usize",
            add_with(f32_dims("w", &[1 << 40, 1 << 40, 1 << 40])),
            &["initializer 'w' ([1099511627776, 1099511627776, 1099511627776] of f32) needs", "above the 1 GiB limit (raise it with --max-tensor-bytes)"],
        ),
        Case::model(
            "huge_dims_beyond_tensor_limit",
            add_with(f32_dims("w", &[1 << 20, 1 << 10])),
            &["initializer 'w' ([1048576, 1024] of f32) needs 4 GiB, above the 1 GiB limit (raise it with --max-tensor-bytes)"],
        ),
        Case::model("huge_input", huge_input, &["input 'x' ([2147483648, 4] of f32) needs 32 GiB, above the 1 GiB limit"]),
        Case::model(
            "empty_input_with_huge_dims",
            unary("Flatten", &[0, 1 << 40, 1 << 40], vec![attr_i("axis", 1)]),
            &["input 'x' ([0, 1099511627776, 1099511627776] of f32) without its zero-size dimensions needs", "above the 1 GiB limit (raise it with --max-tensor-bytes)"],
        ),
        Case::model(
            "empty_initializer_with_huge_dims",
            add_with(f32_dims("w", &[1 << 40, 0, 1 << 40])),
            &["initializer 'w' ([1099511627776, 0, 1099511627776] of f32) without its zero-size dimensions needs", "above the 1 GiB limit"],
        ),
        Case::model("input_rank_9", input_9d, &["input 'x' has 9 dimensions, above the limit of 8"]),
        Case::model(
            "raw_data_shorter_than_shape",
            add_with(TensorProto { raw_data: vec![0; 8], ..f32_dims("w", &[2, 3]) }),
            &["initializer 'w'", "raw_data holds 8 bytes, but 6 elements of f32 need 24"],
        ),
        Case::model(
            "raw_data_longer_than_shape",
            add_with(TensorProto { raw_data: vec![0; 28], ..f32_dims("w", &[2, 3]) }),
            &["initializer 'w'", "raw_data holds 28 bytes, but 6 elements of f32 need 24"],
        ),
        Case::model(
            "float_data_shorter_than_shape",
            add_with(TensorProto { float_data: vec![1.0, 2.0], ..f32_dims("w", &[2, 3]) }),
            &["initializer 'w'", "float_data holds 2 values, but the shape needs 6"],
        ),
        Case::model(
            "int64_data_missing",
            model(13, graph(vec![node("r", "Reshape", &["x", "s"], &["y"], vec![])], vec![i64_init("s", &[2], &[])], vec![f32_in("x", &[2, 3])], vec![out("y")])),
            &["initializer 's'", "no data for 2 elements of i64"],
        ),
        Case::model(
            "unknown_dtype_99",
            add_with(TensorProto { data_type: 99, ..f32_dims("w", &[3]) }),
            &["initializer 'w'", "element type unknown (code 99) is not supported"],
        ),
        Case::model("string_dtype_input", model(13, graph(vec![node("n", "Identity", &["x"], &["y"], vec![])], vec![], vec![dims_vi("x", 8, &[3])], vec![out("y")])), &["input 'x' has element type STRING (code 8)"]),
        Case::model(
            "complex_dtype_initializer",
            add_with(TensorProto { data_type: 14, ..f32_dims("w", &[3]) }),
            &["initializer 'w'", "element type COMPLEX64 (code 14) is not supported"],
        ),
        Case::model("segmented_initializer", add_with(segmented), &["initializer 'w'", "segmented tensors are not supported"]),
        Case::model("sparse_initializer", sparse, &["sparse initializers are not supported ('sp')"]),
        Case::model("unnamed_initializer", add_with(f32_init("", &[3], &[1.0])), &["an initializer has no name"]),
        Case::model("uint32_value_out_of_range", add_with(u32_tensor), &["initializer 'w'", "uint64_data value 1099511627776 is not a uint32"]),
        Case::model(
            "constant_without_tensor",
            model(13, graph(vec![node("c", "Constant", &[], &["y"], vec![attr("value", AttributeType::Tensor)])], vec![], vec![], vec![out("y")])),
            &["node 'c' (Constant, opset 13)", "attribute 'value' holds no tensor"],
        ),
    ]
}

pub fn graph_cases() -> Vec<Case> {
    let x = || vec![f32_in("x", &[2, 3])];
    let relu = |name: &str, i: &str, o: &str| node(name, "Relu", &[i], &[o], vec![]);
    let mut no_type = unary("Relu", &[2], vec![]);
    no_type.graph.as_mut().unwrap().input = vec![out("x")];
    let mut no_name = unary("Relu", &[2], vec![]);
    no_name.graph.as_mut().unwrap().input = vec![f32_in("", &[2])];
    let mut custom = model(13, graph(vec![NodeProto { domain: "com.microsoft".into(), ..relu("fused", "x", "y") }], vec![], x(), vec![out("y")]));
    custom.graph.as_mut().unwrap().node[0].op_type = "FusedConv".into();
    custom.opset_import.push(OperatorSetIdProto { domain: "com.microsoft".into(), version: 1 });
    let mut not_imported = custom.clone();
    not_imported.opset_import.pop();
    vec![
        Case::model(
            "cycle_of_two_nodes",
            model(13, graph(vec![relu("a", "b_out", "a_out"), relu("b", "a_out", "b_out")], vec![], x(), vec![out("b_out")])),
            &["node 'a' (Relu, opset 13)", "reads 'b_out', which no node, input or initializer produces (before it)"],
        ),
        Case::model(
            "self_loop",
            model(13, graph(vec![relu("loop", "y", "y")], vec![], x(), vec![out("y")])),
            &["node 'loop' (Relu, opset 13)", "reads 'y', which no node, input or initializer produces (before it)"],
        ),
        Case::model(
            "reads_an_undefined_name",
            model(13, graph(vec![relu("n", "ghost", "y")], vec![], x(), vec![out("y")])),
            &["node 'n' (Relu, opset 13)", "reads 'ghost', which no node, input or initializer produces"],
        ),
        Case::model(
            "duplicate_graph_output_names",
            model(13, graph(vec![relu("n", "x", "y")], vec![], x(), vec![out("y"), out("y")])),
            &["graph output 'y' is listed twice"],
        ),
        Case::model(
            "two_nodes_produce_one_name",
            model(13, graph(vec![relu("first", "x", "y"), relu("second", "x", "y")], vec![], x(), vec![out("y")])),
            &["node 'second' (Relu, opset 13) produces 'y', which is already produced elsewhere"],
        ),
        Case::model(
            "node_lists_an_output_twice",
            model(13, graph(vec![node("split", "Split", &["x"], &["y", "y"], vec![attr_i("axis", 1), attr_ints("split", &[1, 2])])], vec![], x(), vec![out("y")])),
            &["node 'split' (Split, opset 13) produces 'y', which is already produced elsewhere"],
        ),
        Case::model(
            "node_overwrites_an_input",
            model(13, graph(vec![relu("n", "x", "x")], vec![], x(), vec![out("x")])),
            &["node 'n' (Relu, opset 13) produces 'x', which is already produced elsewhere"],
        ),
        Case::model("graph_without_outputs", model(13, graph(vec![relu("n", "x", "y")], vec![], x(), vec![])), &["the graph has no outputs"]),
        Case::model(
            "graph_output_nobody_produces",
            model(13, graph(vec![relu("n", "x", "y")], vec![], x(), vec![out("ghost")])),
            &["graph output 'ghost' is not produced by any node, input or initializer"],
        ),
        Case::model("input_without_type", no_type, &["input 'x' is not a tensor"]),
        Case::model("input_without_name", no_name, &["a graph input has no name"]),
        Case::model(
            "unsupported_op",
            model(13, graph(vec![node("dec", "ImageDecoder", &["x"], &["y"], vec![])], vec![], x(), vec![out("y")])),
            &["unsupported: 1 node(s): 'dec' (ImageDecoder, opset 13)", "SUPPORTED_OPS.md"],
        ),
        Case::model("custom_domain_op", custom, &["unsupported: 1 node(s): 'fused' (com.microsoft.FusedConv, opset 1)"]),
        Case::model("custom_domain_not_imported", not_imported, &["'fused' (com.microsoft.FusedConv, domain not imported)"]),
        Case::model(
            "node_without_op_type",
            model(13, graph(vec![node("blank", "", &["x"], &["y"], vec![])], vec![], x(), vec![out("y")])),
            &["node 'blank'", "has no op_type"],
        ),
        Case::model(
            "split_with_no_outputs",
            model(18, graph(vec![node("split", "Split", &["x"], &[], vec![attr_i("num_outputs", 0)])], vec![], x(), vec![out("x")])),
            &["node 'split' (Split, opset 18)", "expects at least 1 output(s), found 0"],
        ),
        Case::model(
            "add_with_one_input",
            model(13, graph(vec![node("add", "Add", &["x"], &["y"], vec![])], vec![], x(), vec![out("y")])),
            &["node 'add' (Add, opset 13)", "expects 2 input(s), found 1"],
        ),
    ]
}

pub fn opset_and_attribute_cases() -> Vec<Case> {
    let concat = |attrs: Vec<AttributeProto>| {
        model(13, graph(vec![node("cat", "Concat", &["x", "x"], &["y"], attrs)], vec![], vec![f32_in("x", &[2, 3])], vec![out("y")]))
    };
    let conv = |attrs: Vec<AttributeProto>| {
        model(
            13,
            graph(
                vec![node("conv", "Conv", &["x", "w"], &["y"], attrs)],
                vec![f32_init("w", &[2, 1, 3, 3], &[0.5])],
                vec![f32_in("x", &[1, 1, 8, 8])],
                vec![out("y")],
            ),
        )
    };
    let gemm = |attrs: Vec<AttributeProto>| {
        model(
            13,
            graph(
                vec![node("gemm", "Gemm", &["a", "b"], &["y"], attrs)],
                vec![f32_init("b", &[3, 4], &[1.0])],
                vec![f32_in("a", &[2, 3])],
                vec![out("y")],
            ),
        )
    };
    let mut no_opset = unary("Relu", &[2], vec![]);
    no_opset.opset_import.clear();
    vec![
        Case::model("missing_opset_import", no_opset, &["the model imports no ai.onnx opset"]),
        Case::model("future_opset_99", model(99, unary("Relu", &[2], vec![]).graph.unwrap()), &["ai.onnx opset 99 is not supported (onnxc supports opsets 1 to 28)"]),
        Case::model("opset_zero", model(0, unary("Relu", &[2], vec![]).graph.unwrap()), &["ai.onnx opset 0 is not supported (onnxc supports opsets 1 to 28)"]),
        Case::model("op_newer_than_the_opset", unary("Gelu", &[2], vec![]), &["node 'n' (Gelu, opset 13)", "Gelu is not defined before opset 20"]),
        Case::model(
            "attribute_ints_where_int_expected",
            concat(vec![attr_ints("axis", &[0])]),
            &["node 'cat' (Concat, opset 13)", "attribute 'axis' must be INT, found INTS"],
        ),
        Case::model(
            "attribute_string_for_kernel_shape",
            conv(vec![attr_s("kernel_shape", b"3x3")]),
            &["node 'conv' (Conv, opset 13)", "attribute 'kernel_shape' must be INTS, found STRING"],
        ),
        Case::model("attribute_float_for_flag", gemm(vec![attr_f("transA", 1.0)]), &["node 'gemm' (Gemm, opset 13)", "attribute 'transA' must be INT, found FLOAT"]),
        Case::model(
            "attribute_unknown_type_code",
            concat(vec![AttributeProto { r#type: 99, ..attr_i("axis", 0) }]),
            &["node 'cat' (Concat, opset 13)", "attribute 'axis' has unknown type code 99"],
        ),
        Case::model("unknown_attribute", unary("Relu", &[2], vec![attr_f("alpha", 0.1)]), &["node 'n' (Relu, opset 13)", "attribute 'alpha' is not defined for Relu at opset 13"]),
        Case::model("duplicate_attribute", concat(vec![attr_i("axis", 0), attr_i("axis", 1)]), &["node 'cat' (Concat, opset 13)", "attribute 'axis' is given twice"]),
        Case::model("attribute_without_name", concat(vec![attr_i("axis", 0), attr_i("", 1)]), &["node 'cat' (Concat, opset 13)", "an attribute has no name"]),
        Case::model("attribute_invalid_utf8", conv(vec![attr_s("auto_pad", &[0xff, 0xfe])]), &["node 'conv' (Conv, opset 13)", "attribute 'auto_pad' is not valid UTF-8"]),
        Case::model("attribute_flag_not_0_or_1", gemm(vec![attr_i("transA", 2)]), &["node 'gemm' (Gemm, opset 13)", "attribute 'transA' must be 0 or 1, found 2"]),
        Case::model("attribute_zero_stride", conv(vec![attr_ints("strides", &[0, 1])]), &["node 'conv' (Conv, opset 13)", "attribute 'strides' must hold values ≥ 1, found [0, 1]"]),
        Case::model("attribute_missing_required", concat(vec![]), &["node 'cat' (Concat, opset 13)", "attribute 'axis' is required"]),
        Case::model("cast_to_string", unary("Cast", &[2], vec![attr_i("to", 8)]), &["node 'n' (Cast, opset 13)", "cast to STRING (code 8) is not supported"]),
        Case::model("cast_to_code_beyond_i32", unary("Cast", &[2], vec![attr_i("to", 1 << 40)]), &["node 'n' (Cast, opset 13)", "'to' = 1099511627776 is not a data type"]),
    ]
}

/// `y = x + w` with `w: f32[2, 3]` stored externally as described by `entries`.
fn external(entries: &[(&str, &str)]) -> ModelProto {
    let w = TensorProto {
        data_location: 1,
        external_data: entries.iter().map(|(k, v)| StringStringEntryProto { key: k.to_string(), value: v.to_string() }).collect(),
        ..f32_dims("w", &[2, 3])
    };
    add_with(w)
}

pub fn external_cases() -> Vec<Case> {
    let data = vec![0u8; 24];
    vec![
        Case::model("external_parent_dir", external(&[("location", "../outside.bin")]), &["initializer 'w'", "external data location '../outside.bin' contains '..'"])
            .with_extra(Extra::Outside("outside.bin", data.clone())),
        Case::model("external_absolute_path", external(&[("location", "/etc/passwd")]), &["initializer 'w'", "external data location '/etc/passwd' is absolute"]),
        Case::model(
            "external_symlink_out",
            external(&[("location", "link.bin")]),
            &["initializer 'w'", "external data location 'link.bin' resolves (through a symbolic link) to a file outside the model's folder"],
        )
        .with_extra(Extra::Outside("outside.bin", data.clone()))
        .with_extra(Extra::LinkOut { link: "link.bin", target: "outside.bin" }),
        Case::model("external_shorter_than_declared", external(&[("location", "w.bin")]), &["initializer 'w'", "external data 'w.bin' is 8 bytes long, too short for 24 bytes at offset 0"])
            .with_extra(Extra::File("w.bin", vec![0u8; 8])),
        Case::model(
            "external_offset_past_the_end",
            external(&[("location", "w.bin"), ("offset", "1000")]),
            &["initializer 'w'", "external data 'w.bin' is 24 bytes long, too short for 24 bytes at offset 1000"],
        )
        .with_extra(Extra::File("w.bin", data.clone())),
        Case::model(
            "external_offset_overflows",
            external(&[("location", "w.bin"), ("offset", "18446744073709551615")]),
            &["initializer 'w'", "too short for 24 bytes at offset 18446744073709551615"],
        )
        .with_extra(Extra::File("w.bin", data.clone())),
        Case::model(
            "external_length_disagrees",
            external(&[("location", "w.bin"), ("length", "4")]),
            &["initializer 'w'", "external data 'w.bin' has length 4, but the tensor needs 24 bytes"],
        )
        .with_extra(Extra::File("w.bin", data.clone())),
        Case::model("external_missing_file", external(&[("location", "missing.bin")]), &["initializer 'w'", "cannot open external data 'missing.bin'"]),
        Case::model("external_without_location", external(&[("offset", "0")]), &["initializer 'w'", "external data without a 'location'"]),
        Case::model("external_negative_offset", external(&[("location", "w.bin"), ("offset", "-5")]), &["initializer 'w'", "external data offset '-5' is not a non-negative integer"])
            .with_extra(Extra::File("w.bin", data)),
        Case::model("external_location_is_a_folder", external(&[("location", ".")]), &["initializer 'w'", "external data location '.' is not a regular file"]),
    ]
}

pub fn limit_cases() -> Vec<Case> {
    let relus = |n: usize| {
        let nodes = (0..n).map(|i| node(&format!("r{i}"), "Relu", &[if i == 0 { "x" } else { "t" }], &["t"], vec![])).collect();
        model(13, graph(nodes, vec![], vec![f32_in("x", &[2])], vec![out("t")]))
    };
    let arena = model(
        13,
        graph(
            vec![node("sig", "Sigmoid", &["x"], &["t"], vec![]), node("tanh", "Tanh", &["t"], &["y"], vec![])],
            vec![],
            vec![f32_in("x", &[1, 1 << 28])],
            vec![out("y")],
        ),
    );
    let inits: Vec<TensorProto> = (0..5).map(|i| f32_init(&format!("w{i}"), &[1], &[1.0])).collect();
    let five_inits = model(13, graph(vec![node("n", "Relu", &["x"], &["y"], vec![])], inits, vec![f32_in("x", &[1])], vec![out("y")]));
    let two_weights = model(
        13,
        graph(
            vec![node("a", "Add", &["x", "w0"], &["t"], vec![]), node("b", "Add", &["t", "w1"], &["y"], vec![])],
            vec![f32_init("w0", &[32, 32], &[1.0]), f32_init("w1", &[32, 32], &[2.0])],
            vec![f32_in("x", &[1, 32])],
            vec![out("y")],
        ),
    );
    let huge_constant = model(13, graph(vec![node("c", "Constant", &[], &["y"], vec![attr_t("value", f32_dims("", &[1 << 20, 1 << 10]))])], vec![], vec![], vec![out("y")]));
    let expand = model(
        13,
        graph(
            vec![node("expand", "Expand", &["x", "s"], &["y"], vec![])],
            vec![i64_init("s", &[2], &[1 << 16, 1 << 16])],
            vec![f32_in("x", &[1, 1])],
            vec![out("y")],
        ),
    );
    let fill = model(
        13,
        graph(vec![node("fill", "ConstantOfShape", &["s"], &["y"], vec![])], vec![i64_init("s", &[2], &[1 << 17, 1 << 17])], vec![], vec![out("y")]),
    );
    vec![
        Case::model("arena_over_the_limit", arena, &["the activation arena needs 1 GiB, above the 64 MiB limit (raise it with --max-arena-bytes)"])
            .with_flags(&["--max-arena-bytes", "64MiB"]),
        Case::model("too_many_nodes", relus(5), &["the model has 5 nodes, above the limit of 3 (raise it with --max-nodes)"]).with_flags(&["--max-nodes", "3"]),
        Case::model("too_many_initializers", five_inits, &["the model has 5 initializers, above the limit of 3 (raise it with --max-nodes)"])
            .with_flags(&["--max-nodes", "3"]),
        Case::model("tensor_over_the_flag_limit", two_weights.clone(), &["initializer 'w0' ([32, 32] of f32) needs 4 KiB, above the 1 KiB limit (raise it with --max-tensor-bytes)"])
            .with_flags(&["--max-tensor-bytes", "1KiB"]),
        Case::model(
            "weights_over_the_total_limit",
            two_weights,
            &["initializer 'w1' brings the initializers and constants to 8 KiB in total, above the 6 KiB limit (raise it with --max-weight-bytes)"],
        )
        .with_flags(&["--max-weight-bytes", "6KiB"]),
        Case::model(
            "huge_constant_node",
            huge_constant,
            &["node 'c' (Constant, opset 13)", "attribute 'value' ([1048576, 1024] of f32) needs 4 GiB, above the 1 GiB limit (raise it with --max-tensor-bytes)"],
        ),
        Case::model(
            "intermediate_over_the_tensor_limit",
            expand,
            &["value 'y' of node 'expand' (Expand) ([65536, 65536] of f32) needs 16 GiB, above the 1 GiB limit (raise it with --max-tensor-bytes)"],
        ),
        Case::model(
            "constant_of_shape_over_the_tensor_limit",
            fill,
            &["value 'y' of node 'fill' (ConstantOfShape) ([131072, 131072] of f32) needs 64 GiB, above the 1 GiB limit"],
        ),
        many_nodes_of_one_name(50_000),
        Case::new(
            "empty_attributes_under_the_decode_limit",
            super::wire::empty_attributes(70_000),
            &["node 'n' (Relu, opset 13)", "an attribute has no name"],
        ),
        Case::new(
            "empty_attributes_just_under_the_decode_limit",
            super::wire::empty_attributes_after_filler(121_000, 700_000),
            &["node 'n' (Relu, opset 13)", "an attribute has no name"],
        ),
        many_distinct_attributes(60_000),
    ]
}

/// `count` unsupported nodes all called `n`: renaming them must stay linear, and the error
/// must stay one readable line.
pub fn many_nodes_of_one_name(count: usize) -> Case {
    let nodes = (0..count).map(|_| node("n", "Nope", &["x"], &[""], vec![])).collect();
    let m = model(13, graph(nodes, vec![], vec![f32_in("x", &[1])], vec![out("x")]));
    let first = "'n' (Nope, opset 13), 'n_1' (Nope, opset 13)";
    let more = format!("and {} more", count - 50);
    let total = format!("unsupported: {count} node(s): ");
    Case::model("many_nodes_of_one_name", m, &[&total, first, &more])
}

/// One Relu with `count` attributes of distinct names: duplicate detection must not be
/// quadratic.
pub fn many_distinct_attributes(count: usize) -> Case {
    let attrs = (0..count).map(|i| attr_i(&format!("a{i}"), 1)).collect();
    Case::model("many_distinct_attributes", unary("Relu", &[1], attrs), &["node 'n' (Relu, opset 13)", "attribute 'a0' is not defined for Relu at opset 13"])
}

pub fn inference_cases() -> Vec<Case> {
    let two_inputs = |op: &str, a: ValueInfoProto, b: ValueInfoProto, attrs: Vec<AttributeProto>| {
        model(13, graph(vec![node("n", op, &[&a.name.clone(), &b.name.clone()], &["y"], attrs)], vec![], vec![a, b], vec![out("y")]))
    };
    let with_init = |op: &str, x: &[i64], w: TensorProto, attrs: Vec<AttributeProto>| {
        let wname = w.name.clone();
        model(13, graph(vec![node("n", op, &["x", &wname], &["y"], attrs)], vec![w], vec![f32_in("x", x)], vec![out("y")]))
    };
    vec![
        Case::model("add_shapes_do_not_broadcast", two_inputs("Add", f32_in("a", &[2, 3]), f32_in("b", &[4, 5]), vec![]), &["node 'n' (Add)", "shapes [2, 3] and [4, 5] do not broadcast"]),
        Case::model("reshape_to_an_impossible_shape", with_init("Reshape", &[2, 3], i64_init("s", &[2], &[4, 5]), vec![]), &["node 'n' (Reshape)", "cannot reshape [2, 3]", "[4, 5]"]),
        Case::model(
            "conv_channels_disagree",
            with_init("Conv", &[1, 3, 8, 8], f32_init("w", &[4, 2, 3, 3], &[0.1]), vec![]),
            &["node 'n' (Conv)", "input [1, 3, 8, 8], weight [4, 2, 3, 3] and group 1 disagree on channels"],
        ),
        Case::model("gemm_inner_dims_disagree", with_init("Gemm", &[2, 3], f32_init("w", &[4, 5], &[0.1]), vec![]), &["node 'n' (Gemm)", "inner dimensions differ"]),
        Case::model("matmul_inner_dims_disagree", with_init("MatMul", &[2, 3], f32_init("w", &[4, 5], &[0.1]), vec![]), &["node 'n' (MatMul)", "inner dimensions differ: [2, 3] × [4, 5]"]),
        Case::model("add_f32_and_i64", two_inputs("Add", f32_in("a", &[2]), dims_vi("b", I64, &[2]), vec![]), &["node 'n' (Add)", "input types differ: f32 and i64"]),
        Case::model(
            "reshape_shape_is_a_graph_input",
            two_inputs("Reshape", f32_in("a", &[2, 3]), dims_vi("s", I64, &[2]), vec![]),
            &["node 'n' (Reshape)", "(input 1) must be a compile-time constant"],
        ),
        Case::model(
            "concat_ranks_disagree",
            two_inputs("Concat", f32_in("a", &[2, 3]), f32_in("b", &[2, 3, 1]), vec![attr_i("axis", 0)]),
            &["node 'n' (Concat)", "cannot concatenate [2, 3] (f32) with [2, 3, 1] (f32) on axis 0"],
        ),
        Case::model("transpose_perm_repeats_an_axis", unary("Transpose", &[2, 3], vec![attr_ints("perm", &[0, 0])]), &["node 'n' (Transpose)", "perm [0, 0] is not a permutation of 2 axes"]),
        Case::model("transpose_perm_too_long", unary("Transpose", &[2, 3], vec![attr_ints("perm", &[0, 1, 2])]), &["node 'n' (Transpose)", "axis 2 is out of range for rank 2"]),
        Case::model("gather_float_indices", with_init("Gather", &[4, 3], f32_init("i", &[2], &[0.0, 1.0]), vec![]), &["node 'n' (Gather)", "Gather indices must be int32 or int64"]),
        Case::model("softmax_axis_out_of_range", unary("Softmax", &[2, 3], vec![attr_i("axis", 5)]), &["node 'n' (Softmax)", "axis 5 is out of range for rank 2"]),
        Case::model(
            "split_sizes_do_not_add_up",
            model(13, graph(vec![node("n", "Split", &["x", "s"], &["a", "b"], vec![attr_i("axis", 1)])], vec![i64_init("s", &[2], &[1, 1])], vec![f32_in("x", &[2, 3])], vec![out("a"), out("b")])),
            &["node 'n' (Split)", "split [1, 1] does not divide 3 into 2 outputs"],
        ),
        Case::model(
            "slice_step_zero",
            model(
                13,
                graph(
                    vec![node("n", "Slice", &["x", "st", "en", "ax", "sp"], &["y"], vec![])],
                    vec![i64_init("st", &[1], &[0]), i64_init("en", &[1], &[2]), i64_init("ax", &[1], &[0]), i64_init("sp", &[1], &[0])],
                    vec![f32_in("x", &[2, 3])],
                    vec![out("y")],
                ),
            ),
            &["node 'n' (Slice)", "slice step cannot be 0"],
        ),
        Case::model("symbolic_dim_not_bound", model(13, graph(vec![node("n", "Relu", &["x"], &["y"], vec![])], vec![], vec![sym_vi("x", F32, &[Err("batch"), Ok(3)])], vec![out("y")])), &["input 'x': dimension 'batch' is symbolic; bind it with --dim batch=N"]),
    ]
}

/// Models that shape inference must refuse with a clear error (each once panicked on an
/// overflow or compiled without complaint), plus a Slice with extreme bounds and step that is
/// valid and must compile (returned separately by [`extreme_slice`]).
pub fn extreme_slice() -> Vec<u8> {
    let x = vec!["x", "st", "en", "ax", "sp"];
    let inits = vec![i64_init("st", &[1], &[i64::MAX]), i64_init("en", &[1], &[i64::MIN]), i64_init("ax", &[1], &[0]), i64_init("sp", &[1], &[i64::MIN])];
    prost::Message::encode_to_vec(&model(13, graph(vec![node("n", "Slice", &x, &["y"], vec![])], inits, vec![f32_in("x", &[2, 3])], vec![out("y")])))
}

pub fn inference_edge_cases() -> Vec<Case> {
    let with = |op: &str, x: &[i64], inits: Vec<TensorProto>, attrs: Vec<AttributeProto>| {
        let mut ins = vec!["x".to_string()];
        ins.extend(inits.iter().map(|t| t.name.clone()));
        let ins: Vec<&str> = ins.iter().map(String::as_str).collect();
        model(13, graph(vec![node("n", op, &ins, &["y"], attrs)], inits, vec![f32_in("x", x)], vec![out("y")]))
    };
    let fill_then_flatten = model(
        13,
        graph(
            vec![node("fill", "ConstantOfShape", &["s"], &["c"], vec![]), node("n", "Flatten", &["c"], &["y"], vec![attr_i("axis", 1)])],
            vec![i64_init("s", &[3], &[0, 1 << 40, 1 << 40])],
            vec![],
            vec![out("y")],
        ),
    );
    vec![
        // ir/infer/rules.rs (Flatten): the product of the dims after the axis overflows.
        Case::model("flatten_of_an_empty_tensor_with_huge_dims", fill_then_flatten, &["node 'n' (Flatten)"]),
        // ir/infer/rules.rs (Pad): `d as i64 + b + e` overflows.
        Case::model("pad_by_i64_max", with("Pad", &[2, 3], vec![i64_init("p", &[4], &[i64::MAX, 0, i64::MAX, 0])], vec![]), &["node 'n' (Pad)"]),
        // ir/infer/rules.rs (Gather): constant indices are not checked against the axis.
        Case::model("gather_index_out_of_range", with("Gather", &[3], vec![i64_init("i", &[1], &[7])], vec![]), &["node 'n' (Gather)", "7"]),
        // ir/infer/rules.rs (Where): the condition's type is not checked (must be bool).
        Case::model(
            "where_with_a_float_condition",
            with("Where", &[2], vec![f32_init("a", &[2], &[1.0]), f32_init("b", &[2], &[1.0])], vec![]),
            &["node 'n' (Where)", "bool"],
        ),
    ]
}
