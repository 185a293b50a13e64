//! Direct convolutions over 1 to 4 spatial axes: the integer ones (`ConvInteger`,
//! `QLinearConv`) and a float `ConvTranspose` for the ranks the 2-D kernel does not cover.

use super::activation::{apply, Activation};
use super::quant::QInt;
use super::qlinear::round_half_even;

/// Geometry of an N-D convolution. `Conv`: x `[batch, in_channels, in_shape…]`, w
/// `[out_channels, in_channels / groups, kernel…]`, y `[batch, out_channels, out_shape…]`.
/// `ConvTranspose`: w is `[in_channels, out_channels / groups, kernel…]` and `pads` are the
/// begin pads cropped from the full output. Only the first `rank` spatial entries are used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DirectConvParams {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub groups: usize,
    pub rank: usize,
    pub in_shape: [usize; 4],
    pub out_shape: [usize; 4],
    pub kernel: [usize; 4],
    pub strides: [usize; 4],
    pub dilations: [usize; 4],
    pub pads: [usize; 4],
}

/// Advances the row-major counter `idx` over the first `r` axes of `shape`; false after the last.
#[inline(always)]
fn nd_next(idx: &mut [usize; 4], shape: &[usize; 4], r: usize) -> bool {
    for (i, &n) in idx.iter_mut().zip(shape.iter()).take(r).rev() {
        *i += 1;
        if *i < n {
            return true;
        }
        *i = 0;
    }
    false
}

/// Row-major strides of the first `r` axes of `shape`, and their product.
#[inline(always)]
fn nd_strides(shape: &[usize; 4], r: usize) -> ([usize; 4], usize) {
    let mut st = [0usize; 4];
    let mut acc = 1;
    for (s, &n) in st.iter_mut().zip(shape.iter()).take(r).rev() {
        *s = acc;
        acc *= n;
    }
    (st, acc)
}

/// Sizes of x, w and y, or `None` when the geometry is inconsistent.
#[inline(always)]
fn nd_sizes(p: &DirectConvParams, transpose: bool) -> Option<(usize, usize, usize)> {
    let r = p.rank.min(4);
    let g = p.groups;
    if g == 0 || p.in_channels % g != 0 || p.out_channels % g != 0 || r != p.rank {
        return None;
    }
    let (_, in_sp) = nd_strides(&p.in_shape, r);
    let (_, out_sp) = nd_strides(&p.out_shape, r);
    let (_, k_sp) = nd_strides(&p.kernel, r);
    let w = if transpose { p.in_channels * (p.out_channels / g) } else { p.out_channels * (p.in_channels / g) };
    Some((p.batch * p.in_channels * in_sp, w * k_sp, p.batch * p.out_channels * out_sp))
}

/// The flat spatial input offset that output position `o` reads through kernel tap `k`, or
/// `None` when the tap falls into the padding.
#[inline(always)]
fn nd_tap(p: &DirectConvParams, o: &[usize; 4], k: &[usize; 4], in_st: &[usize; 4], r: usize) -> Option<usize> {
    let mut off = 0usize;
    let geo = p.strides.iter().zip(&p.dilations).zip(p.pads.iter().zip(&p.in_shape));
    for (((&oo, &kk), ((&s, &dl), (&pd, &n))), &st) in o.iter().zip(k).zip(geo).zip(in_st).take(r) {
        let pos = (oo * s + kk * dl).checked_sub(pd)?;
        if pos >= n {
            return None;
        }
        off += pos * st;
    }
    Some(off)
}

