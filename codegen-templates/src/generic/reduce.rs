//! Reductions (ReduceSum, ReduceMean, …, ReduceLogSumExp) and ArgMax/ArgMin.
//!
//! Empty reductions give the ONNX identity: 0 for sums, 1 for Prod, the lowest value (`-inf`)
//! for Max, the highest (`+inf`) for Min, `-inf` for LogSum/LogSumExp, NaN (0 for integers) for
//! Mean, whose result the spec leaves undefined.

/// Which reduction to compute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    /// Sum of the elements.
    Sum,
    /// Arithmetic mean (integers: truncating division of the wrapped sum).
    Mean,
    /// Largest element (NaN propagates).
    Max,
    /// Smallest element (NaN propagates).
    Min,
    /// Product of the elements.
    Prod,
    /// Sum of absolute values.
    L1,
    /// Square root of the sum of squares.
    L2,
    /// Natural log of the sum.
    LogSum,
    /// `ln(Σ exp(x))`, computed stably as `m + ln(Σ exp(x - m))` with `m` the maximum.
    LogSumExp,
    /// Sum of squares.
    SumSquare,
}

impl core::fmt::Debug for ReduceOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            ReduceOp::Sum => "ReduceOp::Sum",
            ReduceOp::Mean => "ReduceOp::Mean",
            ReduceOp::Max => "ReduceOp::Max",
            ReduceOp::Min => "ReduceOp::Min",
            ReduceOp::Prod => "ReduceOp::Prod",
            ReduceOp::L1 => "ReduceOp::L1",
            ReduceOp::L2 => "ReduceOp::L2",
            ReduceOp::LogSum => "ReduceOp::LogSum",
            ReduceOp::LogSumExp => "ReduceOp::LogSumExp",
            ReduceOp::SumSquare => "ReduceOp::SumSquare",
        })
    }
}

/// Shapes of a reduction; the output is written densely in keepdims order.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReduceParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Output shape in keepdims form (reduced dims are 1); slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Input shape; slots past `rank` are 1.
    pub in_shape: [usize; 8],
    /// Whether each dim is reduced.
    pub reduced: [bool; 8],
    /// Number of output elements.
    pub out_len: usize,
    /// Number of input elements folded into each output element.
    pub reduce_len: usize,
}

impl ReduceParams {
    /// Parameters reducing `in_shape` over `axes` (may be negative; empty means every dim —
    /// the caller handles `noop_with_empty_axes`); `None` on a bad axis.
    pub fn new(in_shape: &[usize], axes: &[i64]) -> Option<Self> {
        let rank = in_shape.len();
        if rank > 8 {
            return None;
        }
        let mut p = ReduceParams {
            rank,
            out_shape: [1; 8],
            in_shape: [1; 8],
            reduced: [false; 8],
            out_len: 1,
            reduce_len: 1,
        };
        for &a in axes {
            let a = if a < 0 { a + rank as i64 } else { a };
            if a < 0 || a >= rank as i64 {
                return None;
            }
            *p.reduced.get_mut(a as usize)? = true;
        }
        let (mut out_len, mut reduce_len) = (1usize, 1usize);
        let dims = p
            .in_shape
            .iter_mut()
            .zip(p.out_shape.iter_mut())
            .zip(p.reduced.iter_mut());
        for (((is, os), red), &n) in dims.zip(in_shape) {
            if axes.is_empty() {
                *red = true;
            }
            *is = n;
            if *red {
                reduce_len *= n;
            } else {
                *os = n;
                out_len *= n;
            }
        }
        p.out_len = out_len;
        p.reduce_len = reduce_len;
        Some(p)
    }
}

