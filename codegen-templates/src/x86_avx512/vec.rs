//! AVX-512F vector primitives (16 f32 lanes in a zmm register) under the shared SIMD kernels.
//!
//! Every SIMD family has a `vec.rs` with these same names; the kernels in `simd_*.rs` use only
//! them. The generated crate refuses to build unless `avx512f` and `fma` are enabled at compile
//! time (see its `lib.rs`), which is what makes the intrinsic calls below sound: the
//! instructions are guaranteed to exist on the CPU the crate is built for.

use core::arch::x86_64::{
    _mm_prefetch, _MM_HINT_T0,
    __m512, __mmask16, _mm512_abs_ps, _mm512_add_epi32, _mm512_add_ps, _mm512_and_si512,
    _mm512_andnot_si512, _mm512_castps_si512, _mm512_castsi512_ps, _mm512_cvtps_epi32,
    _mm512_div_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_mask_storeu_ps, _mm512_max_ps,
    _mm512_maskz_loadu_ps, _mm512_min_ps, _mm512_mul_ps, _mm512_or_si512, _mm512_permutex2var_ps, _mm512_setr_epi32,
    _mm512_reduce_add_ps, _mm512_reduce_max_ps, _mm512_roundscale_ps, _mm512_set1_epi32,
    _mm512_set1_ps, _mm512_setzero_ps, _mm512_slli_epi32, _mm512_storeu_ps, _mm512_sub_ps,
};

/// One vector of f32 lanes.
pub type F32s = __m512;

/// f32 lanes per vector.
pub const LANES: usize = 16;

/// Rows of the GEMM register tile (accumulators: rows × vectors of the 32 zmm registers).
pub const GEMM_ROWS: usize = 8;

/// Vectors per row of the GEMM register tile.
pub const GEMM_VECS: usize = 3;

/// Channel vectors a stride-2 depthwise row of 8 pixels computes at once: two vectors of 8 pixels keep 16 accumulators and a kernel row's 17 inputs in the 32 zmm registers.
pub const DW_SHARED_VECS: usize = 2;

/// Vectors per row of the single-row (matrix-vector) tile: one row of `B` read contiguously.
pub const GEMV_VECS: usize = 8;

/// Asks for the cache line holding `p` to be brought into L1; a hint, which reads nothing
/// architecturally and never faults, whatever `p` is.
#[inline(always)]
pub fn prefetch(p: *const f32) {
    // SAFETY: `prefetcht0` has no architectural effect and does not fault on any address; SSE
    // is part of every x86-64 target.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>()) }
}

/// Which lanes of a partial vector are live: the first `n` of [`LANES`].
#[derive(Clone, Copy)]
pub struct Tail(__mmask16);

/// The tail of `n` live lanes (`n` >= LANES means every lane).
#[inline(always)]
pub fn tail(n: usize) -> Tail {
    if n >= LANES {
        Tail(0xffff)
    } else {
        Tail(((1u32 << n) - 1) as __mmask16)
    }
}

/// Every lane `x`.
#[inline(always)]
pub fn splat(x: f32) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_set1_ps(x) }
}

/// Every lane 0.
#[inline(always)]
pub fn zero() -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_setzero_ps() }
}

/// `a * b + c`, rounded once.
#[inline(always)]
pub fn fma(a: F32s, b: F32s, c: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_fmadd_ps(a, b, c) }
}

/// `a + b`.
#[inline(always)]
pub fn add(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_add_ps(a, b) }
}

/// Lane-wise maximum; where either lane is NaN the result is `b`'s lane.
#[inline(always)]
pub fn max(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_max_ps(a, b) }
}

/// Lane-wise minimum; where either lane is NaN the result is `b`'s lane.
#[inline(always)]
pub fn min(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_min_ps(a, b) }
}

/// Loads [`LANES`] floats from `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be readable.
#[inline(always)]
pub unsafe fn load(p: *const f32) -> F32s {
    // SAFETY: the caller guarantees the range; avx512f is enabled at compile time.
    unsafe { _mm512_loadu_ps(p) }
}

/// Loads the live lanes of `t` from `p`; the others are 0 and their memory is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be readable.
#[inline(always)]
pub unsafe fn load_tail(p: *const f32, t: Tail) -> F32s {
    // SAFETY: masked-off lanes do not access memory (no fault); the caller guarantees the rest.
    unsafe { _mm512_maskz_loadu_ps(t.0, p) }
}

/// Stores [`LANES`] floats to `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be writable.
#[inline(always)]
pub unsafe fn store(p: *mut f32, v: F32s) {
    // SAFETY: the caller guarantees the range; avx512f is enabled at compile time.
    unsafe { _mm512_storeu_ps(p, v) }
}

/// Stores the live lanes of `t` to `p`; memory of the other lanes is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be writable.
#[inline(always)]
pub unsafe fn store_tail(p: *mut f32, v: F32s, t: Tail) {
    // SAFETY: masked-off lanes do not access memory; the caller guarantees the rest.
    unsafe { _mm512_mask_storeu_ps(p, t.0, v) }
}

/// `a - b`.
#[inline(always)]
pub fn sub(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_sub_ps(a, b) }
}

/// `a * b`.
#[inline(always)]
pub fn mul(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_mul_ps(a, b) }
}

/// `a / b`.
#[inline(always)]
pub fn div(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_div_ps(a, b) }
}

/// Rounds to the nearest integer (ties to even).
#[inline(always)]
pub fn round(a: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs). 0x08: nearest, no exceptions.
    unsafe { _mm512_roundscale_ps::<0x08>(a) }
}

/// `2^n` for integral lanes `n` in `-126..=127`.
#[inline(always)]
pub fn pow2i(n: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs). The biased exponent
    // `n + 127` lies in 1..=254, so the shifted bits are a normal float.
    unsafe { _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)))) }
}

/// `|a|`.
#[inline(always)]
pub fn abs(a: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_abs_ps(a) }
}

/// `|magnitude|` with the sign of `sign`.
#[inline(always)]
pub fn copysign(magnitude: F32s, sign: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time (module docs); bit casts only.
    unsafe {
        let mask = _mm512_set1_epi32(i32::MIN);
        let s = _mm512_and_si512(_mm512_castps_si512(sign), mask);
        _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(mask, _mm512_castps_si512(magnitude)), s))
    }
}

/// The even-indexed lanes of `a` followed by `b`: `a[0], a[2], …, b[0], b[2], …`.
#[inline(always)]
pub fn evens(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx512f is enabled at compile time. Index `i < 16` picks lane `i` of `a`,
    // `16 + i` lane `i` of `b`.
    unsafe { _mm512_permutex2var_ps(a, _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b) }
}

/// Sum of the lanes.
#[inline(always)]
pub fn hsum(a: F32s) -> f32 {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_reduce_add_ps(a) }
}

/// Maximum of the lanes.
#[inline(always)]
pub fn hmax(a: F32s) -> f32 {
    // SAFETY: avx512f is enabled at compile time (module docs).
    unsafe { _mm512_reduce_max_ps(a) }
}
