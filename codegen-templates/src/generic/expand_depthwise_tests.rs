//! The banded expansion + depthwise against the two convolutions run whole, one after the
//! other, on strides, pads, dilations, kernel heights and band heights that make bands share
//! rows, skip rows, or end on a partial band.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::*;
use crate::generic::activation::Activation;
use crate::generic::conv_nhwc::packed_weight_len;
use crate::generic::conv_nhwc::tests::{params, rand_vec};
use std::vec::Vec;

/// The fused shapes the tests run: expansion `c → e` on `h × w`, then a `k × k` depthwise.
pub(crate) fn cases() -> Vec<ExpandDepthwiseParams> {
    let mut out = Vec::new();
    let shapes = [(3, 8, 9, 7, 3, 1, 1, 1), (5, 17, 12, 5, 3, 2, 1, 1), (4, 16, 11, 6, 5, 1, 2, 1), (2, 33, 13, 4, 3, 2, 0, 1), (3, 6, 10, 6, 3, 1, 2, 2), (1, 3, 7, 3, 5, 2, 2, 1)];
    for (i, &(c, e, h, w, k, s, pad, d)) in shapes.iter().enumerate() {
        for band_rows in [1, 2, 3, 40] {
            let act = [Activation::None, Activation::Relu, Activation::Clip { min: 0.0, max: 6.0 }][(i + band_rows) % 3];
            let expand = ConvNhwcParams { conv: params(c, e, h, w, (1, 1), 1, 0, 1, 1, act), panel: [0, 8, 16][i % 3] };
            let depthwise = ConvNhwcParams { conv: params(e, e, h, w, (k, k), s, pad, d, e, act), panel: 0 };
            out.push(ExpandDepthwiseParams { expand, depthwise, band_rows });
        }
    }
    out
}

/// Random operands for `p`: x, expansion weights and bias, depthwise weights and bias
/// (packed: the tests only need the two paths to read them alike).
pub(crate) fn operands(p: &ExpandDepthwiseParams, seed: &mut u64) -> [Vec<f32>; 5] {
    let (e, d) = (&p.expand.conv, &p.depthwise.conv);
    [
        rand_vec(seed, e.batch * e.in_h * e.in_w * e.in_channels),
        rand_vec(seed, packed_weight_len(&p.expand)),
        rand_vec(seed, e.out_channels),
        rand_vec(seed, packed_weight_len(&p.depthwise)),
        rand_vec(seed, d.out_channels),
    ]
}

/// The reference: the expansion whole, then the depthwise whole, with the generic kernel.
pub(crate) fn two_steps(p: &ExpandDepthwiseParams, o: &[Vec<f32>; 5]) -> Vec<f32> {
    let (e, d) = (&p.expand.conv, &p.depthwise.conv);
    let mut mid = std::vec![f32::NAN; e.batch * e.out_h * e.out_w * e.out_channels];
    conv2d_nhwc(&p.expand, &o[0], &o[1], Some(&o[2]), None, &mut mid);
    let mut y = std::vec![f32::NAN; d.batch * d.out_h * d.out_w * d.out_channels];
    conv2d_nhwc(&p.depthwise, &mid, &o[3], Some(&o[4]), None, &mut y);
    y
}

#[test]
fn bands_give_the_two_convolutions_results() {
    let mut seed = 7;
    for p in cases() {
        assert!(chains(&p), "{p:?}");
        let o = operands(&p, &mut seed);
        let want = two_steps(&p, &o);
        let mut band = std::vec![f32::NAN; band_len(&p)];
        let mut got = std::vec![f32::NAN; want.len()];
        expand_depthwise(&p, &o[0], &o[1], Some(&o[2]), &o[3], Some(&o[4]), &mut band, &mut got);
        // Same kernel, same order of sums: equal bit for bit.
        assert_eq!(got, want, "{p:?}");
    }
}

#[test]
fn unchained_shapes_and_short_buffers_write_nothing() {
    let p = cases()[0];
    let mut seed = 8;
    let o = operands(&p, &mut seed);
    let n = two_steps(&p, &o).len();
    let mut strided = p;
    strided.expand.conv.stride_h = 2;
    let mut zero_band = p;
    zero_band.band_rows = 0;
    for (q, band) in [(strided, band_len(&p)), (zero_band, band_len(&p)), (p, band_len(&p) - 1)] {
        let mut band = std::vec![0.0; band];
        let mut y = std::vec![f32::NAN; n];
        expand_depthwise(&q, &o[0], &o[1], Some(&o[2]), &o[3], Some(&o[4]), &mut band, &mut y);
        assert!(y.iter().all(|v| v.is_nan()), "{q:?}");
    }
}

#[test]
fn a_band_reads_the_rows_its_window_covers() {
    // 3×3, stride 2, pad 1 on 12 rows: output row 0 reads rows 0..2, rows 0..2 read 0..4.
    let p = cases()[5];
    assert_eq!((p.depthwise.conv.stride_h, p.depthwise.conv.pad_top, p.band_rows), (2, 1, 2));
    assert_eq!(rows_read(&p, 0, 1), (0, 2));
    assert_eq!(rows_read(&p, 0, 2), (0, 4));
    assert_eq!(rows_read(&p, 2, 4), (3, 8));
    assert_eq!(band_input_rows(&p), 5);
}
