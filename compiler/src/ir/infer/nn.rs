//! Inference rules of the neural-network ops behind [`Op::Nn`](crate::ir::Op::Nn), and the
//! geometry lowering shares with them.

use super::{Inferred, Inputs};
use crate::error::{Error, Result};
use crate::ir::op_nn::{Attention, NnOp};
use crate::ir::{DType, ValueInfo};

fn info<'a>(inputs: &'a Inputs, i: usize) -> Result<&'a ValueInfo> {
    inputs.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
}

fn present(inputs: &Inputs, i: usize) -> bool {
    inputs.infos.get(i).copied().flatten().is_some()
}

/// True for the float types the nn kernels read and write.
pub fn is_real(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F64 | DType::F16 | DType::BF16)
}

fn require_real(inputs: &Inputs, i: usize) -> Result<DType> {
    let d = info(inputs, i)?.dtype;
    if is_real(d) {
        Ok(d)
    } else {
        Err(Error::unsupported(format!("input {i} has type {d}; this op supports f32, f64, f16 and bf16")))
    }
}

/// Infers the outputs of an nn op.
pub fn infer(op: &NnOp, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    match op {
        NnOp::LinearAttention(_) | NnOp::CausalConv { .. } | NnOp::SwiGlu { .. } => super::stateful::infer(op, inputs, num_outputs),
        NnOp::Attention(a) => {
            let g = attention_dims(a, inputs)?;
            let dtype = require_real(inputs, 0)?;
            let total = g.past_len + g.kv_len;
            let y = if g.rank3 {
                vec![g.batch, g.q_len, g.q_heads * g.v_head_size]
            } else {
                vec![g.batch, g.q_heads, g.q_len, g.v_head_size]
            };
            let all = [
                y,
                vec![g.batch, g.kv_heads, total, g.head_size],
                vec![g.batch, g.kv_heads, total, g.v_head_size],
                vec![g.batch, g.q_heads, g.q_len, total],
            ];
            Ok(all.into_iter().take(num_outputs.max(1)).map(|s| (dtype, s)).collect())
        }
        NnOp::RmsNorm { axis, .. } => {
            let dtype = require_real(inputs, 0)?;
            let x = &info(inputs, 0)?.shape;
            let a = super::normalize_axis(*axis, x.len())?;
            let s = info(inputs, 1)?;
            if s.dtype != dtype || s.elements() != x[a..].iter().product::<usize>() || super::broadcast_shapes(&x[a..], &s.shape)? != x[a..] {
                return Err(Error::unsupported(format!("scale {} {:?} must cover the normalized block {:?}", s.dtype, s.shape, &x[a..])));
            }
            Ok(vec![(dtype, x.clone())])
        }
        NnOp::LpNorm { axis, .. } => {
            let dtype = require_real(inputs, 0)?;
            let x = &info(inputs, 0)?.shape;
            super::normalize_axis(*axis, x.len())?;
            Ok(vec![(dtype, x.clone())])
        }
        NnOp::Pool(p) => {
            let x = &info(inputs, 0)?.shape;
            if info(inputs, 0)?.dtype != DType::F32 || x.len() < 3 || x.len() > 5 {
                return Err(Error::unsupported(format!("pooling on {} {x:?}: f32 with 1 to 3 spatial axes only", info(inputs, 0)?.dtype)));
            }
            let g = super::window_geometry(&p.window, &x[2..], &p.window.kernel, p.ceil_mode)?;
            let mut out = x[..2].to_vec();
            out.extend(g.output);
            let mut result = vec![(DType::F32, out.clone())];
            if num_outputs > 1 {
                result.push((DType::I64, out));
            }
            Ok(result)
        }
        NnOp::GridSample { .. } => {
            let dtype = require_real(inputs, 0)?;
            let (x, g) = (&info(inputs, 0)?.shape, &info(inputs, 1)?.shape);
            let s = x.len().saturating_sub(2);
            if !(1..=3).contains(&s) || g.len() != s + 2 || g[0] != x[0] || g[s + 1] != s || info(inputs, 1)?.dtype != dtype {
                return Err(Error::invalid(format!("X {x:?} and grid {g:?} do not fit (1 to 3 spatial axes, same type)")));
            }
            let mut out = x[..2].to_vec();
            out.extend_from_slice(&g[1..=s]);
            Ok(vec![(dtype, out)])
        }
        NnOp::Recurrent(r) => {
            let (seq, batch, _) = recurrent_dims(r, inputs)?;
            let (hs, d) = (r.hidden, r.directions);
            let y = if r.batch_major { vec![batch, seq, d, hs] } else { vec![seq, d, batch, hs] };
            let state = if r.batch_major { vec![batch, d, hs] } else { vec![d, batch, hs] };
            let all = [y, state.clone(), state];
            Ok(all.into_iter().take(num_outputs.max(1)).map(|s| (DType::F32, s)).collect())
        }
        NnOp::QLinearMatMul | NnOp::MatMulInteger => {
            let (b_slot, out) = if matches!(op, NnOp::QLinearMatMul) { (3, info(inputs, 7)?.dtype) } else { (1, DType::I32) };
            for i in [0, b_slot] {
                if !matches!(info(inputs, i)?.dtype, DType::I8 | DType::U8) {
                    return Err(Error::unsupported(format!("input {i} has type {}; int8 and uint8 only", info(inputs, i)?.dtype)));
                }
            }
            qmatmul_dims(op, inputs)?;
            Ok(vec![(out, super::matmul_shape(&info(inputs, 0)?.shape, &info(inputs, b_slot)?.shape)?)])
        }
        NnOp::DynamicQuantizeLinear => {
            if info(inputs, 0)?.dtype != DType::F32 {
                return Err(Error::unsupported("DynamicQuantizeLinear supports f32 input"));
            }
            let all = [(DType::U8, info(inputs, 0)?.shape.clone()), (DType::F32, vec![]), (DType::U8, vec![])];
            Ok(all.into_iter().take(num_outputs.max(1)).collect())
        }
        NnOp::GroupNorm { groups, .. } => {
            let x = &info(inputs, 0)?.shape;
            if info(inputs, 0)?.dtype != DType::F32 || x.len() < 2 || x[1] % groups != 0 {
                return Err(Error::unsupported(format!("GroupNormalization of {} {x:?} in {groups} groups: f32, channels divisible by groups", info(inputs, 0)?.dtype)));
            }
            for i in [1, 2] {
                let n = info(inputs, i)?.elements();
                if n != x[1] && n != *groups {
                    return Err(Error::invalid(format!("input {i} has {n} values for {} channels in {groups} groups", x[1])));
                }
            }
            Ok(vec![(DType::F32, x.clone())])
        }
        NnOp::MeanVarianceNorm { axes } => {
            let x = &info(inputs, 0)?.shape;
            if info(inputs, 0)?.dtype != DType::F32 || x.len() > 8 {
                return Err(Error::unsupported("MeanVarianceNormalization supports f32 up to rank 8"));
            }
            for &a in axes {
                super::normalize_axis(a, x.len())?;
            }
            Ok(vec![(DType::F32, x.clone())])
        }
        NnOp::Lrn { .. } => {
            let x = &info(inputs, 0)?.shape;
            if info(inputs, 0)?.dtype != DType::F32 || x.len() < 2 {
                return Err(Error::unsupported("LRN supports f32 of rank ≥ 2"));
            }
            Ok(vec![(DType::F32, x.clone())])
        }
        NnOp::Col2Im { .. } => {
            let g = col2im_dims(op, inputs)?;
            let mut out = vec![g.0, g.1];
            out.extend_from_slice(&g.2);
            Ok(vec![(DType::F32, out)])
        }
        NnOp::MaxUnpool { .. } => {
            let default = unpool_default_shape(op, inputs)?;
            let shape = if present(inputs, 2) {
                let t = inputs.values.get(2).copied().flatten().ok_or_else(|| Error::unsupported("output_shape must be a compile-time constant"))?;
                let v = t.to_i64_vec().ok_or_else(|| Error::invalid("output_shape must be int64"))?;
                v.iter().map(|&d| usize::try_from(d).map_err(|_| Error::invalid("negative output_shape"))).collect::<Result<Vec<_>>>()?
            } else {
                default
            };
            let x = &info(inputs, 0)?.shape;
            if shape.len() != x.len() || shape[..2] != x[..2] || x.len() > 5 {
                return Err(Error::invalid(format!("output_shape {shape:?} does not fit X {x:?} (1 to 3 spatial axes)")));
            }
            Ok(vec![(DType::F32, shape)])
        }
        NnOp::Rotary { .. } => {
            let dtype = require_real(inputs, 0)?;
            rotary_dims(op, inputs)?;
            Ok(vec![(dtype, info(inputs, 0)?.shape.clone())])
        }
    }
}

