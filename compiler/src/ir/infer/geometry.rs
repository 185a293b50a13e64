//! Shape arithmetic shared by inference and lowering: broadcasting, axes, window geometry.

use crate::error::{Error, Result};
use crate::ir::op::{AutoPad, Window};

/// The multidirectional (NumPy) broadcast of two shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| if i + s.len() >= rank { s[i + s.len() - rank] } else { 1 };
    (0..rank)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            (x, y) => Err(Error::invalid(format!("shapes {a:?} and {b:?} do not broadcast ({x} vs {y})"))),
        })
        .collect()
}

/// Turns a possibly negative axis into an index below `rank`.
pub fn normalize_axis(axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r.max(1)).contains(&a) {
        Ok(a as usize)
    } else {
        Err(Error::invalid(format!("axis {axis} is out of range for rank {rank}")))
    }
}

/// A window's resolved geometry along each spatial axis.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowGeometry {
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    pub pads_begin: Vec<usize>,
    pub pads_end: Vec<usize>,
    pub output: Vec<usize>,
}

/// Resolves strides, dilations, pads and the output size of a Conv or pooling window.
pub fn window_geometry(w: &Window, input: &[usize], kernel: &[usize], ceil_mode: bool) -> Result<WindowGeometry> {
    let n = input.len();
    let pick = |v: &[usize], what: &str| -> Result<Vec<usize>> {
        match v.len() {
            0 => Ok(vec![1; n]),
            l if l == n => Ok(v.to_vec()),
            l => Err(Error::invalid(format!("{what} has {l} values for {n} spatial axes"))),
        }
    };
    if kernel.len() != n {
        return Err(Error::invalid(format!("kernel has {} axes, input has {n} spatial axes", kernel.len())));
    }
    let strides = pick(&w.strides, "strides")?;
    let dilations = pick(&w.dilations, "dilations")?;
    if strides.iter().chain(&dilations).chain(kernel).any(|&s| s == 0) {
        return Err(Error::invalid("kernel sizes, strides and dilations must be positive"));
    }
    // Bounded so that the window arithmetic below cannot overflow.
    const MAX_GEOMETRY: usize = 1 << 31;
    if strides.iter().chain(&dilations).chain(kernel).chain(&w.pads).chain(input).any(|&s| s > MAX_GEOMETRY) {
        return Err(Error::invalid(format!("kernel, strides, dilations, pads and spatial sizes must stay below {MAX_GEOMETRY}")));
    }
    let mut pads_begin = vec![0; n];
    let mut pads_end = vec![0; n];
    let mut output = vec![0; n];
    for i in 0..n {
        let span = (kernel[i] - 1) * dilations[i] + 1;
        match w.auto_pad {
            AutoPad::SameUpper | AutoPad::SameLower => {
                let out = input[i].div_ceil(strides[i]);
                let total = ((out.max(1) - 1) * strides[i] + span).saturating_sub(input[i]);
                let small = total / 2;
                (pads_begin[i], pads_end[i]) =
                    if w.auto_pad == AutoPad::SameUpper { (small, total - small) } else { (total - small, small) };
                output[i] = out;
            }
            AutoPad::Valid | AutoPad::NotSet => {
                if w.auto_pad == AutoPad::NotSet && !w.pads.is_empty() {
                    if w.pads.len() != 2 * n {
                        return Err(Error::invalid(format!("pads has {} values for {n} spatial axes", w.pads.len())));
                    }
                    pads_begin[i] = w.pads[i];
                    pads_end[i] = w.pads[i + n];
                }
                let padded = input[i] + pads_begin[i] + pads_end[i];
                if padded < span {
                    return Err(Error::invalid(format!(
                        "window of {span} does not fit the padded input of {padded} on spatial axis {i}"
                    )));
                }
                let steps = padded - span;
                output[i] = if ceil_mode {
                    let mut out = steps.div_ceil(strides[i]) + 1;
                    // The last window must start inside the input or its begin padding.
                    if (out - 1) * strides[i] >= input[i] + pads_begin[i] {
                        out -= 1;
                    }
                    out
                } else {
                    steps / strides[i] + 1
                };
            }
        }
    }
    Ok(WindowGeometry { kernel: kernel.to_vec(), strides, dilations, pads_begin, pads_end, output })
}

