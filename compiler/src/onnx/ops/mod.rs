//! ONNX node → typed [`Op`]: one converter per operator, checked against the node's opset.
//!
//! A converter reads the attributes its operator defines at the model's opset (applying the
//! spec's defaults), rejects values onnxc does not compile, and says which of the node's inputs
//! become the IR node's input slots and how many outputs the op computes. Attributes a
//! converter does not read are reported, so an attribute from another opset never passes
//! silently.

mod index;
mod legacy;
mod math;
mod movement;
mod nn;
mod pooling;
mod quant;
mod recurrent;
mod stateful;
mod signal;
mod transformer;
mod vision;

#[cfg(test)]
pub(crate) use signal::parse_equation as parse_einsum;
pub(crate) use legacy::{legacy_unsqueeze, may_unsqueeze as legacy_may_unsqueeze};

use super::attributes::Attrs;
use super::proto::NodeProto;
use super::tensor::TensorReader;
use crate::error::{Error, Result};
use crate::ir::{Op, Tensor};

/// Every operator onnxc imports, with the first opset at which onnxc accepts it: the first that
/// defines it, or a later one where the older versions mean something onnxc does not compile
/// (Reshape's shape attribute before opset 5, Tile's `tiles`/`axis` inputs before 6, Pad's
/// `paddings` at 1).
pub const SUPPORTED_OPS: &[(&str, i64)] = &[
    ("Abs", 1),
    ("Acos", 7),
    ("Acosh", 9),
    ("Add", 1),
    ("AffineGrid", 20),
    ("And", 1),
    ("ArgMax", 1),
    ("ArgMin", 1),
    ("Asin", 7),
    ("Asinh", 9),
    ("Atan", 7),
    ("Atanh", 9),
    ("Attention", 23),
    ("AveragePool", 1),
    ("BatchNormalization", 1),
    ("BitCast", 26),
    ("BitShift", 11),
    ("BitwiseAnd", 18),
    ("BitwiseNot", 18),
    ("BitwiseOr", 18),
    ("BitwiseXor", 18),
    ("BlackmanWindow", 17),
    ("Cast", 1),
    ("CastLike", 15),
    ("CausalConvWithState", 27),
    ("Ceil", 1),
    ("Celu", 12),
    ("CenterCropPad", 18),
    ("Clip", 1),
    ("Col2Im", 18),
    ("Compress", 9),
    ("Concat", 1),
    ("Constant", 1),
    ("ConstantOfShape", 9),
    ("Conv", 1),
    ("ConvInteger", 10),
    ("ConvTranspose", 1),
    ("Cos", 7),
    ("Cosh", 9),
    ("CumProd", 26),
    ("CumSum", 11),
    ("DFT", 17),
    ("DeformConv", 19),
    ("DepthToSpace", 1),
    ("DequantizeLinear", 10),
    ("Det", 11),
    ("Div", 1),
    ("Dropout", 1),
    ("DynamicQuantizeLinear", 11),
    ("Einsum", 12),
    ("Elu", 1),
    ("Equal", 1),
    ("Erf", 9),
    ("Exp", 1),
    ("Expand", 8),
    ("EyeLike", 9),
    ("Flatten", 1),
    ("Floor", 1),
    ("GRU", 1),
    ("Gather", 1),
    ("GatherElements", 11),
    ("GatherND", 11),
    ("Gelu", 20),
    ("Gemm", 1),
    ("GlobalAveragePool", 1),
    ("GlobalMaxPool", 1),
    ("Greater", 1),
    ("GreaterOrEqual", 12),
    ("GridSample", 16),
    ("GroupNormalization", 18),
    ("HammingWindow", 17),
    ("HannWindow", 17),
    ("HardSigmoid", 1),
    ("HardSwish", 14),
    ("Hardmax", 1),
    ("Identity", 1),
    ("If", 1),
    ("InstanceNormalization", 1),
    ("IsInf", 10),
    ("IsNaN", 9),
    ("LRN", 1),
    ("LSTM", 1),
    ("LayerNormalization", 17),
    ("LeakyRelu", 1),
    ("Less", 1),
    ("LessOrEqual", 12),
    ("LinearAttention", 27),
    ("Log", 1),
    ("LogSoftmax", 1),
    ("Loop", 1),
    ("LpNormalization", 1),
    ("LpPool", 2),
    ("MatMul", 1),
    ("MatMulInteger", 10),
    ("Max", 1),
    ("MaxPool", 1),
    ("MaxUnpool", 9),
    ("Mean", 1),
    ("MeanVarianceNormalization", 9),
    ("MelWeightMatrix", 17),
    ("Min", 1),
    ("Mish", 18),
    ("Mod", 10),
    ("Mul", 1),
    ("Neg", 1),
    ("NonMaxSuppression", 10),
    ("NonZero", 9),
    ("Not", 1),
    ("OneHot", 9),
    ("Or", 1),
    ("PRelu", 1),
    ("Pad", 2),
    ("Pow", 1),
    ("QLinearConv", 10),
    ("QLinearMatMul", 10),
    ("QuantizeLinear", 10),
    ("RMSNormalization", 23),
    ("RNN", 1),
    ("Range", 11),
    ("Reciprocal", 1),
    ("ReduceL1", 1),
    ("ReduceL2", 1),
    ("ReduceLogSum", 1),
    ("ReduceLogSumExp", 1),
    ("ReduceMax", 1),
    ("ReduceMean", 1),
    ("ReduceMin", 1),
    ("ReduceProd", 1),
    ("ReduceSum", 1),
    ("ReduceSumSquare", 1),
    ("Relu", 1),
    ("Reshape", 5),
    ("Resize", 10),
    ("ReverseSequence", 10),
    ("RoiAlign", 10),
    ("RotaryEmbedding", 23),
    ("Round", 11),
    ("STFT", 17),
    ("Scan", 8),
    ("Scatter", 9),
    ("ScatterElements", 11),
    ("ScatterND", 11),
    ("Selu", 1),
    ("Shape", 1),
    ("Shrink", 9),
    ("Sigmoid", 1),
    ("Sign", 9),
    ("Sin", 7),
    ("Sinh", 9),
    ("Size", 1),
    ("Slice", 1),
    ("Softmax", 1),
    ("Softplus", 1),
    ("Softsign", 1),
    ("SpaceToDepth", 1),
    ("Split", 1),
    ("Sqrt", 1),
    ("Squeeze", 1),
    ("Sub", 1),
    ("Sum", 1),
    ("SwiGLU", 28),
    ("Swish", 24),
    ("Tan", 7),
    ("Tanh", 1),
    ("TensorScatter", 24),
    ("TfIdfVectorizer", 9),
    ("ThresholdedRelu", 10),
    ("Tile", 6),
    ("TopK", 1),
    ("Transpose", 1),
    ("Trilu", 14),
    ("Unique", 11),
    ("Unsqueeze", 1),
    ("Upsample", 7),
    ("Where", 9),
    ("Xor", 1),
];

