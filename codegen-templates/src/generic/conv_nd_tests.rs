//! Unit tests for `conv_nd.rs` against a naive 3-D convolution.

#![allow(clippy::needless_range_loop)]

extern crate std;
use super::*;
use std::vec;
use std::vec::Vec;

#[allow(clippy::too_many_arguments)]
fn naive3d(
    x: &[f64],
    w: &[f64],
    b: &[f64],
    (n, c, m, g): (usize, usize, usize, usize),
    ins: [usize; 3],
    k: [usize; 3],
    st: [usize; 3],
    dil: [usize; 3],
    pads: [usize; 3],
    outs: [usize; 3],
) -> Vec<f64> {
    let (cin, cout) = (c / g, m / g);
    let mut y = vec![0.0; n * m * outs.iter().product::<usize>()];
    let mut idx = 0;
    for ni in 0..n {
        for oc in 0..m {
            let gi = oc / cout;
            for o0 in 0..outs[0] {
                for o1 in 0..outs[1] {
                    for o2 in 0..outs[2] {
                        let mut acc = b[oc];
                        for ic in 0..cin {
                            for k0 in 0..k[0] {
                                for k1 in 0..k[1] {
                                    for k2 in 0..k[2] {
                                        let p0 = (o0 * st[0] + k0 * dil[0]) as isize - pads[0] as isize;
                                        let p1 = (o1 * st[1] + k1 * dil[1]) as isize - pads[1] as isize;
                                        let p2 = (o2 * st[2] + k2 * dil[2]) as isize - pads[2] as isize;
                                        if p0 < 0 || p1 < 0 || p2 < 0 || p0 as usize >= ins[0] || p1 as usize >= ins[1] || p2 as usize >= ins[2] {
                                            continue;
                                        }
                                        let xi = (((ni * c + gi * cin + ic) * ins[0] + p0 as usize) * ins[1] + p1 as usize) * ins[2] + p2 as usize;
                                        let wi = (((oc * cin + ic) * k[0] + k0) * k[1] + k1) * k[2] + k2;
                                        acc += x[xi] * w[wi];
                                    }
                                }
                            }
                        }
                        y[idx] = acc;
                        idx += 1;
                    }
                }
            }
        }
    }
    y
}

#[test]
fn conv3d_matches_naive() {
    let (n, c, m, g) = (2, 4, 6, 2);
    let ins = [4, 5, 3];
    let k = [2, 3, 2];
    let st = [1, 2, 1];
    let dil = [2, 1, 1];
    let pads = [1, 1, 0];
    let pads_end = [0, 1, 1];
    let outs: [usize; 3] = core::array::from_fn(|i| (ins[i] + pads[i] + pads_end[i] - dil[i] * (k[i] - 1) - 1) / st[i] + 1);
    let x: Vec<f64> = (0..n * c * 60).map(|i| ((i * 7) % 11) as f64 * 0.1 - 0.5).collect();
    let w: Vec<f64> = (0..m * (c / g) * 12).map(|i| ((i * 5) % 13) as f64 * 0.05 - 0.3).collect();
    let b: Vec<f64> = (0..m).map(|i| i as f64 * 0.01).collect();
    let want = naive3d(&x, &w, &b, (n, c, m, g), ins, k, st, dil, pads, outs);
    let pad6 = |a: [usize; 3], fill: usize| [fill, fill, fill, a[0], a[1], a[2]];
    let p = ConvNdParams {
        batch: n,
        in_channels: c,
        out_channels: m,
        group: g,
        in_shape: pad6(ins, 1),
        out_shape: pad6(outs, 1),
        kernel: pad6(k, 1),
        strides: pad6(st, 1),
        dilations: pad6(dil, 1),
        pads: pad6(pads, 0),
        act: Activation::None,
        elem: FloatKind::F64,
    };
    let mut y = vec![0.0f64; want.len()];
    conv_nd(&p, &x, &w, Some(&b), &mut y);
    for (a, b) in y.iter().zip(&want) {
        assert!((a - b).abs() < 1e-12, "{a} vs {b}");
    }
}
