//! ONNX `Conv` over any number of spatial axes (up to 6) and any float type: the kernel for
//! 3-D and wider convolutions and for `f64`, `f16` and `bf16` data (the `f32` 1-D and 2-D
//! ones run `conv::conv2d`). Products accumulate in the element's [`Elem::Acc`] type and are
//! rounded once per output.

use super::activation::Activation;
use super::float_linalg::{Acc, Elem};
use super::real::FloatKind;

/// Spatial axes the kernel handles; shorter convolutions fill the leading axes with 1s.
pub const MAX_SPATIAL: usize = 6;

/// Geometry of one N-D convolution. Spatial arrays are right-aligned: unused leading axes have
/// size 1, kernel 1, stride 1, dilation 1 and no padding.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvNdParams {
    pub batch: usize,
    pub in_channels: usize,
    pub out_channels: usize,
    pub group: usize,
    pub in_shape: [usize; MAX_SPATIAL],
    pub out_shape: [usize; MAX_SPATIAL],
    pub kernel: [usize; MAX_SPATIAL],
    pub strides: [usize; MAX_SPATIAL],
    pub dilations: [usize; MAX_SPATIAL],
    /// Padding before each axis (the end padding only shows in `out_shape`).
    pub pads: [usize; MAX_SPATIAL],
    pub act: Activation,
    pub elem: FloatKind,
}

/// `y = act(conv(x, w) + bias)` with `x` `[N, C, in..]`, `w` `[M, C/group, kernel..]`, `y`
/// `[N, M, out..]`. Does nothing if a buffer is too short or the channels do not divide.
#[inline(always)]
pub fn conv_nd<T: Elem>(p: &ConvNdParams, x: &[T], w: &[T], bias: Option<&[T]>, y: &mut [T]) {
    if p.group == 0 || p.in_channels % p.group != 0 || p.out_channels % p.group != 0 {
        return;
    }
    let (cin, cout) = (p.in_channels / p.group, p.out_channels / p.group);
    let in_sp: usize = p.in_shape.iter().product();
    let out_sp: usize = p.out_shape.iter().product();
    let k_sp: usize = p.kernel.iter().product();
    let (Some(x), Some(w), Some(y)) = (
        x.get(..p.batch * p.in_channels * in_sp),
        w.get(..p.out_channels * cin * k_sp),
        y.get_mut(..p.batch * p.out_channels * out_sp),
    ) else {
        return;
    };
    let bias = match bias.map(|b| b.get(..p.out_channels)) {
        Some(None) => return,
        other => other.flatten(),
    };
    if out_sp == 0 || k_sp == 0 {
        return;
    }
    // Row-major element strides of the input's spatial axes.
    let mut in_strides = [0usize; MAX_SPATIAL];
    let mut s = 1;
    for (st, &len) in in_strides.iter_mut().zip(&p.in_shape).rev() {
        *st = s;
        s *= len;
    }
    let e = p.elem;
    for (plane, y_plane) in y.chunks_exact_mut(out_sp).enumerate() {
        let (n, oc) = (plane / p.out_channels, plane % p.out_channels);
        let g = oc / cout;
        let x_off = (n * p.in_channels + g * cin) * in_sp;
        let (Some(x_g), Some(w_oc)) = (x.get(x_off..x_off + cin * in_sp), w.get(oc * cin * k_sp..(oc + 1) * cin * k_sp)) else {
            continue;
        };
        let b = bias.and_then(|b| b.get(oc)).map_or(T::Acc::ZERO, |&b| b.load(e));
        for (o, yv) in y_plane.iter_mut().enumerate() {
            // First input position of the window, per axis (may be negative: padding).
            let mut start = [0isize; MAX_SPATIAL];
            let mut rem = o;
            for (((st, &len), &stride), &pad) in start.iter_mut().zip(&p.out_shape).zip(&p.strides).zip(&p.pads).rev() {
                let i = rem.checked_rem(len).unwrap_or(0);
                rem = rem.checked_div(len).unwrap_or(0);
                *st = (i * stride) as isize - pad as isize;
            }
            let mut acc = T::Acc::ZERO;
            for kk in 0..k_sp {
                // The input offset of kernel tap `kk`, or `None` when it falls in the padding.
                let mut off = 0usize;
                let mut inside = true;
                let mut rem = kk;
                let axes = start.iter().zip(&p.kernel).zip(&p.dilations).zip(&p.in_shape).zip(&in_strides);
                for ((((&st, &klen), &dil), &ilen), &istride) in axes.rev() {
                    let ki = rem.checked_rem(klen).unwrap_or(0);
                    rem = rem.checked_div(klen).unwrap_or(0);
                    let pos = st + (ki * dil) as isize;
                    if pos < 0 || pos as usize >= ilen {
                        inside = false;
                        break;
                    }
                    off += pos as usize * istride;
                }
                if !inside {
                    continue;
                }
                let xs = x_g.iter().skip(off).step_by(in_sp);
                let ws = w_oc.iter().skip(kk).step_by(k_sp);
                for (&xv, &wv) in xs.zip(ws) {
                    acc += xv.load(e) * wv.load(e);
                }
            }
            *yv = T::store((acc + b).act(p.act), e);
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
#[path = "conv_nd_tests.rs"]
mod tests;
