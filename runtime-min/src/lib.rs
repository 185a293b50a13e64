//! The little a generated onnxc crate needs besides its kernels.
//!
//! Every module here is copied verbatim into generated crates (as `crate::rt::…`), so each one
//! must stand alone: `no_std`, no allocation, no dependencies, and only `super::`/`crate::rt::`
//! paths between modules.
#![no_std]

#[cfg(feature = "std")]
extern crate std;

pub mod math;

pub mod view;

#[cfg(feature = "std")]
pub mod npy;
#[cfg(feature = "std")]
pub mod runner;
