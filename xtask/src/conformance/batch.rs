//! Batch crates: many compiled tests as modules of a few binaries, so the suite builds in
//! minutes instead of one crate per test.
//!
//! Each test is compiled by `onnxc compile --module` into a staging folder, then copied into
//! `crates/batch_NN/src/<module>/` only where bytes changed (so cargo rebuilds only batches
//! whose tests changed). A test's batch is a hash of its module name, stable when other tests
//! come and go. The kernels, runtime and `.npy` runner are the repository's own sources,
//! reached with `#[path]`, so a kernel fix needs no regeneration.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Batch crates for the small tests, built without optimization (compiles ~3× faster than
/// `-O1`; the tests are tiny), and for the light zoo models, which are whole networks and are
/// optimized (`-O1`: a fifth quicker to build than `-O2`). Cargo builds the crates in parallel.
const LIGHT_BATCHES: usize = 12;
const HEAVY_BATCHES: usize = 4;
pub const BATCHES: usize = LIGHT_BATCHES + HEAVY_BATCHES;

/// Which batch a module belongs to: a hash (FNV-1a) of its name, so a test stays in its batch
/// when others come and go; the light zoo models go to the optimized batches.
pub fn batch_of(module: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in module.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    if module.starts_with("light_") {
        LIGHT_BATCHES + (h % HEAVY_BATCHES as u64) as usize
    } else {
        (h % LIGHT_BATCHES as u64) as usize
    }
}

pub fn batch_name(b: usize) -> String {
    format!("batch_{b:02}")
}

/// Copies `from` to `to` file by file, writing only files whose bytes differ and deleting
/// files of `to` that `from` does not have.
pub fn sync_dir(from: &Path, to: &Path) -> Result<(), String> {
    fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    let mut wanted = BTreeSet::new();
    for entry in fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry.file_name();
        let src = entry.path();
        let dst = to.join(&name);
        wanted.insert(name);
        if src.is_dir() {
            sync_dir(&src, &dst)?;
            continue;
        }
        let bytes = fs::read(&src).map_err(|e| format!("cannot read {}: {e}", src.display()))?;
        if fs::read(&dst).ok().as_deref() != Some(bytes.as_slice()) {
            fs::write(&dst, bytes).map_err(|e| format!("cannot write {}: {e}", dst.display()))?;
        }
    }
    for entry in fs::read_dir(to).map_err(|e| e.to_string())?.flatten() {
        if !wanted.contains(&entry.file_name()) {
            let p = entry.path();
            let _ = if p.is_dir() { fs::remove_dir_all(&p) } else { fs::remove_file(&p) };
        }
    }
    Ok(())
}

/// Writes `path` only when its bytes change.
fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if fs::read(path).ok().as_deref() == Some(text.as_bytes()) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// The batch crates under `crates`, with `modules[b]` the tests of batch `b`.
pub struct Workspace {
    pub crates: PathBuf,
    pub modules: Vec<BTreeSet<String>>,
    /// Delete module folders not in `modules` (off for a filtered run, so the next full run
    /// finds the other tests' files unchanged).
    pub prune: bool,
    /// Rust target triple to build for (`None`: the host), linked with rust-lld.
    pub triple: Option<&'static str>,
}

impl Workspace {
    pub fn binary(&self, b: usize) -> PathBuf {
        match self.triple {
            Some(t) => self.crates.join("target").join(t).join("release").join(batch_name(b)),
            None => self.crates.join("target").join("release").join(batch_name(b)),
        }
    }

