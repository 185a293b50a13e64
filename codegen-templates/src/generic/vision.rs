//! Detection-style sampling kernels: ONNX `RoiAlign`, `DeformConv` (2-D) and `AffineGrid`.
//! They compute in `f32` (AffineGrid in `f64`) and read or write any float element type
//! through [`Real`].

use super::real::{FloatKind, Real};

/// Geometry and options of one `RoiAlign`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RoiAlignParams {
    pub rois: usize,
    pub batch: usize,
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    pub out_h: usize,
    pub out_w: usize,
    /// Samples per bin and axis; 0 = `ceil(roi size / output size)`.
    pub sampling_ratio: usize,
    pub spatial_scale: f32,
    /// `half_pixel` coordinates (otherwise `output_half_pixel`: no shift, ROIs at least 1×1).
    pub half_pixel: bool,
    /// Max of the weighted corner values (otherwise the average of the bilinear samples).
    pub max: bool,
    pub elem: FloatKind,
}

/// The four corners (flat offsets in a plane) and weights of a bilinear sample, RoiAlign style:
/// a sample beyond one pixel outside the plane has zero weights; one inside that border is
/// clamped to the edge.
#[inline(always)]
fn roi_sample(h: usize, w: usize, y: f32, x: f32) -> [(usize, f32); 4] {
    if h == 0 || w == 0 || !(-1.0..=h as f32).contains(&y) || !(-1.0..=w as f32).contains(&x) {
        return [(0, 0.0); 4];
    }
    let (mut y, mut x) = (y.max(0.0), x.max(0.0));
    let (mut y0, mut x0) = (y as usize, x as usize);
    let y1 = if y0 >= h - 1 {
        y0 = h - 1;
        y = y0 as f32;
        y0
    } else {
        y0 + 1
    };
    let x1 = if x0 >= w - 1 {
        x0 = w - 1;
        x = x0 as f32;
        x0
    } else {
        x0 + 1
    };
    let (ly, lx) = (y - y0 as f32, x - x0 as f32);
    let (hy, hx) = (1.0 - ly, 1.0 - lx);
    [(y0 * w + x0, hy * hx), (y0 * w + x1, hy * lx), (y1 * w + x0, ly * hx), (y1 * w + x1, ly * lx)]
}

/// ONNX `RoiAlign`: `x` is `[batch, channels, height, width]`, `rois` `[rois, 4]`
/// (`x1, y1, x2, y2`), `batch_indices` `[rois]`; `y` is `[rois, channels, out_h, out_w]`.
/// A ROI whose batch index is out of range yields zeros.
pub fn roi_align<T: Real>(p: &RoiAlignParams, x: &[T], rois: &[T], batch_indices: &[i64], y: &mut [T]) {
    let plane = p.height * p.width;
    let bins = p.out_h * p.out_w;
    let per_roi = p.channels * bins;
    if per_roi == 0
        || x.len() < p.batch * p.channels * plane
        || rois.len() < p.rois * 4
        || batch_indices.len() < p.rois
        || y.len() < p.rois * per_roi
    {
        return;
    }
    let kind = p.elem;
    let zero = T::put(0.0, kind);
    let offset = if p.half_pixel { 0.5 } else { 0.0 };
    let s = p.spatial_scale;
    let rows = rois.chunks_exact(4).zip(batch_indices).zip(y.chunks_exact_mut(per_roi)).take(p.rois);
    for ((roi, &b), y_roi) in rows {
        let Some(b) = usize::try_from(b).ok().filter(|&b| b < p.batch) else {
            y_roi.iter_mut().for_each(|v| *v = zero);
            continue;
        };
        let c = |i: usize| roi.get(i).map_or(0.0, |v| v.get(kind)) * s - offset;
        let (start_w, start_h, end_w, end_h) = (c(0), c(1), c(2), c(3));
        let (mut roi_w, mut roi_h) = (end_w - start_w, end_h - start_h);
        if !p.half_pixel {
            roi_w = roi_w.max(1.0);
            roi_h = roi_h.max(1.0);
        }
        let bin_h = roi_h / p.out_h as f32;
        let bin_w = roi_w / p.out_w as f32;
        let grid = |size: f32| -> usize {
            if p.sampling_ratio > 0 {
                p.sampling_ratio
            } else {
                crate::rt::math::ceil(size).max(0.0) as usize
            }
        };
        let grid_h = grid(roi_h / p.out_h as f32);
        let grid_w = grid(roi_w / p.out_w as f32);
        let count = (grid_h * grid_w).max(1) as f32;
        let first_plane = b * p.channels;
        for (ch, y_ch) in y_roi.chunks_exact_mut(bins).enumerate() {
            let base = (first_plane + ch) * plane;
            let Some(xp) = x.get(base..base + plane) else { return };
            let mut out = y_ch.iter_mut();
            for ph in 0..p.out_h {
                for pw in 0..p.out_w {
                    let mut acc = 0.0f32;
                    let mut first = true;
                    for iy in 0..grid_h {
                        let yy = start_h + ph as f32 * bin_h + (iy as f32 + 0.5) * bin_h / grid_h as f32;
                        for ix in 0..grid_w {
                            let xx = start_w + pw as f32 * bin_w + (ix as f32 + 0.5) * bin_w / grid_w as f32;
                            let taps = roi_sample(p.height, p.width, yy, xx);
                            let val = |(at, wt): (usize, f32)| wt * xp.get(at).map_or(0.0, |v| v.get(kind));
                            if p.max {
                                let v = taps.into_iter().map(val).fold(f32::NEG_INFINITY, f32::max);
                                acc = if first { v } else { acc.max(v) };
                                first = false;
                            } else {
                                acc += taps.into_iter().map(val).sum::<f32>();
                            }
                        }
                    }
                    let v = if p.max { acc } else { acc / count };
                    if let Some(o) = out.next() {
                        *o = T::put(v, kind);
                    }
                }
            }
        }
    }
}

