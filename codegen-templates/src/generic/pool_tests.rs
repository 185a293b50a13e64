//! Unit tests for `pool.rs`.

extern crate std;
use super::*;
use std::vec::Vec;

fn fill(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(4242);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s % 2000) as f32 / 1000.0 - 1.0
        })
        .collect()
}

/// ONNX output length, with the ceil-mode rule that the last window starts inside
/// input + begin pad.
fn out_len(i: usize, k: usize, s: usize, d: usize, pb: usize, pe: usize, ceil: bool) -> usize {
    let span = i + pb + pe - (d * (k - 1) + 1);
    if !ceil {
        return span / s + 1;
    }
    let mut o = span.div_ceil(s) + 1;
    if (o - 1) * s >= i + pb {
        o -= 1;
    }
    o
}

#[allow(clippy::type_complexity)]
fn naive(p: &PoolParams, x: &[f32], max: bool) -> Vec<f32> {
    let mut y = Vec::new();
    for plane in 0..p.batch * p.channels {
        let xp = &x[plane * p.in_h * p.in_w..];
        for oh in 0..p.out_h {
            for ow in 0..p.out_w {
                let mut vals = Vec::new();
                let mut padded = 0usize;
                for kh in 0..p.kernel_h {
                    for kw in 0..p.kernel_w {
                        let h =
                            (oh * p.stride_h + kh * p.dilation_h) as isize - p.pad_top as isize;
                        let w = (ow * p.stride_w + kw * p.dilation_w) as isize
                            - p.pad_left as isize;
                        let in_pad_h =
                            h >= -(p.pad_top as isize) && h < (p.in_h + p.pad_bottom) as isize;
                        let in_pad_w =
                            w >= -(p.pad_left as isize) && w < (p.in_w + p.pad_right) as isize;
                        if in_pad_h && in_pad_w {
                            padded += 1;
                        }
                        if h >= 0 && w >= 0 && h < p.in_h as isize && w < p.in_w as isize {
                            vals.push(xp[h as usize * p.in_w + w as usize] as f64);
                        }
                    }
                }
                let v = if max {
                    vals.iter().cloned().fold(f32::MIN as f64, f64::max)
                } else {
                    let div = if p.count_include_pad {
                        padded
                    } else {
                        vals.len()
                    };
                    vals.iter().sum::<f64>() / div as f64
                };
                y.push(v as f32);
            }
        }
    }
    y
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn params(
    (b, c): (usize, usize),
    (in_h, in_w): (usize, usize),
    (kh, kw): (usize, usize),
    (sh, sw): (usize, usize),
    (dh, dw): (usize, usize),
    (pt, pl, pb, pr): (usize, usize, usize, usize),
    ceil: bool,
    cip: bool,
) -> PoolParams {
    PoolParams {
        batch: b,
        channels: c,
        in_h,
        in_w,
        out_h: out_len(in_h, kh, sh, dh, pt, pb, ceil),
        out_w: out_len(in_w, kw, sw, dw, pl, pr, ceil),
        kernel_h: kh,
        kernel_w: kw,
        stride_h: sh,
        stride_w: sw,
        dilation_h: dh,
        dilation_w: dw,
        pad_top: pt,
        pad_left: pl,
        pad_bottom: pb,
        pad_right: pr,
        count_include_pad: cip,
    }
}

fn check(p: PoolParams) {
    let x = fill(p.batch * p.channels * p.in_h * p.in_w, 21);
    for max in [false, true] {
        let want = naive(&p, &x, max);
        let mut got = std::vec![f32::NAN; want.len()];
        if max {
            max_pool2d(&p, &x, &mut got);
        } else {
            avg_pool2d(&p, &x, &mut got);
        }
        for (i, (g, e)) in got.iter().zip(want.iter()).enumerate() {
            let same = (g - e).abs() <= 1e-5 * (1.0 + e.abs()) || (g.is_nan() && e.is_nan());
            assert!(same, "{p:?} max={max} at {i}: {g} vs {e}");
        }
    }
}

fn x25() -> Vec<f32> {
    (1..=25).map(|v| v as f32).collect()
}

fn run(p: &PoolParams, x: &[f32], max: bool) -> Vec<f32> {
    let mut y = std::vec![f32::NAN; p.batch * p.channels * p.out_h * p.out_w];
    if max {
        max_pool2d(p, x, &mut y);
    } else {
        avg_pool2d(p, x, &mut y);
    }
    y
}

#[test]
fn onnx_averagepool_examples() {
    let x = x25();
    // averagepool_2d_precomputed_pads
    let p = params(
        (1, 1),
        (5, 5),
        (5, 5),
        (1, 1),
        (1, 1),
        (2, 2, 2, 2),
        false,
        false,
    );
    assert_eq!(p.out_h, 5);
    let want = [
        7.0, 7.5, 8.0, 8.5, 9.0, 9.5, 10.0, 10.5, 11.0, 11.5, 12.0, 12.5, 13.0, 13.5, 14.0,
        14.5, 15.0, 15.5, 16.0, 16.5, 17.0, 17.5, 18.0, 18.5, 19.0,
    ];
    assert_eq!(run(&p, &x, false), want);
    // averagepool_2d_precomputed_pads_count_include_pad
    let p = PoolParams {
        count_include_pad: true,
        ..p
    };
    let want = [
        2.52, 3.6, 4.8, 4.08, 3.24, 4.56, 6.4, 8.4, 7.04, 5.52, 7.2, 10.0, 13.0, 10.8, 8.4,
        6.96, 9.6, 12.4, 10.24, 7.92, 6.12, 8.4, 10.8, 8.88, 6.84,
    ];
    for (g, e) in run(&p, &x, false).iter().zip(want.iter()) {
        assert!((g - e).abs() < 1e-5, "{g} vs {e}");
    }
    // averagepool_2d_precomputed_strides
    let p = params(
        (1, 1),
        (5, 5),
        (2, 2),
        (2, 2),
        (1, 1),
        (0, 0, 0, 0),
        false,
        false,
    );
    assert_eq!(run(&p, &x, false), [4.0, 6.0, 14.0, 16.0]);
    // averagepool_2d_precomputed_same_upper: pads resolve to 1 on each side.
    let p = params(
        (1, 1),
        (5, 5),
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1, 1, 1),
        false,
        false,
    );
    assert_eq!(
        run(&p, &x, false),
        [4.0, 5.5, 7.0, 11.5, 13.0, 14.5, 19.0, 20.5, 22.0]
    );
    // averagepool_2d_ceil
    let x16: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let p = params(
        (1, 1),
        (4, 4),
        (3, 3),
        (2, 2),
        (1, 1),
        (0, 0, 0, 0),
        true,
        false,
    );
    assert_eq!((p.out_h, p.out_w), (2, 2));
    assert_eq!(run(&p, &x16, false), [6.0, 7.5, 12.0, 13.5]);
    // averagepool_2d_dilations (ceil_mode)
    let p = params(
        (1, 1),
        (4, 4),
        (2, 2),
        (1, 1),
        (2, 2),
        (0, 0, 0, 0),
        true,
        false,
    );
    assert_eq!(run(&p, &x16, false), [6.0, 7.0, 10.0, 11.0]);
}

