//! Lowering of the neural-network ops behind `Op::Nn` to their kernels.

use crate::error::{Error, Result};
use crate::ir::infer::nn::attention_dims;
use crate::ir::infer::Inputs;
use crate::ir::op_nn::NnOp;
use crate::ir::{DType, ValueInfo};
use onnxc_templates::generic as k;
use onnxc_templates::generic::real::FloatKind;

/// A lowered nn op. `slots[i]` says whether node input `i` is present (the evaluator and
/// codegen receive only the present ones, in slot order).
#[derive(Clone, Debug, PartialEq)]
pub struct NnKernel {
    pub kind: NnKernelKind,
    pub slots: Vec<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum NnKernelKind {
    /// Q, K, V, mask?, past_key?, past_value?, nonpad?; Y, present_key?, present_value?, qk?.
    Attention(k::attention::AttentionParams),
    /// x, scale.
    RmsNorm(k::normalize::RmsNormParams),
    /// x.
    LpNorm(k::normalize::LpNormParams),
    /// x; y, indices?.
    Pool(k::pool_nd::PoolNdParams),
    /// x (other Resize inputs are compile-time constants).
    ResizeTaps(k::resize_taps::ResizeTapsParams),
    /// X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?; Y, Y_h?, Y_c?.
    Rnn(k::rnn::RnnParams),
    /// a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero.
    QLinearMatMul(k::quant::QMatMulParams),
    /// A, B, a_zero?, b_zero?; `b` is B's element type.
    MatMulInteger(k::quant::QMatMulParams, DType),
    /// x; y, scale, zero point.
    DynamicQuantizeLinear,
    /// x, scale, bias.
    GroupNorm(k::normalize::GroupNormParams),
    /// x.
    MeanVarianceNorm(k::normalize::MvnParams),
    /// x.
    Lrn(k::normalize::LrnParams),
    /// input only (the shapes are constants).
    Col2Im(k::pool_nd::Col2ImParams),
    /// x, indices.
    MaxUnpool(k::pool_nd::MaxUnpoolParams),
    /// x, grid.
    GridSample(k::sample::GridSampleParams),
    /// x, cos, sin, position_ids?.
    Rotary(k::attention::RotaryParams),
    /// x, w, bias?: Conv of any rank and float type.
    ConvNd(k::conv_nd::ConvNdParams),
    /// query, key, value, past_state?, decay?, beta?; output, present_state.
    LinearAttention(k::linear_attention::LinearAttentionParams),
    /// input, weight, bias?, past_state?; output, present_state.
    CausalConv(k::linear_attention::CausalConvParams),
    /// a, b.
    SwiGlu(k::linear_attention::SwiGluParams),
}

/// The float kind of a dtype, for the [`k::real::Real`] kernels.
pub fn float_kind(d: DType) -> Result<FloatKind> {
    Ok(match d {
        DType::F32 => FloatKind::F32,
        DType::F64 => FloatKind::F64,
        DType::F16 => FloatKind::F16,
        DType::BF16 => FloatKind::BF16,
        DType::Bool => FloatKind::Bool,
        other => return Err(Error::unsupported(format!("{other} data: this op supports float types"))),
    })
}

/// Right-aligned broadcast strides of `shape` against a target of rank `rank` (0 on size-1
/// axes), treating the last axis as always strided.
fn mask_strides(shape: &[usize], rank: usize) -> Vec<usize> {
    let dense = super::dense_strides(shape);
    let off = rank - shape.len();
    (0..rank)
        .map(|i| {
            if i < off || (shape[i - off] == 1 && i + 1 != rank) {
                0
            } else {
                dense[i - off]
            }
        })
        .collect()
}

/// Chooses the kernel of an nn op.
/// Conv on `x` (`[N, C, spatial..]`) with weight `w` into `y`, for the shapes and types
/// `conv2d` does not cover (3-D and wider, or f64/f16/bf16 data).
pub fn conv_nd(c: &crate::ir::op::Conv, ins: &Inputs, y: &ValueInfo) -> Result<NnKernel> {
    use k::conv_nd::MAX_SPATIAL;
    let slots: Vec<bool> = ins.infos.iter().map(Option::is_some).collect();
    let x = ins.infos.first().copied().flatten().ok_or_else(|| Error::invalid("input 0 is required"))?;
    let w = ins.infos.get(1).copied().flatten().ok_or_else(|| Error::invalid("input 1 is required"))?;
    let (xs, ws) = (&x.shape, &w.shape);
    let n = xs.len().saturating_sub(2);
    if n == 0 || n > MAX_SPATIAL || ws.len() != xs.len() || y.shape.len() != xs.len() {
        return Err(Error::unsupported(format!("Conv on input {xs:?} with weight {ws:?}: 1-D to {MAX_SPATIAL}-D only")));
    }
    let g = crate::ir::infer::window_geometry(&c.window, &xs[2..], &ws[2..], false)?;
    let fill = |v: &[usize], pad: usize| -> [usize; MAX_SPATIAL] {
        let mut a = [pad; MAX_SPATIAL];
        a[MAX_SPATIAL - v.len()..].copy_from_slice(v);
        a
    };
    Ok(NnKernel {
        kind: NnKernelKind::ConvNd(k::conv_nd::ConvNdParams {
            batch: xs[0],
            in_channels: xs[1],
            out_channels: y.shape[1],
            group: c.group,
            in_shape: fill(&xs[2..], 1),
            out_shape: fill(&y.shape[2..], 1),
            kernel: fill(&g.kernel, 1),
            strides: fill(&g.strides, 1),
            dilations: fill(&g.dilations, 1),
            pads: fill(&g.pads_begin, 0),
            act: c.activation,
            elem: float_kind(x.dtype)?,
        }),
        slots,
    })
}

pub fn lower(op: &NnOp, ins: &Inputs, outputs: &[ValueInfo]) -> Result<NnKernel> {
    let slots: Vec<bool> = ins.infos.iter().map(Option::is_some).collect();
    let info = |i: usize| -> Result<&ValueInfo> {
        ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    let kind = match op {
        NnOp::LinearAttention(_) | NnOp::CausalConv { .. } | NnOp::SwiGlu { .. } => super::stateful::lower(op, ins)?,
        NnOp::Attention(a) => {
            let g = attention_dims(a, ins)?;
            let (hq, hk, ql, kl, d, dv) = (g.q_heads, g.kv_heads, g.q_len, g.kv_len, g.head_size, g.v_head_size);
            let strides = |heads: usize, len: usize, w: usize| -> [usize; 3] {
                if g.rank3 {
                    [len * heads * w, w, heads * w]
                } else {
                    [heads * len * w, len * w, w]
                }
            };
            let (mask_strides, mask_len, mask_kind) = match &g.mask {
                Some(shape) => {
                    let s = mask_strides(shape, 4);
                    let kind = float_kind(info(3)?.dtype)?;
                    ([s[0], s[1], s[2], s[3]], *shape.last().unwrap_or(&0), kind)
                }
                None => ([0; 4], 0, FloatKind::Bool),
            };
            let scale = a.scale.unwrap_or_else(|| 1.0 / (d as f32).sqrt());
            if !scale.is_finite() || !a.softcap.is_finite() {
                return Err(Error::invalid("scale and softcap must be finite"));
            }
            NnKernelKind::Attention(k::attention::AttentionParams {
                batch: g.batch,
                q_heads: hq,
                kv_heads: hk,
                q_len: ql,
                kv_len: kl,
                past_len: g.past_len,
                head_size: d,
                v_head_size: dv,
                q_strides: strides(hq, ql, d),
                k_strides: strides(hk, kl, d),
                v_strides: strides(hk, kl, dv),
                y_strides: strides(hq, ql, dv),
                scale,
                softcap: a.softcap,
                causal: a.causal,
                left_window: a.left_window,
                right_window: a.right_window,
                mask_strides,
                mask_len,
                qk_mode: a.qk_mode,
                elem: float_kind(info(0)?.dtype)?,
                mask_kind,
            })
        }
        NnOp::RmsNorm { axis, epsilon } => {
            let x = &info(0)?.shape;
            let a = crate::ir::infer::normalize_axis(*axis, x.len())?;
            NnKernelKind::RmsNorm(k::normalize::RmsNormParams {
                outer: x[..a].iter().product(),
                inner: x[a..].iter().product(),
                epsilon: *epsilon,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        NnOp::LpNorm { axis, p } => {
            let x = &info(0)?.shape;
            let a = crate::ir::infer::normalize_axis(*axis, x.len())?;
            NnKernelKind::LpNorm(k::normalize::LpNormParams {
                outer: x[..a].iter().product(),
                axis_len: x[a],
                inner: x[a + 1..].iter().product(),
                p: *p,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        NnOp::Pool(p) => {
            let x = &info(0)?.shape;
            let g = crate::ir::infer::window_geometry(&p.window, &x[2..], &p.window.kernel, p.ceil_mode)?;
            let three = |v: &[usize], fill: usize| -> [usize; 3] {
                let mut out = [fill; 3];
                let off = 3 - v.len().min(3);
                for (o, &x) in out.iter_mut().skip(off).zip(v) {
                    *o = x;
                }
                out
            };
            NnKernelKind::Pool(k::pool_nd::PoolNdParams {
                op: p.op,
                planes: x[0] * x[1],
                input: three(&x[2..], 1),
                output: three(&g.output, 1),
                kernel: three(&g.kernel, 1),
                strides: three(&g.strides, 1),
                dilations: three(&g.dilations, 1),
                pads_begin: three(&g.pads_begin, 0),
                pads_end: three(&g.pads_end, 0),
                count_include_pad: p.count_include_pad,
                column_major: p.column_major,
            })
        }
        NnOp::Recurrent(r) => {
            let (seq, batch, input) = crate::ir::infer::nn::recurrent_dims(r, ins)?;
            NnKernelKind::Rnn(k::rnn::RnnParams {
                cell: r.cell,
                seq,
                batch,
                input,
                hidden: r.hidden,
                directions: r.directions,
                reverse: r.reverse,
                batch_major: r.batch_major,
                clip: r.clip,
                linear_before_reset: r.linear_before_reset,
                acts: r.acts,
            })
        }
        NnOp::QLinearMatMul | NnOp::MatMulInteger => {
            let (batch, m, n, kk, a_stride, b_stride) = crate::ir::infer::nn::qmatmul_dims(op, ins)?;
            let qlinear = matches!(op, NnOp::QLinearMatMul);
            let scale_kind = if qlinear { float_kind(info(1)?.dtype)? } else { FloatKind::F32 };
            let p = k::quant::QMatMulParams { batch, m, n, k: kk, a_stride, b_stride, scale_kind };
            if qlinear {
                NnKernelKind::QLinearMatMul(p)
            } else {
                NnKernelKind::MatMulInteger(p, info(1)?.dtype)
            }
        }
        NnOp::DynamicQuantizeLinear => NnKernelKind::DynamicQuantizeLinear,
        NnOp::GroupNorm { groups, epsilon } => {
            let x = &info(0)?.shape;
            NnKernelKind::GroupNorm(k::normalize::GroupNormParams {
                batch: x[0],
                channels: x[1],
                spatial: x[2..].iter().product(),
                groups: *groups,
                epsilon: *epsilon,
                per_group: info(1)?.elements() != x[1],
            })
        }
        NnOp::MeanVarianceNorm { axes } => {
            let x = &info(0)?.shape;
            let mut reduced = [false; 8];
            for &a in axes {
                reduced[crate::ir::infer::normalize_axis(a, x.len())?] = true;
            }
            let mut shape = [1usize; 8];
            shape[..x.len()].copy_from_slice(x);
            NnKernelKind::MeanVarianceNorm(k::normalize::MvnParams { rank: x.len(), shape, reduced })
        }
        NnOp::Lrn { size, alpha, beta, bias } => {
            let x = &info(0)?.shape;
            NnKernelKind::Lrn(k::normalize::LrnParams {
                batch: x[0],
                channels: x[1],
                spatial: x[2..].iter().product(),
                size: *size,
                alpha: *alpha,
                beta: *beta,
                bias: *bias,
            })
        }
        NnOp::Col2Im { .. } => {
            let (batch, channels, image, block, blocks, strides, dilations, pads) = crate::ir::infer::nn::col2im_dims(op, ins)?;
            let three = |v: &[usize], fill: usize| -> [usize; 3] {
                let mut out = [fill; 3];
                out[3 - v.len()..].copy_from_slice(v);
                out
            };
            let kind = NnKernelKind::Col2Im(k::pool_nd::Col2ImParams {
                batch,
                channels,
                image: three(&image, 1),
                block: three(&block, 1),
                blocks: three(&blocks, 1),
                strides: three(&strides, 1),
                dilations: three(&dilations, 1),
                pads_begin: three(&pads, 0),
            });
            let mut only_x = vec![false; slots.len()];
            only_x[0] = true;
            return Ok(NnKernel { kind, slots: only_x });
        }
        NnOp::MaxUnpool { .. } => {
            let from = crate::ir::infer::nn::unpool_default_shape(op, ins)?;
            let to = outputs.first().map(|o| o.shape.clone()).ok_or_else(|| Error::internal("MaxUnpool without output"))?;
            let three = |v: &[usize]| -> [usize; 3] {
                let mut out = [1usize; 3];
                out[3 - v.len().min(3)..].copy_from_slice(&v[v.len().saturating_sub(3)..]);
                out
            };
            let p = k::pool_nd::MaxUnpoolParams { from: three(&from[2..]), to: three(&to[2..]) };
            let mut xi = vec![false; slots.len()];
            xi[0] = true;
            xi[1] = true;
            return Ok(NnKernel { kind: NnKernelKind::MaxUnpool(p), slots: xi });
        }
        NnOp::GridSample { mode, padding, align_corners } => {
            let (x, g) = (&info(0)?.shape, &info(1)?.shape);
            let s = x.len() - 2;
            let three = |v: &[usize]| -> [usize; 3] {
                let mut out = [1usize; 3];
                out[3 - v.len()..].copy_from_slice(v);
                out
            };
            NnKernelKind::GridSample(k::sample::GridSampleParams {
                batch: x[0],
                channels: x[1],
                rank: s,
                input: three(&x[2..]),
                output: three(&g[1..=s]),
                mode: *mode,
                padding: *padding,
                align_corners: *align_corners,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        NnOp::Rotary { interleaved, .. } => {
            let (batch, seq, heads, head_size, rotary_dim, strides, cache_rows) = crate::ir::infer::nn::rotary_dims(op, ins)?;
            NnKernelKind::Rotary(k::attention::RotaryParams {
                batch,
                seq,
                heads,
                head_size,
                rotary_dim,
                strides,
                interleaved: *interleaved,
                cache_rows,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
    };
    Ok(NnKernel { kind, slots })
}

/// Resize by filter taps (cubic, antialias, tf_crop_and_resize): only X is passed.
pub fn resize_taps(r: &crate::ir::op::Resize, x: &[usize], y: &[usize], scales: &[f32], ins: &Inputs) -> Result<NnKernel> {
    let rank = x.len();
    if rank > 8 {
        return Err(Error::unsupported(format!("Resize of rank {rank}; the limit is 8")));
    }
    let mut roi_start = [0.0f32; 8];
    let mut roi_end = [1.0f32; 8];
    if r.coordinate_mode == k::resize::CoordinateMode::TfCropAndResize {
        let roi = ins
            .values
            .get(1)
            .copied()
            .flatten()
            .and_then(crate::ir::Tensor::to_f32_vec)
            .ok_or_else(|| Error::unsupported("tf_crop_and_resize needs roi as a compile-time constant"))?;
        let axes: Vec<usize> = match &r.axes {
            Some(a) => a.iter().map(|&a| crate::ir::infer::normalize_axis(a, rank)).collect::<Result<_>>()?,
            None => (0..rank).collect(),
        };
        if roi.len() != 2 * axes.len() {
            return Err(Error::invalid(format!("roi has {} values for {} axes", roi.len(), axes.len())));
        }
        for (i, &a) in axes.iter().enumerate() {
            roi_start[a] = roi[i];
            roi_end[a] = roi[i + axes.len()];
        }
    }
    let fill = |v: &[usize]| {
        let mut out = [1usize; 8];
        out[..v.len()].copy_from_slice(v);
        out
    };
    let mut sc = [1.0f32; 8];
    sc[..scales.len()].copy_from_slice(scales);
    let kind = NnKernelKind::ResizeTaps(k::resize_taps::ResizeTapsParams {
        rank,
        in_shape: fill(x),
        out_shape: fill(y),
        scales: sc,
        roi_start,
        roi_end,
        mode: r.mode,
        coord: r.coordinate_mode,
        nearest: r.nearest_mode,
        cubic_a: r.cubic_coeff_a,
        exclude_outside: r.exclude_outside,
        antialias: r.antialias,
        extrapolation_value: r.extrapolation_value,
    });
    let mut slots = vec![false; ins.infos.len().max(1)];
    slots[0] = true;
    Ok(NnKernel { kind, slots })
}
