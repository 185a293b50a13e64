//! Lowering of the vision ops behind `Op::Vision` to their kernels. NonMaxSuppression and
//! Unique have none: they are folded into constants at compile time.

use super::nn::float_kind;
use crate::error::{Error, Result};
use crate::ir::infer::vision::deform_geometry;
use crate::ir::infer::Inputs;
use crate::ir::op_vision::VisionOp;
use crate::ir::ValueInfo;
use onnxc_templates::generic as k;

/// A lowered vision op. `slots[i]` says whether node input `i` is present (the evaluator and
/// codegen receive only the present ones, in slot order).
#[derive(Clone, Debug, PartialEq)]
pub struct VisionKernel {
    pub kind: VisionKernelKind,
    pub slots: Vec<bool>,
}

/// The pool of a TfIdfVectorizer (printed as constant slices in generated code).
#[derive(Clone, Debug, PartialEq)]
pub struct TfIdfKernel {
    pub params: k::tfidf::TfIdfParams,
    pub pool: Vec<i64>,
    pub ngram_counts: Vec<i64>,
    pub ngram_indexes: Vec<i64>,
    pub weights: Vec<f32>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum VisionKernelKind {
    /// x, rois, batch_indices.
    RoiAlign(k::vision::RoiAlignParams),
    /// x, w, offset, bias?, mask?.
    DeformConv(k::vision::DeformConvParams),
    /// theta (size is a compile-time constant).
    AffineGrid(k::vision::AffineGridParams),
    /// x (int32 or int64 tokens).
    TfIdf(TfIdfKernel),
}

/// Chooses the kernel of a vision op.
pub fn lower(op: &VisionOp, ins: &Inputs, outputs: &[ValueInfo]) -> Result<VisionKernel> {
    let slots: Vec<bool> = ins.infos.iter().map(Option::is_some).collect();
    let info = |i: usize| -> Result<&ValueInfo> {
        ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    let out = outputs.first().ok_or_else(|| Error::internal("vision op without output"))?;
    let kind = match op {
        VisionOp::NonMaxSuppression { .. } | VisionOp::Unique { .. } => {
            return Err(Error::unsupported(format!(
                "{}'s output shape depends on its input values: it is computed at compile time only",
                op.name()
            )))
        }
        VisionOp::RoiAlign(r) => {
            let x = &info(0)?.shape;
            VisionKernelKind::RoiAlign(k::vision::RoiAlignParams {
                rois: out.shape[0],
                batch: x[0],
                channels: x[1],
                height: x[2],
                width: x[3],
                out_h: r.output_height,
                out_w: r.output_width,
                sampling_ratio: r.sampling_ratio,
                spatial_scale: r.spatial_scale,
                half_pixel: r.half_pixel,
                max: r.max,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        VisionOp::DeformConv(d) => {
            let (x, w) = (&info(0)?.shape, &info(1)?.shape);
            let g = deform_geometry(d, x, w)?;
            VisionKernelKind::DeformConv(k::vision::DeformConvParams {
                batch: x[0],
                in_channels: x[1],
                in_h: x[2],
                in_w: x[3],
                out_channels: w[0],
                out_h: g.out[0],
                out_w: g.out[1],
                kernel_h: g.kernel[0],
                kernel_w: g.kernel[1],
                stride_h: g.strides[0],
                stride_w: g.strides[1],
                pad_h: g.pads[0],
                pad_w: g.pads[1],
                dilation_h: g.dilations[0],
                dilation_w: g.dilations[1],
                group: d.group,
                offset_group: d.offset_group,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        VisionOp::AffineGrid { align_corners } => {
            let theta = &info(0)?.shape;
            let rank = theta.get(1).copied().unwrap_or(0);
            let size = match out.shape.as_slice() {
                [_, h, w, _] => [1, *h, *w],
                [_, d, h, w, _] => [*d, *h, *w],
                s => return Err(Error::internal(format!("AffineGrid output {s:?}"))),
            };
            VisionKernelKind::AffineGrid(k::vision::AffineGridParams {
                batch: theta[0],
                rank,
                size,
                align_corners: *align_corners,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        VisionOp::TfIdf(t) => {
            let x = &info(0)?.shape;
            let (rows, cols) = match x.as_slice() {
                [] => (1, 1),
                [c] => (1, *c),
                [n, c] => (*n, *c),
                _ => return Err(Error::invalid(format!("TfIdfVectorizer input must be [C] or [N, C], got {x:?}"))),
            };
            let out_size = *out.shape.last().unwrap_or(&0);
            if !t.weights.is_empty() && t.weights.len() < out_size {
                return Err(Error::unsupported(format!(
                    "TfIdfVectorizer weights: {} values for {out_size} output columns",
                    t.weights.len()
                )));
            }
            VisionKernelKind::TfIdf(TfIdfKernel {
                params: k::tfidf::TfIdfParams {
                    rows,
                    cols,
                    out_size,
                    mode: t.mode,
                    min_gram: t.min_gram,
                    max_gram: t.max_gram,
                    max_skip: t.max_skip,
                },
                pool: t.pool.clone(),
                ngram_counts: t.ngram_counts.clone(),
                ngram_indexes: t.ngram_indexes.clone(),
                weights: t.weights.clone(),
            })
        }
    };
    Ok(VisionKernel { kind, slots })
}
