//! Indexing kernels, generic over the element type: GatherElements, ScatterElements, GatherND,
//! ScatterND, TopK, CumSum, Trilu, OneHot, Hardmax, Range, Compress and ReverseSequence.
//!
//! Indices may be negative (they count from the end of their axis); an index outside its axis
//! reads `T::default()` (gathers) or is skipped (scatters), never panics.

use super::number::Number;

/// How a scatter combines an update with the value already there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ScatterReduction {
    /// Replace the value.
    None,
    /// Add the update.
    Add,
    /// Multiply by the update.
    Mul,
    /// Keep the larger.
    Max,
    /// Keep the smaller.
    Min,
}

impl core::fmt::Debug for ScatterReduction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ScatterReduction::None => "ScatterReduction::None",
            ScatterReduction::Add => "ScatterReduction::Add",
            ScatterReduction::Mul => "ScatterReduction::Mul",
            ScatterReduction::Max => "ScatterReduction::Max",
            ScatterReduction::Min => "ScatterReduction::Min",
        })
    }
}

/// `old` combined with `new` under a reduction.
#[inline(always)]
pub fn combine<T: Number>(r: ScatterReduction, old: T, new: T) -> T {
    match r {
        ScatterReduction::None => new,
        ScatterReduction::Add => old.add(new),
        ScatterReduction::Mul => old.mul(new),
        ScatterReduction::Max => old.max(new),
        ScatterReduction::Min => old.min(new),
    }
}

/// An index along an axis of `n` entries, negative counting from the end; `None` if outside.
#[inline(always)]
pub fn axis_index<I: Copy + Into<i64>>(ix: I, n: usize) -> Option<usize> {
    let i: i64 = ix.into();
    let i = if i < 0 { i + n as i64 } else { i };
    if i >= 0 && (i as usize) < n {
        Some(i as usize)
    } else {
        None
    }
}

/// GatherElements / ScatterElements: the indices' shape, walked in row-major order, and the
/// data strides each index position maps to (the axis coordinate comes from the index).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ElementsParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Shape of the indices (and of the updates / gathered output); slots past `rank` are 1.
    pub idx_shape: [usize; 8],
    /// Row-major strides of the data; slots past `rank` are 0.
    pub data_strides: [usize; 8],
    /// The indexed axis.
    pub axis: usize,
    /// Length of the data along `axis`.
    pub axis_len: usize,
    /// Number of indices.
    pub len: usize,
}

/// Calls `f(position, data offset)` for every index position whose index is in range.
#[inline(always)]
pub fn each_element<I: Copy + Into<i64>, F: FnMut(usize, usize)>(p: &ElementsParams, indices: &[I], mut f: F) {
    let r = p.rank.min(8);
    let (Some(shape), Some(strides)) = (p.idx_shape.get(..r), p.data_strides.get(..r)) else {
        return;
    };
    let axis_stride = strides.get(p.axis).copied().unwrap_or(0);
    let mut idx = [0usize; 8];
    let Some(idx) = idx.get_mut(..r) else {
        return;
    };
    for (pos, &ix) in indices.iter().enumerate().take(p.len) {
        let mut off = 0usize;
        for (d, (&i, &s)) in idx.iter().zip(strides).enumerate() {
            if d != p.axis {
                off += i * s;
            }
        }
        let a = axis_index(ix, p.axis_len);
        super::shape::next_index(idx, shape);
        if let Some(a) = a {
            f(pos, off + a * axis_stride);
        }
    }
}

/// ONNX GatherElements.
#[inline(always)]
pub fn gather_elements<T: Copy + Default, I: Copy + Into<i64>>(
    p: &ElementsParams,
    x: &[T],
    indices: &[I],
    y: &mut [T],
) {
    y.fill(T::default());
    each_element(p, indices, |pos, off| {
        if let (Some(o), Some(&v)) = (y.get_mut(pos), x.get(off)) {
            *o = v;
        }
    });
}

