//! Normalizations: ONNX `BatchNormalization` (inference), `LayerNormalization`,
//! `InstanceNormalization`.

use crate::rt::math;

/// Shape of one inference-mode `BatchNormalization` over `[N, C, spatial...]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchNormParams {
    /// N.
    pub batch: usize,
    /// C.
    pub channels: usize,
    /// Product of the spatial dimensions (1 for `[N, C]` input).
    pub spatial: usize,
    /// Added to the variance before the square root.
    pub epsilon: f32,
}

/// `y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c]`, folded per channel into
/// `y = x * a + b` with `a = scale / sqrt(var + eps)` and `b = bias - mean * a` (as ORT does).
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn batch_norm(
    p: &BatchNormParams,
    x: &[f32],
    scale: &[f32],
    bias: &[f32],
    mean: &[f32],
    var: &[f32],
    y: &mut [f32],
) {
    let c = p.channels;
    let total = p.batch * c * p.spatial;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    let (Some(scale), Some(bias), Some(mean), Some(var)) =
        (scale.get(..c), bias.get(..c), mean.get(..c), var.get(..c))
    else {
        return;
    };
    if total == 0 {
        return; // nothing to write
    }
    let channel_params = scale.iter().zip(bias).zip(mean.iter().zip(var));
    for (xn, yn) in x
        .chunks_exact(c * p.spatial)
        .zip(y.chunks_exact_mut(c * p.spatial))
    {
        let planes = xn
            .chunks_exact(p.spatial)
            .zip(yn.chunks_exact_mut(p.spatial));
        for ((xp, yp), ((&s, &bv), (&mv, &vv))) in planes.zip(channel_params.clone()) {
            let a = s / math::sqrt(vv + p.epsilon);
            let b = bv - mv * a;
            for (yv, &xv) in yp.iter_mut().zip(xp) {
                *yv = xv * a + b;
            }
        }
    }
}

/// Shape of one `LayerNormalization`: `outer` rows of `inner` elements, normalized per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LayerNormParams {
    /// Product of the dimensions before `axis`.
    pub outer: usize,
    /// Product of the dimensions from `axis` on (the normalized row length).
    pub inner: usize,
    /// Added to the variance before the square root.
    pub epsilon: f32,
}

/// Per row: `y = (x - mean) / sqrt(var + eps) * scale + bias`, with the variance computed
/// two-pass as the mean of squared deviations.
///
/// `scale` and `bias` have `inner` elements (the compiler expands broadcasts). Does nothing if a
/// buffer is too short.
#[inline(always)]
pub fn layer_norm(
    p: &LayerNormParams,
    x: &[f32],
    scale: &[f32],
    bias: Option<&[f32]>,
    y: &mut [f32],
) {
    let n = p.inner;
    let total = p.outer * n;
    let (Some(x), Some(y), Some(scale)) = (x.get(..total), y.get_mut(..total), scale.get(..n))
    else {
        return;
    };
    let bias = match bias.map(|b| b.get(..n)) {
        Some(None) => return,
        Some(Some(b)) => Some(b),
        None => None,
    };
    if n == 0 {
        return;
    }
    for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
        let (mean, inv_std) = mean_inv_std(xr, p.epsilon);
        match bias {
            Some(b) => {
                for (((yv, &xv), &s), &bv) in yr.iter_mut().zip(xr).zip(scale).zip(b) {
                    *yv = (xv - mean) * inv_std * s + bv;
                }
            }
            None => {
                for ((yv, &xv), &s) in yr.iter_mut().zip(xr).zip(scale) {
                    *yv = (xv - mean) * inv_std * s;
                }
            }
        }
    }
}

