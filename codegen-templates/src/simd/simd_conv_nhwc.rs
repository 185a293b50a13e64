//! SIMD convolution on channels-last tensors (NHWC) over the target's `vec.rs`, same contract as
//! the generic `conv_nhwc::conv2d_nhwc` (which it falls back to for shapes it does not cover).
//!
//! - `groups == 1`: an indirect GEMM `Y[pixels, M] = A[pixels, K] · W[K, M]` (+ bias, + the
//!   fused residual, then the activation). A tile is `GEMM_ROWS` output pixels × one weight
//!   panel (packed at compile time, 1 to `GEMM_VECS` whole vectors wide); per tap it points each row at
//!   that pixel's `C` input channels, or at a zero row when the tap is in the padding. No
//!   im2col buffer, no padded copy, no packing at run time. Pointwise stride-1 tiles read `x`
//!   as `A` directly, and tiles whose every tap is inside the input skip the per-tap bounds
//!   checks (and read a kernel row's `kw · C` taps as one run). With one or two input
//!   channels (kernel rows of a few floats, like a first layer on audio features), a
//!   block of pixels first gathers its windows into a stack buffer as rows of `K` floats, and
//!   the tiles read those rows whole instead of one short run per tap. Pixels go in blocks
//!   small enough that every panel passes over a block in cache.
//! - depthwise: `simd_depthwise_nhwc.rs`.

use super::activation::{apply_in_place, Activation};
use super::conv::ConvParams;
use super::conv_nhwc::{is_depthwise, packed_weight_len, supported, ConvNhwcParams};
use super::vec::{add, fma, load, load_tail, max, min, prefetch, splat, store, store_tail, tail, zero, F32s, Tail, GEMM_ROWS, GEMM_VECS, LANES};
use core::mem::MaybeUninit;

/// Floats of the zero row that padding taps read (16 KiB): the most input channels of a
/// `groups == 1` convolution on the SIMD path, unless it is pointwise (a Dense layer). A
/// gathered convolution uses the same buffer for its gathered rows instead.
pub const ZERO_ROW: usize = 4096;

/// Floats of `A` (pixels × `K`) one block of pixels spans; every weight panel passes over the
/// block while it is still in L2 (256 KiB).
const BLOCK_FLOATS: usize = 64 * 1024;

/// Floats of `Y` one block of pixels spans at most (256 KiB): the panels write a block's rows
/// while they are still in L2, so each output line is filled before it is evicted. A 7×7 map
/// with 1280 channels is then one block, and each weight panel passes once over all its
/// pixels instead of once per 8 (MobileNetV2's last 1×1 layer: 3% and 9% faster than with
/// 64 KiB in two per-layer profiles).
const Y_BLOCK_FLOATS: usize = 64 * 1024;

/// Rows of the tile for a one-vector panel (`M` of at most `LANES` columns left).
const TALL_ROWS: usize = 2 * GEMM_ROWS;

/// `y = act(conv(x, w) + bias + residual)` for NHWC `x` `[N, H, W, C]`, packed `w`, and NHWC
/// `residual` and `y` `[N, oh, ow, M]`, same contract as the generic `conv2d_nhwc`: does
/// nothing if a buffer is too short or the convolution is not supported.
#[inline(always)]
pub fn conv2d_nhwc(p: &ConvNhwcParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
    let c = &p.conv;
    let (cin, m) = (c.in_channels, c.out_channels);
    let pixels = c.batch * c.out_h * c.out_w;
    let (Some(xs), Some(ws), Some(ys)) = (
        x.get(..c.batch * c.in_h * c.in_w * cin),
        w.get(..packed_weight_len(p)),
        y.get_mut(..pixels * m),
    ) else {
        return;
    };
    let bias = match bias {
        Some(b) => match b.get(..m) {
            Some(b) => Some(b),
            None => return,
        },
        None => None,
    };
    let residual = match residual {
        Some(r) => match r.get(..pixels * m) {
            Some(r) => Some(r),
            None => return,
        },
        None => None,
    };
    let plain = supported(c) && m > 0 && cin > 0 && pixels > 0 && c.kernel_h > 0 && c.kernel_w > 0 && c.in_h > 0 && c.in_w > 0;
    let tiled_panel = p.panel > 0 && p.panel / LANES * LANES == p.panel && p.panel <= GEMM_VECS * LANES;
    if plain && c.groups == 1 && tiled_panel && (cin <= ZERO_ROW || is_direct(c)) {
        return conv_gemm(c, p.panel, xs, ws, bias, residual, ys);
    }
    if plain && is_depthwise(c) {
        return super::simd_depthwise_nhwc::depthwise_nhwc(c, xs, ws, bias, residual, ys);
    }
    super::conv_nhwc::conv2d_nhwc(p, xs, ws, bias, residual, ys)
}

