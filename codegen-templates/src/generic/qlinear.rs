//! ONNX `QuantizeLinear` and `DequantizeLinear` (per tensor, per axis and blocked; every
//! integer width), plus element-generic kernels whose operands ONNX passes as tensors that
//! may be run-time values: `Clip` with tensor bounds, `Pad` with a tensor `constant_value`,
//! and inference `Dropout` with its mask.
//!
//! Elements are read and written as `f64` through [`QScalar`], with a [`QElem`] saying which
//! ONNX type a buffer holds (`f16`, `bf16` and `u16` are all `u16` bits).

use super::half::{bf16_to_f32, f16_to_f32, f64_to_bf16, f64_to_f16};
use super::number::Number;
use core::fmt;

/// The ONNX element type of a buffer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum QElem {
    F32,
    F64,
    F16,
    BF16,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
}

impl fmt::Debug for QElem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QElem::F32 => "QElem::F32",
            QElem::F64 => "QElem::F64",
            QElem::F16 => "QElem::F16",
            QElem::BF16 => "QElem::BF16",
            QElem::I8 => "QElem::I8",
            QElem::U8 => "QElem::U8",
            QElem::I16 => "QElem::I16",
            QElem::U16 => "QElem::U16",
            QElem::I32 => "QElem::I32",
            QElem::U32 => "QElem::U32",
            QElem::I64 => "QElem::I64",
            QElem::U64 => "QElem::U64",
        })
    }
}

impl QElem {
    /// `v` rounded to this (float) type and widened back; integer types leave `v` unchanged.
    #[inline(always)]
    pub fn round_to(self, v: f64) -> f64 {
        match self {
            QElem::F32 => v as f32 as f64,
            QElem::F16 => f16_to_f32(f64_to_f16(v)) as f64,
            QElem::BF16 => bf16_to_f32(f64_to_bf16(v)) as f64,
            _ => v,
        }
    }

    /// The range of an integer type (floats: unbounded).
    #[inline(always)]
    pub fn int_range(self) -> (f64, f64) {
        match self {
            QElem::I8 => (-128.0, 127.0),
            QElem::U8 => (0.0, 255.0),
            QElem::I16 => (-32768.0, 32767.0),
            QElem::U16 => (0.0, 65535.0),
            QElem::I32 => (-2147483648.0, 2147483647.0),
            QElem::U32 => (0.0, 4294967295.0),
            QElem::I64 => (-9.223372036854776e18, 9.223372036854776e18),
            QElem::U64 => (0.0, 1.8446744073709552e19),
            _ => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }
}

/// An element readable and writable as `f64`.
pub trait QScalar: Copy {
    /// The value (exact except for 64-bit integers beyond 2^53).
    fn load(self, e: QElem) -> f64;
    /// `v` stored as this type: floats round to nearest even, integers convert as by `as`
    /// (truncating toward zero, saturating, NaN to 0).
    fn store(v: f64, e: QElem) -> Self;
}

/// [`QScalar`] by `as` conversions.
macro_rules! qscalar {
    ($($t:ty),*) => {$(
        impl QScalar for $t {
            #[inline(always)]
            fn load(self, _: QElem) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn store(v: f64, _: QElem) -> Self {
                v as $t
            }
        }
    )*};
}

qscalar!(f32, f64, i8, u8, i16, i32, u32, i64, u64);

impl QScalar for u16 {
    #[inline(always)]
    fn load(self, e: QElem) -> f64 {
        match e {
            QElem::F16 => f16_to_f32(self) as f64,
            QElem::BF16 => bf16_to_f32(self) as f64,
            _ => self as f64,
        }
    }
    #[inline(always)]
    fn store(v: f64, e: QElem) -> Self {
        match e {
            QElem::F16 => f64_to_f16(v),
            QElem::BF16 => f64_to_bf16(v),
            _ => v as u16,
        }
    }
}

/// Round half to even (`v` unchanged when NaN, infinite or already integral).
#[inline(always)]
pub fn round_half_even(v: f64) -> f64 {
    let a = if v < 0.0 { -v } else { v };
    // From 2^52 on every f64 is an integer.
    if a.is_nan() || a >= 4_503_599_627_370_496.0 {
        return v;
    }
    let t = v as i64 as f64;
    let f = if t > v { t - 1.0 } else { t };
    let d = v - f;
    if d > 0.5 || (d == 0.5 && (f as i64) % 2 != 0) {
        f + 1.0
    } else {
        f
    }
}

/// Geometry and element types of QuantizeLinear / DequantizeLinear. `x` is viewed as
/// `[outer, axis_len, inner]`; the scale (and zero point) of element `(o, a, i)` is at
/// `o * scale_outer + (a / block) * scale_axis + i * scale_inner` (all strides 0 per tensor;
/// `scale_axis = 1` per axis; blocked: the scale has x's shape with `ceil(axis_len / block)`
/// on the axis).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QuantLinearParams {
    pub outer: usize,
    pub axis_len: usize,
    pub inner: usize,
    pub block: usize,
    pub scale_outer: usize,
    pub scale_axis: usize,
    pub scale_inner: usize,
    /// Element types of x, of the scale and of y.
    pub x: QElem,
    pub scale: QElem,
    pub y: QElem,
    /// The float type the division (Quantize) or product (Dequantize) is rounded to.
    pub precision: QElem,
}

