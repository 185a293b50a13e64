//! SIMD depthwise convolution on channels-last tensors (`groups == C == M`, packed weights
//! `[kh · kw, C]`), for `simd_conv_nhwc::conv2d_nhwc`: vectors across channels, a few pixels at
//! a time sharing each weight vector. Taps in the padding are skipped, not read as zeros,
//! except in a row of a 3-wide kernel no wider than one block: that block uses zeros for the
//! padding columns, which it does not load.

use super::conv::{valid_range, ConvParams};
use super::simd_conv_nhwc::{clamp_of, finish};
use super::vec::{add, fma, load, load_tail, max, min, splat, store, store_tail, tail, zero, Tail, DW_SHARED_VECS, LANES};

/// Output pixels a depthwise step computes with each weight vector it loads (two vectors of
/// channels at a time; twice as many pixels with one vector where the row is wide enough).
const DW_PIXELS: usize = 4;

/// Pixels of a block that shares input columns among its taps ([`dw_block_shared`]).
const SHARED_PIXELS: usize = 2 * DW_PIXELS;

/// Channel vectors a depthwise row pass covers.
const DW_CHUNK: usize = 4;

/// Depthwise (`groups == C == M`), packed weights `[kh · kw, C]`, same contract as
/// `conv2d_nhwc`: does nothing if a buffer is too short or the shape is not depthwise.
#[inline(always)]
pub fn depthwise_nhwc(c: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
    let ch = c.in_channels;
    let y_len = c.batch * c.out_h * c.out_w * ch;
    let shape_ok = c.groups > 1 && c.groups == ch && c.out_channels == ch && c.stride_h > 0 && c.stride_w > 0 && c.dilation_h > 0 && c.dilation_w > 0;
    let sizes_ok = c.kernel_h > 0 && c.kernel_w > 0 && c.in_h > 0 && c.in_w > 0 && y_len > 0;
    let lengths_ok = x.len() >= c.batch * c.in_h * c.in_w * ch
        && w.len() >= c.kernel_h * c.kernel_w * ch
        && y.len() >= y_len
        && bias.is_none_or(|b| b.len() >= ch)
        && residual.is_none_or(|r| r.len() >= y_len);
    if !(shape_ok && sizes_ok && lengths_ok) {
        return;
    }
    let Some(y) = y.get_mut(..y_len) else { return };
    let row_len = c.out_w * ch;
    // Output columns whose every horizontal tap is inside the input: the valid range of a tap
    // moves left as its offset grows, so that is [lo of the first tap, hi of the last).
    let (lo_first, _) = valid_range(c.out_w, c.in_w, c.stride_w, 0, c.pad_left);
    let (_, hi_last) = valid_range(c.out_w, c.in_w, c.stride_w, (c.kernel_w - 1) * c.dilation_w, c.pad_left);
    let dw = Depthwise { c: *c, x: x.as_ptr(), w: w.as_ptr(), bias: bias.map_or(core::ptr::null(), <[f32]>::as_ptr), res: residual.map_or(core::ptr::null(), <[f32]>::as_ptr), clamp: clamp_of(c.act) };
    for (row, y_row) in y.chunks_exact_mut(row_len).enumerate() {
        let (n, oy) = (row / c.out_h, row % c.out_h);
        let ky = valid_taps(oy, c.out_h, c.in_h, c.stride_h, c.kernel_h, c.dilation_h, c.pad_top);
        let at = Taps { n, oy, ox: 0, ky, kx: (0, c.kernel_w) };
        // Channels go in chunks of `DW_CHUNK` vectors across the whole row: the chunk's input
        // pixels, re-read by neighbouring taps, stay in L1 even when `C` is large.
        let full = ch / LANES;
        let mut v = 0;
        while v < full {
            let end = if full - v < DW_CHUNK { full } else { v + DW_CHUNK };
            dw_row(&dw, &at, (v, end, None), (lo_first, hi_last), y_row);
            v = end;
        }
        let rest = ch % LANES;
        if rest > 0 {
            dw_row(&dw, &at, (full, full + 1, Some(tail(rest))), (lo_first, hi_last), y_row);
        }
        finish(c.act, y_row);
    }
}

