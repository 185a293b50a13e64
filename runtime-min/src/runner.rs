//! The command-line driver behind a generated crate's `std` binary, so that its `main.rs` is
//! just a [`ModelSpec`] and a call to [`main`].
//!
//! ```text
//! model --input NAME=PATH.npy [--input NAME=PATH.npy …] [--output-dir DIR] [--bench N] [--print]
//! ```
//!
//! * `--input NAME=PATH.npy` gives one input; every input is required. A model with exactly one
//!   input also accepts a bare `--input PATH.npy`.
//! * `--output-dir DIR` writes each output to `DIR/<name>.npy`, where `<name>` is the output's
//!   name with every character outside `[A-Za-z0-9._-]` replaced by `_` (see
//!   [`output_file_names`]); `DIR` is created if needed.
//! * `--bench N` runs the model 10 times to warm up, then times `N` runs and prints
//!   `median_us=… p90_us=… runs=N` on one line (on 64-bit Linux followed by
//!   `cpu_median_us=… cpu_p90_us=…`, the same for the thread's CPU time).
//! * `--print` prints each output's name, dtype, shape, first (up to) 16 values and
//!   min/max/mean. Without `--output-dir` and `--bench` this is the default.
//!
//! Every error (bad arguments, unreadable files, dtype or shape mismatches) prints one
//! `error: …` line on stderr and exits with status 2. Every flag also has a `--flag=value`
//! form.
//!
//! The model function receives the inputs' raw little-endian bytes in the order of
//! [`ModelSpec::inputs`], and zero-initialised output buffers sized from
//! [`ModelSpec::outputs`]; all buffers start at 64-byte aligned addresses.
//!
//! A generated `main.rs` then reads like:
//!
//! ```ignore
//! use crate::rt::{npy::NpyDtype, runner::{ModelSpec, TensorSpec}};
//! const SPEC: ModelSpec = ModelSpec {
//!     name: "mnist",
//!     inputs: &[TensorSpec { name: "input", dtype: NpyDtype::F32, shape: &[1, 1, 28, 28] }],
//!     outputs: &[TensorSpec { name: "logits", dtype: NpyDtype::F32, shape: &[1, 10] }],
//! };
//! fn main() -> std::process::ExitCode {
//!     let mut model = Model::new();
//!     crate::rt::runner::main(&SPEC, &mut |ins, outs| model.infer(ins, outs))
//! }
//! ```

use super::npy::{self, NpyArray, NpyDtype};
use std::format;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::string::{String, ToString};
use std::time::Instant;
use std::vec;
use std::vec::Vec;

/// One model input or output as the generated code declares it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TensorSpec {
    pub name: &'static str,
    pub dtype: NpyDtype,
    pub shape: &'static [usize],
}

impl TensorSpec {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Size of the raw data in bytes.
    pub fn byte_len(&self) -> usize {
        self.len() * self.dtype.size()
    }
}

/// A model's name and signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModelSpec {
    pub name: &'static str,
    pub inputs: &'static [TensorSpec],
    pub outputs: &'static [TensorSpec],
}

/// The model function: input bytes in, output bytes out (`&mut dyn FnMut(&[&[u8]], &mut
/// [&mut [u8]])`).
pub type Infer<'a> = dyn FnMut(&[&[u8]], &mut [&mut [u8]]) + 'a;

/// Warm-up runs before `--bench` starts timing.
pub const WARMUP_RUNS: usize = 10;

/// Values shown per output by `--print`.
pub const PRINT_VALUES: usize = 16;

/// Parses the process arguments, reads the inputs, runs `infer` once (or `10 + N` times with
/// `--bench N`) and writes or prints the outputs. Returns status 0 on success (and for
/// `--help`), 2 after printing `error: …` on stderr.
pub fn main(spec: &ModelSpec, infer: &mut Infer<'_>) -> ExitCode {
    let args: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect();
    match args {
        Err(bad) => {
            std::eprintln!("error: argument {bad:?} is not valid UTF-8");
            ExitCode::from(2)
        }
        Ok(args) => main_with_args(spec, &args, infer),
    }
}

