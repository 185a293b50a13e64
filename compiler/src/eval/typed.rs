//! Element-type dispatch of the elementwise kernels (unary, binary, comparison, Cast): which
//! `generic` function runs for which [`Data`] variant. Codegen makes the same choice by name
//! in `codegen::kernel_call` ([`unary_kernel`] and friends are shared by both).

use crate::error::{Error, Result};
use crate::ir::op::Activation;
use crate::ir::{DType, Data, Tensor};
use onnxc_templates::generic as k;
use onnxc_templates::generic::elementwise::{BinaryOp, BroadcastParams, CompareOp, NumberUnary};

/// The integer form of a unary function, for the ones defined on integers.
pub fn number_unary(act: Activation) -> Option<NumberUnary> {
    match act {
        Activation::Neg => Some(NumberUnary::Neg),
        Activation::Abs => Some(NumberUnary::Abs),
        Activation::Sign => Some(NumberUnary::Sign),
        Activation::Relu => Some(NumberUnary::Relu),
        Activation::BitNot => Some(NumberUnary::BitNot),
        _ => None,
    }
}

/// `(module, function)` that runs a unary function on `dtype`.
pub fn unary_kernel(dtype: DType) -> (&'static str, &'static str) {
    match dtype {
        DType::F32 => ("elementwise", "unary"),
        DType::F64 => ("half", "unary_f64"),
        DType::F16 => ("half", "unary_f16"),
        DType::BF16 => ("half", "unary_bf16"),
        _ => ("elementwise", "unary_number"),
    }
}

/// `(module, function)` of a broadcasting binary op on `dtype`.
pub fn binary_kernel(dtype: DType) -> (&'static str, &'static str) {
    match dtype {
        DType::F16 => ("half", "binary_f16"),
        DType::BF16 => ("half", "binary_bf16"),
        _ => ("elementwise", "binary"),
    }
}

/// `(module, function)` of a comparison on `dtype`.
pub fn compare_kernel(dtype: DType) -> (&'static str, &'static str) {
    match dtype {
        DType::F16 => ("half", "compare_f16"),
        DType::BF16 => ("half", "compare_bf16"),
        _ => ("elementwise", "compare"),
    }
}

/// `(module, function)` of Cast from `from` to `to`.
pub fn cast_kernel(from: DType, to: DType) -> (&'static str, &'static str) {
    let half = |d: DType| matches!(d, DType::F16 | DType::BF16);
    match (from, to) {
        (f, DType::Bool) if half(f) => ("half", "cast_f16_to_bool"),
        (_, DType::Bool) => ("elementwise", "cast_to_bool"),
        (DType::F16, DType::BF16) => ("half", "cast_f16_to_bf16"),
        (DType::BF16, DType::F16) => ("half", "cast_bf16_to_f16"),
        (f, t) if f == t => ("elementwise", "cast"),
        (DType::F16, _) => ("half", "cast_from_f16"),
        (DType::BF16, _) => ("half", "cast_from_bf16"),
        (_, DType::F16) => ("half", "cast_to_f16"),
        (_, DType::BF16) => ("half", "cast_to_bf16"),
        _ => ("elementwise", "cast"),
    }
}

fn mismatch(what: &str, t: &Data) -> Error {
    Error::unsupported(format!("{what} on {} data", t.dtype()))
}

/// Runs a unary function on any float or (for Neg/Abs/Sign/Relu) integer tensor.
pub fn unary(act: Activation, x: &Tensor, y: &mut Tensor) -> Result<()> {
    use k::elementwise::unary_number;
    let int_op = || number_unary(act).ok_or_else(|| mismatch(crate::ir::op::activation_name(act), &x.data));
    match (&x.data, &mut y.data) {
        (Data::F32(a), Data::F32(o)) => k::elementwise::unary(act, a, o),
        (Data::F64(a), Data::F64(o)) => k::half::unary_f64(act, a, o),
        (Data::F16(a), Data::F16(o)) => k::half::unary_f16(act, a, o),
        (Data::BF16(a), Data::BF16(o)) => k::half::unary_bf16(act, a, o),
        (Data::I8(a), Data::I8(o)) => unary_number(int_op()?, a, o),
        (Data::I16(a), Data::I16(o)) => unary_number(int_op()?, a, o),
        (Data::I32(a), Data::I32(o)) => unary_number(int_op()?, a, o),
        (Data::I64(a), Data::I64(o)) => unary_number(int_op()?, a, o),
        (Data::U8(a), Data::U8(o)) => unary_number(int_op()?, a, o),
        (Data::U16(a), Data::U16(o)) => unary_number(int_op()?, a, o),
        (Data::U32(a), Data::U32(o)) => unary_number(int_op()?, a, o),
        (Data::U64(a), Data::U64(o)) => unary_number(int_op()?, a, o),
        (a, _) => return Err(mismatch(crate::ir::op::activation_name(act), a)),
    }
    Ok(())
}

