//! The `x86_avx2` kernel family: AVX2 + FMA (ymm, 8 lanes).
//!
//! A SIMD family is its `vec.rs` (the vector primitives of one ISA) plus the shared SIMD
//! kernels of `src/simd/`, which use only those primitives; ops without a SIMD kernel use
//! the `generic` ones. In a generated crate all of them sit side by side in `src/kernels/`,
//! which is why the generic modules are re-exported here under their own names.

pub use crate::generic::{activation, conv, conv_nhwc, depthwise_block, gemm, pool, pool_nhwc, softmax, winograd};

pub mod vec;

#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_conv.rs"]
pub mod simd_conv;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_conv_nhwc.rs"]
pub mod simd_conv_nhwc;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_depthwise_block.rs"]
pub mod simd_depthwise_block;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_depthwise_nhwc.rs"]
pub mod simd_depthwise_nhwc;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_gemm.rs"]
pub mod simd_gemm;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_math.rs"]
pub mod simd_math;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_pool_nhwc.rs"]
pub mod simd_pool_nhwc;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_softmax.rs"]
pub mod simd_softmax;
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_winograd.rs"]
pub mod simd_winograd;

#[cfg(test)]
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_tests.rs"]
mod simd_tests;

#[cfg(test)]
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_nhwc_tests.rs"]
mod simd_nhwc_tests;

#[cfg(test)]
#[allow(clippy::duplicate_mod)] // every SIMD family compiles the shared kernels over its own `vec`
#[path = "../simd/simd_winograd_tests.rs"]
mod simd_winograd_tests;