/// The supported ops with the default-domain opsets at which onnxc accepts them, sorted by
/// name: what `onnxc ops` prints and SUPPORTED_OPS.md lists.
pub fn supported_op_table() -> Vec<(&'static str, i64, i64)> {
    let (lo, hi) = (*super::OPSET_RANGE.start(), *super::OPSET_RANGE.end());
    let mut table: Vec<_> = SUPPORTED_OPS
        .iter()
        .map(|&(op, since)| {
            // Upsample was removed from the standard at opset 10 (Resize replaces it).
            let until = match op {
                "Upsample" => 9,
                "Scatter" => 10,
                _ => hi,
            };
            (op, since.max(lo), until)
        })
        .collect();
    table.sort();
    table
}

/// True when onnxc has a converter for this ai.onnx operator (at some opset).
pub(crate) fn is_supported(op_type: &str) -> bool {
    SUPPORTED_OPS.iter().any(|(name, _)| *name == op_type)
}

/// What a converter sees of one node.
pub(crate) struct NodeCtx<'a> {
    pub node: &'a NodeProto,
    /// The model's opset for the default domain.
    pub opset: i64,
    pub attrs: Attrs<'a>,
    /// Decodes tensor-valued attributes (Constant, ConstantOfShape).
    pub tensors: TensorReader<'a>,
    /// The value of an input known at import (initializer or Constant node), by ONNX name.
    pub constant: &'a dyn Fn(&str) -> Option<&'a Tensor>,
}

/// A converted node.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lowered {
    pub op: Op,
    /// The IR node's input slots, as positions in the ONNX node's inputs (`None` = absent).
    pub inputs: Vec<Option<usize>>,
    /// How many leading ONNX outputs the op computes; any further ones must be unused.
    pub outputs: usize,
}