/// 1×1, stride 1, no padding, output as large as the input: `A` is `x` itself, and no tap
/// reads the zero row (so any `C` works).
#[inline(always)]
fn is_direct(c: &ConvParams) -> bool {
    c.kernel_h == 1 && c.kernel_w == 1 && c.stride_h == 1 && c.stride_w == 1 && c.pad_top == 0 && c.pad_left == 0 && c.out_h == c.in_h && c.out_w == c.in_w
}

/// The activation part applied in registers before the store, if any.
#[inline(always)]
pub fn clamp_of(act: Activation) -> Option<(f32, f32)> {
    match act {
        Activation::Relu => Some((0.0, f32::INFINITY)),
        Activation::Clip { min, max } => Some((min, max)),
        _ => None,
    }
}

/// Applies an activation that is not a clamp (those were applied in registers).
#[inline(always)]
pub fn finish(act: Activation, y: &mut [f32]) {
    if clamp_of(act).is_none() && act != Activation::None && !super::simd_math::apply_in_place(act, y) {
        apply_in_place(act, y);
    }
}

/// The validated operands of the indirect GEMM as raw pointers; built only by [`conv_gemm`].
#[derive(Clone, Copy)]
struct Gemm {
    c: ConvParams,
    /// `x`: `batch · in_h · in_w · C` floats.
    x: *const f32,
    /// The packed weights: `ceil(M / width)` panels, panel `j / width` at `j · K` holding `K`
    /// rows of its width (`width`, or `M - j` for the last).
    w: *const f32,
    /// `y`: `pixels · M` floats.
    y: *mut f32,
    /// `M` floats, or null.
    bias: *const f32,
    /// `pixels · M` floats added before the activation, or null.
    res: *const f32,
    /// At least `C` zeros, or fewer when `a` is set (the tiles then never read them).
    zeros: *const f32,
    /// For [`DIRECT`] tiles: `A` itself, row `p - a_first` (of `a_ld` floats) for output pixel
    /// `p`: `x` for a [`is_direct`] convolution, or the current block's gathered windows.
    a: *const f32,
    a_first: usize,
    a_ld: usize,
    /// Rows of a panel: `kh · kw · C`.
    k: usize,
    /// Columns of a full panel: whole vectors, at most `GEMM_VECS`.
    width: usize,
    clamp: Option<(f32, f32)>,
    /// `A` is `a` (rows of `a_ld` floats): a [`is_direct`] or a gathered convolution.
    direct: bool,
}

/// Longest kernel row (`kw · C` floats) whose windows are gathered. Measured on AVX-512: the
/// KWS net's 10×4 kernel on one channel (rows of 4) runs 1.7× faster gathered, MobileNetV2's
/// 3×3 on RGB (rows of 9) 1.4× slower (its rows are long enough for the tile's own runs).
const GATHER_ROW: usize = 4;

/// Whether the convolution gathers its windows (see the module docs): kernel rows of at most
/// [`GATHER_ROW`] floats, and at least a tile of rows fits the buffer.
#[inline(always)]
fn is_gathered(c: &ConvParams, k: usize) -> bool {
    !is_direct(c) && c.kernel_w * c.in_channels <= GATHER_ROW && k * TALL_ROWS <= ZERO_ROW
}

