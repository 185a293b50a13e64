//! Elementwise kernels for the element types that are not [`Number`]s: `f16` and `bf16`
//! (stored as `u16` bits; computed in `f32` and rounded back, ties to even), plus the `f64`,
//! integer and half-precision variants of the unary functions and of Cast.
//!
//! Half-precision values are `u16` slices, like `u16` tensors, so each kernel here names its
//! format (`_f16`, `_bf16`) instead of relying on type inference.

use super::activation::{apply, Activation};
use super::elementwise::{binary, broadcast_map, compare, BinaryOp, BroadcastParams, CompareOp};
use super::number::{Convert, Number};

/// IEEE half bits → `f32` (exact).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h as u32) & 0x8000) << 16;
    let exp = ((h as u32) >> 10) & 0x1f;
    let mant = (h as u32) & 0x3ff;
    if exp == 0 {
        // Zero or subnormal: mant · 2^-24, exact in f32.
        let v = mant as f32 * (1.0 / 16_777_216.0);
        return f32::from_bits(v.to_bits() | sign);
    }
    if exp == 0x1f {
        return f32::from_bits(sign | 0x7f80_0000 | (mant << 13));
    }
    f32::from_bits(sign | ((exp + 112) << 23) | (mant << 13))
}

/// `f64` → IEEE half bits, rounding to nearest (ties to even); overflow gives ±∞, NaN stays NaN.
#[inline(always)]
pub fn f64_to_f16(v: f64) -> u16 {
    let bits = v.to_bits();
    let sign = ((bits >> 48) & 0x8000) as u16;
    let a = f64::from_bits(bits & 0x7fff_ffff_ffff_ffff);
    if a.is_nan() {
        return sign | 0x7e00;
    }
    if a >= 65_520.0 {
        // 65520 is the midpoint above the largest half (65504): ties go to even = ∞.
        return sign | 0x7c00;
    }
    // Scale so that one half ulp becomes 1: subnormals (a < 2^-14) have ulp 2^-24.
    let (scaled, base): (f64, u16) = if a < 6.103_515_625e-5 {
        (a * 16_777_216.0, 0)
    } else {
        let e = ((a.to_bits() >> 52) as i32) - 1023; // -14..=15
        let ulp = f64::from_bits(((e - 10 + 1023) as u64) << 52);
        (a / ulp - 1024.0, ((e + 15) as u16) << 10)
    };
    // Round the fraction to nearest, ties to even (scaled < 2048 here, exact in f64).
    let t = scaled as u64;
    let frac = scaled - t as f64;
    let r = if frac > 0.5 || (frac == 0.5 && t & 1 == 1) { t + 1 } else { t };
    // A carry out of the mantissa bumps the exponent, as it should.
    sign | (base + r as u16)
}

/// `f32` → IEEE half bits (see [`f64_to_f16`]).
#[inline(always)]
pub fn f32_to_f16(v: f32) -> u16 {
    f64_to_f16(v as f64)
}

/// bfloat16 bits → `f32` (exact).
#[inline(always)]
pub fn bf16_to_f32(h: u16) -> f32 {
    f32::from_bits((h as u32) << 16)
}

/// `f32` → bfloat16 bits, rounding to nearest (ties to even); NaN stays NaN.
#[inline(always)]
pub fn f32_to_bf16(v: f32) -> u16 {
    let b = v.to_bits();
    if v.is_nan() {
        return ((b >> 16) as u16) | 0x0040;
    }
    let round = 0x7fff + ((b >> 16) & 1);
    (b.wrapping_add(round) >> 16) as u16
}

/// `f64` → bfloat16 bits: through `f32` with round-to-odd, so the result is rounded once.
#[inline(always)]
pub fn f64_to_bf16(v: f64) -> u16 {
    let f = v as f32;
    let fb = f.to_bits();
    // Round to odd: when the f32 rounding was inexact and gave an even value, take the other
    // f32 neighbour of v, so that the second rounding cannot land on a false tie.
    let odd = if (f as f64) != v && f.is_finite() && fb & 1 == 0 {
        if (f as f64).abs() > v.abs() {
            fb - 1
        } else {
            fb + 1
        }
    } else {
        fb
    };
    f32_to_bf16(f32::from_bits(odd))
}

/// Values that Cast can read as `f64` exactly (every numeric dtype but 64-bit integers beyond
/// 2^53, which round once).
pub trait ToF64: Copy {
    /// `self as f64`.
    fn to_f64(self) -> f64;
}