/// Geometry of one 2-D `DeformConv`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DeformConvParams {
    pub batch: usize,
    pub in_channels: usize,
    pub in_h: usize,
    pub in_w: usize,
    pub out_channels: usize,
    pub out_h: usize,
    pub out_w: usize,
    pub kernel_h: usize,
    pub kernel_w: usize,
    pub stride_h: usize,
    pub stride_w: usize,
    /// Begin pads.
    pub pad_h: usize,
    pub pad_w: usize,
    pub dilation_h: usize,
    pub dilation_w: usize,
    pub group: usize,
    pub offset_group: usize,
    pub elem: FloatKind,
}

/// Bilinear sample of a plane at `(y, x)`, corners outside the plane reading as zero.
#[inline(always)]
fn sample_zero<T: Real>(plane: &[T], h: usize, w: usize, y: f32, x: f32, kind: FloatKind) -> f32 {
    if !(y > -1.0 && x > -1.0 && y < h as f32 && x < w as f32) {
        return 0.0;
    }
    let (fy, fx) = (crate::rt::math::floor(y), crate::rt::math::floor(x));
    let (ly, lx) = (y - fy, x - fx);
    let (y0, x0) = (fy as i64, fx as i64);
    let at = |yy: i64, xx: i64| -> f32 {
        if yy < 0 || xx < 0 || yy >= h as i64 || xx >= w as i64 {
            return 0.0;
        }
        plane.get(yy as usize * w + xx as usize).map_or(0.0, |v| v.get(kind))
    };
    (1.0 - ly) * ((1.0 - lx) * at(y0, x0) + lx * at(y0, x0 + 1)) + ly * ((1.0 - lx) * at(y0 + 1, x0) + lx * at(y0 + 1, x0 + 1))
}

