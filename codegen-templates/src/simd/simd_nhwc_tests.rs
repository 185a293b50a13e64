//! The SIMD channels-last kernels (convolution, pooling) against the generic ones (their oracle)
//! on random shapes whose channel and pixel counts hit every tail of the vectors, panels and
//! pixel tiles.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::activation::Activation;
use super::conv::ConvParams;
use super::conv_nhwc::{pack_weights, packed_weight_len, ConvNhwcParams};
use super::pool::PoolParams;
use super::pool_nhwc::GlobalPoolNhwcParams;
use super::vec::{GEMM_VECS, LANES};
use super::simd_tests::{assert_close, Rng, ACTS};
use crate::generic::conv_nhwc::tests::params as shape;
use std::vec::Vec;

const CHANNELS: &[usize] = &[1, 3, 7, 8, 15, 16, 17, 31, 33, 47, 48, 49, 64, 65];

/// Runs both kernels on random data, with a fused residual every other call; returns (simd,
/// generic) outputs.
fn run(c: &ConvParams, panel: usize, with_bias: bool, rng: &mut Rng) -> (Vec<f32>, Vec<f32>) {
    let p = ConvNhwcParams { conv: *c, panel };
    let taps = c.kernel_h * c.kernel_w;
    let x = rng.vec(c.batch * c.in_h * c.in_w * c.in_channels);
    let w = rng.vec(c.out_channels * c.in_channels / c.groups * taps);
    let bias = rng.vec(c.out_channels);
    let bias = if with_bias { Some(bias.as_slice()) } else { None };
    let mut packed = std::vec![0.0; packed_weight_len(&p)];
    assert!(pack_weights(&p, &w, &mut packed), "{c:?}");
    let len = c.batch * c.out_h * c.out_w * c.out_channels;
    let residual = rng.vec(len);
    let residual = if rng.below(2) == 0 { Some(residual.as_slice()) } else { None };
    // `y` has 16 spare pixels after the output: a kernel that stores past its last pixel (a
    // block wider than the row) fails here instead of writing outside the buffer.
    let spare = 16 * c.out_channels;
    let (mut want, mut got) = (std::vec![7.0; len + spare], std::vec![7.0; len + spare]);
    super::conv_nhwc::conv2d_nhwc(&p, &x, &packed, bias, residual, &mut want);
    super::simd_conv_nhwc::conv2d_nhwc(&p, &x, &packed, bias, residual, &mut got);
    assert!(got[len..].iter().chain(&want[len..]).all(|&v| v == 7.0), "{c:?}: stored past the output");
    got.truncate(len);
    want.truncate(len);
    (got, want)
}

fn check(c: &ConvParams, panel: usize, with_bias: bool, rng: &mut Rng) {
    let (got, want) = run(c, panel, with_bias, rng);
    let k = c.in_channels / c.groups * c.kernel_h * c.kernel_w;
    assert_close(&std::format!("{c:?} panel {panel} bias {with_bias}"), &got, &want, k);
}

const KERNELS: &[(usize, usize)] = &[(1, 1), (3, 3), (5, 5), (3, 2)];

/// A panel width the tile takes (1 to `GEMM_VECS` whole vectors), varied with the shape so
/// every width meets every channel tail.
fn panel_of(c: usize, m: usize) -> usize {
    LANES * (1 + (c * 7 + m) % GEMM_VECS)
}

#[test]
fn pointwise_matches_generic_on_channel_tails() {
    let mut rng = Rng(11);
    for &c in CHANNELS {
        for &m in CHANNELS {
            let width = panel_of(c, m);
            // Pixel counts 2·h·w: odd sizes, rarely a multiple of the tile rows.
            let (h, w) = (1 + rng.below(7), 1 + rng.below(9));
            let act = rng.pick(ACTS);
            let with_bias = rng.below(2) == 0;
            check(&shape(c, m, h, w, (1, 1), 1, 0, 1, 1, act), width, with_bias, &mut rng);
        }
    }
}

