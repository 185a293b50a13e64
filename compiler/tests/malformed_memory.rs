//! The malformed-model corpus in-process, under a counting allocator: no case may make onnxc
//! hold more than 100 MB at once (every case's file is under 1 MB).
//!
//! The global allocator is per test binary, hence this file apart from `malformed.rs`; its one
//! test runs the cases one after the other so that the count is theirs alone.

#[path = "malformed/mod.rs"]
mod corpus;

use corpus::{bit_flips, cases, Case};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Bytes allocated now, and the most since the last reset.
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// `System`, counting live bytes. A `realloc` is counted as if old and new blocks coexisted
/// (an upper bound: the allocator may grow in place).
struct Counting;

fn grow(bytes: usize) {
    let now = CURRENT.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

fn shrink(bytes: usize) {
    CURRENT.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call goes to `System` with the caller's arguments; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as ours.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        PEAK.fetch_max(CURRENT.load(Ordering::Relaxed) + new_size, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grow(new_size - layout.size());
            } else {
                shrink(layout.size() - new_size);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MAX_PEAK: usize = 100_000_000;
const MAX_INPUT: usize = 1_000_000;

/// Runs `f` and returns its result with the most bytes it held at once (above what was live
/// before it started).
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let result = f();
    (result, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// Compiles the case in-process as `onnxc compile` would (everything but writing the crate).
fn compile(case: &Case, dir: &std::path::Path) -> onnxc::Result<()> {
    let path = case.materialize(dir);
    let opts = case.compile_options();
    onnxc::driver::compile(&path, &opts).map(|_| ())
}

#[test]
fn no_case_holds_more_than_100_mb() {
    let root = corpus::repo().join("target/malformed-tests/memory");
    let _ = std::fs::remove_dir_all(&root);
    let mut report: Vec<(usize, std::time::Duration, String)> = Vec::new();
    let mut failures = Vec::new();
    let mut all: Vec<Case> = cases();
    all.extend(bit_flips(256).into_iter().map(|(name, bytes)| Case::new(name, bytes, &[])));
    for case in &all {
        assert!(case.bytes.len() < MAX_INPUT, "{}: {} bytes is not a small input", case.name, case.bytes.len());
        let dir = root.join(&case.name);
        let start = Instant::now();
        let (result, peak) = peak_of(|| compile(case, &dir));
        let took = start.elapsed();
        let _ = std::fs::remove_dir_all(&dir);
        if !case.expect.is_empty() {
            match &result {
                Ok(()) => failures.push(format!("{}: compiled", case.name)),
                Err(e) => {
                    if let Some(missing) = case.expect.iter().find(|w| !e.to_string().contains(w.as_str())) {
                        failures.push(format!("{}: '{missing}' missing from: {e}", case.name));
                    }
                }
            }
        }
        if peak >= MAX_PEAK {
            failures.push(format!("{}: peak {peak} bytes", case.name));
        }
        report.push((peak, took, case.name.clone()));
    }
    report.sort();
    for (peak, took, name) in report.iter().rev().take(12) {
        eprintln!("{:>8.1} MB {:>8.1} ms  {name}", *peak as f64 / 1e6, took.as_secs_f64() * 1e3);
    }
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures.join("\n"));
}
