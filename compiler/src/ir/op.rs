//! Typed operators: every ONNX node becomes one of these at import, with attributes
//! validated and defaulted for its opset. No string attribute lookup happens after import.
//!
//! Inputs that the ONNX spec passes as tensors but that decide shapes (Reshape's shape, Slice's
//! starts, …) stay graph inputs here; shape inference reads them when they are constant.

use super::tensor::Tensor;
use super::DType;
pub use super::index_op::IndexOp;
pub use onnxc_templates::generic::activation::Activation;
pub use onnxc_templates::generic::elementwise::{BinaryOp, CompareOp, LogicOp};
pub use onnxc_templates::generic::movement::PadMode;
pub use onnxc_templates::generic::reduce::ReduceOp;
pub use onnxc_templates::generic::resize::{CoordinateMode, NearestMode, ResizeMode};

/// How `auto_pad` asks for padding to be computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AutoPad {
    /// Use the explicit `pads`.
    NotSet,
    /// No padding.
    Valid,
    /// Output = ceil(input / stride); extra padding at the end.
    SameUpper,
    /// Output = ceil(input / stride); extra padding at the start.
    SameLower,
}

/// Spatial window geometry shared by Conv, ConvTranspose and pooling (2-D or 1-D).
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    /// Kernel size per spatial axis; empty for Conv means "from the weight's shape".
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// Begin pads then end pads, as in ONNX (`x1_begin, x2_begin, …, x1_end, x2_end`).
    pub pads: Vec<usize>,
    pub auto_pad: AutoPad,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    pub window: Window,
    pub group: usize,
    /// Activation applied to each output (set by the fusion pass).
    pub activation: Activation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConvTranspose {
    pub window: Window,
    pub group: usize,
    pub output_padding: Vec<usize>,
    pub output_shape: Vec<usize>,
    pub activation: Activation,
}