/// Writes the windows of `len` output pixels from `cur` into `buf` as rows of `k` floats in the
/// packed weights' `(ky, kx, c)` order, zeros where a tap is in the padding; returns the
/// cursor of the pixel after them. A kernel row inside the input (`kw · C <= LANES`
/// contiguous floats) is one masked copy; the others go tap by tap.
#[inline(always)]
fn gather(c: &ConvParams, x: &[f32], mut cur: PixelCursor, len: usize, k: usize, buf: &mut [MaybeUninit<f32>]) -> PixelCursor {
    let cin = c.in_channels;
    let row_len = c.kernel_w * cin;
    let row_tail = tail(row_len);
    for row in buf.chunks_exact_mut(k).take(len) {
        let pr = cur.pos(c);
        let columns_inside = c.dilation_w == 1 && pr.ix0 >= 0 && pr.ix0 as usize + c.kernel_w <= c.in_w;
        for (ky, dst_row) in row.chunks_exact_mut(row_len).enumerate() {
            let iy = pr.iy0 + (ky * c.dilation_h) as isize;
            let row_inside = iy >= 0 && (iy as usize) < c.in_h;
            if row_inside && columns_inside && row_len <= LANES {
                let at = ((pr.n_rows + iy as usize) * c.in_w + pr.ix0 as usize) * cin;
                if let Some(src) = x.get(at..at + row_len) {
                    // SAFETY: `src` and `dst_row` hold `row_len` floats, the live lanes of
                    // `row_tail` (at most `LANES`); the others are not touched.
                    unsafe { store_tail(dst_row.as_mut_ptr().cast::<f32>(), load_tail(src.as_ptr(), row_tail), row_tail) };
                    continue;
                }
            }
            for (kx, dst) in dst_row.chunks_exact_mut(cin).enumerate() {
                let ix = pr.ix0 + (kx * c.dilation_w) as isize;
                let src = if row_inside && ix >= 0 && (ix as usize) < c.in_w {
                    let at = ((pr.n_rows + iy as usize) * c.in_w + ix as usize) * cin;
                    x.get(at..at + cin)
                } else {
                    None
                };
                match src {
                    Some(src) => {
                        for (d, &v) in dst.iter_mut().zip(src) {
                            d.write(v);
                        }
                    }
                    None => {
                        for d in dst.iter_mut() {
                            d.write(0.0);
                        }
                    }
                }
            }
        }
        cur.next_pixel(c);
    }
    cur
}

/// Where one output pixel's window starts in the input: image row `n · in_h` and the (possibly
/// negative) top-left input position of tap (0, 0).
#[derive(Clone, Copy)]
struct Pos {
    n_rows: usize,
    iy0: isize,
    ix0: isize,
}

/// Whether every tap of the window at `pr` is inside the input.
#[inline(always)]
fn inside(c: &ConvParams, pr: Pos) -> bool {
    let (span_h, span_w) = ((c.kernel_h - 1) * c.dilation_h, (c.kernel_w - 1) * c.dilation_w);
    pr.iy0 >= 0 && pr.iy0 as usize + span_h < c.in_h && pr.ix0 >= 0 && pr.ix0 as usize + span_w < c.in_w
}

/// Walks output pixels in row-major order without divisions.
#[derive(Clone, Copy)]
struct PixelCursor {
    n: usize,
    oy: usize,
    ox: usize,
}

impl PixelCursor {
    #[inline(always)]
    fn pos(self, c: &ConvParams) -> Pos {
        Pos {
            n_rows: self.n * c.in_h,
            iy0: (self.oy * c.stride_h) as isize - c.pad_top as isize,
            ix0: (self.ox * c.stride_w) as isize - c.pad_left as isize,
        }
    }

    #[inline(always)]
    fn next_pixel(&mut self, c: &ConvParams) {
        self.ox += 1;
        if self.ox == c.out_w {
            self.ox = 0;
            self.oy += 1;
            if self.oy == c.out_h {
                self.oy = 0;
                self.n += 1;
            }
        }
    }
}

