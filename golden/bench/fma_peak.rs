//! The core's fused multiply-add peak, for `cargo xtask bench`: independent FMA chains in
//! registers (no memory traffic), AVX-512 (zmm) and AVX2 (ymm), best of several runs timed in
//! thread CPU time.
//! Prints `avx512_gflops=… avx2_gflops=…` (0 when the CPU lacks the extension).

use std::arch::x86_64::*;
use std::hint::black_box;

/// `struct timespec` of the C library.
#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// CPU time of this thread in seconds: the machine is shared, so wall time would count the
/// time other processes hold the core.
fn thread_seconds() -> f64 {
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.sec as f64 + ts.nsec as f64 * 1e-9
}

/// Independent accumulator chains: enough to cover FMA latency on two ports.
const CHAINS: usize = 12;
const ITERS: u64 = 20_000_000;
const TRIALS: usize = 5;

macro_rules! fma_loop {
    ($name:ident, $feature:literal, $ty:ty, $set1:ident, $fma:ident, $add:ident, $store:ident, $lanes:expr) => {
        #[target_feature(enable = $feature)]
        fn $name(iters: u64) -> f32 {
            let m = $set1(black_box(0.999_999));
            let c = $set1(black_box(1.0e-7));
            let mut acc: [$ty; CHAINS] = [$set1(black_box(1.0)); CHAINS];
            for _ in 0..iters {
                for a in acc.iter_mut() {
                    *a = $fma(*a, m, c);
                }
            }
            let mut total = $set1(0.0);
            for a in acc {
                total = $add(total, a);
            }
            let mut out = [0.0f32; $lanes];
            // SAFETY: `out` holds exactly one vector of f32.
            unsafe { $store(out.as_mut_ptr(), total) };
            out.iter().sum()
        }
    };
}

fma_loop!(fma512, "avx512f", __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16);
fma_loop!(fma256, "avx2,fma", __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8);

fn best_gflops(lanes: usize, run: impl Fn(u64) -> f32) -> f64 {
    black_box(run(ITERS / 10));
    let mut best = 0.0f64;
    for _ in 0..TRIALS {
        let t = thread_seconds();
        black_box(run(ITERS));
        let seconds = thread_seconds() - t;
        let flops = (ITERS as f64) * (CHAINS * lanes * 2) as f64;
        best = best.max(flops / seconds / 1e9);
    }
    best
}

fn main() {
    let avx512 = if is_x86_feature_detected!("avx512f") {
        // SAFETY: the CPU has AVX-512F (checked just above).
        best_gflops(16, |n| unsafe { fma512(n) })
    } else {
        0.0
    };
    let avx2 = if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY: the CPU has AVX2 and FMA (checked just above).
        best_gflops(8, |n| unsafe { fma256(n) })
    } else {
        0.0
    };
    println!("avx512_gflops={avx512:.1} avx2_gflops={avx2:.1}");
}