/// Calls `f(element index, scale index)` for each element of x, in order.
#[inline(always)]
fn each_element<F: FnMut(usize, usize)>(p: &QuantLinearParams, mut f: F) {
    let block = p.block.max(1);
    let mut at = 0;
    for o in 0..p.outer {
        for a in 0..p.axis_len {
            let base = o * p.scale_outer + (a / block) * p.scale_axis;
            for i in 0..p.inner {
                f(at, base + i * p.scale_inner);
                at += 1;
            }
        }
    }
}

/// True when x and y hold the whole tensor and the scale and zero point reach every index.
#[inline(always)]
fn fits(p: &QuantLinearParams, x: usize, y: usize, scale: usize, zero: Option<usize>) -> bool {
    let len = p.outer * p.axis_len * p.inner;
    let last = if len == 0 {
        0
    } else {
        (p.outer - 1) * p.scale_outer + ((p.axis_len - 1) / p.block.max(1)) * p.scale_axis + (p.inner - 1) * p.scale_inner + 1
    };
    x >= len && y >= len && scale >= last && zero.is_none_or(|z| z >= last)
}

/// `QuantizeLinear`: `y = saturate(round_half_even(x / scale) + zero_point)`, the division
/// rounded to `p.precision`.
#[inline(always)]
pub fn quantize_linear<X: QScalar, S: QScalar, Y: QScalar>(p: &QuantLinearParams, x: &[X], scale: &[S], zero: Option<&[Y]>, y: &mut [Y]) {
    if !fits(p, x.len(), y.len(), scale.len(), zero.map(<[Y]>::len)) {
        return;
    }
    let (lo, hi) = p.y.int_range();
    let pr = p.precision;
    each_element(p, |at, s| {
        let (Some(xv), Some(sv), Some(out)) = (x.get(at), scale.get(s), y.get_mut(at)) else {
            return;
        };
        let z = zero.and_then(|z| z.get(s)).map_or(0.0, |z| z.load(p.y));
        let q = pr.round_to(pr.round_to(xv.load(p.x)) / pr.round_to(sv.load(p.scale)));
        let r = round_half_even(q) + z;
        let r = if r < lo { lo } else if r > hi { hi } else { r };
        *out = Y::store(r, p.y);
    });
}

/// `DequantizeLinear`: `y = (x - zero_point) * scale`, computed in `p.precision` (x is first
/// rounded to it, as ONNX reads x as float).
#[inline(always)]
pub fn dequantize_linear<X: QScalar, S: QScalar, Y: QScalar>(p: &QuantLinearParams, x: &[X], scale: &[S], zero: Option<&[X]>, y: &mut [Y]) {
    if !fits(p, x.len(), y.len(), scale.len(), zero.map(<[X]>::len)) {
        return;
    }
    let pr = p.precision;
    each_element(p, |at, s| {
        let (Some(xv), Some(sv), Some(out)) = (x.get(at), scale.get(s), y.get_mut(at)) else {
            return;
        };
        let z = zero.and_then(|z| z.get(s)).map_or(0.0, |z| z.load(p.x));
        let d = pr.round_to(pr.round_to(xv.load(p.x) as f32 as f64) - z);
        let v = pr.round_to(d * sv.load(p.scale));
        *out = Y::store(QElem::F32.round_to(v), p.y);
    });
}

