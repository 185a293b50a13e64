//! `MatMul`, `Gemm` and `Softmax` on `f64`, `f16` and `bf16` (the `f32` ones are in `gemm` and
//! `softmax`, and the SIMD families take those over).
//!
//! `f64` computes in `f64`; `f16` and `bf16` (raw `u16` bits, told apart by a [`FloatKind`])
//! compute in `f32` and round to the element type where the ONNX reference rounds: products
//! accumulate in `f32` and are rounded once; `Gemm`'s scaling and bias and each softmax step
//! (shift, exponential, normalizer, quotient) are rounded like the reference's numpy arrays.

use super::activation::{apply, Activation};
use super::gemm::{GemmBias, GemmParams, MatMulParams};
use super::real::{FloatKind, Real};
use super::reduce::{fold_at, reduce_each, reduced_dims, ReduceOp, ReduceParams};
use super::softmax::SoftmaxParams;
use core::ops::{Add, AddAssign, Div, Mul, Sub};

/// The arithmetic type a [`Elem`] computes in (`f32` or `f64`).
pub trait Acc: Copy + PartialOrd + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + Div<Output = Self> + AddAssign {
    const ZERO: Self;
    const ONE: Self;
    const NEG_INF: Self;
    fn from_f32(v: f32) -> Self;
    fn exp(self) -> Self;
    fn ln(self) -> Self;
    fn is_nan(self) -> bool;
    /// A fused activation.
    fn act(self, a: Activation) -> Self;
}