    /// Writes the workspace manifest and every batch's `Cargo.toml` and `main.rs`, and (with
    /// `prune`) removes module folders of tests no longer in a batch.
    pub fn write(&self, root: &Path, kernel_family: &str) -> Result<(), String> {
        let members: Vec<String> = (0..BATCHES).map(|b| format!("\"{}\"", batch_name(b))).collect();
        write_if_changed(
            &self.crates.join("Cargo.toml"),
            &format!(
                "# Written by `cargo xtask conformance`.\n[workspace]\nmembers = [{}]\nresolver = \"2\"\n\n\
                 # Most tests are tiny: compile fast. Release semantics (no overflow checks).\n\
                 [profile.release]\nopt-level = 0\ndebug = false\nincremental = true\ncodegen-units = 16\n\n\
                 # The light zoo models are whole networks: optimize them.\n{}",
                members.join(", "),
                (LIGHT_BATCHES..BATCHES)
                    .map(|b| format!("[profile.release.package.{}]\nopt-level = 1\n", batch_name(b)))
                    .collect::<Vec<_>>()
                    .join("\n")
            ),
        )?;
        for (b, modules) in self.modules.iter().enumerate() {
            let dir = self.crates.join(batch_name(b));
            write_if_changed(
                &dir.join("Cargo.toml"),
                &format!(
                    "[package]\nname = \"{0}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
                     [[bin]]\nname = \"{0}\"\npath = \"src/main.rs\"\n",
                    batch_name(b)
                ),
            )?;
            write_if_changed(&dir.join("src").join("main.rs"), &main_rs(root, kernel_family, modules))?;
            if !self.prune {
                continue;
            }
            if let Ok(entries) = fs::read_dir(dir.join("src")) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if entry.path().is_dir() && !modules.contains(&name) {
                        let _ = fs::remove_dir_all(entry.path());
                    }
                }
            }
        }
        Ok(())
    }

    /// Builds every batch. A module whose generated code does not compile is taken out of its
    /// batch (its error returned) and the batch rebuilt, so one bad test costs one test.
    pub fn build(&mut self, root: &Path, kernel_family: &str) -> Result<BTreeMap<String, String>, String> {
        let mut failed = BTreeMap::new();
        for _attempt in 0..8 {
            self.write(root, kernel_family)?;
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--release", "--message-format", "short", "--manifest-path"])
                .arg(self.crates.join("Cargo.toml"))
                .env_remove("RUSTFLAGS");
            if let Some(t) = self.triple {
                cmd.args(["--target", t]).env(crate::cross_test::LINKER_ENV, "rust-lld");
            }
            let out = cmd
                .output()
                .map_err(|e| format!("cannot run cargo: {e}"))?;
            if out.status.success() {
                return Ok(failed);
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            let mut progress = false;
            for line in stderr.lines() {
                // `batch_03/src/test_abs/mod.rs:12:5: error[E0308]: mismatched types`
                let Some(at) = line.find("/src/") else { continue };
                if !line.contains("error") {
                    continue;
                }
                let rest = &line[at + 5..];
                let Some(module) = rest.split('/').next().filter(|m| !m.ends_with(".rs")) else { continue };
                for set in &mut self.modules {
                    if set.remove(module) {
                        let message = line.split_once(": error").map_or(line, |(_, e)| e);
                        failed.insert(module.to_string(), format!("generated code does not build: error{}", message.trim()));
                        progress = true;
                    }
                }
            }
            if !progress {
                let tail: Vec<&str> = stderr.lines().filter(|l| l.contains("error")).take(20).collect();
                return Err(format!("batch build failed and no test module is to blame:\n{}", tail.join("\n")));
            }
        }
        Err("batch build still failing after taking out 8 rounds of broken modules".into())
    }
}

fn main_rs(root: &Path, kernel_family: &str, modules: &BTreeSet<String>) -> String {
    let src = |p: &str| root.join(p).display().to_string();
    let mut s = String::from(
        "//! A conformance batch written by `cargo xtask conformance`: test models compiled by onnxc\n\
         //! as modules. Usage: `batch_NN MODULE --input NAME=FILE.npy … --output-dir DIR`.\n\
         #![allow(warnings)]\n\n",
    );
    if kernel_family == "generic" {
        s.push_str(&format!("#[path = {:?}]\nmod kernels;\n\n", src("codegen-templates/src/generic/mod.rs")));
    } else {
        // A SIMD family's `mod.rs` re-exports some generic modules from `crate::generic` and
        // adds its own; the modules call the rest of the generic ones as `kernels::…` too.
        s.push_str(&format!(
            "#[path = {:?}]\nmod generic;\n\nmod kernels {{\n    pub use crate::generic::*;\n    #[path = {:?}]\n    mod family;\n    pub use family::*;\n}}\n\n",
            src("codegen-templates/src/generic/mod.rs"),
            src(&format!("codegen-templates/src/{kernel_family}/mod.rs"))
        ));
    }
    s.push_str(&format!(
        "mod rt {{\n    #[path = {:?}]\n    pub mod math;\n    #[path = {:?}]\n    pub mod view;\n}}\n\n",
        src("runtime-min/src/math.rs"),
        src("runtime-min/src/view.rs")
    ));
    s.push_str(&format!(
        "mod runner {{\n    #[path = {:?}]\n    pub mod cli;\n    #[path = {:?}]\n    pub mod npy;\n}}\n\n",
        src("runtime-min/src/runner.rs"),
        src("runtime-min/src/npy.rs")
    ));
    for m in modules {
        s.push_str(&format!("mod {m};\n#[path = \"{m}/cli.rs\"]\nmod {m}_cli;\n"));
    }
    s.push_str(
        "\nfn main() -> std::process::ExitCode {\n    let args: Vec<String> = std::env::args().skip(1).collect();\n    \
         let Some((module, rest)) = args.split_first() else {\n        eprintln!(\"error: usage: batch MODULE ARGS…\");\n        \
         return std::process::ExitCode::from(2);\n    };\n    match module.as_str() {\n",
    );
    for m in modules {
        s.push_str(&format!("        {m:?} => {m}_cli::main(rest),\n"));
    }
    s.push_str("        other => {\n            eprintln!(\"error: no test module {other}\");\n            std::process::ExitCode::from(2)\n        }\n    }\n}\n");
    s
}
