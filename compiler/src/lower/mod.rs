//! Lowering: which kernel runs a node, and with which constant parameters.
//!
//! This is the one place that knows how a typed op maps onto the kernels of
//! `codegen-templates`. The evaluator runs the resulting [`Kernel`] directly; codegen prints
//! the same parameters as `const` items, so both execute exactly the same computation.

mod index;
pub mod nn;
pub mod quant;
pub mod vision;
pub mod signal;
mod params;
mod stateful;

pub use index::IndexKernel;

pub use params::*;

use crate::error::{Error, Result};
use crate::ir::infer::{self, Inputs};
use crate::ir::op::{Activation, Op, PoolKind};
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Tensor, ValueInfo};
use onnxc_templates::generic as k;

/// A kernel invocation with its parameters. Node inputs are passed in slot order (absent
/// optional inputs skipped unless noted), outputs in slot order.
#[derive(Clone, Debug, PartialEq)]
pub enum Kernel {
    /// No code: the output is the input's bytes under another shape.
    View,
    /// Output = input, element by element (a model output that is another value).
    Copy,
    /// x, w, optional bias.
    Conv2d(k::conv::ConvParams),
    /// x `[N, H, W, C]`, packed w, then bias and residual when their flags say they are
    /// present (the layout pass's channels-last Conv).
    ConvNhwc { params: k::conv_nhwc::ConvNhwcParams, bias: bool, residual: bool },
    /// x `[N, H, W, C]`, `U`, then bias and residual when their flags say they are present;
    /// output 1 is the scratch.
    Winograd { params: k::winograd::WinogradParams, bias: bool, residual: bool },
    /// `present[slot]` for the op's eight input slots; output 1 is the band buffer.
    DepthwiseBlock { params: k::depthwise_block::DepthwiseBlockParams, present: [bool; 8] },
    /// Channels-last MaxPool / AveragePool.
    PoolNhwc(PoolKind, k::pool::PoolParams),
    /// Channels-last GlobalMaxPool / GlobalAveragePool.
    GlobalPoolNhwc(PoolKind, k::pool_nhwc::GlobalPoolNhwcParams),
    /// x, w, optional bias.
    ConvTranspose2d(k::conv_transpose::ConvTransposeParams),
    /// a, b, optional c.
    Gemm(k::gemm::GemmParams),
    /// a, b.
    MatMul(k::gemm::MatMulParams),
    Unary(Activation),
    Binary(k::elementwise::BinaryOp, k::elementwise::BroadcastParams),
    /// Max/Min/Sum/Mean of all inputs: one broadcast step per input (into the output).
    Variadic { op: k::elementwise::BinaryOp, mean: bool, parts: Vec<k::elementwise::BroadcastParams> },
    /// Same bits, another type of the same width.
    BitCast,
    /// IsNaN / IsInf.
    Classify(k::half::FloatClass),
    /// Pow whose exponent's type differs from the base's.
    PowMixed(k::elementwise::BroadcastParams),
    Compare(k::elementwise::CompareOp, k::elementwise::BroadcastParams),
    Logic(k::elementwise::LogicOp, k::elementwise::BroadcastParams),
    Not,
    /// cond, a, b.
    Where(k::elementwise::WhereParams),
    Softmax(k::softmax::SoftmaxParams),
    MaxPool(k::pool::PoolParams),
    AvgPool(k::pool::PoolParams),
    GlobalAvgPool(k::pool::GlobalPoolParams),
    GlobalMaxPool(k::pool::GlobalPoolParams),
    /// x, scale, bias, mean, var.
    BatchNorm(k::norm::BatchNormParams),
    /// x, scale, optional bias.
    LayerNorm(k::norm::LayerNormParams),
    /// x, scale, bias.
    InstanceNorm(k::norm::InstanceNormParams),
    Transpose(k::movement::TransposeParams),
    /// One block copy per input, into the single output.
    Concat(Vec<k::movement::CopyBlockParams>),
    /// One block copy per output, from the single input.
    Split(Vec<k::movement::CopyBlockParams>),
    Slice(k::movement::SliceParams),
    /// x, indices (i64 or i32).
    Gather(k::movement::GatherParams),
    /// x; the pad value is a constant of the element type.
    Pad(k::movement::PadParams, Tensor),
    /// No inputs read: every output element is the scalar (a ConstantOfShape too large to fold).
    Fill(Tensor),
    Resize(k::resize::ResizeParams),
    Reduce(k::reduce::ReduceOp, k::reduce::ReduceParams),
    Cast { from: DType, to: DType },
    Expand(k::movement::ExpandParams),
    Tile(k::movement::TileParams),
    /// Gathers, scatters, searches and scans (see `index`).
    Index(IndexKernel),
    /// The nn ops (attention, normalizations, …): see `nn`.
    Nn(nn::NnKernel),
    /// Quantization kernels and run-time-operand variants (see `quant`).
    Quant(quant::QuantKernel),
    /// RoiAlign, DeformConv, AffineGrid, TfIdfVectorizer: see `vision`.
    Vision(vision::VisionKernel),
    Signal(signal::SignalKernel),
}