/// The taps `[first, end)` along one axis that output position `o` reads inside the input
/// (`first == end` when none does); the arguments are that axis's sizes and options.
#[inline(always)]
fn valid_taps(o: usize, out_len: usize, in_len: usize, stride: usize, kernel: usize, dilation: usize, pad: usize) -> (usize, usize) {
    let (mut first, mut end) = (kernel, 0);
    for k in 0..kernel {
        let (lo, hi) = valid_range(out_len, in_len, stride, k * dilation, pad);
        if o >= lo && o < hi {
            first = first.min(k);
            end = k + 1;
        }
    }
    (first, end.max(first))
}

/// The validated operands of a depthwise convolution; built only by [`depthwise_nhwc`].
struct Depthwise {
    c: ConvParams,
    /// `batch · in_h · in_w · C` floats.
    x: *const f32,
    /// `kh · kw · C` floats.
    w: *const f32,
    /// `C` floats, or null.
    bias: *const f32,
    /// `batch · out_h · out_w · C` floats added before the activation, or null.
    res: *const f32,
    clamp: Option<(f32, f32)>,
}

/// Channel vectors `vr.0 .. vr.1` (the last one masked by `vr.2`) of output row `at.oy` of
/// image `at.n`, whose valid vertical taps are `at.ky`; `interior` is the range of output
/// columns whose every horizontal tap is inside the input. `y_row` is the output row.
#[inline(always)]
fn dw_row(d: &Depthwise, at: &Taps, vr: (usize, usize, Option<Tail>), interior: (usize, usize), y_row: &mut [f32]) {
    let c = &d.c;
    let ch = c.in_channels;
    if y_row.len() != c.out_w * ch {
        return;
    }
    // 3-wide kernels at stride 1 or 2 go in blocks of `P` pixels that share each input column
    // among their taps. A row no wider than a block is one block in which columns outside
    // the input read as zeros and only the pixels the row has are stored, instead of pixels
    // one at a time at its ends (MobileNetV2's 7-wide layers: 30% faster on AVX2). Wider
    // rows keep that path for their ends: as masked blocks, its 14-wide layers were 2-11%
    // slower on AVX2.
    const P: usize = SHARED_PIXELS;
    let shared = vr.2.is_none() && c.kernel_w == 3 && c.dilation_w == 1 && c.stride_w <= 2;
    if shared && c.out_w <= P {
        // SAFETY: `at.n < batch` and `at.oy` has the valid vertical taps `at.ky` (caller);
        // the row's `out_w` pixels' outputs are `y_row` (length checked above); the `EDGE`
        // instance reads only input columns inside the input.
        unsafe { dw_shared_vectors::<true>(d, &Taps { ox: 0, kx: (0, 3), ..*at }, vr, c.out_w, y_row.as_mut_ptr()) };
        return;
    }
    let mut ox = 0;
    while ox < c.out_w {
        let y_px = y_row.as_mut_ptr().wrapping_add(ox * ch);
        if shared && ox >= interior.0 && ox + P <= interior.1 {
            // SAFETY: as above, for pixels `ox .. ox + P`, every horizontal tap of which is
            // inside the input.
            unsafe { dw_shared_vectors::<false>(d, &Taps { ox, kx: (0, 3), ..*at }, vr, P, y_px) };
            ox += P;
        } else if ox >= interior.0 && ox + 2 * DW_PIXELS <= interior.1 {
            let at = Taps { ox, kx: (0, c.kernel_w), ..*at };
            // SAFETY: `at.n < batch`, `at.oy` has the valid vertical taps `at.ky` (caller),
            // pixels `ox .. ox + 2 · DW_PIXELS` lie in the interior where every horizontal
            // tap is valid, and their outputs lie in `y_row` (length checked above).
            unsafe { dw_pixels::<{ 2 * DW_PIXELS }, 1>(d, &at, vr, y_px) };
            ox += 2 * DW_PIXELS;
        } else if ox >= interior.0 && ox + DW_PIXELS <= interior.1 {
            let at = Taps { ox, kx: (0, c.kernel_w), ..*at };
            // SAFETY: as above, for pixels `ox .. ox + DW_PIXELS`.
            unsafe { dw_pixels::<DW_PIXELS, 2>(d, &at, vr, y_px) };
            ox += DW_PIXELS;
        } else {
            let kx = valid_taps(ox, c.out_w, c.in_w, c.stride_w, c.kernel_w, c.dilation_w, c.pad_left);
            let at = Taps { ox, kx, ..*at };
            // SAFETY: as above, with the valid horizontal taps of pixel `ox` alone.
            unsafe { dw_pixels::<1, 4>(d, &at, vr, y_px) };
            ox += 1;
        }
    }
}

