//! SIMD pooling on channels-last tensors over the target's `vec.rs`: vectors across channels,
//! a few vectors at a time so independent accumulators hide the latency of `max`/`add`.
//!
//! Same signatures and results as the generic kernels of `pool_nhwc` (bit for bit: the taps
//! are visited in the same order, `max(v, m)` keeps `m` when `v` is NaN as `if v > m` does,
//! and the average divides once by the same divisor).

use super::pool::PoolParams;
use super::pool_nhwc::{divisor, pool_window, GlobalPoolNhwcParams, Window};
use super::vec::{add, div, load, load_tail, max, splat, store, store_tail, tail, F32s, Tail, LANES};

/// Channel vectors accumulated together.
const POOL_CHUNK: usize = 4;

/// ONNX `MaxPool` on NHWC, as the generic `max_pool2d_nhwc`.
#[inline(always)]
pub fn max_pool2d_nhwc(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    windowed::<true>(p, x, y);
}

/// ONNX `AveragePool` on NHWC, as the generic `avg_pool2d_nhwc`.
#[inline(always)]
pub fn avg_pool2d_nhwc(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    windowed::<false>(p, x, y);
}

/// Max (`MAX`) or average pooling; does nothing if a buffer is too short.
#[inline(always)]
fn windowed<const MAX: bool>(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let c = p.channels;
    let (in_img, out_img) = (p.in_h * p.in_w * c, p.out_h * p.out_w * c);
    let (Some(x), Some(y)) = (x.get(..p.batch * in_img), y.get_mut(..p.batch * out_img)) else {
        return;
    };
    if in_img == 0 || out_img == 0 {
        return;
    }
    for (x_img, y_img) in x.chunks_exact(in_img).zip(y.chunks_exact_mut(out_img)) {
        for (pix, y_pix) in y_img.chunks_exact_mut(c).enumerate() {
            let win = pool_window(p, pix / p.out_w, pix % p.out_w);
            let count = if MAX { 1.0 } else { divisor(p, win) as f32 };
            let at = At { p, x_img, win, count };
            let full = c / LANES;
            let mut v = 0;
            // SAFETY: `x_img` is one whole image (`chunks_exact`), `win` holds only taps inside
            // it (`tap_range`), `y_pix` has `C` floats, and the vectors `v..` stay below `C`
            // (the last partial one masked).
            unsafe {
                while v + POOL_CHUNK <= full {
                    window_block::<MAX, POOL_CHUNK>(&at, v, None, y_pix);
                    v += POOL_CHUNK;
                }
                while v < full {
                    window_block::<MAX, 1>(&at, v, None, y_pix);
                    v += 1;
                }
                let rest = c % LANES;
                if rest > 0 {
                    window_block::<MAX, 1>(&at, v, Some(tail(rest)), y_pix);
                }
            }
        }
    }
}

/// One output pixel's inputs: its image, window and average divisor.
struct At<'a> {
    p: &'a PoolParams,
    x_img: &'a [f32],
    win: Window,
    count: f32,
}

/// Loads vector `v` of a block at `ptr`, masked by `last` if it is the block's last vector.
///
/// # Safety
/// The lanes loaded must be readable.
#[inline(always)]
unsafe fn load_v<const CV: usize>(ptr: *const f32, v: usize, last: Option<Tail>) -> F32s {
    // SAFETY: guaranteed by the caller; masked-off lanes are not accessed.
    unsafe {
        match last {
            Some(t) if v + 1 == CV => load_tail(ptr, t),
            _ => load(ptr),
        }
    }
}

/// Stores vector `v` of a block, masked like [`load_v`].
///
/// # Safety
/// The lanes stored must be writable.
#[inline(always)]
unsafe fn store_v<const CV: usize>(ptr: *mut f32, val: F32s, v: usize, last: Option<Tail>) {
    // SAFETY: guaranteed by the caller; masked-off lanes are not accessed.
    unsafe {
        match last {
            Some(t) if v + 1 == CV => store_tail(ptr, val, t),
            _ => store(ptr, val),
        }
    }
}

