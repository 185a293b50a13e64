//! The channels-last convolution against the NCHW one (transposing inputs and outputs), on
//! plain, strided, dilated, padded and depthwise shapes, with every panel width.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::*;
use crate::generic::activation::Activation;
use crate::generic::conv::conv2d;
use std::vec::Vec;

pub(crate) fn rand_vec(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((*seed >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// `[N, C, H·W]` to `[N, H·W, C]`.
pub(crate) fn to_nhwc(x: &[f32], n: usize, c: usize, hw: usize) -> Vec<f32> {
    let mut out = std::vec![0.0; x.len()];
    for b in 0..n {
        for ch in 0..c {
            for i in 0..hw {
                out[(b * hw + i) * c + ch] = x[(b * c + ch) * hw + i];
            }
        }
    }
    out
}

/// One convolution shape (batch 2); `h`, `w` must fit every kernel, dilation and pad used.
#[allow(clippy::too_many_arguments)]
pub(crate) fn params(c: usize, m: usize, h: usize, w: usize, k: (usize, usize), s: usize, pad: usize, d: usize, groups: usize, act: Activation) -> ConvParams {
    let out = |len: usize, k: usize| (len + 2 * pad - d * (k - 1) - 1) / s + 1;
    ConvParams {
        batch: 2,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: m,
        out_h: out(h, k.0),
        out_w: out(w, k.1),
        kernel_h: k.0,
        kernel_w: k.1,
        stride_h: s,
        stride_w: s,
        dilation_h: d,
        dilation_w: d,
        pad_top: pad,
        pad_left: pad,
        groups,
        act,
    }
}

fn check(c: &ConvParams, panel: usize, seed: &mut u64) {
    let p = ConvNhwcParams { conv: *c, panel };
    let taps = c.kernel_h * c.kernel_w;
    let x = rand_vec(seed, c.batch * c.in_channels * c.in_h * c.in_w);
    let w = rand_vec(seed, c.out_channels * c.in_channels / c.groups * taps);
    let bias = rand_vec(seed, c.out_channels);
    let mut want = std::vec![0.0; c.batch * c.out_channels * c.out_h * c.out_w];
    conv2d(c, &x, &w, Some(&bias), &mut want);
    let mut packed = std::vec![0.0; packed_weight_len(&p)];
    assert!(pack_weights(&p, &w, &mut packed), "{c:?}");
    let mut got = std::vec![7.0; want.len()];
    conv2d_nhwc(&p, &to_nhwc(&x, c.batch, c.in_channels, c.in_h * c.in_w), &packed, Some(&bias), None, &mut got);
    let want = to_nhwc(&want, c.batch, c.out_channels, c.out_h * c.out_w);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() <= 1e-4 * w.abs().max(1.0), "{c:?} panel {panel}: element {i}: {g} vs {w}");
    }
}

#[test]
fn matches_nchw_convolution() {
    let mut seed = 3;
    let relu = Activation::Relu;
    for panel in [0, 1, 5, 48] {
        check(&params(3, 7, 9, 11, (3, 3), 1, 1, 1, 1, relu), panel, &mut seed);
        check(&params(4, 17, 8, 6, (1, 1), 1, 0, 1, 1, Activation::None), panel, &mut seed);
        check(&params(5, 6, 13, 10, (3, 2), 2, 1, 1, 1, Activation::Clip { min: 0.0, max: 0.5 }), panel, &mut seed);
        check(&params(2, 3, 12, 12, (3, 3), 1, 2, 2, 1, relu), panel, &mut seed);
        check(&params(6, 6, 9, 7, (3, 3), 1, 1, 1, 6, relu), panel, &mut seed);
        check(&params(5, 5, 10, 9, (5, 5), 2, 2, 1, 5, Activation::None), panel, &mut seed);
    }
}

#[test]
fn the_residual_is_added_before_the_activation() {
    let mut seed = 11;
    let act = Activation::Clip { min: -0.2, max: 0.3 };
    let c = params(3, 5, 6, 4, (3, 3), 1, 1, 1, 1, act);
    let p = ConvNhwcParams { conv: c, panel: 2 };
    let x = rand_vec(&mut seed, c.batch * 3 * 6 * 4);
    let w = rand_vec(&mut seed, 5 * 3 * 9);
    let mut packed = std::vec![0.0; packed_weight_len(&p)];
    assert!(pack_weights(&p, &w, &mut packed));
    let n = c.batch * c.out_h * c.out_w * 5;
    let residual = rand_vec(&mut seed, n);
    let plain = ConvNhwcParams { conv: ConvParams { act: Activation::None, ..c }, panel: 2 };
    let mut want = std::vec![0.0; n];
    conv2d_nhwc(&plain, &x, &packed, None, None, &mut want);
    for (y, r) in want.iter_mut().zip(&residual) {
        *y = (*y + r).clamp(-0.2, 0.3);
    }
    let mut got = std::vec![0.0; n];
    conv2d_nhwc(&p, &x, &packed, None, Some(&residual), &mut got);
    assert_eq!(got, want);
}

#[test]
fn grouped_convolutions_are_refused() {
    let c = params(4, 6, 5, 5, (3, 3), 1, 1, 1, 2, Activation::None);
    assert!(!supported(&c));
    let p = ConvNhwcParams { conv: c, panel: 0 };
    let mut out = std::vec![0.0; packed_weight_len(&p)];
    assert!(!pack_weights(&p, &std::vec![1.0; 6 * 2 * 9], &mut out));
}