/// Whole channel vectors `vr.0 .. vr.1` of the first `count` of the [`SHARED_PIXELS`] pixels
/// of `at` (3-wide kernel, stride 1 or 2, no dilation) with [`dw_block_shared`]. Stride 2 takes
/// `DW_SHARED_VECS` vectors at once: its 8 accumulators alone leave the FMA units waiting
/// (MobileNetV2's 96-channel stride-2 layer on AVX-512: 17% faster with two). At stride 1
/// two were no faster.
///
/// # Safety
/// As for [`dw_block_shared`], for every vector of `vr` (which has no tail).
#[inline(always)]
unsafe fn dw_shared_vectors<const EDGE: bool>(d: &Depthwise, at: &Taps, vr: (usize, usize, Option<Tail>), count: usize, y_px: *mut f32) {
    const P: usize = SHARED_PIXELS;
    let mut v = vr.0;
    while v < vr.1 {
        // SAFETY: forwarded from the caller; `v .. v + DW_SHARED_VECS` inside `vr` for the
        // wide call.
        unsafe {
            if d.c.stride_w == 1 {
                dw_block_shared::<P, 3, 1, { (P - 1) + 3 }, 1, EDGE>(d, at, v, count, y_px);
                v += 1;
            } else if v + DW_SHARED_VECS <= vr.1 {
                dw_block_shared::<P, 3, 2, { (P - 1) * 2 + 3 }, DW_SHARED_VECS, EDGE>(d, at, v, count, y_px);
                v += DW_SHARED_VECS;
            } else {
                dw_block_shared::<P, 3, 2, { (P - 1) * 2 + 3 }, 1, EDGE>(d, at, v, count, y_px);
                v += 1;
            }
        }
    }
}

/// Channel vectors `vr.0 .. vr.1` (the last masked by `vr.2`) of the `P` pixels of `at`, over
/// its taps, written to `y_px` (`P · C` floats). Channels go `CV` vectors at a time so that
/// `P · CV` independent accumulators hide the FMA latency; the rest one vector at a time.
///
/// # Safety
/// `at.n < batch`, `at.oy < out_h`, `at.ox + P <= out_w`, the tap ranges of `at` are inside the
/// input for every one of the `P` pixels, the vectors of `vr` hold channels below `C`, and
/// `y_px` points to `P · C` writable floats.
#[inline(always)]
unsafe fn dw_pixels<const P: usize, const CV: usize>(d: &Depthwise, at: &Taps, vr: (usize, usize, Option<Tail>), y_px: *mut f32) {
    let (mut v, end, last) = vr;
    // SAFETY: forwarded from the caller; blocks stay inside `vr`.
    unsafe {
        if last.is_some() {
            return dw_block::<P, 1>(d, at, v, last, y_px);
        }
        while v + CV <= end {
            dw_block::<P, CV>(d, at, v, None, y_px);
            v += CV;
        }
        while v < end {
            dw_block::<P, 1>(d, at, v, None, y_px);
            v += 1;
        }
    }
}

