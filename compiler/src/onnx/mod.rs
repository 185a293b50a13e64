//! The ONNX front end: protobuf messages ([`proto`]) and the importer ([`import`]) that turns a
//! model file into an [`ir::Graph`](crate::ir::Graph) of typed ops.
//!
//! String attribute maps never leave this module: every node is converted once, here, into an
//! [`Op`](crate::ir::Op) whose attributes are checked and defaulted for the model's opset.

mod attributes;
mod control_flow;
mod external;
pub mod import;
mod ops;
pub mod proto;
mod tensor;
mod wire;

pub use import::{load, load_bytes, ImportOptions, OPSET_RANGE};
pub use ops::{supported_op_table, SUPPORTED_OPS};
#[cfg(test)]
pub(crate) use ops::parse_einsum as ops_signal_parse;

#[cfg(test)]
pub(crate) mod test_util;