/// ONNX ScatterElements (and Scatter) without reduction: `y = data`, then each update
/// replaces its element.
#[inline(always)]
pub fn scatter_elements<T: Copy, I: Copy + Into<i64>>(
    p: &ElementsParams,
    data: &[T],
    indices: &[I],
    updates: &[T],
    y: &mut [T],
) {
    super::movement::copy(data, y);
    each_element(p, indices, |pos, off| {
        if let (Some(o), Some(&u)) = (y.get_mut(off), updates.get(pos)) {
            *o = u;
        }
    });
}

/// ONNX ScatterElements with a reduction.
#[inline(always)]
pub fn scatter_elements_reduce<T: Number, I: Copy + Into<i64>>(
    p: &ElementsParams,
    r: ScatterReduction,
    data: &[T],
    indices: &[I],
    updates: &[T],
    y: &mut [T],
) {
    super::movement::copy(data, y);
    each_element(p, indices, |pos, off| {
        if let (Some(o), Some(&u)) = (y.get_mut(off), updates.get(pos)) {
            *o = combine(r, *o, u);
        }
    });
}

/// GatherND / ScatterND: data seen as `[batch, indexed dims…, inner]`, indices as
/// `[batch, tuples, k]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NdParams {
    /// Product of the batch dims.
    pub batch: usize,
    /// Index tuples per batch entry.
    pub tuples: usize,
    /// Length of each index tuple (at most 8).
    pub k: usize,
    /// The data dims an index tuple addresses; slots past `k` are 1.
    pub dims: [usize; 8],
    /// Data element strides of those dims; slots past `k` are 0.
    pub strides: [usize; 8],
    /// Data elements per batch entry.
    pub batch_stride: usize,
    /// Elements of one addressed slice.
    pub inner: usize,
}

/// Calls `f(slice number, data offset)` for each index tuple that is in range.
#[inline(always)]
pub fn each_tuple<I: Copy + Into<i64>, F: FnMut(usize, usize)>(p: &NdParams, indices: &[I], mut f: F) {
    let k = p.k.min(8);
    let (Some(dims), Some(strides)) = (p.dims.get(..k), p.strides.get(..k)) else {
        return;
    };
    if k == 0 {
        for n in 0..p.batch * p.tuples {
            f(n, (n / p.tuples.max(1)) * p.batch_stride);
        }
        return;
    }
    for (n, tuple) in indices.chunks_exact(k).enumerate().take(p.batch * p.tuples) {
        let b = n / p.tuples.max(1);
        let mut off = b * p.batch_stride;
        let mut ok = true;
        for ((&ix, &d), &s) in tuple.iter().zip(dims).zip(strides) {
            match axis_index(ix, d) {
                Some(i) => off += i * s,
                None => ok = false,
            }
        }
        if ok {
            f(n, off);
        }
    }
}

/// ONNX GatherND.
#[inline(always)]
pub fn gather_nd<T: Copy + Default, I: Copy + Into<i64>>(p: &NdParams, x: &[T], indices: &[I], y: &mut [T]) {
    let n = p.inner;
    y.fill(T::default());
    if n == 0 {
        return;
    }
    each_tuple(p, indices, |s, off| {
        if let (Some(dst), Some(src)) = (y.get_mut(s * n..s * n + n), x.get(off..off + n)) {
            dst.copy_from_slice(src);
        }
    });
}

/// ONNX ScatterND without reduction.
#[inline(always)]
pub fn scatter_nd<T: Copy, I: Copy + Into<i64>>(p: &NdParams, data: &[T], indices: &[I], updates: &[T], y: &mut [T]) {
    let n = p.inner;
    super::movement::copy(data, y);
    each_tuple(p, indices, |s, off| {
        if let (Some(dst), Some(src)) = (y.get_mut(off..off + n), updates.get(s * n..s * n + n)) {
            dst.copy_from_slice(src);
        }
    });
}