#[test]
fn ceil_mode_windows() {
    // [1..5], kernel 2, stride 2, ceil: the last window holds only 5 (divisor 1 either way).
    let x: Vec<f32> = (1..=5).map(|v| v as f32).collect();
    for cip in [false, true] {
        let p = params(
            (1, 1),
            (1, 5),
            (1, 2),
            (1, 2),
            (1, 1),
            (0, 0, 0, 0),
            true,
            cip,
        );
        assert_eq!(p.out_w, 3);
        assert_eq!(run(&p, &x, false), [1.5, 3.5, 5.0]);
        assert_eq!(run(&p, &x, true), [2.0, 4.0, 5.0]);
    }
    // averagepool_2d_ceil_last_window_starts_on_pad: 2x2, k3 s3 pads 1, ceil -> 1x1.
    let x = [0.8580f32, 0.0786, 0.2692, 0.1537];
    let p = params(
        (1, 1),
        (2, 2),
        (3, 3),
        (3, 3),
        (1, 1),
        (1, 1, 1, 1),
        true,
        false,
    );
    assert_eq!((p.out_h, p.out_w), (1, 1));
    let sum: f32 = x.iter().sum();
    assert!((run(&p, &x, false)[0] - sum / 4.0).abs() < 1e-6);
    let p = PoolParams {
        count_include_pad: true,
        ..p
    };
    // All 9 taps are inside input + pads: 0.1511 as in the ONNX test data.
    assert!((run(&p, &x, false)[0] - 0.1511).abs() < 1e-4);
    // 6x6, k3 s2 pads 1, ceil, count_include_pad: the overhanging edge divides by 6, corner by 4.
    let x36 = [1.0f32; 36];
    let p = params(
        (1, 1),
        (6, 6),
        (3, 3),
        (2, 2),
        (1, 1),
        (1, 1, 1, 1),
        true,
        true,
    );
    assert_eq!((p.out_h, p.out_w), (4, 4));
    let y = run(&p, &x36, false);
    assert!((y[0] - 4.0 / 9.0).abs() < 1e-6);
    assert!((y[3] - 2.0 / 6.0).abs() < 1e-6); // top-right: 2x1 input taps, 3x2 counted
    assert!((y[15] - 1.0 / 4.0).abs() < 1e-6); // bottom-right: 1x1 input tap, 2x2 counted
    assert!((y[5] - 1.0).abs() < 1e-6);
}

