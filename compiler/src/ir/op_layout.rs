//! Channels-last ops, made by the layout pass (`passes/layout.rs`), never imported. Their data
//! tensors are `[N, H, W, C]`, and their parameters are final: the pass resolves them from the
//! NCHW op it replaces, so inference only checks the input against them.

use super::attributes::{activation_label, Attr, AttrValue};
use super::op::Activation;
use onnxc_templates::generic::conv_nhwc::ConvNhwcParams;

#[derive(Clone, Debug, PartialEq)]
pub enum LayoutOp {
    /// x `[N, H, W, C]`, weights packed by `conv_nhwc::pack_weights` (1-D), optional bias `[M]`,
    /// optional residual `[N, oh, ow, M]` (added before the activation) → `[N, oh, ow, M]`.
    Conv(ConvNhwcParams),
    /// A Gemm or MatMul with constant weights, run as a 1×1 channels-last Conv over its rows
    /// (`[1, 1, rows, k]` → `[1, 1, rows, n]`), so its weights are packed panels too.
    Dense(ConvNhwcParams),
}

impl LayoutOp {
    /// The channels-last convolution this op runs.
    pub fn conv(&self) -> &ConvNhwcParams {
        match self {
            LayoutOp::Conv(p) | LayoutOp::Dense(p) => p,
        }
    }

    /// The op name in dumps.
    pub fn name(&self) -> &'static str {
        match self {
            LayoutOp::Conv(_) => "ConvNhwc",
            LayoutOp::Dense(_) => "DensePacked",
        }
    }

    /// How many leading input slots must be filled.
    pub fn required_inputs(&self) -> usize {
        match self {
            LayoutOp::Conv(_) | LayoutOp::Dense(_) => 2,
        }
    }

    /// The activation fused into this op, if it carries one.
    pub fn fused_activation_mut(&mut self) -> Option<&mut Activation> {
        match self {
            LayoutOp::Conv(p) | LayoutOp::Dense(p) => Some(&mut p.conv.act),
        }
    }

    /// The attributes for the dumps (Conv's names, so `k=3x3 s=2x2 g=32` reads the same).
    pub fn attributes(&self) -> Vec<Attr> {
        use AttrValue::{Int, Ints, Str};
        let a = |key, value, default| Attr { key, value, default };
        let pair = |h: usize, w: usize| Ints(vec![h as i64, w as i64]);
        match self {
            LayoutOp::Conv(p) | LayoutOp::Dense(p) => {
                let c = &p.conv;
                let mut v = vec![
                    a("kernel_shape", pair(c.kernel_h, c.kernel_w), None),
                    a("strides", pair(c.stride_h, c.stride_w), Some(pair(1, 1))),
                    a("dilations", pair(c.dilation_h, c.dilation_w), Some(pair(1, 1))),
                    a("pads", pair(c.pad_top, c.pad_left), Some(pair(0, 0))),
                    a("group", Int(c.groups as i64), Some(Int(1))),
                    a("panel", Int(p.panel as i64), Some(Int(0))),
                ];
                if c.act != Activation::None {
                    v.push(a("activation", Str(activation_label(c.act)), None));
                }
                v
            }
        }
    }
}
