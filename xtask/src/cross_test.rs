//! `cargo xtask cross-test --target aarch64-neon`: the golden models compiled for an AArch64
//! target, built for `aarch64-unknown-linux-musl` (static, linked by rust-lld), run under
//! `qemu-aarch64` and compared with onnxruntime's outputs like the host end-to-end tests; then
//! each model's instructions for one inference are counted with a QEMU TCG plugin
//! (`golden/bench/insncount.c`) for the target and for `generic` built for the same triple,
//! and written to `golden/bench/INSTRUCTIONS-<target>.md`. With `--conformance` it then runs
//! the conformance suite's batch crates under qemu too (`cargo xtask conformance --cross`).
//!
//! Needs (see `--help`): `rustup target add aarch64-unknown-linux-musl`, `qemu-aarch64`
//! (Debian/Ubuntu `qemu-user`, built with plugin support) and a host C compiler for the plugin.

use crate::workspace_root;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const WORK_DIR: &str = "target/cross";
/// The Rust target triple the AArch64 crates are built for: static and non-PIE, so symbol
/// addresses are run-time addresses (what the instruction counter needs), and linked by
/// rust-lld, so no C cross toolchain is needed.
pub const TRIPLE: &str = "aarch64-unknown-linux-musl";
/// Cargo's environment variables for that triple.
pub const LINKER_ENV: &str = "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_MUSL_LINKER";

const MODELS: &[&str] =
    &["mlp", "lenet", "kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder", "tiny_transformer", "mobilenetv2"];
/// The tolerance of the host end-to-end tests: max |error| ≤ 1e-4 × max(1, |reference|).
const TOLERANCE: f64 = 1e-4;

/// How to install what this command needs (also what CI needs).
pub const SETUP: &str = "\
    apt-get install -y --no-install-recommends qemu-user gcc    # qemu-aarch64 (with -plugin), cc for the plugin
    rustup target add aarch64-unknown-linux-musl                 # std for the target; rust-lld links it";

const USAGE: &str = "\
usage: cargo xtask cross-test --target aarch64-neon [--models M[,M…]] [--baseline T] [--cpu CPU]
                              [--no-count] [--no-write] [--conformance [--filter PATTERN]]

Compiles each golden model for the target, builds it for aarch64-unknown-linux-musl, runs it
under qemu-aarch64 and compares the outputs with onnxruntime's (tolerance 1e-4 × max(1, |ref|)).
Then counts the guest instructions of one inference (the generated `run` function and all it
calls) with the QEMU plugin golden/bench/insncount.c, for the target and for the baseline
target built for the same triple, and writes golden/bench/INSTRUCTIONS-<target>.md.

options:
    --target T        onnxc target (default aarch64-neon)
    --models M,…      golden models (default: all eight)
    --baseline T      target the instruction counts are compared with (default generic; `none`)
    --cpu CPU         qemu-aarch64 -cpu (default max)
    --no-count        only run and compare, count nothing
    --no-write        print the table; leave golden/bench/ alone
    --conformance     afterwards, run the conformance suite's generated code under qemu:
                      `cargo xtask conformance --target T --cross aarch64 [--filter PATTERN]`
    --filter PATTERN  with --conformance: only tests whose suite/name contains PATTERN
    -h, --help        print this message

needs:
    apt-get install -y --no-install-recommends qemu-user gcc
    rustup target add aarch64-unknown-linux-musl";

