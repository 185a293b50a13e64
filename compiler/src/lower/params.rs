//! Kernel parameter structs computed from IR shapes and attributes.

use crate::error::{Error, Result};
use crate::ir::infer::{self, SliceDim};
use crate::ir::op::{Activation, Conv, ConvTranspose, Gemm, Pool, Resize};
use onnxc_templates::generic as k;

/// The kernels' fixed capacity for tensor rank.
pub const MAX_RANK: usize = k::shape::MAX_RANK;

fn rank_checked(shape: &[usize]) -> Result<usize> {
    if shape.len() > MAX_RANK {
        Err(Error::unsupported(format!("tensors of rank {} (shape {shape:?}); the limit is {MAX_RANK}", shape.len())))
    } else {
        Ok(shape.len())
    }
}

fn padded<T: Copy + Default>(v: &[T]) -> [T; MAX_RANK] {
    let mut out = [T::default(); MAX_RANK];
    for (o, x) in out.iter_mut().zip(v) {
        *o = *x;
    }
    out
}

/// Row-major element strides.
pub fn dense_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * shape[i + 1];
    }
    strides
}

/// Strides of `input` read as a broadcast to `output` (0 on broadcast axes).
pub fn broadcast_strides(input: &[usize], output: &[usize]) -> Vec<usize> {
    let dense = dense_strides(input);
    let offset = output.len() - input.len();
    (0..output.len())
        .map(|i| if i < offset || input[i - offset] == 1 { 0 } else { dense[i - offset] })
        .collect()
}

/// Spatial dims as (h, w), treating 1-D as height 1.
fn hw(spatial: &[usize]) -> (usize, usize) {
    match spatial {
        [w] => (1, *w),
        [h, w] => (*h, *w),
        _ => (1, 1),
    }
}

fn hw_pair(v: &[usize], default: usize) -> (usize, usize) {
    match v {
        [w] => (default, *w),
        [h, w] => (*h, *w),
        _ => (default, default),
    }
}

pub fn conv_params(c: &Conv, x: &[usize], w: &[usize], y: &[usize]) -> Result<k::conv::ConvParams> {
    let g = infer::window_geometry(&c.window, &x[2..], &w[2..], false)?;
    let (in_h, in_w) = hw(&x[2..]);
    let (out_h, out_w) = hw(&y[2..]);
    let (kernel_h, kernel_w) = hw_pair(&g.kernel, 1);
    let (stride_h, stride_w) = hw_pair(&g.strides, 1);
    let (dilation_h, dilation_w) = hw_pair(&g.dilations, 1);
    let (pad_top, pad_left) = hw_pair(&g.pads_begin, 0);
    Ok(k::conv::ConvParams {
        batch: x[0],
        in_channels: x[1],
        in_h,
        in_w,
        out_channels: y[1],
        out_h,
        out_w,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        dilation_h,
        dilation_w,
        pad_top,
        pad_left,
        groups: c.group,
        act: c.activation,
    })
}

pub fn conv_transpose_params(c: &ConvTranspose, x: &[usize], w: &[usize], y: &[usize]) -> Result<k::conv_transpose::ConvTransposeParams> {
    let g = infer::conv_transpose_geometry(&c.window, &x[2..], &w[2..], &c.output_padding, &c.output_shape)?;
    let (in_h, in_w) = hw(&x[2..]);
    let (out_h, out_w) = hw(&y[2..]);
    let (kernel_h, kernel_w) = hw_pair(&w[2..], 1);
    let (stride_h, stride_w) = hw_pair(&g.strides, 1);
    let (dilation_h, dilation_w) = hw_pair(&g.dilations, 1);
    let (pad_top, pad_left) = hw_pair(&g.pads_begin, 0);
    Ok(k::conv_transpose::ConvTransposeParams {
        batch: x[0],
        in_channels: x[1],
        in_h,
        in_w,
        out_channels: y[1],
        out_h,
        out_w,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        dilation_h,
        dilation_w,
        pad_top,
        pad_left,
        groups: c.group,
        act: c.activation,
    })
}

pub fn gemm_params(g: &Gemm, a: &[usize], b: &[usize], c: Option<&[usize]>, y: &[usize]) -> Result<k::gemm::GemmParams> {
    let n = *y.last().unwrap_or(&1);
    let m = y.iter().product::<usize>() / n.max(1);
    let k_dim = if g.trans_a { a[0] } else { a[a.len() - 1] };
    let _ = b;
    let bias = match c {
        None => k::gemm::GemmBias::None,
        Some(c) => {
            let elems: usize = c.iter().product();
            let rows = if c.len() >= 2 { c[c.len() - 2] } else { 1 };
            let cols = *c.last().unwrap_or(&1);
            if elems == 1 {
                k::gemm::GemmBias::Scalar
            } else if elems == m * n && rows * cols == elems && cols == n {
                k::gemm::GemmBias::Full
            } else if cols == n && elems == n {
                k::gemm::GemmBias::Row
            } else if cols == 1 && elems == m {
                k::gemm::GemmBias::Column
            } else {
                return Err(Error::invalid(format!("bias of shape {c:?} does not broadcast to [{m}, {n}]")));
            }
        }
    };
    Ok(k::gemm::GemmParams {
        m,
        n,
        k: k_dim,
        trans_a: g.trans_a,
        trans_b: g.trans_b,
        alpha: g.alpha,
        beta: g.beta,
        bias,
        act: g.activation,
    })
}

