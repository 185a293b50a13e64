//! ONNX `RMSNormalization` and `LpNormalization`, on any float type (computed in f32).

use super::real::{FloatKind, Real};
use crate::rt::math;

/// Shape of one `RMSNormalization`: `outer` rows of `inner` elements, normalized per row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsNormParams {
    pub outer: usize,
    pub inner: usize,
    /// Added to the mean square before the square root.
    pub epsilon: f32,
    pub elem: FloatKind,
}

/// Per row: `y = x / sqrt(mean(x^2) + eps) * scale` (`scale` has `inner` elements).
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn rms_norm<T: Real>(p: &RmsNormParams, x: &[T], scale: &[T], y: &mut [T]) {
    let n = p.inner;
    let total = p.outer * n;
    let (Some(x), Some(y), Some(scale)) = (x.get(..total), y.get_mut(..total), scale.get(..n)) else {
        return;
    };
    if n == 0 {
        return;
    }
    let e = p.elem;
    for (xr, yr) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)) {
        let mut sq = 0.0f32;
        for &v in xr {
            let v = v.get(e);
            sq += v * v;
        }
        let inv = 1.0 / math::sqrt(sq / n as f32 + p.epsilon);
        for ((yv, &xv), &s) in yr.iter_mut().zip(xr).zip(scale) {
            *yv = T::put(xv.get(e) * inv * s.get(e), e);
        }
    }
}

/// Shape of one `LpNormalization`: the input viewed as `[outer, axis_len, inner]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LpNormParams {
    pub outer: usize,
    pub axis_len: usize,
    pub inner: usize,
    /// 1 or 2.
    pub p: u8,
    pub elem: FloatKind,
}

/// `y = x / ||x||_p` along the axis (0 where the norm is 0).
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn lp_norm<T: Real>(p: &LpNormParams, x: &[T], y: &mut [T]) {
    let block = p.axis_len * p.inner;
    let total = p.outer * block;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    if block == 0 {
        return;
    }
    let e = p.elem;
    for (xb, yb) in x.chunks_exact(block).zip(y.chunks_exact_mut(block)) {
        for i in 0..p.inner {
            let mut acc = 0.0f32;
            for &v in xb.iter().skip(i).step_by(p.inner) {
                let v = v.get(e);
                acc += if p.p == 1 { math::abs(v) } else { v * v };
            }
            let norm = if p.p == 1 { acc } else { math::sqrt(acc) };
            for (yv, &xv) in yb.iter_mut().skip(i).step_by(p.inner).zip(xb.iter().skip(i).step_by(p.inner)) {
                *yv = T::put(if norm == 0.0 { 0.0 } else { xv.get(e) / norm }, e);
            }
        }
    }
}

/// Geometry of `GroupNormalization` over `[N, C, spatial]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GroupNormParams {
    pub batch: usize,
    pub channels: usize,
    pub spatial: usize,
    pub groups: usize,
    pub epsilon: f32,
    /// Scale and bias have one value per group (opset 18) instead of per channel.
    pub per_group: bool,
}

/// `y = (x - mean) / sqrt(var + eps) * scale + bias`, statistics per (batch, group).
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn group_norm(p: &GroupNormParams, x: &[f32], scale: &[f32], bias: &[f32], y: &mut [f32]) {
    let total = p.batch * p.channels * p.spatial;
    let params = if p.per_group { p.groups } else { p.channels };
    let (Some(x), Some(y), Some(scale), Some(bias)) = (x.get(..total), y.get_mut(..total), scale.get(..params), bias.get(..params)) else {
        return;
    };
    if p.groups == 0 || p.channels % p.groups != 0 || total == 0 {
        return;
    }
    let per = p.channels / p.groups;
    let block = per * p.spatial;
    for (gi, (xb, yb)) in x.chunks_exact(block).zip(y.chunks_exact_mut(block)).enumerate() {
        let (mean, inv) = super::norm::mean_inv_std(xb, p.epsilon);
        let g = gi % p.groups;
        for (ci, (xc, yc)) in xb.chunks_exact(p.spatial).zip(yb.chunks_exact_mut(p.spatial)).enumerate() {
            let at = if p.per_group { g } else { g * per + ci };
            let (s, b) = (scale.get(at).copied().unwrap_or(1.0), bias.get(at).copied().unwrap_or(0.0));
            for (yv, &xv) in yc.iter_mut().zip(xc) {
                *yv = (xv - mean) * inv * s + b;
            }
        }
    }
}

