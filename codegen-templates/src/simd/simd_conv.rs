//! SIMD convolution (NCHW) over the target's `vec.rs`: pointwise as a GEMM on the input,
//! k×k as a GEMM on column blocks of patches gathered into a stack scratch (no full im2col
//! buffer), depthwise with a kernel of its own over a zero-padded, stride-deinterleaved copy
//! of each channel. Grouped (non-depthwise) convolutions and shapes whose blocks do not fit the
//! scratch fall back to the generic kernel.

use super::conv::{valid_range, ConvParams};
use super::simd_gemm::{gemm_core, gemm_offsets, TileBias};
use super::vec::{evens, fma, load, load_tail, max, min, splat, store, store_tail, tail, F32s, LANES};
use super::activation::{apply_in_place, Activation};
use core::mem::MaybeUninit;

/// Floats of the per-call stack scratch (patch blocks, padded depthwise planes): 256 KiB,
/// left uninitialized; each fill writes every element it hands to the arithmetic.
pub const CONV_SCRATCH: usize = 64 * 1024;

/// Scratch memory of one call.
type Scratch = [MaybeUninit<f32>; CONV_SCRATCH];

/// Views scratch elements as floats.
///
/// # Safety
/// Every element of `s` must have been written.
#[inline(always)]
unsafe fn assume_written(s: &[MaybeUninit<f32>]) -> &[f32] {
    // SAFETY: `MaybeUninit<f32>` has the layout of `f32`, and the caller guarantees that every
    // element is initialized.
    unsafe { &*(s as *const [MaybeUninit<f32>] as *const [f32]) }
}

/// Views scratch elements as floats, mutably.
///
/// # Safety
/// Every element of `s` must have been written.
#[inline(always)]
unsafe fn assume_written_mut(s: &mut [MaybeUninit<f32>]) -> &mut [f32] {
    // SAFETY: as in `assume_written`; the exclusive borrow moves into the result.
    unsafe { &mut *(s as *mut [MaybeUninit<f32>] as *mut [f32]) }
}

/// Writes 0 to every element of `dst`.
#[inline(always)]
fn write_zeros(dst: &mut [MaybeUninit<f32>]) {
    for d in dst.iter_mut() {
        d.write(0.0);
    }
}

/// Writes `src[0], src[stride], …` to every element of `dst`; false if `src` is too short.
#[inline(always)]
fn write_strided(dst: &mut [MaybeUninit<f32>], src: &[f32], stride: usize) -> bool {
    if dst.is_empty() {
        return true;
    }
    let Some(src) = src.get(..(dst.len() - 1) * stride + 1) else { return false };
    if stride == 1 {
        for (d, &s) in dst.iter_mut().zip(src) {
            d.write(s);
        }
    } else if stride == 2 {
        // `src` holds at least `2·len - 1` floats (checked above): each vector of `dst` is the
        // even lanes of two source vectors, the last ones loaded masked to what remains.
        let (len, have) = (dst.len(), src.len());
        let mut i = 0;
        while i < len {
            let take = if len - i < LANES { len - i } else { LANES };
            let avail = have - 2 * i;
            // SAFETY: lanes read are `src[2i..2i + min(avail, 2·LANES)]`, inside `src`; lanes
            // written are `dst[i..i + take]`, inside `dst`; `MaybeUninit<f32>` has the layout
            // of `f32`.
            unsafe {
                let p = src.as_ptr().add(2 * i);
                let (lo, hi) = if avail >= 2 * LANES {
                    (load(p), load(p.add(LANES)))
                } else if avail > LANES {
                    (load(p), load_tail(p.add(LANES), tail(avail - LANES)))
                } else {
                    (load_tail(p, tail(avail)), splat(0.0))
                };
                let out = dst.as_mut_ptr().add(i).cast::<f32>();
                if take == LANES {
                    store(out, evens(lo, hi));
                } else {
                    store_tail(out, evens(lo, hi), tail(take));
                }
            }
            i += take;
        }
    } else {
        for (d, &s) in dst.iter_mut().zip(src.iter().step_by(stride)) {
            d.write(s);
        }
    }
    true
}

