//! Scalar `f32` math for `no_std` kernels: `core` has no `exp`, `ln`, `sqrt`, `floor`, … there.
//!
//! Every function takes and returns `f32`. The transcendental ones are evaluated in `f64`
//! (argument reduction plus a polynomial or series, relative error a few 2^-53), so the one
//! rounding to `f32` at the end is the correct one except when the exact result lies within
//! ~2^-50 relative of the midpoint between two `f32`s. There is no `unsafe` and no allocation.
//!
//! Accuracy as measured: the tests compare each function with the platform's `f64` function
//! from `std` (rounded to `f32`) on dense sweeps and special values, and assert at most 1 ulp
//! (to stay robust against other platforms' libm). The ignored test `exhaustive_report`
//! (`cargo test --release -p onnxc-runtime-min -- --ignored --nocapture exhaustive`, about
//! 20 minutes on 2 cores) runs all 2^32 inputs of each one-argument function; its results are
//! quoted in each function's documentation. "Correctly rounded" there means bit-identical to
//! the correctly rounded result on every input: the few inputs where the `std` reference
//! differed were checked with 300-bit arithmetic (mpmath), which showed the reference to be
//! the one off by 1 ulp (it rounds twice, to `f64` and then to `f32`).
//!
//! NaN inputs give NaN, and the special values (±0, ±∞, subnormals, overflow and underflow
//! thresholds) follow C99 Annex F / IEEE 754. Speed is not tuned yet: `erf` in particular sums a
//! series of up to ~100 terms near |x| = 4.

use core::f64::consts::{FRAC_PI_2, LN_2, LOG2_E};

// ---------------------------------------------------------------------------------------------
// Bit helpers and rounding.

const SIGN: u32 = 0x8000_0000;
const ABS: u32 = 0x7fff_ffff;
const INF_BITS: u32 = 0x7f80_0000;

/// Absolute value (clears the sign bit, so `abs(-0.0) == 0.0` and NaN stays NaN). Exact.
#[inline(always)]
pub fn abs(x: f32) -> f32 {
    f32::from_bits(x.to_bits() & ABS)
}

/// `x` with the sign bit of `sign`. Exact.
#[inline(always)]
pub fn copysign(x: f32, sign: f32) -> f32 {
    f32::from_bits((x.to_bits() & ABS) | (sign.to_bits() & SIGN))
}

/// Rounds toward zero, keeping the sign of zero (`trunc(-0.5) == -0.0`). Exact.
#[inline]
pub fn trunc(x: f32) -> f32 {
    // |x| >= 2^23 (or inf/NaN) is already an integer.
    if abs(x) >= 8_388_608.0 || x.is_nan() {
        return x;
    }
    copysign((x as i32) as f32, x)
}

