//! Inference rules of the quantization ops behind [`Op::Quant`](crate::ir::Op::Quant), and the
//! geometry lowering shares with them.

use super::{Inferred, Inputs};
use crate::error::{Error, Result};
use crate::ir::op::Window;
use crate::ir::op_quant::QuantOp;
use crate::ir::{DType, ValueInfo};

fn info<'a>(inputs: &'a Inputs, i: usize) -> Result<&'a ValueInfo> {
    inputs.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
}

fn present(inputs: &Inputs, i: usize) -> bool {
    inputs.infos.get(i).copied().flatten().is_some()
}

/// The integer types QuantizeLinear produces and DequantizeLinear reads.
const QUANT_TYPES: [DType; 4] = [DType::U8, DType::I8, DType::U16, DType::I16];

/// How the scale of QuantizeLinear / DequantizeLinear maps onto x: x as `[outer, axis_len,
/// inner]`, the scale index of `(o, a, i)` being `o * strides.0 + (a / block) * strides.1 +
/// i * strides.2`.
#[derive(Clone, Debug, PartialEq)]
pub struct QuantGeometry {
    pub outer: usize,
    pub axis_len: usize,
    pub inner: usize,
    pub block: usize,
    pub strides: (usize, usize, usize),
}

/// Per-tensor, per-axis or blocked geometry of a scale (and zero point) of `scale` shape over x.
pub fn quant_geometry(x: &[usize], scale: &[usize], axis: i64, block_size: usize) -> Result<QuantGeometry> {
    let len: usize = x.iter().product();
    let scale_len: usize = scale.iter().product();
    if scale_len == 1 && (block_size == 0 || scale.len() <= 1) {
        return Ok(QuantGeometry { outer: 1, axis_len: 1, inner: len, block: 1, strides: (0, 0, 0) });
    }
    let a = super::normalize_axis(axis, x.len())?;
    let (outer, axis_len, inner) = (x[..a].iter().product(), x[a], x[a + 1..].iter().product::<usize>());
    if block_size == 0 {
        if scale != [axis_len] {
            return Err(Error::invalid(format!("per-axis scale {scale:?} must be [{axis_len}] (axis {a} of {x:?})")));
        }
        return Ok(QuantGeometry { outer, axis_len, inner, block: 1, strides: (0, 1, 0) });
    }
    let blocks = axis_len.div_ceil(block_size);
    let mut expected = x.to_vec();
    expected[a] = blocks;
    if scale != expected {
        return Err(Error::invalid(format!(
            "blocked scale {scale:?} must be {expected:?} (x {x:?}, axis {a}, block_size {block_size})"
        )));
    }
    Ok(QuantGeometry { outer, axis_len, inner, block: block_size, strides: (blocks * inner, inner, 1) })
}

/// The output element type of QuantizeLinear.
fn quantize_type(inputs: &Inputs, output_dtype: Option<DType>) -> Result<DType> {
    let t = match (present(inputs, 2).then(|| info(inputs, 2)).transpose()?, output_dtype) {
        (Some(z), Some(o)) if z.dtype != o => {
            return Err(Error::invalid(format!("output_dtype {o} differs from the zero point's type {}", z.dtype)))
        }
        (Some(z), _) => z.dtype,
        (None, Some(o)) => o,
        (None, None) => DType::U8,
    };
    if !QUANT_TYPES.contains(&t) {
        return Err(Error::unsupported(format!("QuantizeLinear to {t}: onnxc supports u8, i8, u16 and i16")));
    }
    Ok(t)
}

/// Checks x, the scale and the zero point of QuantizeLinear / DequantizeLinear; returns the
/// geometry.
fn check_linear(inputs: &Inputs, axis: i64, block_size: usize) -> Result<QuantGeometry> {
    let (x, s) = (info(inputs, 0)?, info(inputs, 1)?);
    if !s.dtype.is_float() {
        return Err(Error::invalid(format!("the scale must be a float tensor, found {}", s.dtype)));
    }
    let g = quant_geometry(&x.shape, &s.shape, axis, block_size)?;
    if present(inputs, 2) && info(inputs, 2)?.shape != s.shape {
        return Err(Error::invalid(format!("zero point {:?} and scale {:?} differ in shape", info(inputs, 2)?.shape, s.shape)));
    }
    Ok(g)
}

