//! `cargo xtask miri`: compiles the MLP and LeNet golden models and runs their generated
//! crates' tests under Miri (nightly toolchain with the `miri` component), to check the whole
//! generated code path, weights and arena views included, for undefined behaviour.

use std::process::{Command, ExitCode};

/// Runs the check on the named golden models (default: mlp and lenet).
pub fn main(args: &[String]) -> ExitCode {
    match run(args) {
        0 => ExitCode::SUCCESS,
        code => ExitCode::from(code),
    }
}

fn run(args: &[String]) -> u8 {
    let root = crate::workspace_root();
    let root = root.as_path();
    let models: Vec<String> = if args.is_empty() { vec!["mlp".into(), "lenet".into()] } else { args.to_vec() };
    let probe = Command::new("rustup").args(["run", "nightly", "cargo", "miri", "--version"]).output();
    if !matches!(probe, Ok(ref o) if o.status.success()) {
        eprintln!("xtask miri: needs a nightly toolchain with Miri: `rustup toolchain install nightly --component miri`");
        return 2;
    }
    let out_root = root.join("target/miri");
    for model in &models {
        let crate_dir = out_root.join(model);
        let onnx = root.join("golden/models").join(format!("{model}.onnx"));
        let status = Command::new(env!("CARGO"))
            .current_dir(root)
            .args(["run", "--quiet", "-p", "onnxc", "--", "compile"])
            .arg(&onnx)
            .arg("-o")
            .arg(&crate_dir)
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("xtask miri: compiling {model} failed");
            return 1;
        }
        eprintln!("xtask miri: {model}: cargo miri test --lib");
        let status = Command::new("rustup")
            .current_dir(&crate_dir)
            .args(["run", "nightly", "cargo", "miri", "test", "--lib"])
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            eprintln!("xtask miri: {model}: Miri reported a problem");
            return 1;
        }
    }
    0
}
