//! Runs many short child processes on a few threads, each with a time limit.

use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How one child process ended.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Exit code, or `None` when killed (by the time limit or a signal).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stderr: String,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }

    /// The first `error: …` line of stderr, else its last non-empty line, else a description
    /// of how the process ended.
    pub fn reason(&self) -> String {
        if self.timed_out {
            return "timed out".into();
        }
        let lines = || self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        if let Some(l) = lines().find(|l| l.starts_with("error")) {
            return l.to_string();
        }
        if let Some(l) = lines().next_back() {
            return l.to_string();
        }
        match self.code {
            Some(c) => format!("exit status {c}"),
            None => "killed by a signal".into(),
        }
    }
}

/// Runs `make(i)` for every `i < count` on `jobs` threads; `progress` is called after each.
pub fn run_all(
    count: usize,
    jobs: usize,
    limit: Duration,
    make: &(dyn Fn(usize) -> Command + Sync),
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; count]);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    break;
                }
                let outcome = run_one(make(i), limit);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|o| o.unwrap_or(Outcome { code: None, timed_out: false, stderr: "not run".into() }))
        .collect()
}

fn run_one(mut cmd: Command, limit: Duration) -> Outcome {
    let child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Outcome { code: None, timed_out: false, stderr: format!("error: cannot start: {e}") },
    };
    // Drain the pipes on their own threads so a chatty child cannot block on a full pipe.
    let mut out_pipe = child.stdout.take();
    let mut err_pipe = child.stderr.take();
    let out_reader = std::thread::spawn(move || read_all(out_pipe.as_mut()));
    let err_reader = std::thread::spawn(move || read_all(err_pipe.as_mut()));
    let start = Instant::now();
    let mut nap = Duration::from_micros(500);
    let (code, timed_out) = loop {
        match child.try_wait() {
            Ok(Some(status)) => break (status.code(), false),
            Ok(None) if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                break (None, true);
            }
            Ok(None) => {
                std::thread::sleep(nap);
                nap = (nap * 2).min(Duration::from_millis(20));
            }
            Err(_) => break (None, false),
        }
    };
    let _ = out_reader.join();
    let stderr = err_reader.join().unwrap_or_default();
    Outcome { code, timed_out, stderr }
}

fn read_all<R: std::io::Read>(pipe: Option<&mut R>) -> String {
    let mut bytes = Vec::new();
    if let Some(p) = pipe {
        let _ = p.read_to_end(&mut bytes);
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
