//! `cargo xtask fuzz`: run onnxc's fuzz targets (`compiler/fuzz/`) with cargo-fuzz, on the
//! stable toolchain.
//!
//! cargo-fuzz normally builds with `-Zsanitizer=address`, which needs nightly. Everything
//! else it passes is stable: the coverage instrumentation is `-Cpasses=sancov-module` and
//! `-Cllvm-args=-sanitizer-coverage-*`, and libfuzzer-sys builds libFuzzer with the system C++
//! compiler. So this task runs, from the workspace root:
//!
//! ```text
//! cargo fuzz run --fuzz-dir compiler/fuzz --sanitizer none --no-cfg-fuzzing \
//!     --target-dir target/fuzz/build TARGET target/fuzz/corpus/TARGET target/fuzz/seeds -- \
//!     -max_total_time=N -max_len=2000000 -rss_limit_mb=2048 -malloc_limit_mb=2048 \
//!     -timeout=20 -print_final_stats=1
//! ```
//!
//! * `--sanitizer none`: no `-Z` flag at all, so no `RUSTC_BOOTSTRAP` either. Safe Rust needs
//!   no ASan to turn its bugs into crashes: panics (including integer overflow: cargo-fuzz
//!   builds with debug assertions) abort the process. `-malloc_limit_mb` needs a sanitizer's
//!   malloc hooks, so the targets install their own allocator guard instead
//!   (`compiler/fuzz/src/lib.rs`); `-rss_limit_mb` works without one. `--sanitizer address`
//!   is accepted here and sets `RUSTC_BOOTSTRAP=1` for the `-Zsanitizer` flag.
//! * `--no-cfg-fuzzing`: proc-macro2 turns its span locations off under `cfg(fuzzing)`, and
//!   onnxc's codegen needs them (every model would panic in `codegen::sources::item_text`).
//!
//! Seeds are gathered into `target/fuzz/seeds/` on every run: the golden models up to
//! [`MAX_SEED_BYTES`] (mobilenetv2, 14 MB, is left out) and the tiny hand-made models of
//! `compiler/fuzz/seeds/`. The corpus libFuzzer grows lives in `target/fuzz/corpus/TARGET/`
//! (kept between runs), crash inputs in `compiler/fuzz/artifacts/TARGET/` (cargo-fuzz's
//! default, git-ignored), and each run's full libFuzzer output in `target/fuzz/logs/`.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Instant, SystemTime};

/// The cargo-fuzz release this task installs when `cargo fuzz` is missing.
pub const CARGO_FUZZ_VERSION: &str = "0.13.2";
/// The fuzz targets, in the order they run.
pub const TARGETS: &[&str] = &["import", "pipeline"];
/// Golden models larger than this are not copied into the seeds.
pub const MAX_SEED_BYTES: u64 = 2_000_000;

const FUZZ_DIR: &str = "compiler/fuzz";
const BUILD_DIR: &str = "target/fuzz/build";
const SEEDS_DIR: &str = "target/fuzz/seeds";
const CORPUS_DIR: &str = "target/fuzz/corpus";
const LOGS_DIR: &str = "target/fuzz/logs";

/// libFuzzer flags of every run (`-max_total_time` is added from `--seconds`). Inputs are
/// models of up to a few MB; a unit slower than 20 s, a process above 2 GiB or a single
/// allocation above 512 MiB (the targets' own guard) is a bug.
const LIBFUZZER_FLAGS: &[&str] = &[
    "-max_len=2000000",
    "-rss_limit_mb=2048",
    "-malloc_limit_mb=2048",
    "-timeout=20",
    "-print_final_stats=1",
];

const USAGE: &str = "\
usage: cargo xtask fuzz [--seconds N] [--target import|pipeline] [--sanitizer none|address]
                        [--no-install] [-- LIBFUZZER FLAGS...]

