//! Helpers for the end-to-end tests: compile a golden model, build its crate, run it, and
//! compare the outputs with onnxruntime's (stored as `.npy` beside the model).

use onnxc::driver::{self, CompileOptions, Compiled};
use onnxc::ir::Tensor;
use onnxc::onnx::ImportOptions;
use onnxc::target::Target;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// `golden/models`.
pub fn models_dir() -> PathBuf {
    repo_root().join("golden/models")
}

/// Where tests put generated crates and their build output (kept between runs for speed).
pub fn work_dir() -> PathBuf {
    repo_root().join("target/golden")
}

/// A golden model: its `.onnx` file, input files and expected outputs.
pub struct GoldenModel {
    pub name: String,
    pub onnx: PathBuf,
    /// (input name, `.npy` path).
    pub inputs: Vec<(String, PathBuf)>,
    /// (output name, expected `.npy` path).
    pub expected: Vec<(String, PathBuf)>,
}

/// Finds the files of model `name` by the naming convention of `make_models.py`:
/// `<model>.<input>.npy` and `<model>.<output>.expected.npy`.
pub fn golden_model(name: &str) -> GoldenModel {
    let dir = models_dir();
    let onnx = dir.join(format!("{name}.onnx"));
    let mut inputs = Vec::new();
    let mut expected = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir).expect("golden/models exists").flatten().map(|e| e.file_name()).collect();
    entries.sort();
    for file in entries {
        let file = file.to_string_lossy().into_owned();
        let Some(rest) = file.strip_prefix(&format!("{name}.")) else { continue };
        if let Some(output) = rest.strip_suffix(".expected.npy") {
            expected.push((output.to_string(), dir.join(&file)));
        } else if let Some(input) = rest.strip_suffix(".npy") {
            inputs.push((input.to_string(), dir.join(&file)));
        }
    }
    GoldenModel { name: name.to_string(), onnx, inputs, expected }
}

/// Compiles a golden model for `generic` with default options.
pub fn compile(model: &GoldenModel) -> Compiled {
    compile_for(model, Target::generic())
}

/// Compiles a golden model for `target` with default options.
pub fn compile_for(model: &GoldenModel, target: Target) -> Compiled {
    let flags = format!("--target {}", target.name);
    let opts = CompileOptions {
        target,
        import: ImportOptions::default(),
        crate_name: None,
        standalone_workspace: true,
        layout: onnxc::codegen::Layout::Crate,
        flags,
    };
    driver::compile(&model.onnx, &opts).unwrap_or_else(|e| panic!("{}: compile failed: {e}", model.name))
}

/// Writes the crate, builds it in release, runs it on the model's inputs and returns the
/// outputs by name.
pub fn build_and_run(model: &GoldenModel, compiled: &Compiled) -> Vec<(String, Tensor)> {
    build_and_run_in(model, compiled, &work_dir().join("crates").join(&model.name), &work_dir().join("build"), "-D warnings")
}

/// [`build_and_run`] for a SIMD target: its own crate and build folders, and `RUSTFLAGS`
/// `-D warnings -C target-cpu=native` (the generated crate checks the target's features).
pub fn build_and_run_for(model: &GoldenModel, compiled: &Compiled, target: &str) -> Vec<(String, Tensor)> {
    let dir = work_dir().join(target);
    build_and_run_in(model, compiled, &dir.join("crates").join(&model.name), &dir.join("build"), "-D warnings -C target-cpu=native")
}