/// [`main`] with the arguments given (without the program name): for a binary that hosts
/// several models and picks one by its first argument.
pub fn main_with_args(spec: &ModelSpec, args: &[String], infer: &mut Infer<'_>) -> ExitCode {
    let result = parse_args(spec, args).and_then(|command| match command {
        Command::Help => {
            std::print!("{}", usage(spec));
            Ok(())
        }
        Command::Run(options) => run(spec, &options, infer, &mut std::io::stdout().lock()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            std::eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// A model element type as little-endian bytes, for moving `.npy` data in and out of the
/// typed arrays `run` takes.
pub trait Element: Copy + Default {
    const SIZE: usize;
    fn read(bytes: &[u8]) -> Self;
    fn write(self, bytes: &mut [u8]);
}

macro_rules! element {
    ($($t:ty),*) => { $(impl Element for $t {
        const SIZE: usize = core::mem::size_of::<$t>();
        fn read(bytes: &[u8]) -> Self {
            <$t>::from_le_bytes(bytes.try_into().unwrap_or_default())
        }
        fn write(self, bytes: &mut [u8]) {
            bytes.copy_from_slice(&self.to_le_bytes());
        }
    })* };
}
element!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

/// A zeroed buffer of `len` elements.
pub fn buffer<T: Element>(len: usize) -> Vec<T> {
    vec![T::default(); len]
}

/// Fills `values` from little-endian `bytes`.
pub fn decode<T: Element>(bytes: &[u8], values: &mut [T]) {
    for (v, b) in values.iter_mut().zip(bytes.chunks_exact(T::SIZE)) {
        *v = T::read(b);
    }
}

/// Writes `values` as little-endian `bytes`.
pub fn encode<T: Element>(values: &[T], bytes: &mut [u8]) {
    for (v, b) in values.iter().zip(bytes.chunks_exact_mut(T::SIZE)) {
        v.write(b);
    }
}

/// The buffer as the fixed-size array `run` takes (buffers are sized from the model's
/// constants, so the length always matches).
pub fn to_array<T, const N: usize>(values: &[T]) -> &[T; N] {
    values.try_into().expect("buffer sized from the model's constants")
}

/// Mutable [`to_array`].
pub fn to_array_mut<T, const N: usize>(values: &mut [T]) -> &mut [T; N] {
    values.try_into().expect("buffer sized from the model's constants")
}

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Run(Options),
}

/// Parsed options of a run.
#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    /// One path per model input, in the order of [`ModelSpec::inputs`].
    pub inputs: Vec<PathBuf>,
    pub output_dir: Option<PathBuf>,
    /// Number of timed runs.
    pub bench: Option<usize>,
    /// Print the outputs (also implied when neither `output_dir` nor `bench` is given).
    pub print: bool,
}

/// Parses the arguments after the program name.
pub fn parse_args(spec: &ModelSpec, args: &[String]) -> Result<Command, String> {
    let mut inputs: Vec<Option<PathBuf>> = vec![None; spec.inputs.len()];
    let mut output_dir = None;
    let mut bench = None;
    let mut print = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (arg.as_str(), None),
        };
        let takes_value = matches!(flag, "--input" | "--output-dir" | "--bench");
        let value = if takes_value {
            match inline {
                Some(v) => v,
                None => rest
                    .next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))?,
            }
        } else {
            if inline.is_some() {
                return Err(format!("{flag} takes no value"));
            }
            String::new()
        };
        match flag {
            "--help" | "-h" => return Ok(Command::Help),
            "--print" => print = true,
            "--output-dir" => output_dir = Some(PathBuf::from(value)),
            "--bench" => match value.parse::<usize>() {
                Ok(n) if n > 0 => bench = Some(n),
                _ => {
                    return Err(format!(
                        "--bench needs a positive number of runs, got '{value}'"
                    ))
                }
            },
            "--input" => {
                let (index, path) = resolve_input(spec, &value)?;
                let slot = &mut inputs[index];
                if slot.is_some() {
                    return Err(format!("input '{}' given twice", spec.inputs[index].name));
                }
                *slot = Some(path);
            }
            _ => return Err(format!("unknown argument '{arg}' (see --help)")),
        }
    }
    let inputs = inputs
        .into_iter()
        .zip(spec.inputs)
        .map(|(path, t)| {
            path.ok_or_else(|| {
                format!(
                    "missing input '{}' (give --input {}=PATH.npy)",
                    t.name, t.name
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Command::Run(Options {
        inputs,
        output_dir,
        bench,
        print,
    }))
}

/// Maps an `--input` value to an input index and path: `NAME=PATH` for any input name (names
/// containing `=` work too), or a bare path when the model has exactly one input.
fn resolve_input(spec: &ModelSpec, value: &str) -> Result<(usize, PathBuf), String> {
    for (at, _) in value.match_indices('=') {
        let name = &value[..at];
        if let Some(i) = spec.inputs.iter().position(|t| t.name == name) {
            return Ok((i, PathBuf::from(&value[at + 1..])));
        }
    }
    if spec.inputs.len() == 1 {
        return Ok((0, PathBuf::from(value)));
    }
    let names: Vec<&str> = spec.inputs.iter().map(|t| t.name).collect();
    let known = if names.is_empty() {
        "the model has no inputs".to_string()
    } else {
        format!("inputs: {}", names.join(", "))
    };
    match value.split_once('=') {
        Some((name, _)) => Err(format!("unknown input '{name}' ({known})")),
        None => Err(format!(
            "--input needs NAME=PATH.npy for this model ({known})"
        )),
    }
}

/// The `--help` text.
pub fn usage(spec: &ModelSpec) -> String {
    let mut s = format!(
        "usage: {} --input NAME=PATH.npy ... [--output-dir DIR] [--bench N] [--print]\n\n\
         Runs the model '{}' on .npy inputs.\n\n",
        spec.name, spec.name
    );
    s.push_str("inputs (all required):\n");
    for t in spec.inputs {
        s.push_str(&format!("  {}: {} {:?}\n", t.name, t.dtype, t.shape));
    }
    s.push_str("outputs:\n");
    for (t, file) in spec.outputs.iter().zip(output_file_names(spec)) {
        s.push_str(&format!(
            "  {}: {} {:?}  -> DIR/{file}\n",
            t.name, t.dtype, t.shape
        ));
    }
    s.push_str(
        "\noptions:\n\
         \x20 --input NAME=PATH.npy  an input (a bare PATH.npy if the model has one input)\n\
         \x20 --output-dir DIR       write each output to DIR/<name>.npy (characters outside\n\
         \x20                        [A-Za-z0-9._-] in <name> become '_')\n\
         \x20 --bench N              time N runs after 10 warm-up runs; prints\n\
         \x20                        median_us=... p90_us=... runs=N\n\
         \x20 --print                print each output's shape, first 16 values, min/max/mean\n\
         \x20                        (the default without --output-dir and --bench)\n\
         \x20 --help                 this text\n\
         errors print 'error: ...' on stderr and exit with status 2\n",
    );
    s
}

/// Reads the inputs, runs the model and writes/prints the outputs; text goes to `out`.
pub fn run(
    spec: &ModelSpec,
    options: &Options,
    infer: &mut Infer<'_>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let mut input_bufs = Vec::with_capacity(spec.inputs.len());
    for (t, path) in spec.inputs.iter().zip(&options.inputs) {
        let array = npy::read(path).map_err(|e| format!("input '{}': {e}", t.name))?;
        check_input(t, &array)
            .map_err(|e| format!("input '{}' ({}): {e}", t.name, path.display()))?;
        let mut buf = AlignedBuf::zeroed(array.data.len());
        buf.bytes_mut().copy_from_slice(&array.data);
        input_bufs.push(buf);
    }
    let mut output_bufs: Vec<AlignedBuf> = spec
        .outputs
        .iter()
        .map(|t| AlignedBuf::zeroed(t.byte_len()))
        .collect();
    {
        let ins: Vec<&[u8]> = input_bufs.iter().map(AlignedBuf::bytes).collect();
        let mut outs: Vec<&mut [u8]> = output_bufs.iter_mut().map(AlignedBuf::bytes_mut).collect();
        match options.bench {
            None => infer(&ins, &mut outs),
            Some(runs) => {
                for _ in 0..WARMUP_RUNS {
                    infer(&ins, &mut outs);
                }
                let mut samples = Vec::with_capacity(runs);
                let mut cpu_samples = Vec::with_capacity(runs);
                for _ in 0..runs {
                    let cpu_start = thread_cpu_us();
                    let start = Instant::now();
                    infer(&ins, &mut outs);
                    samples.push(start.elapsed().as_secs_f64() * 1e6);
                    cpu_samples.push(thread_cpu_us() - cpu_start);
                }
                let mut line = bench_line(&mut samples);
                if cpu_samples.iter().all(|t| t.is_finite()) {
                    // The same statistics of the thread's CPU time, which a busy machine does
                    // not inflate: `cpu_median_us=… cpu_p90_us=…`.
                    let cpu = bench_line(&mut cpu_samples);
                    let cpu: Vec<String> = cpu.split(' ').take(2).map(|f| format!("cpu_{f}")).collect();
                    line = format!("{line} {}", cpu.join(" "));
                }
                writeln!(out, "{line}").map_err(|e| format!("cannot write to stdout: {e}"))?;
            }
        }
    }
    if let Some(dir) = &options.output_dir {
        write_outputs(spec, &output_bufs, dir)?;
    }
    if options.print || (options.output_dir.is_none() && options.bench.is_none()) {
        for (t, buf) in spec.outputs.iter().zip(&output_bufs) {
            let text = summary(t.name, t.dtype, t.shape, buf.bytes());
            out.write_all(text.as_bytes())
                .map_err(|e| format!("cannot write to stdout: {e}"))?;
        }
    }
    Ok(())
}

/// True when two shapes hold the same elements in the same order: equal once their
/// size-1 dims are dropped (a scalar fed as `[1]`, as the ONNX test data does).
fn same_layout(a: &[usize], b: &[usize]) -> bool {
    a.iter().filter(|&&d| d != 1).eq(b.iter().filter(|&&d| d != 1))
}

fn check_input(t: &TensorSpec, array: &NpyArray) -> Result<(), String> {
    if array.dtype != t.dtype || !same_layout(&array.shape, t.shape) {
        return Err(format!(
            "expected {} {:?}, got {} {:?}",
            t.dtype, t.shape, array.dtype, array.shape
        ));
    }
    Ok(())
}

fn write_outputs(spec: &ModelSpec, bufs: &[AlignedBuf], dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for ((t, buf), file) in spec.outputs.iter().zip(bufs).zip(output_file_names(spec)) {
        let array = NpyArray {
            dtype: t.dtype,
            shape: t.shape.to_vec(),
            data: buf.bytes().to_vec(),
        };
        npy::write(dir.join(file), &array)?;
    }
    Ok(())
}

/// The file name (`<name>.npy`) of each output under `--output-dir`.
///
/// Characters outside `[A-Za-z0-9._-]` become `_` (so `/`, `:` and spaces cannot leave the
/// directory or upset a shell); an empty name becomes `output`. If two outputs end up with the
/// same name, the later ones get `_<output index>` appended (repeatedly, until unique).
pub fn output_file_names(spec: &ModelSpec) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(spec.outputs.len());
    for (i, t) in spec.outputs.iter().enumerate() {
        let mut stem = sanitize(t.name);
        if stem.is_empty() {
            stem = "output".to_string();
        }
        while names
            .iter()
            .any(|n| n.strip_suffix(".npy") == Some(stem.as_str()))
        {
            stem = format!("{stem}_{i}");
        }
        names.push(format!("{stem}.npy"));
    }
    names
}

/// Replaces every character outside `[A-Za-z0-9._-]` by `_`.
pub fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// CPU time consumed by the calling thread, in microseconds (NaN where not available).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
pub fn thread_cpu_us() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid, writable `struct timespec` (two 64-bit fields on 64-bit Linux)
    // for the duration of the call, which writes nothing else.
    let status = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if status != 0 {
        return f64::NAN;
    }
    ts.sec as f64 * 1e6 + ts.nsec as f64 * 1e-3
}

/// CPU time consumed by the calling thread, in microseconds (NaN where not available).
#[cfg(not(all(target_os = "linux", target_pointer_width = "64")))]
pub fn thread_cpu_us() -> f64 {
    f64::NAN
}

/// `median_us=… p90_us=… runs=N` for per-run times in microseconds (sorts `samples`). The
/// median of an even count is the mean of the middle two; p90 is the nearest-rank 90th
/// percentile.
pub fn bench_line(samples: &mut [f64]) -> String {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    if n == 0 {
        return "median_us=nan p90_us=nan runs=0".to_string();
    }
    let median = if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    };
    let p90 = samples[(n * 9).div_ceil(10) - 1];
    format!("median_us={median:.3} p90_us={p90:.3} runs={n}")
}

