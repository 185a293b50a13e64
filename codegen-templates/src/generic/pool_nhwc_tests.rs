//! The channels-last pooling against the NCHW kernels of `pool.rs` (transposing inputs and
//! outputs), on shapes with pads, strides, dilation, ceil-mode overhang and NaN inputs.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::*;
use crate::generic::pool::{avg_pool2d, global_avg_pool, global_max_pool, max_pool2d, GlobalPoolParams};
use crate::generic::conv_nhwc::tests::{rand_vec, to_nhwc};

/// `(channels, in, kernel, stride, dilation, (pad top, left, bottom, right), ceil)`, each pair
/// `(h, w)`.
type Shape = (usize, (usize, usize), (usize, usize), (usize, usize), (usize, usize), (usize, usize, usize, usize), bool);

const SHAPES: &[Shape] = &[
    (3, (7, 9), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), false),
    (5, (8, 8), (2, 2), (2, 2), (1, 1), (0, 0, 0, 0), false),
    (4, (9, 10), (3, 2), (2, 3), (1, 1), (1, 0, 1, 2), true),
    (17, (6, 7), (3, 3), (1, 1), (2, 2), (2, 2, 2, 2), false),
    (1, (5, 6), (4, 3), (3, 2), (1, 1), (0, 1, 2, 1), true),
    (16, (7, 7), (3, 3), (2, 2), (1, 1), (1, 1, 1, 1), true),
    (8, (4, 4), (5, 5), (1, 1), (1, 1), (2, 2, 2, 2), false),
];

fn params(s: &Shape, include_pad: bool) -> PoolParams {
    let &(c, hw, k, stride, dil, pads, ceil) = s;
    crate::generic::pool::tests::params((2, c), hw, k, stride, dil, pads, ceil, include_pad)
}

fn same(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.to_bits() == w.to_bits() || (g.is_nan() && w.is_nan()), "{what}: element {i}: {g} vs {w}");
    }
}

#[test]
fn windowed_pools_match_nchw() {
    let mut seed = 5;
    for s in SHAPES {
        for include_pad in [false, true] {
            let p = params(s, include_pad);
            let (hw, ohw) = (p.in_h * p.in_w, p.out_h * p.out_w);
            let mut x = rand_vec(&mut seed, p.batch * p.channels * hw);
            x[3] = f32::NAN;
            let xt = to_nhwc(&x, p.batch, p.channels, hw);
            let len = p.batch * p.channels * ohw;
            for max in [true, false] {
                let (mut want, mut got) = (std::vec![7.0; len], std::vec![7.0; len]);
                if max {
                    max_pool2d(&p, &x, &mut want);
                    max_pool2d_nhwc(&p, &xt, &mut got);
                } else {
                    avg_pool2d(&p, &x, &mut want);
                    avg_pool2d_nhwc(&p, &xt, &mut got);
                }
                same(&std::format!("{p:?} max {max}"), &got, &to_nhwc(&want, p.batch, p.channels, ohw));
            }
        }
    }
}

#[test]
fn global_pools_match_nchw() {
    let mut seed = 6;
    for &(batch, spatial, channels) in &[(1, 1, 1), (2, 49, 17), (3, 12, 64), (2, 5, 3)] {
        let g = GlobalPoolNhwcParams { batch, spatial, channels };
        let nchw = GlobalPoolParams { batch_channels: batch * channels, spatial };
        let mut x = rand_vec(&mut seed, batch * spatial * channels);
        x[0] = f32::NAN;
        let xt = to_nhwc(&x, batch, channels, spatial);
        let (mut want, mut got) = (std::vec![7.0; batch * channels], std::vec![7.0; batch * channels]);
        global_avg_pool(&nchw, &x, &mut want);
        global_avg_pool_nhwc(&g, &xt, &mut got);
        same(&std::format!("avg {g:?}"), &got, &want);
        global_max_pool(&nchw, &x, &mut want);
        global_max_pool_nhwc(&g, &xt, &mut got);
        same(&std::format!("max {g:?}"), &got, &want);
    }
}

#[test]
fn short_buffers_write_nothing() {
    let p = params(&SHAPES[0], false);
    let (x, len) = (std::vec![1.0; p.batch * p.channels * p.in_h * p.in_w], p.batch * p.channels * p.out_h * p.out_w);
    let mut y = std::vec![7.0; len - 1];
    max_pool2d_nhwc(&p, &x, &mut y);
    avg_pool2d_nhwc(&p, &x, &mut y);
    let mut y2 = std::vec![7.0; len];
    max_pool2d_nhwc(&p, &x[1..], &mut y2);
    avg_pool2d_nhwc(&p, &x[1..], &mut y2);
    let g = GlobalPoolNhwcParams { batch: 2, spatial: 4, channels: 3 };
    let mut y3 = std::vec![7.0; 6];
    global_avg_pool_nhwc(&g, &x[..23], &mut y3);
    global_max_pool_nhwc(&g, &x[..23], &mut y3);
    let mut y4 = std::vec![7.0; 5];
    global_avg_pool_nhwc(&g, &x[..24], &mut y4);
    assert!(y.iter().chain(&y2).chain(&y3).chain(&y4).all(|&v| v == 7.0));
}