/// RotaryEmbedding's geometry: (batch, seq, heads, head_size, rotary_dim, strides, cache_rows).
#[allow(clippy::type_complexity)]
pub fn rotary_dims(op: &NnOp, inputs: &Inputs) -> Result<(usize, usize, usize, usize, usize, [usize; 3], usize)> {
    let NnOp::Rotary { rotary_dim, num_heads, .. } = op else {
        return Err(Error::internal("not a RotaryEmbedding"));
    };
    let x = &info(inputs, 0)?.shape;
    let (b, s, h, d, strides) = match x.as_slice() {
        [b, h, s, d] => (*b, *s, *h, *d, [h * s * d, *d, s * d]),
        [b, s, w] => {
            let (h, d) = split_heads(*w, *num_heads, "num_heads")?;
            (*b, *s, h, d, [s * w, *w, d])
        }
        _ => return Err(Error::invalid(format!("input of shape {x:?} must be 3-D or 4-D"))),
    };
    let rd = if *rotary_dim == 0 { d } else { *rotary_dim };
    if rd % 2 != 0 || rd > d {
        return Err(Error::invalid(format!("rotary_embedding_dim {rd} must be even and at most the head size {d}")));
    }
    let (cos, sin) = (info(inputs, 1)?, info(inputs, 2)?);
    let dtype = info(inputs, 0)?.dtype;
    if cos.shape != sin.shape || cos.dtype != dtype || sin.dtype != dtype || cos.shape.last() != Some(&(rd / 2)) {
        return Err(Error::invalid(format!("cos/sin caches {:?} and {:?} must be {dtype} with last dim {}", cos.shape, sin.shape, rd / 2)));
    }
    let rows = if present(inputs, 3) {
        let ids = info(inputs, 3)?;
        if ids.dtype != DType::I64 || ids.shape != [b, s] || cos.shape.len() != 2 {
            return Err(Error::invalid(format!("position_ids must be int64 [{b}, {s}] with 2-D caches")));
        }
        cos.shape[0]
    } else {
        if cos.shape != [b, s, rd / 2] {
            return Err(Error::invalid(format!("without position_ids the caches must be [{b}, {s}, {}]", rd / 2)));
        }
        b * s
    };
    Ok((b, s, h, d, rd, strides, rows))
}

