//! Inference rules of the detection and feature-extraction ops ([`VisionOp`]), and the 2-D
//! DeformConv geometry lowering shares with them.

use super::rules::dim_from_i64;
use super::{Inferred, Inputs};
use crate::error::{Error, Result};
use crate::ir::op_vision::{DeformConv, VisionOp};
use crate::ir::{DType, Tensor};

fn require_real(inputs: &Inputs, i: usize) -> Result<DType> {
    let d = inputs.dtype(i)?;
    if super::nn::is_real(d) {
        Ok(d)
    } else {
        Err(Error::unsupported(format!("input {i} has type {d}; this op supports f32, f64, f16 and bf16")))
    }
}

fn same_type(inputs: &Inputs, i: usize, dtype: DType) -> Result<()> {
    match inputs.dtype(i)? {
        d if d == dtype => Ok(()),
        d => Err(Error::invalid(format!("input {i} has type {d}, expected {dtype} like input 0"))),
    }
}

/// The values of the present inputs of an op whose output shape depends on them.
pub(crate) fn constant_inputs<'a>(op: &str, inputs: &[Option<&'a Tensor>], present: impl Fn(usize) -> bool, what: &str) -> Result<Vec<Option<&'a Tensor>>> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Some(t) => Ok(Some(*t)),
            None if present(i) => Err(Error::unsupported(format!(
                "{op}'s output shape depends on {what} values, which must be compile-time constants"
            ))),
            None => Ok(None),
        })
        .collect()
}

/// Output geometry of a 2-D DeformConv.
#[derive(Clone, Debug, PartialEq)]
pub struct DeformGeometry {
    pub kernel: [usize; 2],
    pub strides: [usize; 2],
    pub dilations: [usize; 2],
    /// Top, left, bottom, right.
    pub pads: [usize; 4],
    pub out: [usize; 2],
}

/// The geometry of a DeformConv with input `x` `[N, C, H, W]` and weight `w` `[M, C/g, kh, kw]`.
pub fn deform_geometry(d: &DeformConv, x: &[usize], w: &[usize]) -> Result<DeformGeometry> {
    if x.len() != 4 || w.len() != 4 {
        return Err(Error::unsupported(format!("DeformConv over {} spatial axes: onnxc supports 2-D (X {x:?}, W {w:?})", x.len().saturating_sub(2))));
    }
    let two = |v: &[usize], name: &str, default: usize| -> Result<[usize; 2]> {
        match v {
            [] => Ok([default; 2]),
            [a, b] => Ok([*a, *b]),
            _ => Err(Error::invalid(format!("'{name}' has {} values for 2 spatial axes", v.len()))),
        }
    };
    let kernel = if d.kernel.is_empty() { [w[2], w[3]] } else { two(&d.kernel, "kernel_shape", 1)? };
    if kernel != [w[2], w[3]] {
        return Err(Error::invalid(format!("kernel_shape {kernel:?} differs from the weight's {:?}", &w[2..])));
    }
    let strides = two(&d.strides, "strides", 1)?;
    let dilations = two(&d.dilations, "dilations", 1)?;
    let pads = match d.pads.as_slice() {
        [] => [0; 4],
        [a, b, c, e] => [*a, *b, *c, *e],
        p => return Err(Error::invalid(format!("'pads' has {} values for 2 spatial axes", p.len()))),
    };
    let mut out = [0; 2];
    for k in 0..2 {
        let span = (kernel[k] - 1) * dilations[k] + 1;
        let padded = x[2 + k] + pads[k] + pads[k + 2];
        if padded < span {
            return Err(Error::invalid(format!("DeformConv window {span} is larger than the padded input {padded}")));
        }
        out[k] = (padded - span) / strides[k] + 1;
    }
    Ok(DeformGeometry { kernel, strides, dilations, pads, out })
}

