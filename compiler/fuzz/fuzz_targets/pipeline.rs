//! Fuzz target `pipeline`: bytes → import → every pass → plan → codegen, all in memory (no
//! file is written), for `generic` or `x86-avx512`. Errors are fine; a panic, a hang or a
//! huge allocation is a bug.
//!
//! Inputs that do not import are rejected from this target's corpus (the `import` target
//! covers them), so its corpus holds models that reach the passes.
#![no_main]

use libfuzzer_sys::{fuzz_target, Corpus};
use onnxc::codegen::{self, CodegenOptions};
use onnxc::target::Target;

fuzz_target!(|bytes: &[u8]| -> Corpus {
    let opts = onnxc_fuzz::import_options();
    let Ok(mut graph) = onnxc::onnx::load_bytes(bytes, None, &opts) else {
        return Corpus::Reject;
    };
    // Odd-length inputs run for a SIMD target, so its passes (the channels-last layout,
    // residual fusion) and kernel routing see the same arbitrary graphs.
    let target = if bytes.len() % 2 == 1 { Target::named("x86-avx512").unwrap_or_else(|_| Target::generic()) } else { Target::generic() };
    if onnxc::passes::run_pipeline(&mut graph, &target, None).is_err() {
        return Corpus::Keep;
    }
    // `plan::plan` with the fuzz limits (what `driver::compile` calls).
    let Ok(plan) = onnxc::plan::plan_with_limits(&graph, &opts.limits) else {
        return Corpus::Keep;
    };
    let codegen_opts = CodegenOptions {
        crate_name: "fuzz-model".into(),
        header: "fuzz".into(),
        standalone_workspace: true,
        layout: codegen::Layout::Crate,
    };
    let _ = codegen::generate(&graph, &plan, &target, &codegen_opts);
    // onnxc's codegen parses its embedded kernel sources with syn on every call, and with
    // proc-macro2's `span-locations` each parse adds a copy of the text to a thread-local
    // source map that is never freed (~340 KiB per call): without this, the process would hit
    // -rss_limit_mb after a few thousand runs (and the u32 span offsets would wrap after ~12k).
    // No span outlives `generate`, so dropping them all here is safe.
    proc_macro2::extra::invalidate_current_thread_spans();
    Corpus::Keep
});