/// Converts one node. `Ok(None)`: onnxc does not know this operator.
pub(crate) fn lower(ctx: &NodeCtx) -> Result<Option<Lowered>> {
    let op_type = ctx.node.op_type.as_str();
    let Some(&(_, since)) = SUPPORTED_OPS.iter().find(|(name, _)| *name == op_type) else {
        return Ok(None);
    };
    if ctx.opset < since {
        if legacy::OLDER_VERSIONS_UNSUPPORTED.contains(&op_type) {
            return Err(unsupported(format!(
                "{op_type} at opset {} is not supported (onnxc supports it from opset {since})",
                ctx.opset
            )));
        }
        return Err(Error::invalid(format!("{op_type} is not defined before opset {since}")));
    }
    legacy::prepare(ctx)?;
    let lowered = match op_type {
        // Expanded by the importer before conversion (onnx/control_flow.rs).
        "If" | "Loop" | "Scan" => return Ok(None),
        "Constant" => math::constant(ctx)?,
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Mod" | "PRelu" | "Max" | "Min" | "Sum" | "Mean" => math::binary(ctx)?,
        "Equal" | "Less" | "LessOrEqual" | "Greater" | "GreaterOrEqual" => math::compare(ctx)?,
        "And" | "Or" | "Xor" => math::logic(ctx)?,
        "Not" => math::not(ctx)?,
        "Relu" | "Sigmoid" | "Tanh" | "Exp" | "Log" | "Sqrt" | "Reciprocal" | "Neg" | "Abs" | "Erf" | "LeakyRelu"
        | "Elu" | "HardSigmoid" | "HardSwish" | "Gelu" => math::unary(ctx)?,
        "Sin" | "Cos" | "Tan" | "Asin" | "Acos" | "Atan" | "Sinh" | "Cosh" | "Asinh" | "Acosh" | "Atanh" | "Floor"
        | "Ceil" | "Round" | "Sign" | "Softplus" | "Softsign" | "Mish" | "Selu" | "Celu" | "ThresholdedRelu"
        | "Shrink" | "Swish" => math::unary(ctx)?,
        "Clip" => math::clip(ctx)?,
        "Softmax" | "LogSoftmax" => math::softmax(ctx)?,
        "ReduceMean" | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ReduceProd" | "ReduceL1" | "ReduceL2"
        | "ReduceLogSum" | "ReduceLogSumExp" | "ReduceSumSquare" => math::reduce(ctx)?,
        "Cast" => math::cast(ctx)?,
        "CastLike" => math::cast_like(ctx)?,
        "BitCast" => math::bitcast(ctx)?,
        "IsNaN" | "IsInf" => math::classify(ctx)?,
        "BitShift" | "BitwiseAnd" | "BitwiseOr" | "BitwiseXor" | "BitwiseNot" => math::bitwise(ctx)?,
        "ConstantOfShape" => math::constant_of_shape(ctx)?,
        "Conv" => nn::conv(ctx)?,
        "ConvTranspose" => nn::conv_transpose(ctx)?,
        "Gemm" => nn::gemm(ctx)?,
        "MatMul" => nn::matmul(ctx)?,
        "MaxPool" | "AveragePool" => nn::pool(ctx)?,
        "GlobalAveragePool" | "GlobalMaxPool" => nn::global_pool(ctx)?,
        "BatchNormalization" => nn::batch_norm(ctx)?,
        "LayerNormalization" => nn::layer_norm(ctx)?,
        "InstanceNormalization" => nn::instance_norm(ctx)?,
        "Dropout" => nn::dropout(ctx)?,
        "Attention" => transformer::attention(ctx)?,
        "RMSNormalization" => transformer::rms_norm(ctx)?,
        "LpNormalization" => transformer::lp_norm(ctx)?,
        "RotaryEmbedding" => transformer::rotary(ctx)?,
        "LpPool" => pooling::pool_nd(ctx)?,
        "GridSample" => transformer::grid_sample(ctx)?,
        "Col2Im" => pooling::col2im(ctx)?,
        "MaxUnpool" => pooling::max_unpool(ctx)?,
        "GroupNormalization" | "MeanVarianceNormalization" | "LRN" => transformer::norms(ctx)?,
        "QLinearMatMul" | "MatMulInteger" | "DynamicQuantizeLinear" => transformer::quant(ctx)?,
        "QuantizeLinear" | "DequantizeLinear" | "ConvInteger" | "QLinearConv" => quant::convert(ctx)?,
        "RNN" | "GRU" | "LSTM" => recurrent::recurrent(ctx)?,
        "LinearAttention" => stateful::linear_attention(ctx)?,
        "CausalConvWithState" => stateful::causal_conv(ctx)?,
        "SwiGLU" => stateful::swiglu(ctx)?,
        "NonMaxSuppression" | "Unique" | "RoiAlign" | "DeformConv" | "AffineGrid" | "TfIdfVectorizer" => vision::convert(ctx)?,
        "Reshape" => movement::reshape(ctx)?,
        "Flatten" => movement::flatten(ctx)?,
        "Transpose" => movement::transpose(ctx)?,
        "Concat" => movement::concat(ctx)?,
        "Split" => movement::split(ctx)?,
        "Slice" => movement::slice(ctx)?,
        "Squeeze" | "Unsqueeze" => movement::squeeze(ctx)?,
        "Gather" => movement::gather(ctx)?,
        "Pad" => movement::pad(ctx)?,
        "Resize" => movement::resize(ctx)?,
        "Upsample" => movement::upsample(ctx)?,
        "Shape" => movement::shape(ctx)?,
        "Identity" | "Where" | "Expand" | "Tile" => movement::plain(ctx)?,
        "ArgMax" | "ArgMin" | "CenterCropPad" | "Compress" | "CumProd" | "CumSum" | "DepthToSpace" | "EyeLike" | "GatherElements"
        | "GatherND" | "Hardmax" | "NonZero" | "OneHot" | "Range" | "ReverseSequence" | "Scatter" | "ScatterElements"
        | "ScatterND" | "Size" | "SpaceToDepth" | "TopK" | "Trilu" | "Det" => index::convert(ctx)?,
        "Einsum" | "DFT" | "STFT" | "HannWindow" | "HammingWindow" | "BlackmanWindow" | "MelWeightMatrix" | "TensorScatter" => {
            signal::convert(ctx)?
        }
        other => return Err(Error::internal(format!("{other} is listed as supported but has no converter"))),
    };
    if let Some(name) = ctx.attrs.first_unread() {
        return Err(Error::invalid(format!("attribute '{name}' is not defined for {op_type} at opset {}", ctx.opset)));
    }
    Ok(Some(lowered))
}