pub fn matmul_params(act: Activation, a: &[usize], b: &[usize]) -> Result<k::gemm::MatMulParams> {
    let a2: Vec<usize> = if a.len() == 1 { vec![1, a[0]] } else { a.to_vec() };
    let b2: Vec<usize> = if b.len() == 1 { vec![b[0], 1] } else { b.to_vec() };
    let (m, kk) = (a2[a2.len() - 2], a2[a2.len() - 1]);
    let n = b2[b2.len() - 1];
    let a_batch = &a2[..a2.len() - 2];
    let b_batch = &b2[..b2.len() - 2];
    let batch = infer::broadcast_shapes(a_batch, b_batch)?;
    if batch.len() > 6 {
        return Err(Error::unsupported(format!("MatMul with {} batch dimensions; the limit is 6", batch.len())));
    }
    let scale = |s: Vec<usize>, per: usize| -> Vec<usize> { s.into_iter().map(|x| x * per).collect() };
    let a_strides = scale(broadcast_strides(a_batch, &batch), m * kk);
    let b_strides = scale(broadcast_strides(b_batch, &batch), kk * n);
    let fill = |v: &[usize], d: usize| -> [usize; 6] {
        let mut out = [d; 6];
        out[..v.len()].copy_from_slice(v);
        out
    };
    Ok(k::gemm::MatMulParams {
        m,
        n,
        k: kk,
        batch_rank: batch.len(),
        batch_shape: fill(&batch, 1),
        a_batch_strides: fill(&a_strides, 0),
        b_batch_strides: fill(&b_strides, 0),
        act,
    })
}

pub fn broadcast_params(a: &[usize], b: &[usize], y: &[usize]) -> Result<k::elementwise::BroadcastParams> {
    let rank = rank_checked(y)?;
    Ok(k::elementwise::BroadcastParams {
        rank,
        out_shape: padded(y),
        a_strides: padded(&broadcast_strides(a, y)),
        b_strides: padded(&broadcast_strides(b, y)),
        len: y.iter().product(),
    })
}

pub fn where_params(c: &[usize], a: &[usize], b: &[usize], y: &[usize]) -> Result<k::elementwise::WhereParams> {
    let rank = rank_checked(y)?;
    Ok(k::elementwise::WhereParams {
        rank,
        out_shape: padded(y),
        cond_strides: padded(&broadcast_strides(c, y)),
        a_strides: padded(&broadcast_strides(a, y)),
        b_strides: padded(&broadcast_strides(b, y)),
        len: y.iter().product(),
    })
}

pub fn softmax_params(x: &[usize], axis: i64, log: bool, legacy: bool) -> Result<k::softmax::SoftmaxParams> {
    let a = infer::normalize_axis(axis, x.len())?;
    let outer: usize = x[..a].iter().product();
    Ok(if legacy {
        k::softmax::SoftmaxParams { outer, axis_len: x[a..].iter().product(), inner: 1, log }
    } else {
        k::softmax::SoftmaxParams { outer, axis_len: x[a], inner: x[a + 1..].iter().product(), log }
    })
}

pub fn pool_params(p: &Pool, x: &[usize], y: &[usize]) -> Result<k::pool::PoolParams> {
    let g = infer::window_geometry(&p.window, &x[2..], &p.window.kernel, p.ceil_mode)?;
    let (in_h, in_w) = hw(&x[2..]);
    let (out_h, out_w) = hw(&y[2..]);
    let (kernel_h, kernel_w) = hw_pair(&g.kernel, 1);
    let (stride_h, stride_w) = hw_pair(&g.strides, 1);
    let (dilation_h, dilation_w) = hw_pair(&g.dilations, 1);
    let (pad_top, pad_left) = hw_pair(&g.pads_begin, 0);
    let (pad_bottom, pad_right) = hw_pair(&g.pads_end, 0);
    Ok(k::pool::PoolParams {
        batch: x[0],
        channels: x[1],
        in_h,
        in_w,
        out_h,
        out_w,
        kernel_h,
        kernel_w,
        stride_h,
        stride_w,
        dilation_h,
        dilation_w,
        pad_top,
        pad_left,
        pad_bottom,
        pad_right,
        count_include_pad: p.count_include_pad,
    })
}

pub fn transpose_params(x: &[usize], perm: &[usize]) -> Result<k::movement::TransposeParams> {
    let rank = rank_checked(x)?;
    let strides = dense_strides(x);
    let out_shape: Vec<usize> = perm.iter().map(|&p| x[p]).collect();
    let in_strides: Vec<usize> = perm.iter().map(|&p| strides[p]).collect();
    Ok(k::movement::TransposeParams {
        rank,
        out_shape: padded(&out_shape),
        in_strides: padded(&in_strides),
        len: x.iter().product(),
    })
}

