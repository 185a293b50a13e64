//! 3×3 stride-1 convolution on channels-last tensors by Winograd's minimal filtering
//! F(2×2, 3×3): each 2×2 block of output pixels (a tile) is `Aᵀ [U ⊙ V] A`, where
//! `V = Bᵀ d B` transforms the tile's 4×4 input window `d` and `U = G g Gᵀ` the 3×3 filter `g`.
//! Summed over input channels, each of the 16 positions `ξ` of the transformed tile is a GEMM,
//! `M_ξ[tiles, M] = V_ξ[tiles, C] · U_ξ[C, M]`: 16 multiply-adds per tile, input and output
//! channel where the direct convolution needs 36 (2.25× fewer).
//!
//! ```text
//!      ⎡1  0 −1  0⎤        ⎡1   0  0⎤        ⎡1 1  1  0⎤
//! Bᵀ = ⎢0  1  1  0⎥    G = ⎢½   ½  ½⎥   Aᵀ = ⎣0 1 −1 −1⎦
//!      ⎢0 −1  1  0⎥        ⎢½  −½  ½⎥
//!      ⎣0  1  0 −1⎦        ⎣0   0  1⎦
//! ```
//!
//! - `U` is computed at compile time by [`pack_weights`], from the convolution's channels-last
//!   packed weights (`conv_nhwc::pack_weights`): 16 matrices `[C, M]`, `ξ` by `ξ`, each packed
//!   as the weights of a 1×1 convolution with the same panel width, so the GEMMs are ordinary
//!   channels-last pointwise convolutions.
//! - Tiles go in blocks of `block_tiles`: the block's windows are transformed into the scratch
//!   (`V`, 16 × tiles × `C` floats), 16 GEMMs fill the rest of it (`M_ξ`, 16 × tiles × `M`), and the
//!   output transform forms the block's pixels with bias, residual and activation. The scratch
//!   is the op's second output, an arena slot ([`scratch_len`]).
//! - The transforms' coefficients are 0, ±1 and ±½, so the result differs from the direct
//!   convolution's by rounding only (the unit tests bound it).
//!
//! The transforms are written once, over any number type ([`input_transform`],
//! [`output_transform`]); a kernel family supplies the loops over channels and the GEMM
//! ([`WinogradSteps`]).

use super::activation::{apply_in_place, Activation};
use super::conv::ConvParams;
use super::conv_nhwc::{conv2d_nhwc, packed_weight_len, panel_width, pointwise_rows, ConvNhwcParams};

/// The convolution and its blocking; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WinogradParams {
    /// A [`winograd_supported`] convolution, with the panel width of its (and `U`'s) packed weights.
    pub conv: ConvNhwcParams,
    /// Tiles per block (at least 1): sizes the scratch.
    pub block_tiles: usize,
}

/// Whether the convolution is 3×3, stride 1, undilated and ungrouped (any padding, any size).
pub fn winograd_supported(c: &ConvParams) -> bool {
    let shape = c.kernel_h == 3 && c.kernel_w == 3 && c.stride_h == 1 && c.stride_w == 1 && c.dilation_h == 1 && c.dilation_w == 1;
    let sizes = c.batch > 0 && c.in_channels > 0 && c.out_channels > 0 && c.in_h > 0 && c.in_w > 0 && c.out_h > 0 && c.out_w > 0;
    shape && sizes && c.groups == 1
}

/// 2×2 output tiles of the whole batch.
pub fn tiles(c: &ConvParams) -> usize {
    c.batch * c.out_h.div_ceil(2) * c.out_w.div_ceil(2)
}

/// Floats of `U`: 16 matrices `[C, M]`.
pub fn packed_len(p: &WinogradParams) -> usize {
    16 * p.conv.conv.in_channels * p.conv.conv.out_channels
}

/// Floats between the starts of consecutive positions' matrices in the scratch beyond their
/// size: one cache line. Without it a block of 128 tiles of 16 channels puts the 16 values
/// of one tile exactly 8 KiB apart, all in one L1 set, and the transforms thrash it.
const SKEW: usize = 16;

/// Floats from one position's `V` (`block_tiles` rows of `C`) to the next one's.
#[inline(always)]
fn v_stride(p: &WinogradParams) -> usize {
    p.block_tiles * p.conv.conv.in_channels + SKEW
}

