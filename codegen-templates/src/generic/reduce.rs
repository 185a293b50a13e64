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
            p.reduced[a as usize] = true;
        }
        for (d, &n) in in_shape.iter().enumerate() {
            if axes.is_empty() {
                p.reduced[d] = true;
            }
            p.in_shape[d] = n;
            if p.reduced[d] {
                p.reduce_len *= n;
            } else {
                p.out_shape[d] = n;
                p.out_len *= n;
            }
        }
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
    super::shape::strides(&p.in_shape[..r], &mut in_strides);
    let mut shape = [1usize; 8];
    let mut strides = [0usize; 8];
    let mut k = 0usize;
    for ((&n, &red), &st) in p.in_shape.iter().zip(&p.reduced).zip(&in_strides).take(r) {
        if !red || n == 1 {
            continue;
        }
        if k > 0 && strides[k - 1] == st * n {
            shape[k - 1] *= n;
            strides[k - 1] = st;
        } else {
            shape[k] = n;
            strides[k] = st;
            k += 1;
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
    let n = shape[k - 1];
    let s = strides[k - 1];
    let mut acc = init;
    let mut idx = [0usize; 8];
    loop {
        let off = base + super::shape::offset(&idx[..k - 1], &strides[..k - 1]);
        if s == 1 {
            if let Some(src) = x.get(off..off + n) {
                acc = combine(acc, fold_slice(src, init, map, combine));
            }
        } else if let Some(src) = x.get(off..) {
            for &v in src.iter().step_by(s.max(1)).take(n) {
                acc = combine(acc, map(v));
            }
        }
        if !super::shape::next_index(&mut idx[..k - 1], &shape[..k - 1]) {
            return acc;
        }
    }
}

/// Writes `y[o] = g(base)` for every output element, `base` being the input offset of its
/// first reduced element.
#[inline(always)]
pub fn reduce_each<T, G: FnMut(usize) -> T>(p: &ReduceParams, y: &mut [T], mut g: G) {
    let r = p.rank.min(8);
    let mut in_strides = [0usize; 8];
    super::shape::strides(&p.in_shape[..r], &mut in_strides);
    let mut kept = [1usize; 8];
    for ((k, &n), &red) in kept.iter_mut().zip(&p.in_shape).zip(&p.reduced).take(r) {
        if !red {
            *k = n;
        }
    }
    let mut idx = [0usize; 8];
    for o in y.iter_mut().take(p.out_len) {
        *o = g(super::shape::offset(&idx[..r], &in_strides[..r]));
        super::shape::next_index(&mut idx[..r], &kept[..r]);
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
    let y = &mut y[..out_len];
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
    for d in 0..r {
        let n = p.in_shape[d];
        if n == 1 {
            continue;
        }
        if p.reduced[d] {
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
    if block && inner == 1 {
        for (o, chunk) in y.iter_mut().zip(x.chunks_exact(red)) {
            *o = finish(fold_slice(chunk, init, &map, &combine));
        }
    } else if block {
        for (acc, xs) in y
            .chunks_exact_mut(inner)
            .zip(x.chunks_exact(red * inner))
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
pub fn reduce<T: super::elementwise::Number>(op: ReduceOp, p: &ReduceParams, x: &[T], y: &mut [T]) {
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
            let y = &mut y[..out_len];
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
            outer: super::shape::numel(&shape[..a]),
            axis_len: shape[a],
            inner: super::shape::numel(&shape[a + 1..]),
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
    for (yo, xo) in y
        .chunks_exact_mut(inner)
        .zip(x.chunks_exact(n * inner))
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
pub fn argmax<T: super::elementwise::Number>(p: &ArgParams, x: &[T], y: &mut [i64]) {
    if p.select_last {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v >= b));
    } else {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v > b));
    }
}

/// ONNX ArgMin (the first NaN counts as the minimum).
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn argmin<T: super::elementwise::Number>(p: &ArgParams, x: &[T], y: &mut [i64]) {
    if p.select_last {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v <= b));
    } else {
        arg_search(p, x, y, |v: T, b: T| b == b && (v != v || v < b));
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Naive reduction in f64: groups input elements by their keepdims output index.
    fn naive(shape: &[usize], axes: &[usize], x: &[f32], op: ReduceOp) -> Vec<f32> {
        let out: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
            .collect();
        let out_len: usize = out.iter().product();
        let mut groups: Vec<Vec<f64>> = std::vec![Vec::new(); out_len];
        for (i, &v) in x.iter().enumerate() {
            let mut rem = i;
            let mut o = 0;
            let mut mul = 1;
            for d in (0..shape.len()).rev() {
                let k = rem % shape[d];
                rem /= shape[d];
                if !axes.contains(&d) {
                    o += k * mul;
                }
                mul *= out[d];
            }
            groups[o].push(v as f64);
        }
        groups
            .iter()
            .map(|g| {
                let sum: f64 = g.iter().sum();
                (match op {
                    ReduceOp::Sum => sum,
                    ReduceOp::Mean => sum / g.len() as f64,
                    ReduceOp::Max => g.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                    ReduceOp::Min => g.iter().cloned().fold(f64::INFINITY, f64::min),
                    ReduceOp::Prod => g.iter().product(),
                    ReduceOp::L1 => g.iter().map(|v| v.abs()).sum(),
                    ReduceOp::L2 => g.iter().map(|v| v * v).sum::<f64>().sqrt(),
                    ReduceOp::LogSum => sum.ln(),
                    ReduceOp::LogSumExp => g.iter().map(|v| v.exp()).sum::<f64>().ln(),
                    ReduceOp::SumSquare => g.iter().map(|v| v * v).sum(),
                }) as f32
            })
            .collect()
    }

    const OPS: [ReduceOp; 10] = [
        ReduceOp::Sum,
        ReduceOp::Mean,
        ReduceOp::Max,
        ReduceOp::Min,
        ReduceOp::Prod,
        ReduceOp::L1,
        ReduceOp::L2,
        ReduceOp::LogSum,
        ReduceOp::LogSumExp,
        ReduceOp::SumSquare,
    ];

    #[test]
    fn matches_naive() {
        let cases: &[(&[usize], &[usize])] = &[
            (&[17], &[0]),
            (&[1], &[0]),
            (&[3, 7], &[1]),
            (&[3, 7], &[0]),
            (&[3, 7], &[0, 1]),
            (&[2, 3, 7], &[1]),
            (&[2, 3, 7], &[0, 2]),
            (&[2, 3, 5, 7], &[1, 3]),
            (&[2, 3, 5, 7], &[2, 3]),
            (&[2, 1, 5, 1, 3], &[1, 2, 3]),
            (&[3, 1, 7], &[1]),
            (&[3, 17, 1], &[1, 2]),
            (&[], &[]),
        ];
        for &(shape, axes) in cases {
            let n: usize = shape.iter().product();
            // Positive data keeps LogSum defined; values near 1 keep Prod in range.
            let x: Vec<f32> = (0..n).map(|i| 0.6 + ((i * 7) % 11) as f32 * 0.07).collect();
            let ax: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
            let p = if shape.is_empty() {
                ReduceParams::new(shape, &[]).unwrap_or_else(|| panic!())
            } else {
                ReduceParams::new(shape, &ax).unwrap_or_else(|| panic!())
            };
            for op in OPS {
                let want = naive(shape, axes, &x, op);
                assert_eq!(p.out_len, want.len());
                let mut y = std::vec![f32::NAN; want.len()];
                reduce_f32(op, &p, &x, &mut y);
                for (g, w) in y.iter().zip(&want) {
                    assert!(
                        (g - w).abs() <= 1e-4 * w.abs().max(1.0),
                        "{op:?} {shape:?} {axes:?}: {y:?} vs {want:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn negative_axes_and_all_axes() {
        let p = ReduceParams::new(&[3, 7], &[-1]).unwrap_or_else(|| panic!());
        assert_eq!(
            (p.reduced, p.out_len, p.reduce_len),
            (
                [false, true, false, false, false, false, false, false],
                3,
                7
            )
        );
        let p = ReduceParams::new(&[3, 7], &[]).unwrap_or_else(|| panic!());
        assert_eq!((p.out_len, p.reduce_len), (1, 21));
        assert!(ReduceParams::new(&[3, 7], &[2]).is_none());
    }

    #[test]
    fn empty_reductions_give_identities() {
        let p = ReduceParams::new(&[3, 0], &[1]).unwrap_or_else(|| panic!());
        let mut y = [7.0f32; 3];
        let cases = [
            (ReduceOp::Sum, 0.0),
            (ReduceOp::Prod, 1.0),
            (ReduceOp::Max, f32::NEG_INFINITY),
            (ReduceOp::Min, f32::INFINITY),
            (ReduceOp::L1, 0.0),
            (ReduceOp::L2, 0.0),
            (ReduceOp::SumSquare, 0.0),
            (ReduceOp::LogSum, f32::NEG_INFINITY),
            (ReduceOp::LogSumExp, f32::NEG_INFINITY),
        ];
        for (op, want) in cases {
            reduce_f32(op, &p, &[], &mut y);
            assert_eq!(y, [want; 3], "{op:?}");
        }
        let mut yi = [7i32; 3];
        reduce(ReduceOp::Max, &p, &[], &mut yi);
        assert_eq!(yi, [i32::MIN; 3]);
        reduce(ReduceOp::Min, &p, &[], &mut yi);
        assert_eq!(yi, [i32::MAX; 3]);
        // Nothing to write when the output is empty.
        let p = ReduceParams::new(&[0, 3], &[1]).unwrap_or_else(|| panic!());
        reduce_f32(ReduceOp::Sum, &p, &[], &mut []);
    }

    #[test]
    fn integers_and_special_values() {
        let p = ReduceParams::new(&[2, 3], &[1]).unwrap_or_else(|| panic!());
        let x = [1i64, -2, 7, 4, 5, 6];
        let mut y = [0i64; 2];
        reduce(ReduceOp::Sum, &p, &x, &mut y);
        assert_eq!(y, [6, 15]);
        reduce(ReduceOp::Mean, &p, &x, &mut y);
        assert_eq!(y, [2, 5]);
        reduce(ReduceOp::Prod, &p, &x, &mut y);
        assert_eq!(y, [-14, 120]);
        reduce(ReduceOp::Min, &p, &x, &mut y);
        assert_eq!(y, [-2, 4]);
        reduce(ReduceOp::L1, &p, &x, &mut y);
        assert_eq!(y, [10, 15]);
        reduce(ReduceOp::L2, &p, &[3i64, 0, 4, 1, 0, 0], &mut y);
        assert_eq!(y, [5, 1]);
        let mut yu = [0u8; 2];
        reduce(ReduceOp::Sum, &p, &[200u8, 100, 1, 1, 2, 3], &mut yu);
        assert_eq!(yu, [45, 6]);
        // NaN propagates through Max; LogSumExp is stable for large inputs.
        let mut yf = [0.0f32; 2];
        reduce_f32(
            ReduceOp::Max,
            &p,
            &[1.0, f32::NAN, 3.0, 1.0, 2.0, 3.0],
            &mut yf,
        );
        assert!(yf[0].is_nan() && yf[1] == 3.0);
        reduce_f32(
            ReduceOp::LogSumExp,
            &p,
            &[
                1000.0,
                1000.0,
                1000.0,
                f32::NEG_INFINITY,
                0.0,
                f32::INFINITY,
            ],
            &mut yf,
        );
        assert!((yf[0] - (1000.0 + 3.0f32.ln())).abs() < 1e-3, "{yf:?}");
        assert_eq!(yf[1], f32::INFINITY);
    }

    #[test]
    fn argmax_argmin() {
        // Spec example: [[2, 1], [3, 10]].
        let x = [2.0f32, 1.0, 3.0, 10.0];
        let mut y = [9i64; 2];
        argmax(
            &ArgParams::new(&[2, 2], 0, false).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [1, 1]);
        argmax(
            &ArgParams::new(&[2, 2], -1, false).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [0, 1]);
        argmin(
            &ArgParams::new(&[2, 2], 1, false).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [1, 0]);
        // select_last_index example: [[2, 2], [3, 10]].
        let x = [2i32, 2, 3, 10];
        argmax(
            &ArgParams::new(&[2, 2], 1, true).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [1, 1]);
        argmax(
            &ArgParams::new(&[2, 2], 1, false).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [0, 1]);
        argmin(
            &ArgParams::new(&[2, 2], 1, true).unwrap_or_else(|| panic!()),
            &x,
            &mut y,
        );
        assert_eq!(y, [1, 0]);
        // Middle axis of [3, 7, 17] against a naive search.
        let shape = [3usize, 7, 17];
        let x: Vec<i16> = (0..357).map(|i| ((i * 37 + 11) % 23) as i16 - 11).collect();
        let p = ArgParams::new(&shape, 1, false).unwrap_or_else(|| panic!());
        let mut y = std::vec![0i64; 51];
        argmax(&p, &x, &mut y);
        let mut y2 = std::vec![0i64; 51];
        argmin(&p, &x, &mut y2);
        for o in 0..3 {
            for i in 0..17 {
                let col: Vec<i16> = (0..7).map(|k| x[(o * 7 + k) * 17 + i]).collect();
                let mx = *col.iter().max().unwrap_or(&0);
                let mn = *col.iter().min().unwrap_or(&0);
                assert_eq!(
                    y[o * 17 + i],
                    col.iter().position(|&v| v == mx).unwrap_or(9) as i64
                );
                assert_eq!(
                    y2[o * 17 + i],
                    col.iter().position(|&v| v == mn).unwrap_or(9) as i64
                );
            }
        }
        // NaN wins.
        let mut y = [0i64; 1];
        argmax(
            &ArgParams::new(&[3], 0, false).unwrap_or_else(|| panic!()),
            &[1.0f32, f32::NAN, 5.0],
            &mut y,
        );
        assert_eq!(y, [1]);
    }

    #[test]
    fn debug_is_rust_expression() {
        let p = ReduceParams::new(&[3], &[0]).unwrap_or_else(|| panic!());
        let s = std::format!("{p:?} {:?}", ReduceOp::LogSumExp);
        assert!(
            s.starts_with("ReduceParams { rank: 1, out_shape: [1, 1"),
            "{s}"
        );
        assert!(s.contains("reduced: [true, false"), "{s}");
        assert!(s.ends_with("reduce_len: 3 } ReduceOp::LogSumExp"), "{s}");
    }
}