/// Geometry of `MeanVarianceNormalization`: statistics over the `reduced` axes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MvnParams {
    pub rank: usize,
    pub shape: [usize; 8],
    pub reduced: [bool; 8],
}

/// `y = (x - mean) / (sqrt(E[x^2] - mean^2) + 1e-9)` over the reduced axes.
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn mean_variance_norm(p: &MvnParams, x: &[f32], y: &mut [f32]) {
    let rank = if p.rank < 8 { p.rank } else { 8 };
    let total: usize = p.shape.iter().take(rank).product();
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    let mut strides = [0usize; 8];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(&p.shape).take(rank).rev() {
        *s = acc;
        acc *= d;
    }
    // Offsets of the kept and reduced index combinations (mixed radix over the chosen axes).
    let offset = |mut i: usize, keep: bool| -> usize {
        let mut off = 0;
        for d in (0..rank).rev() {
            let (Some(&len), Some(&s), Some(&red)) = (p.shape.get(d), strides.get(d), p.reduced.get(d)) else {
                continue;
            };
            if red == keep || len == 0 {
                continue;
            }
            off += (i % len) * s;
            i /= len;
        }
        off
    };
    let count = |keep: bool| -> usize {
        p.shape.iter().zip(&p.reduced).take(rank).filter(|(_, &r)| r != keep).map(|(&d, _)| d).product()
    };
    let (kept, red) = (count(true), count(false));
    if red == 0 {
        return;
    }
    for k in 0..kept {
        let base = offset(k, true);
        let (mut sum, mut sq) = (0.0f32, 0.0f32);
        for r in 0..red {
            let v = x.get(base + offset(r, false)).copied().unwrap_or(0.0);
            sum += v;
            sq += v * v;
        }
        let mean = sum / red as f32;
        let var = sq / red as f32 - mean * mean;
        let denom = math::sqrt(if var > 0.0 { var } else { 0.0 }) + 1e-9;
        for r in 0..red {
            let at = base + offset(r, false);
            if let (Some(yv), Some(&xv)) = (y.get_mut(at), x.get(at)) {
                *yv = (xv - mean) / denom;
            }
        }
    }
}

/// Geometry of `LRN` over `[N, C, spatial]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrnParams {
    pub batch: usize,
    pub channels: usize,
    pub spatial: usize,
    pub size: usize,
    pub alpha: f32,
    pub beta: f32,
    pub bias: f32,
}

/// `y = x / (bias + alpha / size * sum of x^2 over neighbouring channels)^beta`.
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn lrn(p: &LrnParams, x: &[f32], y: &mut [f32]) {
    let plane = p.channels * p.spatial;
    let total = p.batch * plane;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    if plane == 0 || p.size == 0 {
        return;
    }
    let before = (p.size - 1) / 2;
    let after = p.size - 1 - before;
    for (xn, yn) in x.chunks_exact(plane).zip(y.chunks_exact_mut(plane)) {
        for (i, yv) in yn.iter_mut().enumerate() {
            let (c, s) = (i / p.spatial, i % p.spatial);
            let lo = c.saturating_sub(before);
            let hi = if c + after < p.channels { c + after } else { p.channels - 1 };
            let mut sq = 0.0f32;
            for cc in lo..=hi {
                let v = xn.get(cc * p.spatial + s).copied().unwrap_or(0.0);
                sq += v * v;
            }
            let xv = xn.get(i).copied().unwrap_or(0.0);
            *yv = xv / math::pow(p.bias + p.alpha / p.size as f32 * sq, p.beta);
        }
    }
}
