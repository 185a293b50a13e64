//! Cases the proto structs cannot express: wrong wire types, bad varints, nesting, and files of
//! many empty messages. Written with a few raw protobuf helpers.

use super::build::{f32_in, graph, node, out, unary};
use super::Case;
use prost::encoding::{encode_key, encode_varint, WireType};
use prost::Message;

/// Appends a varint field.
pub fn varint_field(tag: u32, value: u64, buf: &mut Vec<u8>) {
    encode_key(tag, WireType::Varint, buf);
    encode_varint(value, buf);
}

/// Appends a length-delimited field.
pub fn bytes_field(tag: u32, payload: &[u8], buf: &mut Vec<u8>) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(payload.len() as u64, buf);
    buf.extend_from_slice(payload);
}

/// A model whose graph is `graph_bytes` (raw), with ai.onnx opset 13.
pub fn model_with_raw_graph(graph_bytes: &[u8]) -> Vec<u8> {
    let mut buf = Vec::new();
    varint_field(1, 8, &mut buf);
    let mut opset = Vec::new();
    varint_field(2, 13, &mut opset);
    bytes_field(8, &opset, &mut buf);
    bytes_field(7, graph_bytes, &mut buf);
    buf
}

/// The graph of `y = Relu(x)` as bytes, with `node_extra` appended to the node's bytes.
pub fn relu_graph_with(node_extra: &[u8]) -> Vec<u8> {
    let mut node_bytes = node("n", "Relu", &["x"], &["y"], vec![]).encode_to_vec();
    node_bytes.extend_from_slice(node_extra);
    let mut g = graph(vec![], vec![], vec![f32_in("x", &[2])], vec![out("y")]).encode_to_vec();
    bytes_field(1, &node_bytes, &mut g);
    g
}

/// An `If` node whose `then_branch` graph attribute nests `depth` graphs, each one node whose
/// attribute holds the next (onnxc does not declare graph attributes, so prost skips them).
fn nested_if(depth: usize) -> Vec<u8> {
    let mut inner = Vec::new(); // the innermost GraphProto: empty
    for _ in 0..depth {
        let mut attr = Vec::new();
        bytes_field(1, b"then_branch", &mut attr);
        varint_field(20, 5, &mut attr); // type GRAPH
        bytes_field(6, &inner, &mut attr); // g
        let mut node = Vec::new();
        bytes_field(4, b"If", &mut node);
        bytes_field(5, &attr, &mut node);
        let mut g = Vec::new();
        bytes_field(1, &node, &mut g);
        inner = g;
    }
    let mut attr = Vec::new();
    bytes_field(1, b"then_branch", &mut attr);
    varint_field(20, 5, &mut attr);
    bytes_field(6, &inner, &mut attr);
    let mut node_bytes = node("if", "If", &["x"], &["y"], vec![]).encode_to_vec();
    bytes_field(5, &attr, &mut node_bytes);
    let mut g = graph(vec![], vec![], vec![f32_in("x", &[1])], vec![out("y")]).encode_to_vec();
    bytes_field(1, &node_bytes, &mut g);
    model_with_raw_graph(&g)
}

/// `depth` nested protobuf groups (field 99) inside the Relu node.
fn nested_groups(depth: usize) -> Vec<u8> {
    let mut extra = Vec::new();
    for _ in 0..depth {
        encode_key(99, WireType::StartGroup, &mut extra);
    }
    for _ in 0..depth {
        encode_key(99, WireType::EndGroup, &mut extra);
    }
    model_with_raw_graph(&relu_graph_with(&extra))
}

/// A Relu node with `count` empty attributes (two bytes each in the file).
pub fn empty_attributes(count: usize) -> Vec<u8> {
    let extra: Vec<u8> = std::iter::repeat_n([0x2a, 0x00], count).flatten().collect();
    model_with_raw_graph(&relu_graph_with(&extra))
}

/// `empty_attributes(count)` after a model doc string of `filler` bytes: the most decoded
/// memory a file under 1 MB may ask for within the default expansion limit.
pub fn empty_attributes_after_filler(count: usize, filler: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes_field(6, &vec![b'x'; filler], &mut bytes);
    bytes.extend(empty_attributes(count));
    bytes
}

/// A graph with `count` empty initializers.
fn empty_initializers(count: usize) -> Vec<u8> {
    let mut g = relu_graph_with(&[]);
    g.extend(std::iter::repeat_n([0x2a, 0x00], count).flatten());
    model_with_raw_graph(&g)
}

/// A graph with `count` empty value_info entries (a field onnxc never reads).
fn empty_value_infos(count: usize) -> Vec<u8> {
    let mut g = relu_graph_with(&[]);
    g.extend(std::iter::repeat_n([0x6a, 0x00], count).flatten());
    model_with_raw_graph(&g)
}

