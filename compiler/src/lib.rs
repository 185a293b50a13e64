//! onnxc: an ahead-of-time compiler from ONNX models to standalone `no_std` Rust crates.
//!
//! ```text
//! model.onnx ─prost─▶ protos ─onnx::import─▶ ir::Graph ─passes─▶ plan ─codegen─▶ crate/
//! ```
//! See `ARCHITECTURE.md` at the repository root for the invariants each stage keeps.

pub mod codegen;
pub mod driver;
pub mod error;
pub mod eval;
pub mod ir;
pub mod limits;
pub mod lower;
pub mod npy_io;
pub mod onnx;
pub mod passes;
pub mod plan;
pub mod target;

pub use error::{Error, ErrorKind, Result};
