//! Portable scalar kernels: the `generic` target, the evaluator, and the oracle for SIMD kernels.

pub mod activation;
pub mod attention;
pub mod conv;
pub mod conv_nd;
pub mod conv_transpose;
pub mod elementwise;
pub mod gemm;
pub mod index;
pub mod linalg;
pub mod half;
pub mod movement;
pub mod normalize;
pub mod norm;
pub mod number;
pub mod pool;
pub mod pool_nd;
pub mod qlinear;
pub mod quant;
pub mod real;
pub mod reduce;
pub mod resize;
pub mod resize_taps;
pub mod rnn;
pub mod sample;
pub mod shape;
pub mod softmax;