/// ONNX ScatterND with a reduction.
#[inline(always)]
pub fn scatter_nd_reduce<T: Number, I: Copy + Into<i64>>(
    p: &NdParams,
    r: ScatterReduction,
    data: &[T],
    indices: &[I],
    updates: &[T],
    y: &mut [T],
) {
    let n = p.inner;
    super::movement::copy(data, y);
    each_tuple(p, indices, |s, off| {
        if let (Some(dst), Some(src)) = (y.get_mut(off..off + n), updates.get(s * n..s * n + n)) {
            for (o, &u) in dst.iter_mut().zip(src) {
                *o = combine(r, *o, u);
            }
        }
    });
}

/// A tensor seen as `[outer, axis_len, inner]` around one axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AxisParams {
    /// Product of the dims before the axis.
    pub outer: usize,
    /// Length of the axis.
    pub axis_len: usize,
    /// Product of the dims after the axis.
    pub inner: usize,
}

/// TopK along an axis: input `[outer, axis_len, inner]`, outputs `[outer, k, inner]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TopKParams {
    /// The input around the axis.
    pub axis: AxisParams,
    /// Number of elements kept per lane.
    pub k: usize,
    /// Keep the largest (else the smallest).
    pub largest: bool,
}

/// ONNX TopK (sorted; equal values keep the lower index first; NaN counts as largest).
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn topk<T: Number>(p: &TopKParams, x: &[T], values: &mut [T], indices: &mut [i64]) {
    let AxisParams { outer, axis_len: n, inner } = p.axis;
    let k = p.k.min(n);
    // `v` goes before `b`: strictly better (NaN is the largest value).
    let before = |v: T, b: T| {
        if p.largest {
            (v != v && b == b) || v > b
        } else {
            (b != b && v == v) || v < b
        }
    };
    for o in 0..outer {
        for i in 0..inner {
            let at = |j: usize| o * p.k * inner + j * inner + i;
            let mut count = 0usize;
            for a in 0..n {
                let Some(&v) = x.get(o * n * inner + a * inner + i) else {
                    return;
                };
                let mut pos = count;
                while pos > 0 && values.get(at(pos - 1)).is_some_and(|&b| before(v, b)) {
                    pos -= 1;
                }
                if pos >= k {
                    continue;
                }
                let last = if count < k { count } else { k - 1 };
                let mut j = last;
                while j > pos {
                    let prev = (values.get(at(j - 1)).copied(), indices.get(at(j - 1)).copied());
                    if let (Some(pv), Some(pi)) = prev {
                        if let Some(d) = values.get_mut(at(j)) {
                            *d = pv;
                        }
                        if let Some(d) = indices.get_mut(at(j)) {
                            *d = pi;
                        }
                    }
                    j -= 1;
                }
                if let Some(d) = values.get_mut(at(pos)) {
                    *d = v;
                }
                if let Some(d) = indices.get_mut(at(pos)) {
                    *d = a as i64;
                }
                if count < k {
                    count += 1;
                }
            }
        }
    }
}

/// CumSum: the tensor's shape (the axis is an input, read at run time).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CumSumParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// The tensor's shape; slots past `rank` are 1.
    pub shape: [usize; 8],
    /// Each output excludes its own element.
    pub exclusive: bool,
    /// Sum from the end of the axis.
    pub reverse: bool,
    /// Multiply instead of add (CumProd).
    pub product: bool,
}

/// `shape[..rank]` seen around `axis` (negative counts from the end); `None` if out of range.
#[inline(always)]
pub fn around_axis(shape: &[usize; 8], rank: usize, axis: i64) -> Option<AxisParams> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if a < 0 || a >= rank as i64 {
        return None;
    }
    let a = a as usize;
    Some(AxisParams {
        outer: super::shape::numel(shape.get(..a)?),
        axis_len: *shape.get(a)?,
        inner: super::shape::numel(shape.get(a + 1..rank)?),
    })
}

