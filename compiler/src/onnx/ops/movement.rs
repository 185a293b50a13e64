//! Converters for shape and data-movement operators: reshapes, slicing, padding, resizing.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op::{CoordinateMode, NearestMode, Pad, PadMode, Resize, ResizeMode, Slice, Split};
use crate::ir::Op;

pub(super) fn reshape(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    let allowzero = ctx.opset >= 14 && ctx.attrs.bool_or("allowzero", false)?;
    Ok(ctx.lowered(Op::Reshape { allowzero }))
}

pub(super) fn flatten(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Flatten { axis: ctx.attrs.int_or("axis", 1)? }))
}

pub(super) fn transpose(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Transpose { perm: ctx.attrs.ints("perm")? }))
}

pub(super) fn concat(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(ctx.node.input.len().max(1), usize::MAX)?;
    ctx.expect_outputs(1, 1)?;
    let axis = ctx.attrs.int("axis")?.ok_or_else(|| Error::invalid("attribute 'axis' is required"))?;
    Ok(ctx.lowered(Op::Concat { axis }))
}

/// Split: sizes are an attribute before opset 13, input 1 after; opset 18 may instead give
/// `num_outputs` (equal chunks, the last one smaller), which is the output count.
pub(super) fn split(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, usize::MAX)?;
    let a = &ctx.attrs;
    let axis = a.int_or("axis", 0)?;
    let outputs = ctx.node.output.len();
    let split = if ctx.opset < 13 {
        ctx.expect_inputs(1, 1)?;
        a.ints("split")?
    } else {
        ctx.expect_inputs(1, 2)?;
        if ctx.opset >= 18 {
            if let Some(n) = a.int("num_outputs")? {
                if ctx.has_input(1) {
                    return Err(Error::invalid("'num_outputs' and the 'split' input cannot both be given"));
                }
                if usize::try_from(n).ok() != Some(outputs) {
                    return Err(Error::invalid(format!("num_outputs = {n}, but the node has {outputs} outputs")));
                }
            }
        }
        None
    };
    if let Some(sizes) = &split {
        if sizes.len() != outputs {
            return Err(Error::invalid(format!("'split' has {} sizes for {outputs} outputs", sizes.len())));
        }
    }
    Ok(ctx.lowered(Op::Split(Split { axis, split })))
}

/// Slice: starts/ends/axes are attributes before opset 10, inputs (with steps) after.
pub(super) fn slice(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    if ctx.opset >= 10 {
        ctx.expect_inputs(3, 5)?;
        return Ok(ctx.lowered(Op::Slice(Slice { starts: None, ends: None, axes: None })));
    }
    ctx.expect_inputs(1, 1)?;
    let a = &ctx.attrs;
    let starts = a.ints("starts")?.ok_or_else(|| Error::invalid("attribute 'starts' is required"))?;
    let ends = a.ints("ends")?.ok_or_else(|| Error::invalid("attribute 'ends' is required"))?;
    let axes = a.ints("axes")?;
    if starts.len() != ends.len() || axes.as_ref().is_some_and(|x| x.len() != starts.len()) {
        return Err(Error::invalid("'starts', 'ends' and 'axes' must have the same length"));
    }
    Ok(ctx.lowered(Op::Slice(Slice { starts: Some(starts), ends: Some(ends), axes })))
}

/// Squeeze and Unsqueeze: axes are an attribute before opset 13 (required for Unsqueeze),
/// input 1 after (required for Unsqueeze).
pub(super) fn squeeze(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let unsqueeze = ctx.node.op_type == "Unsqueeze";
    let axes = if ctx.opset < 13 {
        ctx.expect_inputs(1, 1)?;
        let axes = ctx.attrs.ints("axes")?;
        if unsqueeze && axes.is_none() {
            return Err(Error::invalid("attribute 'axes' is required"));
        }
        axes
    } else {
        if unsqueeze {
            ctx.expect_inputs(2, 2)?;
        } else {
            ctx.expect_inputs(1, 2)?;
        }
        None
    };
    Ok(ctx.lowered(if unsqueeze { Op::Unsqueeze { axes } } else { Op::Squeeze { axes } }))
}

pub(super) fn gather(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Gather { axis: ctx.attrs.int_or("axis", 0)? }))
}

/// Pad: pads and value are attributes before opset 11, inputs after (axes from opset 18).
pub(super) fn pad(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let mode = match a.string_or("mode", "constant")? {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" if ctx.opset >= 19 => PadMode::Wrap,
        other => return Err(Error::invalid(format!("mode {other:?} is not a pad mode at opset {}", ctx.opset))),
    };
    if ctx.opset < 11 {
        ctx.expect_inputs(1, 1)?;
        let pads = a.ints("pads")?.ok_or_else(|| Error::invalid("attribute 'pads' is required"))?;
        if pads.len() % 2 != 0 {
            return Err(Error::invalid(format!("attribute 'pads' needs begin and end values, found {pads:?}")));
        }
        let value = a.float_or("value", 0.0)?;
        return Ok(ctx.lowered(Op::Pad(Pad { mode, pads: Some(pads), value })));
    }
    ctx.expect_inputs(2, if ctx.opset >= 18 { 4 } else { 3 })?;
    Ok(ctx.lowered(Op::Pad(Pad { mode, pads: None, value: 0.0 })))
}