/// The reduced dims of `p` (size > 1, adjacent ones merged) as `(count, shape, input strides)`.
///
/// Always returns at least one dim (size 1, stride 0 when nothing is reduced).
#[inline(always)]
pub fn reduced_dims(p: &ReduceParams) -> (usize, [usize; 8], [usize; 8]) {
    let r = p.rank.min(8);
    let mut in_strides = [0usize; 8];
    super::shape::strides(p.in_shape.get(..r).unwrap_or(&[]), &mut in_strides);
    let mut shape = [1usize; 8];
    let mut strides = [0usize; 8];
    let mut k = 0usize;
    for ((&n, &red), &st) in p.in_shape.iter().zip(&p.reduced).zip(&in_strides).take(r) {
        if !red || n == 1 {
            continue;
        }
        let prev = k
            .checked_sub(1)
            .and_then(|j| Some((shape.get_mut(j)?, strides.get_mut(j)?)));
        match prev {
            Some((ps, pst)) if *pst == st * n => {
                *ps *= n;
                *pst = st;
            }
            _ => {
                if let (Some(ps), Some(pst)) = (shape.get_mut(k), strides.get_mut(k)) {
                    *ps = n;
                    *pst = st;
                    k += 1;
                }
            }
        }
    }
    (k.max(1), shape, strides)
}

/// Folds `combine(acc, map(v))` over a contiguous slice with 8 independent accumulators.
#[inline(always)]
pub fn fold_slice<T: Copy, A: Copy, M: Fn(T) -> A, C: Fn(A, A) -> A>(
    xs: &[T],
    init: A,
    map: &M,
    combine: &C,
) -> A {
    let mut lanes = [init; 8];
    let mut chunks = xs.chunks_exact(8);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l = combine(*l, map(v));
        }
    }
    let mut tail = init;
    for &v in chunks.remainder() {
        tail = combine(tail, map(v));
    }
    let l = lanes;
    let a = combine(combine(l[0], l[4]), combine(l[2], l[6]));
    let b = combine(combine(l[1], l[5]), combine(l[3], l[7]));
    combine(combine(a, b), tail)
}

/// Folds the reduced elements of one output, starting at input offset `base`.
///
/// `count`, `shape`, `strides` come from [`reduced_dims`].
#[inline(always)]
pub fn fold_at<T: Copy, A: Copy, M: Fn(T) -> A, C: Fn(A, A) -> A>(
    x: &[T],
    base: usize,
    dims: &(usize, [usize; 8], [usize; 8]),
    init: A,
    map: &M,
    combine: &C,
) -> A {
    let (count, shape, strides) = dims;
    let k = (*count).clamp(1, 8);
    let (Some(shape), Some(strides)) = (shape.get(..k), strides.get(..k)) else {
        return init;
    };
    let (Some((&n, outer)), Some((&s, st_outer))) = (shape.split_last(), strides.split_last())
    else {
        return init;
    };
    let mut acc = init;
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..outer.len()) else {
        return init;
    };
    loop {
        let off = base + super::shape::offset(idx, st_outer);
        if s == 1 {
            if let Some(src) = x.get(off..off + n) {
                acc = combine(acc, fold_slice(src, init, map, combine));
            }
        } else if let Some(src) = x.get(off..) {
            for &v in src.iter().step_by(s.max(1)).take(n) {
                acc = combine(acc, map(v));
            }
        }
        if !super::shape::next_index(idx, outer) {
            return acc;
        }
    }
}

/// Writes `y[o] = g(base)` for every output element, `base` being the input offset of its
/// first reduced element.
#[inline(always)]
pub fn reduce_each<T, G: FnMut(usize) -> T>(p: &ReduceParams, y: &mut [T], mut g: G) {
    let r = p.rank.min(8);
    let Some(in_shape) = p.in_shape.get(..r) else {
        return;
    };
    let mut in_strides = [0usize; 8];
    super::shape::strides(in_shape, &mut in_strides);
    let mut kept = [1usize; 8];
    for ((k, &n), &red) in kept.iter_mut().zip(in_shape).zip(&p.reduced) {
        if !red {
            *k = n;
        }
    }
    let mut idx_buf = [0usize; 8];
    let (Some(idx), Some(in_strides), Some(kept)) =
        (idx_buf.get_mut(..r), in_strides.get(..r), kept.get(..r))
    else {
        return;
    };
    for o in y.iter_mut().take(p.out_len) {
        *o = g(super::shape::offset(idx, in_strides));
        super::shape::next_index(idx, kept);
    }
}

