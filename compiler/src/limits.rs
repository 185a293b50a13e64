//! Caps on what an untrusted model may make onnxc spend, and the helpers that parse and print
//! them.
//!
//! A model file is hostile input: every size it claims is checked against one of these caps
//! before anything is allocated for it, and exceeding a cap is an
//! [`ErrorKind::Limit`](crate::error::ErrorKind::Limit) error that names the cap and the
//! command-line flag that raises it.

use crate::error::{Error, Result};
use std::fmt;

/// The caps onnxc enforces on a model, with the command-line flag that sets each one.
///
/// | cap | default | flag | what it bounds |
/// |---|---|---|---|
/// | `max_tensor_bytes` | 1 GiB | `--max-tensor-bytes` | any one tensor: an initializer, a constant, a model input or an intermediate value |
/// | `max_total_weight_bytes` | 4 GiB | `--max-weight-bytes` | all initializers and constants together |
/// | `max_arena_bytes` | 1 GiB | `--max-arena-bytes` | the planned activation arena |
/// | `max_nodes` | 1 000 000 | `--max-nodes` | nodes, and separately initializers, in the graph |
/// | `max_rank` | 8 | — | dimensions of any tensor (8 is what the kernels hold; a lower value may be set from the library) |
/// | `max_decode_expansion` | 16 | `--max-decode-expansion` | memory the decoded protobuf messages take, as a multiple of the file's size (plus a fixed 16 MiB allowance) |
///
/// Sizes on the command line are plain byte counts or carry a suffix: `64MiB`, `2GiB`, `512k`
/// (binary: `k`, `KiB`, `M`, `MiB`, `G`, `GiB`, `T`, `TiB`) or `10MB` (decimal: `KB`, `MB`,
/// `GB`, `TB`). See [`parse_size`].
///
/// Protobuf nesting is capped too, at [`PROTOBUF_DEPTH_LIMIT`] levels (prost's recursion
/// limit, not configurable). The messages onnxc reads nest at most six levels deep (model →
/// graph → node → attribute → tensor → external-data entry); deeper nesting can only come from
/// fields onnxc skips (sub-graphs of `If`/`Loop`, unknown fields) and is either skipped without
/// recursion or, for protobuf groups, refused with "nested more than 100 levels deep".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest single tensor, in bytes.
    pub max_tensor_bytes: usize,
    /// Largest total of all initializers and constants, in bytes.
    pub max_total_weight_bytes: usize,
    /// Largest activation arena the planner may lay out, in bytes.
    pub max_arena_bytes: usize,
    /// Most nodes (and, separately, initializers) in the graph.
    pub max_nodes: usize,
    /// Most dimensions of any tensor.
    pub max_rank: usize,
    /// Most memory the decoded protobuf may take, as a multiple of the file's size (on top of
    /// [`DECODE_ALLOWANCE`]); guards against small files of many empty messages.
    pub max_decode_expansion: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_tensor_bytes: 1 << 30,
            max_total_weight_bytes: 4usize.saturating_mul(1 << 30),
            max_arena_bytes: 1 << 30,
            max_nodes: 1_000_000,
            max_rank: 8,
            max_decode_expansion: 16,
        }
    }
}

/// Protobuf nesting depth at which decoding stops (prost's recursion limit).
pub const PROTOBUF_DEPTH_LIMIT: usize = 100;

/// Decoded-message memory allowed whatever the file's size, on top of
/// [`Limits::max_decode_expansion`] times the size.
pub const DECODE_ALLOWANCE: usize = 16 << 20;

/// The error for a quantity above a cap: `{what} needs {needs}, above the {cap} limit (raise it
/// with {flag})`.
pub fn exceeded(what: impl fmt::Display, needs: u128, cap: usize, flag: &str) -> Error {
    Error::limit(format!("{what} needs {}, above the {} limit (raise it with {flag})", Bytes(needs), Bytes(cap as u128)))
}

/// The error for a tensor with more dimensions than `limits.max_rank`.
pub fn rank_exceeded(what: impl fmt::Display, rank: usize, limits: &Limits) -> Error {
    Error::limit(format!(
        "{what} has {rank} dimensions, above the limit of {} (onnxc's kernels handle at most 8)",
        limits.max_rank
    ))
}

/// Bytes of a tensor of `shape` and `dtype`, saturating instead of overflowing.
pub fn bytes_of(shape: &[usize], dtype: crate::ir::DType) -> u128 {
    shape.iter().fold(dtype.size() as u128, |acc, &d| acc.saturating_mul(d as u128))
}

/// Checks a tensor's size against `limits.max_tensor_bytes`, including the size it would have
/// without its zero-size dimensions: an empty tensor of shape `[0, 2^40, 2^40]` takes no
/// memory, but the products of its other dimensions overflow wherever they are computed.
pub fn check_tensor_size(what: impl fmt::Display, shape: &[usize], dtype: crate::ir::DType, limits: &Limits) -> Result<()> {
    let cap = limits.max_tensor_bytes;
    let needs = bytes_of(shape, dtype);
    if needs > cap as u128 {
        return Err(exceeded(format!("{what} ({shape:?} of {dtype})"), needs, cap, "--max-tensor-bytes"));
    }
    let nonzero: Vec<usize> = shape.iter().map(|&d| d.max(1)).collect();
    let span = bytes_of(&nonzero, dtype);
    if span > cap as u128 {
        let what = format!("{what} ({shape:?} of {dtype}) without its zero-size dimensions");
        return Err(exceeded(what, span, cap, "--max-tensor-bytes"));
    }
    Ok(())
}