impl Acc for f32 {
    const ZERO: f32 = 0.0;
    const ONE: f32 = 1.0;
    const NEG_INF: f32 = f32::NEG_INFINITY;
    #[inline(always)]
    fn from_f32(v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn exp(self) -> f32 {
        crate::rt::math::exp(self)
    }
    #[inline(always)]
    fn ln(self) -> f32 {
        crate::rt::math::ln(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
    #[inline(always)]
    fn act(self, a: Activation) -> f32 {
        apply(a, self)
    }
}

impl Acc for f64 {
    const ZERO: f64 = 0.0;
    const ONE: f64 = 1.0;
    const NEG_INF: f64 = f64::NEG_INFINITY;
    #[inline(always)]
    fn from_f32(v: f32) -> f64 {
        f64::from(v)
    }
    #[inline(always)]
    fn exp(self) -> f64 {
        crate::rt::math::exp64(self)
    }
    #[inline(always)]
    fn ln(self) -> f64 {
        crate::rt::math::ln64(self)
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
    #[inline(always)]
    fn act(self, a: Activation) -> f64 {
        match a {
            Activation::None => self,
            _ => f64::from(apply(a, self as f32)),
        }
    }
}

/// A float element: loaded into its [`Acc`] type and stored back (rounded to nearest even).
pub trait Elem: Copy {
    type Acc: Acc;
    fn load(self, kind: FloatKind) -> Self::Acc;
    fn store(v: Self::Acc, kind: FloatKind) -> Self;
}

impl Elem for f32 {
    type Acc = f32;
    #[inline(always)]
    fn load(self, _: FloatKind) -> f32 {
        self
    }
    #[inline(always)]
    fn store(v: f32, _: FloatKind) -> f32 {
        v
    }
}

impl Elem for f64 {
    type Acc = f64;
    #[inline(always)]
    fn load(self, _: FloatKind) -> f64 {
        self
    }
    #[inline(always)]
    fn store(v: f64, _: FloatKind) -> f64 {
        v
    }
}

impl Elem for u16 {
    type Acc = f32;
    #[inline(always)]
    fn load(self, kind: FloatKind) -> f32 {
        self.get(kind)
    }
    #[inline(always)]
    fn store(v: f32, kind: FloatKind) -> u16 {
        u16::put(v, kind)
    }
}

/// `v` rounded to the element type (exact for `f32` and `f64`).
#[inline(always)]
pub fn round<T: Elem>(v: T::Acc, kind: FloatKind) -> T::Acc {
    T::store(v, kind).load(kind)
}

/// One row-major `[m, k] x [k, n]` product into `y` (overwritten), accumulated in `T::Acc`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn matmul_block<T: Elem>(m: usize, n: usize, k: usize, kind: FloatKind, a: &[T], b: &[T], y: &mut [T], act: Activation) {
    let (Some(a), Some(b), Some(y)) = (a.get(..m * k), b.get(..k * n), y.get_mut(..m * n)) else {
        return;
    };
    if n == 0 {
        return;
    }
    for (i, y_row) in y.chunks_exact_mut(n).enumerate() {
        let Some(a_row) = a.get(i * k..i * k + k) else { return };
        for (j, yv) in y_row.iter_mut().enumerate() {
            let mut acc = T::Acc::ZERO;
            for (&av, &bv) in a_row.iter().zip(b.iter().skip(j).step_by(n)) {
                acc += av.load(kind) * bv.load(kind);
            }
            *yv = T::store(acc.act(act), kind);
        }
    }
}

/// Batched, broadcasting `y = act(a @ b)` (see [`super::gemm::matmul`]) on any float type.
#[inline(always)]
pub fn matmul_float<T: Elem>(p: &MatMulParams, kind: FloatKind, a: &[T], b: &[T], y: &mut [T]) {
    let (m, n, k) = (p.m, p.n, p.k);
    let rank = if p.batch_rank < 6 { p.batch_rank } else { 6 };
    let batches: usize = p.batch_shape.iter().take(rank).product();
    let mut idx = [0usize; 6];
    let (mut a_off, mut b_off) = (0usize, 0usize);
    for bi in 0..batches {
        if let (Some(am), Some(bm), Some(ym)) =
            (a.get(a_off..a_off + m * k), b.get(b_off..b_off + k * n), y.get_mut(bi * m * n..(bi + 1) * m * n))
        {
            matmul_block(m, n, k, kind, am, bm, ym, p.act);
        }
        let dims = idx.iter_mut().zip(&p.batch_shape);
        let strides = p.a_batch_strides.iter().zip(&p.b_batch_strides);
        for ((i, &len), (&sa, &sb)) in dims.zip(strides).take(rank).rev() {
            *i += 1;
            a_off += sa;
            b_off += sb;
            if *i < len {
                break;
            }
            a_off -= sa * *i;
            b_off -= sb * *i;
            *i = 0;
        }
    }
}

/// `y = act(alpha * op(a) op(b) + beta * c)` (see [`super::gemm::gemm`]) on any float type.
#[inline(always)]
pub fn gemm_float<T: Elem>(p: &GemmParams, kind: FloatKind, a: &[T], b: &[T], c: Option<&[T]>, y: &mut [T]) {
    let (m, n, k) = (p.m, p.n, p.k);
    let (Some(a), Some(b), Some(y)) = (a.get(..m * k), b.get(..k * n), y.get_mut(..m * n)) else {
        return;
    };
    let need = match p.bias {
        GemmBias::None => 0,
        GemmBias::Scalar => 1,
        GemmBias::Row => n,
        GemmBias::Column => m,
        GemmBias::Full => m * n,
    };
    let c = match c {
        Some(c) if need > 0 && p.beta != 0.0 => match c.get(..need) {
            Some(c) => Some(c),
            None => return,
        },
        _ => None,
    };
    if n == 0 {
        return;
    }
    let (alpha, beta) = (T::Acc::from_f32(p.alpha), T::Acc::from_f32(p.beta));
    for (i, y_row) in y.chunks_exact_mut(n).enumerate() {
        for (j, yv) in y_row.iter_mut().enumerate() {
            let mut acc = T::Acc::ZERO;
            for t in 0..k {
                let ai = if p.trans_a { t * m + i } else { i * k + t };
                let bi = if p.trans_b { j * k + t } else { t * n + j };
                if let (Some(&av), Some(&bv)) = (a.get(ai), b.get(bi)) {
                    acc += av.load(kind) * bv.load(kind);
                }
            }
            let mut v = round::<T>(acc, kind);
            if p.alpha != 1.0 {
                v = round::<T>(v * alpha, kind);
            }
            if let Some(c) = c {
                let ci = match p.bias {
                    GemmBias::Row => j,
                    GemmBias::Column => i,
                    GemmBias::Full => i * n + j,
                    _ => 0,
                };
                let cv = c.get(ci).map_or(T::Acc::ZERO, |&cv| cv.load(kind));
                let cv = if p.beta != 1.0 { round::<T>(cv * beta, kind) } else { cv };
                v += cv;
            }
            *yv = T::store(v.act(p.act), kind);
        }
    }
}

/// Softmax or log-softmax along the axis (see [`super::softmax::softmax`]) on any float type.
#[inline(always)]
pub fn softmax_float<T: Elem>(p: &SoftmaxParams, kind: FloatKind, x: &[T], y: &mut [T]) {
    let (len, inner) = (p.axis_len, p.inner);
    let block = len * inner;
    let total = p.outer * block;
    let (Some(x), Some(y)) = (x.get(..total), y.get_mut(..total)) else {
        return;
    };
    if block == 0 {
        return;
    }
    // bf16 arrays sum with a rounding after each addition; f16 ones in f32 (as numpy does).
    let stepwise = kind == FloatKind::BF16;
    let r = |v: T::Acc| round::<T>(v, kind);
    for (xb, yb) in x.chunks_exact(block).zip(y.chunks_exact_mut(block)) {
        for i in 0..inner {
            let xs = || xb.iter().skip(i).step_by(inner).map(|&v| v.load(kind));
            let mut max = T::Acc::NEG_INF;
            for v in xs() {
                if v > max || v.is_nan() {
                    max = v;
                }
            }
            let mut sum = T::Acc::ZERO;
            for v in xs() {
                let e = r(r(v - max).exp());
                sum = if stepwise { r(sum + e) } else { sum + e };
            }
            let sum = r(sum);
            let ys = yb.iter_mut().skip(i).step_by(inner);
            if p.log {
                let l = r(sum.ln());
                for (yv, v) in ys.zip(xs()) {
                    *yv = T::store(r(v - max) - l, kind);
                }
            } else {
                for (yv, v) in ys.zip(xs()) {
                    *yv = T::store(r(r(v - max).exp()) / sum, kind);
                }
            }
        }
    }
}

/// Any [`ReduceOp`] on `f16` or `bf16` bits: accumulated in `f32`, rounded once per output.
#[inline(always)]
pub fn reduce_half(op: ReduceOp, p: &ReduceParams, kind: FloatKind, x: &[u16], y: &mut [u16]) {
    let out_len = p.out_len.min(y.len());
    let Some(y) = y.get_mut(..out_len) else {
        return;
    };
    let ld = |v: u16| v.get(kind);
    let add = |a: f32, b: f32| a + b;
    let max = |a: f32, b: f32| if b > a || b.is_nan() { b } else { a };
    let min = |a: f32, b: f32| if b < a || b.is_nan() { b } else { a };
    let dims = reduced_dims(p);
    let empty = p.reduce_len == 0;
    reduce_each(p, y, |base| {
        let fold = |init: f32, map: &dyn Fn(u16) -> f32, combine: &dyn Fn(f32, f32) -> f32| {
            if empty {
                init
            } else {
                fold_at(x, base, &dims, init, &map, &combine)
            }
        };
        let sq = |v: u16| ld(v) * ld(v);
        let v = match op {
            ReduceOp::Sum => fold(0.0, &ld, &add),
            ReduceOp::Mean => fold(0.0, &ld, &add) / p.reduce_len as f32,
            ReduceOp::Max => fold(f32::NEG_INFINITY, &ld, &max),
            ReduceOp::Min => fold(f32::INFINITY, &ld, &min),
            ReduceOp::Prod => fold(1.0, &ld, &|a, b| a * b),
            ReduceOp::L1 => fold(0.0, &|v| crate::rt::math::abs(ld(v)), &add),
            ReduceOp::L2 => crate::rt::math::sqrt(fold(0.0, &sq, &add)),
            ReduceOp::LogSum => crate::rt::math::ln(fold(0.0, &ld, &add)),
            ReduceOp::SumSquare => fold(0.0, &sq, &add),
            ReduceOp::LogSumExp => {
                let m = fold(f32::NEG_INFINITY, &ld, &max);
                if m.is_infinite() {
                    m
                } else {
                    m + crate::rt::math::ln(fold(0.0, &|v| crate::rt::math::exp(ld(v) - m), &add))
                }
            }
        };
        u16::put(v, kind)
    });
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
#[path = "float_linalg_tests.rs"]
mod tests;
