//! Channels-last ops, made by the layout pass (`passes/layout.rs`), never imported. Their data
//! tensors are `[N, H, W, C]`, and their parameters are final: the pass resolves them from the
//! NCHW op it replaces, so inference only checks the input against them.

use super::attributes::{activation_label, Attr, AttrValue};
use super::op::{Activation, PoolKind};
use onnxc_templates::generic::conv_nhwc::ConvNhwcParams;
use onnxc_templates::generic::depthwise_block::DepthwiseBlockParams;
use onnxc_templates::generic::pool::PoolParams;
use onnxc_templates::generic::pool_nhwc::GlobalPoolNhwcParams;
use onnxc_templates::generic::winograd::WinogradParams;

#[derive(Clone, Debug, PartialEq)]
pub enum LayoutOp {
    /// x `[N, H, W, C]`, weights packed by `conv_nhwc::pack_weights` (1-D), optional bias `[M]`,
    /// optional residual `[N, oh, ow, M]` (added before the activation) → `[N, oh, ow, M]`.
    Conv(ConvNhwcParams),
    /// A Gemm or MatMul with constant weights, run as a 1×1 channels-last Conv over its rows
    /// (`[1, 1, rows, k]` → `[1, 1, rows, n]`), so its weights are packed panels too.
    Dense(ConvNhwcParams),
    /// A depthwise Conv with the ungrouped Conv feeding it and the pointwise Conv reading it
    /// (either may be absent), a band of rows at a time. Inputs by slot: 0 x `[N, H0, W0, C]`;
    /// 1, 2 the first step's packed weights and bias; 3, 4 the depthwise's; 5, 6 the
    /// projection's; 7 the projection's residual.
    /// Outputs: the block's `[N, oh, ow, M]`, and the band buffer (`[band_len]`, read by
    /// nobody: the arena plan gives it a slot live for this op only).
    DepthwiseBlock(Box<DepthwiseBlockParams>),
    /// A 3×3 stride-1 Conv by Winograd F(2×2, 3×3): x `[N, H, W, C]`, `U` (1-D, from
    /// `winograd::pack_weights`), optional bias `[M]`, optional residual `[N, oh, ow, M]`.
    /// Outputs: `[N, oh, ow, M]`, and the scratch (`[scratch_len]`, read by nobody, like a
    /// depthwise block's band).
    Winograd(WinogradParams),
    /// MaxPool / AveragePool: x `[N, H, W, C]` → `[N, oh, ow, C]`.
    Pool(PoolKind, PoolParams),
    /// GlobalMaxPool / GlobalAveragePool: x `[N, H, W, C]` → `[N, 1, 1, C]`.
    GlobalPool(PoolKind, GlobalPoolNhwcParams),
}

impl LayoutOp {
    /// The channels-last convolution this op runs, if it is one.
    pub fn conv(&self) -> Option<&ConvNhwcParams> {
        match self {
            LayoutOp::Conv(p) | LayoutOp::Dense(p) => Some(p),
            LayoutOp::Winograd(p) => Some(&p.conv),
            _ => None,
        }
    }

