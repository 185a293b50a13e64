//! 2-D convolution (NCHW, ONNX `Conv`), with fused bias and activation; 1-D is `in_h = 1`.

use super::activation::{apply_in_place, Activation};

/// Shape and options of one `Conv`; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvParams {
    /// N.
    pub batch: usize,
    /// C of the input.
    pub in_channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// M, the number of filters.
    pub out_channels: usize,
    /// Output height (fixes the bottom padding).
    pub out_h: usize,
    /// Output width (fixes the right padding).
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
    /// Zero rows added above the input.
    pub pad_top: usize,
    /// Zero columns added left of the input.
    pub pad_left: usize,
    /// Channel groups; `in_channels` and `out_channels` are multiples of it.
    pub groups: usize,
    /// Activation fused into the output.
    pub act: Activation,
}

/// Output positions `o < out_len` whose tap `o * stride + tap - pad` lands in `[0, in_len)`.
///
/// Returns `(lo, hi)` with `lo <= hi <= out_len`; `tap` is the kernel offset `k * dilation`.
/// Hoisting this out of the inner loops removes every per-element padding check.
#[inline(always)]
pub fn valid_range(
    out_len: usize,
    in_len: usize,
    stride: usize,
    tap: usize,
    pad: usize,
) -> (usize, usize) {
    let s = if stride == 0 { 1 } else { stride };
    let lo = if pad > tap {
        (pad - tap).div_ceil(s)
    } else {
        0
    };
    let hi = if in_len + pad > tap {
        (in_len + pad - tap).div_ceil(s)
    } else {
        0
    };
    let hi = if hi < out_len { hi } else { out_len };
    let lo = if lo < hi { lo } else { hi };
    (lo, hi)
}

/// `y = act(conv(x, w) + bias)` for NCHW `x`, `w` as `[M, C/groups, kh, kw]`, `y` as `[N, M, oh, ow]`.
///
/// Taps that fall outside the input read zero. Does nothing if a buffer is too short, a stride
/// is 0, or the channel counts do not divide by `groups`.
#[inline(always)]
pub fn conv2d(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
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
        w.get(..p.out_channels * icg * k_plane),
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
    let pointwise = p.kernel_h == 1
        && p.kernel_w == 1
        && p.stride_h == 1
        && p.stride_w == 1
        && p.pad_top == 0
        && p.pad_left == 0
        && p.out_h == p.in_h
        && p.out_w == p.in_w;

    // One output plane per (n, oc), in memory order.
    for (plane, y_plane) in y.chunks_exact_mut(out_plane).enumerate() {
        let (n, oc) = (plane / p.out_channels, plane % p.out_channels);
        let g = oc / ocg;
        let x_start = (n * p.in_channels + g * icg) * in_plane;
        let w_start = oc * icg * k_plane;
        let (Some(x_group), Some(w_oc)) = (
            x.get(x_start..x_start + icg * in_plane),
            w.get(w_start..w_start + icg * k_plane),
        ) else {
            return;
        };
        y_plane.fill(bias.and_then(|b| b.get(oc)).copied().unwrap_or(0.0));
        if pointwise {
            // 1x1, stride 1, no padding: one row of a GEMM (`in_plane == out_plane > 0`).
            for (&wv, x_plane) in w_oc.iter().zip(x_group.chunks_exact(in_plane)) {
                for (yv, &xv) in y_plane.iter_mut().zip(x_plane) {
                    *yv += wv * xv;
                }
            }
        } else if in_plane > 0 && k_plane > 0 {
            for (x_plane, w_k) in x_group
                .chunks_exact(in_plane)
                .zip(w_oc.chunks_exact(k_plane))
            {
                conv_plane(p, x_plane, w_k, y_plane);
            }
        }
        apply_in_place(p.act, y_plane);
    }
}

