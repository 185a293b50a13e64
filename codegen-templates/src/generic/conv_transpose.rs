//! 2-D transposed convolution (NCHW, ONNX `ConvTranspose`), with fused bias and activation.

use super::activation::{apply_in_place, Activation};
use super::conv::valid_range;

/// Shape and options of one `ConvTranspose`; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvTransposeParams {
    /// N.
    pub batch: usize,
    /// C of the input.
    pub in_channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output channels (`groups * w.shape[1]`).
    pub out_channels: usize,
    /// Output height (includes `output_padding`; fixes the bottom padding).
    pub out_h: usize,
    /// Output width (includes `output_padding`; fixes the right padding).
    pub out_w: usize,
    /// Kernel height.
    pub kernel_h: usize,
    /// Kernel width.
    pub kernel_w: usize,
    /// Vertical stride (>= 1).
    pub stride_h: usize,
    /// Horizontal stride (>= 1).
    pub stride_w: usize,
    /// Vertical dilation (>= 1).
    pub dilation_h: usize,
    /// Horizontal dilation (>= 1).
    pub dilation_w: usize,
    /// Rows cropped from the top of the full output.
    pub pad_top: usize,
    /// Columns cropped from the left of the full output.
    pub pad_left: usize,
    /// Channel groups; `in_channels` and `out_channels` are multiples of it.
    pub groups: usize,
    /// Activation fused into the output.
    pub act: Activation,
}

/// `y = act(conv_transpose(x, w) + bias)`; `w` is `[C, M/groups, kh, kw]`, `y` is `[N, M, oh, ow]`.
///
/// Scatter form: `y[oh][ow] += x[ih][iw] * w[kh][kw]` with `oh = ih*stride - pad_top + kh*dilation`
/// (likewise for width); contributions outside `y` are dropped. Does nothing if a buffer is
/// too short, a stride is 0, or the channel counts do not divide by `groups`.
#[inline(always)]
pub fn conv_transpose2d(
    p: &ConvTransposeParams,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
) {
    if p.groups == 0 {
        return;
    }
    let icg = p.in_channels / p.groups;
    let ocg = p.out_channels / p.groups;
    if icg * p.groups != p.in_channels || ocg * p.groups != p.out_channels {
        return;
    }
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    let k_plane = p.kernel_h * p.kernel_w;
    let (Some(x), Some(w), Some(y)) = (
        x.get(..p.batch * p.in_channels * in_plane),
        w.get(..p.in_channels * ocg * k_plane),
        y.get_mut(..p.batch * p.out_channels * out_plane),
    ) else {
        return;
    };
    if bias.is_some_and(|b| b.len() < p.out_channels) || p.stride_h == 0 || p.stride_w == 0 {
        return;
    }
    if out_plane == 0 || ocg == 0 {
        return; // nothing to write
    }
    // One output plane per (n, oc), in memory order.
    for (plane, y_plane) in y.chunks_exact_mut(out_plane).enumerate() {
        let (n, oc) = (plane / p.out_channels, plane % p.out_channels);
        let (g, ocl) = (oc / ocg, oc % ocg);
        y_plane.fill(bias.and_then(|b| b.get(oc)).copied().unwrap_or(0.0));
        for ic in g * icg..(g + 1) * icg {
            let x_start = (n * p.in_channels + ic) * in_plane;
            let w_start = (ic * ocg + ocl) * k_plane;
            let (Some(x_plane), Some(w_k)) = (
                x.get(x_start..x_start + in_plane),
                w.get(w_start..w_start + k_plane),
            ) else {
                return;
            };
            conv_transpose_plane(p, x_plane, w_k, y_plane);
        }
        apply_in_place(p.act, y_plane);
    }
}