/// The resolved geometry of an Attention node.
#[derive(Clone, Debug, PartialEq)]
pub struct AttentionDims {
    pub rank3: bool,
    pub batch: usize,
    pub q_heads: usize,
    pub kv_heads: usize,
    pub q_len: usize,
    pub kv_len: usize,
    pub past_len: usize,
    pub head_size: usize,
    pub v_head_size: usize,
    /// The mask's shape, if there is one.
    pub mask: Option<Vec<usize>>,
}

fn split_heads(width: usize, heads: Option<usize>, what: &str) -> Result<(usize, usize)> {
    let h = heads.ok_or_else(|| Error::invalid(format!("3-D inputs need the {what} attribute")))?;
    if width % h != 0 {
        return Err(Error::invalid(format!("hidden size {width} is not a multiple of {what} = {h}")));
    }
    Ok((h, width / h))
}

/// Checks Attention's inputs and resolves heads, lengths and head sizes.
pub fn attention_dims(a: &Attention, inputs: &Inputs) -> Result<AttentionDims> {
    let (q, k, v) = (&info(inputs, 0)?.shape, &info(inputs, 1)?.shape, &info(inputs, 2)?.shape);
    let dtype = info(inputs, 0)?.dtype;
    for i in [1, 2, 4, 5] {
        if present(inputs, i) && info(inputs, i)?.dtype != dtype {
            return Err(Error::invalid(format!("input {i} has type {}, Q has {dtype}", info(inputs, i)?.dtype)));
        }
    }
    let mut g = match (q.as_slice(), k.as_slice(), v.as_slice()) {
        ([b, ql, qw], [bk, kl, kw], [bv, vl, vw]) => {
            let (q_heads, head_size) = split_heads(*qw, a.q_heads, "q_num_heads")?;
            let (kv_heads, kd) = split_heads(*kw, a.kv_heads, "kv_num_heads")?;
            let (_, v_head_size) = split_heads(*vw, a.kv_heads, "kv_num_heads")?;
            if kd != head_size || bk != b || bv != b || kl != vl {
                return Err(Error::invalid(format!("Q {q:?}, K {k:?} and V {v:?} disagree")));
            }
            AttentionDims { rank3: true, batch: *b, q_heads, kv_heads, q_len: *ql, kv_len: *kl, past_len: 0, head_size, v_head_size, mask: None }
        }
        ([b, hq, ql, d], [bk, hk, kl, kd], [bv, hv, vl, dv]) => {
            if kd != d || bk != b || bv != b || hk != hv || kl != vl {
                return Err(Error::invalid(format!("Q {q:?}, K {k:?} and V {v:?} disagree")));
            }
            AttentionDims { rank3: false, batch: *b, q_heads: *hq, kv_heads: *hk, q_len: *ql, kv_len: *kl, past_len: 0, head_size: *d, v_head_size: *dv, mask: None }
        }
        _ => return Err(Error::invalid(format!("Q {q:?}, K {k:?} and V {v:?} must all be 3-D or all 4-D"))),
    };
    if g.kv_heads == 0 || g.q_heads % g.kv_heads != 0 {
        return Err(Error::invalid(format!("{} query heads cannot share {} KV heads", g.q_heads, g.kv_heads)));
    }
    if present(inputs, 4) {
        let (pk, pv) = (&info(inputs, 4)?.shape, &info(inputs, 5)?.shape);
        match (pk.as_slice(), pv.as_slice()) {
            ([b, h, l, d], [bv, hv, lv, dv])
                if *b == g.batch && *bv == g.batch && *h == g.kv_heads && *hv == g.kv_heads && l == lv && *d == g.head_size && *dv == g.v_head_size =>
            {
                g.past_len = *l;
            }
            _ => return Err(Error::invalid(format!("past_key {pk:?} and past_value {pv:?} do not fit K and V"))),
        }
    }
    if present(inputs, 3) {
        let m = info(inputs, 3)?;
        if m.dtype != DType::Bool && m.dtype != dtype {
            return Err(Error::invalid(format!("attn_mask has type {}; it must be bool or {dtype}", m.dtype)));
        }
        let target = [g.batch, g.q_heads, g.q_len, g.past_len + g.kv_len];
        if m.shape.is_empty() || m.shape.len() > 4 {
            return Err(Error::invalid(format!("attn_mask of shape {:?} must have rank 1 to 4", m.shape)));
        }
        let off = 4 - m.shape.len();
        for (i, &d) in m.shape.iter().enumerate() {
            let t = target[off + i];
            let ok = if i + 1 == m.shape.len() { d <= t } else { d == t || d == 1 };
            if !ok {
                return Err(Error::invalid(format!("attn_mask of shape {:?} does not broadcast to {target:?}", m.shape)));
            }
        }
        g.mask = Some(m.shape.clone());
    }
    if present(inputs, 6) {
        let n = info(inputs, 6)?;
        if n.dtype != DType::I64 || n.shape != [g.batch] {
            return Err(Error::invalid(format!("nonpad_kv_seqlen must be int64 [{}]", g.batch)));
        }
    }
    Ok(g)
}

