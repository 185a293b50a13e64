//! Winograd F(2×2, 3×3) on channels-last tensors (`generic::winograd`, same contract) with
//! this family's vectors: the transforms run a vector of channels at a time, and the 16 GEMMs
//! of a block are this family's channels-last pointwise convolution.

use super::activation::Activation;
use super::conv_nhwc::ConvNhwcParams;
use super::simd_conv_nhwc::{clamp_of, conv2d_nhwc, finish};
use super::vec::{add, load, load_tail, max, min, splat, store, store_tail, sub, tail, zero, F32s, LANES};
use super::winograd::{input_transform, output_transform, winograd_conv_with, InputWindow, OutputTile, WinogradParams, WinogradSteps};

/// The steps of `generic::winograd` over this family's vectors.
pub struct VectorWinograd;

/// Loads `n <= LANES` floats (the others 0).
///
/// # Safety
/// `p..p + n` must be readable.
#[inline(always)]
unsafe fn winograd_load(p: *const f32, n: usize) -> F32s {
    // SAFETY: the caller guarantees the range.
    unsafe {
        if n == LANES {
            load(p)
        } else {
            load_tail(p, tail(n))
        }
    }
}

/// Stores the first `n <= LANES` lanes of `v`.
///
/// # Safety
/// `p..p + n` must be writable.
#[inline(always)]
unsafe fn winograd_store(p: *mut f32, v: F32s, n: usize) {
    // SAFETY: the caller guarantees the range.
    unsafe {
        if n == LANES {
            store(p, v)
        } else {
            store_tail(p, v, tail(n))
        }
    }
}

impl WinogradSteps for VectorWinograd {
    #[inline(always)]
    fn transform_input(&mut self, x: &[f32], window: InputWindow, channels: usize, v: &mut [f32], ld: usize) {
        if !window.window_fits(channels, x.len()) || v.len() < 15 * ld + channels {
            return;
        }
        let inside = window.window_inside();
        let mut ch = 0;
        while ch < channels {
            let n = (channels - ch).min(LANES);
            // SAFETY: every pixel inside the window lies in `x` with its `channels` floats, and
            // `v` holds `15 · ld + channels` floats (both checked above); `ch + n <= channels`.
            unsafe {
                let d: [F32s; 16] = if inside {
                    // Inside, `at` is the offset of pixel (0, 0), so it is not negative.
                    let base = x.as_ptr().add(window.at as usize + ch);
                    core::array::from_fn(|i| winograd_load(base.add(i / 4 * window.row + i % 4 * channels), n))
                } else {
                    let mut d = [zero(); 16];
                    for (i, value) in d.iter_mut().enumerate() {
                        if let Some(at) = window.window_pixel(i / 4, i % 4, channels) {
                            *value = winograd_load(x.as_ptr().add(at + ch), n);
                        }
                    }
                    d
                };
                for (xi, value) in input_transform(d, add, sub).into_iter().enumerate() {
                    winograd_store(v.as_mut_ptr().add(xi * ld + ch), value, n);
                }
            }
            ch += n;
        }
    }

    #[inline(always)]
    fn multiply(&mut self, p: &ConvNhwcParams, v: &[f32], u: &[f32], m: &mut [f32]) {
        conv2d_nhwc(p, v, u, None, None, m);
    }

    #[inline(always)]
    fn transform_output(&mut self, m: &[f32], ld: usize, channels: usize, bias: Option<&[f32]>, residual: Option<&[f32]>, act: Activation, tile: OutputTile, y: &mut [f32]) {
        let res_ok = residual.is_none_or(|r| r.len() >= y.len());
        if m.len() < 15 * ld + channels || bias.is_some_and(|b| b.len() < channels) || !tile.tile_fits(channels, y.len()) || !res_ok {
            return;
        }
        let clamp = clamp_of(act).map(|(lo, hi)| (splat(lo), splat(hi)));
        let mut ch = 0;
        while ch < channels {
            let n = (channels - ch).min(LANES);
            // SAFETY: `m` holds `15 · ld + channels` floats and `bias` `channels`; the tile's
            // pixels lie in `y` and in `residual`, which is at least as long (checked above);
            // `ch + n <= channels`.
            unsafe {
                let t = core::array::from_fn(|xi| winograd_load(m.as_ptr().add(xi * ld + ch), n));
                let out = output_transform(t, add, sub);
                let b = bias.map_or(zero(), |b| winograd_load(b.as_ptr().add(ch), n));
                for (r, row) in out.into_iter().enumerate().take(tile.rows) {
                    for (j, pixel) in row.into_iter().enumerate().take(tile.cols) {
                        let at = tile.at + r * tile.row + j * channels + ch;
                        let mut value = add(pixel, b);
                        if let Some(res) = residual {
                            value = add(value, winograd_load(res.as_ptr().add(at), n));
                        }
                        if let Some((lo, hi)) = clamp {
                            value = min(max(value, lo), hi);
                        }
                        winograd_store(y.as_mut_ptr().add(at), value, n);
                    }
                }
            }
            ch += n;
        }
        for r in 0..tile.rows {
            let at = tile.at + r * tile.row;
            if let Some(pixels) = y.get_mut(at..at + tile.cols * channels) {
                finish(act, pixels);
            }
        }
    }
}

/// `y = act(conv(x, w) + bias + residual)` by F(2×2, 3×3); see `generic::winograd`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn winograd_conv(p: &WinogradParams, x: &[f32], u: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, scratch: &mut [f32], y: &mut [f32]) {
    winograd_conv_with(&mut VectorWinograd, p, x, u, bias, residual, scratch, y);
}