/// Resolves a ConvTranspose window: pads and output size per the ONNX formulas.
pub fn conv_transpose_geometry(
    w: &Window,
    input: &[usize],
    kernel: &[usize],
    output_padding: &[usize],
    output_shape: &[usize],
) -> Result<WindowGeometry> {
    let n = input.len();
    let mut g = window_geometry(&Window { auto_pad: AutoPad::NotSet, pads: vec![], ..w.clone() }, &vec![1 << 31; n], kernel, false)?;
    let out_pad = if output_padding.is_empty() { vec![0; n] } else { output_padding.to_vec() };
    if out_pad.len() != n || (!output_shape.is_empty() && output_shape.len() != n) {
        return Err(Error::invalid("output_padding/output_shape must have one value per spatial axis"));
    }
    for i in 0..n {
        let span = (kernel[i] - 1) * g.dilations[i] + 1;
        let full = (g.strides[i] as u128) * (input[i].max(1) as u128 - 1) + out_pad[i] as u128 + span as u128;
        let full = usize::try_from(full).ok().filter(|&f| f <= 1 << 40).ok_or_else(|| Error::invalid("the ConvTranspose output is absurdly large"))?;
        let target = if !output_shape.is_empty() {
            Some(output_shape[i])
        } else if matches!(w.auto_pad, AutoPad::SameUpper | AutoPad::SameLower) {
            Some(input[i] * g.strides[i])
        } else {
            None
        };
        if let Some(target) = target {
            // Negative when the requested output is larger than the full one: the extra
            // positions (past the end) hold only the bias.
            let total = full as i64 - target as i64;
            let small = total.div_euclid(2);
            let (begin, end) = if w.auto_pad == AutoPad::SameUpper { (small, total - small) } else { (total - small, small) };
            g.pads_begin[i] = usize::try_from(begin).map_err(|_| {
                Error::unsupported(format!("output_shape {target} would need a negative begin pad (full output {full})"))
            })?;
            g.pads_end[i] = usize::try_from(end).unwrap_or(0);
            g.output[i] = target;
        } else {
            if !w.pads.is_empty() {
                if w.pads.len() != 2 * n {
                    return Err(Error::invalid(format!("pads has {} values for {n} spatial axes", w.pads.len())));
                }
                g.pads_begin[i] = w.pads[i];
                g.pads_end[i] = w.pads[i + n];
            } else {
                g.pads_begin[i] = 0;
                g.pads_end[i] = 0;
            }
            g.output[i] = full.checked_sub(g.pads_begin[i] + g.pads_end[i]).ok_or_else(|| {
                Error::invalid("pads are larger than the ConvTranspose output")
            })?;
        }
    }
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(pads: &[usize], strides: &[usize], auto_pad: AutoPad) -> Window {
        Window { kernel: vec![], strides: strides.to_vec(), dilations: vec![], pads: pads.to_vec(), auto_pad }
    }

    #[test]
    fn broadcast_follows_numpy() {
        assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap(), vec![2, 4, 3]);
        assert_eq!(broadcast_shapes(&[], &[5]).unwrap(), vec![5]);
        assert!(broadcast_shapes(&[2], &[3]).is_err());
    }

    #[test]
    fn conv_output_with_pads_and_strides() {
        let g = window_geometry(&window(&[1, 1, 1, 1], &[2, 2], AutoPad::NotSet), &[7, 8], &[3, 3], false).unwrap();
        assert_eq!(g.output, vec![4, 4]);
    }

    #[test]
    fn same_upper_puts_the_odd_pad_at_the_end() {
        let g = window_geometry(&window(&[], &[2, 2], AutoPad::SameUpper), &[6, 6], &[3, 3], false).unwrap();
        assert_eq!((g.output.clone(), g.pads_begin.clone(), g.pads_end.clone()), (vec![3, 3], vec![0, 0], vec![1, 1]));
    }

    #[test]
    fn ceil_mode_drops_a_window_that_starts_in_the_end_padding() {
        // 5 wide, kernel 2, stride 2: ceil gives 3 windows, the third starts at 4 (< 5): kept.
        let g = window_geometry(&window(&[], &[2], AutoPad::NotSet), &[5], &[2], true).unwrap();
        assert_eq!(g.output, vec![3]);
        // 4 wide, pad end 1, kernel 2, stride 2: the third window would start at 4, in the pad.
        let g = window_geometry(&window(&[0, 1], &[2], AutoPad::NotSet), &[4], &[2], true).unwrap();
        assert_eq!(g.output, vec![2]);
    }

    #[test]
    fn conv_transpose_output_size() {
        let g = conv_transpose_geometry(&window(&[], &[3, 2], AutoPad::NotSet), &[3, 3], &[3, 3], &[1, 1], &[]).unwrap();
        assert_eq!(g.output, vec![10, 8]);
    }
}