    /// The op name in dumps.
    pub fn name(&self) -> &'static str {
        match self {
            LayoutOp::Conv(_) => "ConvNhwc",
            LayoutOp::Dense(_) => "DensePacked",
            LayoutOp::DepthwiseBlock(_) => "DepthwiseBlockNhwc",
            LayoutOp::Winograd(_) => "WinogradConvNhwc",
            LayoutOp::Pool(PoolKind::Max, _) => "MaxPoolNhwc",
            LayoutOp::Pool(PoolKind::Average, _) => "AveragePoolNhwc",
            LayoutOp::GlobalPool(PoolKind::Max, _) => "GlobalMaxPoolNhwc",
            LayoutOp::GlobalPool(PoolKind::Average, _) => "GlobalAveragePoolNhwc",
        }
    }

    /// How many leading input slots must be filled.
    pub fn required_inputs(&self) -> usize {
        match self {
            LayoutOp::Conv(_) | LayoutOp::Dense(_) | LayoutOp::Winograd(_) => 2,
            LayoutOp::DepthwiseBlock(_) => 1,
            LayoutOp::Pool(..) | LayoutOp::GlobalPool(..) => 1,
        }
    }

    /// The activation fused into this op, if it carries one.
    pub fn fused_activation_mut(&mut self) -> Option<&mut Activation> {
        match self {
            LayoutOp::Conv(p) | LayoutOp::Dense(p) => Some(&mut p.conv.act),
            LayoutOp::Winograd(p) => Some(&mut p.conv.conv.act),
            LayoutOp::DepthwiseBlock(p) => Some(match &mut p.project {
                Some(q) => &mut q.conv.act,
                None => &mut p.depthwise.conv.act,
            }),
            LayoutOp::Pool(..) | LayoutOp::GlobalPool(..) => None,
        }
    }

    /// The attributes for the dumps (Conv's names, so `k=3x3 s=2x2 g=32` reads the same).
    pub fn attributes(&self) -> Vec<Attr> {
        use AttrValue::{Int, Ints, Str};
        let a = |key, value, default| Attr { key, value, default };
        let pair = |h: usize, w: usize| Ints(vec![h as i64, w as i64]);
        match self {
            LayoutOp::Winograd(p) => {
                let c = &p.conv.conv;
                let mut v = vec![
                    a("pads", pair(c.pad_top, c.pad_left), Some(pair(0, 0))),
                    a("panel", Int(p.conv.panel as i64), Some(Int(0))),
                    a("block_tiles", Int(p.block_tiles as i64), None),
                ];
                if c.act != Activation::None {
                    v.push(a("activation", Str(activation_label(c.act)), None));
                }
                v
            }
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
            LayoutOp::Pool(_, p) => vec![
                a("kernel_shape", pair(p.kernel_h, p.kernel_w), None),
                a("strides", pair(p.stride_h, p.stride_w), Some(pair(1, 1))),
                a("pads", Ints(vec![p.pad_top as i64, p.pad_left as i64, p.pad_bottom as i64, p.pad_right as i64]), Some(Ints(vec![0; 4]))),
            ],
            LayoutOp::DepthwiseBlock(p) => {
                let d = &p.depthwise.conv;
                let mut v = vec![];
                if let Some(e) = &p.expand {
                    let c = &e.conv;
                    if (c.kernel_h, c.kernel_w) != (1, 1) {
                        v.push(a("expand_kernel_shape", pair(c.kernel_h, c.kernel_w), None));
                        v.push(a("expand_strides", pair(c.stride_h, c.stride_w), Some(pair(1, 1))));
                        v.push(a("expand_pads", pair(c.pad_top, c.pad_left), Some(pair(0, 0))));
                    }
                    v.push(a("expand_panel", Int(e.panel as i64), None));
                    if e.conv.act != Activation::None {
                        v.push(a("expand_activation", Str(activation_label(e.conv.act)), None));
                    }
                }
                v.extend([
                    a("kernel_shape", pair(d.kernel_h, d.kernel_w), None),
                    a("strides", pair(d.stride_h, d.stride_w), Some(pair(1, 1))),
                    a("dilations", pair(d.dilation_h, d.dilation_w), Some(pair(1, 1))),
                    a("pads", pair(d.pad_top, d.pad_left), Some(pair(0, 0))),
                ]);
                if d.act != Activation::None {
                    v.push(a("activation", Str(activation_label(d.act)), None));
                }
                if let Some(q) = &p.project {
                    v.push(a("project_panel", Int(q.panel as i64), None));
                    if q.conv.act != Activation::None {
                        v.push(a("project_activation", Str(activation_label(q.conv.act)), None));
                    }
                }
                v.push(a("band_rows", Int(p.band_rows as i64), None));
                v
            }
            LayoutOp::GlobalPool(..) => vec![],
        }
    }
}