/// ONNX CumSum (or CumProd) along the axis given by the one-element `axis` input.
#[inline(always)]
pub fn cumsum<T: Number, I: Copy + Into<i64>>(p: &CumSumParams, x: &[T], axis: &[I], y: &mut [T]) {
    let Some(&a) = axis.first() else {
        return;
    };
    let Some(AxisParams { outer, axis_len: n, inner }) = around_axis(&p.shape, p.rank, a.into()) else {
        return;
    };
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = if p.product { T::one() } else { T::zero() };
            for step in 0..n {
                let a = if p.reverse { n - 1 - step } else { step };
                let off = o * n * inner + a * inner + i;
                let Some(&v) = x.get(off) else {
                    return;
                };
                let before = acc;
                acc = if p.product { acc.mul(v) } else { acc.add(v) };
                if let Some(d) = y.get_mut(off) {
                    *d = if p.exclusive { before } else { acc };
                }
            }
        }
    }
}

/// Trilu: a batch of `rows × cols` matrices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TriluParams {
    /// Number of matrices.
    pub batch: usize,
    pub rows: usize,
    pub cols: usize,
    /// Keep the upper triangle (else the lower).
    pub upper: bool,
}

/// ONNX Trilu: elements outside the kept triangle become zero (`T::default()`). The diagonal
/// offset `k` is an optional one-element input (default 0).
#[inline(always)]
pub fn trilu<T: Copy + Default>(p: &TriluParams, x: &[T], k: Option<&[i64]>, y: &mut [T]) {
    if p.cols == 0 {
        return;
    }
    let k = match k {
        Some(k) => match k.first() {
            Some(&k) => k,
            None => return,
        },
        None => 0,
    };
    let len = p.batch * p.rows * p.cols;
    for (n, (o, &v)) in y.iter_mut().zip(x).take(len).enumerate() {
        let r = ((n / p.cols) % p.rows.max(1)) as i64;
        let c = (n % p.cols) as i64;
        let keep = if p.upper { c.saturating_sub(r) >= k } else { c.saturating_sub(r) <= k };
        *o = if keep { v } else { T::default() };
    }
}

/// ONNX OneHot: indices seen as `[outer, inner]`, output `[outer, depth, inner]`;
/// `values` is `[off, on]`.
#[inline(always)]
pub fn one_hot<I: Number, T: Copy>(p: &AxisParams, indices: &[I], values: &[T], y: &mut [T]) {
    let (Some(&off), Some(&on)) = (values.first(), values.get(1)) else {
        return;
    };
    let (depth, inner) = (p.axis_len, p.inner);
    y.fill(off);
    for (n, &ix) in indices.iter().enumerate().take(p.outer * inner) {
        let v = ix.to_f32();
        if v.is_nan() {
            continue;
        }
        let Some(i) = axis_index(v as i64, depth) else {
            continue;
        };
        let (o, rest) = (n / inner.max(1), n % inner.max(1));
        if let Some(d) = y.get_mut(o * depth * inner + i * inner + rest) {
            *d = on;
        }
    }
}

/// ONNX Hardmax: 1 at the first maximum of each lane along the axis, 0 elsewhere.
#[inline(always)]
pub fn hardmax<T: Number>(p: &AxisParams, x: &[T], y: &mut [T]) {
    let AxisParams { outer, axis_len: n, inner } = *p;
    y.fill(T::zero());
    for o in 0..outer {
        for i in 0..inner {
            let base = o * n * inner + i;
            let mut best: Option<(usize, T)> = None;
            for a in 0..n {
                if let Some(&v) = x.get(base + a * inner) {
                    if best.is_none_or(|(_, b)| v > b) {
                        best = Some((a, v));
                    }
                }
            }
            if let Some((a, _)) = best {
                if let Some(d) = y.get_mut(base + a * inner) {
                    *d = T::one();
                }
            }
        }
    }
}

/// ONNX Range: `y[i] = start + i * delta` (the length comes from `y`).
#[inline(always)]
pub fn range<T: Number>(start: &[T], delta: &[T], y: &mut [T]) {
    let (Some(&s), Some(&d)) = (start.first(), delta.first()) else {
        return;
    };
    for (i, o) in y.iter_mut().enumerate() {
        *o = s.add(T::from_usize(i).mul(d));
    }
}

