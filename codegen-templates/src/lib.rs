//! Kernel sources for onnxc-generated crates.
//!
//! Each file under `generic/` is one op family. onnxc copies the functions a model needs from
//! these files into the generated crate's `src/kernels/<family>.rs`, so the files obey rules
//! that keep them copyable:
//! - `no_std`, no allocation; siblings are reached as `super::<family>`, the runtime as
//!   `crate::rt::<module>` (here an alias of `onnxc_runtime_min`, there a copy of it);
//! - each kernel takes a `Copy` parameter struct whose `Debug` output is a valid Rust
//!   expression, so the compiler can print it as a `const` in generated code and LLVM sees
//!   every shape as a literal;
//! - kernels are `#[inline(always)]` so those constants reach the loops.
//!
//! The compiler's evaluator calls the same functions with run-time parameters, which makes the
//! `generic` kernels the oracle for every SIMD kernel.
#![no_std]

pub(crate) use onnxc_runtime_min as rt;

pub mod generic;

// SIMD families compile only where their instructions may be used: the generated crates check
// the same target features at compile time (build the x86 tests with `-C target-cpu=native`;
// `neon` is on by default on AArch64 targets).
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
pub mod aarch64_neon;
#[cfg(all(target_arch = "x86_64", target_feature = "avx2", target_feature = "fma"))]
pub mod x86_avx2;
#[cfg(all(target_arch = "x86_64", target_feature = "avx512f", target_feature = "fma"))]
pub mod x86_avx512;