/// Walks a convolution: for each output element, `mac(&mut acc, x_index, w_index, oc)` over
/// its taps (padding skipped), then `emit(y_index, oc, acc)`.
#[inline(always)]
fn conv_walk<A: Copy, G: FnMut(&mut A, usize, usize, usize), F: FnMut(usize, usize, A)>(p: &DirectConvParams, zero: A, mut mac: G, mut emit: F) {
    let r = p.rank.min(4);
    let g = p.groups.max(1);
    let (in_st, in_sp) = nd_strides(&p.in_shape, r);
    let (_, out_sp) = nd_strides(&p.out_shape, r);
    let (_, k_sp) = nd_strides(&p.kernel, r);
    let (cin, cout) = (p.in_channels / g, p.out_channels / g);
    if out_sp == 0 || k_sp == 0 || cout == 0 {
        return;
    }
    for n in 0..p.batch {
        for oc in 0..p.out_channels {
            let group = oc / cout;
            let mut o = [0usize; 4];
            let mut yi = (n * p.out_channels + oc) * out_sp;
            loop {
                let mut acc = zero;
                let mut k = [0usize; 4];
                let mut ki = 0;
                loop {
                    if let Some(off) = nd_tap(p, &o, &k, &in_st, r) {
                        for ic in 0..cin {
                            let xi = (n * p.in_channels + group * cin + ic) * in_sp + off;
                            mac(&mut acc, xi, (oc * cin + ic) * k_sp + ki, oc);
                        }
                    }
                    ki += 1;
                    if !nd_next(&mut k, &p.kernel, r) {
                        break;
                    }
                }
                emit(yi, oc, acc);
                yi += 1;
                if !nd_next(&mut o, &p.out_shape, r) {
                    break;
                }
            }
        }
    }
}

/// The zero point of output channel `oc` (a scalar, or one per output channel).
#[inline(always)]
fn nd_zero_of<T: QInt>(z: Option<&[T]>, oc: usize) -> i32 {
    match z {
        Some(z) if z.len() > 1 => z.get(oc).map_or(0, |v| v.to_i32()),
        Some(z) => z.first().map_or(0, |v| v.to_i32()),
        None => 0,
    }
}

/// `ConvInteger`: int32 sums of `(x - x_zero) * (w - w_zero)`; `w_zero` is a scalar or one
/// per output channel.
#[inline(always)]
pub fn conv_integer<A: QInt, B: QInt>(p: &DirectConvParams, x: &[A], w: &[B], xz: Option<&[A]>, wz: Option<&[B]>, y: &mut [i32]) {
    let Some((xn, wn, yn)) = nd_sizes(p, false) else {
        return;
    };
    let (Some(x), Some(w), Some(y)) = (x.get(..xn), w.get(..wn), y.get_mut(..yn)) else {
        return;
    };
    let xz = nd_zero_of(xz, 0);
    conv_walk(
        p,
        0i32,
        |acc, xi, wi, oc| {
            let (a, b) = (x.get(xi).map_or(0, |v| v.to_i32()), w.get(wi).map_or(0, |v| v.to_i32()));
            *acc = acc.wrapping_add((a - xz).wrapping_mul(b - nd_zero_of(wz, oc)));
        },
        |yi, _, acc| {
            if let Some(v) = y.get_mut(yi) {
                *v = acc;
            }
        },
    );
}

/// The scales, zero points and bias of `QLinearConv` (`w_scale`, `w_zero` and `bias`: one
/// value, or one per output channel).
#[derive(Clone, Copy)]
pub struct QConvArgs<'a, A, B> {
    pub x_scale: &'a [f32],
    pub x_zero: &'a [A],
    pub w_scale: &'a [f32],
    pub w_zero: &'a [B],
    pub y_scale: &'a [f32],
    pub y_zero: &'a [A],
    pub bias: Option<&'a [i32]>,
}