impl NodeCtx<'_> {
    /// True when ONNX input `i` is given (present and not the empty name).
    pub(crate) fn has_input(&self, i: usize) -> bool {
        self.node.input.get(i).is_some_and(|n| !n.is_empty())
    }

    /// Checks the number of inputs (trailing absent ones count) and that the first `min` are given.
    pub(crate) fn expect_inputs(&self, min: usize, max: usize) -> Result<()> {
        let n = self.node.input.len();
        if n < min || n > max {
            return Err(Error::invalid(format!("expects {} input(s), found {n}", count_range(min, max))));
        }
        if let Some(i) = (0..min).find(|&i| !self.has_input(i)) {
            return Err(Error::invalid(format!("input {i} is required but empty")));
        }
        Ok(())
    }

    /// Checks the number of outputs; the first one must be named.
    pub(crate) fn expect_outputs(&self, min: usize, max: usize) -> Result<()> {
        let n = self.node.output.len();
        if n < min || n > max {
            return Err(Error::invalid(format!("expects {} output(s), found {n}", count_range(min, max))));
        }
        Ok(())
    }

    /// The ONNX inputs `0..n` as IR slots (`None` where absent or beyond the list).
    pub(crate) fn slots(&self, n: usize) -> Vec<Option<usize>> {
        (0..n).map(|i| self.has_input(i).then_some(i)).collect()
    }

    /// All ONNX inputs as IR slots.
    pub(crate) fn all_slots(&self) -> Vec<Option<usize>> {
        self.slots(self.node.input.len())
    }

    /// The usual result: the op over all inputs, computing all outputs.
    pub(crate) fn lowered(&self, op: Op) -> Lowered {
        Lowered { op, inputs: self.all_slots(), outputs: self.node.output.len() }
    }
}

/// `2`, `1 to 3` or `at least 1`, for arity errors.
fn count_range(min: usize, max: usize) -> String {
    match (min, max) {
        (a, b) if a == b => format!("{a}"),
        (a, usize::MAX) => format!("at least {a}"),
        (a, b) => format!("{a} to {b}"),
    }
}

/// An error for a valid attribute value that onnxc does not compile.
pub(crate) fn unsupported(what: impl std::fmt::Display) -> Error {
    Error::unsupported(what.to_string())
}

#[cfg(test)]
mod tests;
