//! 2-D max/average pooling (NCHW, ONNX `MaxPool`/`AveragePool`) and global pooling.
//!
//! 1-D pooling is expressed with `in_h = out_h = kernel_h = 1`. `ceil_mode` and `auto_pad` are
//! resolved by the compiler into `out_h/out_w` and the four pads; a window may then run past the
//! bottom/right pad, and the part beyond is ignored (it is neither input nor padding).

/// Shape and options of one 2-D pooling; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolParams {
    /// N.
    pub batch: usize,
    /// C.
    pub channels: usize,
    /// Input height.
    pub in_h: usize,
    /// Input width.
    pub in_w: usize,
    /// Output height (after `ceil_mode`).
    pub out_h: usize,
    /// Output width (after `ceil_mode`).
    pub out_w: usize,
    /// Window height.
    pub kernel_h: usize,
    /// Window width.
    pub kernel_w: usize,
    /// Vertical stride (>= 1).
    pub stride_h: usize,
    /// Horizontal stride (>= 1).
    pub stride_w: usize,
    /// Vertical dilation (>= 1).
    pub dilation_h: usize,
    /// Horizontal dilation (>= 1).
    pub dilation_w: usize,
    /// Explicit padding above the input.
    pub pad_top: usize,
    /// Explicit padding left of the input.
    pub pad_left: usize,
    /// Explicit padding below the input (counts for `count_include_pad`).
    pub pad_bottom: usize,
    /// Explicit padding right of the input (counts for `count_include_pad`).
    pub pad_right: usize,
    /// AveragePool divides by the taps inside input + explicit pads, not just input taps.
    pub count_include_pad: bool,
}

/// Kernel taps `k < kernel` whose position `start + k * dilation` lies in `[lo, hi)`, as `(k0, k1)`.
#[inline(always)]
pub fn tap_range(
    start: isize,
    kernel: usize,
    dilation: usize,
    lo: isize,
    hi: isize,
) -> (usize, usize) {
    let d = if dilation == 0 { 1 } else { dilation as isize };
    let k0 = if lo > start {
        (lo - start + d - 1) / d
    } else {
        0
    } as usize;
    let k1 = if hi > start {
        (hi - start + d - 1) / d
    } else {
        0
    } as usize;
    let k1 = if k1 < kernel { k1 } else { kernel };
    let k0 = if k0 < k1 { k0 } else { k1 };
    (k0, k1)
}

/// ONNX `MaxPool`: the largest input value in each window; padding never wins.
///
/// A window that covers no input (only possible with pads >= kernel extent) yields `f32::MIN`,
/// as ORT does; NaN inputs are skipped, also as ORT (`if v > max`). Does nothing if a buffer
/// is too short.
#[inline(always)]
pub fn max_pool2d(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    let planes = p.batch * p.channels;
    let (Some(x), Some(y)) = (x.get(..planes * in_plane), y.get_mut(..planes * out_plane)) else {
        return;
    };
    if out_plane == 0 {
        return; // nothing to write
    }
    let (dh, dw) = (p.dilation_h.max(1), p.dilation_w.max(1));
    for (x_plane, y_plane) in x
        .chunks_exact(in_plane.max(1))
        .zip(y.chunks_exact_mut(out_plane.max(1)))
        .take(planes)
    {
        for (oh, y_row) in y_plane.chunks_exact_mut(p.out_w).enumerate() {
            let hs = (oh * p.stride_h) as isize - p.pad_top as isize;
            let (kh0, kh1) = tap_range(hs, p.kernel_h, dh, 0, p.in_h as isize);
            for (ow, yv) in y_row.iter_mut().enumerate() {
                let ws = (ow * p.stride_w) as isize - p.pad_left as isize;
                let (kw0, kw1) = tap_range(ws, p.kernel_w, dw, 0, p.in_w as isize);
                let w0 = (ws + (kw0 * dw) as isize) as usize;
                let mut m = f32::MIN;
                for kh in kh0..kh1 {
                    let h = (hs + (kh * dh) as isize) as usize;
                    let Some(taps) = x_plane
                        .get(h * p.in_w..)
                        .and_then(|r| r.get(..p.in_w))
                        .and_then(|r| r.get(w0..))
                    else {
                        continue;
                    };
                    for &v in taps.iter().step_by(dw).take(kw1 - kw0) {
                        if v > m {
                            m = v;
                        }
                    }
                }
                *yv = m;
            }
        }
    }
}

