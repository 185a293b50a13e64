use super::*;
extern crate std;
use std::vec::Vec;

fn naive_dft(x: &[(f64, f64)], n: usize, inverse: bool) -> Vec<(f64, f64)> {
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n)
        .map(|k| {
            let mut acc = (0.0, 0.0);
            for (t, &(re, im)) in x.iter().enumerate().take(n) {
                let a = sign * 2.0 * core::f64::consts::PI * (k * t) as f64 / n as f64;
                let (c, s) = (std::primitive::f64::cos(a), std::primitive::f64::sin(a));
                acc.0 += re * c - im * s;
                acc.1 += re * s + im * c;
            }
            let scale = if inverse { 1.0 / n as f64 } else { 1.0 };
            (acc.0 * scale, acc.1 * scale)
        })
        .collect()
}

#[test]
fn turns_are_accurate() {
    for n in [1u64, 2, 3, 7, 8, 10, 1000, 4097] {
        for m in 0..(3 * n).min(9000) {
            let a = 2.0 * core::f64::consts::PI * (m % n) as f64 / n as f64;
            let (c, s) = turn_cos_sin(m, n);
            assert!((c - a.cos()).abs() < 1e-14 && (s - a.sin()).abs() < 1e-14, "{m}/{n}");
        }
    }
}

#[test]
fn complex_dft_padded_and_inverse() {
    let x: Vec<(f64, f64)> = (0..6).map(|i| (i as f64 * 0.5 - 1.0, (i * i) as f64 * 0.1)).collect();
    let flat: Vec<f64> = x.iter().flat_map(|&(a, b)| [a, b]).collect();
    for (n, inverse) in [(6, false), (8, false), (4, true), (6, true)] {
        let p = DftParams { outer: 1, len_in: 6, inner: 1, c_in: 2, n, len_out: n, inverse, real_output: false };
        let mut y = std::vec![0.0f64; 2 * n];
        dft(&p, &flat, &mut y);
        let want = naive_dft(&x, n, inverse);
        for (k, w) in want.iter().enumerate() {
            assert!((y[2 * k] - w.0).abs() < 1e-12 && (y[2 * k + 1] - w.1).abs() < 1e-12);
        }
    }
}

#[test]
fn onesided_then_real_inverse_round_trips() {
    for n in [7usize, 8] {
        let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.7).sin() + 0.25).collect();
        let bins = n / 2 + 1;
        let fwd = DftParams { outer: 1, len_in: n, inner: 1, c_in: 1, n, len_out: bins, inverse: false, real_output: false };
        let mut spec = std::vec![0.0f32; 2 * bins];
        dft(&fwd, &x, &mut spec);
        let inv = DftParams { outer: 1, len_in: bins, inner: 1, c_in: 2, n, len_out: n, inverse: true, real_output: true };
        let mut back = std::vec![0.0f32; n];
        dft(&inv, &spec, &mut back);
        for (a, b) in x.iter().zip(&back) {
            assert!((a - b).abs() < 1e-5, "{x:?} {back:?}");
        }
    }
}

#[test]
fn stft_frames_match_dft() {
    let x: Vec<f32> = (0..20).map(|i| (i as f32 * 0.3).cos()).collect();
    let w: Vec<f32> = (0..8).map(|i| 0.5 + i as f32 * 0.1).collect();
    let p = StftParams { batch: 1, signal_len: 20, c_in: 1, frames: 4, frame_step: 4, frame_len: 8, bins: 5 };
    let mut y = std::vec![0.0f32; 4 * 5 * 2];
    stft(&p, &x, Some(&w), &mut y);
    for f in 0..4 {
        let frame: Vec<(f64, f64)> = (0..8).map(|t| (f64::from(x[f * 4 + t] * w[t]), 0.0)).collect();
        let want = naive_dft(&frame, 8, false);
        for (k, w) in want.iter().enumerate().take(5) {
            let at = (f * 5 + k) * 2;
            assert!((f64::from(y[at]) - w.0).abs() < 1e-5 && (f64::from(y[at + 1]) - w.1).abs() < 1e-5);
        }
    }
}

#[test]
fn hann_window_values() {
    let mut y = [0.0f64; 4];
    window(&WindowParams { size: 4, periodic: true, a0: 0.5, a1: 0.5, a2: 0.0 }, &mut y);
    let want = [0.0, 0.5, 1.0, 0.5];
    assert!(y.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-15), "{y:?}");
    let mut s = [0.0f32; 3];
    window(&WindowParams { size: 3, periodic: false, a0: 0.5, a1: 0.5, a2: 0.0 }, &mut s);
    assert_eq!(s, [0.0, 1.0, 0.0]);
}

#[test]
fn tensor_scatter_linear_and_circular() {
    // cache [2, 4, 1], update [2, 2, 1].
    let cache = [0i32; 8];
    let update = [1, 2, 3, 4];
    let mut y = [9; 8];
    let p = TensorScatterParams { batch: 2, mid: 1, max_len: 4, len: 2, inner: 1, circular: false };
    tensor_scatter(&p, &cache, &update, Some(&[1, 3]), &mut y);
    assert_eq!(y, [0, 1, 2, 0, 0, 0, 0, 3]);
    tensor_scatter(&TensorScatterParams { circular: true, ..p }, &cache, &update, Some(&[1, 3]), &mut y);
    assert_eq!(y, [0, 1, 2, 0, 4, 0, 0, 3]);
}