/// Generic reduction engine: `y[o] = finish(fold(combine, init, map(x_i)))` over each output's
/// reduced elements.
///
/// Fast paths when the reduced dims form one block: contiguous chunks when nothing follows it
/// (e.g. the last axis), row-wise accumulation into `y` when kept dims follow it.
#[inline(always)]
pub fn reduce_fold<T: Copy, M: Fn(T) -> T, C: Fn(T, T) -> T, F: Fn(T) -> T>(
    p: &ReduceParams,
    x: &[T],
    y: &mut [T],
    init: T,
    map: M,
    combine: C,
    finish: F,
) {
    let r = p.rank.min(8);
    let out_len = p.out_len.min(y.len());
    let Some(y) = y.get_mut(..out_len) else {
        return;
    };
    if out_len == 0 {
        return;
    }
    if p.reduce_len == 0 {
        y.fill(finish(init));
        return;
    }
    // Layout as [outer, red, inner] if the reduced dims (ignoring size-1 dims) are one block.
    let (mut outer, mut red, mut inner) = (1usize, 1usize, 1usize);
    let mut phase = 0u8;
    let mut block = true;
    for (&n, &reduced) in p.in_shape.iter().zip(&p.reduced).take(r) {
        if n == 1 {
            continue;
        }
        if reduced {
            if phase == 2 {
                block = false;
                break;
            }
            phase = 1;
            red *= n;
        } else if phase == 0 {
            outer *= n;
        } else {
            phase = 2;
            inner *= n;
        }
    }
    let Some(red_inner) = red.checked_mul(inner).filter(|&b| b != 0) else {
        return; // inconsistent params (reduce_len != 0 but an empty dim)
    };
    if block && inner == 1 {
        for (o, chunk) in y.iter_mut().zip(x.chunks_exact(red)) {
            *o = finish(fold_slice(chunk, init, &map, &combine));
        }
    } else if block {
        for (acc, xs) in y
            .chunks_exact_mut(inner)
            .zip(x.chunks_exact(red_inner))
            .take(outer)
        {
            acc.fill(init);
            for row in xs.chunks_exact(inner) {
                for (a, &v) in acc.iter_mut().zip(row) {
                    *a = combine(*a, map(v));
                }
            }
            for a in acc.iter_mut() {
                *a = finish(*a);
            }
        }
    } else {
        let dims = reduced_dims(p);
        reduce_each(p, y, |base| {
            finish(fold_at(x, base, &dims, init, &map, &combine))
        });
    }
}

/// Reduction over any numeric dtype.
///
/// L2, LogSum and LogSumExp are evaluated in `f32` (through `Number::to_f32`) and converted
/// back, as ONNX backends do for integer inputs.
#[inline(always)]
pub fn reduce<T: super::number::Number>(op: ReduceOp, p: &ReduceParams, x: &[T], y: &mut [T]) {
    let id = |v: T| v;
    match op {
        ReduceOp::Sum => reduce_fold(p, x, y, T::zero(), id, T::add, id),
        ReduceOp::Mean => {
            let n = T::from_usize(p.reduce_len);
            reduce_fold(p, x, y, T::zero(), id, T::add, |s: T| s.div(n))
        }
        ReduceOp::Max => reduce_fold(p, x, y, T::lowest(), id, T::max, id),
        ReduceOp::Min => reduce_fold(p, x, y, T::highest(), id, T::min, id),
        ReduceOp::Prod => reduce_fold(p, x, y, T::one(), id, T::mul, id),
        ReduceOp::L1 => reduce_fold(p, x, y, T::zero(), T::abs, T::add, id),
        ReduceOp::L2 => reduce_fold(
            p,
            x,
            y,
            T::zero(),
            |v: T| v.mul(v),
            T::add,
            |s: T| T::from_f32(crate::rt::math::sqrt(s.to_f32())),
        ),
        ReduceOp::LogSum => reduce_fold(p, x, y, T::zero(), id, T::add, |s: T| {
            T::from_f32(crate::rt::math::ln(s.to_f32()))
        }),
        ReduceOp::SumSquare => reduce_fold(p, x, y, T::zero(), |v: T| v.mul(v), T::add, id),
        ReduceOp::LogSumExp => {
            let out_len = p.out_len.min(y.len());
            let Some(y) = y.get_mut(..out_len) else {
                return;
            };
            if p.reduce_len == 0 {
                y.fill(T::from_f32(f32::NEG_INFINITY));
                return;
            }
            let dims = reduced_dims(p);
            reduce_each(p, y, |base| {
                let m = fold_at(x, base, &dims, T::lowest(), &id, &T::max).to_f32();
                if m.is_infinite() {
                    return T::from_f32(m);
                }
                let s = fold_at(
                    x,
                    base,
                    &dims,
                    0.0f32,
                    &|v: T| crate::rt::math::exp(v.to_f32() - m),
                    &|a: f32, b: f32| a + b,
                );
                T::from_f32(m + crate::rt::math::ln(s))
            });
        }
    }
}

