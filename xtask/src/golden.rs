//! `cargo xtask golden`: regenerate the golden models.
//!
//! Creates (once) a Python venv at `target/golden-venv` with pinned onnx,
//! onnxruntime and numpy, then runs `golden/scripts/make_models.py` with it.
//! The pins matter: the script's output is byte-for-byte deterministic only
//! for a fixed set of versions.

use std::process::{Command, ExitCode};

pub const ONNX_VERSION: &str = "1.23.2";
pub const ONNXRUNTIME_VERSION: &str = "1.32.0";
pub const NUMPY_VERSION: &str = "2.4.6";

const VENV_DIR: &str = "target/golden-venv";
const SCRIPT: &str = "golden/scripts/make_models.py";

const USAGE: &str = "\
usage: cargo xtask golden [--python EXE] [--recreate-venv] [SCRIPT ARGS...]

Regenerates golden/models/ with golden/scripts/make_models.py, run by a venv
at target/golden-venv that is created on first use with pinned packages.

options:
    --python EXE       interpreter used to create the venv
                       (default: $PYTHON, else python3 / python on Windows)
    --recreate-venv    delete target/golden-venv and build it again
    -h, --help         print this message

Other arguments go to the script, e.g.:
    --check            regenerate into a temp dir and compare with golden/models
    --out DIR          write somewhere other than golden/models";

fn pins() -> Vec<String> {
    vec![
        format!("onnx=={ONNX_VERSION}"),
        format!("onnxruntime=={ONNXRUNTIME_VERSION}"),
        format!("numpy=={NUMPY_VERSION}"),
    ]
}

struct Options {
    python: Option<String>,
    recreate: bool,
    script_args: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut opts = Options {
        python: None,
        recreate: false,
        script_args: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--python" => {
                let v = it.next().ok_or("--python needs a value")?;
                opts.python = Some(v.clone());
            }
            "--recreate-venv" => opts.recreate = true,
            _ => {
                if let Some(v) = a.strip_prefix("--python=") {
                    opts.python = Some(v.to_string());
                } else {
                    opts.script_args.push(a.clone());
                }
            }
        }
    }
    Ok(Some(opts))
}

pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("xtask golden: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask golden: error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<ExitCode, String> {
    let root = crate::workspace_root();
    let venv = root.join(VENV_DIR);
    let python = crate::venv::ensure(&venv, &pins(), opts.python.as_deref(), opts.recreate, "golden")?;

    let script = root.join(SCRIPT);
    if !script.is_file() {
        return Err(format!("missing {}", script.display()));
    }
    eprintln!("xtask golden: running {SCRIPT}");
    let status = Command::new(&python)
        .arg(&script)
        .args(&opts.script_args)
        .current_dir(&root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    Ok(exit_code_of(status))
}

fn exit_code_of(status: std::process::ExitStatus) -> ExitCode {
    match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(c) => ExitCode::from(u8::try_from(c).unwrap_or(1).max(1)),
        None => ExitCode::FAILURE, // killed by a signal
    }
}