/// `y = act(conv(x, w) + bias)`, same contract as the generic `conv2d`.
#[inline(always)]
pub fn conv2d(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let plain = p.dilation_h >= 1 && p.dilation_w >= 1 && p.stride_h >= 1 && p.stride_w >= 1 && p.batch >= 1;
    let depthwise = p.groups == p.in_channels && p.groups == p.out_channels && p.groups > 1;
    if plain && p.groups == 1 {
        let pointwise = p.kernel_h == 1
            && p.kernel_w == 1
            && p.stride_h == 1
            && p.stride_w == 1
            && p.pad_top == 0
            && p.pad_left == 0
            && p.out_h == p.in_h
            && p.out_w == p.in_w;
        if pointwise {
            return conv_pointwise(p, x, w, bias, y);
        }
        if p.stride_h == 1 && p.stride_w == 1 && shifted_fits(p) {
            return conv_shifted(p, x, w, bias, y);
        }
        if p.in_channels * p.kernel_h * p.kernel_w <= CONV_SCRATCH / LANES {
            return conv_patches(p, x, w, bias, y);
        }
    }
    if plain && depthwise && depthwise_fits(p) {
        return conv_depthwise(p, x, w, bias, y);
    }
    super::conv::conv2d(p, x, w, bias, y)
}

/// A convolution's optional per-channel bias as a GEMM row bias.
pub fn conv_bias(bias: Option<&[f32]>) -> TileBias<'_> {
    match bias {
        Some(b) => TileBias::Row(b),
        None => TileBias::None,
    }
}

/// 1×1, stride 1, no padding: `Y[M, HW] = W[M, C] · X[C, HW]` per image.
#[inline(always)]
fn conv_pointwise(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let (c, m, hw) = (p.in_channels, p.out_channels, p.in_h * p.in_w);
    if c * hw == 0 || m * hw == 0 {
        return super::conv::conv2d(p, x, w, bias, y);
    }
    for (xn, yn) in x.chunks_exact(c * hw).zip(y.chunks_exact_mut(m * hw)).take(p.batch) {
        gemm_core(m, hw, c, w, c, xn, hw, conv_bias(bias), p.act, yn, hw);
    }
}

/// Most taps (`C·kh·kw`) of a stride-1 convolution done as an implicit GEMM.
pub const MAX_TAPS: usize = 4096;

fn shifted_fits(p: &ConvParams) -> bool {
    let ph = phases(p);
    let slack = (p.kernel_w.max(1) - 1) * p.dilation_w;
    let taps = p.in_channels * p.kernel_h * p.kernel_w;
    p.in_channels * ph.padded_h * ph.phase_w + slack <= CONV_SCRATCH
        && p.out_channels * p.out_h * ph.phase_w <= CONV_SCRATCH
        && taps > 0
        && taps <= MAX_TAPS
        && p.out_h * p.out_w > 0
}