/// The optional outputs of `LayerNormalization`: per row, the mean and `1 / sqrt(var + eps)`.
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn layer_norm_stats(p: &LayerNormParams, x: &[f32], mean: Option<&mut [f32]>, inv_std: Option<&mut [f32]>) {
    let n = p.inner;
    let Some(x) = x.get(..p.outer * n) else {
        return;
    };
    let mut mean = mean.and_then(|m| m.get_mut(..p.outer));
    let mut inv_std = inv_std.and_then(|s| s.get_mut(..p.outer));
    if n == 0 {
        return;
    }
    for (r, xr) in x.chunks_exact(n).enumerate() {
        let (m, s) = mean_inv_std(xr, p.epsilon);
        if let Some(slot) = mean.as_deref_mut().and_then(|v| v.get_mut(r)) {
            *slot = m;
        }
        if let Some(slot) = inv_std.as_deref_mut().and_then(|v| v.get_mut(r)) {
            *slot = s;
        }
    }
}

/// Mean and `1 / sqrt(var + eps)` of `v` (non-empty), with the variance computed two-pass.
#[inline(always)]
pub fn mean_inv_std(v: &[f32], epsilon: f32) -> (f32, f32) {
    let len = v.len() as f32;
    let mut sum = 0.0f32;
    for &a in v {
        sum += a;
    }
    let mean = sum / len;
    let mut sq = 0.0f32;
    for &a in v {
        let d = a - mean;
        sq += d * d;
    }
    let var = sq / len;
    (mean, 1.0 / math::sqrt(var + epsilon))
}

/// Shape of one `InstanceNormalization` over `[N, C, spatial...]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InstanceNormParams {
    /// N.
    pub batch: usize,
    /// C.
    pub channels: usize,
    /// Product of the spatial dimensions (the normalized plane length).
    pub spatial: usize,
    /// Added to the variance before the square root.
    pub epsilon: f32,
}

