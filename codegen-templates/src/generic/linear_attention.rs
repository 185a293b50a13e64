//! Recurrent blocks of linear-attention and state-space models: ONNX `LinearAttention`
//! (opset 27), `CausalConvWithState` (opset 27) and `SwiGLU` (opset 28).
//!
//! They compute in `f32` and read or write `f32`, `f16` or `bf16` elements through [`Real`].

use super::real::{FloatKind, Real};
use crate::rt::math;

/// State elements kept on the stack at once by [`linear_attention`] (`d_k` × columns).
pub const STATE_CHUNK: usize = 1024;

/// Geometry and rule of one `LinearAttention`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LinearAttentionParams {
    pub batch: usize,
    /// Tokens `T`.
    pub seq: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    /// Key (and query) head size.
    pub d_k: usize,
    /// Value head size.
    pub d_v: usize,
    pub scale: f32,
    /// `S *= exp(decay_t)` before each update (rules `gated`, `gated_delta`).
    pub gated: bool,
    /// Delta-rule correction `v_t <- beta_t (v_t - S^T k_t)` (rules `delta`, `gated_delta`).
    pub delta: bool,
    /// `decay` is `[B, T, H_kv * d_k]` (one rate per key dim) rather than `[B, T, H_kv]`.
    pub decay_per_key: bool,
    /// `beta` is `[B, T, H_kv]` rather than `[B, T, 1]`.
    pub beta_per_head: bool,
    /// Element type of query, key, value, decay, beta and the output.
    pub elem: FloatKind,
    /// Element type of `past_state` and `present_state`.
    pub state_elem: FloatKind,
}

/// The optional inputs of [`linear_attention`].
#[derive(Clone, Copy)]
pub struct LinearAttentionExtras<'a, T, S> {
    /// `[B, H_kv, d_k, d_v]`; zeros when absent.
    pub past_state: Option<&'a [S]>,
    pub decay: Option<&'a [T]>,
    pub beta: Option<&'a [T]>,
}

