//! `cargo xtask bench`: batch-1, one-thread latency of the golden models' generated crates,
//! against onnxruntime and tract on the same inputs, with the core's FMA peak for scale.
//!
//! Steps: build `onnxc` (release); for each target and model, compile the model and build its
//! crate in release for this host; then, in `--rounds` interleaved rounds, measure the FMA peak
//! with `golden/bench/fma_peak.rs`, time every crate with its own `--bench N` runner, and time
//! onnxruntime and tract (and their per-call floor on a one-Add model) with
//! `golden/bench/bench.py` in a venv under `target/`. Each figure is the median of its rounds'
//! medians: on a shared machine the load moves within minutes, and engines and targets timed
//! one after the other would see different machines (x86-avx2 against x86-avx512 moved by 15%
//! between two runs that way). Prints the table and writes it to `golden/bench/RESULTS.md`.
//! Timing never decides a test.

use crate::venv;
use crate::workspace_root;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const VENV_DIR: &str = "target/bench-venv";
const WORK_DIR: &str = "target/bench";
const DEFAULT_MODELS: &[&str] =
    &["mlp", "lenet", "kws_dscnn", "vww_mobilenet", "ic_resnet8", "ad_autoencoder", "mobilenetv2", "tiny_transformer"];

const USAGE: &str = "\
usage: cargo xtask bench [--target T[,T…]] [--models M[,M…]] [--runs N] [--rounds R] [--no-reference] [--no-write]

Times each golden model's generated crate (release, this host, one thread, batch 1) and, in the
same run, onnxruntime and tract on the same inputs. Prints the table and writes
golden/bench/RESULTS.md.

options:
    --target T,…      targets to compile for (default: every x86 target onnxc has, plus generic)
    --models M,…      golden models (default: all eight)
    --runs N          timed runs per model and engine after warm-up, over all rounds (default
                      200; small models run for at least one second)
    --rounds R        interleaved rounds of every engine and target (default 5); each figure is
                      the median of the rounds' medians
    --no-reference    skip onnxruntime and tract
    --no-write        print only; leave golden/bench/RESULTS.md alone
    -h, --help        print this message";

fn pins() -> Vec<String> {
    vec![
        format!("onnx=={}", crate::golden::ONNX_VERSION),
        format!("onnxruntime=={}", crate::golden::ONNXRUNTIME_VERSION),
        format!("numpy=={}", crate::golden::NUMPY_VERSION),
        "tract==0.23.9".to_string(),
    ]
}

