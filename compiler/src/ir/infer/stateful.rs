//! Inference rules of LinearAttention, CausalConvWithState and SwiGLU (see
//! `onnx::ops::stateful`), and the geometry lowering shares with them.

use super::{Inferred, Inputs};
use crate::error::{Error, Result};
use crate::ir::op_nn::{LinearAttention, NnOp};
use crate::ir::{DType, ValueInfo};

fn info<'a>(inputs: &'a Inputs, i: usize) -> Result<&'a ValueInfo> {
    inputs.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
}

fn opt<'a>(inputs: &'a Inputs, i: usize) -> Option<&'a ValueInfo> {
    inputs.infos.get(i).copied().flatten()
}

fn float_type(d: DType, what: &str) -> Result<DType> {
    if matches!(d, DType::F32 | DType::F16 | DType::BF16 | DType::F64) {
        Ok(d)
    } else {
        Err(Error::unsupported(format!("{what} has type {d}; this op supports f32, f16 and bf16")))
    }
}

/// Sizes of one LinearAttention.
pub struct LinearDims {
    pub batch: usize,
    pub seq: usize,
    pub d_k: usize,
    pub d_v: usize,
    pub decay_per_key: bool,
    pub beta_per_head: bool,
    pub dtype: DType,
    pub state_dtype: DType,
}

/// Checks LinearAttention's inputs against each other and returns its sizes.
pub fn linear_dims(a: &LinearAttention, inputs: &Inputs) -> Result<LinearDims> {
    let (q, k, v) = (info(inputs, 0)?, info(inputs, 1)?, info(inputs, 2)?);
    let dtype = float_type(q.dtype, "query")?;
    if k.dtype != dtype || v.dtype != dtype {
        return Err(Error::invalid(format!("query, key and value types differ: {}, {}, {}", q.dtype, k.dtype, v.dtype)));
    }
    let (qs, ks, vs) = (&q.shape, &k.shape, &v.shape);
    if qs.len() != 3 || ks.len() != 3 || vs.len() != 3 || ks[..2] != qs[..2] || vs[..2] != qs[..2] {
        return Err(Error::invalid(format!("query {qs:?}, key {ks:?} and value {vs:?} must be [B, T, H*D] with one B and T")));
    }
    let (hq, hk) = (a.q_heads, a.kv_heads);
    if qs[2] % hq != 0 || vs[2] % hk != 0 || ks[2] != hk * (qs[2] / hq) {
        return Err(Error::invalid(format!(
            "query {qs:?}, key {ks:?} and value {vs:?} do not split into {hq} query and {hk} key/value heads"
        )));
    }
    let (batch, seq, d_k, d_v) = (qs[0], qs[1], qs[2] / hq, vs[2] / hk);
    let state_dtype = match opt(inputs, 3) {
        Some(s) => {
            if s.shape != [batch, hk, d_k, d_v] {
                return Err(Error::invalid(format!("past_state {:?} should be {:?}", s.shape, [batch, hk, d_k, d_v])));
            }
            float_type(s.dtype, "past_state")?
        }
        None => dtype,
    };
    let mut decay_per_key = false;
    if let Some(d) = opt(inputs, 4) {
        if d.dtype != dtype || d.shape.len() != 3 || d.shape[..2] != qs[..2] || (d.shape[2] != hk && d.shape[2] != hk * d_k) {
            return Err(Error::invalid(format!("decay {} {:?} should be [{batch}, {seq}, {hk} or {}]", d.dtype, d.shape, hk * d_k)));
        }
        decay_per_key = d.shape[2] != hk;
    }
    let mut beta_per_head = false;
    if let Some(b) = opt(inputs, 5) {
        if b.dtype != dtype || b.shape.len() != 3 || b.shape[..2] != qs[..2] || (b.shape[2] != hk && b.shape[2] != 1) {
            return Err(Error::invalid(format!("beta {} {:?} should be [{batch}, {seq}, {hk} or 1]", b.dtype, b.shape)));
        }
        beta_per_head = b.shape[2] == hk && hk != 1;
    }
    Ok(LinearDims { batch, seq, d_k, d_v, decay_per_key, beta_per_head, dtype, state_dtype })
}

/// Infers the outputs of the ops of this family.
pub fn infer(op: &NnOp, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    let all = match op {
        NnOp::LinearAttention(a) => {
            let g = linear_dims(a, inputs)?;
            vec![
                (g.dtype, vec![g.batch, g.seq, a.q_heads * g.d_v]),
                (g.state_dtype, vec![g.batch, a.kv_heads, g.d_k, g.d_v]),
            ]
        }
        NnOp::CausalConv { .. } => {
            let (x, w) = (info(inputs, 0)?, info(inputs, 1)?);
            let dtype = float_type(x.dtype, "input")?;
            let (xs, ws) = (&x.shape, &w.shape);
            if xs.len() != 3 || ws.len() != 3 || ws[0] != xs[1] || ws[1] != 1 || ws[2] == 0 || w.dtype != dtype {
                return Err(Error::invalid(format!("input {xs:?} and weight {} {ws:?}: need [B, C, L] and [C, 1, k]", w.dtype)));
            }
            let state = vec![xs[0], xs[1], ws[2] - 1];
            if let Some(b) = opt(inputs, 2) {
                if b.shape != [xs[1]] || b.dtype != dtype {
                    return Err(Error::invalid(format!("bias {} {:?} should be [{}]", b.dtype, b.shape, xs[1])));
                }
            }
            if let Some(p) = opt(inputs, 3) {
                if p.shape != state || p.dtype != dtype {
                    return Err(Error::invalid(format!("past_state {} {:?} should be {state:?}", p.dtype, p.shape)));
                }
            }
            vec![(dtype, xs.clone()), (dtype, state)]
        }
        NnOp::SwiGlu { .. } => {
            let (a, b) = (info(inputs, 0)?, info(inputs, 1)?);
            let dtype = float_type(a.dtype, "A")?;
            if a.shape != b.shape || a.dtype != b.dtype {
                return Err(Error::invalid(format!("A {} {:?} and B {} {:?} must have one shape and type", a.dtype, a.shape, b.dtype, b.shape)));
            }
            vec![(dtype, a.shape.clone())]
        }
        _ => return Err(Error::internal(format!("{} is not a stateful op", op.name()))),
    };
    Ok(all.into_iter().take(num_outputs.max(1)).collect())
}