/// Runs a broadcasting binary op on two tensors of one type.
pub fn binary(op: BinaryOp, p: &BroadcastParams, a: &Tensor, b: &Tensor, y: &mut Tensor) -> Result<()> {
    use k::elementwise::binary as f;
    match (&a.data, &b.data, &mut y.data) {
        (Data::F32(a), Data::F32(b), Data::F32(y)) => f(op, p, a, b, y),
        (Data::F64(a), Data::F64(b), Data::F64(y)) => f(op, p, a, b, y),
        (Data::F16(a), Data::F16(b), Data::F16(y)) => k::half::binary_f16(op, p, a, b, y),
        (Data::BF16(a), Data::BF16(b), Data::BF16(y)) => k::half::binary_bf16(op, p, a, b, y),
        (Data::I64(a), Data::I64(b), Data::I64(y)) => f(op, p, a, b, y),
        (Data::I32(a), Data::I32(b), Data::I32(y)) => f(op, p, a, b, y),
        (Data::I16(a), Data::I16(b), Data::I16(y)) => f(op, p, a, b, y),
        (Data::I8(a), Data::I8(b), Data::I8(y)) => f(op, p, a, b, y),
        (Data::U8(a), Data::U8(b), Data::U8(y)) => f(op, p, a, b, y),
        (Data::U16(a), Data::U16(b), Data::U16(y)) => f(op, p, a, b, y),
        (Data::U32(a), Data::U32(b), Data::U32(y)) => f(op, p, a, b, y),
        (Data::U64(a), Data::U64(b), Data::U64(y)) => f(op, p, a, b, y),
        (a, _, _) => return Err(mismatch(&format!("{op:?}"), a)),
    }
    Ok(())
}

/// Runs a comparison on two tensors of one type (bool compares as 0/1).
pub fn compare(op: CompareOp, p: &BroadcastParams, a: &Tensor, b: &Tensor, y: &mut Tensor) -> Result<()> {
    use k::elementwise::compare as f;
    let y = match &mut y.data {
        Data::Bool(v) | Data::U8(v) => v,
        other => return Err(Error::internal(format!("bool output expected, found {}", other.dtype()))),
    };
    match (&a.data, &b.data) {
        (Data::F32(a), Data::F32(b)) => f(op, p, a, b, y),
        (Data::F64(a), Data::F64(b)) => f(op, p, a, b, y),
        (Data::F16(a), Data::F16(b)) => k::half::compare_f16(op, p, a, b, y),
        (Data::BF16(a), Data::BF16(b)) => k::half::compare_bf16(op, p, a, b, y),
        (Data::I8(a), Data::I8(b)) => f(op, p, a, b, y),
        (Data::I16(a), Data::I16(b)) => f(op, p, a, b, y),
        (Data::I32(a), Data::I32(b)) => f(op, p, a, b, y),
        (Data::I64(a), Data::I64(b)) => f(op, p, a, b, y),
        (Data::U8(a), Data::U8(b)) | (Data::Bool(a), Data::Bool(b)) => f(op, p, a, b, y),
        (Data::U16(a), Data::U16(b)) => f(op, p, a, b, y),
        (Data::U32(a), Data::U32(b)) => f(op, p, a, b, y),
        (Data::U64(a), Data::U64(b)) => f(op, p, a, b, y),
        (a, _) => return Err(mismatch(&format!("{op:?}"), a)),
    }
    Ok(())
}