struct Options {
    targets: Vec<String>,
    models: Vec<String>,
    runs: usize,
    rounds: usize,
    reference: bool,
    write: bool,
}

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut o = Options { targets: vec![], models: vec![], runs: 200, rounds: 5, reference: true, write: true };
    let list = |v: &str| v.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect::<Vec<_>>();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-h" | "--help" => return Ok(None),
            "--target" => o.targets.extend(list(it.next().ok_or("--target needs a value")?)),
            "--models" => o.models.extend(list(it.next().ok_or("--models needs a value")?)),
            "--runs" => o.runs = it.next().ok_or("--runs needs a value")?.parse().map_err(|_| "--runs needs a number")?,
            "--rounds" => o.rounds = it.next().ok_or("--rounds needs a value")?.parse().map_err(|_| "--rounds needs a number")?,
            "--no-reference" => o.reference = false,
            "--no-write" => o.write = false,
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.rounds == 0 || o.runs == 0 {
        return Err("--runs and --rounds need to be at least 1".into());
    }
    if o.models.is_empty() {
        o.models = DEFAULT_MODELS.iter().map(|s| s.to_string()).collect();
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
            eprintln!("xtask bench: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask bench: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One measured latency.
#[derive(Clone, Copy)]
struct Timing {
    median_us: f64,
    p90_us: f64,
    /// The same for the thread's CPU time (NaN if not measured).
    cpu_median_us: f64,
    cpu_p90_us: f64,
}

impl Timing {
    /// The median used for ratios: CPU time when measured (other processes on a shared machine
    /// inflate wall time), else wall time.
    fn median(&self) -> f64 {
        if self.cpu_median_us.is_finite() {
            self.cpu_median_us
        } else {
            self.median_us
        }
    }

    /// The p90 that goes with [`Timing::median`].
    fn p90(&self) -> f64 {
        if self.cpu_p90_us.is_finite() {
            self.cpu_p90_us
        } else {
            self.p90_us
        }
    }
}

/// The median, field by field, of the rounds' timings of one engine and model.
fn median_of_rounds(rounds: &[Timing]) -> Option<Timing> {
    let mid = |f: fn(&Timing) -> f64| median(rounds.iter().map(f).collect());
    (!rounds.is_empty()).then(|| Timing {
        median_us: mid(|t| t.median_us),
        p90_us: mid(|t| t.p90_us),
        cpu_median_us: mid(|t| t.cpu_median_us),
        cpu_p90_us: mid(|t| t.cpu_p90_us),
    })
}

/// The median of `v` (NaN if empty).
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Figures of a generated crate, read from its README.
#[derive(Default, Clone, Copy)]
struct Figures {
    macs: u64,
    arena: u64,
    weights: u64,
}

fn run(mut opts: Options) -> Result<(), String> {
    let root = workspace_root();
    let work = root.join(WORK_DIR);
    std::fs::create_dir_all(&work).map_err(|e| format!("cannot create {}: {e}", work.display()))?;
    eprintln!("xtask bench: building onnxc (release)");
    checked(Command::new(env!("CARGO")).args(["build", "--release", "--quiet", "-p", "onnxc"]).current_dir(&root), "cargo build -p onnxc")?;
    let onnxc = root.join("target/release/onnxc");
    if opts.targets.is_empty() {
        let listed = output(Command::new(&onnxc).arg("targets"), "onnxc targets")?;
        let known: Vec<String> = listed.lines().filter_map(|l| l.split_whitespace().next()).map(str::to_string).collect();
        opts.targets = ["x86-avx512", "x86-avx2", "generic"].iter().filter(|t| known.iter().any(|k| k == *t)).map(|s| s.to_string()).collect();
    }

    // Build every crate first, so that the rounds below only time.
    let mut crates = Vec::new();
    for target in &opts.targets {
        for model in &opts.models {
            eprintln!("xtask bench: building {model} for {target}");
            crates.push(prepare_generated(&root, &work, &onnxc, target, model, &opts)?);
        }
    }
    let python = if opts.reference { Some(venv::ensure(&root.join(VENV_DIR), &pins(), None, false, "bench")?) } else { None };

    let mut peaks: Vec<(f64, f64)> = Vec::new();
    let mut ours_rounds: BTreeMap<(String, String), Vec<Timing>> = BTreeMap::new();
    let mut reference_rounds: Vec<Reference> = Vec::new();
    for round in 1..=opts.rounds {
        eprintln!("xtask bench: round {round} of {}", opts.rounds);
        peaks.push(fma_peak(&root, &work)?);
        for c in &crates {
            ours_rounds.entry((c.target.clone(), c.model.clone())).or_default().push(c.time()?);
        }
        if let Some(python) = &python {
            let out = work.join("reference.tsv");
            let mut cmd = Command::new(python);
            cmd.arg(root.join("golden/bench/bench.py"))
                .arg("--models-dir")
                .arg(root.join("golden/models"))
                .arg("--out")
                .arg(&out)
                .arg("--runs")
                .arg(opts.runs.div_ceil(opts.rounds).to_string())
                .arg("--min-seconds")
                .arg(format!("{:.3}", 1.0 / opts.rounds as f64))
                .args(&opts.models);
            checked(&mut cmd, "golden/bench/bench.py")?;
            reference_rounds.push(Reference::read(&out)?);
        }
    }
    let peak = (median(peaks.iter().map(|p| p.0).collect()), median(peaks.iter().map(|p| p.1).collect()));
    eprintln!("xtask bench: FMA peak {:.1} GFLOP/s (AVX-512), {:.1} GFLOP/s (AVX2)", peak.0, peak.1);
    let mut ours: BTreeMap<(String, String), (Timing, Figures)> = BTreeMap::new();
    for c in &crates {
        let key = (c.target.clone(), c.model.clone());
        if let Some(t) = ours_rounds.get(&key).and_then(|r| median_of_rounds(r)) {
            ours.insert(key, (t, c.figures));
        }
    }
    let reference = Reference::median_of(&reference_rounds);

    let table = render(&opts, &ours, &reference, peak);
    println!("{table}");
    if opts.write {
        let path = root.join("golden/bench/RESULTS.md");
        std::fs::write(&path, table).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("xtask bench: wrote {}", path.display());
    }
    Ok(())
}

/// RUSTFLAGS for a target's crate: the exact host CPU, except for `x86-avx2`, which must not
/// use AVX-512 even where the compiler vectorizes scalar code by itself.
fn rustflags(target: &str) -> &'static str {
    match target {
        "x86-avx2" => "-C target-cpu=x86-64-v3",
        _ => "-C target-cpu=native",
    }
}

/// A generated crate built for timing.
struct Prepared {
    target: String,
    model: String,
    exe: PathBuf,
    inputs: Vec<String>,
    /// Calls per round: `runs / rounds`, more for small models so that a round takes about
    /// `1 / rounds` seconds (as the reference engines do).
    calls: usize,
    figures: Figures,
}

impl Prepared {
    /// One round: the runner's median and p90 over `calls` calls (after its warm-up).
    fn time(&self) -> Result<Timing, String> {
        let line = output(Command::new(&self.exe).args(&self.inputs).arg("--bench").arg(self.calls.to_string()), &self.exe.display().to_string())?;
        parse_runner(&line).ok_or_else(|| format!("{}: cannot read the runner's timing from `{line}`", self.model))
    }
}

fn prepare_generated(root: &Path, work: &Path, onnxc: &Path, target: &str, model: &str, opts: &Options) -> Result<Prepared, String> {
    let models = root.join("golden/models");
    let crate_dir = work.join("crates").join(target).join(model);
    let _ = std::fs::remove_dir_all(crate_dir.join("src"));
    checked(
        Command::new(onnxc)
            .arg("compile")
            .arg(models.join(format!("{model}.onnx")))
            .args(["--target", target, "--name", model, "-o"])
            .arg(&crate_dir),
        "onnxc compile",
    )?;
    let target_dir = work.join("build").join(target);
    checked(
        Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "--features", "std", "--manifest-path"])
            .arg(crate_dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", &target_dir)
            .env("RUSTFLAGS", rustflags(target)),
        "cargo build (generated crate)",
    )?;
    let mut inputs = Vec::new();
    for (input, path) in golden_inputs(&models, model)? {
        inputs.push("--input".to_string());
        inputs.push(format!("{input}={}", path.display()));
    }
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap_or_default();
    let mut prepared = Prepared {
        target: target.to_string(),
        model: model.to_string(),
        exe: target_dir.join("release").join(model),
        inputs,
        calls: 20,
        figures: figures(&readme),
    };
    // Small models get more calls, so that each round takes about `1 / rounds` seconds.
    let per_round = opts.runs.div_ceil(opts.rounds);
    let probe = prepared.time()?.median_us.max(1e-3);
    let seconds = 1.0 / opts.rounds as f64;
    prepared.calls = ((seconds * 1e6 / probe) as usize).clamp(per_round, 100 * per_round);
    Ok(prepared)
}

