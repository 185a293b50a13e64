//! Vectorized `exp`, `erf` and the activations built on them (GELU, sigmoid, tanh), over the
//! target's `vec.rs`, for the epilogues of the SIMD kernels.
//!
//! Accuracy (tested against `f64` in `simd_tests.rs`): `exp` within 2 ulp-ish (relative error
//! below 3e-7 on `[-87, 88]`), `erf` within 5e-7 absolute (Abramowitz–Stegun 7.1.26 with the
//! vector `exp`), so GELU, sigmoid and tanh stay within about 1e-6 absolute of the `f64` formula.

use super::activation::Activation;
use super::vec::{abs, copysign, div, fma, load, load_tail, max, min, mul, pow2i, round, splat, store, store_tail, sub, tail, F32s, LANES};

/// `e^x`, with `x` clamped to `[-87, 88]` (results in the normal range of f32).
#[inline(always)]
pub fn exp(x: F32s) -> F32s {
    const LOG2E: f32 = core::f32::consts::LOG2_E;
    // ln 2 split in two so that `n · LN2_HI` is exact for |n| <= 128.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let x = min(splat(88.0), max(splat(-87.0), x));
    let n = round(mul(x, splat(LOG2E)));
    let r = fma(n, splat(-LN2_LO), fma(n, splat(-LN2_HI), x));
    // e^r on |r| <= ln2/2: Taylor series to degree 7 (truncation error < 2e-8 relative).
    let mut p = splat(1.0 / 5040.0);
    p = fma(p, r, splat(1.0 / 720.0));
    p = fma(p, r, splat(1.0 / 120.0));
    p = fma(p, r, splat(1.0 / 24.0));
    p = fma(p, r, splat(1.0 / 6.0));
    p = fma(p, r, splat(0.5));
    p = fma(p, r, splat(1.0));
    p = fma(p, r, splat(1.0));
    mul(p, pow2i(n))
}

/// The Gauss error function (Abramowitz–Stegun 7.1.26: |error| <= 1.5e-7, 5e-7 with f32 rounding).
#[inline(always)]
pub fn erf(x: F32s) -> F32s {
    let a = abs(x);
    let t = div(splat(1.0), fma(splat(0.327_591_1), a, splat(1.0)));
    let mut p = splat(1.061_405_4);
    p = fma(p, t, splat(-1.453_152_1));
    p = fma(p, t, splat(1.421_413_8));
    p = fma(p, t, splat(-0.284_496_72));
    p = fma(p, t, splat(0.254_829_6));
    p = mul(p, t);
    let e = exp(sub(splat(0.0), mul(a, a)));
    copysign(sub(splat(1.0), mul(p, e)), x)
}

/// `act(x)` for the activations computed here; `None` for the others.
#[inline(always)]
pub fn activation(act: Activation, x: F32s) -> Option<F32s> {
    Some(match act {
        Activation::None => x,
        Activation::Relu => max(splat(0.0), x),
        Activation::Clip { min: lo, max: hi } => min(splat(hi), max(splat(lo), x)),
        Activation::Gelu => {
            let half = mul(splat(0.5), x);
            fma(half, erf(mul(x, splat(core::f32::consts::FRAC_1_SQRT_2))), half)
        }
        Activation::Sigmoid => sigmoid(x),
        Activation::Tanh => sub(mul(splat(2.0), sigmoid(mul(splat(2.0), x))), splat(1.0)),
        Activation::Exp => exp(x),
        _ => return None,
    })
}

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: F32s) -> F32s {
    div(splat(1.0), fma(exp(sub(splat(0.0), x)), splat(1.0), splat(1.0)))
}

/// Applies `act` to every element of `y` in place; false (nothing written) if `act` has no
/// vector form here.
#[inline(always)]
pub fn apply_in_place(act: Activation, y: &mut [f32]) -> bool {
    if activation(act, splat(0.0)).is_none() {
        return false;
    }
    if act == Activation::None {
        return true;
    }
    let mut chunks = y.chunks_exact_mut(LANES);
    for chunk in &mut chunks {
        // SAFETY: `chunk` holds exactly LANES floats.
        unsafe {
            let v = load(chunk.as_ptr());
            store(chunk.as_mut_ptr(), activation(act, v).unwrap_or(v));
        }
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        let t = tail(rest.len());
        // SAFETY: the masked lanes are exactly the `rest.len()` elements of `rest`.
        unsafe {
            let v = load_tail(rest.as_ptr(), t);
            store_tail(rest.as_mut_ptr(), activation(act, v).unwrap_or(v), t);
        }
    }
    true
}