/// Channel vectors `v0 .. v0 + CV` (whole) of the first `count` of the `P` pixels of `at`, for
/// a kernel `KW` wide with horizontal stride `S` and no dilation: each of the `N = (P - 1) · S +
/// KW` input columns of a kernel row is loaded once and feeds every tap that reads it, where
/// [`dw_block`] makes `P · KW` loads. With `CV == 2` the two vectors' `2 · P` accumulator
/// chains interleave, so the FMA latency is hidden even though each chain is `kh · KW` long.
/// With `EDGE`, columns outside the input read as zeros (the padding) and are not loaded.
///
/// # Safety
/// `at.n < batch`, `at.oy < out_h` with valid vertical taps `at.ky`, `1 <= count <= P`,
/// `at.ox + count <= out_w`, `c.kernel_w == KW`, `c.stride_w == S`, `c.dilation_w == 1`,
/// channels `v0 · LANES .. (v0 + CV) · LANES` below `C`, and `y_px` points to the `count · C`
/// writable floats of those pixels. Unless `EDGE`, `count == P` and every horizontal tap of the
/// `P` pixels is inside the input.
#[inline(always)]
unsafe fn dw_block_shared<const P: usize, const KW: usize, const S: usize, const N: usize, const CV: usize, const EDGE: bool>(d: &Depthwise, at: &Taps, v0: usize, count: usize, y_px: *mut f32) {
    let c = &d.c;
    let ch = c.in_channels;
    let c0 = v0 * LANES;
    let ix0 = (at.ox * S) as isize - c.pad_left as isize;
    // Which of the `N` input columns exist (all of them unless `EDGE`).
    let mut live = [true; N];
    if EDGE {
        for (j, l) in live.iter_mut().enumerate() {
            let ix = ix0 + j as isize;
            *l = ix >= 0 && (ix as usize) < c.in_w;
        }
    }
    // SAFETY (whole body): input column `ix0 + j` is read only where `live[j]`, which is inside
    // the input (every column is, unless `EDGE`), at a row `iy` of `at.ky`, for channels `c0 ..
    // c0 + CV · LANES`; the residual and `y` are touched at the first `count` pixels only.
    unsafe {
        // A constant for interior blocks, so their epilogue unrolls.
        let count = if EDGE { count } else { P };
        let mut acc = [[zero(); P]; CV];
        if !d.bias.is_null() {
            for (v, acc_v) in acc.iter_mut().enumerate() {
                *acc_v = [load(d.bias.add(c0 + v * LANES)); P];
            }
        }
        for ty in at.ky.0..at.ky.1 {
            let iy = at.oy * c.stride_h + ty * c.dilation_h - c.pad_top;
            for (v, acc_v) in acc.iter_mut().enumerate() {
                let x_row = d.x.add((at.n * c.in_h + iy) * c.in_w * ch + c0 + v * LANES).wrapping_offset(ix0 * ch as isize);
                let w_row = d.w.add(ty * KW * ch + c0 + v * LANES);
                let mut xs = [zero(); N];
                for (j, (xv, &l)) in xs.iter_mut().zip(live.iter()).enumerate() {
                    if l {
                        *xv = load(x_row.wrapping_add(j * ch));
                    }
                }
                for tx in 0..KW {
                    let wv = load(w_row.add(tx * ch));
                    for (q, a) in acc_v.iter_mut().enumerate() {
                        // Input `q · S + tx` is tap `tx` of pixel `q` (`N` covers them all).
                        if let Some(&xv) = xs.get(q * S + tx) {
                            *a = fma(xv, wv, *a);
                        }
                    }
                }
            }
        }
        for (v, acc_v) in acc.iter_mut().enumerate() {
            let cv = c0 + v * LANES;
            if !d.res.is_null() {
                let res_px = d.res.add(((at.n * c.out_h + at.oy) * c.out_w + at.ox) * ch + cv);
                for (q, a) in acc_v.iter_mut().enumerate().take(count) {
                    *a = add(*a, load(res_px.add(q * ch)));
                }
            }
            for (q, &val) in acc_v.iter().enumerate().take(count) {
                let val = match d.clamp {
                    Some((lo, hi)) => min(splat(hi), max(splat(lo), val)),
                    None => val,
                };
                store(y_px.add(q * ch + cv), val);
            }
        }
    }
}

