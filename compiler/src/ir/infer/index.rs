//! Inference rules of the indexing ops ([`IndexOp`]).

use super::geometry::normalize_axis;
use super::rules::{dim_from_i64, same_as, Inputs};
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::index_op::IndexOp;
use crate::ir::{DType, Data, Tensor};

fn index_dtype(inputs: &Inputs, i: usize, what: &str) -> Result<()> {
    match inputs.dtype(i)? {
        DType::I64 | DType::I32 => Ok(()),
        d => Err(Error::invalid(format!("{what} must be int32 or int64, found {d}"))),
    }
}

/// A scalar-valued compile-time input as f64 (any numeric type).
fn scalar_f64(inputs: &Inputs, i: usize, what: &str) -> Result<f64> {
    let t = inputs.values.get(i).copied().flatten().ok_or_else(|| {
        Error::unsupported(format!("{what} (input {i}) must be a compile-time constant: onnxc needs static shapes"))
    })?;
    let v = match &t.data {
        Data::F64(v) => v.first().copied(),
        Data::I64(v) => v.first().map(|&x| x as f64),
        Data::U64(v) => v.first().map(|&x| x as f64),
        _ => t.to_f32_vec().and_then(|v| v.first().map(|&x| f64::from(x))),
    };
    match (v, t.len()) {
        (Some(v), 1) => Ok(v),
        _ => Err(Error::invalid(format!("{what} (input {i}) must be a single number"))),
    }
}

/// The i64 value of a one-element constant input.
pub(crate) fn scalar_int(inputs: &Inputs, i: usize, what: &str) -> Result<i64> {
    let v = inputs.ints(i, what)?;
    match v.as_slice() {
        [x] => Ok(*x),
        _ => Err(Error::invalid(format!("{what} (input {i}) must hold one value, found {}", v.len()))),
    }
}

/// Number of elements of ONNX Range(start, limit, delta).
pub(crate) fn range_len(inputs: &Inputs) -> Result<usize> {
    let dtype = inputs.dtype(0)?;
    let n = if dtype.is_float() {
        let (s, l, d) = (scalar_f64(inputs, 0, "start")?, scalar_f64(inputs, 1, "limit")?, scalar_f64(inputs, 2, "delta")?);
        if d == 0.0 || !d.is_finite() || !s.is_finite() || !l.is_finite() {
            return Err(Error::invalid(format!("Range({s}, {l}, {d}) has no finite length")));
        }
        ((l - s) / d).ceil().max(0.0) as u64
    } else {
        let (s, l, d) = (scalar_int(inputs, 0, "start")?, scalar_int(inputs, 1, "limit")?, scalar_int(inputs, 2, "delta")?);
        if d == 0 {
            return Err(Error::invalid("Range's delta cannot be 0"));
        }
        let span = i128::from(l) - i128::from(s);
        let d = i128::from(d);
        let n = if d > 0 { (span + d - 1).div_euclid(d) } else { (-span - d - 1).div_euclid(-d) };
        n.max(0) as u64
    };
    usize::try_from(n).map_err(|_| Error::limit(format!("Range of {n} elements")))
}

/// The (sorted, unique) axes of CenterCropPad and the target size of each.
pub(crate) fn crop_pad_target(x: &[usize], axes: Option<&[i64]>, inputs: &Inputs) -> Result<Vec<usize>> {
    let shape = inputs.ints(1, "shape")?;
    let axes: Vec<usize> = match axes {
        Some(a) => a.iter().map(|&a| normalize_axis(a, x.len())).collect::<Result<_>>()?,
        None => (0..x.len()).collect(),
    };
    if shape.len() != axes.len() {
        return Err(Error::invalid(format!("shape has {} values for {} axes", shape.len(), axes.len())));
    }
    let mut out = x.to_vec();
    for (&a, &s) in axes.iter().zip(&shape) {
        out[a] = dim_from_i64(s, "CenterCropPad shape")?;
    }
    Ok(out)
}

/// Number of true entries of Compress's condition that address the axis (of length `n`).
pub(crate) fn compress_count(inputs: &Inputs, n: usize) -> Result<usize> {
    let cond = inputs.ints(1, "condition")?;
    if cond.len() > n {
        return Err(Error::invalid(format!("condition has {} entries for an axis of {n}", cond.len())));
    }
    Ok(cond.iter().filter(|&&c| c != 0).count())
}