#[test]
fn pointwise_tiles_one_row_short_match_generic() {
    // Pixel counts (batch 2 × h × w) that split into tiles of `GEMM_ROWS - 1` and `GEMM_ROWS`
    // rows (`RowTiles`): 7×7 maps (98 pixels), 1×7 (14), 3×5 (30), and one that does not
    // even out (2×1 = 2 pixels); every panel width, ragged last columns, and wide `M` so that
    // the pixels span several blocks (`Y_BLOCK_FLOATS`).
    let mut rng = Rng(23);
    for (h, w) in [(7, 7), (1, 7), (3, 5), (2, 1)] {
        for vecs in 1..=GEMM_VECS {
            for m in [vecs * LANES, vecs * LANES - 3, 1400] {
                let c = 5 + rng.below(40);
                let act = rng.pick(ACTS);
                check(&shape(c, m, h, w, (1, 1), 1, 0, 1, 1, act), vecs * LANES, rng.below(2) == 0, &mut rng);
            }
        }
    }
}

#[test]
fn pointwise_with_more_channels_than_the_zero_row_matches_generic() {
    // A Dense layer as a 1×1 convolution: no tap reads the zero row, so any `C` takes the tile.
    let mut rng = Rng(18);
    let c = super::simd_conv_nhwc::ZERO_ROW + 5;
    check(&shape(c, 17, 3, 2, (1, 1), 1, 0, 1, 1, Activation::Relu), GEMM_VECS * LANES, true, &mut rng);
}

#[test]
fn kxk_matches_generic_on_every_kernel_stride_pad_dilation() {
    let mut rng = Rng(12);
    let width = GEMM_VECS * LANES;
    for &k in KERNELS {
        for s in [1, 2] {
            for pad in [0, 1, 2] {
                for d in [1, 2] {
                    let (c, m) = (rng.pick(CHANNELS), rng.pick(CHANNELS));
                    let (h, w) = (9 + rng.below(4), 9 + rng.below(5));
                    let act = rng.pick(ACTS);
                    let with_bias = rng.below(2) == 0;
                    check(&shape(c, m, h, w, k, s, pad, d, 1, act), width, with_bias, &mut rng);
                }
            }
        }
    }
}

#[test]
fn kxk_matches_generic_on_channel_tails() {
    let mut rng = Rng(13);
    for &c in CHANNELS {
        for &m in CHANNELS {
            let width = panel_of(c, m);
            let k = rng.pick(KERNELS);
            let (s, pad) = (1 + rng.below(2), rng.below(3));
            let act = ACTS[(c + m) % ACTS.len()];
            check(&shape(c, m, 6 + rng.below(3), 5 + rng.below(4), k, s, pad, 1, 1, act), width, (c + m) % 2 == 0, &mut rng);
        }
    }
}

#[test]
fn depthwise_rows_wide_enough_to_share_input_loads_match_generic() {
    // 3×3, dilation 1, strides 1 and 2, on rows with several 8-pixel interior blocks (the path
    // that loads each input pixel of a kernel row once, `DW_SHARED_VECS` vectors at a time at
    // stride 2), whole vectors and tails; 48, 49 and 64 channels give chunks of 3 and 4
    // vectors, so both the wide and the single-vector calls run.
    let mut rng = Rng(15);
    for &c in CHANNELS.iter().filter(|&&c| c > 1) {
        for s in [1, 2] {
            for pad in [0, 1] {
                let w = 2 + 17 * s + rng.below(9);
                let act = rng.pick(ACTS);
                check(&shape(c, c, 4 + rng.below(3), w, (3, 3), s, pad, 1, c, act), 0, c % 2 == 0, &mut rng);
            }
        }
    }
}

#[test]
fn depthwise_rows_of_every_width_match_generic() {
    // 3×3 at strides 1 and 2 and pads 0 to 2 on input rows 1 to 19 and 33 pixels wide: output
    // rows of up to 8 pixels are one shared block, which zeros the padding columns and stores
    // only the pixels the row has (`run` checks nothing is stored past the output); wider
    // ones end at every offset from the blocks. Channel counts are whole vectors on every
    // family (16, 32, 48), or add a tail (17: other paths).
    let mut rng = Rng(16);
    for w in (1..=19).chain([33]) {
        for s in [1, 2] {
            for pad in 0..3 {
                if w + 2 * pad < 3 {
                    continue;
                }
                let c = [16, 32, 48, 17][rng.below(4)];
                let act = rng.pick(ACTS);
                check(&shape(c, c, 3 + rng.below(3), w, (3, 3), s, pad, 1, c, act), 0, rng.below(2) == 0, &mut rng);
            }
        }
    }
}

