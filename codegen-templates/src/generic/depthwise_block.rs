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
//! the rows a band adds read, the depthwise on the band, each with its top padding shifted,
//! the projection (with its residual rows) on the band's output rows. The first step may be
//! any ungrouped convolution, not only a 1×1 one: a network's first 3×3 stride-2 layer
//! feeding its first depthwise (MobileNetV2's 112² × 32 tensor) runs in bands the same way. The results are those of the convolutions run
//! one after the other, bit for bit.

use super::conv::ConvParams;
use super::conv_nhwc::{conv2d_nhwc, ConvNhwcParams};

/// The convolutions and the band height; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthwiseBlockParams {
    /// `[N, H0, W0, C] → [N, H, W, E]`, `groups == 1`: a 1×1 expansion, or any ungrouped
    /// convolution (a first 3×3 stride-2 layer); absent when the depthwise reads the block's
    /// input.
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

/// Whether every output row of a convolution reads at least one input row (no row lies
/// entirely in the vertical padding), so every band of it reads some input.
fn rows_all_read(c: &ConvParams) -> bool {
    let sane = c.stride_h >= 1 && c.dilation_h >= 1 && c.kernel_h >= 1 && c.in_h > 0 && c.out_h > 0;
    sane && c.pad_top <= (c.kernel_h - 1) * c.dilation_h && (c.out_h - 1) * c.stride_h < c.in_h + c.pad_top
}

/// Whether the convolutions chain as [`depthwise_block`] needs: an ungrouped first step and a
/// pointwise last one around a depthwise one (at least one of them present), each step's
/// output the next one's input, and bands that all read input rows.
pub fn chains(p: &DepthwiseBlockParams) -> bool {
    let d = &p.depthwise.conv;
    let expand_ok = match &p.expand {
        Some(e) => {
            let c = &e.conv;
            let shape = c.groups == 1 && c.stride_w >= 1 && c.dilation_w >= 1 && c.kernel_w >= 1 && c.in_w > 0 && rows_all_read(c);
            shape && c.batch == d.batch && c.out_h == d.in_h && c.out_w == d.in_w && c.out_channels == d.in_channels
        }
        None => true,
    };
    let project_ok = match &p.project {
        Some(q) => is_pointwise(q) && q.conv.batch == d.batch && q.conv.in_h == d.out_h && q.conv.in_w == d.out_w && q.conv.in_channels == d.out_channels,
        None => true,
    };
    let depthwise = d.groups == d.in_channels && d.out_channels == d.in_channels && d.groups > 1;
    let some = p.expand.is_some() || p.project.is_some();
    expand_ok && project_ok && some && depthwise && rows_all_read(d) && p.band_rows >= 1
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

/// The input rows `[first, end)` output rows `[o0, o1)` of convolution `c` read (clamped to
/// the image).
#[inline(always)]
fn rows_read(c: &ConvParams, o0: usize, o1: usize) -> (usize, usize) {
    let first = (o0 * c.stride_h).saturating_sub(c.pad_top).min(c.in_h);
    let last = (o1 - 1) * c.stride_h + (c.kernel_h - 1) * c.dilation_h + 1;
    (first, last.saturating_sub(c.pad_top).min(c.in_h))
}

/// Convolution `c` restricted to output rows `[o0, o1)` of one image, reading the input rows
/// `[first, end)` of [`rows_read`]: output row `o0` starts its taps at input row
/// `o0 · stride - pad`, sub-image row `o0 · stride - pad - first`, so the top padding shifts
/// (never negative, as `first` is that row or 0).
#[inline(always)]
fn band_step(q: &ConvNhwcParams, o0: usize, o1: usize, first: usize, end: usize) -> ConvNhwcParams {
    let mut step = *q;
    step.conv.pad_top = first + q.conv.pad_top - o0 * q.conv.stride_h;
    (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, end - first, o1 - o0);
    step
}

/// The weights of one pointwise step: packed weights and optional bias.
pub type Pointwise<'a> = Option<(&'a [f32], Option<&'a [f32]>)>;

/// The channels-last convolution (with [`conv2d_nhwc`]'s contract) a block runs for each of
/// its steps. A trait rather than a closure: its `#[inline(always)]` method is inlined at each
/// step's call, so every step's code is specialized to that step's shape, where one closure
/// body shared by the three steps knew none of them (MobileNetV2 on AVX-512: 2.5% faster).
/// The cost is build time: MobileNetV2's crate builds in about 60 s in release instead of
/// 15 s. Inlining only the depthwise step (30 s) kept a fifth of the gain.
pub trait BandConv: Copy {
    /// `y = act(conv(x, w) + bias + residual)` for one step of a band.
    fn band_conv(self, p: &ConvNhwcParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]);
}

