//! A pointwise expansion and the depthwise convolution that reads it, run a band of rows at a
//! time (channels-last, as in MobileNetV2's inverted residual blocks): the expanded tensor,
//! often the largest of the network (`[112, 112, 96]` is 4.8 MB), never exists whole. A band
//! buffer holds the expanded rows one band of depthwise output rows needs; rows that the next
//! band needs too move to its front rather than being computed again. So the expanded data is
//! written and read back while it is still in cache, and the arena holds the band instead of
//! the tensor.
//!
//! Both steps are the ordinary [`conv2d_nhwc`] on sub-images: the expansion on the input rows
//! a band adds, the depthwise on the band with its top padding shifted, so results are those
//! of the two convolutions run one after the other.

use super::conv_nhwc::{conv2d_nhwc, ConvNhwcParams};

/// The two convolutions and the band height; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpandDepthwiseParams {
    /// `[N, H, W, C] → [N, H, W, E]`: 1×1, stride 1, no padding, `groups == 1`.
    pub expand: ConvNhwcParams,
    /// `[N, H, W, E] → [N, oh, ow, E]`: depthwise (`groups == E`).
    pub depthwise: ConvNhwcParams,
    /// Depthwise output rows per band (at least 1).
    pub band_rows: usize,
}

/// Whether the two convolutions chain as [`expand_depthwise`] needs: a pointwise stride-1
/// expansion whose output is the depthwise input, and bands that all read input rows.
pub fn chains(p: &ExpandDepthwiseParams) -> bool {
    let (e, d) = (&p.expand.conv, &p.depthwise.conv);
    let pointwise = e.kernel_h == 1 && e.kernel_w == 1 && e.stride_h == 1 && e.stride_w == 1 && e.pad_top == 0 && e.pad_left == 0;
    let same = e.out_h == e.in_h && e.out_w == e.in_w && e.groups == 1;
    let feeds = d.batch == e.batch && d.in_h == e.out_h && d.in_w == e.out_w && d.in_channels == e.out_channels;
    let depthwise = d.groups == d.in_channels && d.out_channels == d.in_channels && d.groups > 1;
    let sane = d.stride_h >= 1 && d.dilation_h >= 1 && d.kernel_h >= 1 && d.in_h > 0 && d.out_h > 0;
    // Every band must read at least one input row: no output row entirely in the padding.
    let top_ok = d.pad_top <= (d.kernel_h - 1) * d.dilation_h;
    let bottom_ok = sane && (d.out_h - 1) * d.stride_h < d.in_h + d.pad_top;
    pointwise && same && feeds && depthwise && sane && top_ok && bottom_ok && p.band_rows >= 1
}

/// Expanded rows (of the depthwise input) a band of `p.band_rows` output rows reads at most.
pub fn band_input_rows(p: &ExpandDepthwiseParams) -> usize {
    let d = &p.depthwise.conv;
    let span = (p.band_rows.max(1) - 1) * d.stride_h + (d.kernel_h.max(1) - 1) * d.dilation_h + 1;
    span.min(d.in_h)
}

/// Floats of the band buffer: [`band_input_rows`] rows of `W · E`.
pub fn band_len(p: &ExpandDepthwiseParams) -> usize {
    let d = &p.depthwise.conv;
    band_input_rows(p) * d.in_w * d.in_channels
}

/// The expanded rows `[first, end)` output rows `[o0, o1)` read (clamped to the image).
#[inline(always)]
fn rows_read(p: &ExpandDepthwiseParams, o0: usize, o1: usize) -> (usize, usize) {
    let d = &p.depthwise.conv;
    let first = (o0 * d.stride_h).saturating_sub(d.pad_top).min(d.in_h);
    let last = (o1 - 1) * d.stride_h + (d.kernel_h - 1) * d.dilation_h + 1;
    (first, last.saturating_sub(d.pad_top).min(d.in_h))
}

/// `y = depthwise(expand(x))` with the generic convolution; see [`expand_depthwise_with`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn expand_depthwise(p: &ExpandDepthwiseParams, x: &[f32], w_expand: &[f32], b_expand: Option<&[f32]>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    expand_depthwise_with(conv2d_nhwc, p, x, w_expand, b_expand, w_depthwise, b_depthwise, band, y);
}

/// `y = depthwise(expand(x))`, each step by `conv` (a channels-last convolution with
/// [`conv2d_nhwc`]'s contract), through `band` ([`band_len`] floats). `x` is `[N, H, W, C]`,
/// `y` `[N, oh, ow, E]`; weights packed as for the two convolutions. Does nothing if the
/// convolutions do not [`chains`] or a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn expand_depthwise_with<F>(mut conv: F, p: &ExpandDepthwiseParams, x: &[f32], w_expand: &[f32], b_expand: Option<&[f32]>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, band: &mut [f32], y: &mut [f32])
where
    F: FnMut(&ConvNhwcParams, &[f32], &[f32], Option<&[f32]>, Option<&[f32]>, &mut [f32]),
{
    if !chains(p) {
        return;
    }
    let (e, d) = (&p.expand.conv, &p.depthwise.conv);
    let (x_row, e_row, y_row) = (e.in_w * e.in_channels, d.in_w * d.in_channels, d.out_w * d.out_channels);
    let (x_image, y_image) = (e.in_h * x_row, d.out_h * y_row);
    let (Some(x), Some(y), Some(band)) = (x.get(..e.batch * x_image), y.get_mut(..d.batch * y_image), band.get_mut(..band_len(p))) else {
        return;
    };
    for (x, y) in x.chunks_exact(x_image).zip(y.chunks_exact_mut(y_image)) {
        // The band holds expanded rows `[held.0, held.1)` from its start.
        let mut held = (0, 0);
        let mut o0 = 0;
        while o0 < d.out_h {
            let o1 = (o0 + p.band_rows).min(d.out_h);
            let (first, end) = rows_read(p, o0, o1);
            // Rows the previous band computed and this one reads move to the front.
            let kept = if first < held.1 { held.1 - first.max(held.0) } else { 0 };
            if kept > 0 {
                let from = (held.1 - kept - held.0) * e_row;
                band.copy_within(from..from + kept * e_row, 0);
            }
            let new_first = first + kept;
            if new_first < end {
                let mut step = p.expand;
                (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, end - new_first, end - new_first);
                let (Some(xs), Some(es)) = (x.get(new_first * x_row..end * x_row), band.get_mut(kept * e_row..(end - first) * e_row)) else {
                    return;
                };
                conv(&step, xs, w_expand, b_expand, None, es);
            }
            held = (first, end);
            let mut step = p.depthwise;
            // Output row `o0` starts its taps at expanded row `o0 · stride - pad`, band row
            // `o0 · stride - pad - first`: the shifted padding (never negative, as `first` is
            // that row or 0).
            step.conv.pad_top = first + d.pad_top - o0 * d.stride_h;
            (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, end - first, o1 - o0);
            let (Some(es), Some(ys)) = (band.get(..(end - first) * e_row), y.get_mut(o0 * y_row..o1 * y_row)) else {
                return;
            };
            conv(&step, es, w_depthwise, b_depthwise, None, ys);
            o0 = o1;
        }
    }
}

#[cfg(test)]
#[path = "expand_depthwise_tests.rs"]
pub(crate) mod tests;