/// Infers the outputs of a vision op.
pub fn infer(op: &VisionOp, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    match op {
        VisionOp::NonMaxSuppression { center_point_box } => {
            let values = constant_inputs("NonMaxSuppression", inputs.values, |i| inputs.present(i), "its inputs'")?;
            let selected = crate::eval::vision::nms(*center_point_box, &values)?;
            Ok(vec![(DType::I64, selected.shape)])
        }
        VisionOp::Unique { axis, sorted } => {
            let values = constant_inputs("Unique", inputs.values, |i| inputs.present(i), "its input's")?;
            let x = values.first().copied().flatten().ok_or_else(|| Error::invalid("input 0 is required"))?;
            let results = crate::eval::vision::unique(x, *axis, *sorted)?;
            Ok(results.iter().take(num_outputs.max(1)).map(|t| (t.dtype(), t.shape.clone())).collect())
        }
        VisionOp::RoiAlign(r) => {
            let dtype = require_real(inputs, 0)?;
            same_type(inputs, 1, dtype)?;
            if inputs.dtype(2)? != DType::I64 {
                return Err(Error::invalid(format!("batch_indices must be int64, found {}", inputs.dtype(2)?)));
            }
            let (x, rois, idx) = (inputs.shape(0)?, inputs.shape(1)?, inputs.shape(2)?);
            match (x, rois, idx) {
                ([_, c, _, _], [n, 4], [m]) if n == m => Ok(vec![(dtype, vec![*n, *c, r.output_height, r.output_width])]),
                _ => Err(Error::invalid(format!("RoiAlign needs X [N, C, H, W], rois [R, 4] and batch_indices [R]; got {x:?}, {rois:?}, {idx:?}"))),
            }
        }
        VisionOp::DeformConv(d) => {
            let dtype = require_real(inputs, 0)?;
            for i in 1..5 {
                if inputs.present(i) {
                    same_type(inputs, i, dtype)?;
                }
            }
            let (x, w, offset) = (inputs.shape(0)?, inputs.shape(1)?, inputs.shape(2)?);
            let g = deform_geometry(d, x, w)?;
            let taps = g.kernel[0] * g.kernel[1];
            if x[1] != w[1] * d.group || w[0] % d.group != 0 || x[1] % d.offset_group != 0 {
                return Err(Error::invalid(format!("DeformConv channels: X {x:?}, W {w:?}, group {}, offset_group {}", d.group, d.offset_group)));
            }
            let out = vec![x[0], w[0], g.out[0], g.out[1]];
            let want_offset = [x[0], d.offset_group * taps * 2, g.out[0], g.out[1]];
            if offset != want_offset {
                return Err(Error::invalid(format!("offset has shape {offset:?}, expected {want_offset:?}")));
            }
            if inputs.present(3) && inputs.shape(3)? != [w[0]] {
                return Err(Error::invalid(format!("B has shape {:?}, expected [{}]", inputs.shape(3)?, w[0])));
            }
            let want_mask = [x[0], d.offset_group * taps, g.out[0], g.out[1]];
            if inputs.present(4) && inputs.shape(4)? != want_mask {
                return Err(Error::invalid(format!("mask has shape {:?}, expected {want_mask:?}", inputs.shape(4)?)));
            }
            Ok(vec![(dtype, out)])
        }
        VisionOp::AffineGrid { .. } => {
            let dtype = require_real(inputs, 0)?;
            let theta = inputs.shape(0)?;
            let size: Vec<usize> = inputs.ints(1, "size")?.iter().map(|&d| dim_from_i64(d, "AffineGrid size")).collect::<Result<_>>()?;
            match (theta, size.as_slice()) {
                ([n, 2, 3], [m, _, h, w]) if n == m => Ok(vec![(dtype, vec![*n, *h, *w, 2])]),
                ([n, 3, 4], [m, _, d, h, w]) if n == m => Ok(vec![(dtype, vec![*n, *d, *h, *w, 3])]),
                _ => Err(Error::invalid(format!("AffineGrid needs theta [N, 2, 3] with size [N, C, H, W] or theta [N, 3, 4] with size [N, C, D, H, W]; got {theta:?} and {size:?}"))),
            }
        }
        VisionOp::TfIdf(t) => {
            match inputs.dtype(0)? {
                DType::I32 | DType::I64 => {}
                d => return Err(Error::unsupported(format!("TfIdfVectorizer on {d} input: onnxc supports int32 and int64 tokens"))),
            }
            let out = t.ngram_indexes.iter().copied().max().unwrap_or(0);
            let out = dim_from_i64(out, "ngram_indexes")? + 1;
            match inputs.shape(0)? {
                [_] | [] => Ok(vec![(DType::F32, vec![out])]),
                [n, _] => Ok(vec![(DType::F32, vec![*n, out])]),
                x => Err(Error::invalid(format!("TfIdfVectorizer input must be [C] or [N, C], got {x:?}"))),
            }
        }
    }
}
