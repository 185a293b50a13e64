//! Converters for convolutions, dense layers, pooling, normalizations and Dropout.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op::{Activation, AutoPad, Conv, ConvTranspose, Gemm, MatMul, Pool, PoolKind, Window};
use crate::ir::Op;

/// Reads `auto_pad`.
fn auto_pad(ctx: &NodeCtx) -> Result<AutoPad> {
    match ctx.attrs.string_or("auto_pad", "NOTSET")? {
        "NOTSET" | "" => Ok(AutoPad::NotSet),
        "VALID" => Ok(AutoPad::Valid),
        "SAME_UPPER" => Ok(AutoPad::SameUpper),
        "SAME_LOWER" => Ok(AutoPad::SameLower),
        other => Err(unsupported(format!("auto_pad {other:?} is not supported"))),
    }
}

/// Reads the window attributes. Defaults (strides and dilations 1, pads 0) are filled in when
/// the number of spatial axes is known from some attribute; otherwise they stay empty, which
/// the IR reads as the same defaults.
pub(super) fn window(ctx: &NodeCtx, kernel_required: bool, has_dilations: bool) -> Result<Window> {
    let a = &ctx.attrs;
    let kernel = a.sizes("kernel_shape", 1)?;
    if kernel_required && kernel.is_none() {
        return Err(Error::invalid("attribute 'kernel_shape' is required"));
    }
    let strides = a.sizes("strides", 1)?;
    let dilations = if has_dilations { a.sizes("dilations", 1)? } else { None };
    let pads = a.sizes("pads", 0)?;
    let auto_pad = auto_pad(ctx)?;
    if pads.as_ref().is_some_and(|p| p.len() % 2 != 0) {
        return Err(Error::invalid(format!("attribute 'pads' needs begin and end values, found {pads:?}")));
    }
    let ranks = [
        ("kernel_shape", kernel.as_ref().map(Vec::len)),
        ("strides", strides.as_ref().map(Vec::len)),
        ("dilations", dilations.as_ref().map(Vec::len)),
        ("pads", pads.as_ref().map(|p| p.len() / 2)),
    ];
    let mut rank = None;
    for (name, r) in ranks {
        match (rank, r) {
            (_, None) => {}
            (None, Some(r)) => rank = Some((name, r)),
            (Some((first, n)), Some(r)) if n != r => {
                return Err(Error::invalid(format!("'{first}' is for {n} spatial axes but '{name}' is for {r}")));
            }
            _ => {}
        }
    }
    let fill = |v: Option<Vec<usize>>, value: usize, times: usize| match (v, rank) {
        (Some(v), _) => v,
        (None, Some((_, n))) => vec![value; n * times],
        (None, None) => Vec::new(),
    };
    Ok(Window {
        kernel: kernel.unwrap_or_default(),
        strides: fill(strides, 1, 1),
        dilations: fill(dilations, 1, 1),
        pads: fill(pads, 0, 2),
        auto_pad,
    })
}

fn group(ctx: &NodeCtx) -> Result<usize> {
    let g = ctx.attrs.int_or("group", 1)?;
    usize::try_from(g).ok().filter(|&g| g >= 1).ok_or_else(|| Error::invalid(format!("group must be ≥ 1, found {g}")))
}

pub(super) fn conv(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 3)?;
    ctx.expect_outputs(1, 1)?;
    let window = window(ctx, false, true)?;
    Ok(ctx.lowered(Op::Conv(Conv { window, group: group(ctx)?, activation: Activation::None })))
}

pub(super) fn conv_transpose(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 3)?;
    ctx.expect_outputs(1, 1)?;
    let window = window(ctx, false, true)?;
    let n = window.strides.len();
    let output_padding = match ctx.attrs.sizes("output_padding", 0)? {
        Some(p) => p,
        None if n > 0 => vec![0; n],
        None => Vec::new(),
    };
    let output_shape = ctx.attrs.sizes("output_shape", 1)?.unwrap_or_default();
    for (name, len) in [("output_padding", output_padding.len()), ("output_shape", output_shape.len())] {
        if n > 0 && len > 0 && len != n {
            return Err(Error::invalid(format!("'{name}' has {len} values for {n} spatial axes")));
        }
    }
    Ok(ctx.lowered(Op::ConvTranspose(ConvTranspose {
        window,
        group: group(ctx)?,
        output_padding,
        output_shape,
        activation: Activation::None,
    })))
}

/// Gemm: C is required before opset 11.
pub(super) fn gemm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(if ctx.opset < 11 { 3 } else { 2 }, 3)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    Ok(ctx.lowered(Op::Gemm(Gemm {
        alpha: a.float_or("alpha", 1.0)?,
        beta: a.float_or("beta", 1.0)?,
        trans_a: a.bool_or("transA", false)?,
        trans_b: a.bool_or("transB", false)?,
        activation: Activation::None,
    })))
}

