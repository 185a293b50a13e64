//! Converters for the indexing operators: gathers, scatters, searches, scans, masks,
//! generators and block rearrangements (see `ir::index_op`).

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::index_op::{Accumulate, IndexOp, ScatterReduction};
use crate::ir::{DType, Op};

fn reduction(ctx: &NodeCtx) -> Result<ScatterReduction> {
    if ctx.opset < 16 {
        return Ok(ScatterReduction::None);
    }
    Ok(match ctx.attrs.string_or("reduction", "none")? {
        "none" => ScatterReduction::None,
        "add" => ScatterReduction::Add,
        "mul" => ScatterReduction::Mul,
        "max" if ctx.opset >= 18 => ScatterReduction::Max,
        "min" if ctx.opset >= 18 => ScatterReduction::Min,
        other => return Err(Error::invalid(format!("reduction {other:?} is not defined at opset {}", ctx.opset))),
    })
}

fn blocksize(ctx: &NodeCtx) -> Result<usize> {
    let b = ctx.attrs.int("blocksize")?.ok_or_else(|| Error::invalid("attribute 'blocksize' is required"))?;
    usize::try_from(b).ok().filter(|&b| b > 0).ok_or_else(|| Error::invalid(format!("blocksize {b} must be positive")))
}

/// DepthToSpace/SpaceToDepth `mode`: true for CRD (column, row, depth), false for DCR.
fn crd_mode(ctx: &NodeCtx) -> Result<bool> {
    match ctx.attrs.string_or("mode", "DCR")? {
        "DCR" => Ok(false),
        "CRD" => Ok(true),
        other => Err(Error::invalid(format!("unknown mode {other:?}"))),
    }
}

/// Converts one indexing node.
pub(super) fn convert(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    let op_type = ctx.node.op_type.as_str();
    let (op, min_in, max_in, outs) = match op_type {
        "Size" => (IndexOp::Size, 1, 1, 1),
        "NonZero" => (IndexOp::NonZero, 1, 1, 1),
        "Det" => (IndexOp::Det, 1, 1, 1),
        "EyeLike" => {
            let dtype = match a.int("dtype")? {
                Some(code) => Some(
                    DType::from_onnx(code as i32)
                        .ok_or_else(|| unsupported(format!("EyeLike to {}", DType::onnx_code_name(code as i32))))?,
                ),
                None => None,
            };
            (IndexOp::EyeLike { dtype, k: a.int_or("k", 0)? }, 1, 1, 1)
        }
        "Range" => {
            // Opset 27's stash_type only sets the precision of the reference's accumulation;
            // onnxc computes start + i * delta in the output type.
            a.ignore("stash_type");
            (IndexOp::Range, 3, 3, 1)
        }
        "GatherElements" => (IndexOp::GatherElements { axis: a.int_or("axis", 0)? }, 2, 2, 1),
        "Scatter" => {
            if ctx.opset >= 11 {
                return Err(Error::invalid("Scatter is deprecated from opset 11 on; use ScatterElements"));
            }
            (IndexOp::ScatterElements { axis: a.int_or("axis", 0)?, reduction: ScatterReduction::None }, 3, 3, 1)
        }
        "ScatterElements" => {
            let op = IndexOp::ScatterElements { axis: a.int_or("axis", 0)?, reduction: reduction(ctx)? };
            (op, 3, 3, 1)
        }
        "GatherND" => {
            let batch_dims = if ctx.opset >= 12 { a.int_or("batch_dims", 0)? } else { 0 };
            (IndexOp::GatherNd { batch_dims }, 2, 2, 1)
        }
        "ScatterND" => (IndexOp::ScatterNd { reduction: reduction(ctx)? }, 3, 3, 1),
        "ArgMax" | "ArgMin" => {
            let select_last = ctx.opset >= 12 && a.bool_or("select_last_index", false)?;
            let op = IndexOp::Arg {
                max: op_type == "ArgMax",
                axis: a.int_or("axis", 0)?,
                keepdims: a.bool_or("keepdims", true)?,
                select_last,
            };
            (op, 1, 1, 1)
        }
        "TopK" => {
            if ctx.opset < 10 {
                return Err(unsupported("TopK before opset 10 (K as an attribute) is not supported"));
            }
            let largest = if ctx.opset >= 11 {
                // Any order is allowed when sorted = 0; onnxc always sorts.
                a.bool_or("sorted", true)?;
                a.bool_or("largest", true)?
            } else {
                true
            };
            (IndexOp::TopK { axis: a.int_or("axis", -1)?, largest }, 2, 2, 2)
        }
        "CumSum" | "CumProd" => {
            let op = IndexOp::CumSum {
                exclusive: a.bool_or("exclusive", false)?,
                reverse: a.bool_or("reverse", false)?,
                product: op_type == "CumProd",
            };
            (op, 2, 2, 1)
        }
        "Trilu" => (IndexOp::Trilu { upper: a.bool_or("upper", true)? }, 1, 2, 1),
        "OneHot" => (IndexOp::OneHot { axis: a.int_or("axis", -1)? }, 3, 3, 1),
        "DepthToSpace" => {
            let crd = ctx.opset >= 11 && crd_mode(ctx)?;
            (IndexOp::DepthToSpace { blocksize: blocksize(ctx)?, crd }, 1, 1, 1)
        }
        "SpaceToDepth" => {
            let crd = ctx.opset >= 28 && crd_mode(ctx)?;
            (IndexOp::SpaceToDepth { blocksize: blocksize(ctx)?, crd }, 1, 1, 1)
        }
        "Compress" => (IndexOp::Compress { axis: a.int("axis")? }, 2, 2, 1),
        "ReverseSequence" => {
            let op = IndexOp::ReverseSequence { batch_axis: a.int_or("batch_axis", 1)?, time_axis: a.int_or("time_axis", 0)? };
            (op, 2, 2, 1)
        }
        "CenterCropPad" => (IndexOp::CenterCropPad { axes: a.ints("axes")? }, 2, 2, 1),
        "Mean" | "Max" | "Min" | "Sum" => {
            let n = ctx.node.input.len();
            ctx.expect_inputs(n.max(1), usize::MAX)?;
            ctx.expect_outputs(1, 1)?;
            if n == 1 {
                return Ok(ctx.lowered(Op::Identity));
            }
            let op = match op_type {
                "Max" => Accumulate::Max,
                "Min" => Accumulate::Min,
                _ => Accumulate::Sum,
            };
            return Ok(ctx.lowered(Op::Index(IndexOp::Variadic { op, mean: op_type == "Mean" })));
        }
        "Hardmax" => {
            let legacy = ctx.opset < 13;
            (IndexOp::Hardmax { axis: a.int_or("axis", if legacy { 1 } else { -1 })?, legacy }, 1, 1, 1)
        }
        other => return Err(Error::internal(format!("{other} is not an indexing op"))),
    };
    ctx.expect_inputs(min_in, max_in)?;
    ctx.expect_outputs(1, outs)?;
    Ok(ctx.lowered(Op::Index(op)))
}
