//! Unit tests for `movement.rs`.

extern crate std;
use super::*;
use std::vec::Vec;

/// Row-major multi-index of `flat` in `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = std::vec![0; shape.len()];
    for d in (0..shape.len()).rev() {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    idx
}

fn ravel(idx: &[usize], shape: &[usize]) -> usize {
    idx.iter().zip(shape).fold(0, |acc, (&i, &n)| acc * n + i)
}

fn iota(n: usize) -> Vec<i32> {
    (0..n as i32).collect()
}

#[test]
fn transpose_matches_naive() {
    let cases: &[(&[usize], &[usize])] = &[
        (&[], &[]),
        (&[7], &[0]),
        (&[3, 7], &[1, 0]),
        (&[1, 17], &[1, 0]),
        (&[2, 3, 5], &[0, 2, 1]),
        (&[2, 3, 5], &[2, 0, 1]),
        (&[2, 3, 5, 7], &[0, 2, 3, 1]),
        (&[2, 1, 3, 1, 5], &[4, 3, 2, 1, 0]),
        (&[3, 1, 7, 2], &[1, 0, 2, 3]),
        (&[3, 0, 2], &[2, 1, 0]),
    ];
    for &(shape, perm) in cases {
        let n = super::super::shape::numel(shape);
        let x = iota(n);
        let out: Vec<usize> = perm.iter().map(|&q| shape[q]).collect();
        let mut want = std::vec![0; n];
        for (i, w) in want.iter_mut().enumerate() {
            let oi = unravel(i, &out);
            let mut ii = std::vec![0; shape.len()];
            for (k, &q) in perm.iter().enumerate() {
                ii[q] = oi[k];
            }
            *w = x[ravel(&ii, shape)];
        }
        let p = TransposeParams::new(shape, perm).unwrap_or_else(|| panic!());
        let mut y = std::vec![-1; n];
        transpose(&p, &x, &mut y);
        assert_eq!(y, want, "{shape:?} {perm:?} {p:?}");
    }
    assert!(TransposeParams::new(&[2, 3], &[0, 0]).is_none());
    assert!(TransposeParams::new(&[2, 3], &[0]).is_none());
    // Identity permutation collapses to a single contiguous dim.
    let p = TransposeParams::new(&[3, 7, 2], &[0, 1, 2]).unwrap_or_else(|| panic!());
    assert_eq!((p.rank, p.out_shape[0], p.in_strides[0]), (1, 42, 1));
}

#[test]
fn concat_and_split_via_copy_blocks() {
    // Concat [3,2,5] and [3,7,5] on axis 1 -> [3,9,5], then split back.
    let a = iota(30);
    let b: Vec<i32> = (100..205).collect();
    let mut y = std::vec![0; 135];
    let pa = CopyBlockParams::concat_input(&[3, 2, 5], 1, 0, 9).unwrap_or_else(|| panic!());
    let pb = CopyBlockParams::concat_input(&[3, 7, 5], 1, 2, 9).unwrap_or_else(|| panic!());
    copy_blocks(&pa, &a, &mut y);
    copy_blocks(&pb, &b, &mut y);
    for i in 0..3 {
        for j in 0..9 {
            for k in 0..5 {
                let want = if j < 2 {
                    a[(i * 2 + j) * 5 + k]
                } else {
                    b[(i * 7 + j - 2) * 5 + k]
                };
                assert_eq!(y[(i * 9 + j) * 5 + k], want);
            }
        }
    }
    let mut a2 = std::vec![0; 30];
    let mut b2 = std::vec![0; 105];
    copy_blocks(
        &CopyBlockParams::split_output(&[3, 9, 5], 1, 0, 2).unwrap_or_else(|| panic!()),
        &y,
        &mut a2,
    );
    copy_blocks(
        &CopyBlockParams::split_output(&[3, 9, 5], 1, 2, 7).unwrap_or_else(|| panic!()),
        &y,
        &mut b2,
    );
    assert_eq!(a2, a);
    assert_eq!(b2, b);
}