pub(super) fn matmul(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::MatMul(MatMul { activation: Activation::None })))
}

/// MaxPool and AveragePool, with the attributes each opset adds.
pub(super) fn pool(ctx: &NodeCtx) -> Result<Lowered> {
    if super::pooling::needs_nd(ctx)? {
        return super::pooling::pool_nd(ctx);
    }
    ctx.expect_inputs(1, 1)?;
    let a = &ctx.attrs;
    let max = ctx.node.op_type == "MaxPool";
    let has_dilations = if max { ctx.opset >= 10 } else { ctx.opset >= 19 };
    let window = window(ctx, true, has_dilations)?;
    let ceil_mode = ctx.opset >= 10 && a.bool_or("ceil_mode", false)?;
    let (kind, count_include_pad) = if max {
        // Opset 8 added the Indices output and its storage order.
        ctx.expect_outputs(1, if ctx.opset >= 8 { 2 } else { 1 })?;
        if ctx.opset >= 8 && a.int_or("storage_order", 0)? != 0 {
            return Err(unsupported("storage_order = 1 (column-major Indices) is not supported"));
        }
        (PoolKind::Max, false)
    } else {
        ctx.expect_outputs(1, 1)?;
        (PoolKind::Average, a.bool_or("count_include_pad", false)?)
    };
    let pool = Pool { kind, window, ceil_mode, count_include_pad };
    Ok(Lowered { op: Op::Pool(pool), inputs: ctx.slots(1), outputs: 1 })
}

pub(super) fn global_pool(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let kind = if ctx.node.op_type == "GlobalMaxPool" { PoolKind::Max } else { PoolKind::Average };
    Ok(ctx.lowered(Op::GlobalPool(kind)))
}

/// BatchNormalization in inference mode: only Y is computed; the statistics outputs of older
/// opsets must be unused.
pub(super) fn batch_norm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(5, 5)?;
    ctx.expect_outputs(1, 5)?;
    let a = &ctx.attrs;
    let epsilon = a.float_or("epsilon", 1e-5)?;
    a.ignore("momentum");
    if ctx.opset < 9 && !a.bool_or("spatial", true)? {
        return Err(unsupported("spatial = 0 (per-activation statistics) is not supported"));
    }
    if ctx.opset >= 14 && a.bool_or("training_mode", false)? {
        return Err(unsupported("training_mode = 1 is not supported (onnxc compiles inference)"));
    }
    Ok(Lowered { op: Op::BatchNorm { epsilon }, inputs: ctx.slots(5), outputs: 1 })
}

/// LayerNormalization: Y and the optional Mean and InvStdDev.
pub(super) fn layer_norm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 3)?;
    ctx.expect_outputs(1, 3)?;
    let a = &ctx.attrs;
    let axis = a.int_or("axis", -1)?;
    let epsilon = a.float_or("epsilon", 1e-5)?;
    // The precision of the statistics: onnxc computes them in f32 whatever is asked.
    a.ignore("stash_type");
    Ok(Lowered { op: Op::LayerNorm { axis, epsilon }, inputs: ctx.slots(3), outputs: ctx.node.output.len() })
}

pub(super) fn instance_norm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(3, 3)?;
    ctx.expect_outputs(1, 1)?;
    let epsilon = ctx.attrs.float_or("epsilon", 1e-5)?;
    Ok(ctx.lowered(Op::InstanceNorm { epsilon }))
}

/// Dropout in inference mode is the identity; its mask output must be unused.
pub(super) fn dropout(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 2)?;
    let a = &ctx.attrs;
    if ctx.opset < 12 {
        ctx.expect_inputs(1, 1)?;
        a.ignore("ratio");
    } else {
        ctx.expect_inputs(1, 3)?;
        a.ignore("seed");
        if ctx.has_input(2) {
            let name = ctx.node.input.get(2).map(String::as_str).unwrap_or_default();
            let training = match (ctx.constant)(name) {
                Some(t) => t.to_i64_vec().filter(|v| v.len() == 1).map(|v| v != [0]),
                None => None,
            };
            match training {
                Some(false) => {}
                Some(true) => {
                    return Err(unsupported("training_mode = true is not supported (onnxc compiles inference)"))
                }
                None => return Err(unsupported(format!("training_mode '{name}' must be a constant false scalar"))),
            }
        }
    }
    if ctx.opset >= 10 && ctx.node.output.get(1).is_some_and(|m| !m.is_empty()) {
        // The (bool, from opset 10) mask of inference Dropout: all true.
        return Ok(Lowered { op: Op::Quant(crate::ir::op_quant::QuantOp::DropoutMask), inputs: ctx.slots(1), outputs: 2 });
    }
    Ok(Lowered { op: Op::Identity, inputs: ctx.slots(1), outputs: 1 })
}
