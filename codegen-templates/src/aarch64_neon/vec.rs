//! AArch64 NEON vector primitives (4 f32 lanes in a q register) under the shared SIMD kernels.
//!
//! Every SIMD family has a `vec.rs` with these same names; the kernels in `simd_*.rs` use only
//! them. The generated crate refuses to build unless `neon` is enabled at compile time (see
//! its `lib.rs`; every AArch64 Rust target enables it by default), which is what makes the
//! intrinsic calls below sound: the instructions are guaranteed to exist on the CPU the crate
//! is built for. NEON has no masked loads and stores, so a partial vector goes through a
//! 4-float stack buffer.

use core::arch::aarch64::{
    float32x4_t, vabsq_f32, vaddq_f32, vaddq_s32, vaddvq_f32, vbslq_f32, vcgtq_f32,
    vcvtq_s32_f32, vdivq_f32, vdupq_n_f32, vdupq_n_s32, vdupq_n_u32, vfmaq_f32, vld1q_f32,
    vmaxnmvq_f32, vmulq_f32, vreinterpretq_f32_s32, vrndnq_f32, vshlq_n_s32, vst1q_f32, vsubq_f32, vuzp1q_f32,
};

/// One vector of f32 lanes.
pub type F32s = float32x4_t;

/// f32 lanes per vector.
pub const LANES: usize = 4;

/// Rows of the GEMM register tile (accumulators: rows × vectors of the 32 q registers;
/// 8 × 3 accumulators + 3 vectors of `B` + 1 broadcast of `A` = 28).
pub const GEMM_ROWS: usize = 8;

/// Vectors per row of the GEMM register tile.
pub const GEMM_VECS: usize = 3;

/// Channel vectors a stride-2 depthwise row of 8 pixels computes at once: one until measured on hardware (qemu counts instructions, not latency).
pub const DW_SHARED_VECS: usize = 1;

/// Vectors per row of the single-row (matrix-vector) tile: one row of `B` read contiguously.
pub const GEMV_VECS: usize = 8;

/// Asks for the cache line holding `p` ahead of use: a no-op on NEON until it is measured on
/// hardware (qemu counts instructions, so a `prfm` would only show up as a cost there).
#[inline(always)]
pub fn prefetch(_p: *const f32) {}

/// Which lanes of a partial vector are live: the first `self.0` (at most [`LANES`]).
#[derive(Clone, Copy)]
pub struct Tail(usize);

/// The tail of `n` live lanes (`n` >= LANES means every lane).
#[inline(always)]
pub fn tail(n: usize) -> Tail {
    Tail(if n >= LANES { LANES } else { n })
}

/// Every lane `x`.
#[inline(always)]
pub fn splat(x: f32) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vdupq_n_f32(x) }
}

/// Every lane 0.
#[inline(always)]
pub fn zero() -> F32s {
    splat(0.0)
}

/// `a * b + c`, rounded once.
#[inline(always)]
pub fn fma(a: F32s, b: F32s, c: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs). `vfmaq_f32(c, a, b)` = c + a·b.
    unsafe { vfmaq_f32(c, a, b) }
}

/// `a + b`.
#[inline(always)]
pub fn add(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vaddq_f32(a, b) }
}

/// Lane-wise maximum; where either lane is NaN the result is `b`'s lane (as on x86, so that
/// every family computes the same values: `a > b` is false for NaN).
#[inline(always)]
pub fn max(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vbslq_f32(vcgtq_f32(a, b), a, b) }
}

/// Lane-wise minimum; where either lane is NaN the result is `b`'s lane.
#[inline(always)]
pub fn min(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs). `b > a` is false for NaN.
    unsafe { vbslq_f32(vcgtq_f32(b, a), a, b) }
}

/// Loads [`LANES`] floats from `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be readable.
#[inline(always)]
pub unsafe fn load(p: *const f32) -> F32s {
    // SAFETY: the caller guarantees the range; neon is enabled at compile time.
    unsafe { vld1q_f32(p) }
}