/// Checks a recurrent layer's inputs: (seq, batch, input size).
pub fn recurrent_dims(r: &crate::ir::op_nn::Recurrent, inputs: &Inputs) -> Result<(usize, usize, usize)> {
    let gates = [1, 3, 4][usize::from(r.cell.min(2))];
    let (hs, d) = (r.hidden, r.directions);
    let x = &info(inputs, 0)?.shape;
    let [a, b, input] = x.as_slice() else {
        return Err(Error::invalid(format!("X of shape {x:?} must be 3-D")));
    };
    let (seq, batch) = if r.batch_major { (*b, *a) } else { (*a, *b) };
    for i in [0, 1, 2, 3, 5, 6, 7] {
        if present(inputs, i) && info(inputs, i)?.dtype != DType::F32 {
            return Err(Error::unsupported(format!("input {i} has type {}; recurrent layers support f32", info(inputs, i)?.dtype)));
        }
    }
    let state = if r.batch_major { vec![batch, d, hs] } else { vec![d, batch, hs] };
    let expect = [
        (1, vec![d, gates * hs, *input]),
        (2, vec![d, gates * hs, hs]),
        (3, vec![d, 2 * gates * hs]),
        (4, vec![batch]),
        (5, state.clone()),
        (6, state),
        (7, vec![d, 3 * hs]),
    ];
    for (i, shape) in expect {
        if present(inputs, i) && info(inputs, i)?.shape != shape {
            return Err(Error::invalid(format!("input {i} has shape {:?}, expected {shape:?}", info(inputs, i)?.shape)));
        }
    }
    if present(inputs, 4) && info(inputs, 4)?.dtype != DType::I32 {
        return Err(Error::invalid("sequence_lens must be int32"));
    }
    if hs > onnxc_templates::generic::rnn::MAX_HIDDEN {
        return Err(Error::unsupported(format!("hidden_size {hs} exceeds {}", onnxc_templates::generic::rnn::MAX_HIDDEN)));
    }
    Ok((seq, batch, *input))
}