/// The golden inputs of `model`: `golden/models/<model>.<input>.npy`, not the expected outputs.
fn golden_inputs(models: &Path, model: &str) -> Result<Vec<(String, PathBuf)>, String> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(models).map_err(|e| format!("cannot read {}: {e}", models.display()))?;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix(&format!("{model}.")) else { continue };
        if rest.ends_with(".expected.npy") {
            continue;
        }
        if let Some(input) = rest.strip_suffix(".npy") {
            found.push((input.to_string(), e.path()));
        }
    }
    found.sort();
    Ok(found)
}

fn parse_runner(line: &str) -> Option<Timing> {
    let field = |key: &str| line.split_whitespace().find_map(|w| w.strip_prefix(key)).and_then(|v| v.parse::<f64>().ok());
    Some(Timing {
        median_us: field("median_us=")?,
        p90_us: field("p90_us=")?,
        cpu_median_us: field("cpu_median_us=").unwrap_or(f64::NAN),
        cpu_p90_us: field("cpu_p90_us=").unwrap_or(f64::NAN),
    })
}

fn figures(readme: &str) -> Figures {
    let number = |label: &str| -> u64 {
        readme
            .lines()
            .find(|l| l.starts_with(&format!("| {label}")))
            .and_then(|l| l.rsplit('|').nth(1))
            .map(|v| v.chars().filter(char::is_ascii_digit).collect::<String>())
            .and_then(|d| d.parse().ok())
            .unwrap_or(0)
    };
    Figures { macs: number("MACs per inference"), arena: number("arena (activations"), weights: number("weights (") }
}

