//! The banded depthwise block (`generic::depthwise_block`, same contract) with this family's
//! channels-last convolution for every step.

use super::conv_nhwc::ConvNhwcParams;
use super::depthwise_block::{depthwise_block_with, BandConv, DepthwiseBlockParams, Pointwise};
use super::simd_conv_nhwc::conv2d_nhwc;

/// `y = project(depthwise(expand(x))) (+ residual)` a band of rows at a time; see
/// `generic::depthwise_block`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn depthwise_block(p: &DepthwiseBlockParams, x: &[f32], expand: Pointwise<'_>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, project: Pointwise<'_>, residual: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    depthwise_block_with(SimdBandConv, p, x, expand, w_depthwise, b_depthwise, project, residual, band, y);
}

/// This family's channels-last convolution as a band step.
#[derive(Clone, Copy)]
pub struct SimdBandConv;

impl BandConv for SimdBandConv {
    #[inline(always)]
    fn band_conv(self, p: &ConvNhwcParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, residual: Option<&[f32]>, y: &mut [f32]) {
        conv2d_nhwc(p, x, w, bias, residual, y);
    }
}