/// Batched integer matmul geometry: (batch, m, n, k, a batch stride, b batch stride).
pub fn qmatmul_dims(op: &NnOp, inputs: &Inputs) -> Result<(usize, usize, usize, usize, usize, usize)> {
    let b_slot = if matches!(op, NnOp::QLinearMatMul) { 3 } else { 1 };
    let (a, b) = (&info(inputs, 0)?.shape, &info(inputs, b_slot)?.shape);
    if a.len() < 2 || b.len() < 2 {
        return Err(Error::unsupported(format!("integer MatMul of {a:?} and {b:?}: both operands need rank ≥ 2")));
    }
    let (m, k, kb, n) = (a[a.len() - 2], a[a.len() - 1], b[b.len() - 2], b[b.len() - 1]);
    if k != kb {
        return Err(Error::invalid(format!("inner dimensions differ: {a:?} × {b:?}")));
    }
    let batch_shape = super::broadcast_shapes(&a[..a.len() - 2], &b[..b.len() - 2])?;
    let batch: usize = batch_shape.iter().product();
    let stride = |s: &[usize], per: usize| -> Result<usize> {
        let own: usize = s.iter().product();
        if own == batch {
            Ok(per)
        } else if own == 1 {
            Ok(0)
        } else {
            Err(Error::unsupported(format!("integer MatMul with partly broadcast batch dims {s:?} vs {batch_shape:?}")))
        }
    };
    let zero_slots: &[usize] = if b_slot == 3 { &[1, 2, 4, 5, 6, 7] } else { &[2, 3] };
    for &i in zero_slots {
        if present(inputs, i) && info(inputs, i)?.elements() != 1 {
            return Err(Error::unsupported(format!("input {i}: only per-tensor scales and zero points are supported")));
        }
    }
    Ok((batch, m, n, k, stride(&a[..a.len() - 2], m * k)?, stride(&b[..b.len() - 2], k * n)?))
}