fn resize_mode(mode: &str) -> Result<ResizeMode> {
    match mode {
        "nearest" => Ok(ResizeMode::Nearest),
        "linear" => Ok(ResizeMode::Linear),
        "cubic" => Ok(ResizeMode::Cubic),
        other => Err(Error::invalid(format!("unknown mode {other:?}"))),
    }
}

/// Resize before opset 11 and Upsample: `x / scale` coordinates, nearest rounds down.
fn legacy_resize(mode: ResizeMode, scales_attr: Option<Vec<f32>>) -> Resize {
    Resize {
        mode,
        coordinate_mode: CoordinateMode::Asymmetric,
        nearest_mode: NearestMode::Floor,
        exclude_outside: false,
        extrapolation_value: 0.0,
        cubic_coeff_a: -0.75,
        axes: None,
        scales_attr,
        antialias: false,
        keep_aspect: 0,
    }
}

/// Resize, with its input slots normalized to opset 11's `[X, roi, scales, sizes]`.
pub(super) fn resize(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let mode = resize_mode(a.string_or("mode", "nearest")?)?;
    if ctx.opset < 11 {
        ctx.expect_inputs(2, 2)?;
        let op = Op::Resize(legacy_resize(mode, None));
        return Ok(Lowered { op, inputs: vec![Some(0), None, Some(1)], outputs: 1 });
    }
    ctx.expect_inputs(1, 4)?;
    let coordinate_mode = match a.string_or("coordinate_transformation_mode", "half_pixel")? {
        "half_pixel" => CoordinateMode::HalfPixel,
        "half_pixel_symmetric" if ctx.opset >= 19 => CoordinateMode::HalfPixelSymmetric,
        "pytorch_half_pixel" => CoordinateMode::PytorchHalfPixel,
        "align_corners" => CoordinateMode::AlignCorners,
        "asymmetric" => CoordinateMode::Asymmetric,
        "tf_crop_and_resize" => CoordinateMode::TfCropAndResize,
        m @ "tf_half_pixel_for_nn" if ctx.opset < 13 => {
            return Err(unsupported(format!("coordinate_transformation_mode {m:?} is not supported")))
        }
        other => {
            return Err(Error::invalid(format!(
                "coordinate_transformation_mode {other:?} is not defined at opset {}",
                ctx.opset
            )))
        }
    };
    let nearest_mode = match a.string_or("nearest_mode", "round_prefer_floor")? {
        "round_prefer_floor" => NearestMode::RoundPreferFloor,
        "round_prefer_ceil" => NearestMode::RoundPreferCeil,
        "floor" => NearestMode::Floor,
        "ceil" => NearestMode::Ceil,
        other => return Err(Error::invalid(format!("unknown nearest_mode {other:?}"))),
    };
    let (mut axes, mut antialias, mut keep_aspect) = (None, false, 0);
    if ctx.opset >= 18 {
        antialias = a.bool_or("antialias", false)?;
        axes = a.ints("axes")?;
        // The policy only applies to `sizes`.
        keep_aspect = match a.string_or("keep_aspect_ratio_policy", "stretch")? {
            "stretch" => 0,
            "not_larger" => 1,
            "not_smaller" => 2,
            other => return Err(Error::invalid(format!("unknown keep_aspect_ratio_policy {other:?}"))),
        };
    }
    let resize = Resize {
        mode,
        coordinate_mode,
        nearest_mode,
        exclude_outside: a.bool_or("exclude_outside", false)?,
        extrapolation_value: a.float_or("extrapolation_value", 0.0)?,
        cubic_coeff_a: a.float_or("cubic_coeff_a", -0.75)?,
        axes,
        scales_attr: None,
        antialias,
        keep_aspect,
    };
    Ok(Lowered { op: Op::Resize(resize), inputs: ctx.slots(4), outputs: 1 })
}

/// Upsample (opsets 7–9): scales are an attribute at 7–8, input 1 at 9.
pub(super) fn upsample(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    if ctx.opset >= 10 {
        return Err(Error::invalid("Upsample is deprecated from opset 10 on; use Resize"));
    }
    let mode = resize_mode(ctx.attrs.string_or("mode", "nearest")?)?;
    if ctx.opset >= 9 {
        ctx.expect_inputs(2, 2)?;
        let op = Op::Resize(legacy_resize(mode, None));
        return Ok(Lowered { op, inputs: vec![Some(0), None, Some(1)], outputs: 1 });
    }
    ctx.expect_inputs(1, 1)?;
    let scales = ctx.attrs.floats("scales")?.ok_or_else(|| Error::invalid("attribute 'scales' is required"))?;
    Ok(ctx.lowered(Op::Resize(legacy_resize(mode, Some(scales)))))
}

/// Shape, with the start/end range of opset 15.
pub(super) fn shape(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let (start, end) = if ctx.opset >= 15 { (ctx.attrs.int_or("start", 0)?, ctx.attrs.int("end")?) } else { (0, None) };
    Ok(ctx.lowered(Op::Shape { start, end }))
}

/// Operators without attributes: Identity, Where, Expand, Tile.
pub(super) fn plain(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let (op, inputs) = match ctx.node.op_type.as_str() {
        "Identity" => (Op::Identity, 1),
        "Where" => (Op::Where, 3),
        "Expand" => (Op::Expand, 2),
        "Tile" => (Op::Tile, 2),
        other => return Err(Error::internal(format!("{other} is not a plain op"))),
    };
    ctx.expect_inputs(inputs, inputs)?;
    Ok(ctx.lowered(op))
}