#[test]
fn depthwise_matches_generic() {
    let mut rng = Rng(14);
    for &c in CHANNELS.iter().filter(|&&c| c > 1) {
        for &k in &[(3, 3), (5, 5), (3, 2)] {
            for s in [1, 2] {
                let (pad, d) = (rng.below(3), 1 + rng.below(2));
                let (h, w) = (9 + rng.below(4), 9 + rng.below(9));
                let act = rng.pick(ACTS);
                let with_bias = rng.below(2) == 0;
                check(&shape(c, c, h, w, k, s, pad, d, c, act), 0, with_bias, &mut rng);
            }
        }
    }
}

#[test]
fn panels_of_other_widths_fall_back_to_generic() {
    // The tile takes panels of 1 to `GEMM_VECS` whole vectors; anything else is generic's.
    let mut rng = Rng(15);
    let width = GEMM_VECS * LANES;
    for panel in [0, 1, 5, LANES + 1, width + LANES] {
        check(&shape(17, 33, 7, 6, (3, 3), 1, 1, 1, 1, Activation::Relu), panel, true, &mut rng);
        check(&shape(16, 49, 5, 5, (1, 1), 1, 0, 1, 1, Activation::None), panel, false, &mut rng);
    }
}

/// Inputs `x`, `w`, `bias`, `residual` and the output length of one call.
type Case<'a> = (&'a [f32], &'a [f32], &'a [f32], &'a [f32], usize);

#[test]
fn short_buffers_write_nothing() {
    let mut rng = Rng(16);
    let width = GEMM_VECS * LANES;
    for (c, panel) in [
        (shape(7, 17, 6, 5, (3, 3), 1, 1, 1, 1, Activation::Relu), width),
        (shape(7, 17, 6, 5, (1, 1), 1, 0, 1, 1, Activation::None), width),
        (shape(17, 17, 6, 5, (3, 3), 2, 1, 1, 17, Activation::None), 0),
    ] {
        let p = ConvNhwcParams { conv: c, panel };
        let x = rng.vec(c.batch * c.in_h * c.in_w * c.in_channels);
        let w = rng.vec(packed_weight_len(&p));
        let bias = rng.vec(c.out_channels);
        let len = c.batch * c.out_h * c.out_w * c.out_channels;
        let res = rng.vec(len);
        let cases: [Case; 5] = [
            (&x[1..], &w, &bias, &res, len),
            (&x, &w[1..], &bias, &res, len),
            (&x, &w, &bias[1..], &res, len),
            (&x, &w, &bias, &res[1..], len),
            (&x, &w, &bias, &res, len - 1),
        ];
        for (i, (xs, ws, bs, rs, ylen)) in cases.into_iter().enumerate() {
            let mut y = std::vec![7.0; ylen];
            super::simd_conv_nhwc::conv2d_nhwc(&p, xs, ws, Some(bs), Some(rs), &mut y);
            assert!(y.iter().all(|&v| v == 7.0), "case {i}: {c:?}");
        }
    }
}

/// `(kernel, stride, dilation, pads top/left/bottom/right)`.
type PoolWindow = (usize, usize, usize, (usize, usize, usize, usize));

/// Pooling windows with overhanging
/// (ceil-mode) outputs: `out` is one more than the floor formula where it still starts inside.
const POOLS: &[PoolWindow] =
    &[(3, 2, 1, (1, 1, 1, 1)), (2, 2, 1, (0, 0, 0, 0)), (3, 1, 2, (2, 2, 2, 2)), (3, 2, 1, (0, 1, 1, 0))];

fn pool_params(c: usize, h: usize, w: usize, pool: PoolWindow, ceil: bool, include_pad: bool) -> PoolParams {
    let (k, s, d, (pt, pl, pb, pr)) = pool;
    let out = |len: usize, b: usize, e: usize| {
        let span = len + b + e - (d * (k - 1) + 1);
        let o = if ceil { span.div_ceil(s) + 1 } else { span / s + 1 };
        if ceil && (o - 1) * s >= len + b {
            o - 1
        } else {
            o
        }
    };
    PoolParams {
        batch: 2,
        channels: c,
        in_h: h,
        in_w: w,
        out_h: out(h, pt, pb),
        out_w: out(w, pl, pr),
        kernel_h: k,
        kernel_w: k,
        stride_h: s,
        stride_w: s,
        dilation_h: d,
        dilation_w: d,
        pad_top: pt,
        pad_left: pl,
        pad_bottom: pb,
        pad_right: pr,
        count_include_pad: include_pad,
    }
}

