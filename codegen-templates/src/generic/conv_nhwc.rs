//! 2-D convolution on channels-last tensors (NHWC), for targets whose layout pass picks that
//! layout: every tap of an output pixel reads `C` contiguous floats, so SIMD kernels vectorize
//! across channels and need no padded copies of the input.
//!
//! The weights are packed at compile time by [`pack_weights`] into the order the kernels read:
//! - `groups == 1`: a `[K, M]` matrix, `K = kh·kw·C` ordered `(ky, kx, c)`, cut into panels of
//!   `panel` output channels (the SIMD GEMM tile's width), one after the other; panel `j`
//!   starts at `j·panel·K` and holds `K` contiguous rows of its width (`panel`, or what is left
//!   of `M` for the last one: no padding is stored). `panel == 0` means one panel of `M`.
//! - depthwise (`groups == C == M`): `[kh·kw, C]`, one vector of channels per tap.
//!
//! Other groupings are not supported here ([`supported`]); the layout pass keeps them NCHW.

use super::activation::apply_in_place;
use super::conv::{valid_range, ConvParams};

/// Shape and options of one channels-last `Conv`; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvNhwcParams {
    /// The convolution's shape and options, as for NCHW.
    pub conv: ConvParams,
    /// Output channels per weight panel (`groups == 1`); 0 for a single panel.
    pub panel: usize,
}

/// Whether the convolution is depthwise: one input channel per filter, one filter per channel.
#[inline(always)]
pub fn is_depthwise(p: &ConvParams) -> bool {
    p.groups > 1 && p.groups == p.in_channels && p.groups == p.out_channels
}

/// Whether [`conv2d_nhwc`] computes this convolution (plain or depthwise, valid strides).
pub fn supported(p: &ConvParams) -> bool {
    (p.groups == 1 || is_depthwise(p)) && p.stride_h >= 1 && p.stride_w >= 1 && p.dilation_h >= 1 && p.dilation_w >= 1
}

/// A 1×1 stride-1 convolution over `rows` pixels, `[1, 1, rows, C] → [1, 1, rows, M]`: how a
/// matrix product `[rows, C] · [C, M]` runs on the channels-last kernels.
pub fn pointwise_rows(rows: usize, in_channels: usize, out_channels: usize, act: super::activation::Activation) -> ConvParams {
    ConvParams {
        batch: 1,
        in_channels,
        in_h: 1,
        in_w: rows,
        out_channels,
        out_h: 1,
        out_w: rows,
        kernel_h: 1,
        kernel_w: 1,
        stride_h: 1,
        stride_w: 1,
        dilation_h: 1,
        dilation_w: 1,
        pad_top: 0,
        pad_left: 0,
        groups: 1,
        act,
    }
}

/// The panel width actually used: `panel`, or `M` when it is 0 (at least 1).
#[inline(always)]
pub fn panel_width(p: &ConvNhwcParams) -> usize {
    let w = if p.panel == 0 { p.conv.out_channels } else { p.panel };
    if w == 0 {
        1
    } else {
        w
    }
}

/// Floats of the packed weights.
pub fn packed_weight_len(p: &ConvNhwcParams) -> usize {
    let c = &p.conv;
    let taps = c.kernel_h * c.kernel_w;
    if is_depthwise(c) {
        return taps * c.in_channels;
    }
    c.out_channels * taps * c.in_channels
}

/// Packs ONNX weights `[M, C/groups, kh, kw]` into `out` (of [`packed_weight_len`] floats) in
/// the order described in the module docs. Returns false, writing nothing, if the convolution
/// is not [`supported`] or a buffer has the wrong length.
pub fn pack_weights(p: &ConvNhwcParams, w: &[f32], out: &mut [f32]) -> bool {
    let c = &p.conv;
    let (cin, m, kh, kw) = (c.in_channels, c.out_channels, c.kernel_h, c.kernel_w);
    let taps = kh * kw;
    let icg = cin.checked_div(c.groups).unwrap_or(0);
    if !supported(c) || w.len() != m * icg * taps || out.len() != packed_weight_len(p) {
        return false;
    }
    if is_depthwise(c) {
        for (t, row) in out.chunks_exact_mut(cin.max(1)).enumerate().take(taps) {
            for (ch, o) in row.iter_mut().enumerate() {
                *o = w.get(ch * taps + t).copied().unwrap_or(0.0);
            }
        }
        return true;
    }
    let width = panel_width(p);
    let k = taps * cin;
    for (panel, chunk) in out.chunks_mut(width * k.max(1)).enumerate() {
        let cols = chunk.len() / k.max(1);
        for (i, o) in chunk.iter_mut().enumerate() {
            let (kk, oc) = (i / cols, panel * width + i % cols);
            let (t, ch) = (kk / cin.max(1), kk % cin.max(1));
            *o = w.get((oc * cin + ch) * taps + t).copied().unwrap_or(0.0);
        }
    }
    true
}