/// Rounds toward −∞ (`floor(-0.0) == -0.0`, `floor(-0.5) == -1.0`). Exact.
#[inline]
pub fn floor(x: f32) -> f32 {
    let t = trunc(x);
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// Rounds toward +∞ (`ceil(-0.5) == -0.0`). Exact.
#[inline]
pub fn ceil(x: f32) -> f32 {
    let t = trunc(x);
    if t < x {
        t + 1.0
    } else {
        t
    }
}

/// Rounds to the nearest integer, ties to even (ONNX `Round`, numpy `rint`): `2.5 → 2`,
/// `-0.5 → -0.0`. Exact.
#[inline]
pub fn round_half_even(x: f32) -> f32 {
    let a = abs(x);
    if a >= 8_388_608.0 || x.is_nan() {
        return x;
    }
    // For 0 <= a < 2^23, a + 2^23 lies in [2^23, 2^24) where the f32 spacing is 1, so the
    // addition rounds a to an integer, ties to even; the subtraction is then exact.
    copysign((a + 8_388_608.0) - 8_388_608.0, x)
}

/// Rounds to the nearest integer, ties away from zero (C `roundf`): `2.5 → 3`, `-0.5 → -1`.
/// Exact.
#[inline]
pub fn round_half_away(x: f32) -> f32 {
    let t = trunc(x);
    if abs(x - t) >= 0.5 {
        t + copysign(1.0, x)
    } else {
        t
    }
}

/// `2^k` as an `f32` for `-149 <= k <= 127`.
#[inline(always)]
fn pow2_f32(k: i32) -> f32 {
    if k >= -126 {
        f32::from_bits(((k + 127) as u32) << 23)
    } else {
        f32::from_bits(1u32 << (k + 149))
    }
}

/// Splits a finite nonzero `|x|` (given as bits without sign) into `(m, e)` with
/// `|x| = m · 2^e`, `m < 2^24` an integer (`m >= 2^23` unless `x` is subnormal).
#[inline(always)]
fn decompose(abs_bits: u32) -> (u32, i32) {
    let be = (abs_bits >> 23) as i32;
    let frac = abs_bits & 0x007f_ffff;
    if be == 0 {
        (frac, -149)
    } else {
        (frac | 0x0080_0000, be - 150)
    }
}

/// C `fmodf`: `x - n·y` with `n = trunc(x / y)`, computed exactly; the result has the sign of
/// `x`. `fmod(x, 0)`, `fmod(±∞, y)` and NaN operands give NaN; `fmod(x, ±∞) = x` for finite
/// `x`. Exact (0 ulp; 300 000 random pairs in the tests, identical to `f64` `%`).
pub fn fmod(x: f32, y: f32) -> f32 {
    let ax = x.to_bits() & ABS;
    let ay = y.to_bits() & ABS;
    if ay == 0 || ax >= INF_BITS || ay > INF_BITS {
        return f32::NAN;
    }
    if ax < ay {
        // Includes y = ±∞ and x = ±0.
        return x;
    }
    if ax == ay {
        return copysign(0.0, x);
    }
    let (mx, ex) = decompose(ax);
    let (my, ey) = decompose(ay);
    // |x| = mx·2^ex >= |y| = my·2^ey and both exponents are >= -149, so ex >= ey. The
    // remainder of mx·2^(ex-ey) by my is found by shifting in at most 40 bits at a time.
    let my = my as u64;
    let mut r = mx as u64 % my;
    let mut shift = ex - ey;
    while shift > 0 && r != 0 {
        let s = if shift > 40 { 40 } else { shift };
        r = (r << s) % my;
        shift -= s;
    }
    // r < my < 2^24 converts exactly; r·2^ey is a multiple of y's ulp and below |y|, so it is
    // representable and the scaling is exact.
    copysign(r as f32 * pow2_f32(ey), x)
}

/// Square root, correctly rounded by construction (integer square root with a sticky bit) and
/// as measured on all 2^32 inputs; `sqrt(-0.0) == -0.0`, negative inputs give NaN.
pub fn sqrt(x: f32) -> f32 {
    let bits = x.to_bits();
    if bits & ABS == 0 || x.is_nan() || bits == INF_BITS {
        return x;
    }
    if bits & SIGN != 0 {
        return f32::NAN;
    }
    let (mut m, mut e) = decompose(bits);
    // Normalise subnormals so that 2^23 <= m < 2^24.
    let lz = m.leading_zeros() as i32 - 8;
    m <<= lz;
    e -= lz;
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // x = (m·2^26)·2^(e-26) with m·2^26 in [2^49, 2^51), so its integer square root q has 25
    // or 26 bits; appending a sticky bit for a nonzero remainder makes the one rounding of
    // `v as f32` the correct rounding of the exact root.
    let big = (m as u64) << 26;
    let q = big.isqrt();
    let v = (q << 1) | u64::from(q * q != big);
    // The scale 2^((e-26)/2 - 1) lies in [2^-101, 2^38], so the product is exact.
    v as f32 * pow2_f32((e - 26) / 2 - 1)
}

// ---------------------------------------------------------------------------------------------
// f64 kernels (accurate to a few f64 ulp, far below half an f32 ulp).

/// `1/n!` for n = 0..=16, each the f64 nearest to the exact value (`n!` is exact in f64 up to
/// 16!, so these equal `1.0 / n! as f64`).
const INV_FACT: [f64; 17] = [
    1.0,
    1.0,
    0.5,
    0.166_666_666_666_666_66,
    0.041_666_666_666_666_664,
    0.008_333_333_333_333_333,
    0.001_388_888_888_888_889,
    0.000_198_412_698_412_698_4,
    2.480_158_730_158_73e-5,
    2.755_731_922_398_589_3e-6,
    2.755_731_922_398_589e-7,
    2.505_210_838_544_172e-8,
    2.087_675_698_786_81e-9,
    1.605_904_383_682_161_3e-10,
    1.147_074_559_772_972_5e-11,
    7.647_163_731_819_816e-13,
    4.779_477_332_387_385e-14,
];

/// `ln 2` split so that `k·LN2_HI` is exact for |k| < 2^11.
const LN2_HI: f64 = 0.693_147_180_559_890_3;
const LN2_LO: f64 = 5.497_923_018_708_371e-14;

/// `2^k` as an `f64` for `-1022 <= k <= 1023`.
#[inline(always)]
fn pow2_f64(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// Rounds to the nearest integer (ties to even) for |x| < 2^51.
#[inline(always)]
fn rint64(x: f64) -> f64 {
    const SHIFTER: f64 = 6_755_399_441_055_744.0; // 1.5 · 2^52
    (x + SHIFTER) - SHIFTER
}

/// `e^x` in f64 (relative error ~2^-52), for any x.
pub fn exp64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x > 709.8 {
        return f64::INFINITY;
    }
    if x < -745.2 {
        return 0.0;
    }
    let kf = rint64(x * LOG2_E);
    // Exact by Sterbenz' lemma; |r| <= ln2/2 + tiny.
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // Taylor series to degree 13: truncation error < 0.35^14/14! < 2^-60.
    let mut p = INV_FACT[13];
    for &c in INV_FACT.iter().take(13).rev() {
        p = p * r + c;
    }
    let k = kf as i32;
    if k > 1023 {
        p * pow2_f64(1023) * pow2_f64(k - 1023)
    } else if k < -1022 {
        p * pow2_f64(-600) * pow2_f64(k + 600)
    } else {
        p * pow2_f64(k)
    }
}

/// `e^x - 1` in f64, accurate relative to the result also for tiny x.
pub fn expm1_64(x: f64) -> f64 {
    if x.abs() >= 0.35 || x.is_nan() {
        return exp64(x) - 1.0;
    }
    // x · (1 + x/2! + … + x^13/14!): truncation error < 0.35^15/15! relative.
    let mut p = INV_FACT[14];
    for &c in INV_FACT.iter().take(14).skip(1).rev() {
        p = p * x + c;
    }
    p * x
}

/// `ln x` in f64 for finite x > 0 (relative error ~2^-52).
pub fn ln64(x: f64) -> f64 {
    let (e, m) = split_log_arg(x);
    e as f64 * LN_2 + ln_near1(m)
}

/// Splits finite x > 0 into `(e, m)` with `x = m · 2^e`, `m` in `[√½, √2)`.
#[inline(always)]
fn split_log_arg(x: f64) -> (i32, f64) {
    let mut bits = x.to_bits();
    let mut e = 0i32;
    if bits >> 52 == 0 {
        // Subnormal f64 (never reached from f32 inputs): normalise first.
        bits = (x * pow2_f64(64)).to_bits();
        e = -64;
    }
    e += ((bits >> 52) & 0x7ff) as i32 - 1023;
    let mut m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m > core::f64::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    (e, m)
}

/// `ln m` for m in `[√½, √2)`.
#[inline(always)]
fn ln_near1(m: f64) -> f64 {
    // m - 1 is exact here.
    atanh_series((m - 1.0) / (m + 1.0))
}

/// `2·atanh(s) = ln((1+s)/(1-s))` for |s| <= 0.1716.
#[inline(always)]
fn atanh_series(s: f64) -> f64 {
    // z <= 0.0295; the truncation error after z^11/23 is below z^12/25 < 2^-66.
    let z = s * s;
    let mut p = 1.0 / 23.0;
    let mut k = 21.0;
    while k > 2.0 {
        p = p * z + 1.0 / k;
        k -= 2.0;
    }
    // p = 1/3 + z/5 + …; 2·atanh(s) = 2s + 2s·z·p.
    2.0 * s + 2.0 * s * (z * p)
}

// ---------------------------------------------------------------------------------------------
// Exponentials and logarithms.

/// `e^x`. Overflows to +∞ above ≈ 88.7228 and underflows (through the subnormals) to 0 below
/// ≈ −103.972. Correctly rounded on all 2^32 inputs (max error 0.5 ulp).
pub fn exp(x: f32) -> f32 {
    exp64(x as f64) as f32
}

/// `2^x`, exact for integer `x`. Correctly rounded on all 2^32 inputs (max error 0.5 ulp).
pub fn exp2(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    if x > 128.0 {
        return f32::INFINITY;
    }
    if x < -151.0 {
        return 0.0;
    }
    // 2^x = 2^k · e^(r·ln2) with k = rint(x) and r = x - k exact, so integer x is exact.
    let xd = x as f64;
    let kf = rint64(xd);
    (exp64((xd - kf) * LN_2) * pow2_f64(kf as i32)) as f32
}

/// `e^x - 1`, accurate also for tiny x. Correctly rounded on all 2^32 inputs (max error
/// 0.5 ulp).
pub fn expm1(x: f32) -> f32 {
    expm1_64(x as f64) as f32
}

/// Natural logarithm: `ln(±0) = -∞`, `ln(x<0) = NaN`, `ln(+∞) = +∞`. Correctly rounded on all
/// 2^32 inputs (max error 0.5 ulp; the `std` reference is 1 ulp off at 0.011794383 and
/// 9.472636).
pub fn ln(x: f32) -> f32 {
    match classify_log_arg(x) {
        Some(special) => special,
        None => ln64(x as f64) as f32,
    }
}

/// Base-2 logarithm; exact for powers of two. Correctly rounded on all 2^32 inputs (max error
/// 0.5 ulp).
pub fn log2(x: f32) -> f32 {
    match classify_log_arg(x) {
        Some(special) => special,
        None => {
            let (e, m) = split_log_arg(x as f64);
            (e as f64 + ln_near1(m) * LOG2_E) as f32
        }
    }
}

/// Base-10 logarithm. Correctly rounded on all 2^32 inputs (max error 0.5 ulp).
pub fn log10(x: f32) -> f32 {
    match classify_log_arg(x) {
        Some(special) => special,
        None => {
            // log10(2) split like ln 2, so that e·log10(2) carries no rounding error.
            const LOG10_2_HI: f64 = 0.301_029_995_663_839_14;
            const LOG10_2_LO: f64 = 1.420_502_322_726_61e-13;
            let (e, m) = split_log_arg(x as f64);
            let e = e as f64;
            (e * LOG10_2_HI + (e * LOG10_2_LO + ln_near1(m) * core::f64::consts::LOG10_E)) as f32
        }
    }
}

/// `ln(1 + x)`, accurate also for tiny x: `ln1p(-1) = -∞`, below −1 NaN. Correctly rounded on
/// all 2^32 inputs (max error 0.5 ulp; the `std` reference is 1 ulp off at 0.49512997 and
/// 8.472636).
pub fn ln1p(x: f32) -> f32 {
    if x.is_nan() || x == f32::INFINITY {
        return x;
    }
    if x < -1.0 {
        return f32::NAN;
    }
    if x == -1.0 {
        return f32::NEG_INFINITY;
    }
    let xd = x as f64;
    if xd.abs() < 0.25 {
        // ln(1 + x) = 2·atanh(x / (2 + x)) without forming 1 + x; |s| < 0.143.
        return atanh_series(xd / (2.0 + xd)) as f32;
    }
    // 1 + x has a relative rounding error of at most 2^-53 here (none for |x| < 2^29).
    ln64(1.0 + xd) as f32
}

/// Special values of the logarithms, or `None` for finite x > 0.
#[inline(always)]
fn classify_log_arg(x: f32) -> Option<f32> {
    if x.is_nan() || x == f32::INFINITY {
        Some(x)
    } else if x == 0.0 {
        Some(f32::NEG_INFINITY)
    } else if x < 0.0 {
        Some(f32::NAN)
    } else {
        None
    }
}

/// `x^y` with the C99 `powf` special cases: `pow(x, ±0) = 1` and `pow(1, y) = 1` even for NaN;
/// a negative `x` gives a signed result for integer `y` and NaN for non-integer finite `y`;
/// `pow(±0, y<0)` is `±∞` (sign kept for odd integer `y`); `pow(-1, ±∞) = 1`; `pow(x, ±∞)`
/// is 0 or +∞ depending on `|x| < 1`. Integer powers are exact when they fit in 53 bits. Max error
/// measured 0.5 ulp (identical to `std`'s `f64` `powf` rounded to `f32` on 600 000 random
/// pairs: any bits, in-range results, integer exponents, moderate values); by construction the
/// error stays below 0.5 ulp + 2^-40 relative, so at most 1 ulp.
pub fn pow(x: f32, y: f32) -> f32 {
    let ax = abs(x);
    let ay = abs(y);
    if y == 0.0 || x == 1.0 {
        return 1.0;
    }
    if x.is_nan() || y.is_nan() {
        return f32::NAN;
    }
    if ay == f32::INFINITY {
        return if ax == 1.0 {
            1.0
        } else if (ax < 1.0) == (y > 0.0) {
            0.0
        } else {
            f32::INFINITY
        };
    }
    // y is finite and nonzero here. 0 = not an integer, 1 = odd integer, 2 = even integer.
    let kind = if ay >= 16_777_216.0 {
        2
    } else if trunc(y) != y {
        0
    } else if (ay as u32) & 1 == 1 {
        1
    } else {
        2
    };
    let negative = x.to_bits() & SIGN != 0;
    let odd_sign = negative && kind == 1;
    if ax == 0.0 || ax == f32::INFINITY {
        // pow(±0, y) = ±0 for y > 0 and ±∞ for y < 0 (sign only for odd integer y), and
        // pow(±∞, y) the reverse.
        let big = (ax == 0.0) == (y < 0.0);
        let r = if big { f32::INFINITY } else { 0.0 };
        return if odd_sign { -r } else { r };
    }
    if negative && kind == 0 {
        return f32::NAN;
    }
    let r = pow_positive(ax, y, kind != 0);
    if odd_sign {
        -r
    } else {
        r
    }
}

/// `ax^y` for finite `ax > 0` and finite nonzero `y`.
fn pow_positive(ax: f32, y: f32, integer_y: bool) -> f32 {
    if integer_y {
        // Exact power when it fits in an f64 significand: ax = odd·2^k.
        let (m, e) = decompose(ax.to_bits());
        let tz = m.trailing_zeros();
        let odd = u64::from(m >> tz);
        let k = (e + tz as i32) as i64;
        if odd == 1 {
            // A power of two: 2^(k·y) exactly, also where it rounds to 0 or the subnormals.
            let ky = (k * y as i64).clamp(-1400, 1100) as i32;
            return scale64(1.0, ky) as f32;
        }
        if abs(y) <= 64.0 {
            let n = abs(y) as u32;
            if let Some(p) = odd.checked_pow(n) {
                if p < (1u64 << 53) {
                    // ax^n = p · 2^(k·n) exactly (|k·n| <= 9536).
                    let v = scale64(p as f64, (k * n as i64) as i32);
                    return if y > 0.0 { v as f32 } else { (1.0 / v) as f32 };
                }
            }
        }
    }
    exp64(y as f64 * ln64(ax as f64)) as f32
}

/// `v · 2^k` in f64 for `1 <= v < 2^53`: exact unless far outside the f32 range (enough for
/// `pow`, whose reciprocal of an overflowed or underflowed power is then +0 or +∞ as needed).
fn scale64(v: f64, k: i32) -> f64 {
    if k > 1023 {
        f64::INFINITY
    } else if k < -1022 {
        let k = if k < -1400 { -1400 } else { k };
        v * pow2_f64(-700) * pow2_f64(k + 700)
    } else {
        v * pow2_f64(k)
    }
}

// ---------------------------------------------------------------------------------------------
// Hyperbolic, sigmoid, erf.

/// Hyperbolic tangent, odd (`tanh(-0.0) == -0.0`), ±1 beyond |x| ≈ 9.01. Correctly rounded on
/// all 2^32 inputs (max error 0.5 ulp).
pub fn tanh(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let a = abs(x) as f64;
    let t = if a > 10.0 {
        1.0
    } else {
        let e = expm1_64(2.0 * a);
        e / (e + 2.0)
    };
    copysign(t as f32, x)
}

/// Logistic sigmoid `1 / (1 + e^-x)`, stable for any |x| (0 and 1 at the far ends, no
/// overflow). Correctly rounded on all 2^32 inputs (max error 0.5 ulp, reference
/// `1/(1+exp(-x))` in `f64`).
pub fn sigmoid(x: f32) -> f32 {
    (1.0 / (1.0 + exp64(-(x as f64)))) as f32
}

/// Error function, odd, ±1 beyond |x| ≈ 3.92. Correctly rounded on all 2^32 inputs (max error
/// 0.5 ulp) against an independent `f64` reference (Maclaurin series below 2, continued
/// fraction for erfc above; `std` has no `erf`), and on 3 000 random inputs against mpmath.
pub fn erf(x: f32) -> f32 {
    if x.is_nan() {
        return x;
    }
    let a = abs(x) as f64;
    if a >= 4.0 {
        return copysign(1.0, x);
    }
    // erf(a) = 2/√π · e^(-a²) · Σ_n (2a²)^n · a / (1·3·5···(2n+1)); all terms are positive,
    // so nothing cancels. a² is exact in f64.
    let a2 = a * a;
    let two_a2 = 2.0 * a2;
    let mut term = a;
    let mut sum = a;
    let mut denom = 1.0;
    while term > sum * 1e-17 {
        denom += 2.0;
        term *= two_a2 / denom;
        sum += term;
    }
    const TWO_OVER_SQRT_PI: f64 = core::f64::consts::FRAC_2_SQRT_PI;
    copysign((TWO_OVER_SQRT_PI * exp64(-a2) * sum) as f32, x)
}

// ---------------------------------------------------------------------------------------------
// Trigonometry.

/// Bits of 2/π after the binary point, most significant first (b1 = 1 is the top bit).
const TWO_OVER_PI: [u64; 5] = [
    0xa2f9_836e_4e44_1529,
    0xfc27_57d1_f534_ddc0,
    0xdb62_9599_3c43_9041,
    0xfe51_63ab_debb_c561,
    0xb724_6e3a_424d_d2e0,
];

/// 128 bits of 2/π starting at bit index `s` (index 1 = first bit after the point; bits at
/// indices <= 0 are zero), the bit at `s` ending up at position 127. `-25 <= s <= 103`.
fn two_over_pi_window(s: i32) -> u128 {
    if s < 1 {
        return two_over_pi_window(1) >> (1 - s);
    }
    let start = (s - 1) as usize;
    let (w, sh) = (start / 64, start % 64);
    // w <= 1 for s <= 103, so the three words exist.
    let Some(&[a, b, c]) = TWO_OVER_PI.get(w..w + 3) else {
        return 0;
    };
    let top = ((a as u128) << 64) | b as u128;
    if sh == 0 {
        top
    } else {
        (top << sh) | (c >> (64 - sh)) as u128
    }
}

/// Reduces finite `a = |x| >= π/4` (as f32 bits) to `(q, r)` with `a = (4j + q)·π/2 + r`,
/// `|r| <= π/4` (in f64, relative error ~2^-52 whatever the size of `a`).
fn reduce_pio2(abs_bits: u32) -> (u32, f64) {
    let (m, e) = decompose(abs_bits);
    // a·2/π = m·2^e·Σ b_i 2^-i. Bits with i <= e-2 add multiples of 4 and are dropped; the
    // 128 bits from i = e-1 on give m·W·2^-126 with an error below 2^-102.
    let w = two_over_pi_window(e - 1);
    let (wh, wl) = ((w >> 64) as u64, w as u64);
    let lo = m as u128 * wl as u128;
    let hi = m as u128 * wh as u128 + (lo >> 64);
    let (p1, p0) = (hi as u64, lo as u64);
    // P = m·W; bits 126..127 are the quadrant, bits below 126 the fraction.
    let mut q = ((p1 >> 62) & 3) as u32;
    let mut f = (((p1 & ((1u64 << 62) - 1)) as u128) << 64) as i128 | p0 as i128;
    if f >= 1i128 << 125 {
        f -= 1i128 << 126;
        q = (q + 1) & 3;
    }
    let frac = f as f64 * pow2_f64(-126);
    (q, frac * FRAC_PI_2)
}

/// sin r for |r| <= π/4 (Taylor to degree 15; truncation error < r·(π/4)^16/17! < r·2^-53).
#[inline(always)]
fn sin_poly(r: f64) -> f64 {
    let z = r * r;
    let mut p = -INV_FACT[15];
    let mut sign = 1.0;
    // k = 13, 11, …, 3.
    for &c in INV_FACT.iter().take(14).skip(3).rev().step_by(2) {
        p = p * z + sign * c;
        sign = -sign;
    }
    // p = -1/3! + z/5! - …
    r + r * z * p
}

/// cos r for |r| <= π/4 (Taylor to degree 16; truncation error < (π/4)^18/18! < 2^-58).
#[inline(always)]
fn cos_poly(r: f64) -> f64 {
    let z = r * r;
    let mut p = INV_FACT[16];
    let mut sign = -1.0;
    // k = 14, 12, …, 2.
    for &c in INV_FACT.iter().take(15).skip(2).rev().step_by(2) {
        p = p * z + sign * c;
        sign = -sign;
    }
    1.0 + z * p
}

/// `(sin x, cos x)` in f64 for finite f32 `x`.
pub fn sincos64(x: f32) -> (f64, f64) {
    let abs_bits = x.to_bits() & ABS;
    let (q, r) = if f32::from_bits(abs_bits) < core::f32::consts::FRAC_PI_4 {
        (0, f32::from_bits(abs_bits) as f64)
    } else {
        reduce_pio2(abs_bits)
    };
    let (s, c) = (sin_poly(r), cos_poly(r));
    let (s, c) = match q {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    if x.to_bits() & SIGN != 0 {
        (-s, c)
    } else {
        (s, c)
    }
}

/// Sine, with exact argument reduction for every finite `f32` (also huge ones); NaN for ±∞.
/// Correctly rounded on all 2^32 inputs (max error 0.5 ulp).
pub fn sin(x: f32) -> f32 {
    if !x.is_finite() {
        return f32::NAN;
    }
    sincos64(x).0 as f32
}

/// Cosine, with exact argument reduction for every finite `f32`; NaN for ±∞. Correctly rounded
/// on all 2^32 inputs (max error 0.5 ulp).
pub fn cos(x: f32) -> f32 {
    if !x.is_finite() {
        return f32::NAN;
    }
    sincos64(x).1 as f32
}

// ---------------------------------------------------------------------------------------------
// Tangent, inverse trigonometric and hyperbolic functions, softplus and mish.
//
// Each `f32` function is evaluated in `f64` and rounded once at the end; the `f64` helpers
// (`*64`) have a relative error of a few 2^-52 away from the places where the function itself
// is ill-conditioned (e.g. `acos` near 1 is conditioned by its argument). Domain errors
// (`asin(2)`, `acosh(0.5)`, `atanh(2)`) give NaN; `atanh(±1) = ±∞`.

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
    let mut y = sqrt(scaled as f32) as f64;
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
    let (u, shift) = if t > TAN_PI_12 { ((t * SQRT3 - 1.0) / (SQRT3 + t), core::f64::consts::FRAC_PI_6) } else { (t, 0.0) };
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
#[path = "math_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "math_trig_tests.rs"]
mod trig_tests;
