//! ONNX `Attention` (opset 23+): scaled dot-product attention with grouped KV heads, additive
//! or boolean masks, causal and sliding-window masking, a KV cache and soft-capping.
//!
//! No scratch memory: for each query row the scores are recomputed in three passes (maximum,
//! sum of exponentials, weighted sum of values), so only the output row is written.

use super::real::{FloatKind, Real};
use crate::rt::math;

/// Output columns accumulated at once (in f32, on the stack).
const CHUNK: usize = 64;

/// Geometry and attributes of one `Attention`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttentionParams {
    pub batch: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    pub q_len: usize,
    /// Positions in the new K and V.
    pub kv_len: usize,
    /// Positions in `past_key`/`past_value` (0 without a cache).
    pub past_len: usize,
    /// Length of a Q/K head vector.
    pub head_size: usize,
    /// Length of a V head vector.
    pub v_head_size: usize,
    /// Element strides of Q, K, V and Y for (batch, head, position); head vectors are contiguous.
    pub q_strides: [usize; 3],
    pub k_strides: [usize; 3],
    pub v_strides: [usize; 3],
    pub y_strides: [usize; 3],
    /// Multiplies `q . k`.
    pub scale: f32,
    /// `softcap * tanh(s / softcap)` when positive.
    pub softcap: f32,
    pub causal: bool,
    /// Sliding window bounds (-1: unbounded on that side).
    pub left_window: i64,
    pub right_window: i64,
    /// Mask strides over (batch, q head, query, key); 0 on broadcast axes.
    pub mask_strides: [usize; 4],
    /// Length of the mask's last axis: keys at or beyond it are masked.
    pub mask_len: usize,
    /// What `qk_matmul_output` holds: 0/1 scores, 2 scores + bias, 3 probabilities.
    pub qk_mode: u8,
    /// Element type of Q, K, V, the caches and the outputs.
    pub elem: FloatKind,
    /// Element type of the mask (`Bool`: true attends).
    pub mask_kind: FloatKind,
}

/// The optional inputs of [`attention`].
#[derive(Clone, Copy)]
pub struct AttentionExtras<'a, T, M> {
    pub mask: Option<&'a [M]>,
    pub past_key: Option<&'a [T]>,
    pub past_value: Option<&'a [T]>,
    /// Valid key count per batch (`nonpad_kv_seqlen`).
    pub nonpad: Option<&'a [i64]>,
}