/// `groups == 1` with panels of `width` columns (whole vectors, at most `GEMM_VECS`) and
/// `C <= ZERO_ROW` (any `C` when [`is_direct`]); the caller validated every buffer length and
/// that the shape is non-empty.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn conv_gemm(c: &ConvParams, width: usize, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
    let (cin, m) = (c.in_channels, c.out_channels);
    let pixels = c.batch * c.out_h * c.out_w;
    let k = c.kernel_h * c.kernel_w * cin;
    let gathered = is_gathered(c, k);
    // The zero row, or a gathered block's rows.
    let mut scratch = [const { MaybeUninit::<f32>::uninit() }; ZERO_ROW];
    if !gathered {
        for z in scratch.iter_mut().take(cin) {
            z.write(0.0);
        }
    }
    let mut g = Gemm {
        c: *c,
        x: x.as_ptr(),
        w: w.as_ptr(),
        y: y.as_mut_ptr(),
        bias: bias.map_or(core::ptr::null(), <[f32]>::as_ptr),
        res: residual.map_or(core::ptr::null(), <[f32]>::as_ptr),
        zeros: scratch.as_ptr().cast::<f32>(),
        a: x.as_ptr(),
        a_first: 0,
        a_ld: cin,
        k,
        width,
        clamp: clamp_of(c.act),
        direct: is_direct(c) || gathered,
    };
    let a_floats = if gathered { ZERO_ROW } else { BLOCK_FLOATS };
    let fit = (a_floats / k).min(Y_BLOCK_FLOATS / m) / GEMM_ROWS;
    let block_tiles = if fit > 1 { fit } else { 1 };
    // Gathered windows keep full tiles: shortened ones measured 1.5% slower on the KWS net's
    // first layer.
    let tiles = RowTiles::new(pixels, g.direct && !gathered);
    let mut t0 = 0;
    let mut block_cur = PixelCursor { n: 0, oy: 0, ox: 0 };
    while t0 < tiles.count {
        let t1 = if tiles.count - t0 < block_tiles { tiles.count } else { t0 + block_tiles };
        let (start, len) = (tiles.start(t0), tiles.start(t1) - tiles.start(t0));
        let mut next = block_cur;
        if gathered {
            // `fit` keeps `len · k <= ZERO_ROW`.
            next = gather(c, x, block_cur, len, k, &mut scratch);
            (g.a, g.a_first, g.a_ld) = (scratch.as_ptr().cast::<f32>(), start, k);
        }
        let mut j = 0;
        while j < m {
            let cols = if m - j < width { m - j } else { width };
            let vecs = cols.div_ceil(LANES);
            let last = tail(cols - (vecs - 1) * LANES);
            let mut cur = block_cur;
            // A one-vector pointwise panel takes two tiles of rows at once: more accumulators
            // hide the FMA latency, and the tile's fixed costs spread over more of its short
            // `K`. With a row pointer per tap (k×k), twice the rows spill them: ResNet-8's
            // 16-channel 3×3 layers run 6% faster on `GEMM_ROWS`.
            let step = if vecs == 1 && g.direct { 2 } else { 1 };
            let mut t = t0;
            while t < t1 {
                let tn = if t1 - t < step { t1 } else { t + step };
                let (pix0, rows) = (tiles.start(t), tiles.start(tn) - tiles.start(t));
                // Positions go to the tile as a cursor in registers: an array written here
                // and loaded there as vectors would stall on store forwarding.
                let first = cur;
                let mut interior = true;
                if !g.direct {
                    for _ in 0..rows {
                        interior &= inside(c, cur.pos(c));
                        cur.next_pixel(c);
                    }
                }
                // SAFETY: pixels `pix0 .. pix0 + rows` (within this block's `start .. start +
                // len`, below `pixels`) and columns `j .. j + cols` <= M lie in `y`; `first`
                // is the cursor of pixel `pix0` (unused by `direct` tiles, which read rows
                // `pix0 - a_first ..` of `A`: `x`, or this block's `len` gathered rows), so
                // every position is a real output pixel and `tile` reads only input rows it
                // checks to be inside `x` (or the zero row), or, with `interior`, rows whose
                // every tap was checked just above; the panel `j / width` exists as `j < M`.
                unsafe { nhwc_tile_dispatch(&g, first, interior, rows, pix0, j, vecs, last) };
                t = tn;
            }
            if !g.direct {
                next = cur;
            }
            j += cols;
        }
        block_cur = next;
        if let Some(y_block) = y.get_mut(start * m..(start + len) * m) {
            finish(c.act, y_block);
        }
        t0 = t1;
    }
}

/// How the output pixels split into row tiles: `GEMM_ROWS` each, the last one short, or, for
/// 1×1 tiles reading `x` (`pointwise`), `GEMM_ROWS - 1` rows for the first `short` tiles
/// when that covers the pixels exactly (a 7×7 map on 8-row tiles: 7 tiles of 7, not 6 of 8
/// and one of 1, which costs a half-height tile and, with many columns, its own pass over
/// every weight panel).
#[derive(Clone, Copy)]
struct RowTiles {
    pixels: usize,
    count: usize,
    short: usize,
}