struct Options {
    target: String,
    models: Vec<String>,
    baseline: Option<String>,
    cpu: String,
    count: bool,
    write: bool,
    conformance: bool,
    filter: Option<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options {
        target: "aarch64-neon".into(),
        models: vec![],
        baseline: Some("generic".into()),
        cpu: "max".into(),
        count: true,
        write: true,
        conformance: false,
        filter: None,
    };
    let list = |v: &str| v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = || inline.clone().or_else(|| it.next().cloned()).ok_or(format!("{flag} needs a value"));
        match flag {
            "-h" | "--help" => return Ok(None),
            "--target" => o.target = value()?,
            "--models" => o.models.extend(list(&value()?)),
            "--baseline" => o.baseline = Some(value()?).filter(|b| b != "none"),
            "--cpu" => o.cpu = value()?,
            "--no-count" => o.count = false,
            "--no-write" => o.write = false,
            "--conformance" => o.conformance = true,
            "--filter" => o.filter = Some(value()?),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.models.is_empty() {
        o.models = MODELS.iter().map(|s| s.to_string()).collect();
    }
    if o.baseline.as_deref() == Some(o.target.as_str()) {
        o.baseline = None;
    }
    Ok(Some(o))
}

pub fn main(args: &[String]) -> ExitCode {
    let opts = match parse(args) {
        Ok(Some(o)) => o,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("xtask cross-test: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask cross-test: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks that the tools are there; the error says how to install them.
pub fn check_tools() -> Result<(), String> {
    let missing = |what: &str| format!("{what}; install with:\n{SETUP}");
    let qemu = Command::new("qemu-aarch64").arg("--version").output().map_err(|_| missing("qemu-aarch64 not found"))?;
    if !qemu.status.success() {
        return Err(missing("qemu-aarch64 --version failed"));
    }
    let libdir = Command::new("rustc").args(["--print", "target-libdir", "--target", TRIPLE]).output().map_err(|e| format!("cannot run rustc: {e}"))?;
    let libdir = PathBuf::from(String::from_utf8_lossy(&libdir.stdout).trim());
    let has_std = std::fs::read_dir(&libdir).map(|d| d.flatten().any(|e| e.file_name().to_string_lossy().starts_with("libstd-"))).unwrap_or(false);
    if !has_std {
        return Err(missing(&format!("the Rust standard library for {TRIPLE} is not installed")));
    }
    Ok(())
}

/// Builds the instruction-count plugin into `work`; returns its path.
fn build_plugin(root: &Path, work: &Path) -> Result<PathBuf, String> {
    let so = work.join("libinsncount.so");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    checked(
        Command::new(&cc)
            .args(["-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-o"])
            .arg(&so)
            .arg(root.join("golden/bench/insncount.c")),
        &format!("{cc} golden/bench/insncount.c (install a C compiler: {SETUP})"),
    )?;
    Ok(so)
}

/// One model's result for one target.
struct Outcome {
    /// Worst relative error per output, or why the run failed.
    check: Result<Vec<(String, f64)>, String>,
    /// Instructions of one call of `run`.
    insns: Option<u64>,
}

fn run(opts: &Options) -> Result<bool, String> {
    check_tools()?;
    let root = workspace_root();
    let work = root.join(WORK_DIR);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    eprintln!("xtask cross-test: building onnxc (release)");
    checked(Command::new(env!("CARGO")).args(["build", "--release", "--quiet", "-p", "onnxc"]).current_dir(&root), "cargo build -p onnxc")?;
    let onnxc = root.join("target/release/onnxc");
    let plugin = if opts.count { Some(build_plugin(&root, &work)?) } else { None };

    let mut targets = vec![opts.target.clone()];
    if opts.count {
        targets.extend(opts.baseline.clone());
    }
    let mut all_ok = true;
    let mut rows: Vec<(String, Vec<Outcome>, u64)> = Vec::new();
    for model in &opts.models {
        let mut per_target = Vec::new();
        let mut macs = 0;
        for (ti, target) in targets.iter().enumerate() {
            eprintln!("xtask cross-test: {model} for {target} ({TRIPLE}, qemu-aarch64 -cpu {})", opts.cpu);
            let o = model_on_target(&root, &work, &onnxc, plugin.as_deref(), target, model, &opts.cpu, &mut macs);
            match &o.check {
                Ok(errs) => {
                    let worst = errs.iter().map(|e| e.1).fold(0.0, f64::max);
                    let ok = worst <= TOLERANCE;
                    // The baseline's outputs are reported, but only the target's decide.
                    all_ok &= ok || ti > 0;
                    let e: Vec<String> = errs.iter().map(|(n, e)| format!("{n} {e:.2e}")).collect();
                    eprintln!("  {} max error {}{}", if ok { "ok" } else { "FAIL" }, e.join(", "), o.insns.map_or(String::new(), |n| format!("; {n} instructions")));
                }
                Err(why) => {
                    all_ok &= ti > 0;
                    eprintln!("  FAIL {why}");
                }
            }
            per_target.push(o);
        }
        rows.push((model.clone(), per_target, macs));
    }

    let table = render(opts, &targets, &rows);
    println!("{table}");
    if opts.count && opts.write {
        let path = root.join("golden/bench").join(format!("INSTRUCTIONS-{}.md", opts.target));
        std::fs::write(&path, &table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("xtask cross-test: wrote {}", path.display());
    }
    if opts.conformance {
        let mut args = vec!["--target".to_string(), opts.target.clone(), "--cross".into(), "aarch64".into()];
        if let Some(f) = &opts.filter {
            args.extend(["--filter".to_string(), f.clone()]);
        }
        eprintln!("xtask cross-test: cargo xtask conformance {}", args.join(" "));
        all_ok &= crate::conformance::main(&args) == ExitCode::SUCCESS;
    }
    Ok(all_ok)
}

/// Compiles, builds, runs, compares and counts one model for one target.
#[allow(clippy::too_many_arguments)]
fn model_on_target(root: &Path, work: &Path, onnxc: &Path, plugin: Option<&Path>, target: &str, model: &str, cpu: &str, macs: &mut u64) -> Outcome {
    let failed = |why: String| Outcome { check: Err(why), insns: None };
    let models = root.join("golden/models");
    let crate_dir = work.join("crates").join(target).join(model);
    // Compiled into a staging folder and copied where bytes changed, so cargo rebuilds only
    // crates whose code changed.
    let stage = work.join("stage").join(target).join(model);
    let _ = std::fs::remove_dir_all(&stage);
    let compiled = Command::new(onnxc)
        .arg("compile")
        .arg(models.join(format!("{model}.onnx")))
        .args(["--target", target, "--name", model, "-o"])
        .arg(&stage)
        .output();
    if let Err(e) = quiet_ok(compiled, "onnxc compile").and_then(|()| crate::conformance::sync_dir(&stage, &crate_dir)) {
        return failed(e);
    }
    if *macs == 0 {
        *macs = readme_macs(&std::fs::read_to_string(crate_dir.join("README.md")).unwrap_or_default());
    }
    let target_dir = work.join("build").join(target);
    let build = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--features", "std", "--target", TRIPLE, "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("RUSTFLAGS", "-D warnings")
        .env(LINKER_ENV, "rust-lld")
        .output();
    if let Err(e) = quiet_ok(build, "cargo build (generated crate)") {
        return failed(e);
    }
    let exe = target_dir.join(TRIPLE).join("release").join(model);
    let inputs = match golden_files(&models, model) {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let out_dir = work.join("out").join(target).join(model);
    let _ = std::fs::remove_dir_all(&out_dir);
    let mut cmd = Command::new("qemu-aarch64");
    cmd.args(["-cpu", cpu]).arg(&exe);
    for (name, path) in &inputs.0 {
        cmd.arg("--input").arg(format!("{name}={}", path.display()));
    }
    cmd.arg("--output-dir").arg(&out_dir);
    if let Err(e) = quiet_ok(cmd.output(), "qemu-aarch64 (generated binary)") {
        return failed(e);
    }
    let mut errs = Vec::new();
    for (name, expected) in &inputs.1 {
        let got = out_dir.join(format!("{}.npy", file_stem(name)));
        match compare(&got, expected) {
            Ok(e) => errs.push((name.clone(), e)),
            Err(why) => return failed(format!("output '{name}': {why}")),
        }
    }
    let insns = match plugin {
        Some(p) => match count_run(p, &exe, model, cpu, &inputs.0) {
            Ok(n) => Some(n),
            Err(e) => return Outcome { check: Err(format!("instruction count: {e}")), insns: None },
        },
        None => None,
    };
    Outcome { check: Ok(errs), insns }
}

/// Instructions of one call of the generated `run` (callees included), under the plugin.
fn count_run(plugin: &Path, exe: &Path, model: &str, cpu: &str, inputs: &[(String, PathBuf)]) -> Result<u64, String> {
    let bytes = std::fs::read(exe).map_err(|e| format!("cannot read {}: {e}", exe.display()))?;
    let prefix = format!("_ZN{}{}3run17h", model.len(), model);
    let entry = elf_function(&bytes, |name| name.starts_with(&prefix)).ok_or(format!("no `{model}::run` symbol in {}", exe.display()))?;
    let log = exe.with_extension("insns.txt");
    let _ = std::fs::remove_file(&log);
    let mut cmd = Command::new("qemu-aarch64");
    cmd.args(["-cpu", cpu])
        .arg("-plugin")
        .arg(format!("{},entry={entry:#x}", plugin.display()))
        .args(["-d", "plugin", "-D"])
        .arg(&log)
        .arg(exe);
    for (name, path) in inputs {
        cmd.arg("--input").arg(format!("{name}={}", path.display()));
    }
    cmd.arg("--print");
    quiet_ok(cmd.output(), "qemu-aarch64 -plugin")?;
    let text = std::fs::read_to_string(&log).map_err(|e| format!("cannot read {}: {e}", log.display()))?;
    let field = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).and_then(|v| v.trim().parse::<u64>().ok());
    match (field("calls:"), field("insns_in_calls:")) {
        (Some(1), Some(n)) => Ok(n),
        (calls, _) => Err(format!("expected one call of run, the plugin saw {calls:?}: {text}")),
    }
}

/// The address of the first function symbol whose name satisfies `want` in a little-endian
/// ELF64 file (`.symtab`).
fn elf_function(elf: &[u8], want: impl Fn(&str) -> bool) -> Option<u64> {
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| elf.get(o..o + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
    let u64_at = |o: usize| elf.get(o..o + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
    if elf.get(..6)? != b"\x7fELF\x02\x01" {
        return None;
    }
    let shoff = u64_at(0x28)? as usize;
    let (shentsize, shnum) = (u16_at(0x3a)? as usize, u16_at(0x3c)? as usize);
    let section = |i: usize| {
        let h = shoff + i * shentsize;
        Some((u32_at(h + 4)?, u64_at(h + 0x18)? as usize, u64_at(h + 0x20)? as usize, u32_at(h + 0x28)? as usize))
    };
    for i in 0..shnum {
        let (kind, off, size, link) = section(i)?;
        if kind != 2 {
            continue; // SHT_SYMTAB
        }
        let (_, str_off, str_size, _) = section(link)?;
        let strtab = elf.get(str_off..str_off + str_size)?;
        for s in (off..off + size).step_by(24) {
            let (name, info, value) = (u32_at(s)? as usize, *elf.get(s + 4)?, u64_at(s + 8)?);
            if info & 0xf != 2 {
                continue; // STT_FUNC
            }
            let bytes = strtab.get(name..)?;
            let end = bytes.iter().position(|&b| b == 0)?;
            if std::str::from_utf8(&bytes[..end]).is_ok_and(&want) {
                return Some(value);
            }
        }
    }
    None
}

/// The golden inputs and expected outputs of `model`: (name, path) each, sorted.
#[allow(clippy::type_complexity)]
fn golden_files(models: &Path, model: &str) -> Result<(Vec<(String, PathBuf)>, Vec<(String, PathBuf)>), String> {
    let (mut inputs, mut expected) = (Vec::new(), Vec::new());
    let entries = std::fs::read_dir(models).map_err(|e| format!("cannot read {}: {e}", models.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&format!("{model}.")) else { continue };
        if let Some(output) = rest.strip_suffix(".expected.npy") {
            expected.push((output.to_string(), e.path()));
        } else if let Some(input) = rest.strip_suffix(".npy") {
            inputs.push((input.to_string(), e.path()));
        }
    }
    inputs.sort();
    expected.sort();
    Ok((inputs, expected))
}

/// The file stem the generated runner writes an output to (as `onnxc::npy_io::file_stem`).
fn file_stem(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' }).collect()
}

/// The largest `|got − want| / max(1, |want|)`, or why the files cannot be compared.
fn compare(got: &Path, want: &Path) -> Result<f64, String> {
    let (gs, g) = read_npy(got)?;
    let (ws, w) = read_npy(want)?;
    if gs != ws {
        return Err(format!("shape {gs:?}, expected {ws:?}"));
    }
    let mut worst = 0.0f64;
    for (x, y) in g.iter().zip(&w) {
        if x.is_nan() != y.is_nan() {
            return Err(format!("NaN mismatch: got {x}, expected {y}"));
        }
        if !x.is_nan() {
            worst = worst.max((x - y).abs() / y.abs().max(1.0));
        }
    }
    Ok(worst)
}

/// A little-endian f32 or f64 `.npy` file (C order) as (shape, values).
fn read_npy(path: &Path) -> Result<(Vec<usize>, Vec<f64>), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let bad = || format!("{}: not a supported .npy file", path.display());
    if bytes.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(bad());
    }
    let major = *bytes.get(6).ok_or_else(bad)?;
    let (len, start) = if major == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes(bytes.get(8..12).and_then(|b| b.try_into().ok()).ok_or_else(bad)?) as usize, 12)
    };
    let header = std::str::from_utf8(bytes.get(start..start + len).ok_or_else(bad)?).map_err(|_| bad())?;
    if header.contains("'fortran_order': True") {
        return Err(bad());
    }
    let width = if header.contains("'<f4'") {
        4
    } else if header.contains("'<f8'") {
        8
    } else {
        return Err(format!("{}: only float32/float64 outputs are compared ({header})", path.display()));
    };
    let dims = header.split("'shape':").nth(1).and_then(|s| s.split_once('(')).and_then(|(_, s)| s.split_once(')')).ok_or_else(bad)?.0;
    let shape: Vec<usize> = dims.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.parse().map_err(|_| bad())).collect::<Result<_, _>>()?;
    let data = bytes.get(start + len..).ok_or_else(bad)?;
    let values: Vec<f64> = if width == 4 {
        data.chunks_exact(4).map(|c| f64::from(f32::from_le_bytes([c[0], c[1], c[2], c[3]]))).collect()
    } else {
        data.chunks_exact(8).map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])).collect()
    };
    if values.len() != shape.iter().product::<usize>() {
        return Err(bad());
    }
    Ok((shape, values))
}