/// onnxruntime's and tract's timings by engine and model (`_floor` is the one-Add model).
#[derive(Default)]
struct Reference {
    timings: BTreeMap<(String, String), Result<Timing, String>>,
    versions: BTreeMap<String, String>,
}

impl Reference {
    fn read(path: &Path) -> Result<Reference, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut r = Reference::default();
        for line in text.lines() {
            let f: Vec<&str> = line.split('\t').collect();
            match f.as_slice() {
                ["version", engine, v] => {
                    r.versions.insert(engine.to_string(), v.to_string());
                }
                [engine, model, "error", msg] => {
                    r.timings.insert((engine.to_string(), model.to_string()), Err(msg.to_string()));
                }
                [engine, model, median, p90, _runs, cpu_median, cpu_p90] => {
                    let num = |s: &str| s.parse().unwrap_or(f64::NAN);
                    let t = Timing { median_us: num(median), p90_us: num(p90), cpu_median_us: num(cpu_median), cpu_p90_us: num(cpu_p90) };
                    r.timings.insert((engine.to_string(), model.to_string()), Ok(t));
                }
                _ => {}
            }
        }
        Ok(r)
    }

    /// The median of each engine's and model's rounds (errors from the first round that has
    /// them), and the versions of the first round.
    fn median_of(rounds: &[Reference]) -> Reference {
        let mut r = Reference { versions: rounds.first().map(|f| f.versions.clone()).unwrap_or_default(), ..Reference::default() };
        let keys: std::collections::BTreeSet<(String, String)> = rounds.iter().flat_map(|f| f.timings.keys().cloned()).collect();
        for key in keys {
            let ok: Vec<Timing> = rounds.iter().filter_map(|f| f.timings.get(&key).and_then(|t| t.as_ref().ok()).copied()).collect();
            let value = match median_of_rounds(&ok) {
                Some(t) => Ok(t),
                None => rounds.iter().find_map(|f| f.timings.get(&key).cloned()).unwrap_or_else(|| Err("not timed".into())),
            };
            r.timings.insert(key, value);
        }
        r
    }

    fn get(&self, engine: &str, model: &str) -> Option<Timing> {
        self.timings.get(&(engine.to_string(), model.to_string())).and_then(|r| r.as_ref().ok()).copied()
    }
}