/// The NonZero result of a known tensor: `[rank, count]` coordinates.
pub(crate) fn nonzero(t: &Tensor) -> Result<Tensor> {
    let flags: Vec<bool> = crate::with_data!(&t.data, v => v.iter().map(|x| x.to_le_bytes().iter().any(|&b| b != 0)).collect());
    // Floats: -0.0 is zero too.
    let flags: Vec<bool> = match &t.data {
        Data::F32(v) => v.iter().map(|&x| x != 0.0).collect(),
        Data::F64(v) => v.iter().map(|&x| x != 0.0).collect(),
        Data::F16(v) | Data::BF16(v) => v.iter().map(|&x| x & 0x7fff != 0).collect(),
        _ => flags,
    };
    let rank = t.shape.len();
    let hits: Vec<usize> = flags.iter().enumerate().filter(|(_, &f)| f).map(|(i, _)| i).collect();
    let mut coords = vec![0i64; rank * hits.len()];
    let strides = crate::lower::dense_strides(&t.shape);
    for (j, &h) in hits.iter().enumerate() {
        for d in 0..rank {
            coords[d * hits.len() + j] = ((h / strides[d]) % t.shape[d].max(1)) as i64;
        }
    }
    Tensor::from_i64(vec![rank, hits.len()], coords)
}

