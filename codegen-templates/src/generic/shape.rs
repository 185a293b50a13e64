//! Shape helpers shared by the kernels: row-major strides, an N-d index odometer, broadcasting.
//!
//! Every parameter struct stores shapes in fixed `[usize; MAX_RANK]` arrays; only the first
//! `rank` entries are meaningful. Unused shape slots are 1 and unused stride slots are 0.

/// Largest tensor rank the kernels support.
pub const MAX_RANK: usize = 8;

/// Writes the row-major element strides of `shape` into `out[..shape.len()]`.
#[inline(always)]
pub fn strides(shape: &[usize], out: &mut [usize]) {
    let mut acc = 1usize;
    for (s, &n) in out.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.wrapping_mul(n);
    }
}

/// Number of elements of a tensor of this shape (1 for rank 0).
#[inline(always)]
pub fn numel(shape: &[usize]) -> usize {
    shape.iter().product()
}

/// Advances the row-major multi-index `index` within `shape`; returns `false` once it wraps to 0.
#[inline(always)]
pub fn next_index(index: &mut [usize], shape: &[usize]) -> bool {
    for (i, &n) in index.iter_mut().zip(shape).rev() {
        *i += 1;
        if *i < n {
            return true;
        }
        *i = 0;
    }
    false
}

/// Element offset of the multi-index `index` under `strides`.
#[inline(always)]
pub fn offset(index: &[usize], strides: &[usize]) -> usize {
    index
        .iter()
        .zip(strides)
        .map(|(&i, &s)| i.wrapping_mul(s))
        .fold(0, usize::wrapping_add)
}

/// Element offset of the multi-index `index` under signed `strides`.
#[inline(always)]
pub fn offset_signed(index: &[usize], strides: &[isize]) -> isize {
    index
        .iter()
        .zip(strides)
        .map(|(&i, &s)| (i as isize).wrapping_mul(s))
        .fold(0, isize::wrapping_add)
}

/// Copies `shape` into a fixed array padded with 1s; `None` if the rank exceeds [`MAX_RANK`].
#[inline(always)]
pub fn pack(shape: &[usize]) -> Option<[usize; MAX_RANK]> {
    if shape.len() > MAX_RANK {
        return None;
    }
    let mut out = [1usize; MAX_RANK];
    for (o, &n) in out.iter_mut().zip(shape) {
        *o = n;
    }
    Some(out)
}

