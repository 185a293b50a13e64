//! Unit tests for `elementwise.rs`.

extern crate std;
use super::super::number::{fmod_f64, pow_f64};
use super::*;
use std::vec::Vec;

/// Naive broadcast oracle: index each input from the output multi-index.
fn naive<A: Copy, B: Copy, O: Copy + Default>(
    a_shape: &[usize],
    a: &[A],
    b_shape: &[usize],
    b: &[B],
    f: impl Fn(A, B) -> O,
) -> (Vec<usize>, Vec<O>) {
    let rank = a_shape.len().max(b_shape.len());
    let pad = |s: &[usize]| {
        let mut v = std::vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (ap, bp) = (pad(a_shape), pad(b_shape));
    let out: Vec<usize> = ap
        .iter()
        .zip(&bp)
        .map(|(&x, &y)| if x == 1 { y } else { x })
        .collect();
    let n: usize = out.iter().product();
    let mut y = Vec::with_capacity(n);
    for flat in 0..n {
        let mut rem = flat;
        let mut idx = std::vec![0; rank];
        for d in (0..rank).rev() {
            idx[d] = rem % out[d];
            rem /= out[d];
        }
        let (mut ia, mut ib) = (0, 0);
        for d in 0..rank {
            ia = ia * ap[d] + if ap[d] == 1 { 0 } else { idx[d] };
            ib = ib * bp[d] + if bp[d] == 1 { 0 } else { idx[d] };
        }
        y.push(f(a[ia], b[ib]));
    }
    (out, y)
}

fn data(n: usize, seed: i64) -> Vec<f32> {
    (0..n as i64)
        .map(|i| ((i * 7 + seed) % 13 - 6) as f32 * 0.5)
        .collect()
}

const CASES: &[(&[usize], &[usize])] = &[
    (&[], &[]),
    (&[1], &[7]),
    (&[7], &[7]),
    (&[3, 7], &[7]),
    (&[3, 7], &[3, 1]),
    (&[17], &[]),
    (&[], &[3, 1, 7]),
    (&[3, 1, 7], &[1, 17, 1]),
    (&[2, 3, 1, 5], &[3, 7, 1]),
    (&[1, 3, 1], &[7, 1, 1]),
    (&[3, 0], &[1]),
];

#[test]
fn binary_matches_naive_broadcast() {
    for &(sa, sb) in CASES {
        let a = data(super::super::shape::numel(sa), 1);
        let b = data(super::super::shape::numel(sb), 5);
        for op in [
            BinaryOp::Add,
            BinaryOp::Sub,
            BinaryOp::Mul,
            BinaryOp::Max,
            BinaryOp::PRelu,
        ] {
            let f = |x: f32, z: f32| match op {
                BinaryOp::Add => x + z,
                BinaryOp::Sub => x - z,
                BinaryOp::Mul => x * z,
                BinaryOp::Max => x.max(z),
                _ => {
                    if x >= 0.0 {
                        x
                    } else {
                        x * z
                    }
                }
            };
            let (shape, want) = naive(sa, &a, sb, &b, f);
            let p = BroadcastParams::new(sa, sb).unwrap_or_else(|| panic!("{sa:?} {sb:?}"));
            assert_eq!(p.len, want.len());
            let mut y = std::vec![f32::NAN; want.len()];
            binary(op, &p, &a, &b, &mut y);
            assert_eq!(y, want, "{op:?} {sa:?} {sb:?} -> {shape:?}");
            // Uncoalesced params (strides straight from broadcasting) give the same result.
            let mut out = [1usize; 8];
            let rank = super::super::shape::broadcast_shape(sa, sb, &mut out).unwrap_or(0);
            let mut p2 = BroadcastParams {
                rank,
                out_shape: out,
                a_strides: [0; 8],
                b_strides: [0; 8],
                len: p.len,
            };
            super::super::shape::broadcast_strides(sa, &out[..rank], &mut p2.a_strides);
            super::super::shape::broadcast_strides(sb, &out[..rank], &mut p2.b_strides);
            let mut y2 = std::vec![f32::NAN; want.len()];
            binary(op, &p2, &a, &b, &mut y2);
            assert_eq!(y2, want, "uncoalesced {op:?} {sa:?} {sb:?}");
        }
    }
}

#[test]
fn general_strided_rows() {
    // a broadcast on the last dim, b transposed-like strides: exercises the `_` row path.
    let p = BroadcastParams {
        rank: 2,
        out_shape: [3, 7, 1, 1, 1, 1, 1, 1],
        a_strides: [1, 0, 0, 0, 0, 0, 0, 0],
        b_strides: [1, 3, 0, 0, 0, 0, 0, 0],
        len: 21,
    };
    let a = [1i32, 2, 3];
    let b: Vec<i32> = (0..21).collect();
    let mut y = [0i32; 21];
    binary(BinaryOp::Mul, &p, &a, &b, &mut y);
    for i in 0..3 {
        for j in 0..7 {
            assert_eq!(y[i * 7 + j], a[i] * b[j * 3 + i]);
        }
    }
}

#[test]
fn integer_semantics() {
    // ONNX Mod spec example (fmod = 0): sign of the divisor.
    let a = [-4i32, 7, 5, 4, -7, 8];
    let b = [2i32, -3, 8, -2, 3, 5];
    let p = BroadcastParams::new(&[6], &[6]).unwrap_or_else(|| panic!());
    let mut y = [0i32; 6];
    binary(BinaryOp::Mod, &p, &a, &b, &mut y);
    assert_eq!(y, [0, -2, 5, 0, 2, 3]);
    binary(BinaryOp::FMod, &p, &a, &b, &mut y);
    assert_eq!(y, [0, 1, 5, 0, -1, 3]);
    binary(BinaryOp::Div, &p, &a, &b, &mut y);
    assert_eq!(y, [-2, -2, 0, -2, -2, 1]);
    // Division and remainder by zero, and MIN / -1, do not panic.
    assert_eq!(7i64.div(0), 0);
    assert_eq!(7i64.modulo(0), 0);
    assert_eq!(i8::MIN.div(-1), i8::MIN);
    assert_eq!(i8::MIN.modulo(-1), 0);
    assert_eq!(7u8.modulo(0), 0);
    // Pow.
    assert_eq!(Number::pow(3i32, 4), 81);
    assert_eq!(Number::pow(2i64, 0), 1);
    assert_eq!(Number::pow(-2i32, 3), -8);
    assert_eq!(Number::pow(2i32, -1), 0);
    assert_eq!(Number::pow(-1i32, -3), -1);
    assert_eq!(Number::pow(-1i32, -2), 1);
    assert_eq!(Number::pow(3u8, 5), 243);
    assert_eq!(Number::pow(2u8, 9), 0);
    assert_eq!(i32::MAX.add(1), i32::MIN);
    assert_eq!(Number::abs(-5i16), 5);
    assert_eq!(Number::abs(i16::MIN), i16::MIN);
    assert_eq!((-5i16).sign(), -1);
    assert_eq!(9u32.sign(), 1);
}

#[test]
fn float_mod_and_pow() {
    // ONNX Mod spec example, fmod = 1.
    let a = [-4.3f64, 7.2, 5.0, 4.3, -7.2, 8.0];
    let b = [2.1f64, -3.4, 8.0, -2.1, 3.4, 5.0];
    let want = [-0.1f64, 0.4, 5.0, 0.1, -0.4, 3.0];
    for ((&x, &z), &w) in a.iter().zip(&b).zip(&want) {
        assert!((x.fmod(z) - w).abs() < 1e-12, "{x} fmod {z}");
        // Python-style: sign of the divisor.
        let m = x.modulo(z);
        assert!(m == 0.0 || (m < 0.0) == (z < 0.0), "{x} mod {z} = {m}");
        assert!(((x - m) / z - ((x - m) / z).round()).abs() < 1e-9);
    }
    assert!(fmod_f64(f64::INFINITY, 1.0).is_nan());
    assert!(fmod_f64(1.0, 0.0).is_nan());
    assert_eq!(fmod_f64(1.5, f64::INFINITY), 1.5);
    assert_eq!(fmod_f64(1e300, 3.0), 1e300 % 3.0);
    assert_eq!(fmod_f64(-1e-300, 7e-310), -1e-300 % 7e-310);
    assert_eq!(pow_f64(1.5, 3.0), 3.375);
    assert_eq!(pow_f64(2.0, -2.0), 0.25);
    assert_eq!(pow_f64(f64::NAN, 0.0), 1.0);
    assert!(Number::max(1.0f32, f32::NAN).is_nan());
    assert!(Number::min(f32::NAN, 1.0f32).is_nan());
    assert_eq!(Number::max(-0.5f32, 2.0), 2.0);
    assert_eq!((-0.0f32).sign().to_bits(), (-0.0f32).to_bits());
}

#[test]
fn f32_pow_and_mod_use_runtime_math() {
    let p = BroadcastParams::new(&[7], &[1]).unwrap_or_else(|| panic!());
    let a = [2.0f32, 4.0, -3.0, 0.5, 10.0, -2.0, 1.0];
    let mut y = [0.0f32; 7];
    binary(BinaryOp::Pow, &p, &a, &[3.0], &mut y);
    let want = [8.0f32, 64.0, -27.0, 0.125, 1000.0, -8.0, 1.0];
    for (g, w) in y.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-5 * w.abs(), "{y:?}");
    }
    binary(BinaryOp::Pow, &p, &a[..2], &[0.5], &mut y[..2]);
    assert!(
        (y[0] - 2.0f32.sqrt()).abs() < 1e-6 && (y[1] - 2.0).abs() < 1e-6,
        "{y:?}"
    );
    // ONNX Mod spec example with fmod = 1 (f32), and the Python-style variant.
    let a = [-4.3f32, 7.2, 5.0, 4.3, -7.2, 8.0];
    let b = [2.1f32, -3.4, 8.0, -2.1, 3.4, 5.0];
    let p = BroadcastParams::new(&[6], &[6]).unwrap_or_else(|| panic!());
    let mut y = [0.0f32; 6];
    binary(BinaryOp::FMod, &p, &a, &b, &mut y);
    let want = [-0.1f32, 0.4, 5.0, 0.1, -0.4, 3.0];
    for (g, w) in y.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{y:?}");
    }
    binary(BinaryOp::Mod, &p, &a, &b, &mut y);
    let want = [2.0f32, -3.0, 5.0, -2.0, 3.0, 3.0];
    for (g, w) in y.iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{y:?}");
    }
}