pub fn concat_params(inputs: &[&[usize]], y: &[usize], axis: usize) -> Vec<k::movement::CopyBlockParams> {
    let outer: usize = y[..axis].iter().product();
    let inner: usize = y[axis + 1..].iter().product();
    let mut offset = 0;
    inputs
        .iter()
        .map(|s| {
            let block = s[axis] * inner;
            let p = k::movement::CopyBlockParams {
                outer,
                block,
                src_stride: block,
                dst_stride: y[axis] * inner,
                dst_offset: offset,
                src_offset: 0,
            };
            offset += block;
            p
        })
        .collect()
}

pub fn split_params(x: &[usize], outputs: &[&[usize]], axis: usize) -> Vec<k::movement::CopyBlockParams> {
    let outer: usize = x[..axis].iter().product();
    let inner: usize = x[axis + 1..].iter().product();
    let mut offset = 0;
    outputs
        .iter()
        .map(|s| {
            let block = s[axis] * inner;
            let p = k::movement::CopyBlockParams {
                outer,
                block,
                src_stride: x[axis] * inner,
                dst_stride: block,
                dst_offset: 0,
                src_offset: offset,
            };
            offset += block;
            p
        })
        .collect()
}

pub fn slice_params(x: &[usize], plan: &[SliceDim]) -> Result<k::movement::SliceParams> {
    let rank = rank_checked(x)?;
    let strides = dense_strides(x);
    let start_offset = plan.iter().zip(&strides).map(|(d, s)| d.start * s).sum();
    let in_strides: Vec<isize> = plan.iter().zip(&strides).map(|(d, &s)| d.step as isize * s as isize).collect();
    let out_shape: Vec<usize> = plan.iter().map(|d| d.len).collect();
    Ok(k::movement::SliceParams {
        rank,
        out_shape: padded(&out_shape),
        in_strides: padded(&in_strides),
        start_offset,
        len: out_shape.iter().product(),
    })
}

pub fn pad_params(x: &[usize], y: &[usize], begin: &[i64], mode: k::movement::PadMode) -> Result<k::movement::PadParams> {
    let rank = rank_checked(x)?;
    let begin: Vec<isize> = begin.iter().map(|&b| b as isize).collect();
    if mode != k::movement::PadMode::Constant && x.iter().zip(y).any(|(&i, &o)| i == 0 && o > 0) {
        return Err(Error::invalid("cannot reflect, edge- or wrap-pad an empty axis"));
    }
    Ok(k::movement::PadParams {
        rank,
        in_shape: padded(x),
        out_shape: padded(y),
        pads_begin: padded(&begin),
        mode,
        len: y.iter().product(),
    })
}

pub fn resize_params(r: &Resize, x: &[usize], y: &[usize], scales: &[f32]) -> Result<k::resize::ResizeParams> {
    let rank = rank_checked(x)?;
    Ok(k::resize::ResizeParams {
        rank,
        in_shape: padded(x),
        out_shape: padded(y),
        scales: {
            let mut s = [1.0f32; MAX_RANK];
            s[..scales.len()].copy_from_slice(scales);
            s
        },
        mode: r.mode,
        coord: r.coordinate_mode,
        nearest: r.nearest_mode,
        exclude_outside: r.exclude_outside,
        extrapolation_value: r.extrapolation_value,
    })
}

pub fn reduce_params(x: &[usize], axes: &[usize]) -> Result<k::reduce::ReduceParams> {
    let rank = rank_checked(x)?;
    let mut reduced = [false; MAX_RANK];
    for &a in axes {
        // Axes come normalized from inference; one past the rank is still refused, not a panic.
        let slot = reduced.get_mut(a).filter(|_| a < x.len());
        *slot.ok_or_else(|| Error::invalid(format!("reduce axis {a} is out of range for rank {}", x.len())))? = true;
    }
    let out_shape: Vec<usize> = x.iter().enumerate().map(|(i, &d)| if reduced[i] { 1 } else { d }).collect();
    Ok(k::reduce::ReduceParams {
        rank,
        out_shape: padded(&out_shape),
        in_shape: padded(x),
        reduced,
        out_len: out_shape.iter().product(),
        reduce_len: axes.iter().map(|&a| x.get(a).copied().unwrap_or(1)).product(),
    })
}

pub fn expand_params(x: &[usize], y: &[usize]) -> Result<k::movement::ExpandParams> {
    let rank = rank_checked(y)?;
    Ok(k::movement::ExpandParams {
        rank,
        out_shape: padded(y),
        in_strides: padded(&broadcast_strides(x, y)),
        len: y.iter().product(),
    })
}

pub fn tile_params(x: &[usize], y: &[usize]) -> Result<k::movement::TileParams> {
    let rank = rank_checked(y)?;
    Ok(k::movement::TileParams { rank, in_shape: padded(x), out_shape: padded(y), len: y.iter().product() })
}
