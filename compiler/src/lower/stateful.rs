//! Lowering of LinearAttention, CausalConvWithState and SwiGLU to the kernels of
//! `generic::linear_attention`.

use super::nn::{float_kind, NnKernelKind};
use crate::error::{Error, Result};
use crate::ir::infer::stateful::linear_dims;
use crate::ir::infer::Inputs;
use crate::ir::op_nn::NnOp;
use crate::ir::ValueInfo;
use onnxc_templates::generic::linear_attention as la;

/// The kernel of one op of this family.
pub fn lower(op: &NnOp, ins: &Inputs) -> Result<NnKernelKind> {
    let info = |i: usize| -> Result<&ValueInfo> {
        ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    Ok(match op {
        NnOp::LinearAttention(a) => {
            let g = linear_dims(a, ins)?;
            if g.d_k > la::STATE_CHUNK {
                return Err(Error::unsupported(format!("LinearAttention head size {} (at most {})", g.d_k, la::STATE_CHUNK)));
            }
            NnKernelKind::LinearAttention(la::LinearAttentionParams {
                batch: g.batch,
                seq: g.seq,
                q_heads: a.q_heads,
                kv_heads: a.kv_heads,
                d_k: g.d_k,
                d_v: g.d_v,
                scale: a.scale.unwrap_or((1.0 / (g.d_k as f64).sqrt()) as f32),
                gated: a.gated,
                delta: a.delta,
                decay_per_key: g.decay_per_key,
                beta_per_head: g.beta_per_head,
                elem: float_kind(g.dtype)?,
                state_elem: float_kind(g.state_dtype)?,
            })
        }
        NnOp::CausalConv { silu } => {
            let (x, w) = (&info(0)?.shape, &info(1)?.shape);
            NnKernelKind::CausalConv(la::CausalConvParams {
                batch: x[0],
                channels: x[1],
                len: x[2],
                kernel: w[2],
                silu: *silu,
                elem: float_kind(info(0)?.dtype)?,
            })
        }
        NnOp::SwiGlu { alpha } => NnKernelKind::SwiGlu(la::SwiGluParams { alpha: *alpha, elem: float_kind(info(0)?.dtype)? }),
        _ => return Err(Error::internal(format!("{} is not a stateful op", op.name()))),
    })
}
