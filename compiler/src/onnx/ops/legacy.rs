//! Attributes of the oldest opsets (1–6) that later opsets dropped, read before the op's own
//! converter runs, so the converters only see the attributes of opset 7 and later.
//!
//! - `consumed_inputs` (opsets 1–5): a memory-planning hint of the Caffe2 era; no effect on the
//!   result.
//! - `is_test` (BatchNormalization, Dropout before opset 7): 1 is inference; 0 asks for training
//!   behaviour (batch statistics, random dropping), which onnxc does not compile.
//! - `broadcast` and `axis` (binary arithmetic, comparisons and logic before opset 7, Gemm's
//!   `broadcast`): `broadcast = 0` requires equal shapes, a special case of the NumPy rules the
//!   kernels implement; `broadcast = 1` aligns `B` with the trailing dims of `A`, or with the
//!   dims of `A` starting at `axis`. A non-trailing `axis` is turned into NumPy broadcasting by
//!   the importer, which gives `B` trailing unit dims (see [`legacy_unsqueeze`]).

use super::{unsupported, NodeCtx};
use crate::error::{Error, Result};

/// Operators defined before the first opset SUPPORTED_OPS lists for them, whose older versions
/// onnxc rejects.
pub(super) const OLDER_VERSIONS_UNSUPPORTED: &[&str] = &["Pad", "Reshape", "Tile"];

/// Operators whose opset 1–6 versions carry `broadcast` and `axis`.
const BROADCAST_OPS: &[&str] =
    &["Add", "Sub", "Mul", "Div", "Pow", "And", "Or", "Xor", "Equal", "Less", "Greater"];

/// Consumes and checks the legacy attributes of `ctx`'s node (a no-op from opset 7 on).
pub(super) fn prepare(ctx: &NodeCtx) -> Result<()> {
    if ctx.opset >= 7 {
        return Ok(());
    }
    let a = &ctx.attrs;
    let op = ctx.node.op_type.as_str();
    if ctx.opset < 6 {
        a.ignore("consumed_inputs");
    }
    match op {
        "BatchNormalization" | "Dropout" if !a.bool_or("is_test", false)? => {
            return Err(unsupported(format!(
                "{op} with is_test = 0 (training mode) is not supported (onnxc compiles inference)"
            )));
        }
        "Gemm" => {
            a.bool_or("broadcast", false)?;
        }
        _ if BROADCAST_OPS.contains(&op) => {
            let broadcast = a.bool_or("broadcast", false)?;
            let axis = a.int("axis")?;
            if axis.is_some() && !broadcast {
                return Err(Error::invalid("attribute 'axis' needs broadcast = 1"));
            }
        }
        _ => {}
    }
    Ok(())
}

/// For a node of opset < 7 whose input 1 must be broadcast from an axis other than the
/// NumPy one: the axes to unsqueeze input 1 with (trailing unit dims), given the ranks (or
/// shapes) of inputs 0 and 1. `Ok(None)`: the node's own broadcasting already matches.
///
/// - binary ops with `broadcast = 1` and `axis`: `B`'s dims sit at `A`'s dims `axis…`.
/// - PRelu (opsets 1–6): a 1-D slope of `C > 1` values holds one slope per channel (dim 1).
pub(crate) fn legacy_unsqueeze(
    op_type: &str,
    axis: Option<i64>,
    a_shape: &[usize],
    b_shape: &[usize],
) -> Result<Option<Vec<i64>>> {
    let (ra, rb) = (a_shape.len() as i64, b_shape.len() as i64);
    let start = match (op_type, axis) {
        ("PRelu", _) => {
            let per_channel =
                rb == 1 && ra >= 3 && b_shape.first().is_some_and(|&c| c > 1 && a_shape.get(1) == Some(&c));
            if !per_channel {
                return Ok(None);
            }
            1
        }
        (_, None) => return Ok(None),
        (_, Some(axis)) => {
            let axis = if axis < 0 { axis + ra } else { axis };
            if axis < 0 || axis + rb > ra {
                return Err(Error::invalid(format!(
                    "axis {axis} does not place B of rank {rb} inside A of rank {ra}"
                )));
            }
            axis
        }
    };
    let trailing = ra - start - rb;
    Ok((trailing > 0).then(|| (rb..rb + trailing).collect()))
}

/// True when `op_type` at `opset` may need [`legacy_unsqueeze`] on its input 1.
pub(crate) fn may_unsqueeze(op_type: &str, opset: i64) -> bool {
    opset < 7 && (op_type == "PRelu" || BROADCAST_OPS.contains(&op_type))
}

#[cfg(test)]
mod tests {
    use super::legacy_unsqueeze;

    #[test]
    fn axis_broadcast_adds_trailing_dims() {
        // A [2,3,4,5] + B [3,4] at axis 1 → B as [3,4,1].
        assert_eq!(legacy_unsqueeze("Add", Some(1), &[2, 3, 4, 5], &[3, 4]).ok(), Some(Some(vec![2])));
        // Trailing axis: NumPy already agrees.
        assert_eq!(legacy_unsqueeze("Add", Some(2), &[2, 3, 4, 5], &[4, 5]).ok(), Some(None));
        assert_eq!(legacy_unsqueeze("Add", None, &[2, 3], &[3]).ok(), Some(None));
        assert_eq!(legacy_unsqueeze("Mul", Some(-2), &[2, 3, 4], &[3]).ok(), Some(Some(vec![1])));
        assert!(legacy_unsqueeze("Add", Some(3), &[2, 3, 4], &[3, 4]).is_err());
        // PRelu: per-channel slope.
        assert_eq!(legacy_unsqueeze("PRelu", None, &[2, 3, 4, 5], &[3]).ok(), Some(Some(vec![1, 2])));
        assert_eq!(legacy_unsqueeze("PRelu", None, &[2, 3, 4, 5], &[1]).ok(), Some(None));
    }
}