/// Floats from one position's `M_ξ` (`block_tiles` rows of `M`) to the next one's.
#[inline(always)]
fn m_stride(p: &WinogradParams) -> usize {
    p.block_tiles * p.conv.conv.out_channels + SKEW
}

/// Floats of the scratch: the 16 `V` (`block_tiles` × `C` each), then the 16 `M_ξ`
/// (`block_tiles` × `M` each), each a cache line apart from the next.
pub fn scratch_len(p: &WinogradParams) -> usize {
    16 * (v_stride(p) + m_stride(p))
}

/// The pointwise convolution `[1, 1, rows, C] → [1, 1, rows, M]` that is one of a block's GEMMs.
pub fn gemm_params(p: &WinogradParams, rows: usize) -> ConvNhwcParams {
    let c = &p.conv.conv;
    let conv = pointwise_rows(rows, c.in_channels, c.out_channels, Activation::None);
    ConvNhwcParams { conv, panel: p.conv.panel }
}

/// Where `conv_nhwc::pack_weights` puts row `k` of output channel `oc` (`groups == 1`, `K`
/// rows): panel `oc / width` starts at `panel · width · K`, and its rows are as wide as it is.
#[inline(always)]
fn packed_index(p: &ConvNhwcParams, k_rows: usize, k: usize, oc: usize) -> usize {
    let width = panel_width(p);
    let panel = oc / width;
    let cols = (p.conv.out_channels - panel * width).min(width);
    panel * width * k_rows + k * cols + oc % width
}

/// Computes `U` into `out` ([`packed_len`] floats) from the convolution's channels-last packed
/// weights `w` (`conv_nhwc::pack_weights`, `K = 9 · C` rows). Returns false, writing nothing,
/// if the convolution is not [`winograd_supported`] or a buffer has the wrong length.
pub fn pack_weights(p: &WinogradParams, w: &[f32], out: &mut [f32]) -> bool {
    let c = &p.conv.conv;
    let (cin, m) = (c.in_channels, c.out_channels);
    if !winograd_supported(c) || w.len() != packed_weight_len(&p.conv) || out.len() != packed_len(p) {
        return false;
    }
    let gemm = gemm_params(p, 1);
    for oc in 0..m {
        for ch in 0..cin {
            let tap = |t: usize| w.get(packed_index(&p.conv, 9 * cin, t * cin + ch, oc)).copied().map_or(0.0, f64::from);
            // G applied to a column of three, in f64 so U is rounded once.
            let g_times = |a0: f64, a1: f64, a2: f64| [a0, (a0 + a1 + a2) / 2.0, (a0 - a1 + a2) / 2.0, a2];
            // The columns of G g (4×3); row i of (G g) Gᵀ is G applied to row i of G g.
            let (c0, c1, c2) = (g_times(tap(0), tap(3), tap(6)), g_times(tap(1), tap(4), tap(7)), g_times(tap(2), tap(5), tap(8)));
            for (i, ((a0, a1), a2)) in c0.into_iter().zip(c1).zip(c2).enumerate() {
                for (j, value) in g_times(a0, a1, a2).into_iter().enumerate() {
                    if let Some(slot) = out.get_mut((4 * i + j) * cin * m + packed_index(&gemm, cin, ch, oc)) {
                        *slot = value as f32;
                    }
                }
            }
        }
    }
    true
}

/// `Bᵀ d B` for a 4×4 window `d` (row-major), in any number type with `add` and `sub`.
#[inline(always)]
pub fn input_transform<T: Copy>(d: [T; 16], add: impl Fn(T, T) -> T, sub: impl Fn(T, T) -> T) -> [T; 16] {
    let combine = |[a0, a1, a2, a3]: [T; 4]| [sub(a0, a2), add(a1, a2), sub(a2, a1), sub(a1, a3)];
    let [d00, d01, d02, d03, d10, d11, d12, d13, d20, d21, d22, d23, d30, d31, d32, d33] = d;
    // Bᵀ d, a column at a time.
    let [r00, r10, r20, r30] = combine([d00, d10, d20, d30]);
    let [r01, r11, r21, r31] = combine([d01, d11, d21, d31]);
    let [r02, r12, r22, r32] = combine([d02, d12, d22, d32]);
    let [r03, r13, r23, r33] = combine([d03, d13, d23, d33]);
    // (Bᵀ d) B, a row at a time.
    let [v00, v01, v02, v03] = combine([r00, r01, r02, r03]);
    let [v10, v11, v12, v13] = combine([r10, r11, r12, r13]);
    let [v20, v21, v22, v23] = combine([r20, r21, r22, r23]);
    let [v30, v31, v32, v33] = combine([r30, r31, r32, r33]);
    [v00, v01, v02, v03, v10, v11, v12, v13, v20, v21, v22, v23, v30, v31, v32, v33]
}