/// ONNX `AveragePool`: the mean of each window.
///
/// The sum runs over input taps only (padding is zero). The divisor is the number of input taps
/// when `count_include_pad` is false, and otherwise the taps inside input + explicit pads (a
/// `ceil_mode` window running past the bottom/right pad does not count the overhang), as ORT
/// and `onnx.reference` do. A window with a zero divisor yields NaN (0/0), as `onnx.reference`.
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn avg_pool2d(p: &PoolParams, x: &[f32], y: &mut [f32]) {
    let in_plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    let planes = p.batch * p.channels;
    let (Some(x), Some(y)) = (x.get(..planes * in_plane), y.get_mut(..planes * out_plane)) else {
        return;
    };
    if out_plane == 0 {
        return; // nothing to write
    }
    let (dh, dw) = (p.dilation_h.max(1), p.dilation_w.max(1));
    let padded_h = (p.in_h + p.pad_bottom) as isize;
    let padded_w = (p.in_w + p.pad_right) as isize;
    for (x_plane, y_plane) in x
        .chunks_exact(in_plane.max(1))
        .zip(y.chunks_exact_mut(out_plane.max(1)))
        .take(planes)
    {
        for (oh, y_row) in y_plane.chunks_exact_mut(p.out_w).enumerate() {
            let hs = (oh * p.stride_h) as isize - p.pad_top as isize;
            let (kh0, kh1) = tap_range(hs, p.kernel_h, dh, 0, p.in_h as isize);
            let count_h = if p.count_include_pad {
                let (a, b) = tap_range(hs, p.kernel_h, dh, -(p.pad_top as isize), padded_h);
                b - a
            } else {
                kh1 - kh0
            };
            for (ow, yv) in y_row.iter_mut().enumerate() {
                let ws = (ow * p.stride_w) as isize - p.pad_left as isize;
                let (kw0, kw1) = tap_range(ws, p.kernel_w, dw, 0, p.in_w as isize);
                let count_w = if p.count_include_pad {
                    let (a, b) = tap_range(ws, p.kernel_w, dw, -(p.pad_left as isize), padded_w);
                    b - a
                } else {
                    kw1 - kw0
                };
                let w0 = (ws + (kw0 * dw) as isize) as usize;
                let mut sum = 0.0f32;
                for kh in kh0..kh1 {
                    let h = (hs + (kh * dh) as isize) as usize;
                    let Some(taps) = x_plane
                        .get(h * p.in_w..)
                        .and_then(|r| r.get(..p.in_w))
                        .and_then(|r| r.get(w0..))
                    else {
                        continue;
                    };
                    for &v in taps.iter().step_by(dw).take(kw1 - kw0) {
                        sum += v;
                    }
                }
                *yv = sum / (count_h * count_w) as f32;
            }
        }
    }
}

/// Shape of a global pooling: every `[N, C]` plane reduces to one value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GlobalPoolParams {
    /// N * C, the number of planes.
    pub batch_channels: usize,
    /// Product of the spatial dimensions (plane length).
    pub spatial: usize,
}

/// ONNX `GlobalAveragePool`: `y[i]` is the mean of plane `i`.
#[inline(always)]
pub fn global_avg_pool(p: &GlobalPoolParams, x: &[f32], y: &mut [f32]) {
    if p.spatial == 0 {
        return;
    }
    let inv = p.spatial as f32;
    for (yv, plane) in y
        .iter_mut()
        .zip(x.chunks_exact(p.spatial))
        .take(p.batch_channels)
    {
        let mut sum = 0.0f32;
        for &v in plane {
            sum += v;
        }
        *yv = sum / inv;
    }
}

/// ONNX `GlobalMaxPool`: `y[i]` is the largest value of plane `i` (NaN skipped, as in `max_pool2d`).
#[inline(always)]
pub fn global_max_pool(p: &GlobalPoolParams, x: &[f32], y: &mut [f32]) {
    if p.spatial == 0 {
        return;
    }
    for (yv, plane) in y
        .iter_mut()
        .zip(x.chunks_exact(p.spatial))
        .take(p.batch_channels)
    {
        let mut m = f32::MIN;
        for &v in plane {
            if v > m {
                m = v;
            }
        }
        *yv = m;
    }
}

#[cfg(test)]
#[path = "pool_tests.rs"]
pub(crate) mod tests;
