//! Converters for constants and elementwise, softmax, reduction and cast operators.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op::{Activation, BinaryOp, CompareOp, LogicOp, Reduce, ReduceOp};
use crate::ir::{DType, Data, Op, Tensor};
use onnxc_templates::generic::half::FloatClass;

/// `Constant`: the value from whichever of its value attributes is set.
pub(super) fn constant(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(0, 0)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let mut values = Vec::new();
    if let Some(t) = a.tensor("value")? {
        values.push(ctx.tensors.read(t, "attribute 'value'")?);
    }
    if ctx.opset >= 11 && a.has("sparse_value") {
        return Err(unsupported("sparse constants (attribute 'sparse_value') are not supported"));
    }
    if ctx.opset >= 12 {
        if let Some(v) = a.float("value_float")? {
            values.push(Tensor::from_f32(vec![], vec![v])?);
        }
        if let Some(v) = a.floats("value_floats")? {
            values.push(Tensor::from_f32(vec![v.len()], v)?);
        }
        if let Some(v) = a.int("value_int")? {
            values.push(Tensor::from_i64(vec![], vec![v])?);
        }
        if let Some(v) = a.ints("value_ints")? {
            values.push(Tensor::from_i64(vec![v.len()], v)?);
        }
        if a.has("value_string") || a.has("value_strings") {
            return Err(unsupported("string constants are not supported"));
        }
    }
    if values.len() != 1 {
        if let Some(name) = a.first_unread() {
            return Err(Error::invalid(format!(
                "attribute '{name}' is not defined for Constant at opset {}",
                ctx.opset
            )));
        }
        return Err(Error::invalid(format!("needs exactly one value attribute, found {}", values.len())));
    }
    let value = values.pop().ok_or_else(|| Error::internal("Constant value vanished"))?;
    Ok(Lowered { op: Op::Constant(value), inputs: vec![], outputs: 1 })
}

/// Two-input arithmetic with broadcasting. The variadic Max, Min and Sum take one input (a
/// copy) or two; more are not supported yet.
pub(super) fn binary(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let op = match ctx.node.op_type.as_str() {
        "Add" => BinaryOp::Add,
        "Sub" => BinaryOp::Sub,
        "Mul" => BinaryOp::Mul,
        "Div" => BinaryOp::Div,
        "Pow" => BinaryOp::Pow,
        "PRelu" => BinaryOp::PRelu,
        "Mod" => {
            if ctx.attrs.bool_or("fmod", false)? {
                BinaryOp::FMod
            } else {
                BinaryOp::Mod
            }
        }
        "Mean" => {
            let n = ctx.node.input.len();
            ctx.expect_inputs(n.max(1), usize::MAX)?;
            if n == 1 {
                return Ok(ctx.lowered(Op::Identity));
            }
            return Ok(ctx.lowered(Op::Variadic { op: BinaryOp::Add, mean: true }));
        }
        "Max" | "Min" | "Sum" => {
            let n = ctx.node.input.len();
            ctx.expect_inputs(n.max(1), usize::MAX)?;
            if n == 1 {
                return Ok(ctx.lowered(Op::Identity));
            }
            let op = match ctx.node.op_type.as_str() {
                "Max" => BinaryOp::Max,
                "Min" => BinaryOp::Min,
                _ => BinaryOp::Add,
            };
            if n > 2 {
                return Ok(ctx.lowered(Op::Variadic { op, mean: false }));
            }
            op
        }
        other => return Err(Error::internal(format!("{other} is not a binary op"))),
    };
    ctx.expect_inputs(2, 2)?;
    Ok(ctx.lowered(Op::Binary(op)))
}

pub(super) fn compare(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    let op = match ctx.node.op_type.as_str() {
        "Equal" => CompareOp::Equal,
        "Less" => CompareOp::Less,
        "LessOrEqual" => CompareOp::LessOrEqual,
        "Greater" => CompareOp::Greater,
        "GreaterOrEqual" => CompareOp::GreaterOrEqual,
        other => return Err(Error::internal(format!("{other} is not a comparison"))),
    };
    Ok(ctx.lowered(Op::Compare(op)))
}

pub(super) fn logic(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    let op = match ctx.node.op_type.as_str() {
        "And" => LogicOp::And,
        "Or" => LogicOp::Or,
        "Xor" => LogicOp::Xor,
        other => return Err(Error::internal(format!("{other} is not a logic op"))),
    };
    Ok(ctx.lowered(Op::Logic(op)))
}

pub(super) fn not(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Not))
}