/// Naive ONNX slice on one axis at a time.
fn naive_slice(
    shape: &[usize],
    x: &[i32],
    starts: &[i64],
    ends: &[i64],
    axes: &[i64],
    steps: &[i64],
) -> (Vec<usize>, Vec<i32>) {
    let rank = shape.len();
    let mut sel: Vec<Vec<usize>> = shape.iter().map(|&n| (0..n).collect()).collect();
    for i in 0..starts.len() {
        let a = if axes.is_empty() {
            i
        } else {
            ((axes[i] + rank as i64) % rank as i64) as usize
        };
        let dim = shape[a] as i64;
        let step = if steps.is_empty() { 1 } else { steps[i] };
        let mut s = starts[i];
        let mut e = ends[i];
        if s < 0 {
            s += dim;
        }
        if e < 0 {
            e += dim;
        }
        let mut v = Vec::new();
        if step > 0 {
            let (s, e) = (s.clamp(0, dim), e.clamp(0, dim));
            let mut k = s;
            while k < e {
                v.push(k as usize);
                let Some(next) = k.checked_add(step) else {
                    break;
                };
                k = next;
            }
        } else if dim > 0 {
            let (s, e) = (s.clamp(0, dim - 1), e.clamp(-1, dim - 1));
            let mut k = s;
            while k > e {
                v.push(k as usize);
                let Some(next) = k.checked_add(step) else {
                    break;
                };
                k = next;
            }
        }
        sel[a] = v;
    }
    let out: Vec<usize> = sel.iter().map(|v| v.len()).collect();
    let n: usize = out.iter().product();
    let y = (0..n)
        .map(|i| {
            let oi = unravel(i, &out);
            let ii: Vec<usize> = oi.iter().enumerate().map(|(d, &k)| sel[d][k]).collect();
            x[ravel(&ii, shape)]
        })
        .collect();
    (out, y)
}

#[test]
fn slice_matches_naive() {
    type Case<'a> = (&'a [usize], &'a [i64], &'a [i64], &'a [i64], &'a [i64]);
    let cases: &[Case] = &[
        (&[17], &[2], &[9], &[], &[]),
        (&[17], &[-3], &[i64::MAX], &[0], &[1]),
        (&[17], &[-1], &[i64::MIN], &[0], &[-1]),
        (&[17], &[15], &[1], &[0], &[-4]),
        (&[3, 7], &[0, 1], &[3, 7], &[0, 1], &[2, 3]),
        (&[3, 7], &[6], &[-100], &[-1], &[-2]),
        (&[2, 3, 7], &[1, 5], &[3, 0], &[1, 2], &[1, -1]),
        (&[2, 3, 7], &[5], &[9], &[2], &[1]),
        (&[2, 3, 7], &[0, 0, 0], &[1, 1, 1], &[], &[]),
        (&[1, 3, 1], &[2, -1], &[-5, 7], &[1, 2], &[-1, 1]),
        (
            &[7, 17],
            &[1, 16],
            &[i64::MAX, i64::MIN],
            &[0, 1],
            &[i64::MAX, i64::MIN],
        ),
        (&[3, 0, 2], &[0, -1], &[3, i64::MIN], &[0, 1], &[1, -1]),
    ];
    for &(shape, starts, ends, axes, steps) in cases {
        let x = iota(super::super::shape::numel(shape));
        let (out, want) = naive_slice(shape, &x, starts, ends, axes, steps);
        let p = SliceParams::new(shape, starts, ends, axes, steps).unwrap_or_else(|| panic!());
        assert_eq!(&p.out_shape[..shape.len()], &out[..]);
        let mut y = std::vec![-1; want.len()];
        slice(&p, &x, &mut y);
        assert_eq!(y, want, "{shape:?} {starts:?} {ends:?} {axes:?} {steps:?}");
    }
    assert!(SliceParams::new(&[3], &[0], &[3], &[], &[0]).is_none());
    assert!(SliceParams::new(&[3], &[0], &[3], &[1], &[]).is_none());
}