/// Channel vectors `v0 .. v0 + CV` of one output pixel (the last masked by `last`).
///
/// # Safety
/// `x_img` is a whole `[in_h, in_w, C]` image, the window's taps are inside it, `y_pix` has `C`
/// floats, and the block's lanes (masked) are below `C`.
#[inline(always)]
unsafe fn window_block<const MAX: bool, const CV: usize>(at: &At, v0: usize, last: Option<Tail>, y_pix: &mut [f32]) {
    let p = at.p;
    let c = p.channels;
    let (dh, dw) = (p.dilation_h.max(1), p.dilation_w.max(1));
    let mut acc = [splat(if MAX { f32::MIN } else { 0.0 }); CV];
    // SAFETY (whole body): tap `(h, w)` lies inside the image (window from `tap_range`), so its
    // `C` channels are in `x_img`; lanes stay below `C` (caller).
    unsafe {
        let x0 = at.x_img.as_ptr().add(v0 * LANES);
        for kh in at.win.kh.0..at.win.kh.1 {
            let h = (at.win.hs + (kh * dh) as isize) as usize;
            for kw in at.win.kw.0..at.win.kw.1 {
                let w = (at.win.ws + (kw * dw) as isize) as usize;
                let tap = x0.add((h * p.in_w + w) * c);
                for (v, a) in acc.iter_mut().enumerate() {
                    let xv = load_v::<CV>(tap.add(v * LANES), v, last);
                    // `max(xv, a)` is `a` where `xv` is NaN: NaN is skipped.
                    *a = if MAX { max(xv, *a) } else { add(*a, xv) };
                }
            }
        }
        let count = splat(at.count);
        let y0 = y_pix.as_mut_ptr().add(v0 * LANES);
        for (v, &a) in acc.iter().enumerate() {
            let val = if MAX { a } else { div(a, count) };
            store_v::<CV>(y0.add(v * LANES), val, v, last);
        }
    }
}

/// ONNX `GlobalAveragePool` on NHWC, as the generic `global_avg_pool_nhwc`.
#[inline(always)]
pub fn global_avg_pool_nhwc(p: &GlobalPoolNhwcParams, x: &[f32], y: &mut [f32]) {
    global::<false>(p, x, y);
}

/// ONNX `GlobalMaxPool` on NHWC, as the generic `global_max_pool_nhwc`.
#[inline(always)]
pub fn global_max_pool_nhwc(p: &GlobalPoolNhwcParams, x: &[f32], y: &mut [f32]) {
    global::<true>(p, x, y);
}

/// Global max (`MAX`) or average pooling; does nothing if a buffer is too short.
#[inline(always)]
fn global<const MAX: bool>(p: &GlobalPoolNhwcParams, x: &[f32], y: &mut [f32]) {
    let c = p.channels;
    let (Some(x), Some(y)) = (x.get(..p.batch * p.spatial * c), y.get_mut(..p.batch * c)) else {
        return;
    };
    if p.spatial == 0 || c == 0 {
        return;
    }
    for (x_img, y_img) in x.chunks_exact(p.spatial * c).zip(y.chunks_exact_mut(c)) {
        let full = c / LANES;
        let mut v = 0;
        // SAFETY: `x_img` holds `spatial · C` floats, `y_img` `C`; vectors stay below `C`.
        unsafe {
            while v + POOL_CHUNK <= full {
                global_block::<MAX, POOL_CHUNK>(p, x_img, v, None, y_img);
                v += POOL_CHUNK;
            }
            while v < full {
                global_block::<MAX, 1>(p, x_img, v, None, y_img);
                v += 1;
            }
            let rest = c % LANES;
            if rest > 0 {
                global_block::<MAX, 1>(p, x_img, v, Some(tail(rest)), y_img);
            }
        }
    }
}

/// Channel vectors `v0 .. v0 + CV` of one image, reduced over its pixels in order.
///
/// # Safety
/// `x_img` has `spatial · C` floats, `y_img` `C`, and the block's lanes (masked) are below `C`.
#[inline(always)]
unsafe fn global_block<const MAX: bool, const CV: usize>(p: &GlobalPoolNhwcParams, x_img: &[f32], v0: usize, last: Option<Tail>, y_img: &mut [f32]) {
    let c = p.channels;
    let mut acc = [splat(if MAX { f32::MIN } else { 0.0 }); CV];
    // SAFETY (whole body): pixel `s < spatial` has its `C` channels in `x_img`; lanes stay
    // below `C` (caller).
    unsafe {
        let x0 = x_img.as_ptr().add(v0 * LANES);
        for s in 0..p.spatial {
            let px = x0.add(s * c);
            for (v, a) in acc.iter_mut().enumerate() {
                let xv = load_v::<CV>(px.add(v * LANES), v, last);
                *a = if MAX { max(xv, *a) } else { add(*a, xv) };
            }
        }
        let count = splat(p.spatial as f32);
        let y0 = y_img.as_mut_ptr().add(v0 * LANES);
        for (v, &a) in acc.iter().enumerate() {
            let val = if MAX { a } else { div(a, count) };
            store_v::<CV>(y0.add(v * LANES), val, v, last);
        }
    }
}