/// `QLinearConv`: `y = saturate(round((sum + bias) * x_scale * w_scale / y_scale) + y_zero)`.
#[inline(always)]
pub fn qlinear_conv<A: QInt, B: QInt>(p: &DirectConvParams, x: &[A], w: &[B], q: QConvArgs<'_, A, B>, y: &mut [A]) {
    let Some((xn, wn, yn)) = nd_sizes(p, false) else {
        return;
    };
    let (Some(x), Some(w), Some(y)) = (x.get(..xn), w.get(..wn), y.get_mut(..yn)) else {
        return;
    };
    let (Some(&xs), Some(&ys)) = (q.x_scale.first(), q.y_scale.first()) else {
        return;
    };
    let xz = nd_zero_of(Some(q.x_zero), 0);
    let yz = nd_zero_of(Some(q.y_zero), 0) as f64;
    let per_channel = |v: &[f32], oc: usize| if v.len() > 1 { v.get(oc).copied() } else { v.first().copied() };
    conv_walk(
        p,
        0i32,
        |acc, xi, wi, oc| {
            let (a, b) = (x.get(xi).map_or(0, |v| v.to_i32()), w.get(wi).map_or(0, |v| v.to_i32()));
            *acc = acc.wrapping_add((a - xz).wrapping_mul(b - nd_zero_of(Some(q.w_zero), oc)));
        },
        |yi, oc, acc| {
            let bias = match q.bias {
                Some(b) if b.len() > 1 => b.get(oc).copied().unwrap_or(0),
                Some(b) => b.first().copied().unwrap_or(0),
                None => 0,
            };
            let ws = per_channel(q.w_scale, oc).unwrap_or(0.0);
            let factor = xs * ws / ys;
            let v = round_half_even(f64::from(acc.wrapping_add(bias)) * f64::from(factor) + yz);
            let v = if v < i32::MIN as f64 { i32::MIN } else if v > i32::MAX as f64 { i32::MAX } else { v as i32 };
            if let Some(o) = y.get_mut(yi) {
                *o = A::saturate(v);
            }
        },
    );
}

/// `ConvTranspose` on f32 over 1 to 4 spatial axes: each input element scatters
/// `x * w` into the outputs its taps reach (positions cropped by the begin pads), then bias
/// and the activation.
#[inline(always)]
pub fn conv_transpose_nd(p: &DirectConvParams, x: &[f32], w: &[f32], bias: Option<&[f32]>, act: Activation, y: &mut [f32]) {
    let Some((xn, wn, yn)) = nd_sizes(p, true) else {
        return;
    };
    let (Some(x), Some(w), Some(y)) = (x.get(..xn), w.get(..wn), y.get_mut(..yn)) else {
        return;
    };
    let r = p.rank.min(4);
    let g = p.groups.max(1);
    let (_, in_sp) = nd_strides(&p.in_shape, r);
    let (out_st, out_sp) = nd_strides(&p.out_shape, r);
    let (_, k_sp) = nd_strides(&p.kernel, r);
    let (cin, cout) = (p.in_channels / g, p.out_channels / g);
    for (n, yb) in y.chunks_exact_mut(p.out_channels * out_sp).enumerate() {
        for (oc, plane) in yb.chunks_exact_mut(out_sp).enumerate() {
            let b = bias.and_then(|b| b.get(oc)).copied().unwrap_or(0.0);
            plane.iter_mut().for_each(|v| *v = b);
        }
        if in_sp == 0 || k_sp == 0 {
            continue;
        }
        for ic in 0..p.in_channels {
            let group = ic / cin.max(1);
            let Some(xp) = x.get((n * p.in_channels + ic) * in_sp..(n * p.in_channels + ic + 1) * in_sp) else {
                continue;
            };
            let mut i = [0usize; 4];
            for &xv in xp {
                let mut k = [0usize; 4];
                let mut ki = 0;
                loop {
                    // Output position i * stride + k * dilation - pad, if inside.
                    let mut off = Some(0usize);
                    let geo = p.strides.iter().zip(&p.dilations).zip(p.pads.iter().zip(&p.out_shape));
                    for (((&ii, &kk), ((&s, &dl), (&pd, &n_out))), &st) in i.iter().zip(&k).zip(geo).zip(&out_st).take(r) {
                        off = match ((ii * s + kk * dl).checked_sub(pd), off) {
                            (Some(pos), Some(o)) if pos < n_out => Some(o + pos * st),
                            _ => None,
                        };
                    }
                    if let Some(off) = off {
                        for oc in 0..cout {
                            let wv = w.get((ic * cout + oc) * k_sp + ki).copied().unwrap_or(0.0);
                            if let Some(v) = yb.get_mut((group * cout + oc) * out_sp + off) {
                                *v += xv * wv;
                            }
                        }
                    }
                    ki += 1;
                    if !nd_next(&mut k, &p.kernel, r) {
                        break;
                    }
                }
                nd_next(&mut i, &p.in_shape, r);
            }
        }
    }
    if act != Activation::None {
        y.iter_mut().for_each(|v| *v = apply(act, *v));
    }
}

#[cfg(test)]
#[path = "conv_direct_tests.rs"]
mod tests;
