//! The intermediate representation.
//!
//! A [`Graph`] is a petgraph `StableDiGraph` whose nodes are typed operators ([`Op`]) and whose
//! edges carry values (one output slot of a producer to one input slot of a consumer). Graph
//! inputs and constants are nodes too, so every value has exactly one producer. Every value has
//! a static shape and an element type ([`ValueInfo`]), filled in by shape inference
//! ([`infer::infer_graph`]) and re-checked by the validator ([`validate::validate`]) after every
//! pass.

pub mod dot;
pub mod dtype;
pub mod graph;
pub mod index_op;
pub mod infer;
pub mod json;
pub mod op;
pub mod op_layout;
pub mod op_nn;
pub mod op_quant;
pub mod op_vision;
pub mod signal_op;
pub mod tensor;
pub mod text;
pub mod validate;

// Parts of the dumps, reached through `text` (which re-exports what dot.rs and json.rs use).
mod attributes;
mod display_names;
mod number_format;

pub use dtype::DType;
pub use graph::{Edge, Graph, GraphOutput, Node, ValueInfo, ValueRef};
pub use op::Op;
pub use tensor::{Data, Tensor};
