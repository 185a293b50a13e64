//! Unit tests for `float_linalg.rs` against naive products and sums.

#![allow(clippy::needless_range_loop)]

extern crate std;
use std::vec;
use std::vec::Vec;
use super::*;
use super::super::real::{f16_to_f32, f32_to_f16};

fn mm_params(m: usize, n: usize, k: usize) -> MatMulParams {
    MatMulParams { m, n, k, batch_rank: 0, batch_shape: [1; 6], a_batch_strides: [0; 6], b_batch_strides: [0; 6], act: Activation::None }
}

#[test]
fn matmul_f64_matches_naive() {
    let (m, n, k) = (3, 4, 5);
    let a: Vec<f64> = (0..m * k).map(|i| i as f64 * 0.25 - 1.0).collect();
    let b: Vec<f64> = (0..k * n).map(|i| 0.5 - i as f64 * 0.125).collect();
    let mut y = vec![0.0f64; m * n];
    matmul_float(&mm_params(m, n, k), FloatKind::F64, &a, &b, &mut y);
    for i in 0..m {
        for j in 0..n {
            let want: f64 = (0..k).map(|t| a[i * k + t] * b[t * n + j]).sum();
            assert!((y[i * n + j] - want).abs() < 1e-12);
        }
    }
}

#[test]
fn matmul_f16_rounds_once() {
    let a: Vec<u16> = [1.0f32, 2.0, 3.0, 4.0].iter().map(|&v| f32_to_f16(v)).collect();
    let b: Vec<u16> = [0.5f32, 0.25, 0.125, 1.0].iter().map(|&v| f32_to_f16(v)).collect();
    let mut y = vec![0u16; 4];
    matmul_float(&mm_params(2, 2, 2), FloatKind::F16, &a, &b, &mut y);
    let got: Vec<f32> = y.iter().map(|&v| f16_to_f32(v)).collect();
    assert_eq!(got, vec![0.75, 2.25, 2.0, 4.75]);
}

#[test]
fn gemm_f64_transposed_with_bias() {
    let p = GemmParams { m: 2, n: 2, k: 3, trans_a: true, trans_b: true, alpha: 2.0, beta: 0.5, bias: GemmBias::Row, act: Activation::None };
    // A stored [k, m], B stored [n, k].
    let a = [1.0f64, 4.0, 2.0, 5.0, 3.0, 6.0];
    let b = [1.0f64, 0.0, 1.0, 0.0, 1.0, 0.0];
    let c = [10.0f64, 20.0];
    let mut y = [0.0f64; 4];
    gemm_float(&p, FloatKind::F64, &a, &b, Some(&c), &mut y);
    assert_eq!(y, [2.0 * 4.0 + 5.0, 2.0 * 2.0 + 10.0, 2.0 * 10.0 + 5.0, 2.0 * 5.0 + 10.0]);
}

#[test]
fn softmax_f64_sums_to_one_on_inner_axis() {
    let p = SoftmaxParams { outer: 2, axis_len: 3, inner: 2, log: false };
    let x: Vec<f64> = (0..12).map(|i| i as f64 * 0.3).collect();
    let mut y = vec![0.0f64; 12];
    softmax_float(&p, FloatKind::F64, &x, &mut y);
    for o in 0..2 {
        for i in 0..2 {
            let s: f64 = (0..3).map(|a| y[o * 6 + a * 2 + i]).sum();
            assert!((s - 1.0).abs() < 1e-12);
        }
    }
    let mut l = vec![0.0f64; 12];
    softmax_float(&SoftmaxParams { log: true, ..p }, FloatKind::F64, &x, &mut l);
    for (lv, yv) in l.iter().zip(&y) {
        assert!((lv - yv.ln()).abs() < 1e-12);
    }
}