/// `Aᵀ m A` for a transformed 4×4 tile `m` (row-major): the 2×2 outputs, by output row.
#[inline(always)]
pub fn output_transform<T: Copy>(m: [T; 16], add: impl Fn(T, T) -> T, sub: impl Fn(T, T) -> T) -> [[T; 2]; 2] {
    let combine = |[a0, a1, a2, a3]: [T; 4]| [add(add(a0, a1), a2), sub(sub(a1, a2), a3)];
    let [m00, m01, m02, m03, m10, m11, m12, m13, m20, m21, m22, m23, m30, m31, m32, m33] = m;
    // Aᵀ m, a column at a time.
    let [t00, t10] = combine([m00, m10, m20, m30]);
    let [t01, t11] = combine([m01, m11, m21, m31]);
    let [t02, t12] = combine([m02, m12, m22, m32]);
    let [t03, t13] = combine([m03, m13, m23, m33]);
    // (Aᵀ m) A, a row at a time.
    [combine([t00, t01, t02, t03]), combine([t10, t11, t12, t13])]
}

/// Where one tile's 4×4 input window lies in `x`: pixel `(a, b)` of the window starts at
/// `at + a · row + b · channels` for `a` in `rows` and `b` in `cols` (half-open ranges); the
/// window's other pixels are in the padding.
#[derive(Clone, Copy, Debug)]
pub struct InputWindow {
    pub at: isize,
    pub row: usize,
    pub rows: (usize, usize),
    pub cols: (usize, usize),
}

impl InputWindow {
    /// Whether the window covers no padding.
    #[inline(always)]
    pub fn window_inside(&self) -> bool {
        self.rows == (0, 4) && self.cols == (0, 4)
    }

    /// The offset of pixel `(a, b)` in `x`, or `None` in the padding.
    #[inline(always)]
    pub fn window_pixel(&self, a: usize, b: usize, channels: usize) -> Option<usize> {
        let inside = a >= self.rows.0 && a < self.rows.1 && b >= self.cols.0 && b < self.cols.1;
        inside.then(|| (self.at + (a * self.row + b * channels) as isize) as usize)
    }

    /// Whether every pixel inside the window lies within `len` floats.
    #[inline(always)]
    pub fn window_fits(&self, channels: usize, len: usize) -> bool {
        let ((r0, r1), (c0, c1)) = (self.rows, self.cols);
        if r0 >= r1 || c0 >= c1 {
            return r1 <= 4 && c1 <= 4;
        }
        let first = self.at + (r0 * self.row + c0 * channels) as isize;
        let end = self.at + ((r1 - 1) * self.row + c1 * channels) as isize;
        r1 <= 4 && c1 <= 4 && first >= 0 && end as usize <= len
    }
}

/// Where one tile's output pixels lie in `y` (and in the residual): its row `r < rows` starts
/// at `at + r · row` and holds `cols` pixels (1 or 2 of each, fewer at the image's edges).
#[derive(Clone, Copy, Debug)]
pub struct OutputTile {
    pub at: usize,
    pub row: usize,
    pub rows: usize,
    pub cols: usize,
}

impl OutputTile {
    /// Whether the tile is 1×1 to 2×2 and lies within `len` floats, its rows apart.
    #[inline(always)]
    pub fn tile_fits(&self, channels: usize, len: usize) -> bool {
        let sizes = (1..=2).contains(&self.rows) && (1..=2).contains(&self.cols) && self.cols * channels <= self.row;
        sizes && self.at + (self.rows - 1) * self.row + self.cols * channels <= len
    }
}

