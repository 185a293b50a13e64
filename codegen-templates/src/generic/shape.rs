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
    out[..shape.len()].copy_from_slice(shape);
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
    for d in 0..rank {
        let da = if d + a.len() >= rank {
            a[d + a.len() - rank]
        } else {
            1
        };
        let db = if d + b.len() >= rank {
            b[d + b.len() - rank]
        } else {
            1
        };
        out[d] = if da == db || db == 1 {
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
    if input.len() > output.len() || out.len() < output.len() {
        return false;
    }
    if input.len() > MAX_RANK {
        return false;
    }
    let lead = output.len() - input.len();
    let mut dense = [0usize; MAX_RANK];
    strides(input, &mut dense);
    for (d, s) in out.iter_mut().enumerate().take(output.len()) {
        *s = if d < lead {
            0
        } else {
            let n = input[d - lead];
            if n == 1 {
                0
            } else if n == output[d] {
                dense[d - lead]
            } else {
                return false;
            }
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
    if shape[..rank].contains(&0) {
        // Empty tensor: keep one dim of size 0 so that loops do nothing.
        *shape = [1; MAX_RANK];
        shape[0] = 0;
        for s in strides.iter_mut() {
            *s = [0; MAX_RANK];
        }
        return 1;
    }
    let mut new_rank = 0usize;
    for d in 0..rank {
        let n = shape[d];
        if n == 1 {
            continue;
        }
        let mergeable = new_rank > 0
            && strides
                .iter()
                .all(|s| s[new_rank - 1] == s[d].wrapping_mul(n));
        if mergeable {
            shape[new_rank - 1] *= n;
            for s in strides.iter_mut() {
                s[new_rank - 1] = s[d];
            }
        } else {
            shape[new_rank] = n;
            for s in strides.iter_mut() {
                s[new_rank] = s[d];
            }
            new_rank += 1;
        }
    }
    for d in new_rank..MAX_RANK {
        shape[d] = 1;
        for s in strides.iter_mut() {
            s[d] = 0;
        }
    }
    new_rank
}

#[cfg(test)]
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
