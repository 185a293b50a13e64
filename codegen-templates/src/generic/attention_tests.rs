//! Unit tests for `attention.rs` against a naive softmax(QK^T)V.

extern crate std;
use super::*;
use std::vec;
use std::vec::Vec;

fn fill(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(77);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

fn params(b: usize, hq: usize, hk: usize, ql: usize, kl: usize, d: usize, causal: bool) -> AttentionParams {
    AttentionParams {
        batch: b,
        q_heads: hq,
        kv_heads: hk,
        q_len: ql,
        kv_len: kl,
        past_len: 0,
        head_size: d,
        v_head_size: d,
        q_strides: [hq * ql * d, ql * d, d],
        k_strides: [hk * kl * d, kl * d, d],
        v_strides: [hk * kl * d, kl * d, d],
        y_strides: [hq * ql * d, ql * d, d],
        scale: 1.0 / (d as f32).sqrt(),
        softcap: 0.0,
        causal,
        left_window: -1,
        right_window: -1,
        mask_strides: [0; 4],
        mask_len: 0,
        qk_mode: 0,
        elem: FloatKind::F32,
        mask_kind: FloatKind::Bool,
    }
}

/// Naive 4-D attention with GQA and an optional causal mask.
fn naive(p: &AttentionParams, q: &[f32], k: &[f32], v: &[f32]) -> Vec<f32> {
    let (d, group) = (p.head_size, p.q_heads / p.kv_heads);
    let mut y = vec![0.0f32; p.batch * p.q_heads * p.q_len * d];
    for b in 0..p.batch {
        for h in 0..p.q_heads {
            let hk = h / group;
            for i in 0..p.q_len {
                let qr = &q[((b * p.q_heads + h) * p.q_len + i) * d..][..d];
                let scores: Vec<f32> = (0..p.kv_len)
                    .map(|j| {
                        if p.causal && j > i {
                            return f32::NEG_INFINITY;
                        }
                        let kr = &k[((b * p.kv_heads + hk) * p.kv_len + j) * d..][..d];
                        qr.iter().zip(kr).map(|(a, c)| a * c).sum::<f32>() * p.scale
                    })
                    .collect();
                let m = scores.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
                let e: Vec<f32> = scores.iter().map(|s| (s - m).exp()).collect();
                let sum: f32 = e.iter().sum();
                let yr = &mut y[((b * p.q_heads + h) * p.q_len + i) * d..][..d];
                for (j, w) in e.iter().enumerate() {
                    let vr = &v[((b * p.kv_heads + hk) * p.kv_len + j) * d..][..d];
                    for (o, x) in yr.iter_mut().zip(vr) {
                        *o += w / sum * x;
                    }
                }
            }
        }
    }
    y
}

#[test]
fn matches_naive_attention_with_gqa_and_causal_mask() {
    for causal in [false, true] {
        let p = params(2, 4, 2, 3, 5, 8, causal);
        let q = fill(2 * 4 * 3 * 8, 1);
        let k = fill(2 * 2 * 5 * 8, 2);
        let v = fill(2 * 2 * 5 * 8, 3);
        let mut y = vec![0.0f32; q.len()];
        let extras: AttentionExtras<'_, f32, u8> = AttentionExtras { mask: None, past_key: None, past_value: None, nonpad: None };
        attention(&p, &q, &k, &v, extras, &mut y, None, None, None);
        for (a, b) in y.iter().zip(naive(&p, &q, &k, &v)) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}

#[test]
fn fully_masked_rows_give_zeros() {
    let p = AttentionParams { mask_strides: [0, 0, 2, 1], mask_len: 2, ..params(1, 1, 1, 2, 2, 4, false) };
    let (q, k, v) = (fill(8, 4), fill(8, 5), fill(8, 6));
    let mask = [0u8, 0, 1, 1];
    let mut y = vec![1.0f32; 8];
    let extras = AttentionExtras { mask: Some(&mask[..]), past_key: None, past_value: None, nonpad: None };
    attention(&p, &q, &k, &v, extras, &mut y, None, None, None);
    assert!(y[..4].iter().all(|&x| x == 0.0));
    assert!(y[4..].iter().any(|&x| x != 0.0));
}

#[test]
fn short_buffers_write_nothing() {
    let p = params(1, 1, 1, 2, 2, 4, false);
    let mut y = vec![7.0f32; 8];
    let extras: AttentionExtras<'_, f32, u8> = AttentionExtras { mask: None, past_key: None, past_value: None, nonpad: None };
    attention(&p, &[0.0; 3], &[0.0; 8], &[0.0; 8], extras, &mut y, None, None, None);
    assert!(y.iter().all(|&x| x == 7.0));
}

#[test]
fn f16_round_trips() {
    for v in [0.0f32, 1.0, -2.5, 65504.0, 6.1e-5, 1e-7] {
        let h = super::super::real::f32_to_f16(v);
        let back = super::super::real::f16_to_f32(h);
        assert!((back - v).abs() <= v.abs() * 1e-3 + 6e-8, "{v} -> {back}");
    }
}
