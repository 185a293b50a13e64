//! AVX2 + FMA vector primitives (8 f32 lanes in a ymm register) under the shared SIMD kernels.
//!
//! Every SIMD family has a `vec.rs` with these same names; the kernels in `simd_*.rs` use only
//! them. The generated crate refuses to build unless `avx2` and `fma` are enabled at compile
//! time (see its `lib.rs`), which is what makes the intrinsic calls below sound: the
//! instructions are guaranteed to exist on the CPU the crate is built for.

use core::arch::x86_64::{
    _mm_prefetch, _MM_HINT_T0,
    __m256, __m256i, _mm256_add_epi32, _mm256_add_ps, _mm256_and_ps, _mm256_andnot_ps,
    _mm256_castpd_ps, _mm256_castps_pd, _mm256_castsi256_ps, _mm256_cmpgt_epi32, _mm256_cvtps_epi32, _mm256_div_ps,
    _mm256_fmadd_ps, _mm256_loadu_ps, _mm256_maskload_ps, _mm256_maskstore_ps, _mm256_max_ps,
    _mm256_min_ps, _mm256_mul_ps, _mm256_or_ps, _mm256_permute4x64_pd, _mm256_round_ps, _mm256_set1_epi32,
    _mm256_set1_ps, _mm256_setr_epi32, _mm256_setzero_ps, _mm256_shuffle_ps, _mm256_slli_epi32, _mm256_storeu_ps,
    _mm256_sub_ps,
};

/// One vector of f32 lanes.
pub type F32s = __m256;

/// f32 lanes per vector.
pub const LANES: usize = 8;

/// Rows of the GEMM register tile (accumulators: rows × vectors of the 16 ymm registers).
pub const GEMM_ROWS: usize = 4;

/// Vectors per row of the GEMM register tile.
pub const GEMM_VECS: usize = 3;

/// Channel vectors a stride-2 depthwise row of 8 pixels computes at once: one: 8 accumulators and a kernel row's inputs already fill the 16 ymm registers.
pub const DW_SHARED_VECS: usize = 1;

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

/// Which lanes of a partial vector are live: the first `n` of [`LANES`] (sign bit set).
#[derive(Clone, Copy)]
pub struct Tail(__m256i);

/// The tail of `n` live lanes (`n` >= LANES means every lane).
#[inline(always)]
pub fn tail(n: usize) -> Tail {
    let live = if n >= LANES { LANES as i32 } else { n as i32 };
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { Tail(_mm256_cmpgt_epi32(_mm256_set1_epi32(live), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) }
}

/// Every lane `x`.
#[inline(always)]
pub fn splat(x: f32) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_set1_ps(x) }
}

/// Every lane 0.
#[inline(always)]
pub fn zero() -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_setzero_ps() }
}

/// `a * b + c`, rounded once.
#[inline(always)]
pub fn fma(a: F32s, b: F32s, c: F32s) -> F32s {
    // SAFETY: fma is enabled at compile time (module docs).
    unsafe { _mm256_fmadd_ps(a, b, c) }
}

/// `a + b`.
#[inline(always)]
pub fn add(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_add_ps(a, b) }
}

/// Lane-wise maximum; where either lane is NaN the result is `b`'s lane.
#[inline(always)]
pub fn max(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_max_ps(a, b) }
}

/// Lane-wise minimum; where either lane is NaN the result is `b`'s lane.
#[inline(always)]
pub fn min(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_min_ps(a, b) }
}

/// Loads [`LANES`] floats from `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be readable.
#[inline(always)]
pub unsafe fn load(p: *const f32) -> F32s {
    // SAFETY: the caller guarantees the range; avx2 is enabled at compile time.
    unsafe { _mm256_loadu_ps(p) }
}

/// Loads the live lanes of `t` from `p`; the others are 0 and their memory is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be readable.
#[inline(always)]
pub unsafe fn load_tail(p: *const f32, t: Tail) -> F32s {
    // SAFETY: masked-off lanes do not access memory (no fault); the caller guarantees the rest.
    unsafe { _mm256_maskload_ps(p, t.0) }
}

/// Stores [`LANES`] floats to `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be writable.
#[inline(always)]
pub unsafe fn store(p: *mut f32, v: F32s) {
    // SAFETY: the caller guarantees the range; avx2 is enabled at compile time.
    unsafe { _mm256_storeu_ps(p, v) }
}

/// Stores the live lanes of `t` to `p`; memory of the other lanes is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be writable.
#[inline(always)]
pub unsafe fn store_tail(p: *mut f32, v: F32s, t: Tail) {
    // SAFETY: masked-off lanes do not access memory; the caller guarantees the rest.
    unsafe { _mm256_maskstore_ps(p, t.0, v) }
}

/// `a - b`.
#[inline(always)]
pub fn sub(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_sub_ps(a, b) }
}

/// `a * b`.
#[inline(always)]
pub fn mul(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_mul_ps(a, b) }
}

/// `a / b`.
#[inline(always)]
pub fn div(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_div_ps(a, b) }
}

/// Rounds to the nearest integer (ties to even).
#[inline(always)]
pub fn round(a: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs). 0x08: nearest, no exceptions.
    unsafe { _mm256_round_ps::<0x08>(a) }
}

/// `2^n` for integral lanes `n` in `-126..=127`.
#[inline(always)]
pub fn pow2i(n: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs). The biased exponent `n + 127`
    // lies in 1..=254, so the shifted bits are a normal float.
    unsafe { _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)))) }
}

/// `|a|`.
#[inline(always)]
pub fn abs(a: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), a) }
}

/// `|magnitude|` with the sign of `sign`.
#[inline(always)]
pub fn copysign(magnitude: F32s, sign: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time (module docs).
    unsafe {
        let mask = _mm256_set1_ps(-0.0);
        _mm256_or_ps(_mm256_andnot_ps(mask, magnitude), _mm256_and_ps(mask, sign))
    }
}

/// The even-indexed lanes of `a` followed by `b`: `a[0], a[2], …, b[0], b[2], …`.
#[inline(always)]
pub fn evens(a: F32s, b: F32s) -> F32s {
    // SAFETY: avx2 is enabled at compile time. The shuffle gives `a0 a2 b0 b2 | a4 a6 b4 b6`
    // per 128-bit half; the permute puts the 64-bit pairs in order.
    unsafe { _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(_mm256_castps_pd(_mm256_shuffle_ps::<0b10_00_10_00>(a, b)))) }
}

/// Sum of the lanes.
#[inline(always)]
pub fn hsum(a: F32s) -> f32 {
    let mut lanes = [0.0f32; LANES];
    // SAFETY: `lanes` holds exactly one vector.
    unsafe { store(lanes.as_mut_ptr(), a) };
    lanes.iter().sum()
}

/// Maximum of the lanes.
#[inline(always)]
pub fn hmax(a: F32s) -> f32 {
    let mut lanes = [0.0f32; LANES];
    // SAFETY: `lanes` holds exactly one vector.
    unsafe { store(lanes.as_mut_ptr(), a) };
    lanes.iter().fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m })
}
