//! The SIMD kernels against the generic ones (their oracle) on random shapes, with sizes that
//! hit every tail path: 1, 3, 7, 15, 17, 31, 33 … columns, rows not a multiple of the tile.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::activation::Activation;
use super::conv::ConvParams;
use super::gemm::{GemmBias, GemmParams, MatMulParams};
use std::vec::Vec;

/// Deterministic pseudo-random floats in [-1, 1) (shared with `simd_nhwc_tests`).
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> f32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
    }
    pub(super) fn vec(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next()).collect()
    }
    pub(super) fn below(&mut self, n: usize) -> usize {
        ((self.next() + 1.0) * 0.5 * n as f32) as usize % n.max(1)
    }
    pub(super) fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len())]
    }
}

const TAILS: &[usize] = &[1, 3, 7, 8, 15, 16, 17, 31, 33, 47, 49, 64, 65, 100, 129];

pub(super) fn assert_close(what: &str, got: &[f32], want: &[f32], k: usize) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    let tol = 1e-5 * (k as f32).max(1.0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= tol * w.abs().max(1.0) || (g.is_nan() && w.is_nan());
        assert!(ok, "{what}: element {i}: simd {g} vs generic {w}");
    }
}

pub(super) const ACTS: &[Activation] =
    &[Activation::None, Activation::Relu, Activation::Clip { min: -0.25, max: 0.5 }, Activation::Sigmoid];

#[test]
fn gemm_matches_generic_on_tails() {
    let mut rng = Rng(1);
    for &n in TAILS {
        for &m in &[1usize, 2, 3, 5, 8, 9, 17] {
            for &k in &[1usize, 3, 16, 33] {
                let act = ACTS[rng.below(ACTS.len())];
                for bias in [GemmBias::None, GemmBias::Row, GemmBias::Column, GemmBias::Full] {
                    let p = GemmParams { m, n, k, trans_a: false, trans_b: false, alpha: 1.0, beta: 1.0, bias, act };
                    let c_len = match bias {
                        GemmBias::Column => m,
                        GemmBias::Full => m * n,
                        _ => n,
                    };
                    let (a, b, c) = (rng.vec(m * k), rng.vec(k * n), rng.vec(c_len));
                    let mut want = std::vec![7.0; m * n];
                    let mut got = std::vec![7.0; m * n];
                    super::gemm::gemm(&p, &a, &b, Some(&c), &mut want);
                    super::simd_gemm::gemm(&p, &a, &b, Some(&c), &mut got);
                    assert_close(&std::format!("gemm m{m} n{n} k{k} {bias:?} {act:?}"), &got, &want, k);
                }
            }
        }
    }
}

#[test]
fn large_outputs_with_short_k_match_generic() {
    // `Y` of more than 1 MiB and k <= 32 takes the rows-first loop order.
    let mut rng = Rng(9);
    for &(m, n, k) in &[(17usize, 16 * 1024 + 3, 3usize), (9, 30_001, 32)] {
        let p = GemmParams { m, n, k, trans_a: false, trans_b: false, alpha: 1.0, beta: 1.0, bias: GemmBias::Column, act: Activation::Relu };
        let (a, b, c) = (rng.vec(m * k), rng.vec(k * n), rng.vec(m));
        let mut want = std::vec![7.0; m * n];
        let mut got = std::vec![7.0; m * n];
        super::gemm::gemm(&p, &a, &b, Some(&c), &mut want);
        super::simd_gemm::gemm(&p, &a, &b, Some(&c), &mut got);
        assert_close(&std::format!("gemm {m}x{n}x{k}"), &got, &want, k);
    }
}