/// Y = softmax(scale * Q K^T (soft-capped) + bias) V, per batch and query head; also writes the
/// concatenated caches and the requested `qk_matmul_output`. Rows whose keys are all masked give
/// zeros. Does nothing if a buffer is too short.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn attention<T: Real, M: Real>(
    p: &AttentionParams,
    q: &[T],
    k: &[T],
    v: &[T],
    extras: AttentionExtras<'_, T, M>,
    y: &mut [T],
    present_key: Option<&mut [T]>,
    present_value: Option<&mut [T]>,
    qk_out: Option<&mut [T]>,
) {
    let total = p.past_len + p.kv_len;
    let (d, dv) = (p.head_size, p.v_head_size);
    if p.kv_heads == 0 || p.q_heads % p.kv_heads != 0 {
        return;
    }
    let group = p.q_heads / p.kv_heads;
    let end = |s: &[usize; 3], heads: usize, len: usize, width: usize| {
        if p.batch == 0 || heads == 0 || len == 0 {
            0
        } else {
            (p.batch - 1) * s[0] + (heads - 1) * s[1] + (len - 1) * s[2] + width
        }
    };
    let past_k_len = p.batch * p.kv_heads * p.past_len * d;
    let past_v_len = p.batch * p.kv_heads * p.past_len * dv;
    let (Some(q), Some(k), Some(v), Some(y)) = (
        q.get(..end(&p.q_strides, p.q_heads, p.q_len, d)),
        k.get(..end(&p.k_strides, p.kv_heads, p.kv_len, d)),
        v.get(..end(&p.v_strides, p.kv_heads, p.kv_len, dv)),
        y.get_mut(..end(&p.y_strides, p.q_heads, p.q_len, dv)),
    ) else {
        return;
    };
    let past_key = match extras.past_key.map(|s| s.get(..past_k_len)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let past_value = match extras.past_value.map(|s| s.get(..past_v_len)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let nonpad = match extras.nonpad.map(|s| s.get(..p.batch)) {
        Some(None) => return,
        other => other.flatten(),
    };
    let mask = extras.mask;
    // The concatenated caches.
    for (present, src, past, s, w) in [
        (present_key, k, past_key, &p.k_strides, d),
        (present_value, v, past_value, &p.v_strides, dv),
    ] {
        let Some(out) = present.and_then(|o| o.get_mut(..p.batch * p.kv_heads * total * w)) else {
            continue;
        };
        if w == 0 {
            continue;
        }
        for (r, row) in out.chunks_exact_mut(w).enumerate() {
            let (b, hk, j) = (r / (p.kv_heads * total), (r / total) % p.kv_heads, r % total);
            if let Some(src_row) = kv_row(p, src, past, b, hk, j, s, w) {
                row.copy_from_slice(src_row);
            }
        }
    }
    let mut qk_out = qk_out.and_then(|o| o.get_mut(..p.batch * p.q_heads * p.q_len * total));
    let elem = p.elem;
    let narrow = matches!(elem, FloatKind::F16 | FloatKind::BF16);
    // The reference scales both operands by the rounded square root of the scale.
    let root = T::put(math::sqrt(p.scale), elem).get(elem);
    for b in 0..p.batch {
        let valid = nonpad.and_then(|n| n.get(b)).copied();
        // Causal frontier: query i attends key j iff j <= i + offset.
        let offset = match valid {
            Some(n) if p.past_len == 0 => n - p.q_len as i64,
            _ => p.past_len as i64,
        };
        for h in 0..p.q_heads {
            let hk = h / group;
            for i in 0..p.q_len {
                let q_off = b * p.q_strides[0] + h * p.q_strides[1] + i * p.q_strides[2];
                let y_off = b * p.y_strides[0] + h * p.y_strides[1] + i * p.y_strides[2];
                let (Some(q_row), Some(y_row)) = (q.get(q_off..q_off + d), y.get_mut(y_off..y_off + dv)) else {
                    continue;
                };
                let mask_base = b * p.mask_strides[0] + h * p.mask_strides[1] + i * p.mask_strides[2];
                let bias = |j: usize| -> f32 {
                    let pos = i as i64 + offset;
                    let diff = pos - j as i64;
                    let blocked = (p.causal && diff < 0)
                        || (p.left_window >= 0 && diff > p.left_window)
                        || (p.right_window >= 0 && -diff > p.right_window)
                        || valid.is_some_and(|n| j as i64 >= n);
                    if blocked {
                        return f32::NEG_INFINITY;
                    }
                    match mask {
                        None => 0.0,
                        Some(_) if j >= p.mask_len => f32::NEG_INFINITY,
                        Some(m) => {
                            let value = m.get(mask_base + j * p.mask_strides[3]).map_or(0.0, |x| x.get(p.mask_kind));
                            if p.mask_kind == FloatKind::Bool {
                                if value != 0.0 {
                                    0.0
                                } else {
                                    f32::NEG_INFINITY
                                }
                            } else {
                                value
                            }
                        }
                    }
                };
                // Half-precision inputs follow the reference's rounding: every step (scaled
                // operands, scores, bias, exponentials, probabilities) is rounded to the
                // element type, the bf16 normalizer after each addition.
                let rnd = |v: f32| -> f32 { if narrow { T::put(v, elem).get(elem) } else { v } };
                let score = |j: usize| -> f32 {
                    let Some(k_row) = kv_row(p, k, past_key, b, hk, j, &p.k_strides, d) else {
                        return 0.0;
                    };
                    let mut acc = 0.0f32;
                    if narrow {
                        for (&a, &c) in q_row.iter().zip(k_row) {
                            acc += rnd(a.get(elem) * root) * rnd(c.get(elem) * root);
                        }
                        let s = rnd(acc);
                        return if p.softcap > 0.0 { rnd(p.softcap * rnd(math::tanh(rnd(s / p.softcap)))) } else { s };
                    }
                    for (&a, &c) in q_row.iter().zip(k_row) {
                        acc += a.get(elem) * c.get(elem);
                    }
                    let s = acc * p.scale;
                    if p.softcap > 0.0 {
                        p.softcap * math::tanh(s / p.softcap)
                    } else {
                        s
                    }
                };
                // Pass 1: maximum (NaN propagates) and whether any key is attendable.
                let mut max = f32::NEG_INFINITY;
                let mut any = false;
                for j in 0..total {
                    let bj = bias(j);
                    if bj == f32::NEG_INFINITY {
                        continue;
                    }
                    any = true;
                    let s = rnd(score(j) + bj);
                    if s > max || s.is_nan() {
                        max = s;
                    }
                }
                let safe_max = if max == f32::NEG_INFINITY { 0.0 } else { max };
                let expo = |x: f32| -> f32 { rnd(math::exp(rnd(x - safe_max))) };
                // Pass 2: normalizer.
                let mut sum = 0.0f32;
                if any {
                    for j in 0..total {
                        let bj = bias(j);
                        if bj != f32::NEG_INFINITY {
                            let e = expo(rnd(score(j) + bj));
                            sum = if elem == FloatKind::BF16 { rnd(sum + e) } else { sum + e };
                        }
                    }
                }
                let sum = rnd(sum);
                let sum = if sum == 0.0 { 1.0 } else { sum };
                let prob = |j: usize, s: f32| -> f32 {
                    let bj = bias(j);
                    if any && bj != f32::NEG_INFINITY {
                        rnd(expo(rnd(s + bj)) / sum)
                    } else {
                        0.0
                    }
                };
                // Pass 3: qk_matmul_output, then the output row in f32 chunks.
                if let Some(o) = qk_out.as_deref_mut() {
                    let off = ((b * p.q_heads + h) * p.q_len + i) * total;
                    if let Some(row) = o.get_mut(off..off + total) {
                        for (j, slot) in row.iter_mut().enumerate() {
                            let s = score(j);
                            let value = match p.qk_mode {
                                2 => s + bias(j),
                                3 => prob(j, s),
                                _ => s,
                            };
                            *slot = T::put(value, elem);
                        }
                    }
                }
                for (c, y_chunk) in y_row.chunks_mut(CHUNK).enumerate() {
                    let mut acc = [0.0f32; CHUNK];
                    for j in 0..total {
                        let pj = prob(j, score(j));
                        if pj == 0.0 {
                            continue;
                        }
                        if let Some(v_row) = kv_row(p, v, past_value, b, hk, j, &p.v_strides, dv) {
                            for (a, &vv) in acc.iter_mut().zip(v_row.iter().skip(c * CHUNK)) {
                                *a += pj * vv.get(elem);
                            }
                        }
                    }
                    for (yv, &a) in y_chunk.iter_mut().zip(&acc) {
                        *yv = T::put(a, elem);
                    }
                }
            }
        }
    }
}

/// Row `j` of the concatenated cache for batch `b`, KV head `hk`: from `past` (dense
/// `[batch, kv_heads, past_len, w]`) before `past_len`, else from `src` with strides `s`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn kv_row<'a, T>(
    p: &AttentionParams,
    src: &'a [T],
    past: Option<&'a [T]>,
    b: usize,
    hk: usize,
    j: usize,
    s: &[usize; 3],
    w: usize,
) -> Option<&'a [T]> {
    if j < p.past_len {
        let off = ((b * p.kv_heads + hk) * p.past_len + j) * w;
        past.and_then(|pk| pk.get(off..off + w))
    } else {
        let off = b * s[0] + hk * s[1] + (j - p.past_len) * s[2];
        src.get(off..off + w)
    }
}

