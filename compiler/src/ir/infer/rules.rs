//! Per-operator inference rules.

use super::geometry::{broadcast_shapes, conv_transpose_geometry, normalize_axis, window_geometry};
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::op::Op;
use crate::ir::tensor::element_count;
use crate::ir::{DType, Tensor, ValueInfo};

/// Largest number of elements any single tensor may have (guards against absurd shapes).
const MAX_ELEMENTS: usize = 1 << 34;

/// Infers the outputs of one node from its inputs' infos and any known input values.
pub fn infer_node(op: &Op, inputs: &[Option<&ValueInfo>], values: &[Option<&Tensor>], num_outputs: usize) -> Result<Inferred> {
    let result = rules(op, &Inputs { infos: inputs, values }, num_outputs)?;
    for (_, shape) in &result {
        if element_count(shape)? > MAX_ELEMENTS {
            return Err(Error::limit(format!("output shape {shape:?} exceeds {MAX_ELEMENTS} elements")));
        }
    }
    Ok(result)
}

/// Borrowed input infos and known input values of one node.
pub struct Inputs<'a> {
    pub infos: &'a [Option<&'a ValueInfo>],
    pub values: &'a [Option<&'a Tensor>],
}

impl Inputs<'_> {
    pub(super) fn info(&self, i: usize) -> Result<&ValueInfo> {
        self.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    }
    pub(super) fn shape(&self, i: usize) -> Result<&[usize]> {
        Ok(&self.info(i)?.shape)
    }
    pub(super) fn dtype(&self, i: usize) -> Result<DType> {
        Ok(self.info(i)?.dtype)
    }
    pub(super) fn present(&self, i: usize) -> bool {
        self.infos.get(i).copied().flatten().is_some()
    }
    /// The value of a shape-deciding input, which must be known at compile time.
    pub(super) fn ints(&self, i: usize, what: &str) -> Result<Vec<i64>> {
        let t = self.values.get(i).copied().flatten().ok_or_else(|| {
            Error::unsupported(format!("{what} (input {i}) must be a compile-time constant: onnxc needs static shapes"))
        })?;
        t.to_i64_vec().ok_or_else(|| Error::invalid(format!("{what} (input {i}) must be an integer tensor")))
    }
    pub(super) fn optional_ints(&self, i: usize, what: &str) -> Result<Option<Vec<i64>>> {
        if self.present(i) {
            self.ints(i, what).map(Some)
        } else {
            Ok(None)
        }
    }
    pub(super) fn floats(&self, i: usize, what: &str) -> Result<Vec<f32>> {
        let t = self.values.get(i).copied().flatten().ok_or_else(|| {
            Error::unsupported(format!("{what} (input {i}) must be a compile-time constant"))
        })?;
        t.to_f32_vec().ok_or_else(|| Error::invalid(format!("{what} (input {i}) must be a float tensor")))
    }
}

pub(super) fn same_as(inputs: &Inputs, i: usize) -> Result<Inferred> {
    Ok(vec![(inputs.dtype(i)?, inputs.shape(i)?.to_vec())])
}

fn require_float(inputs: &Inputs, i: usize) -> Result<()> {
    let d = inputs.dtype(i)?;
    if d == DType::F32 {
        Ok(())
    } else {
        Err(Error::unsupported(format!("input {i} has type {d}; this op supports f32 only")))
    }
}

/// Float element types the typed MatMul/Gemm/Conv/Softmax kernels take.
fn require_real(inputs: &Inputs, i: usize) -> Result<DType> {
    let d = inputs.dtype(i)?;
    if matches!(d, DType::F32 | DType::F64 | DType::F16 | DType::BF16) {
        Ok(d)
    } else {
        Err(Error::unsupported(format!("input {i} has type {d}; this op supports f32, f64, f16 and bf16")))
    }
}

pub(super) fn dim_from_i64(d: i64, what: &str) -> Result<usize> {
    usize::try_from(d).map_err(|_| Error::invalid(format!("{what}: dimension {d} is negative")))
}

