//! The banded block against its convolutions run whole, one after the other, on strides,
//! pads, dilations, kernel heights and band heights that make bands share rows, skip rows, or
//! end on a partial band; with and without each pointwise step and the residual.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::*;
use crate::generic::activation::Activation;
use crate::generic::conv_nhwc::packed_weight_len;
use crate::generic::conv_nhwc::tests::{params, rand_vec};
use std::vec::Vec;

/// The shapes the tests run: expansion `c → e` on `h × w` (or none), a `k × k` depthwise, a
/// projection `e → m` (or none).
pub(crate) fn cases() -> Vec<DepthwiseBlockParams> {
    let mut out = Vec::new();
    let shapes = [(3, 8, 9, 7, 3, 1, 1, 1), (5, 17, 12, 5, 3, 2, 1, 1), (4, 16, 11, 6, 5, 1, 2, 1), (2, 33, 13, 4, 3, 2, 0, 1), (3, 6, 10, 6, 3, 1, 2, 2), (1, 3, 7, 3, 5, 2, 2, 1)];
    for (i, &(c, e, h, w, k, s, pad, d)) in shapes.iter().enumerate() {
        for band_rows in [1, 2, 3, 40] {
            let act = [Activation::None, Activation::Relu, Activation::Clip { min: 0.0, max: 6.0 }][(i + band_rows) % 3];
            let depthwise = ConvNhwcParams { conv: params(e, e, h, w, (k, k), s, pad, d, e, act), panel: 0 };
            let (oh, ow) = (depthwise.conv.out_h, depthwise.conv.out_w);
            let expand = ConvNhwcParams { conv: params(c, e, h, w, (1, 1), 1, 0, 1, 1, act), panel: [0, 8, 16][i % 3] };
            let project = ConvNhwcParams { conv: params(e, c + 1, oh, ow, (1, 1), 1, 0, 1, 1, Activation::None), panel: [16, 0, 8][i % 3] };
            // Both steps, expansion only, projection only, in turn.
            let (expand, project) = match (i + band_rows + 2) % 3 {
                0 => (Some(expand), Some(project)),
                1 => (Some(expand), None),
                _ => (None, Some(project)),
            };
            out.push(DepthwiseBlockParams { expand, depthwise, project, band_rows });
        }
    }
    // A first step that is not pointwise (MobileNetV2's 3×3 stride-2 first layer feeding its
    // first depthwise): (C, E, H0, W0, its kernel, stride, pad), then a 3×3 depthwise of
    // stride 1 or 2.
    for (i, &(c, e, h0, w0, k, s, pad)) in [(3, 8, 17, 13, 3, 2, 1), (2, 16, 9, 7, 3, 1, 1), (1, 5, 12, 6, 3, 2, 0), (4, 6, 11, 9, 5, 2, 2)].iter().enumerate() {
        for band_rows in [1, 2, 5] {
            let act = [Activation::Relu, Activation::Clip { min: 0.0, max: 6.0 }][(i + band_rows) % 2];
            let expand = ConvNhwcParams { conv: params(c, e, h0, w0, (k, k), s, pad, 1, 1, act), panel: [0, 8][i % 2] };
            let (h, w) = (expand.conv.out_h, expand.conv.out_w);
            let depthwise = ConvNhwcParams { conv: params(e, e, h, w, (3, 3), 1 + i % 2, 1, 1, e, act), panel: 0 };
            let (oh, ow) = (depthwise.conv.out_h, depthwise.conv.out_w);
            let project = ConvNhwcParams { conv: params(e, c + 2, oh, ow, (1, 1), 1, 0, 1, 1, Activation::None), panel: 8 };
            out.push(DepthwiseBlockParams { expand: Some(expand), depthwise, project: (band_rows != 2).then_some(project), band_rows });
        }
    }
    out
}

/// Random operands for `p`: x, then weights and bias of each step (empty for absent steps),
/// then a residual (packed weights: the tests only need the two paths to read them alike).
pub(crate) fn operands(p: &DepthwiseBlockParams, seed: &mut u64) -> [Vec<f32>; 8] {
    let d = &p.depthwise.conv;
    let x_len = match &p.expand {
        Some(e) => e.conv.in_channels * d.batch * e.conv.in_h * e.conv.in_w,
        None => d.in_channels * d.batch * d.in_h * d.in_w,
    };
    let y_len = p.project.map_or(d.out_channels, |q| q.conv.out_channels) * d.batch * d.out_h * d.out_w;
    let step = |seed: &mut u64, q: Option<ConvNhwcParams>| match q {
        Some(q) => (rand_vec(seed, packed_weight_len(&q)), rand_vec(seed, q.conv.out_channels)),
        None => (Vec::new(), Vec::new()),
    };
    let x = rand_vec(seed, x_len);
    let (we, be) = step(seed, p.expand);
    let (wd, bd) = (rand_vec(seed, packed_weight_len(&p.depthwise)), rand_vec(seed, d.out_channels));
    let (wp, bp) = step(seed, p.project);
    [x, we, be, wd, bd, wp, bp, rand_vec(seed, y_len)]
}

