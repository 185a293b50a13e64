//! The SIMD Winograd convolution against the direct generic one, on channel counts that hit
//! every vector tail, every panel width the layout pass cuts, and ragged tiles and blocks.

#![allow(clippy::indexing_slicing)]
extern crate std;

use super::activation::Activation;
use super::simd_winograd::winograd_conv;
use super::vec::{GEMM_VECS, LANES};
use crate::generic::winograd::tests::{case, check, Case};

const CHANNELS: &[usize] = &[1, 3, 7, 8, 15, 16, 17, 31, 33, 48, 65];

fn simd(case: &Case, scratch: &mut [f32], y: &mut [f32]) {
    winograd_conv(&case.p, &case.x, &case.u, case.bias.as_deref(), case.residual.as_deref(), scratch, y);
}

#[test]
fn matches_the_direct_convolution_on_every_tail() {
    let mut seed = 17;
    for (i, &cin) in CHANNELS.iter().enumerate() {
        let m = CHANNELS[(i * 7 + 3) % CHANNELS.len()];
        for panel in [LANES, GEMM_VECS * LANES, 0] {
            let (h, w) = (3 + i % 5, 2 + (i * 3) % 7);
            let block_tiles = [1, 5, 16, 1000][i % 4];
            check(&case((cin, m, h, w), 1, panel, block_tiles, true, i % 2 == 0, Activation::Relu, &mut seed), simd);
        }
    }
}

#[test]
fn every_activation_and_padding() {
    let mut seed = 23;
    let acts = [Activation::None, Activation::Clip { min: -0.2, max: 0.3 }, Activation::Sigmoid, Activation::Relu];
    for (i, act) in acts.into_iter().enumerate() {
        for pad in [0, 1, 2] {
            let cin = CHANNELS[(i + pad) % CHANNELS.len()];
            check(&case((cin, LANES + 1, 5, 6), pad, LANES, 7, pad != 1, true, act, &mut seed), simd);
        }
    }
}