/// `Clip` with optional tensor bounds (one element each): `min(max(x, lo), hi)`.
#[inline(always)]
pub fn clip<T: Number>(x: &[T], lo: Option<&[T]>, hi: Option<&[T]>, y: &mut [T]) {
    let lo = lo.and_then(|v| v.first()).copied();
    let hi = hi.and_then(|v| v.first()).copied();
    for (o, &v) in y.iter_mut().zip(x) {
        let v = lo.map_or(v, |l| v.max(l));
        *o = hi.map_or(v, |h| v.min(h));
    }
}

/// `Clip` on half-precision bits (`bf16` selects the format), compared in `f32`.
#[inline(always)]
pub fn clip_half(bf16: bool, x: &[u16], lo: Option<&[u16]>, hi: Option<&[u16]>, y: &mut [u16]) {
    let get = |v: u16| if bf16 { bf16_to_f32(v) } else { f16_to_f32(v) };
    let lo = lo.and_then(|v| v.first()).copied();
    let hi = hi.and_then(|v| v.first()).copied();
    for (o, &v) in y.iter_mut().zip(x) {
        let mut r = v;
        if let Some(l) = lo {
            if get(r) < get(l) {
                r = l;
            }
        }
        if let Some(h) = hi {
            if get(r) > get(h) {
                r = h;
            }
        }
        *o = r;
    }
}

/// `Pad` in constant mode with the value read from a one-element tensor.
#[inline(always)]
pub fn pad_value<T: Copy>(p: &super::movement::PadParams, x: &[T], value: &[T], y: &mut [T]) {
    if let Some(&v) = value.first() {
        super::movement::pad(p, x, v, y);
    }
}

/// `Range` on half-precision bits: `start + i * delta`, computed in `f32` and rounded once.
#[inline(always)]
pub fn range_half(bf16: bool, start: &[u16], delta: &[u16], y: &mut [u16]) {
    let e = if bf16 { QElem::BF16 } else { QElem::F16 };
    let (Some(&s), Some(&d)) = (start.first(), delta.first()) else {
        return;
    };
    let (s, d) = (s.load(e) as f32, d.load(e) as f32);
    for (i, o) in y.iter_mut().enumerate() {
        *o = u16::store((s + i as f32 * d) as f64, e);
    }
}

/// 2-D (or 1-D, with `in_h = 1`) max pooling on any [`Number`] type (the integer MaxPool).
#[inline(always)]
pub fn max_pool_number<T: Number>(p: &super::pool::PoolParams, x: &[T], y: &mut [T]) {
    let (in_plane, out_plane) = (p.in_h * p.in_w, p.out_h * p.out_w);
    let planes = p.batch * p.channels;
    let (Some(x), Some(y)) = (x.get(..planes * in_plane), y.get_mut(..planes * out_plane)) else {
        return;
    };
    if in_plane == 0 || out_plane == 0 || p.out_w == 0 {
        return;
    }
    for (xp, yp) in x.chunks_exact(in_plane).zip(y.chunks_exact_mut(out_plane)) {
        for (oh, row) in yp.chunks_exact_mut(p.out_w).enumerate() {
            for (ow, out) in row.iter_mut().enumerate() {
                let mut m = T::lowest();
                for kh in 0..p.kernel_h {
                    let Some(h) = (oh * p.stride_h + kh * p.dilation_h).checked_sub(p.pad_top).filter(|&h| h < p.in_h) else {
                        continue;
                    };
                    for kw in 0..p.kernel_w {
                        let Some(w) = (ow * p.stride_w + kw * p.dilation_w).checked_sub(p.pad_left).filter(|&w| w < p.in_w) else {
                            continue;
                        };
                        if let Some(&v) = xp.get(h * p.in_w + w) {
                            m = m.max(v);
                        }
                    }
                }
                *out = m;
            }
        }
    }
}

/// Inference `Dropout` with its mask: `y = x`, every mask element true.
#[inline(always)]
pub fn dropout_mask<T: Copy>(x: &[T], y: &mut [T], mask: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = v;
    }
    for m in mask.iter_mut() {
        *m = 1;
    }
}

#[cfg(test)]
#[path = "qlinear_tests.rs"]
mod tests;