/// The weights of one pointwise step out of `operands`.
pub(crate) fn pointwise<'a>(present: bool, w: &'a [f32], b: &'a [f32]) -> Pointwise<'a> {
    present.then_some((w, Some(b)))
}

/// The reference: each step whole, one after the other, with the generic kernel; the residual
/// added when there is a projection.
pub(crate) fn steps(p: &DepthwiseBlockParams, o: &[Vec<f32>; 8]) -> Vec<f32> {
    let run = |q: &ConvNhwcParams, x: &[f32], w: &[f32], b: &[f32], r: Option<&[f32]>| {
        let c = &q.conv;
        let mut y = std::vec![f32::NAN; c.batch * c.out_h * c.out_w * c.out_channels];
        conv2d_nhwc(q, x, w, Some(b), r, &mut y);
        y
    };
    let mid = match &p.expand {
        Some(e) => run(e, &o[0], &o[1], &o[2], None),
        None => o[0].clone(),
    };
    let dw = run(&p.depthwise, &mid, &o[3], &o[4], None);
    match &p.project {
        Some(q) => run(q, &dw, &o[5], &o[6], Some(&o[7])),
        None => dw,
    }
}

/// The banded block on `operands`, through `block` (this or a SIMD family's function).
pub(crate) fn banded<F>(p: &DepthwiseBlockParams, o: &[Vec<f32>; 8], mut block: F) -> Vec<f32>
where
    F: FnMut(&DepthwiseBlockParams, &[f32], Pointwise<'_>, &[f32], Option<&[f32]>, Pointwise<'_>, Option<&[f32]>, &mut [f32], &mut [f32]),
{
    let d = &p.depthwise.conv;
    let y_len = p.project.map_or(d.out_channels, |q| q.conv.out_channels) * d.batch * d.out_h * d.out_w;
    let mut band = std::vec![f32::NAN; band_len(p)];
    let mut y = std::vec![f32::NAN; y_len];
    let residual = p.project.map(|_| o[7].as_slice());
    block(p, &o[0], pointwise(p.expand.is_some(), &o[1], &o[2]), &o[3], Some(&o[4]), pointwise(p.project.is_some(), &o[5], &o[6]), residual, &mut band, &mut y);
    y
}

#[test]
fn bands_give_the_results_of_the_steps_run_whole() {
    let mut seed = 7;
    for p in cases() {
        assert!(chains(&p), "{p:?}");
        let o = operands(&p, &mut seed);
        // Same kernel, same order of sums: equal bit for bit.
        assert_eq!(banded(&p, &o, depthwise_block), steps(&p, &o), "{p:?}");
    }
}

#[test]
fn unchained_shapes_missing_weights_and_short_buffers_write_nothing() {
    let p = cases()[0];
    assert!(p.expand.is_some() && p.project.is_some());
    let mut seed = 8;
    let o = operands(&p, &mut seed);
    let n = steps(&p, &o).len();
    let mut strided = p;
    if let Some(e) = strided.expand.as_mut() {
        e.conv.stride_h = 2;
    }
    let mut zero_band = p;
    zero_band.band_rows = 0;
    let neither = DepthwiseBlockParams { expand: None, project: None, ..p };
    for (q, band, drop_project) in [(strided, band_len(&p), false), (zero_band, band_len(&p), false), (neither, band_len(&p), false), (p, band_len(&p) - 1, false), (p, band_len(&p), true)] {
        let mut band = std::vec![0.0; band];
        let mut y = std::vec![f32::NAN; n];
        let project = pointwise(!drop_project, &o[5], &o[6]);
        depthwise_block(&q, &o[0], pointwise(true, &o[1], &o[2]), &o[3], Some(&o[4]), project, Some(&o[7]), &mut band, &mut y);
        assert!(y.iter().all(|v| v.is_nan()), "{q:?}");
    }
}

#[test]
fn a_band_reads_the_rows_its_window_covers() {
    // 3×3, stride 2, pad 1 on 12 rows: output row 0 reads rows 0..2, rows 0..2 read 0..4.
    let p = cases()[5];
    assert_eq!((p.depthwise.conv.stride_h, p.depthwise.conv.pad_top, p.band_rows), (2, 1, 2));
    assert_eq!(rows_read(&p.depthwise.conv, 0, 1), (0, 2));
    assert_eq!(rows_read(&p.depthwise.conv, 0, 2), (0, 4));
    assert_eq!(rows_read(&p.depthwise.conv, 2, 4), (3, 8));
    assert_eq!(band_input_rows(&p), 5);
}