/// Stride 1 (any kernel and dilation): an implicit GEMM without patch copies. The input is
/// copied once into a zero-padded buffer of padded width `pw`; the output is computed on a
/// grid `[M, out_h, pw]` (the `pw - out_w` extra columns of each row are discarded), whose
/// rows for tap `(c, ky, kx)` are the padded input shifted by `c·plane + ky·dh·pw + kx·dw`.
#[inline(always)]
fn conv_shifted(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let ph = phases(p);
    let (pw, plane) = (ph.phase_w, ph.padded_h * ph.phase_w);
    let (c, m, in_plane, out_plane) = (p.in_channels, p.out_channels, p.in_h * p.in_w, p.out_h * p.out_w);
    let taps = c * p.kernel_h * p.kernel_w;
    let slack = (p.kernel_w - 1) * p.dilation_w;
    let n = p.out_h * pw;
    if in_plane == 0 || p.out_w == 0 {
        return super::conv::conv2d(p, x, w, bias, y);
    }
    let mut offsets = [0usize; MAX_TAPS];
    for (i, off) in offsets.iter_mut().take(taps).enumerate() {
        let (ch, ky, kx) = (i / (p.kernel_h * p.kernel_w), i / p.kernel_w % p.kernel_h, i % p.kernel_w);
        *off = ch * plane + ky * p.dilation_h * pw + kx * p.dilation_w;
    }
    let Some(offsets) = offsets.get(..taps) else { return };
    let mut xpad: Scratch = [const { MaybeUninit::uninit() }; CONV_SCRATCH];
    let mut grid: Scratch = [const { MaybeUninit::uninit() }; CONV_SCRATCH];
    for (xn, yn) in x.chunks_exact(c * in_plane).zip(y.chunks_exact_mut(m * out_plane)).take(p.batch) {
        let Some(padded) = xpad.get_mut(..c * plane + slack) else { return };
        let Some((planes, rest)) = padded.split_at_mut_checked(c * plane) else { return };
        for (x_plane, pad_plane) in xn.chunks_exact(in_plane).zip(planes.chunks_exact_mut(plane)) {
            if !fill_phases(p, ph, x_plane, pad_plane) {
                return;
            }
        }
        write_zeros(rest);
        // SAFETY: `fill_phases` wrote every element of each of the `c` planes (`xn` holds `c`
        // planes, by `chunks_exact`, so none is skipped) and `rest` was zeroed just above.
        let padded = unsafe { assume_written(padded) };
        let Some(g) = grid.get_mut(..m * n) else { return };
        write_zeros(g);
        // SAFETY: every element of `g` was zeroed just above.
        let g = unsafe { assume_written_mut(g) };
        gemm_offsets(m, n, taps, w, taps, padded, offsets, conv_bias(bias), p.act, g, n);
        for (g_row, y_row) in g.chunks_exact(pw).zip(yn.chunks_exact_mut(p.out_w)) {
            if let Some(src) = g_row.get(..p.out_w) {
                y_row.copy_from_slice(src);
            }
        }
    }
}

/// k×k: for each block of output pixels, gathers the `C·kh·kw × block` patch matrix into the
/// scratch and multiplies `W[M, C·kh·kw]` by it into the block's columns of `Y`.
#[inline(always)]
fn conv_patches(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let kk = p.in_channels * p.kernel_h * p.kernel_w;
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let (c, m) = (p.in_channels, p.out_channels);
    if kk == 0 || in_plane == 0 || out_plane == 0 || m == 0 {
        return super::conv::conv2d(p, x, w, bias, y);
    }
    // Columns per block: as many whole vectors as the scratch holds (at least one, by the
    // caller's check), never more than the plane.
    let fit = CONV_SCRATCH / kk / LANES * LANES;
    let block = if fit < out_plane { fit } else { out_plane };
    let mut scratch: Scratch = [const { MaybeUninit::uninit() }; CONV_SCRATCH];
    for (xn, yn) in x.chunks_exact(c * in_plane).zip(y.chunks_exact_mut(m * out_plane)).take(p.batch) {
        let mut start = 0;
        while start < out_plane {
            let cols = if out_plane - start < block { out_plane - start } else { block };
            let Some(patches) = scratch.get_mut(..kk * cols) else { return };
            if !gather_patches(p, xn, start, cols, patches) {
                return;
            }
            // SAFETY: `gather_patches` returned true, so it wrote every element of `patches`.
            let patches = unsafe { assume_written(patches) };
            let Some(y_block) = yn.get_mut(start..) else { return };
            gemm_core(m, cols, kk, w, kk, patches, cols, conv_bias(bias), p.act, y_block, out_plane);
            start += cols;
        }
    }
}

