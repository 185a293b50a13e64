//! Shared setup of onnxc's fuzz targets (`fuzz_targets/*.rs`).
//!
//! * [`import_options`]: small limits, so the fuzzer does not spend its time on huge tensors
//!   (onnxc's own defaults are sized for real models: 1 GiB tensors, a million nodes).
//! * A global allocator that aborts on any single allocation above [`MAX_ALLOC_BYTES`]. On the
//!   stable toolchain the targets are built without a sanitizer, and libFuzzer's
//!   `-malloc_limit_mb` only works through a sanitizer's malloc hooks; this guard is the
//!   stable substitute (`-rss_limit_mb` works either way). libFuzzer reports the abort as a
//!   crash and saves the input.

use onnxc::limits::Limits;
use onnxc::onnx::ImportOptions;
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::io::Write;

/// Largest tensor the fuzz targets let the importer accept (initializer or constant).
pub const MAX_TENSOR_BYTES: usize = 16 << 20;
/// Most nodes (and initializers) the fuzz targets let the importer accept.
pub const MAX_NODES: usize = 10_000;
/// Largest total of initializers and constants.
pub const MAX_TOTAL_WEIGHT_BYTES: usize = 64 << 20;
/// Largest activation arena the planner may lay out.
pub const MAX_ARENA_BYTES: usize = 256 << 20;
/// Largest single allocation: 512 MiB. With inputs of at most a few MiB and tensors of at
/// most 16 MiB, anything bigger is onnxc trusting a size it should have checked.
pub const MAX_ALLOC_BYTES: usize = 512 << 20;

/// The import options both targets use.
pub fn import_options() -> ImportOptions {
    ImportOptions {
        dims: BTreeMap::new(),
        limits: Limits {
            max_tensor_bytes: MAX_TENSOR_BYTES,
            max_total_weight_bytes: MAX_TOTAL_WEIGHT_BYTES,
            max_arena_bytes: MAX_ARENA_BYTES,
            max_nodes: MAX_NODES,
            // Rank and decode expansion keep onnxc's defaults (and any cap added later).
            ..Limits::default()
        },
    }
}

/// The system allocator, aborting on requests above [`MAX_ALLOC_BYTES`].
pub struct GuardedAlloc;

#[cold]
fn too_big(size: usize) -> ! {
    // No allocation here: a fixed message, then the size in decimal from a stack buffer.
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut n = size;
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(b"==onnxc-fuzz== single allocation of ");
    let _ = err.write_all(&digits[i..]);
    let _ = err.write_all(b" bytes exceeds the fuzz limit (MAX_ALLOC_BYTES); aborting\n");
    std::process::abort()
}

// SAFETY: forwards every call to `System` unchanged; only refuses (by aborting) oversized
// requests before they reach it.
unsafe impl GlobalAlloc for GuardedAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC_BYTES {
            too_big(layout.size());
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() > MAX_ALLOC_BYTES {
            too_big(layout.size());
        }
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > MAX_ALLOC_BYTES {
            too_big(new_size);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: GuardedAlloc = GuardedAlloc;