/// "MACs per inference" from a generated crate's README.
fn readme_macs(readme: &str) -> u64 {
    readme
        .lines()
        .find(|l| l.starts_with("| MACs per inference"))
        .and_then(|l| l.rsplit('|').nth(1))
        .map(|v| v.chars().filter(char::is_ascii_digit).collect::<String>())
        .and_then(|d| d.parse().ok())
        .unwrap_or(0)
}

fn render(opts: &Options, targets: &[String], rows: &[(String, Vec<Outcome>, u64)]) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Instructions per inference: {} under qemu-aarch64\n", opts.target);
    let _ = writeln!(s, "Written by `cargo xtask cross-test --target {}`; counts are never part of a test.\n", opts.target);
    let qemu = output(Command::new("qemu-aarch64").arg("--version")).lines().next().unwrap_or_default().to_string();
    let rustc = output(Command::new("rustc").arg("--version"));
    let _ = writeln!(s, "- date: {}", output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).trim());
    let _ = writeln!(s, "- {}; {}; crates built with `cargo build --release --target {TRIPLE}` (static, rust-lld)", qemu.trim(), rustc.trim());
    let _ = writeln!(s, "- count: guest instructions from the entry of the generated `run` to its return, callees included, for one inference (`golden/bench/insncount.c`, a TCG plugin; deterministic: the same binary and inputs give the same count). QEMU counts instructions, not cycles: a 4-lane NEON `fmla` counts 1 like a scalar `fmadd`.");
    let _ = writeln!(s, "- check: outputs compared with onnxruntime's (`golden/models`), max |error| / max(1, |ref|) ≤ 1e-4, as the host end-to-end tests\n");
    let mut head = String::from("| model | MACs |");
    let mut rule = String::from("|---|---:|");
    for t in targets {
        let _ = write!(head, " {t} instructions | {t} check |");
        rule.push_str("---:|---|");
    }
    if targets.len() > 1 {
        let _ = write!(head, " {} / {} |", targets[1], targets[0]);
        rule.push_str("---:|");
    }
    let _ = writeln!(s, "{head}\n{rule}");
    for (model, outcomes, macs) in rows {
        let _ = write!(s, "| {model} | {:.2} M |", *macs as f64 / 1e6);
        for o in outcomes {
            let check = match &o.check {
                Ok(errs) => {
                    let worst = errs.iter().map(|e| e.1).fold(0.0, f64::max);
                    format!("{} ({worst:.1e})", if worst <= TOLERANCE { "ok" } else { "FAIL" })
                }
                Err(why) => format!("FAIL: {}", why.lines().next().unwrap_or_default().replace('|', "/")),
            };
            let _ = write!(s, " {} | {check} |", o.insns.map_or("—".into(), group));
        }
        if let [t, b] = &outcomes[..] {
            let ratio = match (t.insns, b.insns) {
                (Some(t), Some(b)) if t > 0 => format!("{:.2}×", b as f64 / t as f64),
                _ => "—".into(),
            };
            let _ = write!(s, " {ratio} |");
        }
        s.push('\n');
    }
    s
}

/// `1234567` → `1 234 567`.
fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

fn checked(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

/// Success of a finished command, or its status and the start of its stderr.
fn quiet_ok(out: std::io::Result<std::process::Output>, what: &str) -> Result<(), String> {
    let out = out.map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).take(12).collect();
    Err(format!("{what} failed ({}): {}", out.status, lines.join("\n")))
}

fn output(cmd: &mut Command) -> String {
    cmd.output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default()
}
