//! `cargo xtask conformance`: the ONNX backend tests, compiled by onnxc, built, run and
//! compared with the expected outputs.
//!
//! 1. A venv at `target/conformance-venv` (onnx, numpy; pinned) runs
//!    `golden/conformance/generate.py`, which writes every test (the node tests from the onnx
//!    package's test cases, and the wheel's light / pytorch-converted / pytorch-operator /
//!    simple folders) with its shape-deciding inputs frozen (the AOT rule, listed there).
//! 2. Each test is compiled with `onnxc compile --module`; the modules go into a few batch
//!    crates (see `batch.rs`) that cargo builds once, reusing what did not change.
//! 3. Each test runs through its batch binary on its `.npy` inputs.
//! 4. `golden/conformance/report.py` compares outputs with the ONNX runner's rule, writes the
//!    report and, with `--check`, fails when the core pass count falls below the committed one.

mod batch;
mod pool;

pub use batch::sync_dir;

use std::collections::BTreeSet;
use std::fs;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

const VENV_DIR: &str = "target/conformance-venv";
const GENERATE: &str = "golden/conformance/generate.py";
const REPORT: &str = "golden/conformance/report.py";

const USAGE: &str = "\
usage: cargo xtask conformance [--target T] [--filter PATTERN] [--jobs N] [--eval] [--bless] [--check]
                               [--cross aarch64]

Runs the ONNX backend tests (node, light, pytorch-converted, pytorch-operator, simple) through
onnxc-generated code and compares outputs with the ONNX runner's rule.

options:
    --target T         onnxc target (default generic)
    --filter PATTERN   only tests whose suite/name contains PATTERN (`a|b`: either)
    --jobs N           parallel compiles and runs (default: available cores)
    --eval             run onnxc's evaluator (`onnxc run`) instead of generated code: faster,
                       for development; the committed report always comes from generated code
    --bless            write golden/conformance/REPORT.md and SUPPORTED_OPS.md
    --check            fail when the core pass count is below golden/conformance/baseline.txt
    --python EXE       interpreter that creates the venv (default $PYTHON or python3)
    --cross aarch64    build the batch crates for aarch64-unknown-linux-musl and run them under
                       `qemu-aarch64 -cpu max` (work files in target/conformance/<target>-aarch64/;
                       needs what `cargo xtask cross-test --help` lists)
    -h, --help         print this message

Work files: target/conformance/ (data/, <target>/crates/, <target>/out/, <target>/REPORT.md).";

struct Options {
    target: String,
    filter: Option<String>,
    jobs: usize,
    eval: bool,
    bless: bool,
    check: bool,
    python: Option<String>,
    /// `aarch64`: build for that architecture and run under qemu.
    cross: Option<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut o = Options { target: "generic".into(), filter: None, jobs, eval: false, bless: false, check: false, python: None, cross: None };
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
            "--filter" => o.filter = Some(value()?),
            "--jobs" => o.jobs = value()?.parse().map_err(|_| "--jobs needs a number")?,
            "--python" => o.python = Some(value()?),
            "--eval" => o.eval = true,
            "--bless" => o.bless = true,
            "--check" => o.check = true,
            "--cross" => match value()?.as_str() {
                "aarch64" => o.cross = Some("aarch64".into()),
                other => return Err(format!("--cross: unknown architecture {other} (known: aarch64)")),
            },
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if o.cross.is_some() && (o.eval || o.bless || o.check) {
        return Err("--cross runs generated code and writes its own report: not with --eval, --bless or --check".into());
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
            eprintln!("xtask conformance: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask conformance: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One test as `generate.py` lists it in `tests.tsv`.
struct Test {
    module: String,
    suite: String,
    name: String,
    dir: PathBuf,
    prepare_error: String,
    /// (input name, file name) in the model's input order.
    inputs: Vec<(String, String)>,
}

fn read_tests(data: &Path) -> Result<Vec<Test>, String> {
    let path = data.join("tests.tsv");
    let text = fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut tests = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let [module, suite, name, dir, prepare_error, inputs] = f[..] else {
            return Err(format!("bad line in {}: {line:?}", path.display()));
        };
        let inputs = inputs
            .split('\u{1f}')
            .filter(|s| !s.is_empty())
            .filter_map(|pair| pair.split_once('\u{1e}'))
            .map(|(n, f)| (n.to_string(), f.to_string()))
            .collect();
        tests.push(Test {
            module: module.into(),
            suite: suite.into(),
            name: name.into(),
            dir: data.join(dir),
            prepare_error: prepare_error.into(),
            inputs,
        });
    }
    Ok(tests)
}

/// Generates the test data unless it is already there for this script and these pins.
fn ensure_data(root: &Path, python: &Path, data: &Path) -> Result<(), String> {
    let script = fs::read(root.join(GENERATE)).map_err(|e| format!("cannot read {GENERATE}: {e}"))?;
    let stamp_text = format!("{}\n{}\n", fnv(&script), pins().join(" "));
    let stamp = data.join("stamp.txt");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(stamp_text.as_str()) && data.join("tests.tsv").is_file() {
        return Ok(());
    }
    eprintln!("xtask conformance: generating the test data with {GENERATE}");
    let status = Command::new(python)
        .arg(root.join(GENERATE))
        .arg("--out")
        .arg(data)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("{GENERATE} failed ({status})"));
    }
    fs::write(&stamp, stamp_text).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn pins() -> Vec<String> {
    vec![format!("onnx=={}", crate::golden::ONNX_VERSION), format!("numpy=={}", crate::golden::NUMPY_VERSION)]
}

/// Prints `label i/n` now and then (every test on a terminal, every 10% otherwise).
fn progress(label: &str, n: usize) -> impl Fn(usize) + Sync + '_ {
    let tty = std::io::stderr().is_terminal();
    move |i| {
        if tty {
            eprint!("\r  {label} {i}/{n}");
            if i == n {
                eprintln!();
            }
        } else if i == n || n >= 10 && i % (n / 10) == 0 {
            eprintln!("  {label} {i}/{n}");
        }
        let _ = std::io::stderr().flush();
    }
}

