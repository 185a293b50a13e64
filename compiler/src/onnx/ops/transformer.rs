//! Converters for transformer building blocks and newer normalizations: Attention,
//! RotaryEmbedding, RMSNormalization, LpNormalization.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op_nn::{Attention, NnOp};
use crate::ir::Op;

/// A positive head count attribute, if given.
fn heads(ctx: &NodeCtx, name: &str) -> Result<Option<usize>> {
    match ctx.attrs.int(name)? {
        None => Ok(None),
        Some(h) if h >= 1 => Ok(Some(h as usize)),
        Some(h) => Err(Error::invalid(format!("attribute '{name}' must be ≥ 1, found {h}"))),
    }
}

/// Attention (opset 23; 24 adds `nonpad_kv_seqlen`; 25 adds the sliding window).
pub(super) fn attention(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(3, if ctx.opset >= 24 { 7 } else { 6 })?;
    ctx.expect_outputs(1, 4)?;
    let a = &ctx.attrs;
    if ctx.has_input(4) != ctx.has_input(5) {
        return Err(Error::invalid("past_key and past_value must be given together"));
    }
    if ctx.has_input(6) && ctx.has_input(4) {
        return Err(Error::invalid("nonpad_kv_seqlen cannot be combined with past_key/past_value"));
    }
    let qk_mode = a.int_or("qk_matmul_output_mode", 0)?;
    if !(0..=3).contains(&qk_mode) {
        return Err(Error::invalid(format!("qk_matmul_output_mode must be 0 to 3, found {qk_mode}")));
    }
    // onnxc computes the softmax in f32 whatever precision is asked (f32 or wider than the input).
    if let Some(p) = a.int("softmax_precision")? {
        if ![1, 10, 11, 16].contains(&p) {
            return Err(unsupported(format!("softmax_precision {p} is not supported")));
        }
    }
    let (left_window, right_window) = if ctx.opset >= 25 {
        (a.int_or("left_window_size", -1)?, a.int_or("right_window_size", -1)?)
    } else {
        (-1, -1)
    };
    if left_window < -1 || right_window < -1 {
        return Err(Error::invalid("window sizes must be -1 or nonnegative"));
    }
    let op = Attention {
        q_heads: heads(ctx, "q_num_heads")?,
        kv_heads: heads(ctx, "kv_num_heads")?,
        scale: a.float("scale")?,
        softcap: a.float_or("softcap", 0.0)?,
        causal: a.bool_or("is_causal", false)?,
        qk_mode: qk_mode as u8,
        left_window,
        right_window,
    };
    Ok(ctx.lowered(Op::Nn(NnOp::Attention(op))))
}

/// RMSNormalization (opset 23).
pub(super) fn rms_norm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    // The statistics are computed in f32 whatever `stash_type` asks.
    a.ignore("stash_type");
    let op = NnOp::RmsNorm { axis: a.int_or("axis", -1)?, epsilon: a.float_or("epsilon", 1e-5)? };
    Ok(ctx.lowered(Op::Nn(op)))
}

/// LpNormalization.
pub(super) fn lp_norm(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let p = a.int_or("p", 2)?;
    if p != 1 && p != 2 {
        return Err(Error::invalid(format!("p must be 1 or 2, found {p}")));
    }
    Ok(ctx.lowered(Op::Nn(NnOp::LpNorm { axis: a.int_or("axis", -1)?, p: p as u8 })))
}

/// RotaryEmbedding (opset 23).
pub(super) fn rotary(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(3, 4)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let rotary_dim = a.int_or("rotary_embedding_dim", 0)?;
    let rotary_dim = usize::try_from(rotary_dim).map_err(|_| Error::invalid("rotary_embedding_dim must be ≥ 0"))?;
    let op = NnOp::Rotary { interleaved: a.bool_or("interleaved", false)?, rotary_dim, num_heads: heads(ctx, "num_heads")? };
    Ok(ctx.lowered(Op::Nn(op)))
}

/// GridSample (opset 16: bilinear/bicubic names; 20+: linear/cubic and N-D).
pub(super) fn grid_sample(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let mode = match a.string_or("mode", if ctx.opset >= 20 { "linear" } else { "bilinear" })? {
        "nearest" => 0,
        "bilinear" | "linear" => 1,
        "bicubic" | "cubic" => 2,
        other => return Err(Error::invalid(format!("unknown mode {other:?}"))),
    };
    let padding = match a.string_or("padding_mode", "zeros")? {
        "zeros" => 0,
        "border" => 1,
        "reflection" => 2,
        other => return Err(Error::invalid(format!("unknown padding_mode {other:?}"))),
    };
    let op = NnOp::GridSample { mode, padding, align_corners: a.bool_or("align_corners", false)? };
    Ok(ctx.lowered(Op::Nn(op)))
}

/// QLinearMatMul, MatMulInteger and DynamicQuantizeLinear.
pub(super) fn quant(ctx: &NodeCtx) -> Result<Lowered> {
    let (op, (min_in, max_in), outputs) = match ctx.node.op_type.as_str() {
        "QLinearMatMul" => (NnOp::QLinearMatMul, (8, 8), 1),
        "MatMulInteger" => (NnOp::MatMulInteger, (2, 4), 1),
        _ => (NnOp::DynamicQuantizeLinear, (1, 1), 3),
    };
    ctx.expect_inputs(min_in, max_in)?;
    ctx.expect_outputs(1, outputs)?;
    Ok(ctx.lowered(Op::Nn(op)))
}

/// GroupNormalization (18: scale/bias per group; 21: per channel), MeanVarianceNormalization, LRN.
pub(super) fn norms(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    ctx.expect_outputs(1, 1)?;
    let op = match ctx.node.op_type.as_str() {
        "GroupNormalization" => {
            ctx.expect_inputs(3, 3)?;
            a.ignore("stash_type");
            let groups = a.int("num_groups")?.ok_or_else(|| Error::invalid("attribute 'num_groups' is required"))?;
            let groups = usize::try_from(groups).ok().filter(|&g| g >= 1).ok_or_else(|| Error::invalid("num_groups must be ≥ 1"))?;
            NnOp::GroupNorm { groups, epsilon: a.float_or("epsilon", 1e-5)? }
        }
        "MeanVarianceNormalization" => {
            ctx.expect_inputs(1, 1)?;
            NnOp::MeanVarianceNorm { axes: a.ints("axes")?.unwrap_or_else(|| vec![0, 2, 3]) }
        }
        _ => {
            ctx.expect_inputs(1, 1)?;
            let size = a.int("size")?.ok_or_else(|| Error::invalid("attribute 'size' is required"))?;
            let size = usize::try_from(size).ok().filter(|&s| s >= 1).ok_or_else(|| Error::invalid("size must be ≥ 1"))?;
            NnOp::Lrn { size, alpha: a.float_or("alpha", 1e-4)?, beta: a.float_or("beta", 0.75)?, bias: a.float_or("bias", 1.0)? }
        }
    };
    Ok(ctx.lowered(Op::Nn(op)))
}