#[test]
fn one_row_products_with_a_large_b_match_generic() {
    // `B` of at least `GEMV_STREAM_MIN` floats and one row of `A` take the streamed order:
    // `k` a multiple of the rows per pass and not, `n` whole vectors and a tail, each bias.
    let mut rng = Rng(10);
    for &(n, k) in &[(1000usize, 1280usize), (16 * 1024 * 2 + 5, 17), (750, 703)] {
        for bias in [GemmBias::None, GemmBias::Row, GemmBias::Column, GemmBias::Full] {
            let act = rng.pick(ACTS);
            let p = GemmParams { m: 1, n, k, trans_a: false, trans_b: false, alpha: 1.0, beta: 1.0, bias, act };
            let c_len = if bias == GemmBias::Column { 1 } else { n };
            let (a, b, c) = (rng.vec(k), rng.vec(k * n), rng.vec(c_len));
            let mut want = std::vec![7.0; n];
            let mut got = std::vec![7.0; n];
            super::gemm::gemm(&p, &a, &b, Some(&c), &mut want);
            super::simd_gemm::gemm(&p, &a, &b, Some(&c), &mut got);
            assert_close(&std::format!("gemv n{n} k{k} {bias:?} {act:?}"), &got, &want, k);
        }
    }
}

#[test]
fn gemm_falls_back_for_transposed_and_scaled() {
    let mut rng = Rng(2);
    let (m, n, k) = (5, 17, 9);
    for (trans_a, trans_b, alpha, bias) in
        [(true, false, 1.0, GemmBias::Row), (false, true, 1.0, GemmBias::Full), (false, false, 0.5, GemmBias::Column)]
    {
        let p = GemmParams { m, n, k, trans_a, trans_b, alpha, beta: 2.0, bias, act: Activation::Relu };
        let (a, b, c) = (rng.vec(m * k), rng.vec(k * n), rng.vec(m * n));
        let mut want = std::vec![0.0; m * n];
        let mut got = std::vec![0.0; m * n];
        super::gemm::gemm(&p, &a, &b, Some(&c), &mut want);
        super::simd_gemm::gemm(&p, &a, &b, Some(&c), &mut got);
        assert_close("gemm fallback", &got, &want, k);
    }
}

