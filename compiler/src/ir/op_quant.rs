//! Quantization operators (QuantizeLinear, DequantizeLinear, ConvInteger, QLinearConv) and
//! inference Dropout with its mask. They sit behind the single [`super::Op::Quant`] variant;
//! inference, lowering, evaluation and codegen for them live in their own `quant` files.
//! (Clip and Pad with run-time operands stay `Op::Clip` / `Op::Pad` but lower to the kernels
//! of the same family.)

use super::DType;

/// A quantization operator (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum QuantOp {
    /// x, y_scale, y_zero_point?. `output_dtype`: the attribute (opset 21+), `None` when absent
    /// (then the zero point's type, or u8). `precision`: the attribute (opset 25+).
    Quantize { axis: i64, block_size: usize, output_dtype: Option<DType>, precision: Option<DType> },
    /// x, x_scale, x_zero_point?. `output_dtype` (opset 23+): `None` = the scale's type.
    Dequantize { axis: i64, block_size: usize, output_dtype: Option<DType> },
    /// x, w, x_zero_point?, w_zero_point?.
    ConvInteger { window: super::op::Window, group: usize },
    /// x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B?.
    QLinearConv { window: super::op::Window, group: usize },
    /// Inference Dropout whose mask output is used: y = x, mask all true.
    DropoutMask,
}

impl QuantOp {
    /// The ONNX operator name.
    pub fn name(&self) -> &'static str {
        match self {
            QuantOp::Quantize { .. } => "QuantizeLinear",
            QuantOp::Dequantize { .. } => "DequantizeLinear",
            QuantOp::ConvInteger { .. } => "ConvInteger",
            QuantOp::QLinearConv { .. } => "QLinearConv",
            QuantOp::DropoutMask => "Dropout",
        }
    }
}
