//! Numbers as the dumps print them: floats in shortest or exponent form, grouped digits, and
//! short previews of constant tensors.

use super::tensor::{f16_to_f32, Data, Tensor};

/// How many leading values a constant preview shows.
const PREVIEW_VALUES: usize = 4;

/// An `f32` as the dumps print it: shortest round-trip form, exponent form for very small or
/// large magnitudes, `NaN`/`inf`/`-inf` for non-finite values.
pub fn fmt_f32(x: f32) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// An `f64` in the same style as [`fmt_f32`].
pub(crate) fn fmt_f64(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "inf" } else { "-inf" }.into()
    } else if x == 0.0 || (1e-4..1e7).contains(&x.abs()) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A value rounded to about four significant digits, for previews of weights.
pub(crate) fn fmt_short(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return fmt_f64(x);
    }
    let magnitude = x.abs().log10().floor() as i32;
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if (-3..5).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        trim(format!("{x:.decimals$}"))
    } else {
        let s = format!("{x:.3e}");
        match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim(mantissa.to_string())),
            None => s,
        }
    }
}

/// The elements `[start, end)` of a tensor as preview strings (floats shortened, ints exact).
pub(crate) fn element_strings(data: &Data, end: usize) -> Vec<String> {
    fn take<T: Copy>(v: &[T], end: usize, f: impl Fn(T) -> String) -> Vec<String> {
        v.iter().take(end).map(|&x| f(x)).collect()
    }
    match data {
        Data::F32(v) => take(v, end, |x| fmt_short(f64::from(x))),
        Data::F64(v) => take(v, end, fmt_short),
        Data::F16(v) => take(v, end, |x| fmt_short(f64::from(f16_to_f32(x)))),
        Data::BF16(v) => take(v, end, |x| {
            fmt_short(f64::from(f32::from_bits(u32::from(x) << 16)))
        }),
        Data::I8(v) => take(v, end, |x| x.to_string()),
        Data::I16(v) => take(v, end, |x| x.to_string()),
        Data::I32(v) => take(v, end, |x| x.to_string()),
        Data::I64(v) => take(v, end, |x| x.to_string()),
        Data::U8(v) | Data::Bool(v) => take(v, end, |x| x.to_string()),
        Data::U16(v) => take(v, end, |x| x.to_string()),
        Data::U32(v) => take(v, end, |x| x.to_string()),
        Data::U64(v) => take(v, end, |x| x.to_string()),
    }
}

/// `[0.1, -0.25, …]`, `[1, -1]` (all values when there are few), `splat(0)`, `[]`, or the bare
/// value of a scalar.
pub(crate) fn preview(t: &Tensor) -> String {
    preview_n(t, PREVIEW_VALUES)
}

/// [`preview`] with at most `n` values.
pub(crate) fn preview_n(t: &Tensor, n: usize) -> String {
    if t.len() > 1 && t.is_uniform() {
        return format!("splat({})", element_strings(&t.data, 1).join(""));
    }
    if t.shape.is_empty() {
        return element_strings(&t.data, 1).join("");
    }
    let mut values = element_strings(&t.data, n);
    if t.len() > n {
        values.push("…".into());
    }
    format!("[{}]", values.join(", "))
}

/// `246,824`.
pub(crate) fn group_digits(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}