/// The pixels and valid taps of one [`dw_pixels`] call.
#[derive(Clone, Copy)]
struct Taps {
    n: usize,
    oy: usize,
    ox: usize,
    ky: (usize, usize),
    kx: (usize, usize),
}

/// Channel vectors `v0 .. v0 + CV` of the pixels of `at`; the last vector masked by `last`.
///
/// # Safety
/// As for [`dw_pixels`], and channels `v0 · LANES ..` up to `(v0 + CV) · LANES` (or the live
/// lanes of `last` in the last vector) are below `C`.
#[inline(always)]
unsafe fn dw_block<const P: usize, const CV: usize>(d: &Depthwise, at: &Taps, v0: usize, last: Option<Tail>, y_px: *mut f32) {
    let c = &d.c;
    let ch = c.in_channels;
    let ld = |p: *const f32, v: usize| match last {
        // SAFETY: the caller guarantees the lanes (masked ones are not accessed).
        Some(t) if v + 1 == CV => unsafe { load_tail(p, t) },
        // SAFETY: as above, whole vector.
        _ => unsafe { load(p) },
    };
    // SAFETY (whole body): channel offsets stay below `C` (caller); tap `(ty, tx)` of pixel
    // `ox + q` is input `(iy, ix)` inside the input by the caller's contract; weights `[t, C]`
    // have `kh · kw` rows; outputs lie in `y_px`'s `P · C` floats, and the residual (same
    // shape as `y`) at the same pixels.
    unsafe {
        let c0 = v0 * LANES;
        let mut acc = [[zero(); CV]; P];
        if !d.bias.is_null() {
            for a in acc.iter_mut() {
                for (v, av) in a.iter_mut().enumerate() {
                    *av = ld(d.bias.add(c0 + v * LANES), v);
                }
            }
        }
        for ty in at.ky.0..at.ky.1 {
            let iy = at.oy * c.stride_h + ty * c.dilation_h - c.pad_top;
            let x_row = d.x.add((at.n * c.in_h + iy) * c.in_w * ch + c0);
            for tx in at.kx.0..at.kx.1 {
                let w_tap = d.w.add((ty * c.kernel_w + tx) * ch + c0);
                let mut wv = [zero(); CV];
                for (v, slot) in wv.iter_mut().enumerate() {
                    *slot = ld(w_tap.add(v * LANES), v);
                }
                let ix0 = at.ox * c.stride_w + tx * c.dilation_w - c.pad_left;
                for (q, a) in acc.iter_mut().enumerate() {
                    let x_px = x_row.add((ix0 + q * c.stride_w) * ch);
                    for ((v, av), &w) in a.iter_mut().enumerate().zip(wv.iter()) {
                        *av = fma(ld(x_px.add(v * LANES), v), w, *av);
                    }
                }
            }
        }
        if !d.res.is_null() {
            let res_px = d.res.add(((at.n * c.out_h + at.oy) * c.out_w + at.ox) * ch + c0);
            for (q, a) in acc.iter_mut().enumerate() {
                for (v, av) in a.iter_mut().enumerate() {
                    *av = add(*av, ld(res_px.add(q * ch + v * LANES), v));
                }
            }
        }
        for (q, a) in acc.iter().enumerate() {
            for (v, &val) in a.iter().enumerate() {
                let val = match d.clamp {
                    Some((lo, hi)) => min(splat(hi), max(splat(lo), val)),
                    None => val,
                };
                let p = y_px.add(q * ch + c0 + v * LANES);
                match last {
                    Some(t) if v + 1 == CV => store_tail(p, val, t),
                    _ => store(p, val),
                }
            }
        }
    }
}