#[test]
fn compare_logic_not() {
    let p = BroadcastParams::new(&[3, 1], &[1, 3]).unwrap_or_else(|| panic!());
    let a = [1i64, 2, 3];
    let b = [2i64, 2, 2];
    let mut y = [9u8; 9];
    compare(CompareOp::Less, &p, &a, &b, &mut y);
    assert_eq!(y, [1, 1, 1, 0, 0, 0, 0, 0, 0]);
    compare(CompareOp::GreaterOrEqual, &p, &a, &b, &mut y);
    assert_eq!(y, [0, 0, 0, 1, 1, 1, 1, 1, 1]);
    compare(CompareOp::Equal, &p, &a, &b, &mut y);
    assert_eq!(y, [0, 0, 0, 1, 1, 1, 0, 0, 0]);
    let nan = BroadcastParams::new(&[1], &[1]).unwrap_or_else(|| panic!());
    let mut z = [9u8];
    compare(CompareOp::Equal, &nan, &[f32::NAN], &[f32::NAN], &mut z);
    assert_eq!(z, [0]);
    let p = BroadcastParams::new(&[4], &[4]).unwrap_or_else(|| panic!());
    let (u, v) = ([0u8, 0, 1, 1], [0u8, 1, 0, 1]);
    let mut w = [9u8; 4];
    logic(LogicOp::And, &p, &u, &v, &mut w);
    assert_eq!(w, [0, 0, 0, 1]);
    logic(LogicOp::Or, &p, &u, &v, &mut w);
    assert_eq!(w, [0, 1, 1, 1]);
    logic(LogicOp::Xor, &p, &u, &v, &mut w);
    assert_eq!(w, [0, 1, 1, 0]);
    not(&[0, 1, 2], &mut w[..3]);
    assert_eq!(&w[..3], &[1, 0, 0]);
}