/// Builds onnxc: release for compiling the suite; the dev profile (optimized, quicker to
/// rebuild) for `--eval`.
fn onnxc_binary(root: &Path, release: bool) -> Result<PathBuf, String> {
    let profile = if release { "release" } else { "debug" };
    eprintln!("xtask conformance: building onnxc ({profile})");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut args = vec!["build", "--quiet", "-p", "onnxc"];
    if release {
        args.push("--release");
    }
    let status = Command::new(cargo)
        .args(&args)
        .current_dir(root)
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err("building onnxc failed".into());
    }
    Ok(root.join("target").join(profile).join("onnxc"))
}

fn kernel_family(root: &Path, target: &str) -> Result<String, String> {
    let path = root.join("targets").join(format!("{target}.toml"));
    let text = fs::read_to_string(&path).map_err(|e| format!("unknown target {target}: cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == "kernel_family")
        .map_or("generic".into(), |(_, v)| v.trim().trim_matches('"').to_string()))
}

fn run(opts: &Options) -> Result<ExitCode, String> {
    let started = Instant::now();
    let root = crate::workspace_root();
    let python = crate::venv::ensure(&root.join(VENV_DIR), &pins(), opts.python.as_deref(), false, "conformance")?;
    let data = root.join("target/conformance/data");
    ensure_data(&root, &python, &data)?;
    let onnxc = onnxc_binary(&root, !opts.eval)?;
    let family = kernel_family(&root, &opts.target)?;
    if opts.cross.is_some() {
        crate::cross_test::check_tools()?;
    }
    let work = root.join("target/conformance").join(match (&opts.cross, opts.eval) {
        (Some(arch), _) => format!("{}-{arch}", opts.target),
        (None, true) => format!("{}-eval", opts.target),
        (None, false) => opts.target.clone(),
    });
    let out = work.join("out");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;

    let mut tests = read_tests(&data)?;
    if let Some(f) = &opts.filter {
        // `a|b` keeps the tests matching either pattern.
        tests.retain(|t| {
            let id = format!("{}/{}", t.suite, t.name);
            f.split('|').any(|p| id.contains(p))
        });
    }
    // (status, message) per test; status is one of prepare, compile, build, run, ran.
    let mut verdicts: Vec<(String, String)> = tests
        .iter()
        .map(|t| if t.prepare_error.is_empty() { (String::new(), String::new()) } else { ("prepare".into(), t.prepare_error.clone()) })
        .collect();
    let todo: Vec<usize> = (0..tests.len()).filter(|&i| verdicts[i].0.is_empty()).collect();
    eprintln!("xtask conformance: {} tests ({} runnable), target {}, {} jobs", tests.len(), todo.len(), opts.target, opts.jobs);

    let run_args = |t: &Test, cmd: &mut Command| {
        for (name, file) in &t.inputs {
            cmd.arg("--input").arg(format!("{name}={}", t.dir.join(file).display()));
        }
        cmd.arg("--output-dir").arg(out.join(&t.module));
    };

    if opts.eval {
        let outcomes = pool::run_all(
            todo.len(),
            opts.jobs,
            Duration::from_secs(120),
            &|k| {
                let t = &tests[todo[k]];
                let mut cmd = Command::new(&onnxc);
                cmd.arg("run").arg(t.dir.join("model.onnx"));
                run_args(t, &mut cmd);
                cmd
            },
            &progress("evaluated", todo.len()),
        );
        for (k, o) in outcomes.iter().enumerate() {
            verdicts[todo[k]] = if o.ok() { ("ran".into(), String::new()) } else { ("compile".into(), o.reason()) };
        }
    } else {
        let stage = work.join("stage");
        let _ = fs::remove_dir_all(&stage);
        let outcomes = pool::run_all(
            todo.len(),
            opts.jobs,
            Duration::from_secs(120),
            &|k| {
                let t = &tests[todo[k]];
                let mut cmd = Command::new(&onnxc);
                cmd.arg("compile")
                    .arg(t.dir.join("model.onnx"))
                    .args(["--module", "--name", &t.module, "--target", &opts.target, "-o"])
                    .arg(stage.join(&t.module));
                cmd
            },
            &progress("compiled", todo.len()),
        );
        let mut workspace = batch::Workspace {
            crates: work.join("crates"),
            modules: vec![BTreeSet::new(); batch::BATCHES],
            prune: opts.filter.is_none(),
            triple: opts.cross.as_ref().map(|_| crate::cross_test::TRIPLE),
        };
        let mut compiled = Vec::new();
        for (k, o) in outcomes.iter().enumerate() {
            let i = todo[k];
            if o.ok() {
                let m = &tests[i].module;
                let dst = workspace.crates.join(batch::batch_name(batch::batch_of(m))).join("src").join(m);
                batch::sync_dir(&stage.join(m), &dst)?;
                workspace.modules[batch::batch_of(m)].insert(m.clone());
                compiled.push(i);
            } else {
                verdicts[i] = ("compile".into(), o.reason());
            }
        }
        eprintln!("xtask conformance: building {} batch crates ({} tests)", batch::BATCHES, compiled.len());
        let build_start = Instant::now();
        let broken = workspace.build(&root, &family)?;
        eprintln!("xtask conformance: built in {:.0} s", build_start.elapsed().as_secs_f64());
        compiled.retain(|&i| match broken.get(&tests[i].module) {
            Some(why) => {
                verdicts[i] = ("build".into(), why.clone());
                false
            }
            None => true,
        });
        let outcomes = pool::run_all(
            compiled.len(),
            opts.jobs,
            Duration::from_secs(if opts.cross.is_some() { 600 } else { 120 }),
            &|k| {
                let t = &tests[compiled[k]];
                let binary = workspace.binary(batch::batch_of(&t.module));
                let mut cmd = match opts.cross {
                    Some(_) => {
                        let mut c = Command::new("qemu-aarch64");
                        c.args(["-cpu", "max"]).arg(binary);
                        c
                    }
                    None => Command::new(binary),
                };
                cmd.arg(&t.module);
                run_args(t, &mut cmd);
                cmd
            },
            &progress("ran", compiled.len()),
        );
        for (k, o) in outcomes.iter().enumerate() {
            verdicts[compiled[k]] = if o.ok() { ("ran".into(), String::new()) } else { ("run".into(), o.reason()) };
        }
    }

    let mut results = String::new();
    for (t, (status, message)) in tests.iter().zip(&verdicts) {
        let message = message.replace(['\t', '\n'], " ");
        results.push_str(&format!("{}\t{status}\t{message}\n", t.module));
    }
    let results_path = work.join("results.tsv");
    fs::write(&results_path, results).map_err(|e| format!("cannot write {}: {e}", results_path.display()))?;

    let mut report = Command::new(&python);
    report
        .arg(root.join(REPORT))
        .arg("--data")
        .arg(&data)
        .arg("--results")
        .arg(&results_path)
        .arg("--outputs")
        .arg(&out)
        .arg("--target")
        .arg(&opts.target)
        .arg("--report")
        .arg(work.join("REPORT.md"))
        .arg("--seconds")
        .arg(format!("{:.0}", started.elapsed().as_secs_f64()))
        .env("PYTHONDONTWRITEBYTECODE", "1");
    if opts.eval {
        report.arg("--eval");
    }
    if opts.filter.is_some() {
        report.arg("--partial");
    }
    if opts.bless {
        report.arg("--bless").arg(&root);
    }
    if opts.check {
        report.arg("--check").arg(root.join("golden/conformance/baseline.txt"));
    }
    let status = report.status().map_err(|e| format!("cannot run {REPORT}: {e}"))?;
    eprintln!("xtask conformance: finished in {:.0} s", started.elapsed().as_secs_f64());
    Ok(if status.success() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