/// Writes every element of `patches` (`C·kh·kw` rows of `cols`) with the input taps of output
/// pixels `start..start + cols` (row-major over the output plane); padding reads 0. Returns
/// false, with `patches` partly written, if `x` is shorter than the shape says.
#[inline(always)]
fn gather_patches(p: &ConvParams, x: &[f32], start: usize, cols: usize, patches: &mut [MaybeUninit<f32>]) -> bool {
    let in_plane = p.in_h * p.in_w;
    if x.len() < p.in_channels * in_plane || cols == 0 || p.out_w == 0 || patches.len() != p.in_channels * p.kernel_h * p.kernel_w * cols {
        return false;
    }
    let mut rows = patches.chunks_exact_mut(cols);
    for x_plane in x.chunks_exact(in_plane).take(p.in_channels) {
        for ky in 0..p.kernel_h {
            let tap_h = ky * p.dilation_h;
            for kx in 0..p.kernel_w {
                let tap_w = kx * p.dilation_w;
                let Some(row) = rows.next() else { return false };
                let (ox_lo, ox_hi) = valid_range(p.out_w, p.in_w, p.stride_w, tap_w, p.pad_left);
                // Walk the block one output row segment at a time.
                let mut done = 0;
                while done < cols {
                    let pix = start + done;
                    let (oy, ox0) = (pix / p.out_w, pix % p.out_w);
                    let seg = if p.out_w - ox0 < cols - done { p.out_w - ox0 } else { cols - done };
                    let Some(dst) = row.get_mut(done..done + seg) else { return false };
                    let iy = (oy * p.stride_h + tap_h).checked_sub(p.pad_top).filter(|&iy| iy < p.in_h);
                    match iy {
                        None => write_zeros(dst),
                        Some(iy) => {
                            // Output columns ox0..ox0+seg; valid ones are lo..hi.
                            let lo = ox_lo.clamp(ox0, ox0 + seg);
                            let hi = ox_hi.clamp(lo, ox0 + seg);
                            let Some((before, rest)) = dst.split_at_mut_checked(lo - ox0) else { return false };
                            let Some((mid, after)) = rest.split_at_mut_checked(hi - lo) else { return false };
                            write_zeros(before);
                            write_zeros(after);
                            let ix0 = (lo * p.stride_w + tap_w).wrapping_sub(p.pad_left);
                            let src = if mid.is_empty() { Some(x_plane) } else { x_plane.get(iy * p.in_w + ix0..) };
                            if !src.is_some_and(|src| write_strided(mid, src, p.stride_w)) {
                                return false;
                            }
                        }
                    }
                    done += seg;
                }
            }
        }
    }
    rows.next().is_none()
}

/// Geometry of the padded, stride-deinterleaved copy of one channel: `stride_w` phase planes of
/// `padded_h` rows × `phase_w` columns; phase `q` holds the padded columns `q, q + s, …`.
#[derive(Clone, Copy)]
struct Phases {
    padded_h: usize,
    phase_w: usize,
    stride: usize,
}

fn phases(p: &ConvParams) -> Phases {
    let padded_h = (p.out_h.max(1) - 1) * p.stride_h + (p.kernel_h.max(1) - 1) * p.dilation_h + 1;
    let padded_w = (p.out_w.max(1) - 1) * p.stride_w + (p.kernel_w.max(1) - 1) * p.dilation_w + 1;
    Phases { padded_h, phase_w: padded_w.div_ceil(p.stride_w.max(1)), stride: p.stride_w.max(1) }
}

fn depthwise_fits(p: &ConvParams) -> bool {
    let ph = phases(p);
    ph.padded_h * ph.phase_w * ph.stride <= CONV_SCRATCH && p.kernel_h * p.kernel_w > 0 && p.out_h * p.out_w > 0
}

