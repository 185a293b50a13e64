//! Targets: what the generated code may assume about the machine, read from `targets/*.toml`.
//!
//! The files are embedded at build time, so the `onnxc` binary needs no data files at run time.

use crate::error::{Error, Result};

/// A code generation target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// Name used on the command line (`--target generic`).
    pub name: String,
    pub description: String,
    /// Folder of `codegen-templates` the kernels come from (`generic`, `x86`, `neon`, …).
    pub kernel_family: String,
    /// Rust target triples this target is for; empty means any.
    pub triples: Vec<String>,
    /// Target features the generated code enables (`avx2`, `fma`, …).
    pub target_features: Vec<String>,
    pub vector_bits: u32,
    pub vector_registers: u32,
    /// `nchw` or `nhwc`.
    pub preferred_layout: String,
    /// Bytes of L2 cache one core can count on: sizes the working sets of banded kernels.
    pub l2_bytes: u32,
    /// Whether 3×3 stride-1 convolutions run by Winograd F(2×2, 3×3) (`passes/winograd.rs`):
    /// 2.25× fewer multiply-adds for 16/9 of those layers' weight bytes.
    pub winograd: bool,
}

/// L2 bytes assumed when a target file does not say (the smallest of common cores).
const DEFAULT_L2_BYTES: u32 = 256 << 10;

/// The target descriptions shipped with onnxc, as (file name, contents).
const BUILTIN: &[(&str, &str)] = &[
    ("aarch64-neon.toml", include_str!("../../targets/aarch64-neon.toml")),
    ("generic.toml", include_str!("../../targets/generic.toml")),
    ("x86-avx2.toml", include_str!("../../targets/x86-avx2.toml")),
    ("x86-avx512.toml", include_str!("../../targets/x86-avx512.toml")),
];

impl Target {
    /// Every built-in target, sorted by name.
    pub fn all() -> Result<Vec<Target>> {
        let mut targets: Vec<Target> = BUILTIN.iter().map(|(file, text)| parse(file, text)).collect::<Result<_>>()?;
        targets.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(targets)
    }

    /// The built-in target called `name`.
    pub fn named(name: &str) -> Result<Target> {
        let all = Target::all()?;
        let names: Vec<_> = all.iter().map(|t| t.name.clone()).collect();
        all.into_iter().find(|t| t.name == name).ok_or_else(|| {
            Error::unsupported(format!("unknown target '{name}'; known targets: {} (see `onnxc targets`)", names.join(", ")))
        })
    }

    /// The portable scalar target.
    pub fn generic() -> Target {
        Target::named("generic").unwrap_or_else(|_| Target {
            name: "generic".into(),
            description: String::new(),
            kernel_family: "generic".into(),
            triples: vec![],
            target_features: vec![],
            vector_bits: 0,
            vector_registers: 0,
            preferred_layout: "nchw".into(),
            l2_bytes: DEFAULT_L2_BYTES,
            winograd: false,
        })
    }
}

/// Parses the small TOML subset the target files use: `key = "string"`, `key = 123`,
/// `key = true`, `key = ["a", "b"]`, comments and blank lines.
fn parse(file: &str, text: &str) -> Result<Target> {
    let mut t = Target {
        name: String::new(),
        description: String::new(),
        kernel_family: "generic".into(),
        triples: vec![],
        target_features: vec![],
        vector_bits: 0,
        vector_registers: 0,
        preferred_layout: "nchw".into(),
        l2_bytes: DEFAULT_L2_BYTES,
        winograd: false,
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let bad = || Error::internal(format!("targets/{file}:{}: cannot parse '{raw}'", i + 1));
        let (key, value) = line.split_once('=').ok_or_else(bad)?;
        let value = value.trim();
        let string = || value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(str::to_string).ok_or_else(bad);
        let list = || -> Result<Vec<String>> {
            let inner = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).ok_or_else(bad)?;
            inner
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map(str::to_string).ok_or_else(bad))
                .collect()
        };
        let number = || value.parse::<u32>().map_err(|_| bad());
        let flag = || value.parse::<bool>().map_err(|_| bad());
        match key.trim() {
            "name" => t.name = string()?,
            "description" => t.description = string()?,
            "kernel_family" => t.kernel_family = string()?,
            "triples" => t.triples = list()?,
            "target_features" => t.target_features = list()?,
            "vector_bits" => t.vector_bits = number()?,
            "vector_registers" => t.vector_registers = number()?,
            "preferred_layout" => t.preferred_layout = string()?,
            "l2_bytes" => t.l2_bytes = number()?,
            "winograd" => t.winograd = flag()?,
            _ => return Err(bad()),
        }
    }
    if t.name.is_empty() {
        return Err(Error::internal(format!("targets/{file} has no name")));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_targets_parse() {
        let all = Target::all().unwrap();
        assert!(all.iter().any(|t| t.name == "generic" && t.kernel_family == "generic"));
        assert!(all.iter().any(|t| t.name == "x86-avx512" && t.kernel_family == "x86_avx512"));
        assert!(all.iter().any(|t| t.name == "x86-avx2" && t.kernel_family == "x86_avx2"));
        assert!(all.iter().any(|t| t.name == "aarch64-neon" && t.kernel_family == "aarch64_neon"));
    }

    #[test]
    fn unknown_target_lists_the_known_ones() {
        let e = Target::named("pdp11").unwrap_err();
        assert!(e.message.contains("known targets: aarch64-neon, generic, x86-avx2"), "{}", e.message);
    }
}