/// ONNX Cast between any two supported types (bool as 0/1 bytes, halves as bits).
pub fn cast(x: &Tensor, out: &mut Tensor) -> Result<()> {
    use k::elementwise::{cast as c, cast_to_bool};
    use k::half;
    let to = out.dtype();
    let err = || Error::unsupported(format!("Cast from {} to {to}", x.dtype()));
    // `$call` with `$a` bound to the slice of every non-half source variant.
    macro_rules! from_numeric {
        ($x:expr, |$a:ident| $call:expr) => {
            match $x {
                Data::F32($a) => $call,
                Data::F64($a) => $call,
                Data::I8($a) => $call,
                Data::I16($a) => $call,
                Data::I32($a) => $call,
                Data::I64($a) => $call,
                Data::U8($a) | Data::Bool($a) => $call,
                Data::U16($a) => $call,
                Data::U32($a) => $call,
                Data::U64($a) => $call,
                _ => return Err(err()),
            }
        };
    }
    // `$call` with `$y` bound to the slice of every non-half, non-bool destination variant.
    macro_rules! to_numeric {
        ($out:expr, |$y:ident| $call:expr) => {
            match $out {
                Data::F32($y) => $call,
                Data::F64($y) => $call,
                Data::I8($y) => $call,
                Data::I16($y) => $call,
                Data::I32($y) => $call,
                Data::I64($y) => $call,
                Data::U8($y) => $call,
                Data::U16($y) => $call,
                Data::U32($y) => $call,
                Data::U64($y) => $call,
                _ => return Err(err()),
            }
        };
    }
    if x.dtype() == to {
        out.data = x.data.clone();
        return Ok(());
    }
    match (&x.data, &mut out.data) {
        (Data::F16(a) | Data::BF16(a), Data::Bool(y)) => half::cast_f16_to_bool(a, y),
        (xd, Data::Bool(y)) => from_numeric!(xd, |a| cast_to_bool(a, y)),
        (Data::F16(a), Data::BF16(y)) => half::cast_f16_to_bf16(a, y),
        (Data::BF16(a), Data::F16(y)) => half::cast_bf16_to_f16(a, y),
        (Data::F16(a), yd) => to_numeric!(yd, |y| half::cast_from_f16(a, y)),
        (Data::BF16(a), yd) => to_numeric!(yd, |y| half::cast_from_bf16(a, y)),
        (xd, Data::F16(y)) => from_numeric!(xd, |a| half::cast_to_f16(a, y)),
        (xd, Data::BF16(y)) => from_numeric!(xd, |a| half::cast_to_bf16(a, y)),
        (xd, yd) => from_numeric!(xd, |a| to_numeric!(yd, |y| c(a.as_slice(), y))),
    }
    Ok(())
}

/// Pow with an exponent of another numeric type than the base (not f16/bf16).
pub fn pow_mixed(p: &BroadcastParams, a: &Tensor, b: &Tensor, y: &mut Tensor) -> Result<()> {
    use k::half::pow_mixed as f;
    let err = || Error::unsupported(format!("Pow of {} by {}", a.dtype(), b.dtype()));
    macro_rules! by {
        ($a:expr, $y:expr) => {
            match &b.data {
                Data::F32(b) => f(p, $a, b, $y),
                Data::F64(b) => f(p, $a, b, $y),
                Data::I8(b) => f(p, $a, b, $y),
                Data::I16(b) => f(p, $a, b, $y),
                Data::I32(b) => f(p, $a, b, $y),
                Data::I64(b) => f(p, $a, b, $y),
                Data::U8(b) => f(p, $a, b, $y),
                Data::U16(b) => f(p, $a, b, $y),
                Data::U32(b) => f(p, $a, b, $y),
                Data::U64(b) => f(p, $a, b, $y),
                _ => return Err(err()),
            }
        };
    }
    match (&a.data, &mut y.data) {
        (Data::F32(a), Data::F32(y)) => by!(a, y),
        (Data::F64(a), Data::F64(y)) => by!(a, y),
        (Data::I8(a), Data::I8(y)) => by!(a, y),
        (Data::I16(a), Data::I16(y)) => by!(a, y),
        (Data::I32(a), Data::I32(y)) => by!(a, y),
        (Data::I64(a), Data::I64(y)) => by!(a, y),
        (Data::U8(a), Data::U8(y)) => by!(a, y),
        (Data::U16(a), Data::U16(y)) => by!(a, y),
        (Data::U32(a), Data::U32(y)) => by!(a, y),
        (Data::U64(a), Data::U64(y)) => by!(a, y),
        _ => return Err(err()),
    }
    Ok(())
}
