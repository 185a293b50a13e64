//! Converters for the signal-processing and contraction operators (see `ir::signal_op`):
//! Einsum (the equation is parsed here), DFT, STFT, the windows, MelWeightMatrix and
//! TensorScatter.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::signal_op::{EinsumEquation, SignalOp, Subscript, WindowKind};
use crate::ir::{DType, Op};

/// Parses one term (`ij`, `...ii`, `b...`): letters and at most one ellipsis.
fn parse_term(term: &str) -> Result<Vec<Subscript>> {
    let mut out = Vec::new();
    let mut rest = term;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("...") {
            if out.contains(&Subscript::Ellipsis) {
                return Err(Error::invalid(format!("Einsum term {term:?} has more than one ellipsis")));
            }
            out.push(Subscript::Ellipsis);
            rest = after;
        } else if c.is_ascii_alphabetic() {
            out.push(Subscript::Label(c as u8));
            rest = &rest[1..];
        } else {
            return Err(Error::invalid(format!("Einsum term {term:?}: unexpected character {c:?}")));
        }
    }
    Ok(out)
}

/// Parses an Einsum equation (`"ij,jk->ik"`, `"i,i"`, `"...ii->...i"`); spaces are ignored.
pub(crate) fn parse_equation(text: &str) -> Result<EinsumEquation> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match compact.split_once("->") {
        Some((l, r)) => (l, Some(r)),
        None => (compact.as_str(), None),
    };
    let inputs = lhs.split(',').map(parse_term).collect::<Result<Vec<_>>>()?;
    let output = rhs.map(parse_term).transpose()?;
    if let Some(out) = &output {
        for (i, s) in out.iter().enumerate() {
            if out[..i].contains(s) {
                return Err(Error::invalid(format!("Einsum output {rhs:?} repeats a subscript", rhs = rhs.unwrap_or(""))));
            }
            if let Subscript::Label(l) = s {
                if !inputs.iter().flatten().any(|x| x == s) {
                    return Err(Error::invalid(format!("Einsum output label {:?} is not in any input", *l as char)));
                }
            }
        }
    }
    Ok(EinsumEquation { text: text.to_string(), inputs, output })
}

/// `output_datatype`: any numeric type (the values are computed in f64 and cast).
fn output_dtype(ctx: &NodeCtx) -> Result<DType> {
    let code = ctx.attrs.int_or("output_datatype", 1)? as i32;
    match DType::from_onnx(code) {
        Some(DType::Bool) | None => {
            Err(unsupported(format!("{} with output_datatype {}", ctx.node.op_type, DType::onnx_code_name(code))))
        }
        Some(d) => Ok(d),
    }
}

/// Converts one signal-processing node.
pub(super) fn convert(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    let op_type = ctx.node.op_type.as_str();
    let (op, min_in, max_in) = match op_type {
        "Einsum" => {
            let text = a.string("equation")?.ok_or_else(|| Error::invalid("attribute 'equation' is required"))?;
            let eq = parse_equation(text)?;
            let n = ctx.node.input.len();
            if eq.inputs.len() != n {
                return Err(Error::invalid(format!("Einsum equation {text:?} has {} term(s) for {n} input(s)", eq.inputs.len())));
            }
            (SignalOp::Einsum(eq), n.max(1), n.max(1))
        }
        "DFT" => {
            let inverse = a.bool_or("inverse", false)?;
            let onesided = a.bool_or("onesided", false)?;
            if ctx.opset < 20 {
                (SignalOp::Dft { inverse, onesided, axis: Some(a.int_or("axis", 1)?) }, 1, 2)
            } else {
                (SignalOp::Dft { inverse, onesided, axis: None }, 1, 3)
            }
        }
        "STFT" => (SignalOp::Stft { onesided: a.bool_or("onesided", true)? }, 2, 4),
        "HannWindow" | "HammingWindow" | "BlackmanWindow" => {
            let kind = match op_type {
                "HannWindow" => WindowKind::Hann,
                "HammingWindow" => WindowKind::Hamming,
                _ => WindowKind::Blackman,
            };
            (SignalOp::Window { kind, periodic: a.bool_or("periodic", true)?, dtype: output_dtype(ctx)? }, 1, 1)
        }
        "MelWeightMatrix" => (SignalOp::MelWeightMatrix { dtype: output_dtype(ctx)? }, 5, 5),
        "TensorScatter" => {
            let circular = match a.string_or("mode", "linear")? {
                "linear" => false,
                "circular" => true,
                other => return Err(Error::invalid(format!("unknown mode {other:?}"))),
            };
            (SignalOp::TensorScatter { axis: a.int_or("axis", -2)?, circular }, 2, 3)
        }
        other => return Err(Error::internal(format!("{other} is not a signal op"))),
    };
    ctx.expect_inputs(min_in, max_in)?;
    ctx.expect_outputs(1, 1)?;
    Ok(ctx.lowered(Op::Signal(op)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_equations() {
        let e = parse_equation("...ii ->...i").unwrap();
        assert_eq!(e.inputs, vec![vec![Subscript::Ellipsis, Subscript::Label(b'i'), Subscript::Label(b'i')]]);
        assert_eq!(e.output, Some(vec![Subscript::Ellipsis, Subscript::Label(b'i')]));
        let e = parse_equation("i,i").unwrap();
        assert_eq!((e.inputs.len(), e.output), (2, None));
        assert_eq!(parse_equation("->").unwrap().output, Some(vec![]));
        assert!(parse_equation("i.j").is_err());
        assert!(parse_equation("ij->k").is_err());
        assert!(parse_equation("ij->ii").is_err());
    }
}