/// Geometry of one `RotaryEmbedding` (opset 23).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RotaryParams {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub head_size: usize,
    /// Leading elements of each head vector that are rotated (even).
    pub rotary_dim: usize,
    /// Element strides of the input and output for (batch, position, head).
    pub strides: [usize; 3],
    /// Pairs are `(x[2i], x[2i+1])` instead of `(x[i], x[i + rotary_dim/2])`.
    pub interleaved: bool,
    /// Rows in the caches (`max_position` with position ids, else `batch * seq`).
    pub cache_rows: usize,
    pub elem: FloatKind,
}

/// Rotates each head vector by the angles whose cosines and sines are the cache rows picked
/// by `position_ids` (`[batch, seq]`), or by `(batch, position)` without them. Positions out of
/// the cache leave the row zero. Does nothing if a buffer is too short.
#[inline(always)]
pub fn rotary_embedding<T: Real>(p: &RotaryParams, x: &[T], cos: &[T], sin: &[T], position_ids: Option<&[i64]>, y: &mut [T]) {
    let half = p.rotary_dim / 2;
    let d = p.head_size;
    let len = if p.batch == 0 || p.seq == 0 || p.heads == 0 {
        0
    } else {
        (p.batch - 1) * p.strides[0] + (p.seq - 1) * p.strides[1] + (p.heads - 1) * p.strides[2] + d
    };
    let (Some(x), Some(y), Some(cos), Some(sin)) =
        (x.get(..len), y.get_mut(..len), cos.get(..p.cache_rows * half), sin.get(..p.cache_rows * half))
    else {
        return;
    };
    let ids = match position_ids.map(|ids| ids.get(..p.batch * p.seq)) {
        Some(None) => return,
        other => other.flatten(),
    };
    if half * 2 > d {
        return;
    }
    let e = p.elem;
    for b in 0..p.batch {
        for s in 0..p.seq {
            let row = match ids {
                Some(ids) => ids.get(b * p.seq + s).and_then(|&r| usize::try_from(r).ok()),
                None => Some(b * p.seq + s),
            };
            let caches = row.and_then(|r| Some((cos.get(r * half..(r + 1) * half)?, sin.get(r * half..(r + 1) * half)?)));
            for h in 0..p.heads {
                let off = b * p.strides[0] + s * p.strides[1] + h * p.strides[2];
                let (Some(xr), Some(yr)) = (x.get(off..off + d), y.get_mut(off..off + d)) else {
                    continue;
                };
                let Some((c, sn)) = caches else {
                    yr.iter_mut().for_each(|v| *v = T::put(0.0, e));
                    continue;
                };
                // The unrotated tail.
                for (yv, &xv) in yr.iter_mut().zip(xr).skip(p.rotary_dim) {
                    *yv = xv;
                }
                for (i, (&cv, &sv)) in c.iter().zip(sn).enumerate() {
                    let (i1, i2) = if p.interleaved { (2 * i, 2 * i + 1) } else { (i, i + half) };
                    let (Some(&x1), Some(&x2)) = (xr.get(i1), xr.get(i2)) else {
                        continue;
                    };
                    let (x1, x2, cv, sv) = (x1.get(e), x2.get(e), cv.get(e), sv.get(e));
                    if let Some(v) = yr.get_mut(i1) {
                        *v = T::put(cv * x1 - sv * x2, e);
                    }
                    if let Some(v) = yr.get_mut(i2) {
                        *v = T::put(sv * x1 + cv * x2, e);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "attention_tests.rs"]
mod tests;
