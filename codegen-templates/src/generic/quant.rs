//! Quantized linear algebra: ONNX `QLinearMatMul`, `MatMulInteger` and
//! `DynamicQuantizeLinear` (per-tensor scales and zero points).

use super::real::{FloatKind, Real};

/// An 8-bit quantized element.
pub trait QInt: Copy {
    fn to_i32(self) -> i32;
    /// `v` saturated to the type's range.
    fn saturate(v: i32) -> Self;
}

impl QInt for u8 {
    #[inline(always)]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn saturate(v: i32) -> Self {
        v.clamp(0, 255) as u8
    }
}

impl QInt for i8 {
    #[inline(always)]
    fn to_i32(self) -> i32 {
        i32::from(self)
    }
    #[inline(always)]
    fn saturate(v: i32) -> Self {
        v.clamp(-128, 127) as i8
    }
}

/// Round half to even, to `i32` (saturating).
#[inline(always)]
pub fn round_even(x: f32) -> i32 {
    let f = crate::rt::math::floor(x);
    let d = x - f;
    let r = if d > 0.5 || (d == 0.5 && (f as i64) % 2 != 0) { f + 1.0 } else { f };
    r as i32
}

/// Geometry of a batched integer matrix product: `batch` products of `[m, k] x [k, n]`;
/// operands advance by their batch stride (0 when broadcast).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QMatMulParams {
    pub batch: usize,
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub a_stride: usize,
    pub b_stride: usize,
    /// Element type of the scales (QLinearMatMul).
    pub scale_kind: FloatKind,
}

/// Calls `out(batch, row, col, sum)` with each `sum((a - az) * (b - bz))`. Returns false if a
/// buffer is too short.
#[inline(always)]
fn int_products<A: QInt, B: QInt, F: FnMut(usize, i32)>(p: &QMatMulParams, a: &[A], b: &[B], az: i32, bz: i32, mut out: F) -> bool {
    let (m, n, k) = (p.m, p.n, p.k);
    for bi in 0..p.batch {
        let (ao, bo) = (bi * p.a_stride, bi * p.b_stride);
        let (Some(am), Some(bm)) = (a.get(ao..ao + m * k), b.get(bo..bo + k * n)) else {
            return false;
        };
        for i in 0..m {
            for j in 0..n {
                let mut s = 0i32;
                for (t, av) in am.iter().skip(i * k).take(k).enumerate() {
                    let bv = bm.get(t * n + j).map_or(0, |v| v.to_i32());
                    s = s.wrapping_add((av.to_i32() - az).wrapping_mul(bv - bz));
                }
                out((bi * m + i) * n + j, s);
            }
        }
    }
    true
}

/// `MatMulInteger`: int32 products of zero-point-shifted operands.
#[inline(always)]
pub fn matmul_integer<A: QInt, B: QInt>(p: &QMatMulParams, a: &[A], b: &[B], az: Option<&[A]>, bz: Option<&[B]>, y: &mut [i32]) {
    let az = az.and_then(|v| v.first()).map_or(0, |v| v.to_i32());
    let bz = bz.and_then(|v| v.first()).map_or(0, |v| v.to_i32());
    let Some(y) = y.get_mut(..p.batch * p.m * p.n) else {
        return;
    };
    int_products(p, a, b, az, bz, |at, s| {
        if let Some(v) = y.get_mut(at) {
            *v = s;
        }
    });
}

/// The scales and zero points of `QLinearMatMul`.
#[derive(Clone, Copy)]
pub struct QLinearArgs<'a, Q, S> {
    pub a_scale: &'a [S],
    pub a_zero: &'a [Q],
    pub b_scale: &'a [S],
    pub b_zero: &'a [Q],
    pub y_scale: &'a [S],
    pub y_zero: &'a [Q],
}

/// `QLinearMatMul`: `y = saturate(round(sum * a_scale * b_scale / y_scale) + y_zero)`.
#[inline(always)]
pub fn qlinear_matmul<Q: QInt, S: Real>(p: &QMatMulParams, a: &[Q], b: &[Q], q: QLinearArgs<'_, Q, S>, y: &mut [Q]) {
    let sk = p.scale_kind;
    let (Some(a_s), Some(a_z), Some(b_s), Some(b_z), Some(y_s), Some(y_z)) =
        (q.a_scale.first(), q.a_zero.first(), q.b_scale.first(), q.b_zero.first(), q.y_scale.first(), q.y_zero.first())
    else {
        return;
    };
    let factor = a_s.get(sk) * b_s.get(sk) / y_s.get(sk);
    let yz = y_z.to_i32();
    let Some(y) = y.get_mut(..p.batch * p.m * p.n) else {
        return;
    };
    int_products(p, a, b, a_z.to_i32(), b_z.to_i32(), |at, s| {
        if let Some(v) = y.get_mut(at) {
            *v = Q::saturate(round_even(s as f32 * factor).saturating_add(yz));
        }
    });
}

/// `DynamicQuantizeLinear`: uint8 quantization of `x` with a scale and zero point chosen from
/// its range (which always includes 0).
#[inline(always)]
pub fn dynamic_quantize_linear(x: &[f32], y: &mut [u8], scale: &mut [f32], zero: &mut [u8]) {
    let (Some(s_out), Some(z_out)) = (scale.first_mut(), zero.first_mut()) else {
        return;
    };
    let (mut lo, mut hi) = (0.0f32, 0.0f32);
    for &v in x {
        lo = if v < lo { v } else { lo };
        hi = if v > hi { v } else { hi };
    }
    let s = (hi - lo) / 255.0;
    let z = if s == 0.0 { 0 } else { round_even(-lo / s).clamp(0, 255) };
    *s_out = s;
    *z_out = z as u8;
    for (yv, &v) in y.iter_mut().zip(x) {
        let q = if s == 0.0 { z } else { round_even(v / s).saturating_add(z) };
        *yv = q.clamp(0, 255) as u8;
    }
}