/// A lowered node: the kernel and the element type it runs on.
#[derive(Clone, Debug, PartialEq)]
pub struct Lowered {
    pub kernel: Kernel,
    /// Element type of the first input (the data type generic kernels are instantiated with).
    pub dtype: DType,
}

/// Chooses the kernel for `op` given its inputs' infos, known input values and outputs.
pub fn lower(op: &Op, inputs: &[Option<&ValueInfo>], values: &[Option<&Tensor>], outputs: &[ValueInfo]) -> Result<Lowered> {
    let ins = Inputs { infos: inputs, values };
    let info = |i: usize| -> Result<&ValueInfo> {
        inputs.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    let out = outputs.first().ok_or_else(|| Error::internal("node without outputs"))?;
    let dtype = info(0).map(|i| i.dtype).unwrap_or(out.dtype);
    let kernel = match op {
        Op::ConstantOfShape { value } => Kernel::Fill(value.clone()),
        Op::Input | Op::Constant(_) | Op::Shape { .. } => {
            return Err(Error::internal(format!("{} is folded before code generation", op.name())))
        }
        Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. } | Op::Identity => Kernel::View,
        Op::Conv(c) if dtype != DType::F32 || info(0)?.shape.len() > 4 => Kernel::Nn(nn::conv_nd(c, &ins, out)?),
        Op::Conv(c) => Kernel::Conv2d(conv_params(c, &info(0)?.shape, &info(1)?.shape, &out.shape)?),
        Op::ConvTranspose(c) if info(0)?.shape.len() > 4 => Kernel::Quant(quant::conv_transpose_nd(c, &ins, &out.shape)?),
        Op::ConvTranspose(c) => Kernel::ConvTranspose2d(conv_transpose_params(c, &info(0)?.shape, &info(1)?.shape, &out.shape)?),
        Op::Gemm(g) => {
            let c = inputs.get(2).copied().flatten().map(|c| c.shape.as_slice());
            Kernel::Gemm(gemm_params(g, &info(0)?.shape, &info(1)?.shape, c, &out.shape)?)
        }
        Op::MatMul(m) => Kernel::MatMul(matmul_params(m.activation, &info(0)?.shape, &info(1)?.shape)?),
        Op::Unary(a) => Kernel::Unary(*a),
        Op::Clip { min, max } => {
            let bound = |slot: usize, attr: Option<f32>, default: f32| -> Option<f32> {
                if attr.is_some() {
                    return attr;
                }
                match inputs.get(slot).copied().flatten() {
                    None => Some(default),
                    Some(_) => values.get(slot).copied().flatten().and_then(Tensor::scalar_f32),
                }
            };
            match (bound(1, *min, f32::MIN), bound(2, *max, f32::MAX)) {
                (Some(min), Some(max)) if dtype == DType::F32 => Kernel::Unary(Activation::Clip { min, max }),
                _ => Kernel::Quant(quant::clip(*min, *max, dtype, &ins)?),
            }
        }
        Op::Binary(k::elementwise::BinaryOp::Pow) if info(1)?.dtype != dtype => {
            Kernel::PowMixed(broadcast_params(&info(0)?.shape, &info(1)?.shape, &out.shape)?)
        }
        Op::Binary(b) => Kernel::Binary(*b, broadcast_params(&info(0)?.shape, &info(1)?.shape, &out.shape)?),
        Op::Compare(c) => Kernel::Compare(*c, broadcast_params(&info(0)?.shape, &info(1)?.shape, &out.shape)?),
        Op::Logic(l) => Kernel::Logic(*l, broadcast_params(&info(0)?.shape, &info(1)?.shape, &out.shape)?),
        Op::Not => Kernel::Not,
        Op::Where => Kernel::Where(where_params(&info(0)?.shape, &info(1)?.shape, &info(2)?.shape, &out.shape)?),
        Op::Softmax { axis, log, legacy } => Kernel::Softmax(softmax_params(&out.shape, *axis, *log, *legacy)?),
        Op::Pool(p) => {
            let params = pool_params(p, &info(0)?.shape, &out.shape)?;
            match p.kind {
                PoolKind::Max if dtype != DType::F32 => Kernel::Quant(quant::QuantKernel { kind: quant::QuantKernelKind::MaxPool(params), slots: vec![true] }),
                PoolKind::Max => Kernel::MaxPool(params),
                PoolKind::Average => Kernel::AvgPool(params),
            }
        }
        Op::GlobalPool(kind) => {
            let x = &info(0)?.shape;
            let p = k::pool::GlobalPoolParams { batch_channels: x[0] * x[1], spatial: x[2..].iter().product() };
            match kind {
                PoolKind::Max => Kernel::GlobalMaxPool(p),
                PoolKind::Average => Kernel::GlobalAvgPool(p),
            }
        }
        Op::BatchNorm { epsilon } => {
            let x = &info(0)?.shape;
            Kernel::BatchNorm(k::norm::BatchNormParams {
                batch: x[0],
                channels: x[1],
                spatial: x[2..].iter().product(),
                epsilon: *epsilon,
            })
        }
        Op::LayerNorm { axis, epsilon } => {
            let x = &info(0)?.shape;
            let a = infer::normalize_axis(*axis, x.len())?;
            for slot in [1, 2] {
                if let Some(p) = inputs.get(slot).copied().flatten() {
                    if p.elements() != x[a..].iter().product::<usize>() {
                        return Err(Error::unsupported(format!(
                            "LayerNormalization parameter of shape {:?} must cover the whole normalized block {:?}",
                            p.shape,
                            &x[a..]
                        )));
                    }
                }
            }
            Kernel::LayerNorm(k::norm::LayerNormParams {
                outer: x[..a].iter().product(),
                inner: x[a..].iter().product(),
                epsilon: *epsilon,
            })
        }
        Op::InstanceNorm { epsilon } => {
            let x = &info(0)?.shape;
            Kernel::InstanceNorm(k::norm::InstanceNormParams {
                batch: x[0],
                channels: x[1],
                spatial: x[2..].iter().product(),
                epsilon: *epsilon,
            })
        }
        Op::Transpose { perm } => {
            let x = &info(0)?.shape;
            let perm = infer::resolve_perm(perm.as_deref(), x.len())?;
            Kernel::Transpose(transpose_params(x, &perm)?)
        }
        Op::Concat { axis } => {
            let a = infer::normalize_axis(*axis, out.shape.len())?;
            let shapes: Vec<&[usize]> = inputs.iter().flatten().map(|i| i.shape.as_slice()).collect();
            Kernel::Concat(concat_params(&shapes, &out.shape, a))
        }
        Op::Split(s) => {
            let x = &info(0)?.shape;
            let a = infer::normalize_axis(s.axis, x.len())?;
            let shapes: Vec<&[usize]> = outputs.iter().map(|o| o.shape.as_slice()).collect();
            Kernel::Split(split_params(x, &shapes, a))
        }
        Op::Slice(s) => {
            let x = &info(0)?.shape;
            let plan = infer::slice_plan(x, s, &ins)?;
            Kernel::Slice(slice_params(x, &plan)?)
        }
        Op::Gather { axis } => {
            let x = &info(0)?.shape;
            let a = infer::normalize_axis(*axis, x.len())?;
            Kernel::Gather(k::movement::GatherParams {
                outer: x[..a].iter().product(),
                axis_len: x[a],
                inner: x[a + 1..].iter().product(),
                indices_len: info(1)?.elements(),
            })
        }
        Op::Pad(p) => {
            let x = &info(0)?.shape;
            let (begin, _) = infer::pad_amounts(x, p, &ins)?;
            let value = match values.get(2).copied().flatten() {
                Some(v) if inputs.get(2).copied().flatten().is_some() => v.clone(),
                None if inputs.get(2).copied().flatten().is_some() => {
                    let params = pad_params(x, &out.shape, &begin, p.mode)?;
                    return Ok(Lowered { kernel: Kernel::Quant(quant::pad_value(params, dtype, &ins)?), dtype });
                }
                _ => crate::eval::scalar_of(dtype, f64::from(p.value)),
            };
            Kernel::Pad(pad_params(x, &out.shape, &begin, p.mode)?, value)
        }
        Op::Resize(r) => {
            let x = &info(0)?.shape;
            let (scales, _) = infer::resize_scales(x, r, &ins)?;
            if r.mode == k::resize::ResizeMode::Cubic || r.antialias || r.coordinate_mode == k::resize::CoordinateMode::TfCropAndResize {
                Kernel::Nn(nn::resize_taps(r, x, &out.shape, &scales, &ins)?)
            } else {
                Kernel::Resize(resize_params(r, x, &out.shape, &scales)?)
            }
        }
        Op::Reduce(r) => {
            let x = &info(0)?.shape;
            let axes = infer::reduce_axes(x.len(), r, &ins)?;
            Kernel::Reduce(r.op, reduce_params(x, &axes)?)
        }
        Op::Cast { to } => Kernel::Cast { from: dtype, to: *to },
        Op::CastLike => Kernel::Cast { from: dtype, to: out.dtype },
        Op::BitCast { .. } => Kernel::BitCast,
        Op::Classify(c) => Kernel::Classify(*c),
        Op::Variadic { op, mean } => {
            let parts = inputs.iter().flatten().map(|i| broadcast_params(&out.shape, &i.shape, &out.shape)).collect::<Result<_>>()?;
            Kernel::Variadic { op: *op, mean: *mean, parts }
        }
        Op::Expand => Kernel::Expand(expand_params(&info(0)?.shape, &out.shape)?),
        Op::Tile => Kernel::Tile(tile_params(&info(0)?.shape, &out.shape)?),
        Op::Index(crate::ir::index_op::IndexOp::Range) if matches!(dtype, DType::F16 | DType::BF16) => {
            Kernel::Quant(quant::QuantKernel { kind: quant::QuantKernelKind::RangeHalf(dtype == DType::BF16), slots: vec![true; 3] })
        }
        Op::Index(i) => index::lower(i, &ins, outputs)?,
        Op::Nn(n) => Kernel::Nn(nn::lower(n, &ins, outputs)?),
        Op::Quant(q) => Kernel::Quant(quant::lower(q, &ins, outputs)?),
        Op::Vision(v) => Kernel::Vision(vision::lower(v, &ins, outputs)?),
        Op::Signal(s) => Kernel::Signal(signal::lower(s, &ins, outputs)?),
        Op::Layout(LayoutOp::Conv(p) | LayoutOp::Dense(p)) => {
            let present = |slot: usize| inputs.get(slot).copied().flatten().is_some();
            Kernel::ConvNhwc { params: *p, bias: present(2), residual: present(3) }
        }
        Op::Layout(LayoutOp::Winograd(p)) => {
            let present = |slot: usize| inputs.get(slot).copied().flatten().is_some();
            Kernel::Winograd { params: *p, bias: present(2), residual: present(3) }
        }
        Op::Layout(LayoutOp::DepthwiseBlock(p)) => {
            let present = std::array::from_fn(|slot| inputs.get(slot).copied().flatten().is_some());
            Kernel::DepthwiseBlock { params: **p, present }
        }
        Op::Layout(LayoutOp::Pool(kind, p)) => Kernel::PoolNhwc(*kind, *p),
        Op::Layout(LayoutOp::GlobalPool(kind, p)) => Kernel::GlobalPoolNhwc(*kind, *p),
    };
    Ok(Lowered { kernel, dtype })
}