/// The generic kernel as a [`BandConv`].
#[derive(Clone, Copy)]
pub struct GenericBandConv;

impl BandConv for GenericBandConv {
    #[inline(always)]
    fn band_conv(self, p: &ConvNhwcParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
        conv2d_nhwc(p, x, w, bias, residual, y);
    }
}

/// The block with the generic convolution; see [`depthwise_block_with`].
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn depthwise_block(p: &DepthwiseBlockParams, x: &[f32], expand: Pointwise<'_>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, project: Pointwise<'_>, residual: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    depthwise_block_with(GenericBandConv, p, x, expand, w_depthwise, b_depthwise, project, residual, band, y);
}

/// `y = project(depthwise(expand(x))) (+ residual)`, each step by `conv` (a channels-last
/// convolution with [`conv2d_nhwc`]'s contract), through `band` ([`band_len`] floats). `x` is
/// the block's input, `y` and `residual` its output's shape; weights packed as for each
/// convolution, given exactly for the steps `p` has. Does nothing if the convolutions do not
/// [`chains`], the weights do not match the steps, or a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn depthwise_block_with<C: BandConv>(conv: C, p: &DepthwiseBlockParams, x: &[f32], expand: Pointwise<'_>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, project: Pointwise<'_>, residual: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    if !chains(p) || p.expand.is_some() != expand.is_some() || p.project.is_some() != project.is_some() {
        return;
    }
    let d = &p.depthwise.conv;
    let (d_row, d_out_row) = (d.in_w * d.in_channels, d.out_w * d.out_channels);
    let x_row = p.expand.map_or(d_row, |e| e.conv.in_w * e.conv.in_channels);
    let y_row = p.project.map_or(d_out_row, |q| q.conv.out_w * q.conv.out_channels);
    let x_image = p.expand.map_or(d.in_h, |e| e.conv.in_h) * x_row;
    let y_image = d.out_h * y_row;
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
            let (first, end) = rows_read(d, o0, o1);
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
                        let (x_first, x_end) = rows_read(&e.conv, new_first, end);
                        let step = band_step(&e, new_first, end, x_first, x_end);
                        let (Some(xs), Some(es)) = (x.get(x_first * x_row..x_end * x_row), expanded.get_mut(kept * d_row..(end - first) * d_row)) else {
                            return;
                        };
                        conv.band_conv(&step, xs, w, b, None, es);
                    }
                    held = (first, end);
                    expanded.get(..(end - first) * d_row)
                }
                _ => x.get(first * x_row..end * x_row),
            };
            let Some(d_in) = d_in else { return };
            let step = band_step(&p.depthwise, o0, o1, first, end);
            let Some(ys) = y.get_mut(o0 * y_row..o1 * y_row) else { return };
            match (p.project, project) {
                (Some(q), Some((w, b))) => {
                    let Some(ds) = dw_out.get_mut(..(o1 - o0) * d_out_row) else { return };
                    conv.band_conv(&step, d_in, w_depthwise, b_depthwise, None, ds);
                    let mut step = q;
                    (step.conv.batch, step.conv.in_h, step.conv.out_h) = (1, o1 - o0, o1 - o0);
                    let rows = (image * d.out_h + o0) * y_row..(image * d.out_h + o1) * y_row;
                    let r = residual.and_then(|r| r.get(rows));
                    conv.band_conv(&step, ds, w, b, r, ys);
                }
                _ => conv.band_conv(&step, d_in, w_depthwise, b_depthwise, None, ys),
            }
            o0 = o1;
        }
    }
}

#[cfg(test)]
#[path = "depthwise_block_tests.rs"]
pub(crate) mod tests;