/// Depthwise (`groups == C == M`): per channel, a zero-padded copy split by horizontal stride
/// phase, so every tap of a vector of outputs is one contiguous load.
#[inline(always)]
fn conv_depthwise(p: &ConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, y: &mut [f32]) {
    let (c, in_plane, out_plane, taps) = (p.in_channels, p.in_h * p.in_w, p.out_h * p.out_w, p.kernel_h * p.kernel_w);
    let ph = phases(p);
    let phase_plane = ph.padded_h * ph.phase_w;
    let (Some(x), Some(w), Some(y)) = (x.get(..p.batch * c * in_plane), w.get(..c * taps), y.get_mut(..p.batch * c * out_plane)) else {
        return;
    };
    if bias.is_some_and(|b| b.len() < c) || in_plane == 0 {
        return;
    }
    let mut scratch: Scratch = [const { MaybeUninit::uninit() }; CONV_SCRATCH];
    // Zeros after the planes, read by the last vectors of the grid form below.
    let slack = (p.kernel_w - 1) * p.dilation_w;
    let len = phase_plane * ph.stride + slack;
    // Narrow stride-1 outputs are computed on the padded grid `[out_h, phase_w]`, whole
    // vectors across rows, then copied out without the extra columns.
    let grid_form = ph.stride == 1 && p.stride_h == 1 && p.out_w < 4 * LANES;
    let mut grid: Scratch = [const { MaybeUninit::uninit() }; CONV_SCRATCH];
    let clamp = match p.act {
        Activation::Relu => Some((0.0, f32::INFINITY)),
        Activation::Clip { min, max } => Some((min, max)),
        _ => None,
    };
    let vecs = p.out_w.div_ceil(LANES);
    let last = tail(p.out_w - (vecs - 1) * LANES);
    for (plane, (x_plane, y_plane)) in x.chunks_exact(in_plane).zip(y.chunks_exact_mut(out_plane)).enumerate() {
        let ch = plane % c;
        let Some(w_ch) = w.get(ch * taps..(ch + 1) * taps) else { return };
        let b = bias.and_then(|b| b.get(ch)).copied().unwrap_or(0.0);
        let Some((planes, extra)) = scratch.get_mut(..len).and_then(|b| b.split_at_mut_checked(phase_plane * ph.stride)) else { return };
        write_zeros(extra);
        if !fill_phases(p, ph, x_plane, planes) {
            return;
        }
        let Some(padded) = scratch.get(..len) else { return };
        // SAFETY: `fill_phases` returned true, so it wrote every element of the planes, and
        // the `slack` elements after them were zeroed above.
        let padded = unsafe { assume_written(padded) };
        if grid_form {
            if !depthwise_grid(p, ph.phase_w, padded, w_ch, b, clamp, &mut grid, y_plane) {
                return;
            }
            if clamp.is_none() && !super::simd_math::apply_in_place(p.act, y_plane) {
                apply_in_place(p.act, y_plane);
            }
            continue;
        }
        for (oy, y_row) in y_plane.chunks_exact_mut(p.out_w).enumerate() {
            for v in 0..vecs {
                let ox = v * LANES;
                let mut acc = splat(b);
                for (ky, w_row) in w_ch.chunks_exact(p.kernel_w).enumerate() {
                    let py = oy * p.stride_h + ky * p.dilation_h;
                    for (kx, &wv) in w_row.iter().enumerate() {
                        let px = kx * p.dilation_w;
                        let start = (px % ph.stride) * phase_plane + py * ph.phase_w + px / ph.stride + ox;
                        let Some(src) = padded.get(start..) else { return };
                        // SAFETY: `ox + LANES <= out_w`, or the load is masked to `out_w`, and
                        // `out_w - 1 + px / stride < phase_w` by the construction of `phases`,
                        // so every loaded lane lies in the row `py` of phase `px % stride`,
                        // inside `src`.
                        let xv: F32s = unsafe {
                            if v + 1 < vecs {
                                load(src.as_ptr())
                            } else {
                                load_tail(src.as_ptr(), last)
                            }
                        };
                        acc = fma(splat(wv), xv, acc);
                    }
                }
                if let Some((lo, hi)) = clamp {
                    acc = min(splat(hi), max(splat(lo), acc));
                }
                let Some(dst) = y_row.get_mut(ox..) else { return };
                // SAFETY: lanes `ox..ox + LANES` (or up to `out_w` when masked) lie in `y_row`.
                unsafe {
                    if v + 1 < vecs {
                        store(dst.as_mut_ptr(), acc);
                    } else {
                        store_tail(dst.as_mut_ptr(), acc, last);
                    }
                }
            }
        }
        if clamp.is_none() && !super::simd_math::apply_in_place(p.act, y_plane) {
            apply_in_place(p.act, y_plane);
        }
    }
}

