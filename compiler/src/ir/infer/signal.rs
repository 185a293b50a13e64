//! Inference rules of the signal ops ([`SignalOp`]), and the resolved geometry (Einsum's index
//! space, the DFT's axis and length, …) that lowering reuses so the two cannot disagree.

use super::rules::Inputs;
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::signal_op::{EinsumEquation, SignalOp, Subscript};
use crate::ir::{DType, Data};
use onnxc_templates::generic::einsum::{MAX_EINSUM_LABELS, MAX_EINSUM_OPERANDS};

/// A label of the resolved index space: a letter, or one dim of the ellipsis (right-aligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Label {
    Letter(u8),
    Ellipsis(usize),
}

/// Einsum's index space: output labels first, then the summed ones.
#[derive(Clone, Debug, PartialEq)]
pub struct EinsumPlan {
    pub dims: Vec<usize>,
    pub out_labels: usize,
    /// `strides[label][operand]`.
    pub strides: Vec<Vec<usize>>,
    pub lens: Vec<usize>,
}

impl EinsumPlan {
    pub fn out_shape(&self) -> Vec<usize> {
        self.dims[..self.out_labels].to_vec()
    }
}

fn dense_strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Resolves an equation against the operand shapes.
pub fn einsum_plan(eq: &EinsumEquation, inputs: &Inputs) -> Result<EinsumPlan> {
    let n = eq.inputs.len();
    if n > MAX_EINSUM_OPERANDS {
        return Err(Error::unsupported(format!("Einsum with {n} operands; the limit is {MAX_EINSUM_OPERANDS}")));
    }
    // Each operand's labels, with the ellipsis expanded to its dims.
    let mut terms: Vec<Vec<Label>> = Vec::new();
    let mut ell_rank = 0;
    for (k, term) in eq.inputs.iter().enumerate() {
        let shape = inputs.shape(k)?;
        let letters = term.iter().filter(|s| matches!(s, Subscript::Label(_))).count();
        let has_ell = term.contains(&Subscript::Ellipsis);
        if shape.len() < letters || (!has_ell && shape.len() != letters) {
            return Err(Error::invalid(format!("Einsum operand {k} has rank {} for term {:?}", shape.len(), eq.text)));
        }
        let ell = shape.len() - letters;
        ell_rank = ell_rank.max(ell);
        let mut labels = Vec::new();
        for s in term {
            match s {
                Subscript::Label(l) => labels.push(Label::Letter(*l)),
                // Ellipsis dims are numbered from the right, so they broadcast like NumPy's.
                Subscript::Ellipsis => labels.extend((0..ell).rev().map(Label::Ellipsis)),
            }
        }
        terms.push(labels);
    }
    // Sizes: every occurrence equal, or 1 (broadcast).
    let mut all: Vec<(Label, usize)> = Vec::new();
    for (k, labels) in terms.iter().enumerate() {
        for (&l, &d) in labels.iter().zip(inputs.shape(k)?) {
            match all.iter_mut().find(|(x, _)| *x == l) {
                Some((_, size)) if *size == d || d == 1 => {}
                Some((_, size)) if *size == 1 => *size = d,
                Some((_, size)) => {
                    return Err(Error::invalid(format!("Einsum {:?}: a subscript has sizes {size} and {d}", eq.text)))
                }
                None => all.push((l, d)),
            }
        }
    }
    let ell_labels = (0..ell_rank).rev().map(Label::Ellipsis);
    let out: Vec<Label> = match &eq.output {
        Some(o) => o
            .iter()
            .flat_map(|s| match s {
                Subscript::Label(l) => vec![Label::Letter(*l)],
                Subscript::Ellipsis => ell_labels.clone().collect(),
            })
            .collect(),
        None => {
            let mut once: Vec<u8> = all
                .iter()
                .filter_map(|(l, _)| match l {
                    Label::Letter(c) if terms.iter().flatten().filter(|x| **x == Label::Letter(*c)).count() == 1 => Some(*c),
                    _ => None,
                })
                .collect();
            once.sort_unstable();
            ell_labels.clone().chain(once.into_iter().map(Label::Letter)).collect()
        }
    };
    let mut order = out.clone();
    order.extend(all.iter().map(|(l, _)| *l).filter(|l| !out.contains(l)));
    if order.len() > MAX_EINSUM_LABELS {
        return Err(Error::unsupported(format!("Einsum over {} indices; the limit is {MAX_EINSUM_LABELS}", order.len())));
    }
    let size = |l: &Label| all.iter().find(|(x, _)| x == l).map_or(1, |(_, d)| *d);
    let dims: Vec<usize> = order.iter().map(size).collect();
    let mut strides = vec![vec![0; n]; order.len()];
    let mut lens = Vec::new();
    for (k, labels) in terms.iter().enumerate() {
        let shape = inputs.shape(k)?;
        lens.push(shape.iter().product());
        for ((l, &d), s) in labels.iter().zip(shape).zip(dense_strides(shape)) {
            let at = order.iter().position(|x| x == l).ok_or_else(|| Error::internal("Einsum label lost"))?;
            if d != 1 || dims[at] == 1 {
                strides[at][k] += s;
            }
        }
    }
    Ok(EinsumPlan { dims, out_labels: out.len(), strides, lens })
}