/// Implements [`ToF64`] for each listed type by `as`.
macro_rules! to_f64 {
    ($($t:ty),*) => {$(
        impl ToF64 for $t {
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}

to_f64!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

/// ONNX Cast from f16: `y[i] = f16(x[i]) as D` (through `f32`, which holds every half).
#[inline(always)]
pub fn cast_from_f16<D: Copy>(x: &[u16], y: &mut [D])
where
    f32: Convert<D>,
{
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f16_to_f32(v).convert();
    }
}

/// ONNX Cast from bf16 (through `f32`, which holds every bfloat16).
#[inline(always)]
pub fn cast_from_bf16<D: Copy>(x: &[u16], y: &mut [D])
where
    f32: Convert<D>,
{
    for (o, &v) in y.iter_mut().zip(x) {
        *o = bf16_to_f32(v).convert();
    }
}

/// ONNX Cast to f16 from any numeric type (one rounding, from the exact `f64` value).
#[inline(always)]
pub fn cast_to_f16<S: ToF64>(x: &[S], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f64_to_f16(v.to_f64());
    }
}

/// ONNX Cast to bf16 from any numeric type.
#[inline(always)]
pub fn cast_to_bf16<S: ToF64>(x: &[S], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f64_to_bf16(v.to_f64());
    }
}

/// ONNX Cast f16 → bf16.
#[inline(always)]
pub fn cast_f16_to_bf16(x: &[u16], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f32_to_bf16(f16_to_f32(v));
    }
}

/// ONNX Cast bf16 → f16.
#[inline(always)]
pub fn cast_bf16_to_f16(x: &[u16], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f32_to_f16(bf16_to_f32(v));
    }
}

/// ONNX Cast f16 → bool (±0 is false, everything else, NaN included, true).
#[inline(always)]
pub fn cast_f16_to_bool(x: &[u16], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = (v & 0x7fff != 0) as u8;
    }
}

/// `y = act(x)` on f64: the exactly representable functions in f64, the others through the
/// `f32` implementation (about 7 significant digits).
#[inline(always)]
pub fn unary_f64(act: Activation, x: &[f64], y: &mut [f64]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = match act {
            Activation::None => v,
            Activation::Neg => -v,
            Activation::Abs => v.abs(),
            Activation::Relu => {
                if v < 0.0 {
                    0.0
                } else {
                    v
                }
            }
            Activation::Reciprocal => 1.0 / v,
            Activation::Exp => crate::rt::math::exp64(v),
            Activation::Sign => Number::sign(v),
            _ => apply(act, v as f32) as f64,
        };
    }
}

/// `y = act(x)` on f16 bits, computed in `f32`.
#[inline(always)]
pub fn unary_f16(act: Activation, x: &[u16], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f32_to_f16(apply(act, f16_to_f32(v)));
    }
}

/// `y = act(x)` on bf16 bits, computed in `f32`.
#[inline(always)]
pub fn unary_bf16(act: Activation, x: &[u16], y: &mut [u16]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = f32_to_bf16(apply(act, bf16_to_f32(v)));
    }
}

/// `y = op(a, b)` on f16 bits with broadcasting, computed in `f32`.
#[inline(always)]
pub fn binary_f16(op: BinaryOp, p: &BroadcastParams, a: &[u16], b: &[u16], y: &mut [u16]) {
    broadcast_map(p, a, b, y, |u: u16, v: u16| {
        let mut r = [0.0f32];
        binary(op, &SCALAR, &[f16_to_f32(u)], &[f16_to_f32(v)], &mut r);
        let [r] = r;
        f32_to_f16(r)
    })
}

/// `y = op(a, b)` on bf16 bits with broadcasting, computed in `f32`.
#[inline(always)]
pub fn binary_bf16(op: BinaryOp, p: &BroadcastParams, a: &[u16], b: &[u16], y: &mut [u16]) {
    broadcast_map(p, a, b, y, |u: u16, v: u16| {
        let mut r = [0.0f32];
        binary(op, &SCALAR, &[bf16_to_f32(u)], &[bf16_to_f32(v)], &mut r);
        let [r] = r;
        f32_to_bf16(r)
    })
}

/// Comparison of f16 values with broadcasting.
#[inline(always)]
pub fn compare_f16(op: CompareOp, p: &BroadcastParams, a: &[u16], b: &[u16], y: &mut [u8]) {
    broadcast_map(p, a, b, y, |u: u16, v: u16| {
        let mut r = [0u8];
        compare(op, &SCALAR, &[f16_to_f32(u)], &[f16_to_f32(v)], &mut r);
        let [r] = r;
        r
    })
}

/// Comparison of bf16 values with broadcasting.
#[inline(always)]
pub fn compare_bf16(op: CompareOp, p: &BroadcastParams, a: &[u16], b: &[u16], y: &mut [u8]) {
    broadcast_map(p, a, b, y, |u: u16, v: u16| {
        let mut r = [0u8];
        compare(op, &SCALAR, &[bf16_to_f32(u)], &[bf16_to_f32(v)], &mut r);
        let [r] = r;
        r
    })
}

