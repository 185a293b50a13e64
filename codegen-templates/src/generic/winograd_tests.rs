//! Winograd F(2×2, 3×3) against the direct channels-last convolution, on sizes with ragged
//! last tiles, every padding the layout pass meets, blocks of one tile to all of them, and
//! with bias, residual and activations.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::*;
use crate::generic::conv_nhwc::pack_weights as pack_conv;
use crate::generic::conv_nhwc::tests::{params, rand_vec};
use std::vec::Vec;

/// One convolution with its operands, `U`, and the direct convolution's output.
pub(crate) struct Case {
    pub p: WinogradParams,
    pub x: Vec<f32>,
    pub u: Vec<f32>,
    pub bias: Option<Vec<f32>>,
    pub residual: Option<Vec<f32>>,
    pub want: Vec<f32>,
}

/// Builds the case: `(C, M, H, W)`, symmetric `pad`, and the optional parts.
#[allow(clippy::too_many_arguments)]
pub(crate) fn case(shape: (usize, usize, usize, usize), pad: usize, panel: usize, block_tiles: usize, bias: bool, residual: bool, act: Activation, seed: &mut u64) -> Case {
    let (cin, m, h, w) = shape;
    let conv = ConvNhwcParams { conv: params(cin, m, h, w, (3, 3), 1, pad, 1, 1, act), panel };
    let c = &conv.conv;
    let p = WinogradParams { conv, block_tiles };
    let x = rand_vec(seed, c.batch * h * w * cin);
    let weights = rand_vec(seed, m * cin * 9);
    let mut packed = std::vec![0.0; packed_weight_len(&conv)];
    assert!(pack_conv(&conv, &weights, &mut packed));
    let mut u = std::vec![0.0; packed_len(&p)];
    assert!(pack_weights(&p, &packed, &mut u), "{c:?}");
    let bias = bias.then(|| rand_vec(seed, m));
    let n = c.batch * c.out_h * c.out_w * m;
    let residual = residual.then(|| rand_vec(seed, n));
    let mut want = std::vec![0.0; n];
    conv2d_nhwc(&conv, &x, &packed, bias.as_deref(), residual.as_deref(), &mut want);
    Case { p, x, u, bias, residual, want }
}

/// Runs `run` on the case and checks it against the direct convolution: the error of
/// F(2×2, 3×3) is rounding, a few units in the last place of the sums of `9 · C` products.
pub(crate) fn check(case: &Case, run: impl Fn(&Case, &mut [f32], &mut [f32])) {
    let mut scratch = std::vec![f32::NAN; scratch_len(&case.p)];
    let mut got = std::vec![f32::NAN; case.want.len()];
    run(case, &mut scratch, &mut got);
    let bound = 2e-6 * (9 * case.p.conv.conv.in_channels) as f32;
    for (i, (g, w)) in got.iter().zip(&case.want).enumerate() {
        assert!((g - w).abs() <= bound * w.abs().max(1.0), "{:?}: element {i}: {g} vs {w}", case.p);
    }
}

fn generic(case: &Case, scratch: &mut [f32], y: &mut [f32]) {
    winograd_conv(&case.p, &case.x, &case.u, case.bias.as_deref(), case.residual.as_deref(), scratch, y);
}

#[test]
fn matches_the_direct_convolution() {
    let mut seed = 5;
    let relu = Activation::Relu;
    for (shape, pad) in [((1, 1, 1, 1), 1), ((3, 5, 2, 3), 1), ((8, 16, 5, 4), 1), ((17, 7, 7, 9), 1), ((4, 6, 6, 5), 0), ((5, 3, 4, 6), 2), ((16, 33, 8, 8), 1)] {
        for block_tiles in [1, 3, 64] {
            for panel in [0, 4] {
                check(&case(shape, pad, panel, block_tiles, true, false, relu, &mut seed), generic);
            }
        }
    }
}

#[test]
fn bias_residual_and_activation_are_applied_in_order() {
    let mut seed = 9;
    for act in [Activation::None, Activation::Clip { min: -0.2, max: 0.3 }, Activation::Sigmoid] {
        for (bias, residual) in [(false, false), (true, true), (false, true)] {
            check(&case((6, 10, 5, 7), 1, 4, 5, bias, residual, act, &mut seed), generic);
        }
    }
}

#[test]
fn unsupported_shapes_and_short_buffers_are_refused() {
    let mut c = params(4, 6, 5, 5, (3, 3), 2, 1, 1, 1, Activation::None);
    assert!(!winograd_supported(&c), "stride 2");
    c = params(4, 6, 5, 5, (3, 3), 1, 1, 2, 1, Activation::None);
    assert!(!winograd_supported(&c), "dilation 2");
    c = params(4, 6, 5, 5, (1, 1), 1, 0, 1, 1, Activation::None);
    assert!(!winograd_supported(&c), "1×1");
    let mut seed = 1;
    let ok = case((4, 6, 5, 5), 1, 0, 4, true, false, Activation::None, &mut seed);
    let mut u = std::vec![0.0; packed_len(&ok.p) - 1];
    assert!(!pack_weights(&ok.p, &std::vec![0.0; 4 * 6 * 9], &mut u));
    // A scratch one float short: the output is left alone.
    let mut scratch = std::vec![0.0; scratch_len(&ok.p) - 1];
    let mut y = std::vec![7.0; ok.want.len()];
    winograd_conv(&ok.p, &ok.x, &ok.u, ok.bias.as_deref(), None, &mut scratch, &mut y);
    assert!(y.iter().all(|&v| v == 7.0));
}

#[test]
fn transforms_are_the_minimal_filtering_algorithm_in_one_dimension() {
    // With one row of the window and one row of the filter, F(2×2, 3×3) reduces to F(2, 3):
    // y0 = d0·g0 + d1·g1 + d2·g2, y1 = d1·g0 + d2·g1 + d3·g2 (the window's row 1 and the
    // filter's row 1 meet at output row 0; see `Bᵀ`, `G` and `Aᵀ` in the module docs).
    let (d, g) = ([2.0f32, -1.0, 0.5, 4.0], [0.25f32, 3.0, -2.0]);
    let mut window = [0.0f32; 16];
    window[4..8].copy_from_slice(&d);
    let v = input_transform(window, |a, b| a + b, |a, b| a - b);
    // U for the filter with only its middle row: G g Gᵀ, g = [0; row; 0].
    let row = |a: [f32; 3]| [a[0], (a[0] + a[1] + a[2]) / 2.0, (a[0] - a[1] + a[2]) / 2.0, a[2]];
    let gr = row(g);
    let gc = row([0.0, 1.0, 0.0]);
    let m: [f32; 16] = core::array::from_fn(|i| gc[i / 4] * gr[i % 4] * v[i]);
    let y = output_transform(m, |a, b| a + b, |a, b| a - b);
    let want0 = d[0] * g[0] + d[1] * g[1] + d[2] * g[2];
    let want1 = d[1] * g[0] + d[2] * g[1] + d[3] * g[2];
    assert_eq!(y[0], [want0, want1]);
    assert_eq!(y[1], [0.0, 0.0], "window row 1 meets filter row 1 only at output row 0");
}
