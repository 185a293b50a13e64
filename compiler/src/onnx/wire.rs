//! A pass over the protobuf wire format before prost decodes it.
//!
//! Decoding allocates a struct for every message: an empty `AttributeProto` is two bytes in
//! the file and hundreds in memory, so a small file of empty messages could make onnxc
//! allocate a hundred times its size before any check runs. This pass walks the bytes once,
//! without allocating, following only the message fields onnxc declares (the schema of
//! [`proto`](super::proto)), and adds up what decoding them will allocate: one struct per
//! message, the widening of packed integers, the bytes of strings. It also counts the graph's
//! nodes and initializers, so the node limit is enforced before decoding too.
//!
//! It never rejects a file for being malformed: where the bytes stop making sense it stops
//! counting and leaves the error to prost, which reports it with the field path.

use super::proto::{
    tensor_proto, tensor_shape_proto, type_proto, AttributeProto, GraphProto, ModelProto, NodeProto,
    OperatorSetIdProto, SparseTensorProto, StringStringEntryProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};
use crate::error::{Error, Result};
use crate::limits::PROTOBUF_DEPTH_LIMIT;
use std::mem::size_of;

/// The message types of the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Model,
    Graph,
    Node,
    Attribute,
    Tensor,
    Segment,
    Sparse,
    Entry,
    Opset,
    ValueInfo,
    Type,
    TypeTensor,
    Shape,
    Dim,
}

/// How a non-message field decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    /// A singular scalar, or an unknown field: no allocation beyond the struct.
    Scalar,
    /// A string or bytes: its length, plus a `Vec` slot if it is repeated.
    Bytes { repeated: bool },
    /// A repeated number of `size` bytes in memory, packed (length-delimited) or not; `fixed`
    /// when its wire form is fixed-width (floats, doubles), else a varint.
    Numbers { size: usize, fixed: bool },
}

impl Kind {
    /// Bytes of the decoded struct (boxed fields included where they are boxed).
    fn size(self) -> usize {
        match self {
            Kind::Model => size_of::<ModelProto>(),
            Kind::Graph => size_of::<GraphProto>(),
            Kind::Node => size_of::<NodeProto>(),
            Kind::Attribute => size_of::<AttributeProto>(),
            Kind::Tensor => size_of::<TensorProto>(),
            Kind::Segment => size_of::<tensor_proto::Segment>(),
            Kind::Sparse => size_of::<SparseTensorProto>(),
            Kind::Entry => size_of::<StringStringEntryProto>(),
            Kind::Opset => size_of::<OperatorSetIdProto>(),
            Kind::ValueInfo => size_of::<ValueInfoProto>(),
            Kind::Type => size_of::<TypeProto>(),
            Kind::TypeTensor => size_of::<type_proto::Tensor>(),
            Kind::Shape => size_of::<TensorShapeProto>(),
            Kind::Dim => size_of::<tensor_shape_proto::Dimension>(),
        }
    }

    /// The message type of field `tag`, if it is a message field onnxc declares. (Counting a
    /// struct for inline `Option<Message>` fields too overestimates a little; that is fine.)
    fn child(self, tag: u32) -> Option<Kind> {
        Some(match (self, tag) {
            (Kind::Model, 7) => Kind::Graph,
            (Kind::Model, 8) => Kind::Opset,
            (Kind::Model, 14) => Kind::Entry,
            (Kind::Graph, 1) => Kind::Node,
            (Kind::Graph, 5) => Kind::Tensor,
            (Kind::Graph, 15) => Kind::Sparse,
            (Kind::Graph, 11..=13) => Kind::ValueInfo,
            (Kind::Node, 5) => Kind::Attribute,
            (Kind::Attribute, 5 | 10) => Kind::Tensor,
            (Kind::Attribute, 6) => Kind::Graph,
            (Kind::Attribute, 22 | 23) => Kind::Sparse,
            (Kind::Tensor, 3) => Kind::Segment,
            (Kind::Tensor, 13) => Kind::Entry,
            (Kind::Sparse, 1 | 2) => Kind::Tensor,
            (Kind::ValueInfo, 2) => Kind::Type,
            (Kind::Type, 1) => Kind::TypeTensor,
            (Kind::TypeTensor, 2) => Kind::Shape,
            (Kind::Shape, 1) => Kind::Dim,
            _ => return None,
        })
    }