/// A one-element constant input as f64.
pub(crate) fn scalar_value(inputs: &Inputs, i: usize, what: &str) -> Result<f64> {
    let t = inputs.values.get(i).copied().flatten().ok_or_else(|| {
        Error::unsupported(format!("{what} (input {i}) must be a compile-time constant"))
    })?;
    let v = match &t.data {
        Data::F64(v) => v.first().copied(),
        Data::F32(v) => v.first().map(|&x| f64::from(x)),
        _ => t.to_i64_vec().and_then(|v| v.first().map(|&x| x as f64)),
    };
    match (v, t.len()) {
        (Some(v), 1) if v.is_finite() => Ok(v),
        _ => Err(Error::invalid(format!("{what} (input {i}) must be one finite number"))),
    }
}

/// A one-element constant integer input, at least `min`.
fn scalar_count(inputs: &Inputs, i: usize, what: &str, min: i64) -> Result<usize> {
    let v = inputs.ints(i, what)?;
    match v.as_slice() {
        [x] if *x >= min => Ok(*x as usize),
        [x] => Err(Error::invalid(format!("{what} is {x}; it must be at least {min}"))),
        _ => Err(Error::invalid(format!("{what} (input {i}) must hold one value, found {}", v.len()))),
    }
}

/// A DFT's resolved geometry (see `DftParams`) and output shape.
#[derive(Clone, Debug, PartialEq)]
pub struct DftGeometry {
    pub outer: usize,
    pub len_in: usize,
    pub inner: usize,
    pub c_in: usize,
    pub n: usize,
    pub len_out: usize,
    pub real_output: bool,
    pub out_shape: Vec<usize>,
}

pub fn dft_geometry(op: &SignalOp, inputs: &Inputs) -> Result<DftGeometry> {
    let SignalOp::Dft { inverse, onesided, axis } = op else { return Err(Error::internal("not a DFT")) };
    let x = inputs.shape(0)?;
    let r = x.len();
    let c_in = *x.last().unwrap_or(&0);
    if r < 2 || !(c_in == 1 || c_in == 2) {
        return Err(Error::invalid(format!("DFT input {x:?} must have rank ≥ 2 and a last dim of 1 or 2")));
    }
    let axis = match axis {
        Some(a) => *a,
        None if inputs.present(2) => inputs.ints(2, "axis")?.first().copied().ok_or_else(|| Error::invalid("axis is empty"))?,
        None => -2,
    };
    let a = if axis < 0 { axis + r as i64 } else { axis };
    if a < 0 || a > r as i64 - 2 {
        return Err(Error::invalid(format!("DFT axis {axis} is out of range for rank {r} (the last dim holds components)")));
    }
    let a = a as usize;
    let len_in = x[a];
    let real_output = *inverse && *onesided;
    let n = if inputs.present(1) {
        scalar_count(inputs, 1, "dft_length", 1)?
    } else if real_output {
        2 * len_in.saturating_sub(1)
    } else {
        len_in
    };
    if n == 0 {
        return Err(Error::invalid("DFT length is 0"));
    }
    let len_out = if *onesided && !*inverse { n / 2 + 1 } else { n };
    let mut out_shape = x.to_vec();
    out_shape[a] = len_out;
    out_shape[r - 1] = if real_output { 1 } else { 2 };
    Ok(DftGeometry {
        outer: x[..a].iter().product(),
        len_in,
        inner: x[a + 1..r - 1].iter().product(),
        c_in,
        n,
        len_out,
        real_output,
        out_shape,
    })
}