impl RowTiles {
    #[inline(always)]
    fn new(pixels: usize, pointwise: bool) -> Self {
        let count = pixels.div_ceil(GEMM_ROWS);
        let missing = count * GEMM_ROWS - pixels;
        let short = if pointwise && GEMM_ROWS > 2 && missing <= count { missing } else { 0 };
        RowTiles { pixels, count, short }
    }

    /// First pixel of tile `t` (`pixels` for `t == count`).
    #[inline(always)]
    fn start(self, t: usize) -> usize {
        let at = t * GEMM_ROWS - if t < self.short { t } else { self.short };
        if at < self.pixels {
            at
        } else {
            self.pixels
        }
    }
}

/// How a tile finds its rows of `A` for each tap.
type Mode = u8;
/// Per row and tap, checked against the input bounds (zero row in the padding).
const CHECKED: Mode = 0;
/// `A` is in memory (`Gemm::a`): output pixel `p` reads row `p - a_first`, `K` floats, as
/// one run. Pointwise stride 1 without padding (`x` itself), or gathered windows.
const DIRECT: Mode = 1;
/// Every tap of every row is inside the input: one base pointer per row plus a tap offset.
const INTERIOR: Mode = 2;

/// Calls the tile instance for `vecs` vectors (1 to `GEMM_VECS`), `rows` rows and the cheapest
/// [`Mode`].
///
/// # Safety
/// As for [`nhwc_tile`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn nhwc_tile_dispatch(g: &Gemm, cur: PixelCursor, interior: bool, rows: usize, pix0: usize, j: usize, vecs: usize, last: Tail) {
    let mode = if g.direct {
        DIRECT
    } else if interior {
        INTERIOR
    } else {
        CHECKED
    };
    let (n, oy, ox) = (cur.n, cur.oy, cur.ox);
    // A last block of few rows (49 pixels of a 7×7 map: 6 × 8 + 1) takes a half-height tile.
    const HALF: usize = if GEMM_ROWS / 2 > 0 { GEMM_ROWS / 2 } else { 1 };
    macro_rules! modes {
        ($($m:ident)*) => {
            match (mode, vecs, rows <= HALF) {
                // Only pointwise tiles are tall (see `conv_gemm`).
                (DIRECT, 1, false) if rows > GEMM_ROWS => nhwc_tile::<TALL_ROWS, 1, DIRECT>(g, (n, oy, ox), rows, pix0, j, last),
                // Evened-out tiles (see `RowTiles`) are one row short.
                (DIRECT, 1, false) if rows == GEMM_ROWS - 1 => nhwc_tile::<{ GEMM_ROWS - 1 }, 1, DIRECT>(g, (n, oy, ox), rows, pix0, j, last),
                (DIRECT, 2, false) if rows == GEMM_ROWS - 1 => nhwc_tile::<{ GEMM_ROWS - 1 }, 2, DIRECT>(g, (n, oy, ox), rows, pix0, j, last),
                (DIRECT, _, false) if rows == GEMM_ROWS - 1 => nhwc_tile::<{ GEMM_ROWS - 1 }, GEMM_VECS, DIRECT>(g, (n, oy, ox), rows, pix0, j, last),
                $(
                    ($m, 1, false) => nhwc_tile::<GEMM_ROWS, 1, $m>(g, (n, oy, ox), rows, pix0, j, last),
                    ($m, 2, false) => nhwc_tile::<GEMM_ROWS, 2, $m>(g, (n, oy, ox), rows, pix0, j, last),
                    ($m, _, false) => nhwc_tile::<GEMM_ROWS, GEMM_VECS, $m>(g, (n, oy, ox), rows, pix0, j, last),
                    ($m, 1, true) => nhwc_tile::<HALF, 1, $m>(g, (n, oy, ox), rows, pix0, j, last),
                    ($m, 2, true) => nhwc_tile::<HALF, 2, $m>(g, (n, oy, ox), rows, pix0, j, last),
                    ($m, _, true) => nhwc_tile::<HALF, GEMM_VECS, $m>(g, (n, oy, ox), rows, pix0, j, last),
                )*
                _ => {}
            }
        };
    }
    // SAFETY: forwarded from the caller, who checked `interior`.
    unsafe { modes!(CHECKED DIRECT INTERIOR) }
}

