//! SIMD `Softmax` over the last axis (contiguous rows) with the vector `exp`; other layouts
//! and `LogSoftmax` use the generic kernel.

use super::simd_math::exp;
use super::softmax::SoftmaxParams;
use super::vec::{add, hmax, hsum, load, load_tail, max, mul, splat, store, store_tail, sub, tail, zero, F32s, LANES};

/// `y = exp(x - max) / sum(exp(x - max))` along the axis, same contract as the generic kernel.
#[inline(always)]
pub fn softmax(p: &SoftmaxParams, x: &[f32], y: &mut [f32]) {
    let len = p.axis_len;
    if p.log || p.inner != 1 || len == 0 {
        return super::softmax::softmax(p, x, y);
    }
    let total = p.outer * len;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    for (xr, yr) in x.chunks_exact(len).zip(y.chunks_exact_mut(len)) {
        softmax_row(xr, yr);
    }
}

/// Softmax of one contiguous row (`x` and `y` of equal length).
#[inline(always)]
pub fn softmax_row(x: &[f32], y: &mut [f32]) {
    if x.len() != y.len() {
        return;
    }
    let full = x.len() / LANES * LANES;
    let rest = x.len() - full;
    let t = tail(rest);
    // SAFETY (all blocks below): vector `v` covers elements `v * LANES..(v + 1) * LANES` of
    // `x` and `y` (equal lengths, checked by the caller) below `full`; the tail vector is
    // masked to the last `rest` elements.
    let mut m = splat(f32::NEG_INFINITY);
    for v in 0..full / LANES {
        m = max(m, unsafe { load(x.as_ptr().add(v * LANES)) });
    }
    let mut row_max = hmax(m);
    for &v in x.iter().skip(full) {
        if v > row_max || v.is_nan() {
            row_max = v;
        }
    }
    let mx = splat(row_max);
    let mut s: F32s = zero();
    for v in 0..full / LANES {
        let e = exp(sub(unsafe { load(x.as_ptr().add(v * LANES)) }, mx));
        unsafe { store(y.as_mut_ptr().add(v * LANES), e) };
        s = add(s, e);
    }
    let mut sum = hsum(s);
    if rest > 0 {
        let e = exp(sub(unsafe { load_tail(x.as_ptr().add(full), t) }, mx));
        unsafe { store_tail(y.as_mut_ptr().add(full), e, t) };
        sum += y.iter().skip(full).sum::<f32>();
    }
    let inv = splat(1.0 / sum);
    for v in 0..full / LANES {
        unsafe {
            let p = y.as_mut_ptr().add(v * LANES);
            store(p, mul(load(p), inv));
        }
    }
    if rest > 0 {
        unsafe {
            let p = y.as_mut_ptr().add(full);
            store_tail(p, mul(load_tail(p, t), inv), t);
        }
    }
}