    /// How a non-message field of this type decodes.
    fn field(self, tag: u32) -> Field {
        match (self, tag) {
            (Kind::Tensor, 1 | 7 | 11) | (Kind::Attribute, 8) | (Kind::Sparse, 3) => {
                Field::Numbers { size: 8, fixed: false }
            }
            (Kind::Tensor, 5) => Field::Numbers { size: 4, fixed: false },
            (Kind::Tensor, 10) => Field::Numbers { size: 8, fixed: true },
            (Kind::Tensor, 4) | (Kind::Attribute, 7) => Field::Numbers { size: 4, fixed: true },
            (Kind::Node, 1 | 2) | (Kind::Attribute, 9) | (Kind::Tensor, 6) => Field::Bytes { repeated: true },
            (Kind::Model, 2..=4 | 6)
            | (Kind::Opset, 1)
            | (Kind::Graph, 2 | 10)
            | (Kind::Node, 3 | 4 | 6..=8)
            | (Kind::Attribute, 1 | 4 | 13 | 21)
            | (Kind::Tensor, 8 | 9 | 12)
            | (Kind::Entry, 1 | 2)
            | (Kind::ValueInfo, 1 | 3)
            | (Kind::Type, 6)
            | (Kind::Dim, 2 | 3) => Field::Bytes { repeated: false },
            _ => Field::Scalar,
        }
    }
}

/// What decoding a file will cost, as far as the scan could tell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Estimated bytes of decoded messages (struct sizes, strings, widened numbers; growth
    /// slack of vectors not included).
    pub decoded_bytes: u128,
    /// Messages in the file.
    pub messages: u64,
    /// Nodes of the main graph.
    pub nodes: usize,
    /// Initializers of the main graph.
    pub initializers: usize,
}

