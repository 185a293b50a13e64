//! Unit tests for `half.rs`.

extern crate std;
use super::*;

#[test]
fn f16_round_trips_every_value() {
    for h in 0..=u16::MAX {
        let f = f16_to_f32(h);
        if f.is_nan() {
            assert!(f16_to_f32(f32_to_f16(f)).is_nan());
        } else {
            assert_eq!(f32_to_f16(f), h, "{h:#06x} -> {f}");
        }
    }
}

#[test]
fn f16_rounds_to_nearest_even() {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to even (1).
    assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11)), 0x3c00);
    // 1 + 3·2^-11 is halfway between 1 + 2^-10 and 1 + 2^-9: ties to even (1 + 2^-9).
    assert_eq!(f64_to_f16(1.0 + 3.0 * 2f64.powi(-11)), 0x3c02);
    assert_eq!(f64_to_f16(1.0 + 2f64.powi(-11) + 1e-9), 0x3c01);
    assert_eq!(f64_to_f16(65504.0), 0x7bff);
    assert_eq!(f64_to_f16(65519.0), 0x7bff);
    assert_eq!(f64_to_f16(65520.0), 0x7c00);
    assert_eq!(f64_to_f16(-1e9), 0xfc00);
    assert_eq!(f64_to_f16(2f64.powi(-25)), 0); // tie to even zero
    assert_eq!(f64_to_f16(2f64.powi(-25) * 1.5), 1);
    assert_eq!(f64_to_f16(-0.0), 0x8000);
}

#[test]
fn bf16_conversions() {
    assert_eq!(f32_to_bf16(1.0), 0x3f80);
    assert_eq!(bf16_to_f32(0x3f80), 1.0);
    // 1 + 2^-8 is a tie between 1 and 1 + 2^-7: even (1).
    assert_eq!(f32_to_bf16(1.0 + 2f32.powi(-8)), 0x3f80);
    assert_eq!(f32_to_bf16(1.0 + 3.0 * 2f32.powi(-8)), 0x3f82);
    assert!(bf16_to_f32(f32_to_bf16(f32::NAN)).is_nan());
    // Just above the tie in f64, but a tie after rounding to f32: must round up.
    assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8) + 2f64.powi(-40)), 0x3f81);
    assert_eq!(f64_to_bf16(1.0 + 2f64.powi(-8) - 2f64.powi(-40)), 0x3f80);
}

#[test]
fn casts_and_arithmetic() {
    let mut y = [0u16; 3];
    cast_to_f16(&[1.5f64, -2.0, 70000.0], &mut y);
    assert_eq!(y, [0x3e00, 0xc000, 0x7c00]);
    let mut z = [0i32; 3];
    cast_from_f16(&y, &mut z);
    assert_eq!(z, [1, -2, i32::MAX]);
    let mut b = [9u8; 2];
    cast_f16_to_bool(&[0x8000, 0x3c00], &mut b);
    assert_eq!(b, [0, 1]);
    let p = BroadcastParams::new(&[2], &[1]).unwrap_or(SCALAR);
    let mut s = [0u16; 2];
    binary_f16(BinaryOp::Add, &p, &[0x3c00, 0x4000], &[0x3c00], &mut s);
    assert_eq!(s, [0x4000, 0x4200]);
    let mut c = [0u8; 2];
    compare_f16(CompareOp::Less, &p, &[0x3c00, 0x4000], &[0x3e00], &mut c);
    assert_eq!(c, [1, 0]);
    let mut u = [0u16; 1];
    unary_f16(Activation::Neg, &[0x3c00], &mut u);
    assert_eq!(u, [0xbc00]);
    let mut d = [0f64; 2];
    unary_f64(Activation::Floor, &[-1.5, 2.5], &mut d);
    assert_eq!(d, [-2.0, 2.0]);
}
