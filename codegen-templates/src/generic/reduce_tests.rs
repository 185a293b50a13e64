//! Unit tests for `reduce.rs`.

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