/// The `--print` text of one tensor:
///
/// ```text
/// logits: f32 [1, 4]
///   values: [0.5, -1, 2.25, 0]
///   min=-1 max=2.25 mean=0.4375
/// ```
///
/// At most [`PRINT_VALUES`] values are listed (with `(first 16 of N)` when there are more).
/// NaNs are left out of min/max/mean and counted as `nan=K`.
pub fn summary(name: &str, dtype: NpyDtype, shape: &[usize], data: &[u8]) -> String {
    let size = dtype.size();
    let count = data.len() / size;
    let element = |i: usize| &data[i * size..(i + 1) * size];
    let mut s = format!("{name}: {dtype} {shape:?}\n");
    if count == 0 {
        s.push_str("  (no elements)\n");
        return s;
    }
    let shown: Vec<String> = (0..count.min(PRINT_VALUES))
        .map(|i| format_element(dtype, element(i)))
        .collect();
    s.push_str(&format!("  values: [{}]", shown.join(", ")));
    if count > PRINT_VALUES {
        s.push_str(&format!(" (first {PRINT_VALUES} of {count})"));
    }
    s.push('\n');

    let values = NpyArray {
        dtype,
        shape: vec![count],
        data: data[..count * size].to_vec(),
    }
    .to_f64_lossy();
    let (mut min_i, mut max_i, mut sum, mut nans) = (None::<usize>, None::<usize>, 0.0f64, 0usize);
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            nans += 1;
            continue;
        }
        if min_i.is_none_or(|m| v < values[m]) {
            min_i = Some(i);
        }
        if max_i.is_none_or(|m| v > values[m]) {
            max_i = Some(i);
        }
        sum += v;
    }
    match (min_i, max_i) {
        (Some(lo), Some(hi)) => {
            let mean = sum / (count - nans) as f64;
            let mean = match dtype {
                NpyDtype::F32 | NpyDtype::F16 => format!("{}", mean as f32),
                _ => format!("{mean}"),
            };
            s.push_str(&format!(
                "  min={} max={} mean={mean}",
                format_element(dtype, element(lo)),
                format_element(dtype, element(hi))
            ));
        }
        _ => s.push_str("  min=nan max=nan mean=nan"),
    }
    if nans > 0 {
        s.push_str(&format!(" nan={nans}"));
    }
    s.push('\n');
    s
}