#[test]
fn gather_spec_examples() {
    // Spec example, axis 0: data [[1,1.2],[2.3,3.4],[4.5,5.7]], indices [[0,1],[1,2]].
    let data = [1.0f32, 1.2, 2.3, 3.4, 4.5, 5.7];
    let p = GatherParams::new(&[3, 2], 0, 4).unwrap_or_else(|| panic!());
    let mut y = [0.0f32; 8];
    gather(&p, &data, &[0i64, 1, 1, 2], &mut y);
    assert_eq!(y, [1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7]);
    // Axis 1 with int32 indices [[0, 2]] on a 3x3 matrix.
    let data = [1.0f32, 1.2, 1.9, 2.3, 3.4, 3.9, 4.5, 5.7, 5.9];
    let p = GatherParams::new(&[3, 3], -1, 2).unwrap_or_else(|| panic!());
    let mut y = [0.0f32; 6];
    gather(&p, &data, &[0i32, 2], &mut y);
    assert_eq!(y, [1.0, 1.9, 2.3, 3.9, 4.5, 5.9]);
    // Negative and out-of-range indices.
    let x = iota(21);
    let p = GatherParams::new(&[3, 7], 1, 3).unwrap_or_else(|| panic!());
    let mut y = [9; 9];
    gather(&p, &x, &[-1i64, 7, -8], &mut y);
    assert_eq!(y, [6, 0, 0, 13, 0, 0, 20, 0, 0]);
    // Scalar index on a 1-D tensor.
    let p = GatherParams::new(&[17], 0, 1).unwrap_or_else(|| panic!());
    let mut y = [0u8; 1];
    gather(&p, &[5u8; 17], &[16i64], &mut y);
    assert_eq!(y, [5]);
}

#[test]
fn pad_spec_examples() {
    let x = [1.0f32, 1.2, 2.3, 3.4, 4.5, 5.7];
    let pads = [0i64, 2, 0, 0];
    let cases = [
        (
            PadMode::Constant,
            [
                0.0f32, 0.0, 1.0, 1.2, 0.0, 0.0, 2.3, 3.4, 0.0, 0.0, 4.5, 5.7,
            ],
        ),
        (
            PadMode::Reflect,
            [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7],
        ),
        (
            PadMode::Edge,
            [1.0, 1.0, 1.0, 1.2, 2.3, 2.3, 2.3, 3.4, 4.5, 4.5, 4.5, 5.7],
        ),
        (
            PadMode::Wrap,
            [1.0, 1.2, 1.0, 1.2, 2.3, 3.4, 2.3, 3.4, 4.5, 5.7, 4.5, 5.7],
        ),
    ];
    for (mode, want) in cases {
        let p = PadParams::new(&[3, 2], &pads, mode).unwrap_or_else(|| panic!());
        let mut y = [9.0f32; 12];
        pad(&p, &x, 0.0, &mut y);
        assert_eq!(y, want, "{mode:?}");
    }
}

#[test]
fn pad_matches_naive() {
    let cases: &[(&[usize], &[i64])] = &[
        (&[7], &[3, 5]),
        (&[7], &[-2, 1]),
        (&[3, 7], &[1, 2, 2, 1]),
        (&[3, 7], &[-1, -3, 2, 2]),
        (&[2, 3, 5], &[1, 0, 6, 0, 2, 7]),
        (&[1, 1], &[2, 3, 1, 2]),
        (&[3, 4], &[0, -5, 0, 2]),
    ];
    for &(shape, pads) in cases {
        let x = iota(super::super::shape::numel(shape));
        for mode in [
            PadMode::Constant,
            PadMode::Reflect,
            PadMode::Edge,
            PadMode::Wrap,
        ] {
            let p = PadParams::new(shape, pads, mode).unwrap_or_else(|| panic!());
            let r = shape.len();
            let out = &p.out_shape[..r];
            let want: Vec<i32> = (0..p.len)
                .map(|i| {
                    let oi = unravel(i, out);
                    let mut ii = Vec::new();
                    for d in 0..r {
                        let n = shape[d] as i64;
                        let mut c = oi[d] as i64 - pads[d];
                        if c < 0 || c >= n {
                            match mode {
                                PadMode::Constant => return -7,
                                PadMode::Edge => c = c.clamp(0, n - 1),
                                PadMode::Wrap => c = c.rem_euclid(n),
                                PadMode::Reflect => {
                                    while c < 0 || c >= n {
                                        if n == 1 {
                                            c = 0;
                                        } else if c < 0 {
                                            c = -c;
                                        } else {
                                            c = 2 * (n - 1) - c;
                                        }
                                    }
                                }
                            }
                        }
                        ii.push(c as usize);
                    }
                    x[ravel(&ii, shape)]
                })
                .collect();
            let mut y = std::vec![99; p.len];
            pad(&p, &x, -7, &mut y);
            assert_eq!(y, want, "{shape:?} {pads:?} {mode:?}");
        }
    }
    assert!(PadParams::new(&[3], &[-2, -2], PadMode::Constant).is_none());
}