/// What a kernel family supplies: the loops over channels around the transforms, and the GEMM.
pub trait WinogradSteps {
    /// Writes `V` of one tile: channel `ch` of position `ξ` at `v[ξ · ld + ch]`, for `ch <
    /// channels`, from the window's pixels in `x` (`channels` floats each; zeros in the padding).
    fn transform_input(&mut self, x: &[f32], window: InputWindow, channels: usize, v: &mut [f32], ld: usize);

    /// `m = v · u` for one position of a block: `p` is the block's [`gemm_params`].
    fn multiply(&mut self, p: &ConvNhwcParams, v: &[f32], u: &[f32], m: &mut [f32]);

    /// Writes one tile's output pixels, `act(Aᵀ m A + bias + residual)`, from `m` (channel `oc`
    /// of position `ξ` at `m[ξ · ld + oc]`, `oc < channels`), at `tile` in `y` and `residual`.
    #[allow(clippy::too_many_arguments)]
    fn transform_output(&mut self, m: &[f32], ld: usize, channels: usize, bias: Option<&[f32]>, residual: Option<&[f32]>, act: Activation, tile: OutputTile, y: &mut [f32]);
}

/// The steps with scalar loops and the generic GEMM.
pub struct ScalarWinograd;

impl WinogradSteps for ScalarWinograd {
    fn transform_input(&mut self, x: &[f32], window: InputWindow, channels: usize, v: &mut [f32], ld: usize) {
        for ch in 0..channels {
            let d = core::array::from_fn(|i| window.window_pixel(i / 4, i % 4, channels).and_then(|at| x.get(at + ch)).copied().unwrap_or(0.0));
            for (xi, value) in input_transform(d, |a, b| a + b, |a, b| a - b).into_iter().enumerate() {
                if let Some(slot) = v.get_mut(xi * ld + ch) {
                    *slot = value;
                }
            }
        }
    }

    fn multiply(&mut self, p: &ConvNhwcParams, v: &[f32], u: &[f32], m: &mut [f32]) {
        conv2d_nhwc(p, v, u, None, None, m);
    }

    fn transform_output(&mut self, m: &[f32], ld: usize, channels: usize, bias: Option<&[f32]>, residual: Option<&[f32]>, act: Activation, tile: OutputTile, y: &mut [f32]) {
        if !tile.tile_fits(channels, y.len()) {
            return;
        }
        for oc in 0..channels {
            let t = core::array::from_fn(|xi| m.get(xi * ld + oc).copied().unwrap_or(0.0));
            let out = output_transform(t, |a, b| a + b, |a, b| a - b);
            let b = bias.and_then(|b| b.get(oc)).copied().unwrap_or(0.0);
            for (r, row) in out.iter().enumerate().take(tile.rows) {
                for (j, value) in row.iter().enumerate().take(tile.cols) {
                    let at = tile.at + r * tile.row + j * channels + oc;
                    let res = residual.and_then(|s| s.get(at)).copied().unwrap_or(0.0);
                    if let Some(slot) = y.get_mut(at) {
                        *slot = value + b + res;
                    }
                }
            }
        }
        for r in 0..tile.rows {
            let at = tile.at + r * tile.row;
            if let Some(pixels) = y.get_mut(at..at + tile.cols * channels) {
                apply_in_place(act, pixels);
            }
        }
    }
}

/// `y = act(conv(x, w) + bias + residual)` with the generic steps; see [`winograd_conv_with`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn winograd_conv(p: &WinogradParams, x: &[f32], u: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, scratch: &mut [f32], y: &mut [f32]) {
    winograd_conv_with(&mut ScalarWinograd, p, x, u, bias, residual, scratch, y);
}

/// Walks tiles in row-major order without divisions: image, tile row, tile column.
#[derive(Clone, Copy)]
struct TileCursor {
    n: usize,
    ty: usize,
    tx: usize,
}

impl TileCursor {
    #[inline(always)]
    fn advance_tile(&mut self, tiles_h: usize, tiles_w: usize) {
        self.tx += 1;
        if self.tx == tiles_w {
            self.tx = 0;
            self.ty += 1;
            if self.ty == tiles_h {
                self.ty = 0;
                self.n += 1;
            }
        }
    }

