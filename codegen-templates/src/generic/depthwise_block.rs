//! A depthwise convolution with the pointwise convolutions around it, run a band of rows at a
//! time (channels-last): MobileNetV2's inverted residual block, expansion → depthwise →
//! projection, where either pointwise step may be absent. The tensors between the steps, the
//! largest of such networks (`[112, 112, 96]` is 4.8 MB), never exist whole: a band buffer
//! holds the expanded rows one band of depthwise output rows reads, and the depthwise output
//! rows the projection reads. Expanded rows that the next band reads too move to the front of
//! the buffer rather than being computed again. So the intermediate data is written and read
//! back while it is still in cache, and the arena holds the band instead of the tensors.
//!
//! Every step is the ordinary [`conv2d_nhwc`] on a sub-image: the expansion on the input rows
//! a band adds, the depthwise on the band with its top padding shifted, the projection (with
//! its residual rows) on the band's output rows. The results are those of the convolutions run
//! one after the other, bit for bit.

use super::conv_nhwc::{conv2d_nhwc, ConvNhwcParams};

/// The convolutions and the band height; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthwiseBlockParams {
    /// `[N, H, W, C] → [N, H, W, E]`: 1×1, stride 1, no padding, `groups == 1`; absent when
    /// the depthwise reads the block's input.
    pub expand: Option<ConvNhwcParams>,
    /// `[N, H, W, E] → [N, oh, ow, E]`: depthwise (`groups == E`).
    pub depthwise: ConvNhwcParams,
    /// `[N, oh, ow, E] → [N, oh, ow, M]`: 1×1, stride 1, no padding, `groups == 1`, with an
    /// optional residual; absent when the depthwise output is the block's output.
    pub project: Option<ConvNhwcParams>,
    /// Depthwise output rows per band (at least 1).
    pub band_rows: usize,
}

/// Whether `p` is a 1×1, stride-1, unpadded, ungrouped convolution keeping its image size.
fn is_pointwise(p: &ConvNhwcParams) -> bool {
    let c = &p.conv;
    let one = c.kernel_h == 1 && c.kernel_w == 1 && c.stride_h == 1 && c.stride_w == 1 && c.pad_top == 0 && c.pad_left == 0;
    one && c.groups == 1 && c.out_h == c.in_h && c.out_w == c.in_w
}

/// Whether the convolutions chain as [`depthwise_block`] needs: pointwise steps around a
/// depthwise one (at least one of them present), each step's output the next one's input,
/// and bands that all read input rows.
pub fn chains(p: &DepthwiseBlockParams) -> bool {
    let d = &p.depthwise.conv;
    let expand_ok = match &p.expand {
        Some(e) => is_pointwise(e) && e.conv.batch == d.batch && e.conv.out_h == d.in_h && e.conv.out_w == d.in_w && e.conv.out_channels == d.in_channels,
        None => true,
    };
    let project_ok = match &p.project {
        Some(q) => is_pointwise(q) && q.conv.batch == d.batch && q.conv.in_h == d.out_h && q.conv.in_w == d.out_w && q.conv.in_channels == d.out_channels,
        None => true,
    };
    let depthwise = d.groups == d.in_channels && d.out_channels == d.in_channels && d.groups > 1;
    let sane = d.stride_h >= 1 && d.dilation_h >= 1 && d.kernel_h >= 1 && d.in_h > 0 && d.out_h > 0;
    // Every band must read at least one input row: no output row entirely in the padding.
    let top_ok = sane && d.pad_top <= (d.kernel_h - 1) * d.dilation_h;
    let bottom_ok = sane && (d.out_h - 1) * d.stride_h < d.in_h + d.pad_top;
    let some = p.expand.is_some() || p.project.is_some();
    expand_ok && project_ok && some && depthwise && top_ok && bottom_ok && p.band_rows >= 1
}

/// Depthwise input rows a band of `p.band_rows` output rows reads at most.
pub fn band_input_rows(p: &DepthwiseBlockParams) -> usize {
    let d = &p.depthwise.conv;
    let span = (p.band_rows.max(1) - 1) * d.stride_h + (d.kernel_h.max(1) - 1) * d.dilation_h + 1;
    span.min(d.in_h)
}

/// Floats of the band buffer: the expanded rows ([`band_input_rows`] of `W · E`) when there is
/// an expansion, then the depthwise output rows (`band_rows` of `ow · E`) when there is a
/// projection.
pub fn band_len(p: &DepthwiseBlockParams) -> usize {
    let d = &p.depthwise.conv;
    let expanded = if p.expand.is_some() { band_input_rows(p) * d.in_w * d.in_channels } else { 0 };
    let projected = if p.project.is_some() { p.band_rows * d.out_w * d.out_channels } else { 0 };
    expanded + projected
}

/// The depthwise input rows `[first, end)` output rows `[o0, o1)` read (clamped to the image).
#[inline(always)]
fn rows_read(p: &DepthwiseBlockParams, o0: usize, o1: usize) -> (usize, usize) {
    let d = &p.depthwise.conv;
    let first = (o0 * d.stride_h).saturating_sub(d.pad_top).min(d.in_h);
    let last = (o1 - 1) * d.stride_h + (d.kernel_h - 1) * d.dilation_h + 1;
    (first, last.saturating_sub(d.pad_top).min(d.in_h))
}