/// ONNX Pow with a base and an exponent of different types: computed in `f64` (exact for
/// integral exponents) and converted to the base's type as Cast would.
#[inline(always)]
pub fn pow_mixed<A: ToF64, B: ToF64>(p: &BroadcastParams, a: &[A], b: &[B], y: &mut [A])
where
    f64: Convert<A>,
{
    broadcast_map(p, a, b, y, |u: A, v: B| {
        super::number::pow_f64(u.to_f64(), v.to_f64()).convert()
    })
}

/// One step of a variadic Max/Min/Sum/Mean: `y = b` broadcast (`first`), else
/// `y = op(y, b)`; `p.b_strides` broadcast `b` to `p.out_shape` (the output's shape).
#[inline(always)]
pub fn accumulate<T: Number>(op: BinaryOp, p: &BroadcastParams, b: &[T], y: &mut [T], first: bool) {
    let r = p.rank.min(8);
    let (Some(shape), Some(st)) = (p.out_shape.get(..r), p.b_strides.get(..r)) else {
        return;
    };
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..r) else {
        return;
    };
    for o in y.iter_mut() {
        if let Some(&v) = b.get(super::shape::offset(idx, st)) {
            let mut out = [v];
            if !first {
                binary(op, &SCALAR, &[*o], &[v], &mut out);
            }
            let [w] = out;
            *o = w;
        }
        super::shape::next_index(idx, shape);
    }
}

/// `y /= n` (the last step of Mean).
#[inline(always)]
pub fn divide_by<T: Number>(n: usize, y: &mut [T]) {
    let d = T::from_usize(n);
    for v in y.iter_mut() {
        *v = v.div(d);
    }
}

/// Element types whose bits ONNX BitCast reinterprets (as little-endian integers).
pub trait RawBits: Copy {
    /// The value's bits, zero-extended.
    fn to_raw(self) -> u64;
    /// The value with these (low) bits.
    fn from_raw(bits: u64) -> Self;
}

/// Implements [`RawBits`] for integer types through their unsigned twin.
macro_rules! raw_bits_int {
    ($($t:ty => $u:ty),*) => {$(
        impl RawBits for $t {
            #[inline(always)]
            fn to_raw(self) -> u64 {
                self as $u as u64
            }
            #[inline(always)]
            fn from_raw(bits: u64) -> Self {
                bits as $u as $t
            }
        }
    )*};
}

raw_bits_int!(i8 => u8, i16 => u16, i32 => u32, i64 => u64, u8 => u8, u16 => u16, u32 => u32, u64 => u64);

impl RawBits for f32 {
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self.to_bits() as u64
    }
    #[inline(always)]
    fn from_raw(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
}

impl RawBits for f64 {
    #[inline(always)]
    fn to_raw(self) -> u64 {
        self.to_bits()
    }
    #[inline(always)]
    fn from_raw(bits: u64) -> Self {
        f64::from_bits(bits)
    }
}

/// ONNX BitCast between types of one width: `y[i]` has the bits of `x[i]`.
#[inline(always)]
pub fn bitcast<S: RawBits, D: RawBits>(x: &[S], y: &mut [D]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = D::from_raw(v.to_raw());
    }
}

/// Which float classes IsNaN / IsInf report as true.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FloatClass {
    /// NaN is true (IsNaN).
    pub nan: bool,
    /// +∞ is true.
    pub pos_inf: bool,
    /// −∞ is true.
    pub neg_inf: bool,
}

impl FloatClass {
    /// True when `v` belongs to a selected class.
    #[inline(always)]
    pub fn test(self, v: f64) -> bool {
        (self.nan && v.is_nan()) || (self.pos_inf && v == f64::INFINITY) || (self.neg_inf && v == f64::NEG_INFINITY)
    }
}

/// ONNX IsNaN / IsInf on f32 or f64: `y[i] = class(x[i]) as u8`.
#[inline(always)]
pub fn classify<T: ToF64>(c: FloatClass, x: &[T], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = c.test(v.to_f64()) as u8;
    }
}

/// ONNX IsNaN / IsInf on f16 bits.
#[inline(always)]
pub fn classify_f16(c: FloatClass, x: &[u16], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = c.test(f16_to_f32(v) as f64) as u8;
    }
}

/// ONNX IsNaN / IsInf on bf16 bits.
#[inline(always)]
pub fn classify_bf16(c: FloatClass, x: &[u16], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = c.test(bf16_to_f32(v) as f64) as u8;
    }
}

/// Broadcast parameters of one scalar with one scalar (to reuse the typed binary kernels).
const SCALAR: BroadcastParams = BroadcastParams {
    rank: 0,
    out_shape: [1; 8],
    a_strides: [0; 8],
    b_strides: [0; 8],
    len: 1,
};

#[cfg(test)]
#[path = "half_tests.rs"]
mod tests;