#[test]
fn where_matches_naive() {
    let cases: &[(&[usize], &[usize], &[usize])] = &[
        (&[7], &[7], &[7]),
        (&[3, 1], &[1, 7], &[]),
        (&[1, 17], &[3, 1], &[3, 17]),
        (&[], &[2, 3], &[3]),
        (&[2, 1, 3], &[1, 3, 1], &[3, 3]),
    ];
    for &(sc, sa, sb) in cases {
        let c: Vec<u8> = (0..super::super::shape::numel(sc))
            .map(|i| (i % 3 == 0) as u8)
            .collect();
        let a: Vec<i32> = (0..super::super::shape::numel(sa) as i32).collect();
        let b: Vec<i32> = (0..super::super::shape::numel(sb) as i32)
            .map(|v| -v - 1)
            .collect();
        // Oracle: broadcast (c, a) → pick index pairs, then with b.
        let (s1, ca) = naive(sc, &c, sa, &a, |x, z| (x, z));
        let (_, want) = naive(&s1, &ca, sb, &b, |(x, z), w| if x != 0 { z } else { w });
        let p = WhereParams::new(sc, sa, sb).unwrap_or_else(|| panic!("{sc:?}"));
        let mut y = std::vec![0i32; want.len()];
        select(&p, &c, &a, &b, &mut y);
        assert_eq!(y, want, "{sc:?} {sa:?} {sb:?}");
    }
    assert!(WhereParams::new(&[2], &[3], &[1]).is_none());
}