/// Scatters one input channel through one `kh x kw` filter into one output plane.
///
/// Does nothing if a buffer is too short or a stride is 0.
#[inline(always)]
pub fn conv_transpose_plane(
    p: &ConvTransposeParams,
    x_plane: &[f32],
    w_k: &[f32],
    y_plane: &mut [f32],
) {
    let (Some(x_plane), Some(w_k), Some(y_plane)) = (
        x_plane.get(..p.in_h * p.in_w),
        w_k.get(..p.kernel_h * p.kernel_w),
        y_plane.get_mut(..p.out_h * p.out_w),
    ) else {
        return;
    };
    if p.kernel_w == 0 || p.stride_h == 0 || p.stride_w == 0 {
        return;
    }
    for (kh, w_row) in w_k.chunks_exact(p.kernel_w).enumerate() {
        let tap_h = kh * p.dilation_h;
        // Input rows whose target row `ih*stride + tap - pad` is inside the output.
        let (ih0, ih1) = valid_range(p.in_h, p.out_h, p.stride_h, tap_h, p.pad_top);
        for (kw, &wv) in w_row.iter().enumerate() {
            let tap_w = kw * p.dilation_w;
            let (iw0, iw1) = valid_range(p.in_w, p.out_w, p.stride_w, tap_w, p.pad_left);
            if iw0 >= iw1 {
                continue;
            }
            // In range by construction of `valid_range`: the `iw1 - iw0` inputs land on the
            // output columns `ow0, ow0 + stride, …`, a span of `span` columns.
            let ow0 = iw0 * p.stride_w + tap_w - p.pad_left;
            let span = (iw1 - iw0 - 1) * p.stride_w + 1;
            for ih in ih0..ih1 {
                let oh = ih * p.stride_h + tap_h - p.pad_top;
                let (x_start, y_start) = (ih * p.in_w + iw0, oh * p.out_w + ow0);
                let (Some(x_row), Some(y_row)) = (
                    x_plane.get(x_start..x_start + iw1 - iw0),
                    y_plane.get_mut(y_start..y_start + span),
                ) else {
                    return;
                };
                if p.stride_w == 1 {
                    for (yv, &xv) in y_row.iter_mut().zip(x_row) {
                        *yv += wv * xv;
                    }
                } else {
                    for (yv, &xv) in y_row.iter_mut().step_by(p.stride_w).zip(x_row) {
                        *yv += wv * xv;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn fill(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(777);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    /// Gather form, written independently: y[oh] = sum over (ih, kh) with ih*s + kh*d - pad == oh.
    fn naive(p: &ConvTransposeParams, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let icg = p.in_channels / p.groups;
        let ocg = p.out_channels / p.groups;
        let mut y = std::vec![0.0f32; p.batch * p.out_channels * p.out_h * p.out_w];
        for n in 0..p.batch {
            for oc in 0..p.out_channels {
                let g = oc / ocg;
                let ocl = oc % ocg;
                for oh in 0..p.out_h {
                    for ow in 0..p.out_w {
                        let mut acc = 0.0f64;
                        for icl in 0..icg {
                            let ic = g * icg + icl;
                            for kh in 0..p.kernel_h {
                                for kw in 0..p.kernel_w {
                                    let nh = oh as isize + p.pad_top as isize
                                        - (kh * p.dilation_h) as isize;
                                    let nw = ow as isize + p.pad_left as isize
                                        - (kw * p.dilation_w) as isize;
                                    if nh < 0
                                        || nw < 0
                                        || nh % p.stride_h as isize != 0
                                        || nw % p.stride_w as isize != 0
                                    {
                                        continue;
                                    }
                                    let ih = (nh / p.stride_h as isize) as usize;
                                    let iw = (nw / p.stride_w as isize) as usize;
                                    if ih >= p.in_h || iw >= p.in_w {
                                        continue;
                                    }
                                    let xv =
                                        x[((n * p.in_channels + ic) * p.in_h + ih) * p.in_w + iw];
                                    let wv =
                                        w[((ic * ocg + ocl) * p.kernel_h + kh) * p.kernel_w + kw];
                                    acc += xv as f64 * wv as f64;
                                }
                            }
                        }
                        let b = bias.map_or(0.0, |b| b[oc]) as f64;
                        y[((n * p.out_channels + oc) * p.out_h + oh) * p.out_w + ow] =
                            super::super::activation::apply(p.act, (acc + b) as f32);
                    }
                }
            }
        }
        y
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        batch: usize,
        ic: usize,
        oc: usize,
        groups: usize,
        (in_h, in_w): (usize, usize),
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        (dh, dw): (usize, usize),
        (pt, pl, pb, pr): (usize, usize, usize, usize),
        (oph, opw): (usize, usize),
        act: Activation,
        with_bias: bool,
    ) {
        // ONNX: out = stride*(in-1) + output_padding + ((k-1)*d+1) - pad_begin - pad_end
        let out_h = sh * (in_h - 1) + oph + (kh - 1) * dh + 1 - pt - pb;
        let out_w = sw * (in_w - 1) + opw + (kw - 1) * dw + 1 - pl - pr;
        let p = ConvTransposeParams {
            batch,
            in_channels: ic,
            in_h,
            in_w,
            out_channels: oc,
            out_h,
            out_w,
            kernel_h: kh,
            kernel_w: kw,
            stride_h: sh,
            stride_w: sw,
            dilation_h: dh,
            dilation_w: dw,
            pad_top: pt,
            pad_left: pl,
            groups,
            act,
        };
        let x = fill(batch * ic * in_h * in_w, 11);
        let w = fill(ic * (oc / groups) * kh * kw, 12);
        let b = fill(oc, 13);
        let bias = if with_bias { Some(&b[..]) } else { None };
        let want = naive(&p, &x, &w, bias);
        let mut got = std::vec![f32::NAN; want.len()];
        conv_transpose2d(&p, &x, &w, bias, &mut got);
        for (i, (g, e)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                (g - e).abs() <= 1e-4 * (1.0 + e.abs()),
                "{p:?} at {i}: {g} vs {e}"
            );
        }
    }

    #[test]
    fn spec_example() {
        // Operators.md ConvTranspose example: x 3x3 = 0..8, two 3x3 ones filters -> 5x5.
        let x: Vec<f32> = (0..9).map(|v| v as f32).collect();
        let w = [1.0f32; 18];
        let p = ConvTransposeParams {
            batch: 1,
            in_channels: 1,
            in_h: 3,
            in_w: 3,
            out_channels: 2,
            out_h: 5,
            out_w: 5,
            kernel_h: 3,
            kernel_w: 3,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 0,
            pad_left: 0,
            groups: 1,
            act: Activation::None,
        };
        let mut y = [0.0f32; 50];
        conv_transpose2d(&p, &x, &w, None, &mut y);
        let plane = [
            0., 1., 3., 3., 2., 3., 8., 15., 12., 7., 9., 21., 36., 27., 15., 9., 20., 33., 24.,
            13., 6., 13., 21., 15., 8.,
        ];
        assert_eq!(&y[..25], &plane);
        assert_eq!(&y[25..], &plane);
    }

    #[test]
    fn odd_sizes_and_options() {
        let none = Activation::None;
        let lr = Activation::LeakyRelu { alpha: 0.1 };
        for &(h, w) in &[(1, 1), (3, 3), (7, 5), (17, 3)] {
            for &(kh, kw) in &[(1, 1), (3, 3), (2, 3)] {
                check(
                    1,
                    2,
                    3,
                    1,
                    (h, w),
                    (kh, kw),
                    (1, 1),
                    (1, 1),
                    (0, 0, 0, 0),
                    (0, 0),
                    none,
                    false,
                );
                check(
                    2,
                    3,
                    2,
                    1,
                    (h, w),
                    (kh, kw),
                    (2, 3),
                    (1, 1),
                    (0, 0, 0, 0),
                    (1, 2),
                    lr,
                    true,
                );
            }
        }
        // Padding crops the output.
        check(
            1,
            2,
            2,
            1,
            (7, 7),
            (3, 3),
            (2, 2),
            (1, 1),
            (1, 1, 1, 1),
            (1, 1),
            lr,
            true,
        );
        check(
            1,
            2,
            2,
            1,
            (7, 5),
            (3, 3),
            (3, 2),
            (1, 1),
            (2, 1, 0, 2),
            (0, 1),
            lr,
            true,
        );
        // Dilation.
        check(
            1,
            3,
            2,
            1,
            (7, 7),
            (3, 2),
            (2, 1),
            (2, 3),
            (1, 0, 2, 1),
            (0, 0),
            none,
            true,
        );
        // Groups and depthwise.
        check(
            2,
            4,
            6,
            2,
            (3, 7),
            (3, 3),
            (2, 2),
            (1, 1),
            (1, 1, 1, 1),
            (1, 0),
            lr,
            true,
        );
        check(
            1,
            3,
            3,
            3,
            (17, 3),
            (3, 3),
            (1, 2),
            (2, 1),
            (0, 1, 1, 0),
            (0, 1),
            none,
            true,
        );
        // 1-D.
        check(
            1,
            2,
            3,
            1,
            (1, 17),
            (1, 3),
            (1, 2),
            (1, 1),
            (0, 1, 0, 1),
            (0, 1),
            none,
            true,
        );
    }
}