/// Per `(n, c)` plane: `y = (x - mean) / sqrt(var + eps) * scale[c] + bias[c]` (two-pass variance).
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn instance_norm(
    p: &InstanceNormParams,
    x: &[f32],
    scale: &[f32],
    bias: &[f32],
    y: &mut [f32],
) {
    let c = p.channels;
    let total = p.batch * c * p.spatial;
    let (Some(x), Some(y), Some(scale), Some(bias)) = (
        x.get(..total),
        y.get_mut(..total),
        scale.get(..c),
        bias.get(..c),
    ) else {
        return;
    };
    if total == 0 {
        return; // nothing to write
    }
    for (xn, yn) in x
        .chunks_exact(c * p.spatial)
        .zip(y.chunks_exact_mut(c * p.spatial))
    {
        let planes = xn
            .chunks_exact(p.spatial)
            .zip(yn.chunks_exact_mut(p.spatial));
        for ((xp, yp), (&s, &bv)) in planes.zip(scale.iter().zip(bias)) {
            let (mean, inv_std) = mean_inv_std(xp, p.epsilon);
            let a = inv_std * s;
            let b = bv - mean * a;
            for (yv, &xv) in yp.iter_mut().zip(xp) {
                *yv = xv * a + b;
            }
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
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(31337);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn assert_close(got: &[f32], want: &[f64], tol: f64) {
        assert_eq!(got.len(), want.len());
        for (i, (&g, &e)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                (g as f64 - e).abs() <= tol * (1.0 + e.abs()),
                "at {i}: {g} vs {e}"
            );
        }
    }

    fn stats(v: &[f32]) -> (f64, f64) {
        let n = v.len() as f64;
        let mean = v.iter().map(|&a| a as f64).sum::<f64>() / n;
        let var = v.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / n;
        (mean, var)
    }

    #[test]
    fn batch_norm_matches_formula() {
        for &(n, c, s) in &[(1, 1, 1), (2, 3, 7), (1, 7, 17), (3, 17, 1)] {
            let x = fill(n * c * s, 1);
            let scale = fill(c, 2);
            let bias = fill(c, 3);
            let mean = fill(c, 4);
            let var: Vec<f32> = fill(c, 5).iter().map(|v| v.abs() + 0.1).collect();
            let p = BatchNormParams {
                batch: n,
                channels: c,
                spatial: s,
                epsilon: 1e-5,
            };
            let mut y = std::vec![f32::NAN; x.len()];
            batch_norm(&p, &x, &scale, &bias, &mean, &var, &mut y);
            let want: Vec<f64> = (0..x.len())
                .map(|i| {
                    let ch = (i / s) % c;
                    (x[i] as f64 - mean[ch] as f64) / (var[ch] as f64 + 1e-5).sqrt()
                        * scale[ch] as f64
                        + bias[ch] as f64
                })
                .collect();
            assert_close(&y, &want, 1e-5);
        }
        // Operators.md example: x = [[[-1, 0, 1]], [[2, 3, 4]]] (N=1, C=2, 1x3),
        // s = [1, 1.5], bias = [0, 1], mean = [0, 3], var = [1, 1.5], eps = 1e-5.
        let x = [-1.0f32, 0.0, 1.0, 2.0, 3.0, 4.0];
        let p = BatchNormParams {
            batch: 1,
            channels: 2,
            spatial: 3,
            epsilon: 1e-5,
        };
        let mut y = [0.0f32; 6];
        batch_norm(
            &p,
            &x,
            &[1.0, 1.5],
            &[0.0, 1.0],
            &[0.0, 3.0],
            &[1.0, 1.5],
            &mut y,
        );
        let want = [-0.999_995, 0.0, 0.999_995, -0.224_743, 1.0, 2.224_743];
        assert_close(&y, &want, 1e-5);
    }

    #[test]
    fn layer_norm_matches_formula() {
        for &(outer, inner) in &[(1, 1), (3, 7), (7, 17), (17, 3)] {
            let x = fill(outer * inner, 6);
            let scale = fill(inner, 7);
            let bias = fill(inner, 8);
            let p = LayerNormParams {
                outer,
                inner,
                epsilon: 1e-5,
            };
            for with_bias in [false, true] {
                let mut y = std::vec![f32::NAN; x.len()];
                layer_norm(
                    &p,
                    &x,
                    &scale,
                    if with_bias { Some(&bias) } else { None },
                    &mut y,
                );
                let mut want = Vec::new();
                for r in 0..outer {
                    let row = &x[r * inner..][..inner];
                    let (mean, var) = stats(row);
                    for j in 0..inner {
                        let b = if with_bias { bias[j] as f64 } else { 0.0 };
                        want.push(
                            (row[j] as f64 - mean) / (var + 1e-5).sqrt() * scale[j] as f64 + b,
                        );
                    }
                }
                assert_close(&y, &want, 1e-4);
            }
        }
        // Large offset: two-pass keeps the variance accurate.
        let x = [1000.0f32, 1001.0, 1002.0, 1003.0];
        let p = LayerNormParams {
            outer: 1,
            inner: 4,
            epsilon: 0.0,
        };
        let mut y = [0.0f32; 4];
        layer_norm(&p, &x, &[1.0; 4], None, &mut y);
        let s = 1.25f64.sqrt();
        assert_close(&y, &[-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-5);
    }

    #[test]
    fn instance_norm_matches_formula() {
        for &(n, c, s) in &[(1, 1, 1), (2, 3, 7), (1, 7, 17), (3, 2, 3)] {
            let x = fill(n * c * s, 9);
            let scale = fill(c, 10);
            let bias = fill(c, 11);
            let p = InstanceNormParams {
                batch: n,
                channels: c,
                spatial: s,
                epsilon: 1e-5,
            };
            let mut y = std::vec![f32::NAN; x.len()];
            instance_norm(&p, &x, &scale, &bias, &mut y);
            let mut want = Vec::new();
            for plane in 0..n * c {
                let ch = plane % c;
                let xp = &x[plane * s..][..s];
                let (mean, var) = stats(xp);
                for &v in xp {
                    want.push(
                        (v as f64 - mean) / (var + 1e-5).sqrt() * scale[ch] as f64
                            + bias[ch] as f64,
                    );
                }
            }
            assert_close(&y, &want, 1e-4);
        }
    }
}