/// One stride-1 depthwise channel on the padded grid: output grid position `g` (row `g / pw`,
/// column `g % pw`) reads `padded[g + ky·dh·pw + kx·dw]`, so whole vectors run across output
/// rows; the `pw - out_w` extra columns of each grid row are dropped when copying to `y_plane`.
/// False if a buffer is shorter than the shape says.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn depthwise_grid(p: &ConvParams, pw: usize, padded: &[f32], w_ch: &[f32], b: f32, clamp: Option<(f32, f32)>, grid: &mut Scratch, y_plane: &mut [f32]) -> bool {
    let n = p.out_h * pw;
    let slack = (p.kernel_w - 1) * p.dilation_w;
    let Some(g) = grid.get_mut(..n) else { return false };
    if n == 0 || p.out_w > pw || padded.len() < (p.out_h + (p.kernel_h - 1) * p.dilation_h) * pw + slack {
        return false;
    }
    let vecs = n.div_ceil(LANES);
    let last = tail(n - (vecs - 1) * LANES);
    for v in 0..vecs {
        let mut acc = splat(b);
        for (ky, w_row) in w_ch.chunks_exact(p.kernel_w).enumerate() {
            for (kx, &wv) in w_row.iter().enumerate() {
                let start = ky * p.dilation_h * pw + kx * p.dilation_w + v * LANES;
                let Some(src) = padded.get(start..) else { return false };
                // SAFETY: the lanes read are `start..start + LANES` (or fewer, masked to `n`),
                // at most `n - 1 + (kh - 1)·dh·pw + (kw - 1)·dw < padded.len()` (checked above).
                let xv: F32s = unsafe {
                    if v + 1 < vecs {
                        load(src.as_ptr())
                    } else {
                        load_tail(src.as_ptr(), last)
                    }
                };
                acc = fma(splat(wv), xv, acc);
            }
        }
        if let Some((lo, hi)) = clamp {
            acc = min(splat(hi), max(splat(lo), acc));
        }
        let Some(dst) = g.get_mut(v * LANES..) else { return false };
        // SAFETY: lanes `v·LANES..` up to `n` (masked for the last vector) lie in `g`.
        unsafe {
            let dst = dst.as_mut_ptr().cast::<f32>();
            if v + 1 < vecs {
                store(dst, acc);
            } else {
                store_tail(dst, acc, last);
            }
        }
    }
    // SAFETY: the vectors above wrote every element of `g` (`vecs` vectors, the last masked to
    // the end of `g`).
    let g = unsafe { assume_written(g) };
    for (g_row, y_row) in g.chunks_exact(pw).zip(y_plane.chunks_exact_mut(p.out_w)) {
        let Some(src) = g_row.get(..p.out_w) else { return false };
        y_row.copy_from_slice(src);
    }
    true
}

/// Writes every element of the phase planes of one channel: input values where the padded
/// position lies inside the input, 0 elsewhere. Returns false, with `padded` partly written,
/// if `x_plane` is shorter than the shape says.
#[inline(always)]
fn fill_phases(p: &ConvParams, ph: Phases, x_plane: &[f32], padded: &mut [MaybeUninit<f32>]) -> bool {
    let phase_plane = ph.padded_h * ph.phase_w;
    if ph.phase_w == 0 || padded.len() != phase_plane * ph.stride {
        return false;
    }
    for (q, phase) in padded.chunks_exact_mut(phase_plane).enumerate() {
        let (lo, hi) = valid_range(ph.phase_w, p.in_w, ph.stride, q, p.pad_left);
        for (py, row) in phase.chunks_exact_mut(ph.phase_w).enumerate() {
            let iy = py.checked_sub(p.pad_top).filter(|&iy| iy < p.in_h);
            let Some(iy) = iy.filter(|_| hi > lo) else {
                write_zeros(row);
                continue;
            };
            let Some((before, rest)) = row.split_at_mut_checked(lo) else { return false };
            let Some((mid, after)) = rest.split_at_mut_checked(hi - lo) else { return false };
            write_zeros(before);
            write_zeros(after);
            let ix0 = lo * ph.stride + q - p.pad_left;
            let Some(src) = x_plane.get(iy * p.in_w + ix0..) else { return false };
            if !write_strided(mid, src, ph.stride) {
                return false;
            }
        }
    }
    true
}