#[test]
fn unary_and_cast() {
    let x = [-1.5f32, 0.0, 2.0];
    let mut y = [0.0f32; 3];
    unary(super::super::activation::Activation::Neg, &x, &mut y);
    assert_eq!(y, [1.5, -0.0, -2.0]);
    let xi = [-3i8, 0, 5, i8::MIN];
    let mut yi = [0i8; 4];
    unary_number(NumberUnary::Neg, &xi, &mut yi);
    assert_eq!(yi, [3, 0, -5, i8::MIN]);
    unary_number(NumberUnary::Abs, &xi, &mut yi);
    assert_eq!(yi, [3, 0, 5, i8::MIN]);
    unary_number(NumberUnary::Sign, &xi, &mut yi);
    assert_eq!(yi, [-1, 0, 1, -1]);
    unary_number(NumberUnary::Relu, &xi, &mut yi);
    assert_eq!(yi, [0, 0, 5, 0]);
    let f = [-2.7f32, -0.5, 0.5, 2.7, 300.0, -300.0, f32::NAN];
    let mut i = [0i32; 7];
    cast(&f, &mut i);
    assert_eq!(i, [-2, 0, 0, 2, 300, -300, 0]);
    let mut u = [0u8; 7];
    cast(&f, &mut u);
    assert_eq!(u, [0, 0, 0, 2, 255, 0, 0]);
    cast_to_bool(&f, &mut u);
    assert_eq!(u, [1, 1, 1, 1, 1, 1, 1]);
    cast_to_bool(&[0.0f32, -0.0, 1e-30], &mut u[..3]);
    assert_eq!(&u[..3], &[0, 0, 1]);
    let mut d = [0.0f64; 3];
    cast(&[1u8, 0, 1], &mut d);
    assert_eq!(d, [1.0, 0.0, 1.0]);
    let mut w = [0i16; 2];
    cast(&[70000i64, -1], &mut w);
    assert_eq!(w, [4464, -1]);
}

#[test]
fn debug_is_rust_expression() {
    let p = BroadcastParams::new(&[3], &[]).unwrap_or_else(|| panic!());
    let s = std::format!(
        "{:?} {:?} {:?} {:?}",
        p,
        BinaryOp::PRelu,
        CompareOp::Less,
        LogicOp::Xor
    );
    assert!(s.starts_with(
        "BroadcastParams { rank: 1, out_shape: [3, 1, 1, 1, 1, 1, 1, 1], a_strides: [1, 0"
    ));
    assert!(s.ends_with("len: 3 } BinaryOp::PRelu CompareOp::Less LogicOp::Xor"));
    assert_eq!(std::format!("{:?}", NumberUnary::Sign), "NumberUnary::Sign");
}

#[test]
fn inconsistent_params_do_not_panic() {
    let p = BroadcastParams {
        rank: 9,
        out_shape: [5; 8],
        a_strides: [3; 8],
        b_strides: [0; 8],
        len: usize::MAX,
    };
    let mut y = [0.0f32; 4];
    binary(BinaryOp::Add, &p, &[1.0; 2], &[], &mut y);
}
