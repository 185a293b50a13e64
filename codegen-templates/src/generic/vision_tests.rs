use super::*;

extern crate std;

use std::vec;
use std::vec::Vec;

fn close(a: &[f32], b: &[f32]) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "at {i}: {x} vs {y}");
    }
}

/// Naive 2-D convolution (no group), the oracle for DeformConv with zero offsets.
fn conv_naive(x: &[f32], xs: [usize; 4], w: &[f32], ws: [usize; 4], pad: usize, stride: usize, dil: usize) -> (Vec<f32>, usize, usize) {
    let [n, c, h, wd] = xs;
    let [m, _, kh, kw] = ws;
    let oh = (h + 2 * pad - (kh - 1) * dil - 1) / stride + 1;
    let ow = (wd + 2 * pad - (kw - 1) * dil - 1) / stride + 1;
    let mut y = vec![0.0; n * m * oh * ow];
    for b in 0..n {
        for o in 0..m {
            for i in 0..oh {
                for j in 0..ow {
                    let mut acc = 0.0;
                    for ci in 0..c {
                        for a in 0..kh {
                            for e in 0..kw {
                                let yy = (i * stride + a * dil) as i64 - pad as i64;
                                let xx = (j * stride + e * dil) as i64 - pad as i64;
                                if yy >= 0 && xx >= 0 && (yy as usize) < h && (xx as usize) < wd {
                                    acc += x[((b * c + ci) * h + yy as usize) * wd + xx as usize] * w[((o * c + ci) * kh + a) * kw + e];
                                }
                            }
                        }
                    }
                    y[((b * m + o) * oh + i) * ow + j] = acc;
                }
            }
        }
    }
    (y, oh, ow)
}

#[test]
fn deform_conv_with_zero_offsets_is_conv() {
    let (n, c, h, w, m, k) = (2, 3, 5, 4, 2, 3);
    let x: Vec<f32> = (0..n * c * h * w).map(|i| ((i * 7) % 11) as f32 - 5.0).collect();
    let wt: Vec<f32> = (0..m * c * k * k).map(|i| ((i * 5) % 7) as f32 * 0.25 - 0.5).collect();
    let (want, oh, ow) = conv_naive(&x, [n, c, h, w], &wt, [m, c, k, k], 1, 2, 1);
    let p = DeformConvParams {
        batch: n,
        in_channels: c,
        in_h: h,
        in_w: w,
        out_channels: m,
        out_h: oh,
        out_w: ow,
        kernel_h: k,
        kernel_w: k,
        stride_h: 2,
        stride_w: 2,
        pad_h: 1,
        pad_w: 1,
        dilation_h: 1,
        dilation_w: 1,
        group: 1,
        offset_group: 1,
        elem: FloatKind::F32,
    };
    let offset = vec![0.0; n * k * k * 2 * oh * ow];
    let mut y = vec![f32::NAN; n * m * oh * ow];
    deform_conv(&p, &x, &wt, &offset, None, None, &mut y);
    close(&y, &want);
    // A whole-pixel offset of +1 along x with a mask of 0.5 shifts and halves the samples
    // (no padding: the shifted image's zero column stands for reads beyond the right edge).
    let (want, oh, ow) = {
        let mut x_shift = vec![0.0; x.len()];
        for (row_in, row_out) in x.chunks_exact(w).zip(x_shift.chunks_exact_mut(w)) {
            row_out[..w - 1].copy_from_slice(&row_in[1..]);
        }
        conv_naive(&x_shift, [n, c, h, w], &wt, [m, c, k, k], 0, 1, 1)
    };
    let p = DeformConvParams { out_h: oh, out_w: ow, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, ..p };
    let mut shifted = vec![0.0; n * k * k * 2 * oh * ow];
    for b in 0..n {
        for t in 0..k * k {
            for pos in 0..oh * ow {
                shifted[((b * k * k + t) * 2 + 1) * oh * ow + pos] = 1.0;
            }
        }
    }
    let mask = vec![0.5; n * k * k * oh * ow];
    let mut y = vec![f32::NAN; n * m * oh * ow];
    deform_conv(&p, &x, &wt, &shifted, None, Some(&mask), &mut y);
    close(&y, &want.iter().map(|v| v * 0.5).collect::<Vec<_>>());
}