/// Runs the recurrence token by token over `[B, T, H*D]` inputs: the output `[B, T, H_q*d_v]`
/// is `scale * q_t^T S_t` and `present_state` the final state. The state is kept in `f32`.
/// Each state column evolves independently, so columns are processed in stack-sized chunks.
/// Does nothing if a buffer is too short or the geometry is inconsistent.
#[inline(always)]
pub fn linear_attention<T: Real, S: Real>(
    p: &LinearAttentionParams,
    q: &[T],
    k: &[T],
    v: &[T],
    extras: LinearAttentionExtras<'_, T, S>,
    y: &mut [T],
    present: Option<&mut [S]>,
) {
    let (dk, dv, hq, hk) = (p.d_k, p.d_v, p.q_heads, p.kv_heads);
    if hk == 0 || hq % hk != 0 || dk == 0 || dk > STATE_CHUNK || dv == 0 {
        return;
    }
    let group = hq / hk;
    let rows = p.batch * p.seq;
    let state_len = p.batch * hk * dk * dv;
    let (Some(q), Some(k), Some(v), Some(y)) =
        (q.get(..rows * hq * dk), k.get(..rows * hk * dk), v.get(..rows * hk * dv), y.get_mut(..rows * hq * dv))
    else {
        return;
    };
    let mut present = match present.map(|s| s.get_mut(..state_len)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let past = match extras.past_state.map(|s| s.get(..state_len)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let decay_width = if p.decay_per_key { hk * dk } else { hk };
    let decay = match (p.gated, extras.decay.map(|d| d.get(..rows * decay_width))) {
        (true, Some(Some(d))) => Some(d),
        (false, _) => None,
        _ => return,
    };
    let beta_width = if p.beta_per_head { hk } else { 1 };
    let beta = match (p.delta, extras.beta.map(|b| b.get(..rows * beta_width))) {
        (true, Some(Some(b))) => Some(b),
        (false, _) => None,
        _ => return,
    };
    let (e, se) = (p.elem, p.state_elem);
    let cols = STATE_CHUNK / dk;
    let mut buf = [0.0f32; STATE_CHUNK];
    let mut vt = [0.0f32; STATE_CHUNK];
    for b in 0..p.batch {
        for h in 0..hk {
            let base = (b * hk + h) * dk * dv;
            let mut m0 = 0;
            while m0 < dv {
                let w = if dv - m0 < cols { dv - m0 } else { cols };
                let Some(state) = buf.get_mut(..dk * w) else { return };
                // state[d * w + c] holds S[d, m0 + c].
                for (d, row) in state.chunks_exact_mut(w).enumerate() {
                    let off = base + d * dv + m0;
                    match past.and_then(|s| s.get(off..off + w)) {
                        Some(src) => row.iter_mut().zip(src).for_each(|(s, &x)| *s = x.get(se)),
                        None => row.fill(0.0),
                    }
                }
                for t in 0..p.seq {
                    let r = b * p.seq + t;
                    let k_off = (r * hk + h) * dk;
                    let v_off = (r * hk + h) * dv + m0;
                    let (Some(kt), Some(vsrc), Some(vt)) = (k.get(k_off..k_off + dk), v.get(v_off..v_off + w), vt.get_mut(..w)) else {
                        return;
                    };
                    if let Some(dec) = decay {
                        for (d, row) in state.chunks_exact_mut(w).enumerate() {
                            let i = if p.decay_per_key { r * decay_width + h * dk + d } else { r * decay_width + h };
                            let g = math::exp(dec.get(i).map_or(0.0, |x| x.get(e)));
                            row.iter_mut().for_each(|s| *s *= g);
                        }
                    }
                    vt.iter_mut().zip(vsrc).for_each(|(o, &x)| *o = x.get(e));
                    if let Some(beta) = beta {
                        let bi = if p.beta_per_head { r * hk + h } else { r };
                        let bt = beta.get(bi).map_or(0.0, |x| x.get(e));
                        for (c, o) in vt.iter_mut().enumerate() {
                            let mut retrieved = 0.0f32;
                            for (row, &kd) in state.chunks_exact(w).zip(kt) {
                                retrieved += row.get(c).copied().unwrap_or(0.0) * kd.get(e);
                            }
                            *o = bt * (*o - retrieved);
                        }
                    }
                    for (row, &kd) in state.chunks_exact_mut(w).zip(kt) {
                        let kd = kd.get(e);
                        row.iter_mut().zip(vt.iter()).for_each(|(s, &x)| *s += kd * x);
                    }
                    for g in 0..group {
                        let hh = h * group + g;
                        let q_off = (r * hq + hh) * dk;
                        let y_off = (r * hq + hh) * dv + m0;
                        let (Some(qt), Some(yt)) = (q.get(q_off..q_off + dk), y.get_mut(y_off..y_off + w)) else {
                            return;
                        };
                        for (c, yv) in yt.iter_mut().enumerate() {
                            let mut acc = 0.0f32;
                            for (row, &qd) in state.chunks_exact(w).zip(qt) {
                                acc += qd.get(e) * row.get(c).copied().unwrap_or(0.0);
                            }
                            *yv = T::put(p.scale * acc, e);
                        }
                    }
                }
                for (d, row) in state.chunks_exact(w).enumerate() {
                    let off = base + d * dv + m0;
                    if let Some(dst) = present.as_deref_mut().and_then(|ps| ps.get_mut(off..off + w)) {
                        dst.iter_mut().zip(row).for_each(|(o, &s)| *o = S::put(s, se));
                    }
                }
                m0 += w;
            }
        }
    }
}

/// Geometry of one `CausalConvWithState`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CausalConvParams {
    pub batch: usize,
    pub channels: usize,
    /// Input length `L`.
    pub len: usize,
    /// Kernel size `k`; the state holds `k - 1` positions.
    pub kernel: usize,
    /// Fused SiLU (`silu` / `swish`).
    pub silu: bool,
    pub elem: FloatKind,
}

/// Depthwise causal 1-D convolution of `[B, C, L]` with weight `[C, 1, k]`, left-padded by
/// `past_state` (`[B, C, k-1]`, zeros when absent): `output` `[B, C, L]` and `present_state`
/// (the last `k-1` padded positions). The convolution is rounded to the element type before
/// the activation, as the reference does. Does nothing if a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn causal_conv_with_state<T: Real>(
    p: &CausalConvParams,
    x: &[T],
    w: &[T],
    bias: Option<&[T]>,
    past: Option<&[T]>,
    y: &mut [T],
    present: Option<&mut [T]>,
) {
    let (c, l, kk) = (p.channels, p.len, p.kernel);
    if kk == 0 {
        return;
    }
    let s = kk - 1;
    let planes = p.batch * c;
    let (Some(x), Some(w), Some(y)) = (x.get(..planes * l), w.get(..c * kk), y.get_mut(..planes * l)) else {
        return;
    };
    let mut present = match present.map(|ps| ps.get_mut(..planes * s)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let bias = match bias.map(|b| b.get(..c)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let past = match past.map(|b| b.get(..planes * s)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let e = p.elem;
    let zero = T::put(0.0, e);
    for plane in 0..planes {
        let ch = plane % c;
        let (Some(xp), Some(wc), Some(yp)) = (x.get(plane * l..(plane + 1) * l), w.get(ch * kk..(ch + 1) * kk), y.get_mut(plane * l..(plane + 1) * l))
        else {
            return;
        };
        let state = past.and_then(|ps| ps.get(plane * s..(plane + 1) * s));
        // Position `i` of the padded sequence (state then input).
        let padded = |i: usize| -> T {
            if i < s {
                state.and_then(|st| st.get(i)).copied().unwrap_or(zero)
            } else {
                xp.get(i - s).copied().unwrap_or(zero)
            }
        };
        let b = bias.and_then(|b| b.get(ch)).map_or(0.0, |v| v.get(e));
        for (t, yv) in yp.iter_mut().enumerate() {
            let mut acc = 0.0f32;
            for (j, &wv) in wc.iter().enumerate() {
                acc += wv.get(e) * padded(t + j).get(e);
            }
            let conv = T::put(acc + b, e).get(e);
            let out = if p.silu { conv * math::sigmoid(conv) } else { conv };
            *yv = T::put(out, e);
        }
        if let Some(dst) = present.as_deref_mut().and_then(|ps| ps.get_mut(plane * s..(plane + 1) * s)) {
            for (i, o) in dst.iter_mut().enumerate() {
                *o = padded(l + i);
            }
        }
    }
}

/// Attribute and element type of one `SwiGLU`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SwiGluParams {
    pub alpha: f32,
    pub elem: FloatKind,
}

/// `SwiGLU`: `y = a * sigmoid(alpha * a) * b`, element by element. Half-precision data is
/// rounded after each step, as the reference's numpy arrays are.
#[inline(always)]
pub fn swiglu<T: Real>(p: &SwiGluParams, a: &[T], b: &[T], y: &mut [T]) {
    let (alpha, elem) = (p.alpha, p.elem);
    let narrow = matches!(elem, FloatKind::F16 | FloatKind::BF16);
    let r = |v: f32| if narrow { T::put(v, elem).get(elem) } else { v };
    for ((yv, &av), &bv) in y.iter_mut().zip(a).zip(b) {
        let x = av.get(elem);
        let sig = if narrow { r(1.0 / r(1.0 + r(math::exp(r(-alpha * x))))) } else { math::sigmoid(alpha * x) };
        *yv = T::put(r(x * sig) * bv.get(elem), elem);
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
#[path = "linear_attention_tests.rs"]
mod tests;
