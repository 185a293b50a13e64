//! Fuzz target `import`: arbitrary bytes → `onnxc::onnx::load_bytes` (decode, build the typed
//! graph, shape inference). Errors are fine; a panic, a hang or a huge allocation is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // No model folder: external data must be refused, never read from disk.
    let _ = onnxc::onnx::load_bytes(bytes, None, &onnxc_fuzz::import_options());
});