pub fn cases() -> Vec<Case> {
    let valid = unary("Relu", &[2], vec![]).encode_to_vec();
    // ModelProto.graph (7) as a varint.
    let mut graph_as_varint = valid.clone();
    varint_field(7, 5, &mut graph_as_varint);
    // OperatorSetIdProto.version (2) as bytes.
    let mut opset_bytes = Vec::new();
    bytes_field(2, b"13", &mut opset_bytes);
    let mut version_as_bytes = valid.clone();
    bytes_field(8, &opset_bytes, &mut version_as_bytes);
    // TensorProto.dims (1) as fixed32, in an initializer.
    let mut tensor = Vec::new();
    bytes_field(8, b"w", &mut tensor);
    encode_key(1, WireType::ThirtyTwoBit, &mut tensor);
    tensor.extend_from_slice(&[1, 0, 0, 0]);
    let mut g = relu_graph_with(&[]);
    bytes_field(5, &tensor, &mut g);
    let dims_as_fixed32 = model_with_raw_graph(&g);
    // NodeProto.name (3) as a varint; NodeProto.op_type (4) not UTF-8.
    let mut name_extra = Vec::new();
    varint_field(3, 1, &mut name_extra);
    let name_as_varint = model_with_raw_graph(&relu_graph_with(&name_extra));
    let mut op_extra = Vec::new();
    bytes_field(4, &[0xff, 0xfe, 0x80], &mut op_extra);
    let op_not_utf8 = model_with_raw_graph(&relu_graph_with(&op_extra));
    // The graph field claims 1000 bytes; 10 follow.
    let mut short = Vec::new();
    encode_key(7, WireType::LengthDelimited, &mut short);
    encode_varint(1000, &mut short);
    short.extend_from_slice(&[0; 10]);
    // A varint of 11 bytes.
    let mut long_varint = Vec::new();
    encode_key(1, WireType::Varint, &mut long_varint);
    long_varint.extend_from_slice(&[0xff; 10]);
    long_varint.push(0x01);
    // Wire types 6 and 7 do not exist.
    let bad_wire_type = vec![(1 << 3) | 6, 0];
    // A group end with no start.
    let mut stray_end = valid.clone();
    encode_key(9, WireType::EndGroup, &mut stray_end);

    vec![
        Case::new("wrong_wire_type_model_graph", graph_as_varint, &["not a valid ONNX model", "ModelProto.graph", "invalid wire type"]),
        Case::new("wrong_wire_type_opset_version", version_as_bytes, &["not a valid ONNX model", "OperatorSetIdProto.version", "invalid wire type"]),
        Case::new("wrong_wire_type_tensor_dims", dims_as_fixed32, &["not a valid ONNX model", "TensorProto.dims", "invalid wire type"]),
        Case::new("wrong_wire_type_node_name", name_as_varint, &["not a valid ONNX model", "NodeProto.name", "invalid wire type"]),
        Case::new("op_type_not_utf8", op_not_utf8, &["not a valid ONNX model", "NodeProto.op_type", "UTF-8"]),
        Case::new("length_past_the_end", short, &["not a valid ONNX model", "buffer underflow"]),
        Case::new("varint_of_eleven_bytes", long_varint, &["not a valid ONNX model", "invalid varint"]),
        Case::new("wire_type_6", bad_wire_type, &["not a valid ONNX model", "invalid wire type value: 6"]),
        Case::new("stray_group_end", stray_end, &["not a valid ONNX model", "unexpected end group tag"]),
        Case::new("deeply_nested_attribute_graph", nested_if(2_000), &["not a valid ONNX model", "nested more than 100 levels deep"]),
        Case::new("deeply_nested_groups", nested_groups(1_000), &["not a valid ONNX model", "nested more than 100 levels deep"]),
        // Model, graph and node are three levels: 98 groups inside the node make 101.
        Case::new("groups_nested_just_past_the_limit", nested_groups(98), &["not a valid ONNX model", "nested more than 100 levels deep"]),
        Case::new(
            "many_empty_attributes",
            empty_attributes(450_000),
            &["decoding the model needs about", "450010 messages", "more than 16 times the file's 878.9 KiB plus 16 MiB (raise the factor with --max-decode-expansion)"],
        ),
        Case::new("many_empty_initializers", empty_initializers(450_000), &["decoding the model needs about", "(raise the factor with --max-decode-expansion)"]),
        Case::new("many_empty_value_infos", empty_value_infos(450_000), &["decoding the model needs about", "(raise the factor with --max-decode-expansion)"]),
    ]
}