#[test]
fn expand_and_tile() {
    // Expand [3,1] to [2,3,7].
    let x = [1, 2, 3];
    let p = ExpandParams::new(&[3, 1], &[2, 3, 7]).unwrap_or_else(|| panic!());
    let mut y = std::vec![0; 42];
    expand(&p, &x, &mut y);
    for (i, &v) in y.iter().enumerate() {
        assert_eq!(v, x[(i / 7) % 3]);
    }
    // Expand a scalar, and [1,7] to [3,7].
    let p = ExpandParams::new(&[], &[17]).unwrap_or_else(|| panic!());
    let mut y = std::vec![0; 17];
    expand(&p, &[4], &mut y);
    assert!(y.iter().all(|&v| v == 4));
    let row = iota(7);
    let p = ExpandParams::new(&[1, 7], &[3, 7]).unwrap_or_else(|| panic!());
    let mut y = std::vec![0; 21];
    expand(&p, &row, &mut y);
    assert_eq!(&y[14..], &row[..]);
    assert!(ExpandParams::new(&[2], &[3]).is_none());
    // Tile [2,3] by [3,2] -> [6,6].
    let x = iota(6);
    let p = TileParams::new(&[2, 3], &[3, 2]).unwrap_or_else(|| panic!());
    let mut y = std::vec![0; 36];
    tile(&p, &x, &mut y);
    for i in 0..6 {
        for j in 0..6 {
            assert_eq!(y[i * 6 + j], x[(i % 2) * 3 + j % 3]);
        }
    }
    let p = TileParams::new(&[1], &[17]).unwrap_or_else(|| panic!());
    let mut y = [0u8; 17];
    tile(&p, &[1u8], &mut y);
    assert_eq!(y, [1u8; 17]);
    let mut z = [0i64; 3];
    copy(&[5i64, 6, 7, 8], &mut z);
    assert_eq!(z, [5, 6, 7]);
}

#[test]
fn debug_is_rust_expression() {
    let p = PadParams::new(&[3], &[-1, 2], PadMode::Reflect).unwrap_or_else(|| panic!());
    let s = std::format!("{p:?}");
    assert!(
        s.contains("pads_begin: [-1, 0, 0, 0, 0, 0, 0, 0], mode: PadMode::Reflect, len: 4 }"),
        "{s}"
    );
}

#[test]
fn inconsistent_params_do_not_panic() {
    let mut y = [0i32; 5];
    let p = SliceParams {
        rank: 2,
        out_shape: [2, 3, 1, 1, 1, 1, 1, 1],
        in_strides: [-50, 7, 0, 0, 0, 0, 0, 0],
        start_offset: 3,
        len: 6,
    };
    slice(&p, &[1, 2, 3], &mut y);
    let p = CopyBlockParams {
        outer: 4,
        block: 3,
        src_stride: 2,
        dst_stride: 9,
        dst_offset: 1,
        src_offset: 0,
    };
    copy_blocks(&p, &[1, 2, 3], &mut y);
    let p = TileParams {
        rank: 2,
        in_shape: [0, 2, 1, 1, 1, 1, 1, 1],
        out_shape: [3, 4, 1, 1, 1, 1, 1, 1],
        len: 12,
    };
    tile(&p, &[1, 2], &mut y);
    let p = GatherParams {
        outer: 3,
        axis_len: 9,
        inner: 2,
        indices_len: 4,
    };
    gather(&p, &[1, 2], &[1i64, 2], &mut y);
}