    /// The tile's input window (see [`InputWindow`]).
    #[inline(always)]
    fn tile_window(self, c: &ConvParams) -> InputWindow {
        let (iy0, ix0) = ((2 * self.ty) as isize - c.pad_top as isize, (2 * self.tx) as isize - c.pad_left as isize);
        // Window rows `a` with `0 <= iy0 + a < in_h`, likewise for columns.
        let range = |start: isize, len: usize| {
            let lo = (-start).clamp(0, 4) as usize;
            (lo, (len as isize - start).clamp(lo as isize, 4) as usize)
        };
        let at = (((self.n * c.in_h) as isize + iy0) * c.in_w as isize + ix0) * c.in_channels as isize;
        InputWindow { at, row: c.in_w * c.in_channels, rows: range(iy0, c.in_h), cols: range(ix0, c.in_w) }
    }

    /// The tile's output pixels (see [`OutputTile`]).
    #[inline(always)]
    fn tile_output(self, c: &ConvParams) -> OutputTile {
        let (oy, ox, m) = (2 * self.ty, 2 * self.tx, c.out_channels);
        let at = ((self.n * c.out_h + oy) * c.out_w + ox) * m;
        OutputTile { at, row: c.out_w * m, rows: (c.out_h - oy).min(2), cols: (c.out_w - ox).min(2) }
    }
}

/// `y = act(conv(x, w) + bias + residual)` for NHWC `x` `[N, H, W, C]`, `u` from
/// [`pack_weights`], and NHWC `residual` and `y` `[N, oh, ow, M]`, through `scratch`
/// ([`scratch_len`] floats), by `steps`. Does nothing if the convolution is not [`winograd_supported`],
/// `block_tiles` is 0, or a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn winograd_conv_with<S: WinogradSteps>(steps: &mut S, p: &WinogradParams, x: &[f32], u: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, scratch: &mut [f32], y: &mut [f32]) {
    let c = &p.conv.conv;
    let (cin, m, bt) = (c.in_channels, c.out_channels, p.block_tiles);
    let out_len = c.batch * c.out_h * c.out_w * m;
    let (Some(x), Some(u), Some(y), Some(scratch)) = (x.get(..c.batch * c.in_h * c.in_w * cin), u.get(..packed_len(p)), y.get_mut(..out_len), scratch.get_mut(..scratch_len(p))) else {
        return;
    };
    let residual = match residual {
        Some(r) => match r.get(..out_len) {
            Some(r) => Some(r),
            None => return,
        },
        None => None,
    };
    if !winograd_supported(c) || bt == 0 || bias.is_some_and(|b| b.len() < m) {
        return;
    }
    let (v_ld, m_ld) = (v_stride(p), m_stride(p));
    let (v, mt) = scratch.split_at_mut(16 * v_ld);
    let (tiles_h, tiles_w) = (c.out_h.div_ceil(2), c.out_w.div_ceil(2));
    let total = tiles(c);
    let mut start = 0;
    let mut cur = TileCursor { n: 0, ty: 0, tx: 0 };
    while start < total {
        let len = (total - start).min(bt);
        let first = cur;
        for t in 0..len {
            if let Some(v_tile) = v.get_mut(t * cin..) {
                steps.transform_input(x, cur.tile_window(c), cin, v_tile, v_ld);
            }
            cur.advance_tile(tiles_h, tiles_w);
        }
        let gemm = gemm_params(p, len);
        for xi in 0..16 {
            let (Some(a), Some(w), Some(out)) = (v.get(xi * v_ld..xi * v_ld + len * cin), u.get(xi * cin * m..(xi + 1) * cin * m), mt.get_mut(xi * m_ld..xi * m_ld + len * m)) else {
                return;
            };
            steps.multiply(&gemm, a, w, out);
        }
        cur = first;
        for t in 0..len {
            if let Some(m_tile) = mt.get(t * m..) {
                steps.transform_output(m_tile, m_ld, m, bias, residual, c.act, cur.tile_output(c), y);
            }
            cur.advance_tile(tiles_h, tiles_w);
        }
        start += len;
    }
}

#[cfg(test)]
#[path = "winograd_tests.rs"]
pub(crate) mod tests;
