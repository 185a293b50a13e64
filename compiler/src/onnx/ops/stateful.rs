//! Converters for the recurrent blocks of linear-attention and state-space models:
//! LinearAttention and CausalConvWithState (opset 27), and the SwiGLU gate (opset 28).

use super::{Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op_nn::{LinearAttention, NnOp};
use crate::ir::Op;

/// A required positive head count.
fn heads(ctx: &NodeCtx, name: &str) -> Result<usize> {
    match ctx.attrs.int(name)? {
        Some(h) if h >= 1 => Ok(h as usize),
        Some(h) => Err(Error::invalid(format!("attribute '{name}' must be ≥ 1, found {h}"))),
        None => Err(Error::invalid(format!("attribute '{name}' is required"))),
    }
}

/// LinearAttention (opset 27): query, key, value, past_state?, decay?, beta?.
pub(super) fn linear_attention(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(3, 6)?;
    ctx.expect_outputs(1, 2)?;
    let a = &ctx.attrs;
    // A tuning hint for chunked implementations: no effect on the result.
    a.ignore("chunk_size");
    let (q_heads, kv_heads) = (heads(ctx, "q_num_heads")?, heads(ctx, "kv_num_heads")?);
    if q_heads % kv_heads != 0 {
        return Err(Error::invalid(format!("q_num_heads ({q_heads}) must be a multiple of kv_num_heads ({kv_heads})")));
    }
    let (gated, delta) = match a.string_or("update_rule", "gated_delta")? {
        "linear" => (false, false),
        "gated" => (true, false),
        "delta" => (false, true),
        "gated_delta" => (true, true),
        other => return Err(Error::invalid(format!("unknown update_rule {other:?}"))),
    };
    for (slot, name, needed) in [(4, "decay", gated), (5, "beta", delta)] {
        if ctx.has_input(slot) != needed {
            let verb = if needed { "requires" } else { "forbids" };
            return Err(Error::invalid(format!("this update_rule {verb} the {name} input")));
        }
    }
    let scale = a.float_or("scale", 0.0)?;
    let op = LinearAttention { q_heads, kv_heads, scale: (scale != 0.0).then_some(scale), gated, delta };
    Ok(ctx.lowered(Op::Nn(NnOp::LinearAttention(op))))
}

/// CausalConvWithState (opset 27): input, weight, bias?, past_state?.
pub(super) fn causal_conv(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 4)?;
    ctx.expect_outputs(1, 2)?;
    let silu = match ctx.attrs.string_or("activation", "none")? {
        "none" => false,
        "silu" | "swish" => true,
        other => return Err(Error::invalid(format!("unknown activation {other:?}"))),
    };
    Ok(ctx.lowered(Op::Nn(NnOp::CausalConv { silu })))
}

/// SwiGLU (opset 28): A, B.
pub(super) fn swiglu(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Nn(NnOp::SwiGlu { alpha: ctx.attrs.float_or("alpha", 1.0)? })))
}