Runs onnxc's fuzz targets (compiler/fuzz/) one after the other, single job, N seconds each,
with cargo-fuzz on the stable toolchain. Installs cargo-fuzz first if `cargo fuzz` is missing.
Prints libFuzzer's coverage lines and final stats; exits 1 if a target crashed, hung or ran
out of memory, listing the saved input (compiler/fuzz/artifacts/TARGET/).

targets:
    import      bytes -> onnx::load_bytes (decode, typed graph, shape inference)
    pipeline    bytes -> load_bytes -> passes::run_pipeline -> plan -> codegen::generate

options:
    --seconds N        fuzzing time per target (default 60)
    --target T         only this target (default: both)
    --sanitizer S      none (default; stable) or address (sets RUSTC_BOOTSTRAP=1)
    --no-install       fail instead of installing cargo-fuzz
    -h, --help         print this message

Flags after `--` go to libFuzzer, after the defaults (-max_len=2000000 -rss_limit_mb=2048
-malloc_limit_mb=2048 -timeout=20 -print_final_stats=1), so they override them.

Reproduce or minimize a crash:
    cargo fuzz run  --fuzz-dir compiler/fuzz --sanitizer none --no-cfg-fuzzing --target-dir target/fuzz/build TARGET FILE
    cargo fuzz tmin --fuzz-dir compiler/fuzz --sanitizer none --no-cfg-fuzzing --target-dir target/fuzz/build TARGET FILE";

struct Options {
    seconds: u64,
    targets: Vec<&'static str>,
    sanitizer: String,
    install: bool,
    extra: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut opts =
        Options { seconds: 60, targets: TARGETS.to_vec(), sanitizer: "none".into(), install: true, extra: Vec::new() };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it.next().cloned().ok_or_else(|| format!("{name} needs a value")),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(None),
            "--seconds" => {
                let v = value("--seconds")?;
                opts.seconds = v.parse().map_err(|_| format!("--seconds: '{v}' is not a whole number of seconds"))?;
                if opts.seconds == 0 {
                    return Err("--seconds must be at least 1".into());
                }
            }
            "--target" => {
                let v = value("--target")?;
                let t = TARGETS
                    .iter()
                    .find(|t| **t == v)
                    .ok_or_else(|| format!("unknown target '{v}'; the targets are: {}", TARGETS.join(", ")))?;
                opts.targets = vec![t];
            }
            "--sanitizer" => {
                let v = value("--sanitizer")?;
                if v != "none" && v != "address" {
                    return Err(format!("--sanitizer: '{v}' is not one of none, address"));
                }
                opts.sanitizer = v;
            }
            "--no-install" => opts.install = false,
            "--" => {
                opts.extra.extend(it.by_ref().cloned());
            }
            other => return Err(format!("unexpected argument '{other}'")),
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
            eprintln!("xtask fuzz: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask fuzz: {e}");
            ExitCode::from(2)
        }
    }
}

/// The `cargo` that runs this task (so the same toolchain builds the targets).
fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Whether `cargo fuzz` works; prints its version.
fn have_cargo_fuzz() -> bool {
    match cargo().args(["fuzz", "--version"]).stderr(Stdio::null()).output() {
        Ok(out) if out.status.success() => {
            println!("xtask fuzz: using {}", String::from_utf8_lossy(&out.stdout).trim());
            true
        }
        _ => false,
    }
}

fn ensure_cargo_fuzz(install: bool) -> Result<(), String> {
    if have_cargo_fuzz() {
        return Ok(());
    }
    if !install {
        return Err("`cargo fuzz` is not installed (and --no-install was given)".into());
    }
    println!("xtask fuzz: installing cargo-fuzz {CARGO_FUZZ_VERSION} (cargo install --locked)");
    let started = Instant::now();
    let status = cargo()
        .args(["install", "cargo-fuzz", "--locked", "--version", CARGO_FUZZ_VERSION])
        .status()
        .map_err(|e| format!("cannot run cargo install: {e}"))?;
    if !status.success() {
        return Err(format!("cargo install cargo-fuzz failed ({status})"));
    }
    println!("xtask fuzz: cargo-fuzz installed in {} s", started.elapsed().as_secs());
    if have_cargo_fuzz() {
        Ok(())
    } else {
        Err("cargo-fuzz was installed but `cargo fuzz` still does not run (is ~/.cargo/bin on PATH?)".into())
    }
}