#[test]
fn matmul_matches_generic_with_broadcast_batches() {
    let mut rng = Rng(3);
    for &n in &[1usize, 7, 17, 33, 64] {
        for &(m, k) in &[(1usize, 5usize), (4, 16), (9, 31), (64, 32)] {
            // [2, 3, m, k] x [3, k, n]: B broadcast over the first batch dimension.
            let p = MatMulParams {
                m,
                n,
                k,
                batch_rank: 2,
                batch_shape: [2, 3, 1, 1, 1, 1],
                a_batch_strides: [3 * m * k, m * k, 0, 0, 0, 0],
                b_batch_strides: [0, k * n, 0, 0, 0, 0],
                act: Activation::None,
            };
            let (a, b) = (rng.vec(6 * m * k), rng.vec(3 * k * n));
            let mut want = std::vec![0.0; 6 * m * n];
            let mut got = std::vec![0.0; 6 * m * n];
            super::gemm::matmul(&p, &a, &b, &mut want);
            super::simd_gemm::matmul(&p, &a, &b, &mut got);
            assert_close(&std::format!("matmul m{m} n{n} k{k}"), &got, &want, k);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn conv_params(c: usize, m: usize, h: usize, w: usize, kh: usize, kw: usize, stride: (usize, usize), pad: (usize, usize), dil: usize, groups: usize, act: Activation) -> ConvParams {
    let out = |len: usize, k: usize, s: usize, p: usize| (len + 2 * p - dil * (k - 1) - 1) / s + 1;
    ConvParams {
        batch: 1,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: m,
        out_h: out(h, kh, stride.0, pad.0),
        out_w: out(w, kw, stride.1, pad.1),
        kernel_h: kh,
        kernel_w: kw,
        stride_h: stride.0,
        stride_w: stride.1,
        dilation_h: dil,
        dilation_w: dil,
        pad_top: pad.0,
        pad_left: pad.1,
        groups,
        act,
    }
}

fn check_conv(p: &ConvParams, rng: &mut Rng, with_bias: bool) {
    let x = rng.vec(p.batch * p.in_channels * p.in_h * p.in_w);
    let w = rng.vec(p.out_channels * (p.in_channels / p.groups) * p.kernel_h * p.kernel_w);
    let b = rng.vec(p.out_channels);
    let bias = if with_bias { Some(b.as_slice()) } else { None };
    let len = p.batch * p.out_channels * p.out_h * p.out_w;
    let mut want = std::vec![9.0; len];
    let mut got = std::vec![9.0; len];
    super::conv::conv2d(p, &x, &w, bias, &mut want);
    super::simd_conv::conv2d(p, &x, &w, bias, &mut got);
    let k = p.in_channels / p.groups * p.kernel_h * p.kernel_w;
    assert_close(&std::format!("{p:?}"), &got, &want, k);
}

#[test]
fn pointwise_conv_matches_generic() {
    let mut rng = Rng(4);
    for &w in TAILS {
        for &(c, m) in &[(1usize, 1usize), (3, 8), (16, 9), (33, 17)] {
            let act = ACTS[rng.below(ACTS.len())];
            let mut p = conv_params(c, m, 3, w, 1, 1, (1, 1), (0, 0), 1, 1, act);
            p.batch = 1 + rng.below(2);
            check_conv(&p, &mut rng, w % 2 == 0);
        }
    }
}

#[test]
fn kxk_conv_matches_generic() {
    let mut rng = Rng(5);
    let shapes = [
        // c, m, h, w, kh, kw, stride, pad, dilation
        (1, 6, 28, 28, 5, 5, (1, 1), (0, 0), 1),
        (3, 8, 17, 15, 3, 3, (2, 2), (1, 1), 1),
        (16, 16, 9, 7, 3, 3, (1, 1), (1, 1), 1),
        (1, 4, 49, 10, 10, 4, (2, 2), (4, 1), 1),
        (5, 3, 13, 31, 3, 3, (1, 2), (2, 0), 2),
        (64, 33, 8, 8, 3, 3, (1, 1), (1, 1), 1),
        (2, 7, 33, 33, 1, 1, (2, 2), (0, 0), 1),
        (3, 5, 1, 17, 1, 3, (1, 1), (0, 1), 1),
    ];
    for (i, &(c, m, h, w, kh, kw, s, pad, d)) in shapes.iter().enumerate() {
        let act = ACTS[i % ACTS.len()];
        let p = conv_params(c, m, h, w, kh, kw, s, pad, d, 1, act);
        check_conv(&p, &mut rng, i % 2 == 0);
    }
}

#[test]
fn stride_two_conv_matches_generic_on_tails() {
    // Stride-2 rows are gathered with `evens`, whole vectors and a masked tail: sweep widths.
    let mut rng = Rng(8);
    for &w in TAILS {
        for &(k, pad) in &[(3usize, 1usize), (1, 0), (3, 0)] {
            if w + 2 * pad < k {
                continue;
            }
            let act = ACTS[rng.below(ACTS.len())];
            check_conv(&conv_params(2, 3, 3 + rng.below(4), w, k, k, (2, 2), (pad, pad), 1, 1, act), &mut rng, true);
            check_conv(&conv_params(3, 3, 3 + rng.below(4), w, k, k, (2, 2), (pad, pad), 1, 3, act), &mut rng, false);
        }
    }
}

#[test]
fn depthwise_conv_matches_generic() {
    let mut rng = Rng(6);
    for &w in &[1usize, 3, 7, 15, 17, 31, 33, 48, 70] {
        for &(k, s, pad) in &[(3usize, 1usize, 1usize), (3, 2, 1), (5, 1, 2), (3, 2, 0), (1, 1, 0)] {
            if w + 2 * pad < k {
                continue;
            }
            let c = 1 + rng.below(5);
            let act = ACTS[rng.below(ACTS.len())];
            let mut p = conv_params(c, c, 1 + rng.below(12).max(k), w, k, k, (s, s), (pad, pad), 1, c, act);
            p.batch = 1 + rng.below(2);
            check_conv(&p, &mut rng, s == 1);
        }
    }
}

#[test]
fn grouped_and_oversized_convs_fall_back() {
    let mut rng = Rng(7);
    check_conv(&conv_params(4, 6, 9, 9, 3, 3, (1, 1), (1, 1), 1, 2, Activation::Relu), &mut rng, true);
    // A depthwise plane larger than the scratch.
    check_conv(&conv_params(2, 2, 300, 300, 3, 3, (1, 1), (1, 1), 1, 2, Activation::None), &mut rng, true);
}

#[test]
fn short_buffers_write_nothing() {
    let p = conv_params(3, 4, 8, 8, 3, 3, (1, 1), (1, 1), 1, 1, Activation::None);
    let (x, w) = (std::vec![1.0; 3 * 64 - 1], std::vec![1.0; 4 * 27]);
    let mut y = std::vec![5.0; 4 * 64];
    super::simd_conv::conv2d(&p, &x, &w, None, &mut y);
    assert!(y.iter().all(|&v| v == 5.0));
}

#[test]
fn vector_exp_and_erf_match_f64() {
    use super::vec::{load, store, LANES};
    let eval = |f: &dyn Fn(super::vec::F32s) -> super::vec::F32s, xs: &[f32]| -> Vec<f32> {
        let mut out = std::vec![0.0f32; xs.len()];
        for (c, o) in xs.chunks_exact(LANES).zip(out.chunks_exact_mut(LANES)) {
            // SAFETY: both chunks hold exactly one vector.
            unsafe { store(o.as_mut_ptr(), f(load(c.as_ptr()))) };
        }
        out
    };
    let xs: Vec<f32> = (0..LANES * 2000).map(|i| -87.0 + 175.0 * i as f32 / (LANES * 2000) as f32).collect();
    for (x, e) in xs.iter().zip(eval(&super::simd_math::exp, &xs)) {
        let want = (*x as f64).exp();
        assert!(((e as f64 - want) / want).abs() < 3e-7, "exp({x}) = {e}, want {want}");
    }
    let xs: Vec<f32> = (0..LANES * 1000).map(|i| -6.0 + 12.0 * i as f32 / (LANES * 1000) as f32).collect();
    for (x, e) in xs.iter().zip(eval(&super::simd_math::erf, &xs)) {
        let want = erf64(*x as f64);
        assert!((e as f64 - want).abs() < 5e-7, "erf({x}) = {e}, want {want}");
    }
}

/// erf in f64 by its Maclaurin series (|x| < 3) or the continued fraction of erfc.
fn erf64(x: f64) -> f64 {
    if x.abs() < 3.0 {
        let (mut term, mut sum, mut n) = (x, x, 0.0f64);
        while term.abs() > 1e-17 {
            n += 1.0;
            term *= -x * x / n;
            sum += term / (2.0 * n + 1.0);
        }
        sum * 2.0 / core::f64::consts::PI.sqrt()
    } else {
        let a = x.abs();
        let mut f = 0.0f64;
        for k in (1..60).rev() {
            f = (k as f64 / 2.0) / (a + f);
        }
        let erfc = (-a * a).exp() / core::f64::consts::PI.sqrt() / (a + f);
        (1.0 - erfc).copysign(x)
    }
}

#[test]
fn vector_activations_match_generic() {
    let mut rng = Rng(8);
    for act in [Activation::Gelu, Activation::Sigmoid, Activation::Tanh, Activation::Exp, Activation::Relu] {
        for &n in TAILS {
            let x: Vec<f32> = rng.vec(n).iter().map(|v| v * 8.0).collect();
            let mut got = x.clone();
            assert!(super::simd_math::apply_in_place(act, &mut got));
            let mut want = x.clone();
            super::activation::apply_in_place(act, &mut want);
            assert_close(&std::format!("{act:?} n{n}"), &got, &want, 10);
        }
    }
    assert!(!super::simd_math::apply_in_place(Activation::Erf, &mut [1.0]));
}

#[test]
fn softmax_matches_generic() {
    use super::softmax::SoftmaxParams;
    let mut rng = Rng(9);
    for &len in TAILS {
        for (inner, log) in [(1usize, false), (3, false), (1, true)] {
            let p = SoftmaxParams { outer: 3, axis_len: len, inner, log };
            let x: Vec<f32> = rng.vec(3 * len * inner).iter().map(|v| v * 20.0).collect();
            let mut want = std::vec![0.0; x.len()];
            let mut got = std::vec![0.0; x.len()];
            super::softmax::softmax(&p, &x, &mut want);
            super::simd_softmax::softmax(&p, &x, &mut got);
            assert_close(&std::format!("softmax len{len} inner{inner} log{log}"), &got, &want, 10);
        }
    }
}