fn build_and_run_in(model: &GoldenModel, compiled: &Compiled, crate_dir: &Path, target_dir: &Path, rustflags: &str) -> Vec<(String, Tensor)> {
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    onnxc::codegen::write_crate(crate_dir, &compiled.files).expect("write crate");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--features", "std", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTFLAGS", rustflags)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "{}: the generated crate does not build", model.name);
    let clippy = Command::new(env!("CARGO"))
        .args(["clippy", "--quiet", "--all-targets", "--features", "std", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .args(["--", "-D", "warnings"])
        .env("CARGO_TARGET_DIR", target_dir)
        .env("RUSTFLAGS", rustflags)
        .output()
        .expect("cargo clippy runs (install it with `rustup component add clippy`)");
    assert!(
        clippy.status.success(),
        "{}: clippy warns on the generated crate: {}",
        model.name,
        String::from_utf8_lossy(&clippy.stderr)
    );
    let out_dir = crate_dir.join("out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let exe = target_dir.join("release").join(model.name.replace('_', "-"));
    let mut cmd = Command::new(&exe);
    for (name, path) in &model.inputs {
        cmd.arg("--input").arg(format!("{name}={}", path.display()));
    }
    let output = cmd.arg("--output-dir").arg(&out_dir).output().expect("generated binary runs");
    assert!(output.status.success(), "{}: the generated binary failed: {}", model.name, String::from_utf8_lossy(&output.stderr));
    model
        .expected
        .iter()
        .map(|(name, _)| {
            let path = out_dir.join(format!("{}.npy", onnxc::npy_io::file_stem(name)));
            (name.clone(), onnxc::npy_io::read_tensor(&path).unwrap_or_else(|e| panic!("{}: {e}", model.name)))
        })
        .collect()
}

/// Runs the model with the reference evaluator.
pub fn evaluate(model: &GoldenModel, compiled: &Compiled) -> Vec<(String, Tensor)> {
    let inputs = model
        .inputs
        .iter()
        .map(|(n, p)| (n.clone(), onnxc::npy_io::read_tensor(p).expect("input npy")))
        .collect();
    onnxc::eval::run_graph(&compiled.graph, &inputs, &Default::default()).unwrap_or_else(|e| panic!("{}: evaluation failed: {e}", model.name))
}

/// The largest error relative to max(1, |reference|) over all elements, or an explanation
/// of why the tensors cannot be compared.
pub fn max_relative_error(actual: &Tensor, expected: &Tensor) -> Result<f64, String> {
    if actual.shape != expected.shape || actual.dtype() != expected.dtype() {
        return Err(format!("got {} {:?}, expected {} {:?}", actual.dtype(), actual.shape, expected.dtype(), expected.shape));
    }
    let (a, e) = (actual.to_f32_vec().unwrap_or_default(), expected.to_f32_vec().unwrap_or_default());
    let mut worst = 0.0f64;
    for (x, y) in a.iter().zip(&e) {
        let (x, y) = (f64::from(*x), f64::from(*y));
        if x.is_nan() != y.is_nan() {
            return Err(format!("NaN mismatch: got {x}, expected {y}"));
        }
        if !x.is_nan() {
            worst = worst.max((x - y).abs() / y.abs().max(1.0));
        }
    }
    Ok(worst)
}

/// Compares outputs with the expected files; panics with every mismatch listed.
pub fn assert_matches(model: &GoldenModel, outputs: &[(String, Tensor)], tolerance: f64, what: &str) {
    let mut failures = Vec::new();
    for (name, path) in &model.expected {
        let expected = onnxc::npy_io::read_tensor(path).expect("expected npy");
        let Some((_, actual)) = outputs.iter().find(|(n, _)| n == name) else {
            failures.push(format!("output '{name}' missing"));
            continue;
        };
        match max_relative_error(actual, &expected) {
            Ok(err) if err <= tolerance => eprintln!("{} {what} {name}: max error {err:.2e}", model.name),
            Ok(err) => failures.push(format!("output '{name}': max error {err:.3e} > {tolerance:.0e}")),
            Err(why) => failures.push(format!("output '{name}': {why}")),
        }
    }
    assert!(failures.is_empty(), "{} ({what}): {}", model.name, failures.join("; "));
}

/// The golden models, in the order the tests run them.
pub const MODELS: &[&str] =
    &["mlp", "lenet", "kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder", "tiny_transformer", "mobilenetv2"];

/// The tolerance of the issue: max abs error ≤ 1e-4 × max(1, |ref|).
pub const TOLERANCE: f64 = 1e-4;