fn rules(op: &Op, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    match op {
        Op::Input => Err(Error::internal("graph inputs carry their own info")),
        Op::Constant(t) => Ok(vec![(t.dtype(), t.shape.clone())]),
        Op::Unary(act) => {
            super::elementwise::check_unary(*act, inputs.dtype(0)?)?;
            same_as(inputs, 0)
        }
        Op::Clip { .. } => same_as(inputs, 0),
        Op::Binary(_) => {
            let (a, b) = (inputs.info(0)?, inputs.info(1)?);
            if let Op::Binary(bop) = op {
                super::elementwise::check_binary(*bop, a.dtype, b.dtype)?;
            }
            Ok(vec![(a.dtype, broadcast_shapes(&a.shape, &b.shape)?)])
        }
        Op::Compare(_) | Op::Logic(_) => {
            let (a, b) = (inputs.info(0)?, inputs.info(1)?);
            if a.dtype != b.dtype {
                return Err(Error::invalid(format!("input types differ: {} and {}", a.dtype, b.dtype)));
            }
            Ok(vec![(DType::Bool, broadcast_shapes(&a.shape, &b.shape)?)])
        }
        Op::Not => same_as(inputs, 0),
        Op::Where => {
            if inputs.dtype(0)? != DType::Bool {
                return Err(Error::invalid(format!("the condition must be bool, found {}", inputs.dtype(0)?)));
            }
            if inputs.dtype(1)? != inputs.dtype(2)? {
                return Err(Error::invalid(format!("input types differ: {} and {}", inputs.dtype(1)?, inputs.dtype(2)?)));
            }
            let s = broadcast_shapes(inputs.shape(0)?, inputs.shape(1)?)?;
            let s = broadcast_shapes(&s, inputs.shape(2)?)?;
            Ok(vec![(inputs.dtype(1)?, s)])
        }
        Op::Conv(c) => {
            let dtype = require_real(inputs, 0)?;
            let (x, w) = (inputs.shape(0)?, inputs.shape(1)?);
            if x.len() < 3 || x.len() > 8 || w.len() != x.len() {
                return Err(Error::unsupported(format!("Conv on input {x:?} with weight {w:?}: 1-D to 6-D convolutions only")));
            }
            if inputs.dtype(1)? != dtype {
                return Err(Error::invalid(format!("input types differ: {dtype} and {}", inputs.dtype(1)?)));
            }
            if c.group == 0 || x[1] != w[1] * c.group || w[0] % c.group != 0 {
                return Err(Error::invalid(format!(
                    "input {x:?}, weight {w:?} and group {} disagree on channels",
                    c.group
                )));
            }
            if inputs.present(2) && inputs.shape(2)? != [w[0]] {
                return Err(Error::invalid(format!("bias shape {:?} should be [{}]", inputs.shape(2)?, w[0])));
            }
            let kernel = if c.window.kernel.is_empty() { w[2..].to_vec() } else { c.window.kernel.clone() };
            if kernel != w[2..] {
                return Err(Error::invalid(format!("kernel_shape {kernel:?} disagrees with weight {w:?}")));
            }
            let g = window_geometry(&c.window, &x[2..], &kernel, false)?;
            let mut out = vec![x[0], w[0]];
            out.extend(g.output);
            Ok(vec![(dtype, out)])
        }
        Op::ConvTranspose(c) => {
            require_float(inputs, 0)?;
            let (x, w) = (inputs.shape(0)?, inputs.shape(1)?);
            if x.len() < 3 || x.len() > 6 || w.len() != x.len() || c.group == 0 || w[0] != x[1] {
                return Err(Error::unsupported(format!("ConvTranspose on input {x:?} with weight {w:?}")));
            }
            let kernel = w[2..].to_vec();
            let g = conv_transpose_geometry(&c.window, &x[2..], &kernel, &c.output_padding, &c.output_shape)?;
            let mut out = vec![x[0], w[1] * c.group];
            out.extend(g.output);
            Ok(vec![(DType::F32, out)])
        }
        Op::Gemm(g) => {
            let dtype = require_real(inputs, 0)?;
            let (a, b) = (inputs.shape(0)?, inputs.shape(1)?);
            if b.len() != 2 || a.len() < 2 || (g.trans_a && a.len() != 2) {
                return Err(Error::invalid(format!("Gemm needs 2-D operands, got {a:?} and {b:?}")));
            }
            let (m, k) = if g.trans_a { (a[1], a[0]) } else { (a[..a.len() - 1].iter().product(), a[a.len() - 1]) };
            let (kb, n) = if g.trans_b { (b[1], b[0]) } else { (b[0], b[1]) };
            if k != kb {
                return Err(Error::invalid(format!("inner dimensions differ: A {a:?}, B {b:?}")));
            }
            if inputs.present(2) {
                broadcast_shapes(&[m, n], inputs.shape(2)?)?;
            }
            let mut out = if g.trans_a { vec![m] } else { a[..a.len() - 1].to_vec() };
            out.push(n);
            Ok(vec![(dtype, out)])
        }
        Op::MatMul(_) => {
            let dtype = require_real(inputs, 0)?;
            if inputs.dtype(1)? != dtype {
                return Err(Error::invalid(format!("input types differ: {dtype} and {}", inputs.dtype(1)?)));
            }
            Ok(vec![(dtype, matmul_shape(inputs.shape(0)?, inputs.shape(1)?)?)])
        }
        Op::Softmax { axis, legacy, .. } => {
            require_real(inputs, 0)?;
            let x = inputs.shape(0)?;
            normalize_axis(*axis, x.len())?;
            let _ = legacy;
            same_as(inputs, 0)
        }
        Op::Pool(p) => {
            // MaxPool also takes 8-bit integers (a `quant` kernel).
            let int_max = p.kind == crate::ir::op::PoolKind::Max && matches!(inputs.dtype(0)?, DType::U8 | DType::I8);
            if !int_max {
                require_float(inputs, 0)?;
            }
            let x = inputs.shape(0)?;
            if x.len() < 3 || x.len() > 4 {
                return Err(Error::unsupported(format!("pooling on input {x:?}: only 1-D and 2-D")));
            }
            let g = window_geometry(&p.window, &x[2..], &p.window.kernel, p.ceil_mode)?;
            let mut out = x[..2].to_vec();
            out.extend(g.output);
            Ok(vec![(if int_max { inputs.dtype(0)? } else { DType::F32 }, out)])
        }
        Op::GlobalPool(_) => {
            require_float(inputs, 0)?;
            let x = inputs.shape(0)?;
            if x.len() < 3 {
                return Err(Error::invalid(format!("global pooling needs rank ≥ 3, got {x:?}")));
            }
            let mut out = x[..2].to_vec();
            out.extend(std::iter::repeat_n(1, x.len() - 2));
            Ok(vec![(DType::F32, out)])
        }
        Op::BatchNorm { .. } => {
            require_float(inputs, 0)?;
            let x = inputs.shape(0)?;
            let c = *x.get(1).ok_or_else(|| Error::invalid("BatchNormalization needs rank ≥ 2"))?;
            for i in 1..5 {
                if inputs.shape(i)? != [c] {
                    return Err(Error::invalid(format!("parameter {i} has shape {:?}, expected [{c}]", inputs.shape(i)?)));
                }
            }
            same_as(inputs, 0)
        }
        Op::LayerNorm { axis, .. } => {
            require_float(inputs, 0)?;
            let x = inputs.shape(0)?;
            let a = normalize_axis(*axis, x.len())?;
            for i in [1, 2] {
                if inputs.present(i) {
                    let s = inputs.shape(i)?;
                    if broadcast_shapes(&x[a..], s)? != x[a..] {
                        return Err(Error::invalid(format!("parameter {i} of shape {s:?} does not fit {:?}", &x[a..])));
                    }
                }
            }
            let mut outs = same_as(inputs, 0)?;
            // Optional Mean and InvStdDev outputs have the reduced shape.
            let mut reduced = x[..a].to_vec();
            reduced.extend(std::iter::repeat_n(1, x.len() - a));
            outs.extend(std::iter::repeat_n((DType::F32, reduced), num_outputs.saturating_sub(1)));
            Ok(outs)
        }
        Op::InstanceNorm { .. } => {
            require_float(inputs, 0)?;
            let x = inputs.shape(0)?;
            let c = *x.get(1).ok_or_else(|| Error::invalid("InstanceNormalization needs rank ≥ 3"))?;
            if inputs.shape(1)? != [c] || inputs.shape(2)? != [c] {
                return Err(Error::invalid("scale and B must have shape [C]"));
            }
            same_as(inputs, 0)
        }
        Op::Reshape { allowzero } => {
            let x = inputs.shape(0)?;
            let target = inputs.ints(1, "shape")?;
            Ok(vec![(inputs.dtype(0)?, reshape_shape(x, &target, *allowzero)?)])
        }
        Op::Flatten { axis } => {
            let x = inputs.shape(0)?;
            // Flatten's axis lies in [-r, r]: a negative one counts from r, not r + 1.
            let rank = x.len() as i64;
            let a = if *axis < 0 { *axis + rank } else { *axis };
            if !(0..=rank).contains(&a) {
                return Err(Error::invalid(format!("axis {axis} is out of range [-{rank}, {rank}]")));
            }
            let a = a as usize;
            Ok(vec![(inputs.dtype(0)?, vec![element_count(&x[..a])?, element_count(&x[a..])?])])
        }
        Op::Transpose { perm } => {
            let x = inputs.shape(0)?;
            let perm = resolve_perm(perm.as_deref(), x.len())?;
            Ok(vec![(inputs.dtype(0)?, perm.iter().map(|&p| x[p]).collect())])
        }
        Op::Concat { axis } => {
            let first = inputs.info(0)?;
            if first.shape.is_empty() {
                return Err(Error::invalid("Concat's inputs must have at least one dimension"));
            }
            let a = normalize_axis(*axis, first.shape.len())?;
            let mut out = first.shape.clone();
            out[a] = 0;
            for info in inputs.infos.iter().flatten() {
                let s = &info.shape;
                let compatible = s.len() == out.len() && s.iter().zip(&out).enumerate().all(|(i, (x, y))| i == a || x == y);
                if !compatible || info.dtype != first.dtype {
                    return Err(Error::invalid(format!("cannot concatenate {:?} ({}) with {:?} ({}) on axis {axis}", first.shape, first.dtype, s, info.dtype)));
                }
                out[a] += s[a];
            }
            Ok(vec![(first.dtype, out)])
        }
        Op::Split(s) => {
            let x = inputs.shape(0)?;
            let a = normalize_axis(s.axis, x.len())?;
            let sizes = split_sizes(x[a], s.split.as_deref(), inputs.optional_ints(1, "split")?.as_deref(), num_outputs)?;
            Ok(sizes
                .into_iter()
                .map(|len| {
                    let mut shape = x.to_vec();
                    shape[a] = len;
                    (inputs.info(0).map(|i| i.dtype).unwrap_or(DType::F32), shape)
                })
                .collect())
        }
        Op::Slice(s) => {
            let x = inputs.shape(0)?;
            let plan = slice_plan(x, s, inputs)?;
            Ok(vec![(inputs.dtype(0)?, plan.iter().map(|d| d.len).collect())])
        }
        Op::Squeeze { axes } => {
            let x = inputs.shape(0)?;
            let axes = match axes.clone() {
                Some(a) => Some(a),
                None => inputs.optional_ints(1, "axes")?,
            };
            let out = match axes {
                None => x.iter().copied().filter(|&d| d != 1).collect(),
                Some(axes) => {
                    let axes: Vec<usize> = axes.iter().map(|&a| normalize_axis(a, x.len())).collect::<Result<_>>()?;
                    if let Some(&a) = axes.iter().find(|&&a| x[a] != 1) {
                        return Err(Error::invalid(format!("cannot squeeze axis {a} of size {}", x[a])));
                    }
                    x.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
                }
            };
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Unsqueeze { axes } => {
            let x = inputs.shape(0)?;
            let axes = match axes.clone() {
                Some(a) => a,
                None => inputs.ints(1, "axes")?,
            };
            let rank = x.len() + axes.len();
            let mut axes: Vec<usize> = axes.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_>>()?;
            axes.sort_unstable();
            if axes.windows(2).any(|w| w[0] == w[1]) {
                return Err(Error::invalid("repeated axis in Unsqueeze"));
            }
            let mut rest = x.iter();
            let out = (0..rank).map(|i| if axes.contains(&i) { 1 } else { rest.next().copied().unwrap_or(1) }).collect();
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Gather { axis } => {
            let (x, idx) = (inputs.shape(0)?, inputs.shape(1)?);
            let a = normalize_axis(*axis, x.len())?;
            if !matches!(inputs.dtype(1)?, DType::I64 | DType::I32) {
                return Err(Error::invalid("Gather indices must be int32 or int64"));
            }
            if let Some(Some(indices)) = inputs.values.get(1).map(|t| t.and_then(Tensor::to_i64_vec)) {
                let n = x[a] as i64;
                if let Some(bad) = indices.iter().find(|&&i| i < -n || i >= n) {
                    return Err(Error::invalid(format!("index {bad} is out of range for axis {a} of size {n}")));
                }
            }
            let mut out = x[..a].to_vec();
            out.extend_from_slice(idx);
            out.extend_from_slice(&x[a + 1..]);
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Pad(p) => {
            let x = inputs.shape(0)?;
            let (begin, end) = pad_amounts(x, p, inputs)?;
            let out = x
                .iter()
                .zip(begin.iter().zip(&end))
                .map(|(&d, (&b, &e))| {
                    let v = (d as i64).checked_add(b).and_then(|v| v.checked_add(e)).ok_or_else(|| Error::invalid(format!("Pad: padded size {d} + {b} + {e} overflows")))?;
                    dim_from_i64(v, "padded size")
                })
                .collect::<Result<_>>()?;
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Resize(r) => {
            require_float(inputs, 0)?;
            let x = inputs.shape(0)?;
            let (_, out) = resize_scales(x, r, inputs)?;
            Ok(vec![(DType::F32, out)])
        }
        Op::Reduce(r) => {
            let x = inputs.shape(0)?;
            let axes = reduce_axes(x.len(), r, inputs)?;
            let mut out = Vec::new();
            for (i, &d) in x.iter().enumerate() {
                if !axes.contains(&i) {
                    out.push(d);
                } else if r.keepdims {
                    out.push(1);
                }
            }
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Cast { to } => Ok(vec![(*to, inputs.shape(0)?.to_vec())]),
        Op::CastLike => Ok(vec![(inputs.dtype(1)?, inputs.shape(0)?.to_vec())]),
        Op::BitCast { to } => {
            let from = inputs.dtype(0)?;
            if from.size() != to.size() {
                return Err(Error::invalid(format!("BitCast from {from} to {to}: the widths differ")));
            }
            Ok(vec![(*to, inputs.shape(0)?.to_vec())])
        }
        Op::Variadic { op: bop, .. } => {
            let first = inputs.info(0)?;
            let mut shape = first.shape.clone();
            for info in inputs.infos.iter().flatten() {
                super::elementwise::check_binary(*bop, first.dtype, info.dtype)?;
                shape = broadcast_shapes(&shape, &info.shape)?;
            }
            Ok(vec![(first.dtype, shape)])
        }
        Op::Classify(_) => {
            if !inputs.dtype(0)?.is_float() {
                return Err(Error::invalid(format!("input has type {}; IsNaN and IsInf take floats", inputs.dtype(0)?)));
            }
            Ok(vec![(DType::Bool, inputs.shape(0)?.to_vec())])
        }
        Op::ConstantOfShape { value } => {
            let shape = inputs.ints(0, "shape")?.iter().map(|&d| dim_from_i64(d, "ConstantOfShape")).collect::<Result<_>>()?;
            Ok(vec![(value.dtype(), shape)])
        }
        Op::Shape { start, end } => {
            let rank = inputs.shape(0)?.len();
            let (s, e) = shape_range(rank, *start, *end);
            Ok(vec![(DType::I64, vec![e.saturating_sub(s)])])
        }
        Op::Identity => same_as(inputs, 0),
        Op::Expand => {
            let x = inputs.shape(0)?;
            let target: Vec<usize> =
                inputs.ints(1, "shape")?.iter().map(|&d| dim_from_i64(d, "Expand")).collect::<Result<_>>()?;
            Ok(vec![(inputs.dtype(0)?, broadcast_shapes(x, &target)?)])
        }
        Op::Index(i) => super::index::rules(i, inputs, num_outputs),
        Op::Tile => {
            let x = inputs.shape(0)?;
            let reps = inputs.ints(1, "repeats")?;
            if reps.len() != x.len() {
                return Err(Error::invalid(format!("repeats has {} values for rank {}", reps.len(), x.len())));
            }
            let out = x.iter().zip(&reps).map(|(&d, &r)| dim_from_i64(r, "repeats").and_then(|r| d.checked_mul(r).ok_or_else(|| Error::invalid(format!("Tile: {d} x {r} repeats overflows"))))).collect::<Result<_>>()?;
            Ok(vec![(inputs.dtype(0)?, out)])
        }
        Op::Nn(n) => super::nn::infer(n, inputs, num_outputs),
        Op::Quant(q) => super::quant::infer(q, inputs, num_outputs),
        Op::Vision(v) => super::vision::infer(v, inputs, num_outputs),
        Op::Signal(s) => super::signal::infer(s, inputs),
        Op::Layout(l) => super::layout::infer(l, inputs),
    }
}

/// Output shape of ONNX MatMul (NumPy matmul semantics, 1-D operands promoted then dropped).
pub fn matmul_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    if a.is_empty() || b.is_empty() {
        return Err(Error::invalid("MatMul operands must have rank ≥ 1"));
    }
    let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
    let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
    let (m, k) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let (kb, n) = (b2[b2.len() - 2], b2[b2.len() - 1]);
    if k != kb {
        return Err(Error::invalid(format!("inner dimensions differ: {a:?} × {b:?}")));
    }
    let mut out = broadcast_shapes(&a2[..a2.len() - 2], &b2[..b2.len() - 2])?;
    if a.len() > 1 {
        out.push(m);
    }
    if b.len() > 1 {
        out.push(n);
    }
    Ok(out)
}

/// Resolves Reshape's target (0 copies the input dim unless allowzero, -1 is inferred).
pub fn reshape_shape(x: &[usize], target: &[i64], allowzero: bool) -> Result<Vec<usize>> {
    let total: usize = x.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer_at = None;
    for (i, &d) in target.iter().enumerate() {
        match d {
            -1 if infer_at.is_none() => {
                infer_at = Some(i);
                out.push(1);
            }
            0 if !allowzero => out.push(*x.get(i).ok_or_else(|| Error::invalid(format!("shape {target:?}: 0 at axis {i} copies a dimension the input {x:?} lacks")))?),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(Error::invalid(format!("invalid target shape {target:?}"))),
        }
    }
    let known = element_count(&out)?;
    if let Some(i) = infer_at {
        if known == 0 || total % known != 0 {
            return Err(Error::invalid(format!("cannot reshape {x:?} into {target:?}")));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(Error::invalid(format!("cannot reshape {x:?} ({total} elements) into {target:?} ({known})")));
    }
    Ok(out)
}

/// The permutation of a Transpose (reversed axes by default), validated.
pub fn resolve_perm(perm: Option<&[i64]>, rank: usize) -> Result<Vec<usize>> {
    let perm: Vec<usize> = match perm {
        None => (0..rank).rev().collect(),
        Some(p) => p.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_>>()?,
    };
    let mut seen = vec![false; rank];
    for &p in &perm {
        if std::mem::replace(&mut seen[p], true) {
            return Err(Error::invalid(format!("perm {perm:?} is not a permutation of {rank} axes")));
        }
    }
    if perm.len() != rank {
        return Err(Error::invalid(format!("perm {perm:?} has the wrong length for rank {rank}")));
    }
    Ok(perm)
}

/// Sizes of Split's outputs, from the attribute, the input, or an equal split.
pub fn split_sizes(len: usize, attr: Option<&[i64]>, input: Option<&[i64]>, outputs: usize) -> Result<Vec<usize>> {
    if let Some(sizes) = attr.or(input) {
        let sizes: Vec<usize> = sizes.iter().map(|&s| dim_from_i64(s, "split")).collect::<Result<_>>()?;
        if sizes.iter().sum::<usize>() != len || sizes.len() != outputs {
            return Err(Error::invalid(format!("split {sizes:?} does not divide {len} into {outputs} outputs")));
        }
        return Ok(sizes);
    }
    if outputs == 0 {
        return Err(Error::invalid("Split has no outputs"));
    }
    // Equal split; the last chunk is smaller when the size does not divide (opset 18).
    let chunk = len.div_ceil(outputs);
    Ok((0..outputs).map(|i| chunk.min(len.saturating_sub(i * chunk))).collect())
}

/// One axis of a resolved Slice: first element, step and count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceDim {
    pub start: usize,
    pub step: i64,
    pub len: usize,
}

/// Resolves Slice's starts/ends/axes/steps (attributes or inputs) into per-axis ranges.
pub fn slice_plan(x: &[usize], s: &crate::ir::op::Slice, inputs: &Inputs) -> Result<Vec<SliceDim>> {
    let starts = match &s.starts { Some(v) => v.clone(), None => inputs.ints(1, "starts")? };
    let ends = match &s.ends { Some(v) => v.clone(), None => inputs.ints(2, "ends")? };
    let axes = match &s.axes { Some(v) => Some(v.clone()), None if s.starts.is_none() => inputs.optional_ints(3, "axes")?, None => None };
    let steps = if s.starts.is_none() { inputs.optional_ints(4, "steps")? } else { None };
    let axes = axes.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = steps.unwrap_or_else(|| vec![1; starts.len()]);
    if starts.len() != ends.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        return Err(Error::invalid("starts, ends, axes and steps must have the same length"));
    }
    let mut plan: Vec<SliceDim> = x.iter().map(|&d| SliceDim { start: 0, step: 1, len: d }).collect();
    for i in 0..starts.len() {
        let a = normalize_axis(axes[i], x.len())?;
        let dim = x[a] as i64;
        let step = steps[i];
        if step == 0 {
            return Err(Error::invalid("slice step cannot be 0"));
        }
        if dim == 0 {
            plan[a] = SliceDim { start: 0, step, len: 0 };
            continue;
        }
        let clamp = |v: i64, lo: i64, hi: i64| v.clamp(lo, hi);
        let fix = |v: i64| if v < 0 { v.saturating_add(dim) } else { v };
        let (start, end) = if step > 0 {
            (clamp(fix(starts[i]), 0, dim), clamp(fix(ends[i]), 0, dim))
        } else {
            (clamp(fix(starts[i]), 0, dim - 1), clamp(fix(ends[i]), -1, dim - 1))
        };
        // i128: steps and bounds may be anywhere in i64.
        let (s, e, st) = (i128::from(start), i128::from(end), i128::from(step));
        let len = if st > 0 {
            if e > s { (e - s + st - 1) / st } else { 0 }
        } else if s > e {
            (s - e - st - 1) / -st
        } else {
            0
        };
        let len = len.clamp(0, i128::from(dim)) as i64;
        // With at most one element the step is irrelevant; keep it small so strides never overflow.
        let step = if len <= 1 { step.signum() } else { step };
        plan[a] = SliceDim { start: start.max(0) as usize, step, len: len as usize };
    }
    Ok(plan)
}

/// Pad amounts per axis (begin, end), possibly negative, from the attribute or inputs.
pub fn pad_amounts(x: &[usize], p: &crate::ir::op::Pad, inputs: &Inputs) -> Result<(Vec<i64>, Vec<i64>)> {
    let pads = match &p.pads { Some(v) => v.clone(), None => inputs.ints(1, "pads")? };
    let axes: Vec<usize> = match inputs.optional_ints(3, "axes")? {
        Some(a) => a.iter().map(|&a| normalize_axis(a, x.len())).collect::<Result<_>>()?,
        None => (0..x.len()).collect(),
    };
    if pads.len() != 2 * axes.len() {
        return Err(Error::invalid(format!("pads has {} values for {} axes", pads.len(), axes.len())));
    }
    let mut begin = vec![0; x.len()];
    let mut end = vec![0; x.len()];
    for (i, &a) in axes.iter().enumerate() {
        begin[a] = pads[i];
        end[a] = pads[i + axes.len()];
    }
    Ok((begin, end))
}

/// Resize's per-axis scales and output shape, from scales or sizes (inputs 2 and 3).
pub fn resize_scales(x: &[usize], r: &crate::ir::op::Resize, inputs: &Inputs) -> Result<(Vec<f32>, Vec<usize>)> {
    let rank = x.len();
    let axes: Vec<usize> = match &r.axes {
        Some(a) => a.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_>>()?,
        None => (0..rank).collect(),
    };
    let mut scales = vec![1.0f32; rank];
    let mut out = x.to_vec();
    let sizes = if inputs.present(3) { inputs.optional_ints(3, "sizes")?.filter(|s| !s.is_empty()) } else { None };
    if let Some(sizes) = sizes {
        if sizes.len() != axes.len() {
            return Err(Error::invalid(format!("sizes has {} values for {} axes", sizes.len(), axes.len())));
        }
        for (&a, &s) in axes.iter().zip(&sizes) {
            out[a] = dim_from_i64(s, "sizes")?;
            scales[a] = out[a] as f32 / x[a].max(1) as f32;
        }
        if r.keep_aspect != 0 {
            // One scale for every listed axis: the smallest (not_larger) or largest (not_smaller).
            let pick = axes.iter().map(|&a| out[a] as f64 / x[a].max(1) as f64);
            let scale = if r.keep_aspect == 1 { pick.fold(f64::INFINITY, f64::min) } else { pick.fold(0.0, f64::max) };
            for &a in &axes {
                scales[a] = scale as f32;
                out[a] = (scale * x[a] as f64 + 0.5) as usize;
            }
        }
    } else {
        let given = match &r.scales_attr {
            Some(s) => s.clone(),
            None => inputs.floats(2, "scales")?,
        };
        if given.len() != axes.len() {
            return Err(Error::invalid(format!("scales has {} values for {} axes", given.len(), axes.len())));
        }
        for (&a, &s) in axes.iter().zip(&given) {
            if !(s > 0.0 && s.is_finite()) {
                return Err(Error::invalid(format!("scale {s} must be positive")));
            }
            scales[a] = s;
            out[a] = (x[a] as f64 * f64::from(s)).floor() as usize;
        }
    }
    Ok((scales, out))
}

/// The reduced axes of a Reduce op, sorted.
pub fn reduce_axes(rank: usize, r: &crate::ir::op::Reduce, inputs: &Inputs) -> Result<Vec<usize>> {
    let axes = match &r.axes { Some(a) => Some(a.clone()), None => inputs.optional_ints(1, "axes")? };
    let mut axes: Vec<usize> = match axes {
        Some(a) if !a.is_empty() => a.iter().map(|&a| normalize_axis(a, rank)).collect::<Result<_>>()?,
        _ if r.noop_with_empty_axes => vec![],
        _ => (0..rank).collect(),
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

/// Shape's [start, end) after clamping.
pub fn shape_range(rank: usize, start: i64, end: Option<i64>) -> (usize, usize) {
    let r = rank as i64;
    let fix = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    (fix(start), fix(end.unwrap_or(r)))
}

