//! 2-D max/average and global pooling on channels-last tensors (NHWC), for graphs the layout
//! pass turned channels-last: same [`PoolParams`] and semantics as the NCHW kernels of
//! [`super::pool`] (pads, dilation, `ceil_mode` overhang, `count_include_pad`, NaN skipped by
//! max), with buffers `[N, H, W, C]` -> `[N, oh, ow, C]`. Each window tap is `C` contiguous
//! floats, so the inner loops run across channels, which SIMD targets vectorize.
//!
//! The taps of a window are visited in the NCHW kernels' order, so the results are identical.

use super::pool::{tap_range, PoolParams};

/// One output pixel's window: kernel rows `kh.0..kh.1` and columns `kw.0..kw.1` are the taps
/// inside the input, counted from the (possibly negative) top-left position `(hs, ws)`.
#[derive(Clone, Copy)]
pub struct Window {
    /// Input row of kernel row 0.
    pub hs: isize,
    /// Input column of kernel column 0.
    pub ws: isize,
    /// Kernel rows inside the input.
    pub kh: (usize, usize),
    /// Kernel columns inside the input.
    pub kw: (usize, usize),
}

/// The window of output pixel `(oh, ow)` (shared with the SIMD kernels).
#[inline(always)]
pub fn pool_window(p: &PoolParams, oh: usize, ow: usize) -> Window {
    let hs = (oh * p.stride_h) as isize - p.pad_top as isize;
    let ws = (ow * p.stride_w) as isize - p.pad_left as isize;
    Window {
        hs,
        ws,
        kh: tap_range(hs, p.kernel_h, p.dilation_h.max(1), 0, p.in_h as isize),
        kw: tap_range(ws, p.kernel_w, p.dilation_w.max(1), 0, p.in_w as isize),
    }
}

/// Calls `f` with the `C` channels of every input tap of `win` in image `x_img`, rows first.
#[inline(always)]
fn for_each_tap(p: &PoolParams, x_img: &[f32], win: Window, mut f: impl FnMut(&[f32])) {
    let (dh, dw) = (p.dilation_h.max(1), p.dilation_w.max(1));
    let c = p.channels;
    for kh in win.kh.0..win.kh.1 {
        let h = (win.hs + (kh * dh) as isize) as usize;
        for kw in win.kw.0..win.kw.1 {
            let w = (win.ws + (kw * dw) as isize) as usize;
            let start = (h * p.in_w + w) * c;
            if let Some(tap) = x_img.get(start..start + c) {
                f(tap);
            }
        }
    }
}

/// Validated images of `x` and `y` (`None` if a buffer is too short or nothing is written).
#[inline(always)]
fn images<'a>(p: &PoolParams, x: &'a [f32], y: &'a mut [f32]) -> Option<(&'a [f32], &'a mut [f32])> {
    let (in_img, out_img) = (p.in_h * p.in_w * p.channels, p.out_h * p.out_w * p.channels);
    let (x, y) = (x.get(..p.batch * in_img)?, y.get_mut(..p.batch * out_img)?);
    (out_img > 0 && in_img > 0).then_some((x, y))
}

/// ONNX `MaxPool` on NHWC: the largest input value in each window per channel; padding never
/// wins, an all-padding window yields `f32::MIN` and NaN inputs are skipped (as `max_pool2d`).
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn max_pool2d_nhwc(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let Some((x, y)) = images(p, x, y) else { return };
    let (c, in_img, out_img) = (p.channels, p.in_h * p.in_w * p.channels, p.out_h * p.out_w * p.channels);
    for (x_img, y_img) in x.chunks_exact(in_img).zip(y.chunks_exact_mut(out_img)) {
        for (pix, y_pix) in y_img.chunks_exact_mut(c).enumerate() {
            y_pix.fill(f32::MIN);
            for_each_tap(p, x_img, pool_window(p, pix / p.out_w, pix % p.out_w), |tap| {
                for (m, &v) in y_pix.iter_mut().zip(tap) {
                    if v > *m {
                        *m = v;
                    }
                }
            });
        }
    }
}

