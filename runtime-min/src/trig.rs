//! More scalar math for `no_std` kernels: tangent, inverse trigonometric and hyperbolic
//! functions, and the smooth activations built on `exp`/`ln` (softplus, mish).
//!
//! Like `math.rs`, each `f32` function is evaluated in `f64` and rounded once at the end; the
//! `f64` helpers (`*_64`) have a relative error of a few 2^-52 away from the places where the
//! function itself is ill-conditioned (e.g. `acos` near 1 is conditioned by its argument). NaN
//! gives NaN; domain errors (`asin(2)`, `acosh(0.5)`, `atanh(2)`) give NaN; `atanh(±1) = ±∞`.

use super::math::{exp64, expm1_64, ln64, sincos64};
use core::f64::consts::{FRAC_PI_2, FRAC_PI_6};

/// Square root in f64 for finite `x >= 0`: the f32 square root refined by two Newton steps.
pub fn sqrt64(x: f64) -> f64 {
    if x <= 0.0 || x.is_nan() || x == f64::INFINITY {
        return if x == 0.0 || x == f64::INFINITY { x } else { f64::NAN };
    }
    // Scale into f32's normal range so the first guess is good, then undo (by an even power).
    let (scaled, k) = if x > 1e30 {
        (x * 1e-60, 1e30)
    } else if x < 1e-30 {
        (x * 1e60, 1e-30)
    } else {
        (x, 1.0)
    };
    let mut y = super::math::sqrt(scaled as f32) as f64;
    y = 0.5 * (y + scaled / y);
    y = 0.5 * (y + scaled / y);
    y * k
}

/// `ln(1 + x)` in f64 for `x > -1`, accurate also for tiny `x`.
pub fn ln1p64(x: f64) -> f64 {
    if x.is_nan() || x == f64::INFINITY {
        return x;
    }
    if x <= -1.0 {
        return if x == -1.0 { f64::NEG_INFINITY } else { f64::NAN };
    }
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    // ln(u) · x / (u - 1) corrects the rounding of 1 + x (Goldberg's trick).
    ln64(u) * x / (u - 1.0)
}

/// Arctangent in f64, odd, in `(-π/2, π/2)`.
pub fn atan64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    // atan(a) = π/2 - atan(1/a) for a > 1.
    let (t, flip) = if a > 1.0 { (1.0 / a, true) } else { (a, false) };
    // atan(t) = π/6 + atan((t·√3 - 1) / (√3 + t)) for t > 2 - √3 brings t below 0.268.
    const SQRT3: f64 = 1.732_050_807_568_877_2;
    const TAN_PI_12: f64 = 0.267_949_192_431_122_7;
    let (u, shift) = if t > TAN_PI_12 { ((t * SQRT3 - 1.0) / (SQRT3 + t), FRAC_PI_6) } else { (t, 0.0) };
    // Taylor series u - u³/3 + u⁵/5 - …: |u| <= 0.268, 24 terms reach 2^-60.
    let z = u * u;
    let mut p = 0.0;
    let mut k = 47.0;
    let mut sign = if (k as i64 / 2) % 2 == 0 { 1.0 } else { -1.0 };
    while k > 0.0 {
        p = p * z + sign / k;
        sign = -sign;
        k -= 2.0;
    }
    let r = shift + u * p;
    let r = if flip { FRAC_PI_2 - r } else { r };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// Arcsine in f64 for `|x| <= 1` (NaN outside).
pub fn asin64(x: f64) -> f64 {
    let a = x.abs();
    if a > 1.0 || x.is_nan() {
        return f64::NAN;
    }
    if a == 1.0 {
        return if x > 0.0 { FRAC_PI_2 } else { -FRAC_PI_2 };
    }
    // (1 - a)(1 + a) is exact enough and keeps the precision near |x| = 1.
    atan64(x / sqrt64((1.0 - a) * (1.0 + a)))
}

/// Arccosine in f64 for `|x| <= 1` (NaN outside), in `[0, π]`.
pub fn acos64(x: f64) -> f64 {
    if x.abs() > 1.0 || x.is_nan() {
        return f64::NAN;
    }
    if x > 0.5 {
        // acos(x) = 2·asin(√((1 - x)/2)) keeps the relative precision of small results.
        2.0 * asin64(sqrt64(0.5 * (1.0 - x)))
    } else {
        FRAC_PI_2 - asin64(x)
    }
}

