//! ONNX `Softmax` / `LogSoftmax` (opset >= 13: over one axis).

use crate::rt::math;

/// Shape of one softmax: the input viewed as `[outer, axis_len, inner]`, reduced over the middle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftmaxParams {
    /// Product of the dimensions before the axis.
    pub outer: usize,
    /// Length of the softmax axis.
    pub axis_len: usize,
    /// Product of the dimensions after the axis (1 when the axis is last).
    pub inner: usize,
    /// `LogSoftmax` instead of `Softmax`.
    pub log: bool,
}

/// `y = exp(x - max) / sum(exp(x - max))` along the axis, or `x - max - ln(sum)` when `log`.
///
/// Subtracting the maximum keeps `exp` in range. Does nothing if a buffer is too short.
#[inline(always)]
pub fn softmax(p: &SoftmaxParams, x: &[f32], y: &mut [f32]) {
    let (len, inner) = (p.axis_len, p.inner);
    let block = len * inner;
    let total = p.outer * block;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    if block == 0 {
        return;
    }
    for (xb, yb) in x.chunks_exact(block).zip(y.chunks_exact_mut(block)) {
        if inner == 1 {
            softmax_row(xb, yb, p.log);
            continue;
        }
        // Position `i` of the inner dims: the axis runs over every `inner`-th element from `i`.
        for i in 0..inner {
            let xs = || xb.iter().skip(i).step_by(inner);
            let mut max = f32::MIN;
            for &v in xs() {
                if v > max || v.is_nan() {
                    max = v;
                }
            }
            let mut sum = 0.0f32;
            if p.log {
                for &v in xs() {
                    sum += math::exp(v - max);
                }
                let off = max + math::ln(sum);
                for (yv, &v) in yb.iter_mut().skip(i).step_by(inner).zip(xs()) {
                    *yv = v - off;
                }
            } else {
                for (yv, &v) in yb.iter_mut().skip(i).step_by(inner).zip(xs()) {
                    let e = math::exp(v - max);
                    *yv = e;
                    sum += e;
                }
                for yv in yb.iter_mut().skip(i).step_by(inner) {
                    *yv /= sum;
                }
            }
        }
    }
}

/// Softmax (or log-softmax) of one contiguous row.
#[inline(always)]
pub fn softmax_row(x: &[f32], y: &mut [f32], log: bool) {
    let mut max = f32::MIN;
    for &v in x {
        if v > max || v.is_nan() {
            max = v;
        }
    }
    let mut sum = 0.0f32;
    if log {
        for &v in x {
            sum += math::exp(v - max);
        }
        let off = max + math::ln(sum);
        for (yv, &v) in y.iter_mut().zip(x) {
            *yv = v - off;
        }
    } else {
        for (yv, &v) in y.iter_mut().zip(x) {
            let e = math::exp(v - max);
            *yv = e;
            sum += e;
        }
        for yv in y.iter_mut() {
            *yv /= sum;
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn fill(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(5);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 100.0 - 10.0
            })
            .collect()
    }

    fn naive(p: &SoftmaxParams, x: &[f32]) -> Vec<f64> {
        let mut y = std::vec![0.0f64; x.len()];
        for o in 0..p.outer {
            for i in 0..p.inner {
                let idx = |a: usize| (o * p.axis_len + a) * p.inner + i;
                let max = (0..p.axis_len)
                    .map(|a| x[idx(a)] as f64)
                    .fold(f64::MIN, f64::max);
                let sum: f64 = (0..p.axis_len)
                    .map(|a| (x[idx(a)] as f64 - max).exp())
                    .sum();
                for a in 0..p.axis_len {
                    let v = x[idx(a)] as f64;
                    y[idx(a)] = if p.log {
                        v - max - sum.ln()
                    } else {
                        (v - max).exp() / sum
                    };
                }
            }
        }
        y
    }

    #[test]
    fn matches_naive() {
        for &(outer, len, inner) in &[(1, 1, 1), (3, 7, 1), (1, 17, 3), (7, 3, 17), (2, 1, 7)] {
            for log in [false, true] {
                let p = SoftmaxParams {
                    outer,
                    axis_len: len,
                    inner,
                    log,
                };
                let x = fill(outer * len * inner, 3);
                let want = naive(&p, &x);
                let mut got = std::vec![f32::NAN; x.len()];
                softmax(&p, &x, &mut got);
                for (i, (&g, &e)) in got.iter().zip(want.iter()).enumerate() {
                    assert!(
                        (g as f64 - e).abs() <= 1e-5 * (1.0 + e.abs()),
                        "{p:?} at {i}: {g} vs {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn spec_example_and_large_values() {
        // Operators.md: softmax([[-1, 0, 1]]) = [[0.09003058, 0.24472848, 0.66524094]]
        let p = SoftmaxParams {
            outer: 1,
            axis_len: 3,
            inner: 1,
            log: false,
        };
        let mut y = [0.0f32; 3];
        softmax(&p, &[-1.0, 0.0, 1.0], &mut y);
        let want = [0.090_030_58f32, 0.244_728_48, 0.665_240_94];
        for (g, e) in y.iter().zip(want.iter()) {
            assert!((g - e).abs() < 1e-6);
        }
        // logsoftmax([[-1, 0, 1]]) = [[-2.4076061, -1.407606, -0.407606]]
        let p = SoftmaxParams { log: true, ..p };
        softmax(&p, &[-1.0, 0.0, 1.0], &mut y);
        let want = [-2.407_606_1f32, -1.407_606, -0.407_606];
        for (g, e) in y.iter().zip(want.iter()) {
            assert!((g - e).abs() < 1e-5);
        }
        // Large inputs do not overflow.
        let p = SoftmaxParams { log: false, ..p };
        softmax(&p, &[10000.0, 10001.0, 10002.0], &mut y);
        let want = [0.090_030_58f32, 0.244_728_48, 0.665_240_94];
        for (g, e) in y.iter().zip(want.iter()) {
            assert!((g - e).abs() < 1e-6);
        }
    }
}