/// Output spatial shape of a convolution over x and w (`[N, C, …]`, `[M, C / group, …]`).
pub fn conv_output(window: &Window, group: usize, x: &[usize], w: &[usize]) -> Result<Vec<usize>> {
    if x.len() < 3 || x.len() > 6 || w.len() != x.len() {
        return Err(Error::unsupported(format!("convolution on input {x:?} with weight {w:?}: 1 to 4 spatial axes")));
    }
    if group == 0 || x[1] != w[1] * group || w[0] % group != 0 {
        return Err(Error::invalid(format!("input {x:?}, weight {w:?} and group {group} disagree on channels")));
    }
    if !window.kernel.is_empty() && window.kernel != w[2..] {
        return Err(Error::invalid(format!("kernel_shape {:?} disagrees with weight {w:?}", window.kernel)));
    }
    let g = super::window_geometry(window, &x[2..], &w[2..], false)?;
    let mut out = vec![x[0], w[0]];
    out.extend(g.output);
    Ok(out)
}

/// Infers the outputs of a quantization op.
pub fn infer(op: &QuantOp, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    let int8 = |i: usize| -> Result<DType> {
        let d = info(inputs, i)?.dtype;
        if matches!(d, DType::U8 | DType::I8) {
            Ok(d)
        } else {
            Err(Error::unsupported(format!("input {i} has type {d}; this op supports u8 and i8")))
        }
    };
    match op {
        QuantOp::Quantize { axis, block_size, output_dtype, precision } => {
            let x = info(inputs, 0)?;
            if !(x.dtype.is_float() || x.dtype == DType::I32) {
                return Err(Error::unsupported(format!("QuantizeLinear of {}: onnxc supports float and i32 inputs", x.dtype)));
            }
            if precision.is_some_and(|p| !p.is_float()) {
                return Err(Error::invalid("precision must be a float type"));
            }
            check_linear(inputs, *axis, *block_size)?;
            Ok(vec![(quantize_type(inputs, *output_dtype)?, x.shape.clone())])
        }
        QuantOp::Dequantize { axis, block_size, output_dtype } => {
            let x = info(inputs, 0)?;
            if !(QUANT_TYPES.contains(&x.dtype) || x.dtype == DType::I32) {
                return Err(Error::unsupported(format!("DequantizeLinear of {}: onnxc supports u8, i8, u16, i16 and i32", x.dtype)));
            }
            if present(inputs, 2) && info(inputs, 2)?.dtype != x.dtype {
                return Err(Error::invalid("x and its zero point differ in type"));
            }
            check_linear(inputs, *axis, *block_size)?;
            let out = output_dtype.unwrap_or(info(inputs, 1)?.dtype);
            if !out.is_float() {
                return Err(Error::invalid(format!("output_dtype {out} is not a float type")));
            }
            Ok(vec![(out, x.shape.clone())])
        }
        QuantOp::ConvInteger { window, group } => {
            let (xt, wt) = (int8(0)?, int8(1)?);
            for (i, t) in [(2, xt), (3, wt)] {
                if present(inputs, i) && info(inputs, i)?.dtype != t {
                    return Err(Error::invalid(format!("zero point {i} must have its operand's type {t}")));
                }
            }
            Ok(vec![(DType::I32, conv_output(window, *group, &info(inputs, 0)?.shape, &info(inputs, 1)?.shape)?)])
        }
        QuantOp::QLinearConv { window, group } => {
            let (xt, wt) = (int8(0)?, int8(3)?);
            if info(inputs, 2)?.dtype != xt || info(inputs, 5)?.dtype != wt || int8(7)? != xt {
                return Err(Error::unsupported("QLinearConv: zero points must match their operands (and y's type x's)"));
            }
            for i in [1, 4, 6] {
                if info(inputs, i)?.dtype != DType::F32 {
                    return Err(Error::unsupported(format!("QLinearConv: scale {i} must be f32")));
                }
            }
            if present(inputs, 8) && info(inputs, 8)?.dtype != DType::I32 {
                return Err(Error::invalid("QLinearConv: B must be int32"));
            }
            Ok(vec![(xt, conv_output(window, *group, &info(inputs, 0)?.shape, &info(inputs, 3)?.shape)?)])
        }
        QuantOp::DropoutMask => {
            let x = info(inputs, 0)?;
            let all = [(x.dtype, x.shape.clone()), (DType::Bool, x.shape.clone())];
            Ok(all.into_iter().take(num_outputs.max(1)).collect())
        }
    }
}