/// The microkernel: `R` output pixels × the `V` vectors of the weight panel at column `j`,
/// accumulated over every tap and input channel in registers, then bias, residual, clamp, and
/// the store of the first `rows` pixels (the last vector masked by `last`).
///
/// # Safety
/// `at` is the `(n, oy, ox)` of output pixel `pix0`; pixels `pix0 .. pix0 + rows` exist,
/// `1 <= rows <= R`; `j` is a multiple of the panel width below `M`, and the `V` vectors (the
/// last one limited to `last`) are exactly the panel's `min(M - j, width)` columns. `MODE` is
/// [`DIRECT`] only for a `g.direct` convolution, [`INTERIOR`] only if the window of each of
/// the first `rows` pixels is inside the input for every tap.
#[inline(never)]
unsafe fn nhwc_tile<const R: usize, const V: usize, const MODE: Mode>(g: &Gemm, at: (usize, usize, usize), rows: usize, pix0: usize, j: usize, last: Tail) {
    let c = &g.c;
    // Rows past `rows` repeat the last pixel's position; they are not stored.
    let mut cur = PixelCursor { n: at.0, oy: at.1, ox: at.2 };
    let mut pos = [cur.pos(c); R];
    if MODE != DIRECT {
        for (r, slot) in pos.iter_mut().enumerate() {
            *slot = cur.pos(c);
            if r + 1 < rows {
                cur.next_pixel(c);
            }
        }
    }
    let (cin, m, width) = (c.in_channels, c.out_channels, g.width);
    // Rows of the last panel are only as wide as what is left of `M` (not padded).
    let ldw = if m - j < width { m - j } else { width };
    let ragged = ldw % LANES;
    let w_whole = ragged == 0;
    let (in_h, in_w) = (c.in_h as isize, c.in_w as isize);
    let mut acc: [[F32s; V]; R] = [[zero(); V]; R];
    // SAFETY (whole body): the panel of column `j` is the `K · ldw` floats of `g.w` from
    // `j · K`, and row `kk` of it is read at `kk · ldw + v · LANES`, `v < V`, the last vector
    // masked by `last` unless `ldw` is whole vectors (`(V - 1) · LANES + live(last) == ldw`
    // by the caller's contract). Each row pointer `a[r]` is the zero row (`C` zeros) or
    // the input pixel `(n, iy, ix)` with `0 <= iy < in_h`, `0 <= ix < in_w`, whose `C` floats
    // lie in `x` (`ch < C`, or `ch < kw · C` from tap `kx = 0` of an `INTERIOR` row with
    // dilation 1, whose `kw` pixels are all inside the same input row): checked per tap, or
    // for every tap by the caller (`INTERIOR`), or row `pix0 + r - a_first`, `r < rows`, of
    // `A` for `DIRECT`, `a_ld == K` floats that exist (input and output have the same pixels
    // when `A` is `x`; a gathered block has a row for each of its pixels).
    // Bias columns and `y` elements stay below `M` (masked by `last`) and in pixels
    // `pix0 + r`, `r < rows`, which exist; so do the residual's (same shape as `y`).
    unsafe {
        let mut wp = g.w.add(j * g.k);
        // `DIRECT` tiles fetch the next panel while this one computes: at each step one line
        // of the next panel's row at the same `kk`, a different line of the row in each
        // consecutive tile, so a panel's first `V` tiles ask for all of it. Weights larger
        // than L2 come from memory once per run, and a 1×1 layer on a small map has few tiles
        // to hide that behind (MobileNetV2's 7×7 × 320 → 1280 layer: 328 → 261 µs; the
        // whole model 3.5% faster on AVX-512). Past the last panel the address is only a hint.
        let next_panel = g.k * ldw + (pix0 / R) % V * LANES;
        let mut base = [g.zeros; R];
        if MODE == INTERIOR {
            for (b, pr) in base.iter_mut().zip(pos.iter()) {
                *b = g.x.add(((pr.n_rows + pr.iy0 as usize) * c.in_w + pr.ix0 as usize) * cin);
            }
        }
        // Interior rows with dilation 1: the taps `(kx, ch)` of one kernel row are `kw · C`
        // contiguous floats of the input, in the order of the packed weights: one run.
        // `DIRECT` rows are all of `K` in one run.
        let merged = MODE == INTERIOR && c.dilation_w == 1;
        let (ky_steps, kx_steps, run) = if MODE == DIRECT {
            (1, 1, g.a_ld)
        } else if merged {
            (c.kernel_h, 1, c.kernel_w * cin)
        } else {
            (c.kernel_h, c.kernel_w, cin)
        };
        for ky in 0..ky_steps {
            let dy = (ky * c.dilation_h) as isize;
            for kx in 0..kx_steps {
                let dx = (kx * c.dilation_w) as isize;
                let mut a = [g.zeros; R];
                if MODE == DIRECT {
                    // Rows past `rows` repeat the last one.
                    for (r, slot) in a.iter_mut().enumerate() {
                        *slot = g.a.add((pix0 - g.a_first + if r < rows { r } else { rows - 1 }) * g.a_ld);
                    }
                } else if MODE == INTERIOR {
                    let off = (ky * c.dilation_h * c.in_w + kx * c.dilation_w) * cin;
                    for (slot, &b) in a.iter_mut().zip(base.iter()) {
                        *slot = b.add(off);
                    }
                } else {
                    for (slot, pr) in a.iter_mut().zip(pos.iter()) {
                        let (iy, ix) = (pr.iy0 + dy, pr.ix0 + dx);
                        if iy >= 0 && iy < in_h && ix >= 0 && ix < in_w {
                            *slot = g.x.add(((pr.n_rows + iy as usize) * c.in_w + ix as usize) * cin);
                        }
                    }
                }
                // One copy of the loop per panel kind, so the test for a ragged last vector
                // stays out of it (the compiler kept it inside: 3% of a 1×1 layer's time).
                macro_rules! multiply_run {
                    ($whole:literal) => {
                        for ch in 0..run {
                            if MODE == DIRECT {
                                prefetch(wp.wrapping_add(next_panel));
                            }
                            let mut bv: [F32s; V] = [zero(); V];
                            for (v, slot) in bv.iter_mut().enumerate() {
                                let p = wp.add(v * LANES);
                                *slot = if v + 1 < V || $whole { load(p) } else { load_tail(p, last) };
                            }
                            for (acc_r, &a_r) in acc.iter_mut().zip(a.iter()) {
                                let av = splat(*a_r.add(ch));
                                for (acc_rv, &b) in acc_r.iter_mut().zip(bv.iter()) {
                                    *acc_rv = fma(av, b, *acc_rv);
                                }
                            }
                            wp = wp.add(ldw);
                        }
                    };
                }
                if w_whole {
                    multiply_run!(true);
                } else {
                    multiply_run!(false);
                }
            }
        }
        if !g.bias.is_null() {
            let mut cb: [F32s; V] = [zero(); V];
            for (v, slot) in cb.iter_mut().enumerate() {
                let p = g.bias.add(j + v * LANES);
                *slot = if v + 1 < V { load(p) } else { load_tail(p, last) };
            }
            for acc_r in acc.iter_mut() {
                for (acc_rv, &b) in acc_r.iter_mut().zip(cb.iter()) {
                    *acc_rv = add(*acc_rv, b);
                }
            }
        }
        if !g.res.is_null() {
            for (r, acc_r) in acc.iter_mut().enumerate().take(rows) {
                let res_row = g.res.add((pix0 + r) * m + j);
                for (v, acc_rv) in acc_r.iter_mut().enumerate() {
                    let p = res_row.add(v * LANES);
                    let rv = if v + 1 < V { load(p) } else { load_tail(p, last) };
                    *acc_rv = add(*acc_rv, rv);
                }
            }
        }
        if let Some((lo, hi)) = g.clamp {
            let (lo, hi) = (splat(lo), splat(hi));
            for acc_r in acc.iter_mut() {
                for acc_rv in acc_r.iter_mut() {
                    // NaN propagates: `max`/`min` return their second operand on NaN.
                    *acc_rv = min(hi, max(lo, *acc_rv));
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate().take(rows) {
            let y_row = g.y.add((pix0 + r) * m + j);
            for (v, &val) in acc_r.iter().enumerate() {
                let p = y_row.add(v * LANES);
                if v + 1 < V {
                    store(p, val);
                } else {
                    store_tail(p, val, last);
                }
            }
        }
    }
}