#[test]
fn affine_grid_identity_is_the_base_grid() {
    let p = AffineGridParams { batch: 1, rank: 2, size: [1, 2, 3], align_corners: false, elem: FloatKind::F32 };
    let theta = [1.0f32, 0.0, 0.0, 0.0, 1.0, 0.0];
    let mut g = vec![0.0f32; 12];
    affine_grid(&p, &theta, &mut g);
    let xs = [-2.0 / 3.0, 0.0, 2.0 / 3.0];
    let ys = [-0.5, 0.5];
    let want: Vec<f32> = ys.iter().flat_map(|&y| xs.iter().flat_map(move |&x| [x, y])).collect();
    close(&g, &want);
    // align_corners and a translation, in 3-D.
    let p = AffineGridParams { batch: 1, rank: 3, size: [2, 1, 2], align_corners: true, elem: FloatKind::F32 };
    let theta = [1.0f32, 0.0, 0.0, 0.5, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 2.0, 0.0];
    let mut g = vec![0.0f32; 12];
    affine_grid(&p, &theta, &mut g);
    close(&g, &[-0.5, -1.0, -2.0, 1.5, -1.0, -2.0, -0.5, -1.0, 2.0, 1.5, -1.0, 2.0]);
}

#[test]
fn roi_align_averages_bilinear_samples() {
    // A linear ramp: bilinear samples of it are exact, so each bin's average is the ramp at
    // the bin's center.
    let (h, w) = (6, 8);
    let x: Vec<f32> = (0..h * w).map(|i| (i % w) as f32 + 10.0 * (i / w) as f32).collect();
    let p = RoiAlignParams {
        rois: 1,
        batch: 1,
        channels: 1,
        height: h,
        width: w,
        out_h: 2,
        out_w: 2,
        sampling_ratio: 2,
        spatial_scale: 1.0,
        half_pixel: true,
        max: false,
        elem: FloatKind::F32,
    };
    let rois = [1.5f32, 1.5, 5.5, 3.5];
    let mut y = [0.0f32; 4];
    roi_align(&p, &x, &rois, &[0], &mut y);
    // ROI x from 1 to 5, y from 1 to 3: bins centered at x 2 and 4, y 1.5 and 2.5.
    close(&y, &[17.0, 19.0, 27.0, 29.0]);
    // An out-of-range batch index yields zeros.
    roi_align(&p, &x, &rois, &[3], &mut y);
    close(&y, &[0.0; 4]);
}

#[test]
fn tfidf_counts_ngrams_with_skips() {
    use super::super::tfidf::{tfidf, TfIdfParams, TfIdfPool};
    // Unigrams 2, 3; bigrams (2, 3), (3, 4).
    let pool = TfIdfPool { pool: &[2, 3, 2, 3, 3, 4], ngram_counts: &[0, 2], ngram_indexes: &[0, 1, 2, 3], weights: &[] };
    let x: [i64; 5] = [2, 3, 4, 2, 4];
    let mut p = TfIdfParams { rows: 1, cols: 5, out_size: 4, mode: 0, min_gram: 1, max_gram: 2, max_skip: 0 };
    let mut y = [0.0f32; 4];
    tfidf(&p, pool, &x, &mut y);
    assert_eq!(y, [2.0, 1.0, 1.0, 1.0]);
    // With one skip, (2, 4) twice is not in the pool, (3, 2) neither: only (2,3),(3,4) again;
    // (2, x, 4) → no; skip 1 pairs: (2,4), (3,2), (4,4): none. Unigrams are not recounted.
    p.max_skip = 1;
    tfidf(&p, pool, &x, &mut y);
    assert_eq!(y, [2.0, 1.0, 1.0, 1.0]);
    // IDF with weights.
    let weighted = TfIdfPool { weights: &[0.5, 2.0, 3.0, 4.0], ..pool };
    p.mode = 1;
    p.min_gram = 2;
    tfidf(&p, weighted, &x, &mut y);
    assert_eq!(y, [0.0, 0.0, 3.0, 4.0]);
}