fn same_bits(what: &str, got: &[f32], want: &[f32]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "{what}: element {i}: simd {g} vs generic {w}");
    }
}

#[test]
fn pools_match_generic_bit_for_bit() {
    let mut rng = Rng(17);
    for &c in CHANNELS {
        for (i, &pool) in POOLS.iter().enumerate() {
            let p = pool_params(c, 7 + rng.below(4), 6 + rng.below(5), pool, i % 2 == 0, i % 3 == 0);
            let mut x = rng.vec(p.batch * p.in_h * p.in_w * c);
            let at = rng.below(x.len());
            x[at] = f32::NAN;
            let len = p.batch * p.out_h * p.out_w * c;
            let (mut want, mut got) = (std::vec![7.0; len], std::vec![7.0; len]);
            super::pool_nhwc::max_pool2d_nhwc(&p, &x, &mut want);
            super::simd_pool_nhwc::max_pool2d_nhwc(&p, &x, &mut got);
            same_bits(&std::format!("max {p:?}"), &got, &want);
            super::pool_nhwc::avg_pool2d_nhwc(&p, &x, &mut want);
            super::simd_pool_nhwc::avg_pool2d_nhwc(&p, &x, &mut got);
            same_bits(&std::format!("avg {p:?}"), &got, &want);
        }
        let g = GlobalPoolNhwcParams { batch: 2, spatial: 1 + rng.below(60), channels: c };
        let mut x = rng.vec(2 * g.spatial * c);
        let at = rng.below(x.len());
        x[at] = f32::NAN;
        let (mut want, mut got) = (std::vec![7.0; 2 * c], std::vec![7.0; 2 * c]);
        super::pool_nhwc::global_avg_pool_nhwc(&g, &x, &mut want);
        super::simd_pool_nhwc::global_avg_pool_nhwc(&g, &x, &mut got);
        same_bits(&std::format!("global avg {g:?}"), &got, &want);
        super::pool_nhwc::global_max_pool_nhwc(&g, &x, &mut want);
        super::simd_pool_nhwc::global_max_pool_nhwc(&g, &x, &mut got);
        same_bits(&std::format!("global max {g:?}"), &got, &want);
    }
}

#[test]
fn pools_with_short_buffers_write_nothing() {
    let p = pool_params(17, 7, 6, POOLS[0], false, false);
    let x = std::vec![1.0; p.batch * p.in_h * p.in_w * 17];
    let len = p.batch * p.out_h * p.out_w * 17;
    let mut y = std::vec![7.0; len - 1];
    super::simd_pool_nhwc::max_pool2d_nhwc(&p, &x, &mut y);
    super::simd_pool_nhwc::avg_pool2d_nhwc(&p, &x, &mut y);
    let mut y2 = std::vec![7.0; len];
    super::simd_pool_nhwc::max_pool2d_nhwc(&p, &x[1..], &mut y2);
    let g = GlobalPoolNhwcParams { batch: 2, spatial: 5, channels: 17 };
    let mut y3 = std::vec![7.0; 34];
    super::simd_pool_nhwc::global_avg_pool_nhwc(&g, &x[..169], &mut y3);
    super::simd_pool_nhwc::global_max_pool_nhwc(&g, &x[..169], &mut y3);
    assert!(y.iter().chain(&y2).chain(&y3).all(|&v| v == 7.0));
}

#[test]
fn banded_depthwise_blocks_match_the_generic_steps() {
    use crate::generic::depthwise_block::tests::{banded, cases, operands, steps};
    let mut seed = 9;
    for mut p in cases() {
        // Tiled panels where the shape allows, else the generic fallback.
        for q in [&mut p.expand, &mut p.project].into_iter().flatten() {
            q.panel = if q.conv.out_channels >= LANES { LANES } else { 0 };
        }
        let o = operands(&p, &mut seed);
        let want = steps(&p, &o);
        let got = banded(&p, &o, super::simd_depthwise_block::depthwise_block);
        let c = p.expand.map_or(p.depthwise.conv.in_channels, |e| e.conv.in_channels);
        let k = c * p.depthwise.conv.kernel_h * p.depthwise.conv.kernel_w * p.depthwise.conv.in_channels;
        assert_close(&std::format!("{p:?}"), &got, &want, k);
    }
}