/// The divisor of an average window: its input taps, or with `count_include_pad` its taps
/// inside input + explicit pads (shared with the SIMD kernels).
#[inline(always)]
pub fn divisor(p: &PoolParams, win: Window) -> usize {
    if !p.count_include_pad {
        return (win.kh.1 - win.kh.0) * (win.kw.1 - win.kw.0);
    }
    let (dh, dw) = (p.dilation_h.max(1), p.dilation_w.max(1));
    let (padded_h, padded_w) = ((p.in_h + p.pad_bottom) as isize, (p.in_w + p.pad_right) as isize);
    let (h0, h1) = tap_range(win.hs, p.kernel_h, dh, -(p.pad_top as isize), padded_h);
    let (w0, w1) = tap_range(win.ws, p.kernel_w, dw, -(p.pad_left as isize), padded_w);
    (h1 - h0) * (w1 - w0)
}

/// ONNX `AveragePool` on NHWC: the mean of each window per channel, with the divisor of
/// `avg_pool2d` (input taps, or input + explicit pads with `count_include_pad`; a zero divisor
/// yields NaN). Does nothing if a buffer is too short.
#[inline(always)]
pub fn avg_pool2d_nhwc(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let Some((x, y)) = images(p, x, y) else { return };
    let (c, in_img, out_img) = (p.channels, p.in_h * p.in_w * p.channels, p.out_h * p.out_w * p.channels);
    for (x_img, y_img) in x.chunks_exact(in_img).zip(y.chunks_exact_mut(out_img)) {
        for (pix, y_pix) in y_img.chunks_exact_mut(c).enumerate() {
            let win = pool_window(p, pix / p.out_w, pix % p.out_w);
            let count = divisor(p, win);
            y_pix.fill(0.0);
            for_each_tap(p, x_img, win, |tap| {
                for (s, &v) in y_pix.iter_mut().zip(tap) {
                    *s += v;
                }
            });
            for s in y_pix.iter_mut() {
                *s /= count as f32;
            }
        }
    }
}

/// Shape of a channels-last global pooling: `[N, spatial, C]` -> `[N, C]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalPoolNhwcParams {
    /// N, the number of images.
    pub batch: usize,
    /// Product of the spatial dimensions: the pixels each channel reduces over.
    pub spatial: usize,
    /// C, the channels (innermost, contiguous).
    pub channels: usize,
}

/// Validated images of `x` (`spatial · C` floats each) and `y` (`C` each), or `None` if a
/// buffer is too short or nothing is written.
#[inline(always)]
fn global_images<'a>(p: &GlobalPoolNhwcParams, x: &'a [f32], y: &'a mut [f32]) -> Option<(&'a [f32], &'a mut [f32])> {
    let (x, y) = (x.get(..p.batch * p.spatial * p.channels)?, y.get_mut(..p.batch * p.channels)?);
    (p.spatial > 0 && p.channels > 0).then_some((x, y))
}

/// ONNX `GlobalAveragePool` on NHWC: `y[n, c]` is the mean of channel `c` over image `n`,
/// summed in pixel order like `global_avg_pool`. Does nothing if a buffer is too short.
#[inline(always)]
pub fn global_avg_pool_nhwc(p: &GlobalPoolNhwcParams, x: &[f32], y: &mut [f32]) {
    let Some((x, y)) = global_images(p, x, y) else { return };
    for (x_img, y_img) in x.chunks_exact(p.spatial * p.channels).zip(y.chunks_exact_mut(p.channels)) {
        y_img.fill(0.0);
        for px in x_img.chunks_exact(p.channels) {
            for (s, &v) in y_img.iter_mut().zip(px) {
                *s += v;
            }
        }
        for s in y_img.iter_mut() {
            *s /= p.spatial as f32;
        }
    }
}

/// ONNX `GlobalMaxPool` on NHWC: `y[n, c]` is the largest value of channel `c` over image `n`
/// (NaN skipped, as `global_max_pool`). Does nothing if a buffer is too short.
#[inline(always)]
pub fn global_max_pool_nhwc(p: &GlobalPoolNhwcParams, x: &[f32], y: &mut [f32]) {
    let Some((x, y)) = global_images(p, x, y) else { return };
    for (x_img, y_img) in x.chunks_exact(p.spatial * p.channels).zip(y.chunks_exact_mut(p.channels)) {
        y_img.fill(f32::MIN);
        for px in x_img.chunks_exact(p.channels) {
            for (m, &v) in y_img.iter_mut().zip(px) {
                if v > *m {
                    *m = v;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "pool_nhwc_tests.rs"]
mod tests;
