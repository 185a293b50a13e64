//! ONNX Einsum as one contraction loop over the index space of all labels: the output labels
//! first (in output order), then the summed ones. Each operand advances by a fixed stride per
//! label (the sum of its strides when a label repeats in it, which walks a diagonal; 0 when the
//! label is absent or broadcast), so any equation the compiler parsed runs through one kernel.

use super::number::Number;
use super::real::{FloatKind, Real};

/// Most labels (distinct letters plus ellipsis dims) an equation may use.
pub const MAX_EINSUM_LABELS: usize = 16;
/// Most operands an Einsum may take.
pub const MAX_EINSUM_OPERANDS: usize = 8;

/// The index space of one Einsum.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EinsumParams {
    /// Number of operands (slices passed to the kernel).
    pub operands: usize,
    /// Number of labels: the first `out_labels` index the output (row-major), the rest are summed.
    pub labels: usize,
    pub out_labels: usize,
    /// Size of each label; slots past `labels` are 1.
    pub dims: [usize; MAX_EINSUM_LABELS],
    /// `strides[l][k]`: how far operand `k` moves when label `l` advances by one.
    pub strides: [[usize; MAX_EINSUM_OPERANDS]; MAX_EINSUM_LABELS],
    /// Number of elements of each operand (checked against the slices).
    pub lens: [usize; MAX_EINSUM_OPERANDS],
}

/// Advances the odometer over `labels[from..to]` (last fastest), moving the operand offsets.
#[inline(always)]
fn advance(p: &EinsumParams, idx: &mut [usize; MAX_EINSUM_LABELS], off: &mut [usize; MAX_EINSUM_OPERANDS], from: usize, to: usize) {
    let lanes = idx.iter_mut().zip(p.dims.iter()).zip(p.strides.iter()).take(to).skip(from).rev();
    for ((i, &d), s) in lanes {
        *i += 1;
        off.iter_mut().zip(s.iter()).for_each(|(o, &s)| *o += s);
        if *i < d {
            return;
        }
        *i = 0;
        off.iter_mut().zip(s.iter()).for_each(|(o, &s)| *o -= s * d);
    }
}

/// The contraction with loads, products and sums in an accumulator type `A`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn contract<T: Copy, A: Copy>(
    p: &EinsumParams,
    xs: &[&[T]],
    y: &mut [T],
    zero: A,
    one: A,
    load: impl Fn(T) -> A,
    mul: impl Fn(A, A) -> A,
    add: impl Fn(A, A) -> A,
    store: impl Fn(A) -> T,
) {
    if xs.len() != p.operands || p.operands > MAX_EINSUM_OPERANDS || p.labels > MAX_EINSUM_LABELS || p.out_labels > p.labels {
        return;
    }
    let out_len: usize = p.dims.iter().take(p.out_labels).product();
    let sum_len: usize = p.dims.iter().take(p.labels).skip(p.out_labels).product();
    if y.len() != out_len || xs.iter().zip(p.lens.iter()).any(|(x, &n)| x.len() != n) {
        return;
    }
    if sum_len == 0 {
        y.iter_mut().for_each(|v| *v = store(zero));
        return;
    }
    // Every operand has at least one element here (else sum_len or out_len would be 0).
    let mut idx = [0usize; MAX_EINSUM_LABELS];
    let mut off = [0usize; MAX_EINSUM_OPERANDS];
    for v in y.iter_mut() {
        let mut acc = zero;
        for _ in 0..sum_len {
            let mut prod = one;
            for (x, &o) in xs.iter().zip(off.iter()) {
                let Some(&e) = x.get(o) else {
                    return;
                };
                prod = mul(prod, load(e));
            }
            acc = add(acc, prod);
            advance(p, &mut idx, &mut off, p.out_labels, p.labels);
        }
        *v = store(acc);
        advance(p, &mut idx, &mut off, 0, p.out_labels);
    }
}

/// ONNX Einsum for numeric element types (accumulates in `T`).
#[inline(always)]
pub fn einsum<T: Number>(p: &EinsumParams, xs: &[&[T]], y: &mut [T]) {
    contract(p, xs, y, T::zero(), T::one(), |v| v, T::mul, T::add, |a| a);
}

/// ONNX Einsum for `f16`/`bf16` (`u16` bits of the given kind), accumulated in `f32`.
#[inline(always)]
pub fn einsum_half(p: &EinsumParams, kind: FloatKind, xs: &[&[u16]], y: &mut [u16]) {
    contract(p, xs, y, 0.0f32, 1.0f32, |v: u16| v.get(kind), |a, b| a * b, |a, b| a + b, |a| u16::put(a, kind));
}

#[cfg(test)]
#[path = "einsum_tests.rs"]
mod tests;
