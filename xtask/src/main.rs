//! Workspace automation: `cargo xtask <subcommand> [args...]`.
//!
//! Std only, no dependencies. To add a subcommand, write a module with a
//! `pub fn main(args: &[String]) -> ExitCode` and add one row to
//! [`SUBCOMMANDS`].

mod bench;
mod conformance;
mod cross_test;
mod fuzz;
mod golden;
mod miri;
mod venv;

use std::path::PathBuf;
use std::process::ExitCode;

struct Subcommand {
    name: &'static str,
    about: &'static str,
    run: fn(&[String]) -> ExitCode,
}

const SUBCOMMANDS: &[Subcommand] = &[
    Subcommand {
        name: "golden",
        about: "regenerate golden/models/ (ONNX models + onnxruntime reference outputs)",
        run: golden::main,
    },
    Subcommand {
        name: "bench",
        about: "time the golden models' generated crates against onnxruntime and tract (see --help)",
        run: bench::main,
    },
    Subcommand {
        name: "conformance",
        about: "run the ONNX backend tests through generated code and report (see --help)",
        run: conformance::main,
    },
    Subcommand {
        name: "cross-test",
        about: "golden models for aarch64-neon under qemu-aarch64: outputs vs onnxruntime, instruction counts (see --help)",
        run: cross_test::main,
    },
    Subcommand {
        name: "fuzz",
        about: "run the fuzz targets of compiler/fuzz/ with cargo-fuzz on stable (--seconds N each)",
        run: fuzz::main,
    },
    Subcommand {
        name: "miri",
        about: "run the generated crates of golden models (default mlp, lenet) under Miri (needs nightly + miri)",
        run: miri::main,
    },
];

fn usage() -> String {
    let mut s = String::from("usage: cargo xtask <subcommand> [args...]\n\nsubcommands:\n");
    for c in SUBCOMMANDS {
        s.push_str(&format!("    {:<12} {}\n", c.name, c.about));
    }
    s.push_str(&format!("    {:<12} {}\n", "help", "print this message"));
    s.push_str("\n`cargo xtask <subcommand> --help` describes a subcommand's arguments.");
    s
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{}", usage());
        return ExitCode::from(2);
    };
    if let Some(c) = SUBCOMMANDS.iter().find(|c| c.name == cmd.as_str()) {
        return (c.run)(rest);
    }
    match cmd.as_str() {
        "help" | "-h" | "--help" => {
            println!("{}", usage());
            ExitCode::SUCCESS
        }
        other => {
            eprintln!("xtask: unknown subcommand `{other}`\n\n{}", usage());
            ExitCode::from(2)
        }
    }
}

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}
