//! Lowering of the indexing ops ([`IndexOp`]) to kernels.

use super::params::{dense_strides, pad_params, transpose_params, MAX_RANK};
use super::Kernel;
use crate::error::{Error, Result};
use crate::ir::index_op::{IndexOp, ScatterReduction};
use crate::ir::infer::index::{crop_pad_target, gather_nd_shape};
use crate::ir::infer::{normalize_axis, Inputs};
use crate::ir::ValueInfo;
use onnxc_templates::generic as k;
use onnxc_templates::generic::index::AxisParams;

/// The kernels of the indexing family. Inputs are passed in slot order; inputs that only
/// carry compile-time values (TopK's K, OneHot's depth) are not.
#[derive(Clone, Debug, PartialEq)]
pub enum IndexKernel {
    /// data, indices.
    GatherElements(k::index::ElementsParams),
    /// data, indices, updates.
    ScatterElements(k::index::ElementsParams, ScatterReduction),
    /// data, indices.
    GatherNd(k::index::NdParams),
    /// data, indices, updates.
    ScatterNd(k::index::NdParams, ScatterReduction),
    /// x → i64 indices.
    Arg { max: bool, params: k::reduce::ArgParams },
    /// x → values, i64 indices.
    TopK(k::index::TopKParams),
    /// x, axis.
    CumSum(k::index::CumSumParams),
    /// x, optional k.
    Trilu(k::index::TriluParams),
    /// indices, values.
    OneHot(AxisParams),
    Hardmax(AxisParams),
    /// start, delta.
    Range,
    /// x, condition.
    Compress(AxisParams),
    /// x, sequence_lens.
    ReverseSequence(k::index::ReverseSequenceParams),
    /// All inputs: the first broadcast into the output (`parts[0]`), the others folded in.
    Variadic { op: k::index::Accumulate, parts: Vec<k::movement::ExpandParams>, mean: bool },
    Det(k::linalg::DetParams),
}

fn padded<T: Copy + Default>(v: &[T]) -> Result<[T; MAX_RANK]> {
    if v.len() > MAX_RANK {
        return Err(Error::unsupported(format!("rank {} exceeds the limit of {MAX_RANK}", v.len())));
    }
    let mut out = [T::default(); MAX_RANK];
    out[..v.len()].copy_from_slice(v);
    Ok(out)
}

fn ones_padded(v: &[usize]) -> Result<[usize; MAX_RANK]> {
    let mut out = padded(v)?;
    out[v.len()..].fill(1);
    Ok(out)
}

fn around(x: &[usize], a: usize) -> AxisParams {
    AxisParams { outer: x[..a].iter().product(), axis_len: x[a], inner: x[a + 1..].iter().product() }
}

fn elements_params(x: &[usize], idx: &[usize], axis: i64) -> Result<k::index::ElementsParams> {
    let a = normalize_axis(axis, x.len())?;
    Ok(k::index::ElementsParams {
        rank: x.len(),
        idx_shape: ones_padded(idx)?,
        data_strides: padded(&dense_strides(x))?,
        axis: a,
        axis_len: x[a],
        len: idx.iter().product(),
    })
}

fn nd_params(x: &[usize], idx: &[usize], batch_dims: i64) -> Result<k::index::NdParams> {
    let (_, kk) = gather_nd_shape(x, idx, batch_dims)?;
    let b = batch_dims as usize;
    let strides = dense_strides(x);
    Ok(k::index::NdParams {
        batch: x[..b].iter().product(),
        tuples: idx[b..idx.len() - 1].iter().product(),
        k: kk,
        dims: ones_padded(&x[b..b + kk])?,
        strides: padded(&strides[b..b + kk])?,
        batch_stride: x[b..].iter().product(),
        inner: x[b + kk..].iter().product(),
    })
}

