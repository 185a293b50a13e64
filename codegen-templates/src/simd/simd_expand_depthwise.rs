//! The banded expansion + depthwise (`generic::expand_depthwise`, same contract) with this
//! family's channels-last convolution for both steps.

use super::expand_depthwise::{expand_depthwise_with, ExpandDepthwiseParams};
use super::simd_conv_nhwc::conv2d_nhwc;

/// `y = depthwise(expand(x))` a band of rows at a time; see `generic::expand_depthwise`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn expand_depthwise(p: &ExpandDepthwiseParams, x: &[f32], w_expand: &[f32], b_expand: Option<&[f32]>, w_depthwise: &[f32], b_depthwise: Option<&[f32]>, band: &mut [f32], y: &mut [f32]) {
    expand_depthwise_with(conv2d_nhwc, p, x, w_expand, b_expand, w_depthwise, b_depthwise, band, y);
}
