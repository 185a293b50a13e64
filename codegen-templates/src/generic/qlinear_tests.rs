use super::*;
use crate::generic::half::{f32_to_f16, f16_to_f32};

fn params(outer: usize, axis_len: usize, inner: usize, block: usize, strides: (usize, usize, usize), x: QElem, y: QElem) -> QuantLinearParams {
    QuantLinearParams {
        outer,
        axis_len,
        inner,
        block,
        scale_outer: strides.0,
        scale_axis: strides.1,
        scale_inner: strides.2,
        x,
        scale: QElem::F32,
        y,
        precision: QElem::F32,
    }
}

#[test]
fn rounds_half_to_even() {
    let cases = [(0.5, 0.0), (1.5, 2.0), (2.5, 2.0), (-0.5, 0.0), (-1.5, -2.0), (-2.4, -2.0), (3.7, 4.0), (1e300, 1e300)];
    for (v, r) in cases {
        assert_eq!(round_half_even(v), r, "{v}");
    }
    assert!(round_half_even(f64::NAN).is_nan());
}

#[test]
fn quantize_per_tensor_saturates_and_rounds() {
    let p = params(1, 1, 6, 1, (0, 0, 0), QElem::F32, QElem::U8);
    let x = [0.0f32, 1.0, 3.0, -300.0, 600.0, 5.0];
    let mut y = [0u8; 6];
    quantize_linear(&p, &x, &[2.0f32], Some(&[128u8]), &mut y);
    // x / 2 = 0, 0.5 → 0, 1.5 → 2, -150, 300, 2.5 → 2; plus 128, saturated.
    assert_eq!(y, [128, 128, 130, 0, 255, 130]);
}

#[test]
fn quantize_per_axis_and_blocked_match_naive() {
    // x [2, 5, 3]; axis 1.
    let x: [f32; 30] = core::array::from_fn(|i| i as f32 * 0.7 - 9.0);
    // Per axis: scale [5].
    let scale = [0.5f32, 1.0, 1.5, 2.0, 2.5];
    let zero = [-3i16, 0, 2, 7, -100];
    let mut y = [0i16; 30];
    quantize_linear(&params(2, 5, 3, 1, (0, 1, 0), QElem::F32, QElem::I16), &x, &scale, Some(&zero), &mut y);
    for (i, &v) in y.iter().enumerate() {
        let a = (i / 3) % 5;
        let want = round_half_even((x[i] / scale[a]) as f64) + zero[a] as f64;
        assert_eq!(v as f64, want, "per axis {i}");
    }
    // Blocked, block 2: scale [2, 3, 3] (ceil(5 / 2) = 3 blocks).
    let bscale: [f32; 18] = core::array::from_fn(|i| 0.25 + i as f32 * 0.125);
    let mut y = [0i8; 30];
    quantize_linear(&params(2, 5, 3, 2, (9, 3, 1), QElem::F32, QElem::I8), &x, &bscale, None, &mut y);
    for (i, &v) in y.iter().enumerate() {
        let (o, a, n) = (i / 15, (i / 3) % 5, i % 3);
        let s = bscale[o * 9 + (a / 2) * 3 + n];
        let want = round_half_even((x[i] / s) as f64).clamp(-128.0, 127.0);
        assert_eq!(v as f64, want, "blocked {i}");
    }
}

#[test]
fn dequantize_int16_and_half_output() {
    let p = QuantLinearParams { scale: QElem::F32, precision: QElem::F32, ..params(1, 1, 4, 1, (0, 0, 0), QElem::I16, QElem::F32) };
    let mut y = [0f32; 4];
    dequantize_linear(&p, &[-32768i16, 0, 10, 32767], &[0.5f32], Some(&[10i16]), &mut y);
    assert_eq!(y, [-16389.0, -5.0, 0.0, 16378.5]);
    let p = QuantLinearParams { y: QElem::F16, ..p };
    let mut h = [0u16; 4];
    dequantize_linear(&p, &[0i16, 1, 2, 3], &[0.5f32], None, &mut h);
    assert_eq!(h.map(f16_to_f32), [0.0, 0.5, 1.0, 1.5]);
}

#[test]
fn clip_bounds_any_type() {
    let mut y = [0i8; 4];
    clip(&[-100i8, -5, 5, 100], Some(&[-10]), Some(&[10]), &mut y);
    assert_eq!(y, [-10, -5, 5, 10]);
    clip(&[-100i8, -5, 5, 100], None, Some(&[0]), &mut y);
    assert_eq!(y, [-100, -5, 0, 0]);
    // min > max: everything is max.
    let mut f = [0f32; 3];
    clip(&[-2.0f32, 0.0, 6.0], Some(&[2.0]), Some(&[1.0]), &mut f);
    assert_eq!(f, [1.0, 1.0, 1.0]);
    let h = [-3.0f32, 0.5, 4.0].map(f32_to_f16);
    let mut out = [0u16; 3];
    clip_half(false, &h, Some(&[f32_to_f16(-1.0)]), Some(&[f32_to_f16(1.0)]), &mut out);
    assert_eq!(out.map(f16_to_f32), [-1.0, 0.5, 1.0]);
}

#[test]
fn range_half_and_dropout_mask() {
    let mut y = [0u16; 3];
    range_half(false, &[f32_to_f16(1.0)], &[f32_to_f16(2.0)], &mut y);
    assert_eq!(y.map(f16_to_f32), [1.0, 3.0, 5.0]);
    let (mut o, mut m) = ([0u8; 3], [0u8; 3]);
    dropout_mask(&[4u8, 5, 6], &mut o, &mut m);
    assert_eq!((o, m), ([4, 5, 6], [1, 1, 1]));
}

#[test]
fn max_pool_on_integers() {
    let p = super::super::pool::PoolParams {
        batch: 1,
        channels: 1,
        in_h: 3,
        in_w: 3,
        out_h: 2,
        out_w: 2,
        kernel_h: 2,
        kernel_w: 2,
        stride_h: 1,
        stride_w: 1,
        dilation_h: 1,
        dilation_w: 1,
        pad_top: 0,
        pad_left: 0,
        pad_bottom: 0,
        pad_right: 0,
        count_include_pad: false,
    };
    let mut y = [0u8; 4];
    max_pool_number(&p, &[1u8, 9, 3, 4, 5, 6, 200, 8, 7], &mut y);
    assert_eq!(y, [9, 9, 200, 8]);
}