/// Chooses the kernel of an indexing op.
pub fn lower(op: &IndexOp, ins: &Inputs, outputs: &[ValueInfo]) -> Result<Kernel> {
    let info = |i: usize| -> Result<&ValueInfo> {
        ins.infos.get(i).copied().flatten().ok_or_else(|| Error::invalid(format!("input {i} is required")))
    };
    let out = outputs.first().ok_or_else(|| Error::internal("node without outputs"))?;
    let x = &info(0)?.shape;
    let kernel = match op {
        IndexOp::Size | IndexOp::EyeLike { .. } | IndexOp::NonZero => {
            return Err(Error::internal(format!("{} is folded before code generation", op.name())))
        }
        IndexOp::Range => IndexKernel::Range,
        IndexOp::GatherElements { axis } => IndexKernel::GatherElements(elements_params(x, &info(1)?.shape, *axis)?),
        IndexOp::ScatterElements { axis, reduction } => {
            IndexKernel::ScatterElements(elements_params(x, &info(1)?.shape, *axis)?, *reduction)
        }
        IndexOp::GatherNd { batch_dims } => IndexKernel::GatherNd(nd_params(x, &info(1)?.shape, *batch_dims)?),
        IndexOp::ScatterNd { reduction } => IndexKernel::ScatterNd(nd_params(x, &info(1)?.shape, 0)?, *reduction),
        IndexOp::Arg { max, axis, select_last, .. } => {
            let a = normalize_axis(*axis, x.len())?;
            let AxisParams { outer, axis_len, inner } = around(x, a);
            let params = k::reduce::ArgParams { outer, axis_len, inner, select_last: *select_last };
            IndexKernel::Arg { max: *max, params }
        }
        IndexOp::TopK { axis, largest } => {
            let a = normalize_axis(*axis, x.len())?;
            IndexKernel::TopK(k::index::TopKParams { axis: around(x, a), k: out.shape[a], largest: *largest })
        }
        IndexOp::CumSum { exclusive, reverse, product } => {
            IndexKernel::CumSum(k::index::CumSumParams {
                rank: x.len(),
                shape: ones_padded(x)?,
                exclusive: *exclusive,
                reverse: *reverse,
                product: *product,
            })
        }
        IndexOp::Trilu { upper } => {
            let r = x.len();
            IndexKernel::Trilu(k::index::TriluParams {
                batch: x[..r - 2].iter().product(),
                rows: x[r - 2],
                cols: x[r - 1],
                upper: *upper,
            })
        }
        IndexOp::OneHot { axis } => {
            let a = normalize_axis(*axis, x.len() + 1)?;
            IndexKernel::OneHot(AxisParams { outer: x[..a].iter().product(), axis_len: out.shape[a], inner: x[a..].iter().product() })
        }
        IndexOp::Hardmax { axis, legacy } => {
            let a = normalize_axis(*axis, x.len())?;
            if *legacy {
                IndexKernel::Hardmax(AxisParams { outer: x[..a].iter().product(), axis_len: x[a..].iter().product(), inner: 1 })
            } else {
                IndexKernel::Hardmax(around(x, a))
            }
        }
        IndexOp::Compress { axis } => match axis {
            Some(axis) => IndexKernel::Compress(around(x, normalize_axis(*axis, x.len())?)),
            None => IndexKernel::Compress(AxisParams { outer: 1, axis_len: x.iter().product(), inner: 1 }),
        },
        IndexOp::ReverseSequence { batch_axis, time_axis } => {
            IndexKernel::ReverseSequence(k::index::ReverseSequenceParams {
                shape: ones_padded(x)?,
                rank: x.len(),
                batch_axis: normalize_axis(*batch_axis, x.len())?,
                time_axis: normalize_axis(*time_axis, x.len())?,
                len: x.iter().product(),
            })
        }
        IndexOp::Variadic { op, mean } => {
            let parts = ins
                .infos
                .iter()
                .flatten()
                .map(|i| super::params::expand_params(&i.shape, &out.shape))
                .collect::<Result<_>>()?;
            IndexKernel::Variadic { op: *op, parts, mean: *mean }
        }
        IndexOp::Det => {
            let n = x[x.len() - 1];
            if n > k::linalg::MAX_DET_ORDER {
                return Err(Error::unsupported(format!("Det of {n}×{n} matrices; the limit is {}", k::linalg::MAX_DET_ORDER)));
            }
            IndexKernel::Det(k::linalg::DetParams { batch: x[..x.len() - 2].iter().product(), n })
        }
        IndexOp::DepthToSpace { blocksize: b, crd } => {
            let b = *b;
            let (n, c, h, w) = (x[0], x[1] / (b * b), x[2], x[3]);
            let (view, perm): (Vec<usize>, [usize; 6]) =
                if *crd { (vec![n, c, b, b, h, w], [0, 1, 4, 2, 5, 3]) } else { (vec![n, b, b, c, h, w], [0, 3, 4, 1, 5, 2]) };
            return Ok(Kernel::Transpose(transpose_params(&view, &perm)?));
        }
        IndexOp::SpaceToDepth { blocksize: b, crd } => {
            let b = *b;
            let view = vec![x[0], x[1], x[2] / b, b, x[3] / b, b];
            let perm = if *crd { [0, 1, 3, 5, 2, 4] } else { [0, 3, 5, 1, 2, 4] };
            return Ok(Kernel::Transpose(transpose_params(&view, &perm)?));
        }
        IndexOp::CenterCropPad { axes } => {
            let target = crop_pad_target(x, axes.as_deref(), ins)?;
            let begin: Vec<i64> = x
                .iter()
                .zip(&target)
                .map(|(&d, &t)| if t < d { -(((d - t) / 2) as i64) } else { ((t - d) / 2) as i64 })
                .collect();
            let params = pad_params(x, &target, &begin, k::movement::PadMode::Constant)?;
            return Ok(Kernel::Pad(params, crate::eval::scalar_of(info(0)?.dtype, 0.0)));
        }
    };
    Ok(Kernel::Index(kernel))
}