/// One element in its own type's shortest round-trip notation (`f16` shown via `f32`).
fn format_element(dtype: NpyDtype, b: &[u8]) -> String {
    fn le<const N: usize>(b: &[u8]) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&b[..N]);
        a
    }
    match dtype {
        NpyDtype::F32 => f32::from_le_bytes(le(b)).to_string(),
        NpyDtype::F64 => f64::from_le_bytes(le(b)).to_string(),
        NpyDtype::F16 => (npy::f16_to_f64(u16::from_le_bytes(le(b))) as f32).to_string(),
        NpyDtype::I8 => (b[0] as i8).to_string(),
        NpyDtype::I16 => i16::from_le_bytes(le(b)).to_string(),
        NpyDtype::I32 => i32::from_le_bytes(le(b)).to_string(),
        NpyDtype::I64 => i64::from_le_bytes(le(b)).to_string(),
        NpyDtype::U8 => b[0].to_string(),
        NpyDtype::U16 => u16::from_le_bytes(le(b)).to_string(),
        NpyDtype::U32 => u32::from_le_bytes(le(b)).to_string(),
        NpyDtype::U64 => u64::from_le_bytes(le(b)).to_string(),
        NpyDtype::Bool => (b[0] != 0).to_string(),
    }
}

/// A zero-initialised byte buffer whose data starts at a 64-byte aligned address (so the model
/// may view it as `f32`/`i64`/… slices in place), without `unsafe`: the storage is 63 bytes
/// longer than needed and the view starts at the first aligned address.
struct AlignedBuf {
    storage: Vec<u8>,
    offset: usize,
    len: usize,
}

impl AlignedBuf {
    fn zeroed(len: usize) -> AlignedBuf {
        let storage = vec![0u8; len + 63];
        let offset = storage.as_ptr().align_offset(64);
        // `align_offset` may in principle decline (usize::MAX); then the data is unaligned.
        let offset = if offset < 64 { offset } else { 0 };
        AlignedBuf {
            storage,
            offset,
            len,
        }
    }

    fn bytes(&self) -> &[u8] {
        &self.storage[self.offset..self.offset + self.len]
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.storage[self.offset..self.offset + self.len]
    }
}

#[cfg(test)]
#[path = "runner_tests.rs"]
mod tests;