/// Copies the seed models into `target/fuzz/seeds/` (afresh) and returns how many.
pub fn gather_seeds(root: &Path) -> Result<usize, String> {
    let dest = root.join(SEEDS_DIR);
    if dest.exists() {
        fs::remove_dir_all(&dest).map_err(|e| format!("cannot clear {}: {e}", dest.display()))?;
    }
    fs::create_dir_all(&dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?;
    let mut count = 0;
    for (dir, prefix, max) in
        [(root.join("golden/models"), "golden_", MAX_SEED_BYTES), (root.join(FUZZ_DIR).join("seeds"), "", u64::MAX)]
    {
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "onnx"))
            .collect();
        files.sort();
        for f in files {
            let len = fs::metadata(&f).map_err(|e| format!("cannot stat {}: {e}", f.display()))?.len();
            if len > max {
                continue;
            }
            let name = format!("{prefix}{}", f.file_name().unwrap_or_default().to_string_lossy());
            fs::copy(&f, dest.join(name)).map_err(|e| format!("cannot copy {}: {e}", f.display()))?;
            count += 1;
        }
    }
    Ok(count)
}

/// cargo-fuzz's build flags, shared by `build` and `run`.
fn build_flags(sanitizer: &str) -> Vec<String> {
    ["--fuzz-dir", FUZZ_DIR, "--sanitizer", sanitizer, "--no-cfg-fuzzing", "--target-dir", BUILD_DIR]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn fuzz_command(root: &Path, sanitizer: &str) -> Command {
    let mut cmd = cargo();
    cmd.current_dir(root);
    if sanitizer != "none" {
        // -Zsanitizer on the stable toolchain.
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    cmd
}

fn run(opts: &Options) -> Result<bool, String> {
    let root = crate::workspace_root();
    ensure_cargo_fuzz(opts.install)?;
    let seeds = gather_seeds(&root)?;
    println!("xtask fuzz: {seeds} seed models in {SEEDS_DIR}/");

    let started = Instant::now();
    let status = fuzz_command(&root, &opts.sanitizer)
        .args(["fuzz", "build"])
        .args(build_flags(&opts.sanitizer))
        .status()
        .map_err(|e| format!("cannot run cargo fuzz build: {e}"))?;
    if !status.success() {
        return Err(format!("cargo fuzz build failed ({status})"));
    }
    println!("xtask fuzz: targets built in {} s", started.elapsed().as_secs());

    let mut ok = true;
    let mut summary = Vec::new();
    for target in &opts.targets {
        let result = fuzz_one(&root, target, opts)?;
        summary.push(format!(
            "{target}: {} in {} s, {} execs{}",
            if result.crashes.is_empty() && result.success { "ok" } else { "FAILED" },
            result.seconds,
            result.execs.as_deref().unwrap_or("?"),
            result.last_status.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(),
        ));
        if !result.success || !result.crashes.is_empty() {
            ok = false;
            eprintln!("\nxtask fuzz: target '{target}' failed; full log: {}", result.log.display());
            for c in &result.crashes {
                eprintln!("    crash input: {}", c.display());
                eprintln!(
                    "    reproduce:   cargo fuzz run {} {target} {}",
                    build_flags(&opts.sanitizer).join(" "),
                    c.display()
                );
                eprintln!(
                    "    minimize:    cargo fuzz tmin {} {target} {}",
                    build_flags(&opts.sanitizer).join(" "),
                    c.display()
                );
            }
        }
    }
    println!("\nxtask fuzz summary:");
    for s in &summary {
        println!("    {s}");
    }
    Ok(ok)
}

struct RunResult {
    success: bool,
    seconds: u64,
    execs: Option<String>,
    last_status: Option<String>,
    crashes: Vec<PathBuf>,
    log: PathBuf,
}

/// Whether a libFuzzer output line is worth echoing: coverage milestones, final stats, and
/// everything about a failure.
fn interesting(line: &str) -> bool {
    let status_line = line.starts_with('#')
        && (line.contains(" INITED ") || line.contains(" pulse ") || line.contains(" DONE "));
    status_line
        || line.starts_with("stat::")
        || line.starts_with("INFO: seed corpus")
        || line.starts_with("INFO: Done")
        || line.contains("panicked at")
        || line.contains("==ERROR")
        || line.contains("ERROR: libFuzzer")
        || line.contains("==onnxc-fuzz==")
        || line.starts_with("SUMMARY:")
        || line.contains("Test unit written to")
        || line.starts_with("error")
        || line.starts_with("Error")
}

fn fuzz_one(root: &Path, target: &str, opts: &Options) -> Result<RunResult, String> {
    let corpus = root.join(CORPUS_DIR).join(target);
    let logs = root.join(LOGS_DIR);
    for d in [&corpus, &logs] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let log_path = logs.join(format!("{target}.log"));
    let mut log = String::new();
    println!("\nxtask fuzz: fuzzing '{target}' for {} s (full output: {})", opts.seconds, log_path.display());
    let artifacts = root.join(FUZZ_DIR).join("artifacts").join(target);
    let before = SystemTime::now();
    let started = Instant::now();
    let mut child = fuzz_command(root, &opts.sanitizer)
        .args(["fuzz", "run"])
        .args(build_flags(&opts.sanitizer))
        .arg(target)
        .arg(format!("{CORPUS_DIR}/{target}"))
        .arg(SEEDS_DIR)
        .arg("--")
        .arg(format!("-max_total_time={}", opts.seconds))
        .args(LIBFUZZER_FLAGS)
        .args(&opts.extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run cargo fuzz run: {e}"))?;

    // libFuzzer writes to stderr; cargo-fuzz's own report too. Stdout is drained by a thread.
    let stdout = child.stdout.take();
    let out_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(out) = stdout {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                text.push_str(&line);
                text.push('\n');
            }
        }
        text
    });
    let mut execs = None;
    let mut last_status = None;
    let mut crashes = Vec::new();
    if let Some(err) = child.stderr.take() {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            log.push_str(&line);
            log.push('\n');
            if let Some(n) = line.strip_prefix("stat::number_of_executed_units:") {
                execs = Some(n.trim().to_string());
            }
            if line.starts_with('#') && line.contains(" cov: ") {
                last_status = Some(line.clone());
            }
            if let Some((_, path)) = line.split_once("Test unit written to ") {
                crashes.push(root.join(path.trim()));
            }
            if interesting(&line) {
                println!("  {line}");
            }
        }
    }
    let status = child.wait().map_err(|e| format!("cannot wait for cargo fuzz run: {e}"))?;
    log.push_str(&out_thread.join().unwrap_or_default());
    let seconds = started.elapsed().as_secs();
    fs::write(&log_path, &log).map_err(|e| format!("cannot write {}: {e}", log_path.display()))?;
    // Anything libFuzzer saved that the output did not name (a crash while writing it).
    if let Ok(entries) = fs::read_dir(&artifacts) {
        for e in entries.flatten() {
            let new = e.metadata().and_then(|m| m.modified()).is_ok_and(|t| t >= before);
            let path = e.path();
            if new && !crashes.iter().any(|c| same_file(c, &path)) {
                crashes.push(path);
            }
        }
    }
    // "#123 DONE cov: 4567 ft: ... corp: 89/1234Kb ..." → the part from "cov:" on.
    let last_status = last_status.map(|l| l.split_once("cov:").map(|(_, r)| format!("cov:{r}")).unwrap_or(l));
    Ok(RunResult { success: status.success(), seconds, execs, last_status, crashes, log: log_path })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}
