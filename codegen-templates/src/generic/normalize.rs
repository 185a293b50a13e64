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