/// STFT: `(frame_step, frame_length, frames, bins)`.
pub fn stft_geometry(onesided: bool, inputs: &Inputs) -> Result<(usize, usize, usize, usize)> {
    let x = inputs.shape(0)?;
    if x.len() != 3 || !(x[2] == 1 || x[2] == 2) {
        return Err(Error::invalid(format!("STFT signal {x:?} must be [batch, length, 1 or 2]")));
    }
    let step = scalar_count(inputs, 1, "frame_step", 1)?;
    let window = if inputs.present(2) {
        match inputs.shape(2)? {
            [w] => Some(*w),
            s => return Err(Error::invalid(format!("STFT window must be 1-D, found {s:?}"))),
        }
    } else {
        None
    };
    let frame_len = if inputs.present(3) { scalar_count(inputs, 3, "frame_length", 1)? } else { window.unwrap_or(x[1]) };
    if window.is_some_and(|w| w != frame_len) {
        return Err(Error::invalid(format!("STFT window length {window:?} differs from frame_length {frame_len}")));
    }
    if frame_len == 0 || frame_len > x[1] {
        return Err(Error::invalid(format!("STFT frame length {frame_len} for a signal of {}", x[1])));
    }
    let frames = (x[1] - frame_len) / step + 1;
    let bins = if onesided { frame_len / 2 + 1 } else { frame_len };
    Ok((step, frame_len, frames, bins))
}

/// TensorScatter: `(axis, batch, mid, max_len, len, inner)`.
pub fn tensor_scatter_geometry(axis: i64, inputs: &Inputs) -> Result<(usize, usize, usize, usize, usize, usize)> {
    let (c, u) = (inputs.shape(0)?, inputs.shape(1)?);
    let r = c.len();
    let a = super::normalize_axis(axis, r)?;
    if a == 0 {
        return Err(Error::invalid("TensorScatter's axis cannot be the batch axis"));
    }
    if u.len() != r || c.iter().zip(u).enumerate().any(|(i, (&x, &y))| if i == a { y > x } else { x != y }) {
        return Err(Error::invalid(format!("TensorScatter update {u:?} does not fit cache {c:?} along axis {a}")));
    }
    if inputs.present(2) && (inputs.dtype(2)? != DType::I64 || inputs.shape(2)? != [c[0]]) {
        return Err(Error::invalid(format!("write_indices must be int64 of shape [{}]", c[0])));
    }
    Ok((a, c[0], c[1..a].iter().product(), c[a], u[a], c[a + 1..].iter().product()))
}

fn float_input(inputs: &Inputs, i: usize, op: &str) -> Result<DType> {
    match inputs.dtype(i)? {
        d @ (DType::F32 | DType::F64) => Ok(d),
        d => Err(Error::unsupported(format!("{op} on {d} (f32 and f64 are supported)"))),
    }
}

/// Output types and shapes of a signal op.
pub fn infer(op: &SignalOp, inputs: &Inputs) -> Result<Inferred> {
    match op {
        SignalOp::Einsum(eq) => {
            let dtype = inputs.dtype(0)?;
            for k in 1..eq.inputs.len() {
                if inputs.dtype(k)? != dtype {
                    return Err(Error::invalid(format!("Einsum operand {k} is {}, operand 0 is {dtype}", inputs.dtype(k)?)));
                }
            }
            if dtype == DType::Bool {
                return Err(Error::unsupported("Einsum on bool"));
            }
            Ok(vec![(dtype, einsum_plan(eq, inputs)?.out_shape())])
        }
        SignalOp::Dft { .. } => Ok(vec![(float_input(inputs, 0, "DFT")?, dft_geometry(op, inputs)?.out_shape)]),
        SignalOp::Stft { onesided } => {
            let dtype = float_input(inputs, 0, "STFT")?;
            if inputs.present(2) && inputs.dtype(2)? != dtype {
                return Err(Error::invalid("STFT window must have the signal's type"));
            }
            let (_, _, frames, bins) = stft_geometry(*onesided, inputs)?;
            Ok(vec![(dtype, vec![inputs.shape(0)?[0], frames, bins, 2])])
        }
        SignalOp::Window { dtype, .. } => Ok(vec![(*dtype, vec![scalar_count(inputs, 0, "size", 0)?])]),
        SignalOp::MelWeightMatrix { dtype } => {
            let mel = scalar_count(inputs, 0, "num_mel_bins", 1)?;
            let dft = scalar_count(inputs, 1, "dft_length", 1)?;
            Ok(vec![(*dtype, vec![dft / 2 + 1, mel])])
        }
        SignalOp::TensorScatter { axis, .. } => {
            tensor_scatter_geometry(*axis, inputs)?;
            if inputs.dtype(1)? != inputs.dtype(0)? {
                return Err(Error::invalid("TensorScatter update must have the cache's type"));
            }
            Ok(vec![(inputs.dtype(0)?, inputs.shape(0)?.to_vec())])
        }
    }
}