/// Reduction of an `f32` tensor (every [`ReduceOp`]).
#[inline(always)]
pub fn reduce_f32(op: ReduceOp, p: &ReduceParams, x: &[f32], y: &mut [f32]) {
    reduce::<f32>(op, p, x, y);
}

/// ArgMax/ArgMin: data viewed as `[outer, axis_len, inner]`, output as `[outer, inner]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ArgParams {
    /// Product of the dims before the axis.
    pub outer: usize,
    /// Length of the searched axis.
    pub axis_len: usize,
    /// Product of the dims after the axis.
    pub inner: usize,
    /// On ties, return the last index instead of the first.
    pub select_last: bool,
}

impl ArgParams {
    /// Parameters searching `axis` (may be negative) of `shape`; `None` on a bad axis.
    pub fn new(shape: &[usize], axis: i64, select_last: bool) -> Option<Self> {
        let rank = shape.len() as i64;
        let a = if axis < 0 { axis + rank } else { axis };
        if a < 0 || a >= rank {
            return None;
        }
        let a = a as usize;
        Some(ArgParams {
            outer: super::shape::numel(shape.get(..a)?),
            axis_len: *shape.get(a)?,
            inner: super::shape::numel(shape.get(a + 1..)?),
            select_last,
        })
    }
}

/// Index search along the axis: `better(v, best)` says whether `v` replaces the current best.
#[inline(always)]
pub fn arg_search<T: Copy, B: Fn(T, T) -> bool>(p: &ArgParams, x: &[T], y: &mut [i64], better: B) {
    let (n, inner) = (p.axis_len, p.inner);
    if inner == 0 {
        return;
    }
    if n == 0 {
        y.iter_mut().take(p.outer * inner).for_each(|o| *o = 0);
        return;
    }
    let Some(block) = n.checked_mul(inner) else {
        return;
    };
    for (yo, xo) in y
        .chunks_exact_mut(inner)
        .zip(x.chunks_exact(block))
        .take(p.outer)
    {
        for (i, out) in yo.iter_mut().enumerate() {
            let mut it = xo.get(i..).unwrap_or(&[]).iter().step_by(inner);
            let Some(&first) = it.next() else { continue };
            let mut best = first;
            let mut at = 0usize;
            for (k, &v) in it.enumerate() {
                if better(v, best) {
                    best = v;
                    at = k + 1;
                }
            }
            *out = at as i64;
        }
    }
}

/// ONNX ArgMax (the first NaN counts as the maximum).
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn argmax<T: super::number::Number>(p: &ArgParams, x: &[T], y: &mut [i64]) {
    if p.select_last {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v >= b));
    } else {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v > b));
    }
}

/// ONNX ArgMin (the first NaN counts as the minimum).
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn argmin<T: super::number::Number>(p: &ArgParams, x: &[T], y: &mut [i64]) {
    if p.select_last {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v <= b));
    } else {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v < b));
    }
}

#[cfg(test)]
#[path = "reduce_tests.rs"]
mod tests;