/// Elementwise float functions, with their parameters' defaults.
pub(super) fn unary(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let a = &ctx.attrs;
    let act = match ctx.node.op_type.as_str() {
        "Relu" => Activation::Relu,
        "Sigmoid" => Activation::Sigmoid,
        "Tanh" => Activation::Tanh,
        "Exp" => Activation::Exp,
        "Log" => Activation::Log,
        "Sqrt" => Activation::Sqrt,
        "Reciprocal" => Activation::Reciprocal,
        "Neg" => Activation::Neg,
        "Abs" => Activation::Abs,
        "Erf" => Activation::Erf,
        "HardSwish" => Activation::HardSwish,
        "LeakyRelu" => Activation::LeakyRelu { alpha: a.float_or("alpha", 0.01)? },
        "Elu" => Activation::Elu { alpha: a.float_or("alpha", 1.0)? },
        "HardSigmoid" => Activation::HardSigmoid { alpha: a.float_or("alpha", 0.2)?, beta: a.float_or("beta", 0.5)? },
        "Sin" => Activation::Sin,
        "Cos" => Activation::Cos,
        "Tan" => Activation::Tan,
        "Asin" => Activation::Asin,
        "Acos" => Activation::Acos,
        "Atan" => Activation::Atan,
        "Sinh" => Activation::Sinh,
        "Cosh" => Activation::Cosh,
        "Asinh" => Activation::Asinh,
        "Acosh" => Activation::Acosh,
        "Atanh" => Activation::Atanh,
        "Floor" => Activation::Floor,
        "Ceil" => Activation::Ceil,
        "Round" => Activation::Round,
        "Sign" => Activation::Sign,
        "Softplus" => Activation::Softplus,
        "Softsign" => Activation::Softsign,
        "Mish" => Activation::Mish,
        "Selu" => Activation::Selu {
            alpha: a.float_or("alpha", 1.673_263_2)?,
            gamma: a.float_or("gamma", 1.050_701)?,
        },
        "Celu" => {
            let alpha = a.float_or("alpha", 1.0)?;
            if alpha == 0.0 {
                return Err(Error::invalid("alpha must not be 0"));
            }
            Activation::Celu { alpha }
        }
        "ThresholdedRelu" => Activation::ThresholdedRelu { alpha: a.float_or("alpha", 1.0)? },
        "Shrink" => Activation::Shrink { lambd: a.float_or("lambd", 0.5)?, bias: a.float_or("bias", 0.0)? },
        "Swish" => Activation::Swish { alpha: a.float_or("alpha", 1.0)? },
        "Gelu" => match a.string_or("approximate", "none")? {
            "none" => Activation::Gelu,
            "tanh" => Activation::GeluTanh,
            other => return Err(Error::invalid(format!("approximate must be \"none\" or \"tanh\", found {other:?}"))),
        },
        other => return Err(Error::internal(format!("{other} is not a unary op"))),
    };
    Ok(ctx.lowered(Op::Unary(act)))
}

/// Clip: bounds are attributes before opset 11 (defaults: the float range), inputs after.
pub(super) fn clip(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    if ctx.opset < 11 {
        ctx.expect_inputs(1, 1)?;
        let min = ctx.attrs.float_or("min", f32::MIN)?;
        let max = ctx.attrs.float_or("max", f32::MAX)?;
        return Ok(ctx.lowered(Op::Clip { min: Some(min), max: Some(max) }));
    }
    ctx.expect_inputs(1, 3)?;
    Ok(ctx.lowered(Op::Clip { min: None, max: None }))
}

/// Softmax and LogSoftmax: before opset 13 the axis defaults to 1 and flattens the tail.
pub(super) fn softmax(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let legacy = ctx.opset < 13;
    let axis = ctx.attrs.int_or("axis", if legacy { 1 } else { -1 })?;
    Ok(ctx.lowered(Op::Softmax { axis, log: ctx.node.op_type == "LogSoftmax", legacy }))
}

/// Reductions: axes are an attribute, or input 1 from opset 13 (ReduceSum) or 18 (the rest).
pub(super) fn reduce(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    let op_type = ctx.node.op_type.as_str();
    let op = match op_type {
        "ReduceMean" => ReduceOp::Mean,
        "ReduceSum" => ReduceOp::Sum,
        "ReduceMax" => ReduceOp::Max,
        "ReduceMin" => ReduceOp::Min,
        "ReduceProd" => ReduceOp::Prod,
        "ReduceL1" => ReduceOp::L1,
        "ReduceL2" => ReduceOp::L2,
        "ReduceLogSum" => ReduceOp::LogSum,
        "ReduceLogSumExp" => ReduceOp::LogSumExp,
        "ReduceSumSquare" => ReduceOp::SumSquare,
        other => return Err(Error::internal(format!("{other} is not a reduction"))),
    };
    let axes_as_input = ctx.opset >= 18 || (op_type == "ReduceSum" && ctx.opset >= 13);
    let keepdims = ctx.attrs.bool_or("keepdims", true)?;
    let (axes, noop_with_empty_axes) = if axes_as_input {
        ctx.expect_inputs(1, 2)?;
        (None, ctx.attrs.bool_or("noop_with_empty_axes", false)?)
    } else {
        ctx.expect_inputs(1, 1)?;
        (ctx.attrs.ints("axes")?, false)
    };
    Ok(ctx.lowered(Op::Reduce(Reduce { op, axes, keepdims, noop_with_empty_axes })))
}