fn render(opts: &Options, ours: &BTreeMap<(String, String), (Timing, Figures)>, reference: &Reference, peak: (f64, f64)) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmark: batch 1, one thread, float32, median latency\n");
    let _ = writeln!(s, "Written by `cargo xtask bench`; timings are never part of a test.\n");
    let _ = writeln!(s, "- date: {}", output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]), "date").unwrap_or_default().trim());
    let _ = writeln!(s, "- machine: {}", machine_line());
    let _ = writeln!(s, "- FMA peak of one core (thread CPU time): {:.1} GFLOP/s AVX-512, {:.1} GFLOP/s AVX2", peak.0, peak.1);
    let ort_floor = reference.get("onnxruntime", "_floor");
    let tract_floor = reference.get("tract", "_floor");
    if !reference.versions.is_empty() {
        let v: Vec<String> = reference.versions.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            s,
            "- references: {} (Python; onnxruntime: 1 intra/inter-op thread, sequential, all optimizations, IOBinding); per-call floor on a one-Add model: onnxruntime {}, tract {}",
            v.join(", "),
            ort_floor.map_or("—".into(), |t| format!("{:.2} µs", t.median())),
            tract_floor.map_or("—".into(), |t| format!("{:.2} µs", t.median())),
        );
    }
    let _ = writeln!(s, "- onnxc: generated crate built with `--release`, RUSTFLAGS per target (`x86-avx2`: `-C target-cpu=x86-64-v3`; others `-C target-cpu=native`), timed by its `--bench` runner (10 warm-up runs)");
    let _ = writeln!(s, "- ratio vs ORT uses onnxruntime's median minus its floor; GFLOP/s = 2 × MACs / onnxc median (MACs: Conv, Gemm, MatMul); % of peak against the target's ISA (AVX2 peak for x86-avx2, AVX-512 otherwise)\n");
    let _ = writeln!(s, "Times are medians of the thread's CPU time per call (the machine is shared: wall time counts other processes' turns); onnxc's wall-clock median follows in brackets. Every engine and target was timed in {} interleaved rounds, and each figure (the FMA peak too) is the median of its rounds' medians.\n", opts.rounds);
    let _ = writeln!(s, "| model | target | MACs | onnxc µs (p90) [wall] | ORT µs | tract µs | onnxc/(ORT−floor) | onnxc/tract | GFLOP/s | % peak | arena B | weights B |");
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let mut log_ratio: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for model in &opts.models {
        let ort = reference.get("onnxruntime", model);
        let tract = reference.get("tract", model);
        for target in &opts.targets {
            let Some((t, fig)) = ours.get(&(target.clone(), model.clone())) else { continue };
            let ort_net = ort.map(|o| o.median() - ort_floor.map_or(0.0, |f| f.median()));
            let r_ort = ort_net.map(|o| t.median() / o);
            if let Some(r) = r_ort {
                let e = log_ratio.entry(target.clone()).or_default();
                e.0 += r.ln();
                e.1 += 1;
            }
            let gflops = 2.0 * fig.macs as f64 / (t.median() * 1e3);
            let peak_t = if target == "x86-avx2" { peak.1 } else { peak.0 };
            let tract_cell = match reference.timings.get(&("tract".to_string(), model.clone())) {
                Some(Ok(t)) => format!("{:.1}", t.median()),
                Some(Err(_)) => "fails".into(),
                None => "—".into(),
            };
            let _ = writeln!(
                s,
                "| {model} | {target} | {:.2} M | {:.1} ({:.1}) [{:.1}] | {} | {tract_cell} | {} | {} | {gflops:.1} | {:.0}% | {} | {} |",
                fig.macs as f64 / 1e6,
                t.median(),
                t.p90(),
                t.median_us,
                ort.map_or("—".into(), |o| format!("{:.1}", o.median())),
                r_ort.map_or("—".into(), |r| format!("{r:.2}")),
                tract.map_or("—".into(), |tr| format!("{:.2}", t.median() / tr.median())),
                100.0 * gflops / peak_t.max(1e-9),
                fig.arena,
                fig.weights,
            );
        }
    }
    if !log_ratio.is_empty() {
        let _ = writeln!(s, "\nGeometric mean of onnxc/(ORT−floor):");
        for (target, (sum, n)) in &log_ratio {
            let _ = writeln!(s, "- {target}: {:.2} over {n} models", (sum / *n as f64).exp());
        }
    }
    s
}

fn machine_line() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']).to_string()).unwrap_or_else(|| "unknown CPU".into());
    let cores = cpuinfo.lines().filter(|l| l.starts_with("processor")).count();
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
    let rustc = output(Command::new("rustc").arg("--version"), "rustc").unwrap_or_default();
    format!("{model}, {cores} logical cores (shared; load average {load} at the end of the run), {}", rustc.trim())
}

/// Builds and runs `golden/bench/fma_peak.rs`: (AVX-512, AVX2) GFLOP/s.
fn fma_peak(root: &Path, work: &Path) -> Result<(f64, f64), String> {
    let exe = work.join("fma_peak");
    checked(
        Command::new("rustc")
            .args(["--edition", "2021", "-O", "-C", "target-cpu=native"])
            .arg(root.join("golden/bench/fma_peak.rs"))
            .arg("-o")
            .arg(&exe),
        "rustc fma_peak.rs",
    )?;
    let line = output(&mut Command::new(&exe), "fma_peak")?;
    let field = |key: &str| line.split_whitespace().find_map(|w| w.strip_prefix(key)).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    Ok((field("avx512_gflops="), field("avx2_gflops=")))
}

fn checked(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("cannot run {what}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status})"))
    }
}

fn output(cmd: &mut Command, what: &str) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("{what} failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}