/// `Y = act(alpha * A' * B' + beta * C)`. onnxc also allows `A` of rank > 2 (leading dims
/// flattened into rows) when `trans_a` is false: that is how MatMul + Add becomes Gemm.
#[derive(Clone, Debug, PartialEq)]
pub struct Gemm {
    pub alpha: f32,
    pub beta: f32,
    pub trans_a: bool,
    pub trans_b: bool,
    pub activation: Activation,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MatMul {
    pub activation: Activation,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolKind {
    Max,
    Average,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pool {
    pub kind: PoolKind,
    pub window: Window,
    pub ceil_mode: bool,
    pub count_include_pad: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Resize {
    pub mode: ResizeMode,
    pub coordinate_mode: CoordinateMode,
    pub nearest_mode: NearestMode,
    pub exclude_outside: bool,
    pub extrapolation_value: f32,
    pub cubic_coeff_a: f32,
    /// Opset ≥ 18: restrict scaling to these axes.
    pub axes: Option<Vec<i64>>,
    /// `Upsample`-style scales given as an attribute (opset 7–8).
    pub scales_attr: Option<Vec<f32>>,
    /// Opset ≥ 18: widen the filter when downscaling.
    pub antialias: bool,
    /// Opset ≥ 18 `keep_aspect_ratio_policy` with `sizes`: 0 stretch, 1 not_larger, 2 not_smaller.
    pub keep_aspect: u8,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Reduce {
    pub op: ReduceOp,
    /// Axes from the attribute (older opsets); newer opsets give them as input 1.
    pub axes: Option<Vec<i64>>,
    pub keepdims: bool,
    pub noop_with_empty_axes: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Slice {
    /// Opset < 10 attributes; newer opsets give starts/ends/axes/steps as inputs.
    pub starts: Option<Vec<i64>>,
    pub ends: Option<Vec<i64>>,
    pub axes: Option<Vec<i64>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pad {
    pub mode: PadMode,
    /// Opset < 11 attributes; newer opsets give pads/value/axes as inputs.
    pub pads: Option<Vec<i64>>,
    pub value: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Split {
    pub axis: i64,
    /// Opset < 13 attribute; newer opsets give sizes as input 1.
    pub split: Option<Vec<i64>>,
}

/// A typed operator. See the module docs for how tensor-valued attributes are kept.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A graph input, fed by the caller at run time.
    Input,
    /// A constant: initializer, Constant node, or folded value.
    Constant(Tensor),
    Conv(Conv),
    ConvTranspose(ConvTranspose),
    Gemm(Gemm),
    MatMul(MatMul),
    /// Elementwise float function (Relu, Exp, Sigmoid, …).
    Unary(Activation),
    /// Elementwise function with broadcasting (Add, Mul, Pow, PRelu, …).
    Binary(BinaryOp),
    Compare(CompareOp),
    Logic(LogicOp),
    Not,
    /// Clip with min/max as (optional) inputs; becomes `Unary(Clip)` once they are constant.
    Clip {
        min: Option<f32>,
        max: Option<f32>,
    },
    Softmax {
        axis: i64,
        log: bool,
        /// Opset < 13 semantics: flatten at `axis` and normalize the whole trailing block.
        legacy: bool,
    },
    Pool(Pool),
    GlobalPool(PoolKind),
    BatchNorm {
        epsilon: f32,
    },
    LayerNorm {
        axis: i64,
        epsilon: f32,
    },
    InstanceNorm {
        epsilon: f32,
    },
    Reshape {
        allowzero: bool,
    },
    Flatten {
        axis: i64,
    },
    Transpose {
        perm: Option<Vec<i64>>,
    },
    Concat {
        axis: i64,
    },
    Split(Split),
    Slice(Slice),
    Squeeze {
        axes: Option<Vec<i64>>,
    },
    Unsqueeze {
        axes: Option<Vec<i64>>,
    },
    Gather {
        axis: i64,
    },
    Pad(Pad),
    Resize(Resize),
    Reduce(Reduce),
    Cast {
        to: DType,
    },
    /// Cast to the element type of input 1 (whose values are not read).
    CastLike,
    /// Reinterprets the bits as another type of the same width.
    BitCast {
        to: DType,
    },
    /// Max, Min, Sum (op Add) or Mean (Add, then divided) of any number of inputs, broadcast.
    Variadic {
        op: BinaryOp,
        mean: bool,
    },
    /// IsNaN / IsInf: bool of whether each float is in the selected classes.
    Classify(onnxc_templates::generic::half::FloatClass),
    ConstantOfShape {
        value: Tensor,
    },
    Shape {
        start: i64,
        end: Option<i64>,
    },
    /// Identity, and Dropout in inference mode.
    Identity,
    Where,
    Expand,
    Tile,
    /// Gathers, scatters, searches and other indexing ops (see `index_op`).
    Index(IndexOp),
    /// Attention, normalizations and other neural-network ops (see `op_nn`).
    Nn(super::op_nn::NnOp),
    /// Quantization ops (see `op_quant`).
    Quant(super::op_quant::QuantOp),
    /// NonMaxSuppression, Unique, RoiAlign, DeformConv, AffineGrid, TfIdfVectorizer (see `op_vision`).
    Vision(super::op_vision::VisionOp),
    /// Einsum, DFT, STFT, windows and other signal ops (see `signal_op`).
    Signal(super::signal_op::SignalOp),
    /// Channels-last ops made by the layout pass (see `op_layout`).
    Layout(super::op_layout::LayoutOp),
}

impl Op {
    /// A short name for dumps and errors (the ONNX name where there is one).
    pub fn name(&self) -> String {
        match self {
            Op::Input => "Input".into(),
            Op::Constant(_) => "Constant".into(),
            Op::Conv(_) => "Conv".into(),
            Op::ConvTranspose(_) => "ConvTranspose".into(),
            Op::Gemm(_) => "Gemm".into(),
            Op::MatMul(_) => "MatMul".into(),
            Op::Unary(a) => activation_name(*a).into(),
            Op::Binary(b) => format!("{b:?}").trim_start_matches("BinaryOp::").into(),
            Op::Compare(c) => format!("{c:?}").trim_start_matches("CompareOp::").into(),
            Op::Logic(l) => format!("{l:?}").trim_start_matches("LogicOp::").into(),
            Op::Not => "Not".into(),
            Op::Clip { .. } => "Clip".into(),
            Op::Softmax { log: false, .. } => "Softmax".into(),
            Op::Softmax { log: true, .. } => "LogSoftmax".into(),
            Op::Pool(p) => match p.kind {
                PoolKind::Max => "MaxPool".into(),
                PoolKind::Average => "AveragePool".into(),
            },
            Op::GlobalPool(PoolKind::Max) => "GlobalMaxPool".into(),
            Op::GlobalPool(PoolKind::Average) => "GlobalAveragePool".into(),
            Op::BatchNorm { .. } => "BatchNormalization".into(),
            Op::LayerNorm { .. } => "LayerNormalization".into(),
            Op::InstanceNorm { .. } => "InstanceNormalization".into(),
            Op::Reshape { .. } => "Reshape".into(),
            Op::Flatten { .. } => "Flatten".into(),
            Op::Transpose { .. } => "Transpose".into(),
            Op::Concat { .. } => "Concat".into(),
            Op::Split(_) => "Split".into(),
            Op::Slice(_) => "Slice".into(),
            Op::Squeeze { .. } => "Squeeze".into(),
            Op::Unsqueeze { .. } => "Unsqueeze".into(),
            Op::Gather { .. } => "Gather".into(),
            Op::Pad(_) => "Pad".into(),
            Op::Resize(_) => "Resize".into(),
            Op::Reduce(r) => format!("Reduce{}", format!("{:?}", r.op).trim_start_matches("ReduceOp::")),
            Op::Cast { .. } => "Cast".into(),
            Op::CastLike => "CastLike".into(),
            Op::BitCast { .. } => "BitCast".into(),
            Op::Variadic { mean: true, .. } => "Mean".into(),
            Op::Variadic { op: BinaryOp::Max, .. } => "Max".into(),
            Op::Variadic { op: BinaryOp::Min, .. } => "Min".into(),
            Op::Variadic { .. } => "Sum".into(),
            Op::Classify(c) => if c.nan { "IsNaN" } else { "IsInf" }.into(),
            Op::ConstantOfShape { .. } => "ConstantOfShape".into(),
            Op::Shape { .. } => "Shape".into(),
            Op::Identity => "Identity".into(),
            Op::Where => "Where".into(),
            Op::Expand => "Expand".into(),
            Op::Tile => "Tile".into(),
            Op::Index(i) => i.name().into(),
            Op::Nn(n) => n.name().into(),
            Op::Quant(q) => q.name().into(),
            Op::Vision(v) => v.name().into(),
            Op::Signal(s) => s.name().into(),
            Op::Layout(l) => l.name().into(),
        }
    }

    /// The activation fused into this op, if it can carry one.
    pub fn fused_activation_mut(&mut self) -> Option<&mut Activation> {
        match self {
            Op::Conv(c) => Some(&mut c.activation),
            Op::ConvTranspose(c) => Some(&mut c.activation),
            Op::Gemm(g) => Some(&mut g.activation),
            Op::MatMul(m) => Some(&mut m.activation),
            Op::Layout(l) => l.fused_activation_mut(),
            _ => None,
        }
    }

    /// True for ops whose outputs follow from their inputs' shapes alone (Shape, Size, …), or
    /// not from every input's value (CastLike reads only its first input's): they are
    /// evaluated at compile time even when some input values are unknown.
    pub fn shape_only(&self) -> bool {
        match self {
            Op::Shape { .. } | Op::CastLike => true,
            Op::Index(i) => i.shape_only(),
            Op::Signal(s) => s.shape_only(),
            _ => false,
        }
    }

    /// True for ops whose output is the input's bytes under another shape (no code at run time).
    pub fn is_view(&self) -> bool {
        matches!(
            self,
            Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } | Op::Identity
        )
    }
}

/// The ONNX name of a unary function.
pub fn activation_name(a: Activation) -> &'static str {
    match a {
        Activation::None => "Identity",
        Activation::Relu => "Relu",
        Activation::LeakyRelu { .. } => "LeakyRelu",
        Activation::Elu { .. } => "Elu",
        Activation::Clip { .. } => "Clip",
        Activation::Sigmoid => "Sigmoid",
        Activation::HardSigmoid { .. } => "HardSigmoid",
        Activation::HardSwish => "HardSwish",
        Activation::Tanh => "Tanh",
        Activation::Gelu => "Gelu",
        Activation::GeluTanh => "Gelu(tanh)",
        Activation::Erf => "Erf",
        Activation::Sqrt => "Sqrt",
        Activation::Reciprocal => "Reciprocal",
        Activation::Exp => "Exp",
        Activation::Log => "Log",
        Activation::Neg => "Neg",
        Activation::Abs => "Abs",
        Activation::Sin => "Sin",
        Activation::Cos => "Cos",
        Activation::Tan => "Tan",
        Activation::Asin => "Asin",
        Activation::Acos => "Acos",
        Activation::Atan => "Atan",
        Activation::Sinh => "Sinh",
        Activation::Cosh => "Cosh",
        Activation::Asinh => "Asinh",
        Activation::Acosh => "Acosh",
        Activation::Atanh => "Atanh",
        Activation::Floor => "Floor",
        Activation::Ceil => "Ceil",
        Activation::Round => "Round",
        Activation::Sign => "Sign",
        Activation::Softplus => "Softplus",
        Activation::Softsign => "Softsign",
        Activation::Mish => "Mish",
        Activation::Selu { .. } => "Selu",
        Activation::Celu { .. } => "Celu",
        Activation::ThresholdedRelu { .. } => "ThresholdedRelu",
        Activation::Shrink { .. } => "Shrink",
        Activation::Swish { .. } => "Swish",
        Activation::BitNot => "BitwiseNot",
    }
}