/// Accumulates one input channel convolved with one `kh x kw` filter into one output plane.
///
/// Does nothing if a buffer is too short or a stride is 0.
#[inline(always)]
pub fn conv_plane(p: &ConvParams, x_plane: &[f32], w_k: &[f32], y_plane: &mut [f32]) {
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
        let (oh0, oh1) = valid_range(p.out_h, p.in_h, p.stride_h, tap_h, p.pad_top);
        for (kw, &wv) in w_row.iter().enumerate() {
            let tap_w = kw * p.dilation_w;
            let (ow0, ow1) = valid_range(p.out_w, p.in_w, p.stride_w, tap_w, p.pad_left);
            if ow0 >= ow1 {
                continue;
            }
            let len = ow1 - ow0;
            // In range by construction of `valid_range`: the `len` outputs read the input
            // columns `iw0, iw0 + stride, …`, a span of `span` columns.
            let iw0 = ow0 * p.stride_w + tap_w - p.pad_left;
            let span = (len - 1) * p.stride_w + 1;
            for oh in oh0..oh1 {
                let ih = oh * p.stride_h + tap_h - p.pad_top;
                let (y_start, x_start) = (oh * p.out_w + ow0, ih * p.in_w + iw0);
                let (Some(y_row), Some(x_row)) = (
                    y_plane.get_mut(y_start..y_start + len),
                    x_plane.get(x_start..x_start + span),
                ) else {
                    return;
                };
                if p.stride_w == 1 {
                    for (yv, &xv) in y_row.iter_mut().zip(x_row) {
                        *yv += wv * xv;
                    }
                } else {
                    for (yv, &xv) in y_row.iter_mut().zip(x_row.iter().step_by(p.stride_w)) {
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

    /// Deterministic pseudo-random values in [-1, 1).
    pub(crate) fn fill(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn naive(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>) -> Vec<f32> {
        let icg = p.in_channels / p.groups;
        let ocg = p.out_channels / p.groups;
        let mut y = std::vec![0.0f32; p.batch * p.out_channels * p.out_h * p.out_w];
        for n in 0..p.batch {
            for oc in 0..p.out_channels {
                let g = oc / ocg;
                for oh in 0..p.out_h {
                    for ow in 0..p.out_w {
                        let mut acc = 0.0f64;
                        for ic in 0..icg {
                            for kh in 0..p.kernel_h {
                                for kw in 0..p.kernel_w {
                                    let ih = (oh * p.stride_h + kh * p.dilation_h) as isize
                                        - p.pad_top as isize;
                                    let iw = (ow * p.stride_w + kw * p.dilation_w) as isize
                                        - p.pad_left as isize;
                                    if ih < 0
                                        || iw < 0
                                        || ih >= p.in_h as isize
                                        || iw >= p.in_w as isize
                                    {
                                        continue;
                                    }
                                    let c = g * icg + ic;
                                    let xv = x[((n * p.in_channels + c) * p.in_h + ih as usize)
                                        * p.in_w
                                        + iw as usize];
                                    let wv =
                                        w[((oc * icg + ic) * p.kernel_h + kh) * p.kernel_w + kw];
                                    acc += xv as f64 * wv as f64;
                                }
                            }
                        }
                        let b = bias.map_or(0.0, |b| b[oc]);
                        y[((n * p.out_channels + oc) * p.out_h + oh) * p.out_w + ow] =
                            super::super::activation::apply(p.act, (acc + b as f64) as f32);
                    }
                }
            }
        }
        y
    }

    fn out_len(i: usize, k: usize, s: usize, d: usize, pb: usize, pe: usize) -> usize {
        (i + pb + pe - (d * (k - 1) + 1)) / s + 1
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
        act: Activation,
        with_bias: bool,
    ) {
        if in_h + pt + pb < dh * (kh - 1) + 1 || in_w + pl + pr < dw * (kw - 1) + 1 {
            return; // no output window fits
        }
        let p = ConvParams {
            batch,
            in_channels: ic,
            in_h,
            in_w,
            out_channels: oc,
            out_h: out_len(in_h, kh, sh, dh, pt, pb),
            out_w: out_len(in_w, kw, sw, dw, pl, pr),
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
        let x = fill(batch * ic * in_h * in_w, 1);
        let w = fill(oc * (ic / groups) * kh * kw, 2);
        let b = fill(oc, 3);
        let bias = if with_bias { Some(&b[..]) } else { None };
        let want = naive(&p, &x, &w, bias);
        let mut got = std::vec![f32::NAN; want.len()];
        conv2d(&p, &x, &w, bias, &mut got);
        for (i, (g, e)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                (g - e).abs() <= 1e-4 * (1.0 + e.abs()),
                "{p:?} at {i}: {g} vs {e}"
            );
        }
    }

    #[test]
    fn spec_example_with_padding() {
        // onnx Operators.md Conv example: 5x5 input 0..24, 3x3 ones kernel, pads 1.
        let x: Vec<f32> = (0..25).map(|v| v as f32).collect();
        let w = [1.0f32; 9];
        let p = ConvParams {
            batch: 1,
            in_channels: 1,
            in_h: 5,
            in_w: 5,
            out_channels: 1,
            out_h: 5,
            out_w: 5,
            kernel_h: 3,
            kernel_w: 3,
            stride_h: 1,
            stride_w: 1,
            dilation_h: 1,
            dilation_w: 1,
            pad_top: 1,
            pad_left: 1,
            groups: 1,
            act: Activation::None,
        };
        let mut y = [0.0f32; 25];
        conv2d(&p, &x, &w, None, &mut y);
        let want = [
            12., 21., 27., 33., 24., 33., 54., 63., 72., 51., 63., 99., 108., 117., 81., 93., 144.,
            153., 162., 111., 72., 111., 117., 123., 84.,
        ];
        assert_eq!(y, want);
        // Strides 2 with padding 1 (conv_with_strides_padding): 3x3 output.
        let p2 = ConvParams {
            out_h: 3,
            out_w: 3,
            stride_h: 2,
            stride_w: 2,
            ..p
        };
        let mut y2 = [0.0f32; 9];
        conv2d(&p2, &x, &w, None, &mut y2);
        assert_eq!(y2, [12., 27., 24., 63., 108., 81., 72., 117., 84.]);
    }

    #[test]
    fn odd_sizes_and_options() {
        let none = Activation::None;
        let relu = Activation::Relu;
        for &(h, w) in &[(1, 1), (3, 3), (7, 5), (17, 3)] {
            for &(kh, kw) in &[(1, 1), (3, 3), (1, 3)] {
                if kh > h + 2 || kw > w + 2 {
                    continue;
                }
                check(
                    1,
                    3,
                    2,
                    1,
                    (h, w),
                    (kh, kw),
                    (1, 1),
                    (1, 1),
                    (0, 0, 0, 0),
                    none,
                    false,
                );
                check(
                    2,
                    3,
                    5,
                    1,
                    (h, w),
                    (kh, kw),
                    (1, 1),
                    (1, 1),
                    (1, 1, 1, 1),
                    relu,
                    true,
                );
                check(
                    1,
                    2,
                    3,
                    1,
                    (h, w),
                    (kh, kw),
                    (2, 3),
                    (1, 1),
                    (1, 2, 0, 1),
                    none,
                    true,
                );
            }
        }
    }

    #[test]
    fn strides_dilation_groups() {
        let a = Activation::Clip {
            min: -0.5,
            max: 0.5,
        };
        check(
            1,
            4,
            6,
            2,
            (7, 7),
            (3, 3),
            (2, 2),
            (1, 1),
            (1, 1, 1, 1),
            a,
            true,
        );
        check(
            2,
            6,
            6,
            6,
            (17, 7),
            (3, 3),
            (1, 1),
            (1, 1),
            (1, 1, 1, 1),
            a,
            true,
        ); // depthwise
        check(
            1,
            3,
            2,
            1,
            (17, 17),
            (3, 3),
            (1, 1),
            (2, 3),
            (2, 3, 2, 3),
            a,
            true,
        ); // dilated
        check(
            1,
            3,
            2,
            1,
            (7, 17),
            (3, 5),
            (3, 2),
            (2, 2),
            (0, 4, 1, 0),
            a,
            false,
        );
        check(
            1,
            4,
            4,
            2,
            (7, 7),
            (7, 7),
            (1, 1),
            (1, 1),
            (3, 3, 3, 3),
            a,
            true,
        );
        // pads larger than the kernel reach: some outputs see only padding.
        check(
            1,
            1,
            1,
            1,
            (3, 3),
            (2, 2),
            (1, 1),
            (1, 1),
            (3, 3, 3, 3),
            Activation::None,
            true,
        );
        // 1x1 with stride (not the pointwise fast path).
        check(
            1,
            5,
            3,
            1,
            (7, 7),
            (1, 1),
            (2, 2),
            (1, 1),
            (0, 0, 0, 0),
            a,
            true,
        );
        // 1-D conv.
        check(
            2,
            3,
            4,
            1,
            (1, 17),
            (1, 3),
            (1, 2),
            (1, 2),
            (0, 2, 0, 1),
            a,
            true,
        );
    }

    #[test]
    fn short_buffers_do_nothing() {
        let p = ConvParams {
            batch: 1,
            in_channels: 1,
            in_h: 3,
            in_w: 3,
            out_channels: 1,
            out_h: 1,
            out_w: 1,
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
        let mut y = [7.0f32];
        conv2d(&p, &[1.0; 4], &[1.0; 9], None, &mut y);
        assert_eq!(y, [7.0]);
    }
}