/// ONNX `DeformConv` over two spatial axes: `x` `[N, C, H, W]`, `w` `[M, C/group, kh, kw]`,
/// `offset` `[N, offset_group·kh·kw·2, oh, ow]` (`dy, dx` per tap), optional `bias` `[M]` and
/// `mask` `[N, offset_group·kh·kw, oh, ow]`; `y` is `[N, M, oh, ow]`.
pub fn deform_conv<T: Real>(p: &DeformConvParams, x: &[T], w: &[T], offset: &[T], bias: Option<&[T]>, mask: Option<&[T]>, y: &mut [T]) {
    let kind = p.elem;
    let taps = p.kernel_h * p.kernel_w;
    let plane = p.in_h * p.in_w;
    let out_plane = p.out_h * p.out_w;
    if p.group == 0 || p.offset_group == 0 || p.in_channels % p.group != 0 || p.out_channels % p.group != 0 || p.in_channels % p.offset_group != 0 {
        return;
    }
    let (icg, ocg, ics_per_og) = (p.in_channels / p.group, p.out_channels / p.group, p.in_channels / p.offset_group);
    if x.len() < p.batch * p.in_channels * plane
        || w.len() < p.out_channels * icg * taps
        || offset.len() < p.batch * p.offset_group * taps * 2 * out_plane
        || bias.is_some_and(|b| b.len() < p.out_channels)
        || mask.is_some_and(|m| m.len() < p.batch * p.offset_group * taps * out_plane)
        || y.len() < p.batch * p.out_channels * out_plane
    {
        return;
    }
    let read = |s: &[T], i: usize| s.get(i).map_or(0.0, |v| v.get(kind));
    let mut out = y.iter_mut();
    for n in 0..p.batch {
        for oc in 0..p.out_channels {
            let g = oc / ocg;
            let b = bias.map_or(0.0, |b| read(b, oc));
            for oh in 0..p.out_h {
                for ow in 0..p.out_w {
                    let mut acc = b;
                    let pos = oh * p.out_w + ow;
                    let oy = (oh * p.stride_h) as f32 - p.pad_h as f32;
                    let ox = (ow * p.stride_w) as f32 - p.pad_w as f32;
                    for ci in 0..icg {
                        let ic = g * icg + ci;
                        let og = ic / ics_per_og;
                        let base = (n * p.in_channels + ic) * plane;
                        let Some(xp) = x.get(base..base + plane) else { return };
                        for i in 0..p.kernel_h {
                            for j in 0..p.kernel_w {
                                let tap = og * taps + i * p.kernel_w + j;
                                let off = ((n * p.offset_group * taps + tap) * 2) * out_plane + pos;
                                let (dy, dx) = (read(offset, off), read(offset, off + out_plane));
                                let m = mask.map_or(1.0, |m| read(m, (n * p.offset_group * taps + tap) * out_plane + pos));
                                let sy = oy + (i * p.dilation_h) as f32 + dy;
                                let sx = ox + (j * p.dilation_w) as f32 + dx;
                                let v = sample_zero(xp, p.in_h, p.in_w, sy, sx, kind);
                                let wt = read(w, ((oc * icg + ci) * p.kernel_h + i) * p.kernel_w + j);
                                acc += wt * v * m;
                            }
                        }
                    }
                    if let Some(o) = out.next() {
                        *o = T::put(acc, kind);
                    }
                }
            }
        }
    }
}

/// Geometry of one `AffineGrid`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AffineGridParams {
    pub batch: usize,
    /// 2 (theta `[N, 2, 3]`, grid `[N, H, W, 2]`) or 3 (theta `[N, 3, 4]`, grid `[N, D, H, W, 3]`).
    pub rank: usize,
    /// D, H, W (D = 1 in 2-D).
    pub size: [usize; 3],
    pub align_corners: bool,
    pub elem: FloatKind,
}

/// The normalized coordinate of sample `i` of `len` along one axis.
#[inline(always)]
fn grid_coord(i: usize, len: usize, align_corners: bool) -> f64 {
    if align_corners {
        if len > 1 {
            -1.0 + 2.0 * i as f64 / (len - 1) as f64
        } else {
            -1.0
        }
    } else {
        -1.0 + (2 * i + 1) as f64 / len as f64
    }
}

/// ONNX `AffineGrid`: the sampling grid of each batch's affine matrix `theta`, in `(x, y[, z])`
/// order per output point.
pub fn affine_grid<T: Real>(p: &AffineGridParams, theta: &[T], grid: &mut [T]) {
    let kind = p.elem;
    let r = p.rank;
    if !(r == 2 || r == 3) {
        return;
    }
    let [d, h, w] = p.size;
    let points = d * h * w;
    let mat = r * (r + 1);
    if mat == 0 || theta.len() < p.batch * mat || grid.len() < p.batch * points * r {
        return;
    }
    let mut out = grid.iter_mut();
    for t in theta.chunks_exact(mat).take(p.batch) {
        let th = |row: usize, col: usize| t.get(row * (r + 1) + col).map_or(0.0, |v| f64::from(v.get(kind)));
        for k in 0..d {
            let z = grid_coord(k, d, p.align_corners);
            for i in 0..h {
                let yc = grid_coord(i, h, p.align_corners);
                for j in 0..w {
                    let xc = grid_coord(j, w, p.align_corners);
                    for row in 0..r {
                        let v = if r == 2 {
                            th(row, 0) * xc + th(row, 1) * yc + th(row, 2)
                        } else {
                            th(row, 0) * xc + th(row, 1) * yc + th(row, 2) * z + th(row, 3)
                        };
                        if let Some(o) = out.next() {
                            *o = T::put(v as f32, kind);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "vision_tests.rs"]
mod tests;