pub(super) fn cast(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    if ctx.opset >= 19 {
        // Only matters for float8 targets, which onnxc rejects below anyway.
        ctx.attrs.ignore("saturate");
    }
    if ctx.opset >= 24 {
        // Only matters for float8e8m0 targets, which onnxc rejects below anyway.
        ctx.attrs.ignore("round_mode");
    }
    let code = if ctx.opset < 6 {
        // Opsets 1–5 name the type with a string (`"FLOAT"`, `"INT64"`, …).
        let name = ctx.attrs.string("to")?.ok_or_else(|| Error::invalid("attribute 'to' is required"))?;
        legacy_type_code(name).ok_or_else(|| unsupported(format!("cast to {name:?} is not supported")))?
    } else {
        ctx.attrs.int("to")?.ok_or_else(|| Error::invalid("attribute 'to' is required"))?
    };
    let code32 = i32::try_from(code).map_err(|_| Error::invalid(format!("'to' = {code} is not a data type")))?;
    let to = DType::from_onnx(code32).ok_or_else(|| {
        unsupported(format!("cast to {} (code {code}) is not supported", DType::onnx_code_name(code32)))
    })?;
    Ok(ctx.lowered(Op::Cast { to }))
}

/// ConstantOfShape: the fill value is a one-element tensor, by default a float zero.
pub(super) fn constant_of_shape(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let value = match ctx.attrs.tensor("value")? {
        Some(t) => ctx.tensors.read(t, "attribute 'value'")?,
        None => Tensor { shape: vec![1], data: Data::F32(vec![0.0]) },
    };
    if value.len() != 1 {
        return Err(Error::invalid(format!("attribute 'value' must hold one element, found {}", value.len())));
    }
    Ok(ctx.lowered(Op::ConstantOfShape { value }))
}

/// The `TensorProto.DataType` code of an opset 1–5 Cast `to` name.
fn legacy_type_code(name: &str) -> Option<i64> {
    Some(match name.to_ascii_uppercase().as_str() {
        "FLOAT" => 1,
        "UINT8" => 2,
        "INT8" => 3,
        "UINT16" => 4,
        "INT16" => 5,
        "INT32" => 6,
        "INT64" => 7,
        "BOOL" => 9,
        "FLOAT16" => 10,
        "DOUBLE" => 11,
        "UINT32" => 12,
        "UINT64" => 13,
        _ => return None,
    })
}

/// CastLike: Cast to the type of input 1; `saturate` (19+) and `round_mode` (24+) only matter
/// for float8 targets, which onnxc rejects.
pub(super) fn cast_like(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(2, 2)?;
    ctx.expect_outputs(1, 1)?;
    if ctx.opset >= 19 {
        ctx.attrs.ignore("saturate");
    }
    if ctx.opset >= 24 {
        ctx.attrs.ignore("round_mode");
    }
    Ok(ctx.lowered(Op::CastLike))
}

/// BitShift and BitwiseAnd/Or/Xor (integers, with broadcasting); BitwiseNot.
pub(super) fn bitwise(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_outputs(1, 1)?;
    if ctx.node.op_type == "BitwiseNot" {
        ctx.expect_inputs(1, 1)?;
        return Ok(ctx.lowered(Op::Unary(Activation::BitNot)));
    }
    ctx.expect_inputs(2, 2)?;
    let op = match ctx.node.op_type.as_str() {
        "BitShift" => match ctx.attrs.string("direction")? {
            Some("LEFT") => BinaryOp::ShiftLeft,
            Some("RIGHT") => BinaryOp::ShiftRight,
            Some(other) => return Err(Error::invalid(format!("direction must be \"LEFT\" or \"RIGHT\", found {other:?}"))),
            None => return Err(Error::invalid("attribute 'direction' is required")),
        },
        "BitwiseAnd" => BinaryOp::BitAnd,
        "BitwiseOr" => BinaryOp::BitOr,
        "BitwiseXor" => BinaryOp::BitXor,
        other => return Err(Error::internal(format!("{other} is not a bitwise op"))),
    };
    Ok(ctx.lowered(Op::Binary(op)))
}

/// IsNaN, and IsInf with its `detect_positive` / `detect_negative` switches.
pub(super) fn classify(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let class = if ctx.node.op_type == "IsNaN" {
        FloatClass { nan: true, pos_inf: false, neg_inf: false }
    } else {
        FloatClass {
            nan: false,
            pos_inf: ctx.attrs.bool_or("detect_positive", true)?,
            neg_inf: ctx.attrs.bool_or("detect_negative", true)?,
        }
    };
    Ok(ctx.lowered(Op::Classify(class)))
}

/// BitCast: the same bits as another type of the same width (checked by inference).
pub(super) fn bitcast(ctx: &NodeCtx) -> Result<Lowered> {
    ctx.expect_inputs(1, 1)?;
    ctx.expect_outputs(1, 1)?;
    let code = ctx.attrs.int("to")?.ok_or_else(|| Error::invalid("attribute 'to' is required"))?;
    let code32 = i32::try_from(code).map_err(|_| Error::invalid(format!("'to' = {code} is not a data type")))?;
    let to = DType::from_onnx(code32).ok_or_else(|| {
        unsupported(format!("BitCast to {} (code {code}) is not supported", DType::onnx_code_name(code32)))
    })?;
    Ok(ctx.lowered(Op::BitCast { to }))
}
