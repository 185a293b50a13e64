//! Lowering of the quantization ops behind `Op::Quant`, and of Clip / Pad / ConvTranspose
//! shapes the core kernels do not cover, to the kernels of `qlinear` and `conv_direct`.

use crate::error::{Error, Result};
use crate::ir::infer::quant::quant_geometry;
use crate::ir::infer::Inputs;
use crate::ir::op::{Activation, ConvTranspose, Window};
use crate::ir::op_quant::QuantOp;
use crate::ir::{DType, Tensor, ValueInfo};
use onnxc_templates::generic as k;
use onnxc_templates::generic::qlinear::QElem;

/// A lowered quantization kernel. `slots[i]` says whether node input `i` is present (the
/// evaluator and codegen receive only the present ones, in slot order).
#[derive(Clone, Debug, PartialEq)]
pub struct QuantKernel {
    pub kind: QuantKernelKind,
    pub slots: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum QuantKernelKind {
    /// x, scale, zero?.
    Quantize(k::qlinear::QuantLinearParams),
    /// x, scale, zero?.
    Dequantize(k::qlinear::QuantLinearParams),
    /// x, w, x_zero?, w_zero?; `DType` is w's type.
    ConvInteger(k::conv_direct::DirectConvParams, DType),
    /// x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero, bias?; `DType` is w's type.
    QLinearConv(k::conv_direct::DirectConvParams, DType),
    /// x, min?, max? (run-time tensors); the attribute bounds of old opsets as constants.
    Clip { min: Option<Tensor>, max: Option<Tensor> },
    /// x, (pads), constant_value: Pad in constant mode with a run-time value.
    PadValue(k::movement::PadParams),
    /// x; y, mask.
    DropoutMask,
    /// x: MaxPool on integers.
    MaxPool(k::pool::PoolParams),
    /// start, limit, delta: Range on f16 (false) or bf16 (true).
    RangeHalf(bool),
    /// x, w, bias?: f32 ConvTranspose over 3 or 4 spatial axes.
    ConvTransposeNd(k::conv_direct::DirectConvParams, Activation),
}

/// The kernel element type of a dtype.
pub fn qelem(d: DType) -> Result<QElem> {
    Ok(match d {
        DType::F32 => QElem::F32,
        DType::F64 => QElem::F64,
        DType::F16 => QElem::F16,
        DType::BF16 => QElem::BF16,
        DType::I8 => QElem::I8,
        DType::U8 => QElem::U8,
        DType::I16 => QElem::I16,
        DType::U16 => QElem::U16,
        DType::I32 => QElem::I32,
        DType::U32 => QElem::U32,
        DType::I64 => QElem::I64,
        DType::U64 => QElem::U64,
        DType::Bool => return Err(Error::unsupported("bool data: this op supports numeric types")),
    })
}

/// The Rust element type of a kernel element type.
pub fn qelem_rust_type(e: QElem) -> &'static str {
    match e {
        QElem::F32 => "f32",
        QElem::F64 => "f64",
        QElem::F16 | QElem::BF16 | QElem::U16 => "u16",
        QElem::I8 => "i8",
        QElem::U8 => "u8",
        QElem::I16 => "i16",
        QElem::I32 => "i32",
        QElem::U32 => "u32",
        QElem::I64 => "i64",
        QElem::U64 => "u64",
    }
}

fn slots_of(ins: &Inputs) -> Vec<bool> {
    ins.infos.iter().map(Option::is_some).collect()
}