/// ONNX Compress: keeps the entries of the axis whose condition is true (the condition may be
/// shorter than the axis: missing entries are false).
#[inline(always)]
pub fn compress<T: Copy>(p: &AxisParams, x: &[T], cond: &[u8], y: &mut [T]) {
    let AxisParams { outer, axis_len: n, inner } = *p;
    let mut out = y.chunks_exact_mut(inner.max(1));
    if inner == 0 {
        return;
    }
    for o in 0..outer {
        for (a, &c) in cond.iter().enumerate().take(n) {
            if c == 0 {
                continue;
            }
            let Some(dst) = out.next() else { return };
            let start = (o * n + a) * inner;
            if let Some(src) = x.get(start..start + inner) {
                dst.copy_from_slice(src);
            }
        }
    }
}

/// ReverseSequence: the tensor seen as `[outer, d0, mid, d1, inner]` where `d0`/`d1` are the
/// batch and time axes in whichever order they come.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverseSequenceParams {
    /// Data dims, row-major; slots past `rank` are 1.
    pub shape: [usize; 8],
    pub rank: usize,
    pub batch_axis: usize,
    pub time_axis: usize,
    /// Number of elements.
    pub len: usize,
}

/// ONNX ReverseSequence: reverses the first `seq_lens[b]` time steps of every batch entry.
#[inline(always)]
pub fn reverse_sequence<T: Copy>(p: &ReverseSequenceParams, x: &[T], seq_lens: &[i64], y: &mut [T]) {
    let r = p.rank.min(8);
    let Some(shape) = p.shape.get(..r) else {
        return;
    };
    let mut strides = [0usize; 8];
    super::shape::strides(shape, &mut strides);
    let st = strides.get(p.time_axis).copied().unwrap_or(0);
    let mut idx = [0usize; 8];
    let Some(idx) = idx.get_mut(..r) else {
        return;
    };
    for (n, o) in y.iter_mut().enumerate().take(p.len) {
        let b = idx.get(p.batch_axis).copied().unwrap_or(0);
        let t = idx.get(p.time_axis).copied().unwrap_or(0);
        super::shape::next_index(idx, shape);
        let steps = shape.get(p.time_axis).copied().unwrap_or(0) as i64;
        let l = seq_lens.get(b).copied().unwrap_or(0).clamp(0, steps) as usize;
        let src = if t < l { n - t * st + (l - 1 - t) * st } else { n };
        if let Some(&v) = x.get(src) {
            *o = v;
        }
    }
}

/// How Sum/Max/Min/Mean of many inputs fold each input into the output.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Accumulate {
    Sum,
    Max,
    Min,
}

impl core::fmt::Debug for Accumulate {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Accumulate::Sum => "Accumulate::Sum",
            Accumulate::Max => "Accumulate::Max",
            Accumulate::Min => "Accumulate::Min",
        })
    }
}

/// `y[i] = op(y[i], x[broadcast i])` for an input `x` broadcast to `y` by `p`.
#[inline(always)]
pub fn accumulate<T: Number>(op: Accumulate, p: &super::movement::ExpandParams, x: &[T], y: &mut [T]) {
    let r = p.rank.min(8);
    let (Some(shape), Some(strides)) = (p.out_shape.get(..r), p.in_strides.get(..r)) else {
        return;
    };
    let mut idx = [0usize; 8];
    let Some(idx) = idx.get_mut(..r) else {
        return;
    };
    for o in y.iter_mut().take(p.len) {
        let off = super::shape::offset(idx, strides);
        super::shape::next_index(idx, shape);
        if let Some(&v) = x.get(off) {
            *o = match op {
                Accumulate::Sum => o.add(v),
                Accumulate::Max => o.max(v),
                Accumulate::Min => o.min(v),
            };
        }
    }
}

/// `y[i] /= n` (Mean after summing `n` inputs).
#[inline(always)]
pub fn divide_by<T: Number>(n: usize, y: &mut [T]) {
    let d = T::from_usize(n);
    for o in y.iter_mut() {
        *o = o.div(d);
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