/// Col2Im geometry: (batch, channels, image, block, blocks, strides, dilations, pads_begin).
#[allow(clippy::type_complexity)]
pub fn col2im_dims(op: &NnOp, inputs: &Inputs) -> Result<(usize, usize, Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>, Vec<usize>)> {
    let NnOp::Col2Im { dilations, pads, strides } = op else {
        return Err(Error::internal("not a Col2Im"));
    };
    let known = |i: usize, what: &str| -> Result<Vec<usize>> {
        let t = inputs.values.get(i).copied().flatten().ok_or_else(|| Error::unsupported(format!("{what} must be a compile-time constant")))?;
        let v = t.to_i64_vec().ok_or_else(|| Error::invalid(format!("{what} must be int64")))?;
        v.iter().map(|&d| usize::try_from(d).map_err(|_| Error::invalid(format!("{what} has a negative value")))).collect()
    };
    let (image, block) = (known(1, "image_shape")?, known(2, "block_shape")?);
    let n = image.len();
    let x = &info(inputs, 0)?.shape;
    if info(inputs, 0)?.dtype != DType::F32 || x.len() != 3 || block.len() != n || !(1..=3).contains(&n) {
        return Err(Error::unsupported(format!("Col2Im of {x:?} into {image:?} by {block:?}: f32, 1 to 3 spatial axes")));
    }
    let pick = |v: &[usize], fill: usize, len: usize| if v.is_empty() { vec![fill; len] } else { v.to_vec() };
    let (dil, st, pads) = (pick(dilations, 1, n), pick(strides, 1, n), pick(pads, 0, 2 * n));
    if dil.len() != n || st.len() != n || pads.len() != 2 * n || block.iter().chain(&st).chain(&dil).any(|&v| v == 0) {
        return Err(Error::invalid("dilations, strides and pads must match the spatial rank"));
    }
    let mut blocks = Vec::with_capacity(n);
    for i in 0..n {
        let span = dil[i] * (block[i] - 1) + 1;
        let padded = image[i] + pads[i] + pads[i + n];
        if padded < span {
            return Err(Error::invalid(format!("block {span} does not fit the padded image {padded}")));
        }
        blocks.push((padded - span) / st[i] + 1);
    }
    let bprod: usize = block.iter().product();
    if x[1] % bprod != 0 || x[2] != blocks.iter().product::<usize>() {
        return Err(Error::invalid(format!("input {x:?} does not hold {blocks:?} blocks of {block:?}")));
    }
    Ok((x[0], x[1] / bprod, image, block, blocks, st, dil, pads[..n].to_vec()))
}

/// MaxUnpool's output shape without `output_shape`: the shape MaxPool inverted.
pub fn unpool_default_shape(op: &NnOp, inputs: &Inputs) -> Result<Vec<usize>> {
    let NnOp::MaxUnpool { window } = op else {
    return Err(Error::internal("not a MaxUnpool"));
    };
    let x = &info(inputs, 0)?.shape;
    if info(inputs, 0)?.dtype != DType::F32 || info(inputs, 1)?.dtype != DType::I64 || info(inputs, 1)?.shape != *x || x.len() < 3 {
        return Err(Error::unsupported("MaxUnpool needs f32 X and int64 indices of the same shape, rank ≥ 3"));
    }
    let n = x.len() - 2;
    let pick = |v: &[usize], fill: usize, len: usize| if v.is_empty() { vec![fill; len] } else { v.to_vec() };
    let (k, s, p) = (&window.kernel, pick(&window.strides, 1, n), pick(&window.pads, 0, 2 * n));
    if k.len() != n || s.len() != n || p.len() != 2 * n {
        return Err(Error::invalid("kernel_shape, strides and pads must match the spatial rank"));
    }
    let mut out = x[..2].to_vec();
    for i in 0..n {
        let full = (x[i + 2].max(1) - 1) * s[i] + k[i];
        out.push(full.checked_sub(p[i] + p[i + n]).ok_or_else(|| Error::invalid("pads exceed the MaxUnpool output"))?);
    }
    Ok(out)
}
