//! Converters for QuantizeLinear, DequantizeLinear, ConvInteger and QLinearConv.

use super::{Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op_quant::QuantOp;
use crate::ir::{DType, Op};

/// A `TensorProto.DataType` attribute (`0` or absent: `None`).
fn dtype_attr(ctx: &NodeCtx, name: &str) -> Result<Option<DType>> {
    match ctx.attrs.int(name)? {
        None | Some(0) => Ok(None),
        Some(code) => {
            let code32 = i32::try_from(code).map_err(|_| Error::invalid(format!("{name} {code} is not a data type")))?;
            DType::from_onnx(code32).map(Some).ok_or_else(|| {
                Error::unsupported(format!("{name} {} is not supported", DType::onnx_code_name(code32)))
            })
        }
    }
}

fn block_size(ctx: &NodeCtx) -> Result<usize> {
    if ctx.opset < 21 {
        return Ok(0);
    }
    let b = ctx.attrs.int_or("block_size", 0)?;
    usize::try_from(b).map_err(|_| Error::invalid(format!("block_size must be ≥ 0, found {b}")))
}

/// QuantizeLinear (10; axis from 13; saturate 19; block_size, output_dtype 21; precision 23)
/// and DequantizeLinear (10; axis 13; block_size 21; output_dtype 23).
pub(super) fn convert(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    let op = match ctx.node.op_type.as_str() {
        "QuantizeLinear" | "DequantizeLinear" => {
            ctx.expect_inputs(2, 3)?;
            ctx.expect_outputs(1, 1)?;
            let axis = if ctx.opset >= 13 { a.int_or("axis", 1)? } else { 1 };
            let block_size = block_size(ctx)?;
            if ctx.node.op_type == "QuantizeLinear" {
                if ctx.opset >= 19 {
                    // Only meaningful for float8 outputs, which onnxc does not produce.
                    a.ignore("saturate");
                }
                let output_dtype = if ctx.opset >= 21 { dtype_attr(ctx, "output_dtype")? } else { None };
                let precision = if ctx.opset >= 23 { dtype_attr(ctx, "precision")? } else { None };
                QuantOp::Quantize { axis, block_size, output_dtype, precision }
            } else {
                let output_dtype = if ctx.opset >= 23 { dtype_attr(ctx, "output_dtype")? } else { None };
                QuantOp::Dequantize { axis, block_size, output_dtype }
            }
        }
        "ConvInteger" | "QLinearConv" => {
            let qlinear = ctx.node.op_type == "QLinearConv";
            if qlinear {
                ctx.expect_inputs(8, 9)?;
            } else {
                ctx.expect_inputs(2, 4)?;
            }
            ctx.expect_outputs(1, 1)?;
            let window = super::nn::window(ctx, false, true)?;
            let g = a.int_or("group", 1)?;
            let group = usize::try_from(g).ok().filter(|&g| g >= 1).ok_or_else(|| Error::invalid(format!("group must be ≥ 1, found {g}")))?;
            if qlinear {
                QuantOp::QLinearConv { window, group }
            } else {
                QuantOp::ConvInteger { window, group }
            }
        }
        other => return Err(Error::internal(format!("{other} is not a quantization op"))),
    };
    Ok(ctx.lowered(Op::Quant(op)))
}
