//! Converters of the detection and feature-extraction ops ([`VisionOp`]): NonMaxSuppression,
//! Unique, RoiAlign, DeformConv, AffineGrid, TfIdfVectorizer.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op_vision::{DeformConv, RoiAlign, TfIdf, VisionOp};
use crate::ir::Op;

/// Converts one of the ops above.
pub(super) fn convert(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    let op = match ctx.node.op_type.as_str() {
        "NonMaxSuppression" => {
            ctx.expect_inputs(2, 5)?;
            ctx.expect_outputs(1, 1)?;
            VisionOp::NonMaxSuppression { center_point_box: a.bool_or("center_point_box", false)? }
        }
        "Unique" => {
            ctx.expect_inputs(1, 1)?;
            ctx.expect_outputs(1, 4)?;
            VisionOp::Unique { axis: a.int("axis")?, sorted: a.bool_or("sorted", true)? }
        }
        "RoiAlign" => {
            ctx.expect_inputs(3, 3)?;
            ctx.expect_outputs(1, 1)?;
            VisionOp::RoiAlign(roi_align(ctx)?)
        }
        "DeformConv" => {
            ctx.expect_inputs(3, 5)?;
            ctx.expect_outputs(1, 1)?;
            VisionOp::DeformConv(deform_conv(ctx)?)
        }
        "AffineGrid" => {
            ctx.expect_inputs(2, 2)?;
            ctx.expect_outputs(1, 1)?;
            VisionOp::AffineGrid { align_corners: a.bool_or("align_corners", false)? }
        }
        _ => {
            ctx.expect_inputs(1, 1)?;
            ctx.expect_outputs(1, 1)?;
            VisionOp::TfIdf(tfidf(ctx)?)
        }
    };
    Ok(ctx.lowered(Op::Vision(op)))
}

fn positive(v: i64, name: &str) -> Result<usize> {
    usize::try_from(v).ok().filter(|&v| v >= 1).ok_or_else(|| Error::invalid(format!("attribute '{name}' must be ≥ 1, found {v}")))
}

fn roi_align(ctx: &NodeCtx) -> Result<RoiAlign> {
    let a = &ctx.attrs;
    // Opset 16 added half_pixel (its default); before, coordinates were output_half_pixel.
    let half_pixel = if ctx.opset >= 16 {
        match a.string_or("coordinate_transformation_mode", "half_pixel")? {
            "half_pixel" => true,
            "output_half_pixel" => false,
            other => return Err(Error::invalid(format!("unknown coordinate_transformation_mode {other:?}"))),
        }
    } else {
        false
    };
    let max = match a.string_or("mode", "avg")? {
        "avg" => false,
        "max" => true,
        other => return Err(Error::invalid(format!("unknown mode {other:?}"))),
    };
    let sampling_ratio = a.int_or("sampling_ratio", 0)?;
    let sampling_ratio =
        usize::try_from(sampling_ratio).map_err(|_| Error::invalid(format!("sampling_ratio must be ≥ 0, found {sampling_ratio}")))?;
    let spatial_scale = a.float_or("spatial_scale", 1.0)?;
    if !spatial_scale.is_finite() {
        return Err(Error::invalid(format!("spatial_scale must be finite, found {spatial_scale}")));
    }
    Ok(RoiAlign {
        half_pixel,
        max,
        output_height: positive(a.int_or("output_height", 1)?, "output_height")?,
        output_width: positive(a.int_or("output_width", 1)?, "output_width")?,
        sampling_ratio,
        spatial_scale,
    })
}

fn deform_conv(ctx: &NodeCtx) -> Result<DeformConv> {
    let a = &ctx.attrs;
    let kernel = a.sizes("kernel_shape", 1)?.unwrap_or_default();
    let strides = a.sizes("strides", 1)?.unwrap_or_default();
    let dilations = a.sizes("dilations", 1)?.unwrap_or_default();
    let pads = a.sizes("pads", 0)?.unwrap_or_default();
    if pads.len() % 2 != 0 {
        return Err(Error::invalid(format!("attribute 'pads' needs begin and end values, found {pads:?}")));
    }
    Ok(DeformConv {
        kernel,
        strides,
        dilations,
        pads,
        group: positive(a.int_or("group", 1)?, "group")?,
        offset_group: positive(a.int_or("offset_group", 1)?, "offset_group")?,
    })
}

fn tfidf(ctx: &NodeCtx) -> Result<TfIdf> {
    let a = &ctx.attrs;
    let required_int = |name: &str| -> Result<i64> { a.int(name)?.ok_or_else(|| Error::invalid(format!("attribute '{name}' is required"))) };
    let mode = match a.string("mode")?.ok_or_else(|| Error::invalid("attribute 'mode' is required"))? {
        "TF" => 0,
        "IDF" => 1,
        "TFIDF" => 2,
        other => return Err(Error::invalid(format!("unknown mode {other:?}"))),
    };
    let min_gram = positive(required_int("min_gram_length")?, "min_gram_length")?;
    let max_gram = positive(required_int("max_gram_length")?, "max_gram_length")?;
    if min_gram > max_gram {
        return Err(Error::invalid(format!("min_gram_length {min_gram} exceeds max_gram_length {max_gram}")));
    }
    let max_skip = required_int("max_skip_count")?;
    let max_skip = usize::try_from(max_skip).map_err(|_| Error::invalid(format!("max_skip_count must be ≥ 0, found {max_skip}")))?;
    if a.has("pool_strings") {
        a.ignore("pool_strings");
        return Err(unsupported("TfIdfVectorizer with pool_strings: onnxc has no string tensors"));
    }
    let pool = a.ints("pool_int64s")?.ok_or_else(|| Error::invalid("attribute 'pool_int64s' (or 'pool_strings') is required"))?;
    let ngram_counts = a.ints("ngram_counts")?.ok_or_else(|| Error::invalid("attribute 'ngram_counts' is required"))?;
    let ngram_indexes = a.ints("ngram_indexes")?.ok_or_else(|| Error::invalid("attribute 'ngram_indexes' is required"))?;
    let weights = a.floats("weights")?.unwrap_or_default();
    let mut previous = 0;
    for &c in &ngram_counts {
        if c < previous || c as u64 > pool.len() as u64 {
            return Err(Error::invalid(format!("ngram_counts {ngram_counts:?} must be non-decreasing offsets into a pool of {}", pool.len())));
        }
        previous = c;
    }
    if ngram_indexes.is_empty() || ngram_indexes.iter().any(|&i| i < 0) {
        return Err(Error::invalid("ngram_indexes must be non-empty and ≥ 0"));
    }
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(Error::invalid("weights must be finite"));
    }
    Ok(TfIdf { mode, min_gram, max_gram, max_skip, ngram_counts, ngram_indexes, pool, weights })
}