pub(super) fn rules(op: &IndexOp, inputs: &Inputs, num_outputs: usize) -> Result<Inferred> {
    let x = inputs.shape(0)?;
    let dtype = inputs.dtype(0)?;
    match op {
        IndexOp::Size => Ok(vec![(DType::I64, vec![])]),
        IndexOp::EyeLike { dtype: to, .. } => {
            if x.len() != 2 {
                return Err(Error::invalid(format!("EyeLike needs a 2-D input, got {x:?}")));
            }
            Ok(vec![(to.unwrap_or(dtype), x.to_vec())])
        }
        IndexOp::Range => {
            for i in 1..3 {
                if inputs.dtype(i)? != dtype {
                    return Err(Error::invalid(format!("Range inputs differ in type: {dtype} and {}", inputs.dtype(i)?)));
                }
            }
            Ok(vec![(dtype, vec![range_len(inputs)?])])
        }
        IndexOp::GatherElements { axis } | IndexOp::ScatterElements { axis, .. } => {
            let idx = inputs.shape(1)?;
            normalize_axis(*axis, x.len())?;
            index_dtype(inputs, 1, "indices")?;
            if idx.len() != x.len() {
                return Err(Error::invalid(format!("indices {idx:?} and data {x:?} differ in rank")));
            }
            if let IndexOp::ScatterElements { .. } = op {
                if inputs.shape(2)? != idx || inputs.dtype(2)? != dtype {
                    return Err(Error::invalid("updates must have the indices' shape and the data's type"));
                }
                return same_as(inputs, 0);
            }
            Ok(vec![(dtype, idx.to_vec())])
        }
        IndexOp::GatherNd { batch_dims } => {
            let idx = inputs.shape(1)?;
            index_dtype(inputs, 1, "indices")?;
            let (out, _) = gather_nd_shape(x, idx, *batch_dims)?;
            Ok(vec![(dtype, out)])
        }
        IndexOp::ScatterNd { .. } => {
            let idx = inputs.shape(1)?;
            index_dtype(inputs, 1, "indices")?;
            let (expected, _) = gather_nd_shape(x, idx, 0)?;
            if inputs.shape(2)? != expected.as_slice() || inputs.dtype(2)? != dtype {
                return Err(Error::invalid(format!("updates must be {dtype} {expected:?}")));
            }
            same_as(inputs, 0)
        }
        IndexOp::Arg { axis, keepdims, .. } => {
            let a = normalize_axis(*axis, x.len())?;
            let mut out = x.to_vec();
            if *keepdims {
                out[a] = 1;
            } else {
                out.remove(a);
            }
            Ok(vec![(DType::I64, out)])
        }
        IndexOp::TopK { axis, .. } => {
            let a = normalize_axis(*axis, x.len())?;
            let k = scalar_int(inputs, 1, "K")?;
            let k = dim_from_i64(k, "K")?;
            if k > x[a] {
                return Err(Error::invalid(format!("K = {k} exceeds the axis length {}", x[a])));
            }
            let mut out = x.to_vec();
            out[a] = k;
            let mut res = vec![(dtype, out.clone()), (DType::I64, out)];
            res.truncate(num_outputs.max(1));
            Ok(res)
        }
        IndexOp::CumSum { .. } => {
            index_dtype(inputs, 1, "axis")?;
            if inputs.values.get(1).copied().flatten().is_some() {
                normalize_axis(scalar_int(inputs, 1, "axis")?, x.len())?;
            } else if x.is_empty() {
                return Err(Error::invalid("CumSum needs rank ≥ 1"));
            }
            same_as(inputs, 0)
        }
        IndexOp::Trilu { .. } => {
            if x.len() < 2 {
                return Err(Error::invalid(format!("Trilu needs rank ≥ 2, got {x:?}")));
            }
            if inputs.present(1) && (inputs.dtype(1)? != DType::I64 || inputs.shape(1)?.iter().product::<usize>() != 1) {
                return Err(Error::invalid("k must be an int64 scalar"));
            }
            same_as(inputs, 0)
        }
        IndexOp::OneHot { axis } => {
            let depth = scalar_f64(inputs, 1, "depth")?;
            if !(0.0..1e12).contains(&depth) {
                return Err(Error::invalid(format!("depth {depth} is not a valid size")));
            }
            let a = normalize_axis(*axis, x.len() + 1)?;
            let mut out = x.to_vec();
            out.insert(a, depth as usize);
            if inputs.shape(2)?.iter().product::<usize>() != 2 {
                return Err(Error::invalid("values must hold [off_value, on_value]"));
            }
            Ok(vec![(inputs.dtype(2)?, out)])
        }
        IndexOp::DepthToSpace { blocksize: b, .. } => match *x {
            [n, c, h, w] if *b > 0 && c % (b * b) == 0 => Ok(vec![(dtype, vec![n, c / (b * b), h * b, w * b])]),
            _ => Err(Error::invalid(format!("DepthToSpace with blocksize {b} on {x:?}"))),
        },
        IndexOp::SpaceToDepth { blocksize: b, .. } => match *x {
            [n, c, h, w] if *b > 0 && h % b == 0 && w % b == 0 => Ok(vec![(dtype, vec![n, c * b * b, h / b, w / b])]),
            _ => Err(Error::invalid(format!("SpaceToDepth with blocksize {b} on {x:?}"))),
        },
        IndexOp::Compress { axis } => match axis {
            Some(axis) => {
                let a = normalize_axis(*axis, x.len())?;
                let mut out = x.to_vec();
                out[a] = compress_count(inputs, x[a])?;
                Ok(vec![(dtype, out)])
            }
            None => Ok(vec![(dtype, vec![compress_count(inputs, x.iter().product())?])]),
        },
        IndexOp::ReverseSequence { batch_axis, time_axis } => {
            let (b, t) = (normalize_axis(*batch_axis, x.len())?, normalize_axis(*time_axis, x.len())?);
            if x.len() < 2 || b == t {
                return Err(Error::invalid("ReverseSequence needs rank ≥ 2 and distinct batch and time axes"));
            }
            if inputs.shape(1)? != [x[b]] {
                return Err(Error::invalid(format!("sequence_lens must have shape [{}]", x[b])));
            }
            index_dtype(inputs, 1, "sequence_lens")?;
            same_as(inputs, 0)
        }
        IndexOp::CenterCropPad { axes } => Ok(vec![(dtype, crop_pad_target(x, axes.as_deref(), inputs)?)]),
        IndexOp::Hardmax { axis, .. } => {
            normalize_axis(*axis, x.len())?;
            same_as(inputs, 0)
        }
        IndexOp::Variadic { .. } => {
            let mut out = x.to_vec();
            for i in 1..inputs.infos.len() {
                if inputs.dtype(i)? != dtype {
                    return Err(Error::invalid(format!("input types differ: {dtype} and {}", inputs.dtype(i)?)));
                }
                out = super::broadcast_shapes(&out, inputs.shape(i)?)?;
            }
            Ok(vec![(dtype, out)])
        }
        IndexOp::Det => {
            if !matches!(dtype, DType::F32 | DType::F64) {
                return Err(Error::unsupported(format!("Det on {dtype}: f32 and f64 only")));
            }
            match x {
                [lead @ .., n, m] if n == m => Ok(vec![(dtype, lead.to_vec())]),
                _ => Err(Error::invalid(format!("Det needs square matrices, got {x:?}"))),
            }
        }
        IndexOp::NonZero => {
            let t = inputs.values.first().copied().flatten().ok_or_else(|| {
                Error::unsupported("NonZero's output shape depends on its input's values, which must be a compile-time constant")
            })?;
            Ok(vec![(DType::I64, nonzero(t)?.shape)])
        }
    }
}

/// GatherND's output shape and index tuple length, for data `x`, indices `idx` and `b` batch dims.
pub(crate) fn gather_nd_shape(x: &[usize], idx: &[usize], b: i64) -> Result<(Vec<usize>, usize)> {
    let b = usize::try_from(b).map_err(|_| Error::invalid("batch_dims must be ≥ 0"))?;
    let (&k, lead) = idx.split_last().ok_or_else(|| Error::invalid("indices must have rank ≥ 1"))?;
    if b >= idx.len() || b + k > x.len() || x[..b] != idx[..b] {
        return Err(Error::invalid(format!("indices {idx:?} do not address data {x:?} with batch_dims {b}")));
    }
    let mut out = lead.to_vec();
    out.extend_from_slice(&x[b + k..]);
    Ok((out, k))
}
