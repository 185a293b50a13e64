//! Unit tests for `linear_attention.rs` against naive recurrences.

#![allow(clippy::needless_range_loop)]

extern crate std;
use super::*;
use std::vec;
use std::vec::Vec;

fn params(rule: (bool, bool), hq: usize, hk: usize) -> LinearAttentionParams {
    LinearAttentionParams {
        batch: 1,
        seq: 3,
        q_heads: hq,
        kv_heads: hk,
        d_k: 2,
        d_v: 3,
        scale: 0.5,
        gated: rule.0,
        delta: rule.1,
        decay_per_key: false,
        beta_per_head: true,
        elem: FloatKind::F32,
        state_elem: FloatKind::F32,
    }
}

/// Naive gated-delta recurrence for batch 1 with per-head decay and beta.
fn naive(p: &LinearAttentionParams, q: &[f32], k: &[f32], v: &[f32], decay: &[f32], beta: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (dk, dv, hq, hk) = (p.d_k, p.d_v, p.q_heads, p.kv_heads);
    let mut s = vec![0.0f32; hk * dk * dv];
    let mut y = vec![0.0f32; p.seq * hq * dv];
    for t in 0..p.seq {
        for h in 0..hk {
            let st = &mut s[h * dk * dv..(h + 1) * dk * dv];
            if p.gated {
                let g = decay[t * hk + h].exp();
                st.iter_mut().for_each(|x| *x *= g);
            }
            let kt = &k[(t * hk + h) * dk..][..dk];
            let mut vt: Vec<f32> = v[(t * hk + h) * dv..][..dv].to_vec();
            if p.delta {
                for m in 0..dv {
                    let r: f32 = (0..dk).map(|d| st[d * dv + m] * kt[d]).sum();
                    vt[m] = beta[t * hk + h] * (vt[m] - r);
                }
            }
            for d in 0..dk {
                for m in 0..dv {
                    st[d * dv + m] += kt[d] * vt[m];
                }
            }
        }
        for hh in 0..hq {
            let h = hh / (hq / hk);
            let qt = &q[(t * hq + hh) * dk..][..dk];
            for m in 0..dv {
                let acc: f32 = (0..dk).map(|d| qt[d] * s[h * dk * dv + d * dv + m]).sum();
                y[(t * hq + hh) * dv + m] = p.scale * acc;
            }
        }
    }
    (y, s)
}

#[test]
fn gated_delta_gqa_matches_naive() {
    for rule in [(false, false), (true, false), (false, true), (true, true)] {
        let p = params(rule, 4, 2);
        let q: Vec<f32> = (0..3 * 4 * 2).map(|i| (i as f32 * 0.37).sin()).collect();
        let k: Vec<f32> = (0..3 * 2 * 2).map(|i| (i as f32 * 0.53).cos()).collect();
        let v: Vec<f32> = (0..3 * 2 * 3).map(|i| (i as f32 * 0.29).sin()).collect();
        let decay: Vec<f32> = (0..6).map(|i| -0.1 * i as f32).collect();
        let beta: Vec<f32> = (0..6).map(|i| 0.2 + 0.1 * i as f32).collect();
        let (want_y, want_s) = naive(&p, &q, &k, &v, &decay, &beta);
        let mut y = vec![0.0f32; want_y.len()];
        let mut s = vec![0.0f32; want_s.len()];
        let extras = LinearAttentionExtras {
            past_state: None::<&[f32]>,
            decay: rule.0.then_some(decay.as_slice()),
            beta: rule.1.then_some(beta.as_slice()),
        };
        linear_attention(&p, &q, &k, &v, extras, &mut y, Some(&mut s));
        for (a, b) in y.iter().zip(&want_y).chain(s.iter().zip(&want_s)) {
            assert!((a - b).abs() < 1e-5, "{rule:?}: {a} vs {b}");
        }
    }
}

#[test]
fn causal_conv_carries_state() {
    let p = CausalConvParams { batch: 1, channels: 2, len: 3, kernel: 3, silu: false, elem: FloatKind::F32 };
    let x = [1.0f32, 2.0, 3.0, 10.0, 20.0, 30.0];
    let w = [1.0f32, 0.0, 0.5, 0.0, 1.0, 0.0];
    let past = [7.0f32, 8.0, 70.0, 80.0];
    let (mut y, mut st) = ([0.0f32; 6], [0.0f32; 4]);
    causal_conv_with_state(&p, &x, &w, Some(&[0.0, 1.0]), Some(&past), &mut y, Some(&mut st));
    // Channel 0: padded 7 8 1 2 3, taps (1, 0, 0.5); channel 1: padded 70 80 10 20 30, tap 1 at the middle.
    assert_eq!(y, [7.5, 9.0, 2.5, 81.0, 11.0, 21.0]);
    assert_eq!(st, [2.0, 3.0, 20.0, 30.0]);
}

#[test]
fn swiglu_is_swish_times_b() {
    let (a, b) = ([-1.0f32, 0.0, 2.0], [3.0f32, 4.0, 0.5]);
    let mut y = [0.0f32; 3];
    swiglu(&SwiGluParams { alpha: 1.0, elem: FloatKind::F32 }, &a, &b, &mut y);
    for i in 0..3 {
        let want = a[i] / (1.0 + (-a[i]).exp()) * b[i];
        assert!((y[i] - want).abs() < 1e-6);
    }
}
