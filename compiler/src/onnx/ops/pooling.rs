//! Converters for the pooling forms the 2-D kernels do not cover: 3-D windows, MaxPool's
//! Indices output, and LpPool.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::Result;
use crate::ir::op_nn::{NnOp, PoolNd};
use crate::ir::Op;
use onnxc_templates::generic::pool_nd::PoolOp;

/// True when a MaxPool/AveragePool node needs the N-D kernel.
pub(super) fn needs_nd(ctx: &NodeCtx) -> Result<bool> {
    let three_d = ctx.attrs.ints("kernel_shape")?.is_some_and(|k| k.len() == 3);
    let indices = ctx.node.op_type == "MaxPool" && ctx.node.output.len() > 1;
    Ok(three_d || indices)
}

/// MaxPool, AveragePool and LpPool on the N-D kernel.
pub(super) fn pool_nd(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    let a = &ctx.attrs;
    let op_type = ctx.node.op_type.as_str();
    let has_dilations = match op_type {
        "MaxPool" => ctx.opset >= 10,
        "AveragePool" => ctx.opset >= 19,
        _ => ctx.opset >= 18,
    };
    let window = super::nn::window(ctx, true, has_dilations)?;
    let ceil_mode = match op_type {
        "LpPool" => ctx.opset >= 18 && a.bool_or("ceil_mode", false)?,
        _ => ctx.opset >= 10 && a.bool_or("ceil_mode", false)?,
    };
    let mut column_major = false;
    let mut count_include_pad = false;
    let op = match op_type {
        "MaxPool" => {
            ctx.expect_outputs(1, if ctx.opset >= 8 { 2 } else { 1 })?;
            column_major = ctx.opset >= 8 && a.bool_or("storage_order", false)?;
            PoolOp::Max
        }
        "AveragePool" => {
            ctx.expect_outputs(1, 1)?;
            count_include_pad = a.bool_or("count_include_pad", false)?;
            PoolOp::Average
        }
        _ => {
            ctx.expect_outputs(1, 1)?;
            let p = if ctx.opset >= 2 { a.int_or("p", 2)? as f32 } else { a.float_or("p", 2.0)? };
            if !(p > 0.0 && p.is_finite()) {
                return Err(unsupported(format!("p = {p} is not supported")));
            }
            PoolOp::Lp(p)
        }
    };
    let pool = PoolNd { op, window, ceil_mode, count_include_pad, column_major };
    Ok(Lowered { op: Op::Nn(NnOp::Pool(pool)), inputs: ctx.slots(1), outputs: ctx.node.output.len() })
}

/// Col2Im (opset 18).
pub(super) fn col2im(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(3, 3)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let op = NnOp::Col2Im {
        dilations: a.sizes("dilations", 1)?.unwrap_or_default(),
        pads: a.sizes("pads", 0)?.unwrap_or_default(),
        strides: a.sizes("strides", 1)?.unwrap_or_default(),
    };
    Ok(ctx.lowered(Op::Nn(op)))
}

/// MaxUnpool (opset 9+).
pub(super) fn max_unpool(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 3)?;
    ctx.expect_outputs(1, 1)?;
    let window = super::nn::window(ctx, true, false)?;
    Ok(ctx.lowered(Op::Nn(NnOp::MaxUnpool { window })))
}