/// `y = act(conv(x, w) + bias + residual)` for NHWC `x` `[N, H, W, C]`, packed `w` (see
/// [`pack_weights`]), and NHWC `residual` and `y` `[N, oh, ow, M]` (a residual connection's
/// Add, fused so the sum is formed while the output is computed).
///
/// Taps that fall outside the input read zero. Does nothing if a buffer is too short or the
/// convolution is not [`supported`].
#[inline(always)]
pub fn conv2d_nhwc(p: &ConvNhwcParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
    let c = &p.conv;
    let (cin, m) = (c.in_channels, c.out_channels);
    let out_len = c.batch * c.out_h * c.out_w * m;
    let (Some(x), Some(w), Some(y)) = (x.get(..c.batch * c.in_h * c.in_w * cin), w.get(..packed_weight_len(p)), y.get_mut(..out_len)) else {
        return;
    };
    if !supported(c) || bias.is_some_and(|b| b.len() < m) || residual.is_some_and(|r| r.len() < out_len) || m == 0 || c.kernel_w == 0 {
        return;
    }
    let width = panel_width(p);
    let k = c.kernel_h * c.kernel_w * cin;
    for (pix, y_pix) in y.chunks_exact_mut(m).enumerate() {
        let (n, oy, ox) = (pix / (c.out_h * c.out_w), pix / c.out_w % c.out_h, pix % c.out_w);
        match bias.and_then(|b| b.get(..m)) {
            Some(b) => y_pix.copy_from_slice(b),
            None => y_pix.fill(0.0),
        }
        for ky in 0..c.kernel_h {
            let (oy_lo, oy_hi) = valid_range(c.out_h, c.in_h, c.stride_h, ky * c.dilation_h, c.pad_top);
            if oy < oy_lo || oy >= oy_hi {
                continue;
            }
            let iy = oy * c.stride_h + ky * c.dilation_h - c.pad_top;
            for kx in 0..c.kernel_w {
                let (ox_lo, ox_hi) = valid_range(c.out_w, c.in_w, c.stride_w, kx * c.dilation_w, c.pad_left);
                if ox < ox_lo || ox >= ox_hi {
                    continue;
                }
                let ix = ox * c.stride_w + kx * c.dilation_w - c.pad_left;
                let start = ((n * c.in_h + iy) * c.in_w + ix) * cin;
                let Some(x_tap) = x.get(start..start + cin) else { return };
                let t = ky * c.kernel_w + kx;
                if is_depthwise(c) {
                    let Some(w_tap) = w.get(t * cin..(t + 1) * cin) else { return };
                    for ((yv, &xv), &wv) in y_pix.iter_mut().zip(x_tap).zip(w_tap) {
                        *yv += xv * wv;
                    }
                    continue;
                }
                for (ch, &xv) in x_tap.iter().enumerate() {
                    let kk = t * cin + ch;
                    for (panel, y_panel) in y_pix.chunks_mut(width).enumerate() {
                        // Panel `panel` starts at `panel·width·k`; its rows are as wide as it is.
                        let row = panel * width * k + kk * y_panel.len();
                        let Some(w_row) = w.get(row..row + y_panel.len()) else { return };
                        for (yv, &wv) in y_panel.iter_mut().zip(w_row) {
                            *yv += xv * wv;
                        }
                    }
                }
            }
        }
        if let Some(r) = residual.and_then(|r| r.get(pix * m..(pix + 1) * m)) {
            for (yv, &rv) in y_pix.iter_mut().zip(r) {
                *yv += rv;
            }
        }
        apply_in_place(c.act, y_pix);
    }
}

#[cfg(test)]
#[path = "conv_nhwc_tests.rs"]
pub(crate) mod tests;