/// The weights of one pointwise step: packed weights and optional bias.
pub type Pointwise<'a> = Option<(&'a [f32], Option<&'a [f32]>)>;

/// The block with the generic convolution; see [`depthwise_block_with`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn depthwise_block(p: &DepthwiseBlockParams, x: &[f32], expand: Pointwise<'_>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, project: Pointwise<'_>, residual: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    depthwise_block_with(conv2d_nhwc, p, x, expand, w_depthwise, b_depthwise, project, residual, band, y);
}

/// `y = project(depthwise(expand(x))) (+ residual)`, each step by `conv` (a channels-last
/// convolution with [`conv2d_nhwc`]'s contract), through `band` ([`band_len`] floats). `x` is
/// the block's input, `y` and `residual` its output's shape; weights packed as for each
/// convolution, given exactly for the steps `p` has. Does nothing if the convolutions do not
/// [`chains`], the weights do not match the steps, or a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn depthwise_block_with<F>(mut conv: F, p: &DepthwiseBlockParams, x: &[f32], expand: Pointwise<'_>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, project: Pointwise<'_>, residual: Option<&[f32]>, band: &mut [f32], y: &mut [f32])
where
    F: FnMut(&ConvNhwcParams, &[f32], &[f32], Option<&[f32]>, Option<&[f32]>, &mut [f32]),
{
    if !chains(p) || p.expand.is_some() != expand.is_some() || p.project.is_some() != project.is_some() {
        return;
    }
    let d = &p.depthwise.conv;
    let (d_row, d_out_row) = (d.in_w * d.in_channels, d.out_w * d.out_channels);
    let x_row = p.expand.map_or(d_row, |e| e.conv.in_w * e.conv.in_channels);
    let y_row = p.project.map_or(d_out_row, |q| q.conv.out_w * q.conv.out_channels);
    let (x_image, y_image) = (d.in_h * x_row, d.out_h * y_row);
    let expanded_len = if p.expand.is_some() { band_input_rows(p) * d_row } else { 0 };
    let (Some(x), Some(y), Some(band)) = (x.get(..d.batch * x_image), y.get_mut(..d.batch * y_image), band.get_mut(..band_len(p))) else {
        return;
    };
    let residual = match residual {
        Some(r) if p.project.is_some() => match r.get(..d.batch * y_image) {
            Some(r) => Some(r),
            None => return,
        },
        Some(_) => return,
        None => None,
    };
    let (expanded, dw_out) = band.split_at_mut(expanded_len);
    for (image, (x, y)) in x.chunks_exact(x_image).zip(y.chunks_exact_mut(y_image)).enumerate() {
        // `expanded` holds expanded rows `[held.0, held.1)` from its start.
        let mut held = (0, 0);
        let mut o0 = 0;
        while o0 < d.out_h {
            let o1 = (o0 + p.band_rows).min(d.out_h);
            let (first, end) = rows_read(p, o0, o1);
            let d_in = match (p.expand, expand) {
                (Some(e), Some((w, b))) => {
                    // Rows the previous band computed and this one reads move to the front.
                    let kept = if first < held.1 { held.1 - first.max(held.0) } else { 0 };
                    if kept > 0 {
                        let from = (held.1 - kept - held.0) * d_row;
                        expanded.copy_within(from..from + kept * d_row, 0);
                    }
                    let new_first = first + kept;
                    if new_first < end {
                        let mut step = e;
                        (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, end - new_first, end - new_first);
                        let (Some(xs), Some(es)) = (x.get(new_first * x_row..end * x_row), expanded.get_mut(kept * d_row..(end - first) * d_row)) else {
                            return;
                        };
                        conv(&step, xs, w, b, None, es);
                    }
                    held = (first, end);
                    expanded.get(..(end - first) * d_row)
                }
                _ => x.get(first * x_row..end * x_row),
            };
            let Some(d_in) = d_in else { return };
            let mut step = p.depthwise;
            // Output row `o0` starts its taps at input row `o0 · stride - pad`, band row
            // `o0 · stride - pad - first`: the shifted padding (never negative, as `first` is
            // that row or 0).
            step.conv.pad_top = first + d.pad_top - o0 * d.stride_h;
            (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, end - first, o1 - o0);
            let Some(ys) = y.get_mut(o0 * y_row..o1 * y_row) else { return };
            match (p.project, project) {
                (Some(q), Some((w, b))) => {
                    let Some(ds) = dw_out.get_mut(..(o1 - o0) * d_out_row) else { return };
                    conv(&step, d_in, w_depthwise, b_depthwise, None, ds);
                    let mut step = q;
                    (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, o1 - o0, o1 - o0);
                    let rows = (image * d.out_h + o0) * y_row..(image * d.out_h + o1) * y_row;
                    let r = residual.and_then(|r| r.get(rows));
                    conv(&step, ds, w, b, r, ys);
                }
                _ => conv(&step, d_in, w_depthwise, b_depthwise, None, ys),
            }
            o0 = o1;
        }
    }
}

#[cfg(test)]
#[path = "depthwise_block_tests.rs"]
pub(crate) mod tests;
