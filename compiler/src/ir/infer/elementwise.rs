//! Element-type rules of the elementwise operators (which dtypes each op accepts).

use crate::error::{Error, Result};
use crate::ir::op::{Activation, BinaryOp};
use crate::ir::DType;

/// Unary functions: every float type; on integers only the ones with an integer form.
pub fn check_unary(act: Activation, dtype: DType) -> Result<()> {
    if act == Activation::BitNot {
        return if dtype.is_int() {
            Ok(())
        } else {
            Err(Error::invalid(format!("BitwiseNot is defined on integers, not {dtype}")))
        };
    }
    if dtype.is_float() || (dtype.is_int() && crate::eval::typed::number_unary(act).is_some()) {
        return Ok(());
    }
    Err(Error::unsupported(format!(
        "{} on {dtype} is not supported",
        crate::ir::op::activation_name(act)
    )))
}

/// Binary arithmetic: numeric types (Pow may mix them: the result has the base's type).
pub fn check_binary(op: BinaryOp, a: DType, b: DType) -> Result<()> {
    if a == DType::Bool {
        return Err(Error::invalid(format!("{op:?} is not defined on bool")));
    }
    let bitwise = matches!(op, BinaryOp::ShiftLeft | BinaryOp::ShiftRight | BinaryOp::BitAnd | BinaryOp::BitOr | BinaryOp::BitXor);
    if bitwise && !a.is_int() {
        return Err(Error::invalid(format!("{op:?} is defined on integers, not {a}")));
    }
    if a != b && op != BinaryOp::Pow {
        return Err(Error::invalid(format!("input types differ: {a} and {b}")));
    }
    Ok(())
}
