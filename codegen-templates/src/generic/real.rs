//! Float element access for the neural-network kernels (attention, RMS norm, rotary
//! embedding, …): they compute in `f32` and read or write `f32`, `f64`, `f16` or `bf16`
//! elements (the 16-bit ones as raw `u16` bits) and bool masks (`u8`) through [`Real`].

use core::fmt;

/// Which ONNX element type a buffer holds (needed because `f16` and `bf16` are both `u16`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum FloatKind {
    F32,
    F64,
    F16,
    BF16,
    /// A bool stored as one byte: reads as 0.0 or 1.0.
    Bool,
}

impl fmt::Debug for FloatKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FloatKind::F32 => "FloatKind::F32",
            FloatKind::F64 => "FloatKind::F64",
            FloatKind::F16 => "FloatKind::F16",
            FloatKind::BF16 => "FloatKind::BF16",
            FloatKind::Bool => "FloatKind::Bool",
        })
    }
}

/// An element readable and writable as `f32`.
pub trait Real: Copy {
    /// The value as `f32`.
    fn get(self, kind: FloatKind) -> f32;
    /// `v` stored as this type (rounded to nearest even for the narrow floats).
    fn put(v: f32, kind: FloatKind) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn get(self, _: FloatKind) -> f32 {
        self
    }
    #[inline(always)]
    fn put(v: f32, _: FloatKind) -> Self {
        v
    }
}

impl Real for f64 {
    #[inline(always)]
    fn get(self, _: FloatKind) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn put(v: f32, _: FloatKind) -> Self {
        f64::from(v)
    }
}

impl Real for u16 {
    #[inline(always)]
    fn get(self, kind: FloatKind) -> f32 {
        if kind == FloatKind::BF16 {
            f32::from_bits(u32::from(self) << 16)
        } else {
            f16_to_f32(self)
        }
    }
    #[inline(always)]
    fn put(v: f32, kind: FloatKind) -> Self {
        if kind == FloatKind::BF16 {
            f32_to_bf16(v)
        } else {
            f32_to_f16(v)
        }
    }
}

impl Real for u8 {
    #[inline(always)]
    fn get(self, _: FloatKind) -> f32 {
        if self != 0 {
            1.0
        } else {
            0.0
        }
    }
    #[inline(always)]
    fn put(v: f32, _: FloatKind) -> Self {
        u8::from(v != 0.0)
    }
}

/// IEEE half-precision bits to `f32` (exact).
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h >> 15) << 31;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x3ff);
    if exp == 0 {
        // Zero or subnormal: man * 2^-24.
        let v = man as f32 * (1.0 / 16_777_216.0);
        return if sign != 0 { -v } else { v };
    }
    let bits = if exp == 31 { sign | 0x7f80_0000 | (man << 13) } else { sign | ((exp + 112) << 23) | (man << 13) };
    f32::from_bits(bits)
}

/// `f32` to IEEE half-precision bits, rounding to nearest even.
#[inline(always)]
pub fn f32_to_f16(v: f32) -> u16 {
    let x = v.to_bits();
    let sign = ((x >> 16) & 0x8000) as u16;
    let exp = ((x >> 23) & 0xff) as i32;
    let man = x & 0x7f_ffff;
    if exp == 255 {
        return sign | 0x7c00 | if man != 0 { 0x200 } else { 0 };
    }
    let e = exp - 127 + 15;
    if e >= 31 {
        return sign | 0x7c00;
    }
    if e <= 0 {
        if e < -10 {
            return sign;
        }
        let m = man | 0x80_0000;
        let shift = (14 - e) as u32;
        let half = 1u32 << (shift - 1);
        let rem = m & ((1u32 << shift) - 1);
        let mut r = m >> shift;
        if rem > half || (rem == half && (r & 1) == 1) {
            r += 1;
        }
        return sign | r as u16;
    }
    let mut r = ((e as u32) << 10) | (man >> 13);
    let rem = man & 0x1fff;
    if rem > 0x1000 || (rem == 0x1000 && (r & 1) == 1) {
        r += 1;
    }
    sign | r as u16
}

/// `f32` to bfloat16 bits, rounding to nearest even.
#[inline(always)]
pub fn f32_to_bf16(v: f32) -> u16 {
    let x = v.to_bits();
    if v.is_nan() {
        return ((x >> 16) as u16) | 0x40;
    }
    let round = 0x7fff + ((x >> 16) & 1);
    (x.wrapping_add(round) >> 16) as u16
}