/// The error for a count above a cap: `the model has {count} {what}, above the limit of {cap}
/// (raise it with {flag})`.
pub fn too_many(what: &str, count: usize, cap: usize, flag: &str) -> Error {
    Error::limit(format!("the model has {count} {what}, above the limit of {cap} (raise it with {flag})"))
}

/// A byte count printed for people: `512 bytes`, `64 KiB`, `1.5 MiB`, `3.0 GiB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bytes(pub u128);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let n = self.0;
        if n < 1024 {
            return write!(f, "{n} byte{}", if n == 1 { "" } else { "s" });
        }
        let mut unit = 1024u128;
        let mut index = 0;
        while index + 1 < UNITS.len() && n >= unit * 1024 {
            unit *= 1024;
            index += 1;
        }
        let name = UNITS.get(index).copied().unwrap_or("EiB");
        if n % unit == 0 {
            write!(f, "{} {name}", n / unit)
        } else {
            // One decimal, rounded down (never above the true value).
            let tenths = n / unit * 10 + n % unit * 10 / unit;
            write!(f, "{}.{} {name}", tenths / 10, tenths % 10)
        }
    }
}

/// Parses a size: a number with an optional fraction, `_` separators allowed, and an optional
/// unit (`B`; binary `k`/`KiB`, `M`/`MiB`, `G`/`GiB`, `T`/`TiB`; decimal `KB`, `MB`, `GB`,
/// `TB`; case-insensitive). `64MiB`, `2GiB`, `1.5G`, `1_000_000`.
pub fn parse_size(text: &str) -> Result<usize> {
    let bad = |why: &str| Error::invalid(format!("'{text}' is not a size ({why}; e.g. 1000000, 64MiB, 2GiB)"));
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let unit: u128 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        _ => return Err(bad("unknown unit")),
    };
    let number: String = number.chars().filter(|&c| c != '_').collect();
    let (whole, fraction) = number.split_once('.').unwrap_or((&number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad("no number"));
    }
    let digits = |s: &str| -> Result<u128> {
        if s.is_empty() {
            return Ok(0);
        }
        if s.len() > 30 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("not a number"));
        }
        s.parse::<u128>().map_err(|_| bad("not a number"))
    };
    let whole = digits(whole)?;
    let fraction_value = digits(fraction)?;
    let scale = 10u128.checked_pow(u32::try_from(fraction.len()).unwrap_or(u32::MAX)).ok_or_else(|| bad("too many decimals"))?;
    let total = whole
        .checked_mul(unit)
        .and_then(|w| w.checked_add(fraction_value.checked_mul(unit)? / scale))
        .ok_or_else(|| bad("too large"))?;
    usize::try_from(total).map_err(|_| bad("too large"))
}

/// Parses a count: a plain number, `_` separators allowed, or with a `k` (thousand) or `M`
/// (million) suffix.
pub fn parse_count(text: &str) -> Result<usize> {
    let bad = || Error::invalid(format!("'{text}' is not a count (e.g. 1000, 10k, 2M)"));
    let t = text.trim();
    let (number, factor) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1_000),
        Some((i, 'm' | 'M')) => (&t[..i], 1_000_000),
        _ => (t, 1),
    };
    let number: String = number.chars().filter(|&c| c != '_').collect();
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    number.parse::<usize>().ok().and_then(|n| n.checked_mul(factor)).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_units() {
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert_eq!(parse_size("1_000_000").unwrap(), 1_000_000);
        assert_eq!(parse_size("64MiB").unwrap(), 64 << 20);
        assert_eq!(parse_size("64 mib").unwrap(), 64 << 20);
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_size("512k").unwrap(), 512 << 10);
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_size(".5k").unwrap(), 512);
        assert_eq!(parse_size("7B").unwrap(), 7);
        for bad in ["", "MiB", "12XB", "-1", "1.2.3", "1e9", "99999999999999999999999999999999999GiB"] {
            let err = parse_size(bad).unwrap_err();
            assert!(err.message.contains("is not a size"), "{bad}: {err}");
        }
    }

    #[test]
    fn counts_parse() {
        assert_eq!(parse_count("1000").unwrap(), 1000);
        assert_eq!(parse_count("10k").unwrap(), 10_000);
        assert_eq!(parse_count("2M").unwrap(), 2_000_000);
        assert_eq!(parse_count("1_000").unwrap(), 1000);
        for bad in ["", "k", "-3", "1.5k", "x"] {
            assert!(parse_count(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bytes_print_for_people() {
        assert_eq!(Bytes(0).to_string(), "0 bytes");
        assert_eq!(Bytes(1).to_string(), "1 byte");
        assert_eq!(Bytes(1023).to_string(), "1023 bytes");
        assert_eq!(Bytes(1024).to_string(), "1 KiB");
        assert_eq!(Bytes(1536).to_string(), "1.5 KiB");
        assert_eq!(Bytes(1 << 30).to_string(), "1 GiB");
        assert_eq!(Bytes((1 << 30) + 1).to_string(), "1.0 GiB");
        assert_eq!(Bytes(3 << 30).to_string(), "3 GiB");
        assert!(Bytes(u128::MAX).to_string().ends_with("EiB"));
    }

    #[test]
    fn limit_errors_name_the_cap_and_the_flag() {
        let err = exceeded("tensor 'w'", 3 << 30, 1 << 30, "--max-tensor-bytes");
        assert_eq!(err.kind, crate::error::ErrorKind::Limit);
        assert_eq!(err.message, "tensor 'w' needs 3 GiB, above the 1 GiB limit (raise it with --max-tensor-bytes)");
    }
}