/// Loads the live lanes of `t` from `p`; the others are 0 and their memory is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be readable.
#[inline(always)]
pub unsafe fn load_tail(p: *const f32, t: Tail) -> F32s {
    if t.0 >= LANES {
        // SAFETY: every lane is live, so the caller guarantees `p..p + LANES`.
        return unsafe { load(p) };
    }
    let mut lanes = [0.0f32; LANES];
    // SAFETY: the caller guarantees `p..p + t.0` (t.0 < LANES); `lanes` holds LANES floats.
    unsafe {
        core::ptr::copy_nonoverlapping(p, lanes.as_mut_ptr(), t.0);
        load(lanes.as_ptr())
    }
}

/// Stores [`LANES`] floats to `p` (any alignment).
///
/// # Safety
/// `p..p + LANES` must be writable.
#[inline(always)]
pub unsafe fn store(p: *mut f32, v: F32s) {
    // SAFETY: the caller guarantees the range; neon is enabled at compile time.
    unsafe { vst1q_f32(p, v) }
}

/// Stores the live lanes of `t` to `p`; memory of the other lanes is not touched.
///
/// # Safety
/// The live lanes' elements of `p` must be writable.
#[inline(always)]
pub unsafe fn store_tail(p: *mut f32, v: F32s, t: Tail) {
    if t.0 >= LANES {
        // SAFETY: every lane is live, so the caller guarantees `p..p + LANES`.
        return unsafe { store(p, v) };
    }
    let mut lanes = [0.0f32; LANES];
    // SAFETY: `lanes` holds LANES floats; the caller guarantees `p..p + t.0` (t.0 < LANES).
    unsafe {
        store(lanes.as_mut_ptr(), v);
        core::ptr::copy_nonoverlapping(lanes.as_ptr(), p, t.0);
    }
}

/// `a - b`.
#[inline(always)]
pub fn sub(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vsubq_f32(a, b) }
}

/// `a * b`.
#[inline(always)]
pub fn mul(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vmulq_f32(a, b) }
}

/// `a / b`.
#[inline(always)]
pub fn div(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vdivq_f32(a, b) }
}

/// Rounds to the nearest integer (ties to even).
#[inline(always)]
pub fn round(a: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs). FRINTN: nearest, ties to even.
    unsafe { vrndnq_f32(a) }
}

/// `2^n` for integral lanes `n` in `-126..=127`.
#[inline(always)]
pub fn pow2i(n: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs). The lanes are integral, so the
    // truncating conversion is exact; the biased exponent `n + 127` lies in 1..=254, so the
    // shifted bits are a normal float.
    unsafe { vreinterpretq_f32_s32(vshlq_n_s32::<23>(vaddq_s32(vcvtq_s32_f32(n), vdupq_n_s32(127)))) }
}

/// `|a|`.
#[inline(always)]
pub fn abs(a: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vabsq_f32(a) }
}

/// `|magnitude|` with the sign of `sign`.
#[inline(always)]
pub fn copysign(magnitude: F32s, sign: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time (module docs). The select takes the sign bit
    // from `sign` and every other bit from `magnitude`.
    unsafe { vbslq_f32(vdupq_n_u32(0x8000_0000), sign, magnitude) }
}

/// The even-indexed lanes of `a` followed by `b`: `a[0], a[2], …, b[0], b[2], …`.
#[inline(always)]
pub fn evens(a: F32s, b: F32s) -> F32s {
    // SAFETY: neon is enabled at compile time.
    unsafe { vuzp1q_f32(a, b) }
}

/// Sum of the lanes.
#[inline(always)]
pub fn hsum(a: F32s) -> f32 {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vaddvq_f32(a) }
}

/// Maximum of the lanes; NaN lanes are ignored unless every lane is NaN.
#[inline(always)]
pub fn hmax(a: F32s) -> f32 {
    // SAFETY: neon is enabled at compile time (module docs).
    unsafe { vmaxnmvq_f32(a) }
}