/// Multidirectional (NumPy) broadcast of `a` and `b` into `out`; returns the rank, or `None`.
#[inline(always)]
pub fn broadcast_shape(a: &[usize], b: &[usize], out: &mut [usize; MAX_RANK]) -> Option<usize> {
    let rank = a.len().max(b.len());
    if rank > MAX_RANK {
        return None;
    }
    *out = [1; MAX_RANK];
    // Right-aligned: walk both shapes from the last dim, the shorter one padded with 1s.
    let ones = core::iter::repeat(&1usize);
    let dims = a
        .iter()
        .rev()
        .chain(ones.clone())
        .zip(b.iter().rev().chain(ones));
    for (o, (&da, &db)) in out.iter_mut().take(rank).rev().zip(dims) {
        *o = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(rank)
}

/// Strides of an input of shape `input` broadcast (right-aligned) to `output`: 0 on broadcast dims.
///
/// Writes `out[..output.len()]`; returns `false` if `input` does not broadcast to `output`.
#[inline(always)]
pub fn broadcast_strides(input: &[usize], output: &[usize], out: &mut [usize]) -> bool {
    if input.len() > output.len() || input.len() > MAX_RANK {
        return false;
    }
    let lead = output.len() - input.len();
    let Some((lead_out, tail_out)) = out
        .get_mut(..output.len())
        .and_then(|o| o.split_at_mut_checked(lead))
    else {
        return false;
    };
    let mut dense = [0usize; MAX_RANK];
    strides(input, &mut dense);
    lead_out.fill(0);
    let dims = input.iter().zip(output.iter().skip(lead)).zip(&dense);
    for (s, ((&n, &o), &ds)) in tail_out.iter_mut().zip(dims) {
        *s = if n == 1 {
            0
        } else if n == o {
            ds
        } else {
            return false;
        };
    }
    true
}

/// Merges adjacent dims that every operand walks contiguously, and drops size-1 dims.
///
/// `shape[..rank]` is the iteration shape and `strides[k][..rank]` the element strides of operand
/// `k`. Dims `d, d+1` merge when `strides[k][d] == strides[k][d+1] * shape[d+1]` for every
/// operand. Returns the new rank; unused slots are reset to shape 1 / stride 0.
#[inline(always)]
pub fn coalesce<const K: usize>(
    rank: usize,
    shape: &mut [usize; MAX_RANK],
    strides: &mut [[usize; MAX_RANK]; K],
) -> usize {
    let rank = rank.min(MAX_RANK);
    let sizes = *shape;
    if sizes.iter().take(rank).any(|&n| n == 0) {
        // Empty tensor: keep one dim of size 0 so that loops do nothing.
        *shape = [1; MAX_RANK];
        shape[0] = 0;
        *strides = [[0; MAX_RANK]; K];
        return 1;
    }
    // Bit `d` set: dim `d` merges into the last kept dim before it, i.e. for every operand the
    // stride of that dim is `stride[d] * shape[d]` (size-1 dims are dropped and do not count).
    let mut merge = u32::MAX;
    for row in strides.iter() {
        let mut outer: Option<usize> = None;
        for (d, (&n, &s)) in sizes.iter().zip(row).enumerate().take(rank) {
            if n == 1 {
                continue;
            }
            if outer != Some(s.wrapping_mul(n)) {
                merge &= !(1u32 << d);
            }
            outer = Some(s);
        }
    }
    let new_rank = compact(shape, &sizes, rank, merge, 1, |outer, n| outer * n);
    for row in strides.iter_mut() {
        // A merged dim is walked with the stride of its inner part.
        compact(row, &sizes, rank, merge, 0, |_, inner| inner);
    }
    new_rank
}

/// Rewrites `row[..rank]` for [`coalesce`]: drops the entries of size-1 dims, folds each entry
/// whose `merge` bit is set into the last kept one with `fold` (keeps it if there is none yet),
/// and fills the rest with `unused`.
/// Returns the number of kept entries.
#[inline(always)]
fn compact(
    row: &mut [usize; MAX_RANK],
    sizes: &[usize; MAX_RANK],
    rank: usize,
    merge: u32,
    unused: usize,
    fold: impl Fn(usize, usize) -> usize,
) -> usize {
    let src = *row;
    *row = [unused; MAX_RANK];
    let mut slots = row.iter_mut();
    let mut last: Option<&mut usize> = None;
    let mut kept = 0usize;
    for (d, (&v, &n)) in src.iter().zip(sizes).enumerate().take(rank) {
        if n == 1 {
            continue;
        }
        if merge & (1u32 << d) != 0 && last.is_some() {
            if let Some(l) = last.as_deref_mut() {
                *l = fold(*l, v);
            }
        } else {
            last = slots.next();
            if let Some(l) = last.as_deref_mut() {
                *l = v;
                kept += 1;
            }
        }
    }
    kept
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn strides_row_major() {
        let mut s = [0; 4];
        strides(&[2, 3, 5, 7], &mut s);
        assert_eq!(s, [105, 35, 7, 1]);
        let mut s0: [usize; 0] = [];
        strides(&[], &mut s0);
        let mut s1 = [0; 1];
        strides(&[17], &mut s1);
        assert_eq!(s1, [1]);
    }

    #[test]
    fn odometer_visits_all_in_order() {
        let shape = [2, 3, 1, 7];
        let mut idx = [0; 4];
        let mut seen = Vec::new();
        loop {
            seen.push(offset(&idx, &[21, 7, 7, 1]));
            if !next_index(&mut idx, &shape) {
                break;
            }
        }
        assert_eq!(seen, (0..42).collect::<Vec<_>>());
        assert_eq!(idx, [0; 4]);
        // Rank 0: one visit, then done.
        assert!(!next_index(&mut [], &[]));
    }

    #[test]
    fn broadcasting() {
        let mut out = [0; MAX_RANK];
        assert_eq!(broadcast_shape(&[3, 1, 7], &[17, 1], &mut out), Some(3));
        assert_eq!(&out[..3], &[3, 17, 7]);
        assert_eq!(broadcast_shape(&[], &[], &mut out), Some(0));
        assert_eq!(broadcast_shape(&[3], &[4], &mut out), None);
        let mut s = [9; 3];
        assert!(broadcast_strides(&[17, 1], &[3, 17, 7], &mut s));
        assert_eq!(s, [0, 1, 0]);
        assert!(broadcast_strides(&[3, 1, 7], &[3, 17, 7], &mut s));
        assert_eq!(s, [7, 0, 1]);
        assert!(!broadcast_strides(&[2], &[3], &mut s));
        assert_eq!(numel(&[]), 1);
        assert_eq!(numel(&[3, 0]), 0);
        assert_eq!(
            pack(&[3, 4]).map(|p| p[..3].to_vec()),
            Some(std::vec![3, 4, 1])
        );
        assert_eq!(offset_signed(&[1, 2], &[-5, 3]), 1);
    }

    #[test]
    fn coalescing() {
        // [3,17,7] with a dense and b broadcast on dim 1 only.
        let mut shape = pack(&[3, 17, 7]).unwrap_or_default();
        let mut st = [[119, 7, 1, 0, 0, 0, 0, 0], [7, 0, 1, 0, 0, 0, 0, 0]];
        let r = coalesce(3, &mut shape, &mut st);
        assert_eq!(r, 3);
        // Fully dense operands merge into one dim.
        let mut shape = pack(&[3, 1, 17, 7]).unwrap_or_default();
        let mut st = [[119, 119, 7, 1, 0, 0, 0, 0]];
        let r = coalesce(4, &mut shape, &mut st);
        assert_eq!(r, 1);
        assert_eq!(shape[0], 357);
        assert_eq!(st[0][0], 1);
        // Scalar broadcast merges too.
        let mut shape = pack(&[3, 7]).unwrap_or_default();
        let mut st = [[7, 1, 0, 0, 0, 0, 0, 0], [0; 8]];
        assert_eq!(coalesce(2, &mut shape, &mut st), 1);
        assert_eq!((shape[0], st[0][0], st[1][0]), (21, 1, 0));
    }
}
