//! Python virtual environments under `target/` with pinned packages, for the subcommands that
//! need onnx or onnxruntime (golden data, conformance tests, benchmarks).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Written into the venv after a successful `pip install`; holds the pins so a change of pins
/// triggers a reinstall.
const STAMP: &str = "onnxc-pins.txt";

/// The interpreter inside `venv`.
pub fn python_of(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The interpreter that creates venvs: `--python`, else `$PYTHON`, else `python3`.
fn base_python(explicit: Option<&str>) -> String {
    if let Some(p) = explicit {
        return p.to_string();
    }
    match std::env::var("PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ if cfg!(windows) => "python".to_string(),
        _ => "python3".to_string(),
    }
}

/// Returns the venv's interpreter, creating the venv and installing `pins` if needed.
/// `who` prefixes progress messages.
pub fn ensure(venv: &Path, pins: &[String], python: Option<&str>, recreate: bool, who: &str) -> Result<PathBuf, String> {
    let interpreter = python_of(venv);
    let stamp = venv.join(STAMP);
    let wanted = pins.join("\n") + "\n";

    if venv.exists() && (recreate || !interpreter.exists()) {
        eprintln!("xtask {who}: removing {}", venv.display());
        fs::remove_dir_all(venv).map_err(|e| format!("cannot remove {}: {e}", venv.display()))?;
    }
    if !interpreter.exists() {
        let base = base_python(python);
        eprintln!("xtask {who}: creating venv {} with {base}", venv.display());
        run_checked(Command::new(&base).args(["-m", "venv"]).arg(venv), &base)?;
        if !interpreter.exists() {
            return Err(format!("venv created but {} is missing", interpreter.display()));
        }
    }
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(interpreter);
    }
    eprintln!("xtask {who}: installing {}", pins.join(" "));
    let _ = fs::remove_file(&stamp);
    run_checked(
        Command::new(&interpreter)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--no-input", "--quiet"])
            .args(pins),
        "pip install",
    )?;
    fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    Ok(interpreter)
}

fn run_checked(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}