#[test]
fn onnx_maxpool_examples() {
    let x = x25();
    // maxpool_2d_precomputed_pads
    let p = params(
        (1, 1),
        (5, 5),
        (5, 5),
        (1, 1),
        (1, 1),
        (2, 2, 2, 2),
        false,
        false,
    );
    let want = [
        13.0, 14.0, 15.0, 15.0, 15.0, 18.0, 19.0, 20.0, 20.0, 20.0, 23.0, 24.0, 25.0, 25.0,
        25.0, 23.0, 24.0, 25.0, 25.0, 25.0, 23.0, 24.0, 25.0, 25.0, 25.0,
    ];
    assert_eq!(run(&p, &x, true), want);
    // maxpool_2d_precomputed_strides
    let p = params(
        (1, 1),
        (5, 5),
        (2, 2),
        (2, 2),
        (1, 1),
        (0, 0, 0, 0),
        false,
        false,
    );
    assert_eq!(run(&p, &x, true), [7.0, 9.0, 17.0, 19.0]);
    // maxpool_2d_ceil
    let x16: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let p = params(
        (1, 1),
        (4, 4),
        (3, 3),
        (2, 2),
        (1, 1),
        (0, 0, 0, 0),
        true,
        false,
    );
    assert_eq!(run(&p, &x16, true), [11.0, 12.0, 15.0, 16.0]);
    // maxpool_2d_dilations
    let p = params(
        (1, 1),
        (4, 4),
        (2, 2),
        (1, 1),
        (2, 2),
        (0, 0, 0, 0),
        false,
        false,
    );
    assert_eq!(run(&p, &x16, true), [11.0, 12.0, 15.0, 16.0]);
    // maxpool_2d_ceil_output_size_reduce_by_one: 2x2, k1 s2, ceil -> 1x1.
    let p = params(
        (1, 1),
        (2, 2),
        (1, 1),
        (2, 2),
        (1, 1),
        (0, 0, 0, 0),
        true,
        false,
    );
    assert_eq!((p.out_h, p.out_w), (1, 1));
    assert_eq!(run(&p, &[1.0, 2.0, 3.0, 4.0], true), [1.0]);
}

#[test]
fn odd_sizes_and_options() {
    for &(h, w) in &[(1, 1), (3, 3), (7, 5), (17, 7)] {
        for &(kh, kw) in &[(1, 1), (2, 2), (3, 3), (1, 3)] {
            if kh > h || kw > w {
                continue;
            }
            for ceil in [false, true] {
                for cip in [false, true] {
                    check(params(
                        (2, 3),
                        (h, w),
                        (kh, kw),
                        (1, 1),
                        (1, 1),
                        (0, 0, 0, 0),
                        ceil,
                        cip,
                    ));
                    check(params(
                        (1, 2),
                        (h, w),
                        (kh, kw),
                        (2, 3),
                        (1, 1),
                        (0, 0, 0, 0),
                        ceil,
                        cip,
                    ));
                    if kh > 1 && kw > 1 {
                        check(params(
                            (1, 2),
                            (h, w),
                            (kh, kw),
                            (2, 2),
                            (1, 1),
                            (1, 1, 1, 1),
                            ceil,
                            cip,
                        ));
                        check(params(
                            (1, 1),
                            (h, w),
                            (kh, kw),
                            (3, 2),
                            (1, 1),
                            (1, 0, 0, 1),
                            ceil,
                            cip,
                        ));
                    }
                    if h >= 5 && w >= 5 {
                        check(params(
                            (1, 2),
                            (h, w),
                            (kh, kw),
                            (2, 1),
                            (2, 2),
                            (1, 1, 2, 0),
                            ceil,
                            cip,
                        ));
                    }
                }
            }
        }
    }
}

#[test]
fn global_pools() {
    for &(bc, s) in &[(1, 1), (3, 7), (7, 17)] {
        let x = fill(bc * s, 31);
        let p = GlobalPoolParams {
            batch_channels: bc,
            spatial: s,
        };
        let mut avg = std::vec![0.0f32; bc];
        let mut max = std::vec![0.0f32; bc];
        global_avg_pool(&p, &x, &mut avg);
        global_max_pool(&p, &x, &mut max);
        for i in 0..bc {
            let plane = &x[i * s..][..s];
            let mean = plane.iter().map(|&v| v as f64).sum::<f64>() / s as f64;
            let mx = plane.iter().cloned().fold(f32::MIN, f32::max);
            assert!((avg[i] as f64 - mean).abs() < 1e-5);
            assert_eq!(max[i], mx);
        }
    }
    let mut y = [0.0f32];
    global_max_pool(
        &GlobalPoolParams {
            batch_channels: 1,
            spatial: 3,
        },
        &[1.0, f32::NAN, 2.0],
        &mut y,
    );
    assert_eq!(y[0], 2.0);
}