/// Chooses the kernel of a quantization op.
pub fn lower(op: &QuantOp, ins: &Inputs, outputs: &[ValueInfo]) -> Result<QuantKernel> {
    let info = |i: usize| -> Result<&ValueInfo> {
        ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    let out = outputs.first().ok_or_else(|| Error::internal("node without outputs"))?;
    let kind = match op {
        QuantOp::Quantize { axis, block_size, precision, .. } | QuantOp::Dequantize { axis, block_size, output_dtype: precision } => {
            let quantize = matches!(op, QuantOp::Quantize { .. });
            let (x, s) = (info(0)?, info(1)?);
            let g = quant_geometry(&x.shape, &s.shape, *axis, *block_size)?;
            // numpy's promotion of the reference: x / scale (Quantize) or float32(x) * scale.
            let promoted = if x.dtype == DType::I32 || x.dtype == DType::F64 || s.dtype == DType::F64 {
                DType::F64
            } else if quantize && x.dtype == s.dtype {
                x.dtype
            } else {
                DType::F32
            };
            let precision = if quantize { precision.unwrap_or(promoted) } else { promoted };
            let p = k::qlinear::QuantLinearParams {
                outer: g.outer,
                axis_len: g.axis_len,
                inner: g.inner,
                block: g.block,
                scale_outer: g.strides.0,
                scale_axis: g.strides.1,
                scale_inner: g.strides.2,
                x: qelem(x.dtype)?,
                scale: qelem(s.dtype)?,
                y: qelem(out.dtype)?,
                precision: qelem(precision)?,
            };
            if quantize {
                QuantKernelKind::Quantize(p)
            } else {
                QuantKernelKind::Dequantize(p)
            }
        }
        QuantOp::ConvInteger { window, group } => {
            QuantKernelKind::ConvInteger(conv_nd(window, *group, &info(0)?.shape, &info(1)?.shape, &out.shape)?, info(1)?.dtype)
        }
        QuantOp::QLinearConv { window, group } => {
            QuantKernelKind::QLinearConv(conv_nd(window, *group, &info(0)?.shape, &info(3)?.shape, &out.shape)?, info(3)?.dtype)
        }
        QuantOp::DropoutMask => QuantKernelKind::DropoutMask,
    };
    Ok(QuantKernel { kind, slots: slots_of(ins) })
}

/// Up to 4 values of `v` in a fixed array (`fill` beyond).
fn arr4(v: &[usize], fill: usize) -> Result<[usize; 4]> {
    if v.len() > 4 {
        return Err(Error::unsupported(format!("{} spatial axes: onnxc supports up to 4", v.len())));
    }
    let mut a = [fill; 4];
    a[..v.len()].copy_from_slice(v);
    Ok(a)
}

/// N-D convolution parameters (x `[N, C, …]`, w `[M, C / group, …]`, y `[N, M, …]`).
fn conv_nd(window: &Window, group: usize, x: &[usize], w: &[usize], y: &[usize]) -> Result<k::conv_direct::DirectConvParams> {
    let g = crate::ir::infer::window_geometry(window, &x[2..], &w[2..], false)?;
    Ok(k::conv_direct::DirectConvParams {
        batch: x[0],
        in_channels: x[1],
        out_channels: y[1],
        groups: group,
        rank: x.len() - 2,
        in_shape: arr4(&x[2..], 1)?,
        out_shape: arr4(&y[2..], 1)?,
        kernel: arr4(&w[2..], 1)?,
        strides: arr4(&g.strides, 1)?,
        dilations: arr4(&g.dilations, 1)?,
        pads: arr4(&g.pads_begin, 0)?,
    })
}

/// ConvTranspose beyond 2 spatial axes (x `[N, C, …]`, w `[C, M / group, …]`).
pub fn conv_transpose_nd(c: &ConvTranspose, ins: &Inputs, y: &[usize]) -> Result<QuantKernel> {
    let info = |i: usize| ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")));
    let (x, w) = (&info(0)?.shape, &info(1)?.shape);
    let g = crate::ir::infer::conv_transpose_geometry(&c.window, &x[2..], &w[2..], &c.output_padding, &c.output_shape)?;
    let p = k::conv_direct::DirectConvParams {
        batch: x[0],
        in_channels: x[1],
        out_channels: y[1],
        groups: c.group,
        rank: x.len() - 2,
        in_shape: arr4(&x[2..], 1)?,
        out_shape: arr4(&y[2..], 1)?,
        kernel: arr4(&w[2..], 1)?,
        strides: arr4(&g.strides, 1)?,
        dilations: arr4(&g.dilations, 1)?,
        pads: arr4(&g.pads_begin, 0)?,
    };
    Ok(QuantKernel { kind: QuantKernelKind::ConvTransposeNd(p, c.activation), slots: slots_of(ins) })
}

/// Clip whose bounds are run-time tensors, or whose data is not f32. `min` / `max`: the
/// attribute bounds of opsets before 11.
pub fn clip(min: Option<f32>, max: Option<f32>, dtype: DType, ins: &Inputs) -> Result<QuantKernel> {
    if dtype == DType::Bool {
        return Err(Error::unsupported("Clip on bool"));
    }
    for slot in [1, 2] {
        if let Some(b) = ins.infos.get(slot).copied().flatten() {
            if b.dtype != dtype || b.elements() != 1 {
                return Err(Error::invalid(format!("Clip bound {slot} must be a one-element {dtype} tensor, found {} {:?}", b.dtype, b.shape)));
            }
        }
    }
    let attr = |v: Option<f32>| v.map(|v| crate::eval::scalar_of(dtype, f64::from(v)));
    Ok(QuantKernel { kind: QuantKernelKind::Clip { min: attr(min), max: attr(max) }, slots: slots_of(ins) })
}

/// Pad in constant mode whose value is a run-time tensor.
pub fn pad_value(p: k::movement::PadParams, dtype: DType, ins: &Inputs) -> Result<QuantKernel> {
    match ins.infos.get(2).copied().flatten() {
        Some(v) if v.dtype == dtype && v.elements() == 1 => {}
        Some(v) => return Err(Error::invalid(format!("constant_value must be a one-element {dtype} tensor, found {} {:?}", v.dtype, v.shape))),
        None => return Err(Error::internal("Pad without constant_value")),
    }
    Ok(QuantKernel { kind: QuantKernelKind::PadValue(p), slots: slots_of(ins) })
}