/// Reads a base-128 varint at `*pos`, or `None` when the bytes end first or it is too long.
fn varint(bytes: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        if shift == 63 && b > 1 {
            return None;
        }
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Skips a group whose start tag was just read; `Ok(false)` when the bytes stop making sense.
fn skip_group(bytes: &[u8], pos: &mut usize, end: usize, depth: usize) -> Result<bool> {
    let mut depth = depth + 1;
    while depth > 0 {
        if depth > PROTOBUF_DEPTH_LIMIT {
            return Err(Error::invalid(format!(
                "not a valid ONNX model: protobuf messages nested more than {PROTOBUF_DEPTH_LIMIT} levels deep"
            )));
        }
        let Some(key) = varint(bytes, pos) else { return Ok(false) };
        let ok = match key & 7 {
            0 => varint(bytes, pos).is_some(),
            1 => advance(pos, 8, end),
            5 => advance(pos, 4, end),
            2 => varint(bytes, pos).is_some_and(|len| advance(pos, len, end)),
            3 => {
                depth += 1;
                true
            }
            4 => {
                depth -= 1;
                true
            }
            _ => false,
        };
        if !ok || *pos > end {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Moves `*pos` by `len` if that stays within `end`.
fn advance(pos: &mut usize, len: u64, end: usize) -> bool {
    match usize::try_from(len).ok().and_then(|l| pos.checked_add(l)) {
        Some(p) if p <= end => {
            *pos = p;
            true
        }
        _ => false,
    }
}

/// Walks a `ModelProto`'s bytes and estimates what decoding them allocates.
///
/// Errors only for nesting beyond [`PROTOBUF_DEPTH_LIMIT`] (protobuf groups, the one construct
/// that nests without a declared message type).
pub(crate) fn scan(bytes: &[u8]) -> Result<Scan> {
    let mut s = Scan { decoded_bytes: Kind::Model.size() as u128, messages: 1, ..Scan::default() };
    // (message type, where it ends, is it the model's graph); the schema bounds the depth.
    let mut stack: Vec<(Kind, usize, bool)> = Vec::with_capacity(8);
    stack.push((Kind::Model, bytes.len(), false));
    let mut pos = 0usize;
    while let Some(&(kind, end, main_graph)) = stack.last() {
        if pos >= end {
            stack.pop();
            continue;
        }
        let Some(key) = varint(bytes, &mut pos) else { break };
        let tag = u32::try_from(key >> 3).unwrap_or(0);
        let field = kind.field(tag);
        let extra: u128 = match (key & 7, field) {
            (0, Field::Numbers { size, .. }) => {
                let Some(_) = varint(bytes, &mut pos) else { break };
                size as u128
            }
            (0, _) => {
                let Some(_) = varint(bytes, &mut pos) else { break };
                0
            }
            (1, f) => {
                if !advance(&mut pos, 8, end) {
                    break;
                }
                if matches!(f, Field::Numbers { .. }) { 8 } else { 0 }
            }
            (5, f) => {
                if !advance(&mut pos, 4, end) {
                    break;
                }
                if let Field::Numbers { size, .. } = f { size as u128 } else { 0 }
            }
            (2, _) => {
                let Some(len) = varint(bytes, &mut pos) else { break };
                let start = pos;
                if !advance(&mut pos, len, end) {
                    break;
                }
                if let Some(child) = kind.child(tag) {
                    s.messages += 1;
                    if main_graph {
                        match tag {
                            1 => s.nodes += 1,
                            5 => s.initializers += 1,
                            _ => {}
                        }
                    }
                    stack.push((child, pos, kind == Kind::Model && tag == 7));
                    pos = start;
                    child.size() as u128
                } else {
                    let len = u128::from(len);
                    match field {
                        Field::Scalar => 0,
                        Field::Bytes { repeated: false } => len,
                        Field::Bytes { repeated: true } => len + size_of::<Vec<u8>>() as u128,
                        // Packed: fixed-width numbers keep their size, varints take at most
                        // one byte each.
                        Field::Numbers { fixed: true, .. } => len,
                        Field::Numbers { size, fixed: false } => len * size as u128,
                    }
                }
            }
            (3, _) => {
                if !skip_group(bytes, &mut pos, end, stack.len())? {
                    break;
                }
                0
            }
            _ => break,
        };
        s.decoded_bytes = s.decoded_bytes.saturating_add(extra);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onnx::test_util::*;
    use prost::Message;

    #[test]
    fn counts_nodes_initializers_and_messages() {
        let t = crate::ir::Tensor::from_f32(vec![3], vec![1.0, 2.0, 3.0]).unwrap();
        let graph = GraphProto {
            node: vec![node("Relu", &["x"], &["y"], vec![attr_i("a", 1)]), node("Relu", &["y"], &["z"], vec![])],
            initializer: vec![tensor_proto("b", &t)],
            input: vec![f32_input("x", &[1, 3])],
            output: vec![output("z")],
            ..GraphProto::default()
        };
        let bytes = model(13, graph).encode_to_vec();
        let s = scan(&bytes).unwrap();
        assert_eq!((s.nodes, s.initializers), (2, 1));
        // model, opset, graph, 2 nodes, 1 attribute, 1 tensor, 2 value infos, and the input's
        // type, tensor type, shape and 2 dims (the output has no type)
        assert_eq!(s.messages, 14);
        assert!(s.decoded_bytes >= (size_of::<NodeProto>() * 2 + size_of::<AttributeProto>()) as u128);
    }

    #[test]
    fn empty_messages_are_costed_per_struct() {
        // A node with 1000 empty attributes: 2 bytes each in the file.
        let mut node_bytes = Vec::new();
        for _ in 0..1000 {
            node_bytes.extend_from_slice(&[0x2a, 0x00]);
        }
        let mut graph = vec![0x0a];
        prost::encoding::encode_varint(node_bytes.len() as u64, &mut graph);
        graph.extend_from_slice(&node_bytes);
        let mut bytes = vec![0x3a];
        prost::encoding::encode_varint(graph.len() as u64, &mut bytes);
        bytes.extend_from_slice(&graph);
        let s = scan(&bytes).unwrap();
        assert_eq!(s.nodes, 1);
        assert!(s.decoded_bytes >= 1000 * size_of::<AttributeProto>() as u128, "{s:?}");
    }

    #[test]
    fn real_models_decode_to_about_their_size() {
        // The golden models' estimates stay far below the default expansion limit (16×).
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../golden/models");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "onnx") {
                let bytes = std::fs::read(&path).unwrap();
                let s = scan(&bytes).unwrap();
                let ratio = s.decoded_bytes as f64 / bytes.len() as f64;
                eprintln!("{}: {} messages, {ratio:.2}× its size", path.display(), s.messages);
                assert!(ratio < 4.0, "{}: {ratio}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 0);
    }

    #[test]
    fn groups_nested_too_deep_are_refused_and_garbage_is_left_to_prost() {
        // Field 100 as a start group, 200 times, inside the model.
        let mut bytes = Vec::new();
        for _ in 0..200 {
            prost::encoding::encode_varint((100 << 3) | 3, &mut bytes);
        }
        let err = scan(&bytes).unwrap_err();
        assert!(err.message.contains("nested more than 100 levels deep"), "{err}");
        // Truncated and random bytes just stop the scan.
        assert!(scan(&[0x3a, 0xff, 0xff]).is_ok());
        assert!(scan(&[0xff; 64]).is_ok());
        assert!(scan(&[]).is_ok());
    }
}