/// Hyperbolic sine in f64, odd.
pub fn sinh64(x: f64) -> f64 {
    let a = x.abs();
    let r = if a < 1.0 {
        let e = expm1_64(a);
        0.5 * (e + e / (e + 1.0))
    } else {
        let e = exp64(a);
        0.5 * (e - 1.0 / e)
    };
    if x < 0.0 {
        -r
    } else if x.is_nan() {
        x
    } else {
        r
    }
}

/// Hyperbolic cosine in f64, even.
pub fn cosh64(x: f64) -> f64 {
    let e = exp64(x.abs());
    0.5 * (e + 1.0 / e)
}

/// Inverse hyperbolic sine in f64, odd.
pub fn asinh64(x: f64) -> f64 {
    let a = x.abs();
    if a.is_nan() || a == f64::INFINITY {
        return x;
    }
    let r = if a < 1e-4 {
        a * (1.0 - a * a / 6.0)
    } else if a > 1e150 {
        ln64(a) + core::f64::consts::LN_2
    } else {
        // asinh(a) = ln1p(a + a² / (1 + √(a² + 1))).
        ln1p64(a + a * a / (1.0 + sqrt64(a * a + 1.0)))
    };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// Inverse hyperbolic cosine in f64 for `x >= 1` (NaN below).
pub fn acosh64(x: f64) -> f64 {
    if x < 1.0 || x.is_nan() {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return x;
    }
    if x > 1e150 {
        return ln64(x) + core::f64::consts::LN_2;
    }
    // acosh(x) = ln1p(t + √(t² + 2t)) with t = x - 1 (exact for f32 x).
    let t = x - 1.0;
    ln1p64(t + sqrt64(t * t + 2.0 * t))
}

/// Inverse hyperbolic tangent in f64 for `|x| <= 1` (NaN outside, ±∞ at ±1), odd.
pub fn atanh64(x: f64) -> f64 {
    let a = x.abs();
    if a > 1.0 || x.is_nan() {
        return f64::NAN;
    }
    // atanh(a) = ½·ln1p(2a / (1 - a)).
    let r = if a == 1.0 { f64::INFINITY } else { 0.5 * ln1p64(2.0 * a / (1.0 - a)) };
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// `ln(1 + e^x)` in f64, without overflow for large `x`.
pub fn softplus64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 0.0 {
        x + ln1p64(exp64(-x))
    } else {
        ln1p64(exp64(x))
    }
}

/// `x · tanh(softplus(x))` in f64.
pub fn mish64(x: f64) -> f64 {
    if x.is_nan() || x > 40.0 {
        return x;
    }
    // tanh(ln(1 + u)) = ((1 + u)² - 1) / ((1 + u)² + 1) = n / (n + 2) with n = u(u + 2).
    let u = exp64(x);
    let n = u * (u + 2.0);
    x * (n / (n + 2.0))
}

/// Tangent, with exact argument reduction; NaN for ±∞.
pub fn tan(x: f32) -> f32 {
    if !x.is_finite() {
        return f32::NAN;
    }
    let (s, c) = sincos64(x);
    (s / c) as f32
}

/// Arcsine (NaN outside [-1, 1]).
pub fn asin(x: f32) -> f32 {
    asin64(x as f64) as f32
}

/// Arccosine (NaN outside [-1, 1]).
pub fn acos(x: f32) -> f32 {
    acos64(x as f64) as f32
}

/// Arctangent.
pub fn atan(x: f32) -> f32 {
    atan64(x as f64) as f32
}

/// Hyperbolic sine (overflows to ±∞ beyond |x| ≈ 89.4).
pub fn sinh(x: f32) -> f32 {
    sinh64(x as f64) as f32
}

/// Hyperbolic cosine (overflows to +∞ beyond |x| ≈ 89.4).
pub fn cosh(x: f32) -> f32 {
    cosh64(x as f64) as f32
}

/// Inverse hyperbolic sine.
pub fn asinh(x: f32) -> f32 {
    asinh64(x as f64) as f32
}

/// Inverse hyperbolic cosine (NaN below 1).
pub fn acosh(x: f32) -> f32 {
    acosh64(x as f64) as f32
}

/// Inverse hyperbolic tangent (NaN outside [-1, 1], ±∞ at ±1).
pub fn atanh(x: f32) -> f32 {
    atanh64(x as f64) as f32
}

/// Softplus `ln(1 + e^x)`.
pub fn softplus(x: f32) -> f32 {
    softplus64(x as f64) as f32
}

/// Mish `x · tanh(softplus(x))`.
pub fn mish(x: f32) -> f32 {
    mish64(x as f64) as f32
}

#[cfg(test)]
#[path = "trig_tests.rs"]
mod tests;
