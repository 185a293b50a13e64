extern crate std;
use std::vec;
use std::vec::Vec;

use super::*;

#[allow(clippy::too_many_arguments)]
fn params(batch: usize, cin: usize, cout: usize, groups: usize, input: &[usize], kernel: &[usize], output: &[usize], stride: usize, pad: usize) -> DirectConvParams {
    let arr = |v: &[usize], fill: usize| {
        let mut a = [fill; 4];
        a[..v.len()].copy_from_slice(v);
        a
    };
    DirectConvParams {
        batch,
        in_channels: cin,
        out_channels: cout,
        groups,
        rank: input.len(),
        in_shape: arr(input, 1),
        out_shape: arr(output, 1),
        kernel: arr(kernel, 1),
        strides: [stride; 4],
        dilations: [1; 4],
        pads: [pad; 4],
    }
}

/// Naive 2-D integer convolution with zero-point padding.
#[allow(clippy::too_many_arguments)]
fn naive_conv2d(x: &[i32], w: &[i32], n: usize, c: usize, h: usize, wd: usize, m: usize, k: usize, stride: usize, pad: usize, oh: usize, ow: usize) -> Vec<i32> {
    let mut y = vec![0; n * m * oh * ow];
    for b in 0..n {
        for o in 0..m {
            for i in 0..oh {
                for j in 0..ow {
                    let mut s = 0;
                    for ic in 0..c {
                        for a in 0..k {
                            for bb in 0..k {
                                let (r, q) = ((i * stride + a) as isize - pad as isize, (j * stride + bb) as isize - pad as isize);
                                if r < 0 || q < 0 || r >= h as isize || q >= wd as isize {
                                    continue;
                                }
                                s += x[((b * c + ic) * h + r as usize) * wd + q as usize] * w[((o * c + ic) * k + a) * k + bb];
                            }
                        }
                    }
                    y[((b * m + o) * oh + i) * ow + j] = s;
                }
            }
        }
    }
    y
}

#[test]
fn conv_integer_matches_naive() {
    let (n, c, h, wd, m, k, stride, pad) = (2, 3, 5, 4, 2, 3, 2, 1);
    let (oh, ow) = ((h + 2 * pad - k) / stride + 1, (wd + 2 * pad - k) / stride + 1);
    let x: Vec<u8> = (0..n * c * h * wd).map(|i| (i * 37 % 251) as u8).collect();
    let w: Vec<i8> = (0..m * c * k * k).map(|i| (i as i32 * 13 % 255 - 127) as i8).collect();
    let (xz, wz) = (7u8, -3i8);
    let xs: Vec<i32> = x.iter().map(|&v| v as i32 - xz as i32).collect();
    let ws: Vec<i32> = w.iter().map(|&v| v as i32 - wz as i32).collect();
    let want = naive_conv2d(&xs, &ws, n, c, h, wd, m, k, stride, pad, oh, ow);
    let mut y = vec![0i32; want.len()];
    conv_integer(&params(n, c, m, 1, &[h, wd], &[k, k], &[oh, ow], stride, pad), &x, &w, Some(&[xz]), Some(&[wz]), &mut y);
    assert_eq!(y, want);
}

#[test]
fn qlinear_conv_scales_and_saturates() {
    // 1x1 convolution, one channel: y = round(x * w * xs * ws / ys) + yz.
    let p = params(1, 1, 1, 1, &[4], &[1], &[4], 1, 0);
    let q = QConvArgs { x_scale: &[0.5], x_zero: &[0u8], w_scale: &[1.0], w_zero: &[0u8], y_scale: &[1.0], y_zero: &[10u8], bias: Some(&[1]) };
    let mut y = [0u8; 4];
    qlinear_conv(&p, &[0u8, 1, 2, 255], &[2u8], q, &mut y);
    // (x * 2 + 1) * 0.5 + 10 = 10.5 → 10, 11.5 → 12, 12.5 → 12, 265.5 → 255.
    assert_eq!(y, [10, 12, 12, 255]);
}

#[test]
fn conv_transpose_nd_matches_1d_naive() {
    // x [1, 2, 3], w [2, 1, 2], stride 2, pad 1: full output 6, cropped to 4.
    let p = params(1, 2, 1, 1, &[3], &[2], &[4], 2, 1);
    let x = [1.0f32, 2.0, 3.0, -1.0, 0.5, 2.0];
    let w = [1.0f32, 10.0, 100.0, 1000.0];
    let mut full = [0.0f32; 6];
    for ic in 0..2 {
        for i in 0..3 {
            for k in 0..2 {
                full[i * 2 + k] += x[ic * 3 + i] * w[ic * 2 + k];
            }
        }
    }
    let mut y = [0.0f32; 4];
    conv_transpose_nd(&p, &x, &w, Some(&[0.25]), Activation::None, &mut y);
    let want: Vec<f32> = full[1..5].iter().map(|v| v + 0.25).collect();
    assert_eq!(y.to_vec(), want);
}
