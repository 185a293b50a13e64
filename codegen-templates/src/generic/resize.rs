//! ONNX `Resize` (opset >= 11) in `nearest` and `linear` modes, for any rank up to 8.
//!
//! `tf_crop_and_resize` (needs `roi`) and `cubic` are not supported: the compiler rejects them.

use crate::rt::math;
use core::fmt;

/// Interpolation mode of `Resize`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ResizeMode {
    /// Pick one input element per output element (`mode = "nearest"`).
    Nearest,
    /// N-linear interpolation over every resized axis (`mode = "linear"`).
    Linear,
    /// Cubic convolution (`mode = "cubic"`): only by the `resize_taps` kernel.
    Cubic,
}

impl fmt::Debug for ResizeMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ResizeMode::Nearest => "ResizeMode::Nearest",
            ResizeMode::Linear => "ResizeMode::Linear",
            ResizeMode::Cubic => "ResizeMode::Cubic",
        })
    }
}

/// `coordinate_transformation_mode`: how an output index maps to an input coordinate.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CoordinateMode {
    /// `(x + 0.5) / scale - 0.5` (the default).
    HalfPixel,
    /// `half_pixel` shifted so the centers of input and output coincide.
    HalfPixelSymmetric,
    /// `half_pixel`, but `0` when the output length is 1.
    PytorchHalfPixel,
    /// `x * (in - 1) / (out - 1)`, `0` when the output length is 1.
    AlignCorners,
    /// `x / scale`.
    Asymmetric,
    /// Within a region of interest: only by the `resize_taps` kernel.
    TfCropAndResize,
}

impl fmt::Debug for CoordinateMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CoordinateMode::HalfPixel => "CoordinateMode::HalfPixel",
            CoordinateMode::HalfPixelSymmetric => "CoordinateMode::HalfPixelSymmetric",
            CoordinateMode::PytorchHalfPixel => "CoordinateMode::PytorchHalfPixel",
            CoordinateMode::AlignCorners => "CoordinateMode::AlignCorners",
            CoordinateMode::Asymmetric => "CoordinateMode::Asymmetric",
            CoordinateMode::TfCropAndResize => "CoordinateMode::TfCropAndResize",
        })
    }
}

/// `nearest_mode`: how a fractional input coordinate rounds to an index in `Nearest` mode.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NearestMode {
    /// Round half down (the default).
    RoundPreferFloor,
    /// Round half up.
    RoundPreferCeil,
    /// Always round down.
    Floor,
    /// Always round up.
    Ceil,
}

impl fmt::Debug for NearestMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NearestMode::RoundPreferFloor => "NearestMode::RoundPreferFloor",
            NearestMode::RoundPreferCeil => "NearestMode::RoundPreferCeil",
            NearestMode::Floor => "NearestMode::Floor",
            NearestMode::Ceil => "NearestMode::Ceil",
        })
    }
}

/// Shape and options of one `Resize`; every field is a literal in generated code.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResizeParams {
    /// Number of dimensions (<= 8).
    pub rank: usize,
    /// Input shape; entries past `rank` are ignored.
    pub in_shape: [usize; 8],
    /// Output shape; entries past `rank` are ignored.
    pub out_shape: [usize; 8],
    /// Per-axis scale (`out / in` when `sizes` was given), as used by the coordinate formulas.
    pub scales: [f32; 8],
    /// Nearest or linear.
    pub mode: ResizeMode,
    /// Coordinate transformation mode.
    pub coord: CoordinateMode,
    /// Rounding in `Nearest` mode.
    pub nearest: NearestMode,
    /// Only affects `cubic`, which is unsupported; kept so the parameters mirror the attributes.
    pub exclude_outside: bool,
    /// Only affects `tf_crop_and_resize`, which is unsupported; kept for the same reason.
    pub extrapolation_value: f32,
}

/// Maps output index `x` on one axis to a fractional input coordinate (the spec's formulas).
#[inline(always)]
pub fn original_coord(
    coord: CoordinateMode,
    x: usize,
    scale: f32,
    len_out: usize,
    len_in: usize,
) -> f32 {
    let xr = x as f32;
    match coord {
        CoordinateMode::HalfPixel => (xr + 0.5) / scale - 0.5,
        CoordinateMode::HalfPixelSymmetric => {
            let adjustment = len_out as f32 / (scale * len_in as f32);
            let center = len_in as f32 / 2.0;
            let offset = center * (1.0 - adjustment);
            offset + (xr + 0.5) / scale - 0.5
        }
        CoordinateMode::PytorchHalfPixel => {
            if len_out > 1 {
                (xr + 0.5) / scale - 0.5
            } else {
                0.0
            }
        }
        CoordinateMode::AlignCorners => {
            // The spec's output width is `scale * in`, fractional when given by scales.
            let width = scale * len_in as f32;
            if len_out == 1 || width == 1.0 {
                0.0
            } else {
                xr * (len_in as f32 - 1.0) / (width - 1.0)
            }
        }
        CoordinateMode::Asymmetric | CoordinateMode::TfCropAndResize => xr / scale,
    }
}

/// Input positions for output index `o` on axis `d`: `(lo, hi, weight of hi)`.
///
/// Nearest mode returns `(i, i, 0)`. Coordinates are clamped to `[0, in - 1]` (edge padding).
/// Axes that keep their length with scale 1 map identically; an axis `d >= 8` gives `(0, 0, 0)`.
#[inline(always)]
pub fn axis_source(p: &ResizeParams, d: usize, o: usize) -> (usize, usize, f32) {
    let (Some(&len_in), Some(&len_out), Some(&scale)) =
        (p.in_shape.get(d), p.out_shape.get(d), p.scales.get(d))
    else {
        return (0, 0, 0.0);
    };
    if len_in <= 1 || (len_in == len_out && scale == 1.0) {
        let i = if o < len_in {
            o
        } else {
            len_in.saturating_sub(1)
        };
        return (i, i, 0.0);
    }
    let last = len_in - 1;
    let xo = original_coord(p.coord, o, scale, len_out, len_in);
    match p.mode {
        ResizeMode::Nearest => {
            let fl = math::floor(xo);
            let frac = xo - fl;
            let r = match p.nearest {
                NearestMode::RoundPreferFloor => {
                    if frac <= 0.5 {
                        fl
                    } else {
                        fl + 1.0
                    }
                }
                NearestMode::RoundPreferCeil => {
                    if frac < 0.5 {
                        fl
                    } else {
                        fl + 1.0
                    }
                }
                NearestMode::Floor => fl,
                NearestMode::Ceil => math::ceil(xo),
            };
            // `as usize` saturates: negative and NaN become 0.
            let i = r as usize;
            let i = if i > last { last } else { i };
            (i, i, 0.0)
        }
        ResizeMode::Linear | ResizeMode::Cubic => {
            let xc = if xo > 0.0 { xo } else { 0.0 };
            let xc = if xc < last as f32 { xc } else { last as f32 };
            let lo = xc as usize;
            let lo = if lo > last { last } else { lo };
            let hi = if lo < last { lo + 1 } else { last };
            (lo, hi, xc - lo as f32)
        }
    }
}

/// Per-axis state of [`resize`] at the current output index.
#[derive(Clone, Copy)]
struct ResizeAxis {
    /// Output length.
    len: usize,
    /// Input element stride.
    stride: usize,
    /// Blends two input positions (linear mode on a resized axis).
    linear: bool,
    /// Current output index.
    idx: usize,
    /// Offset of the low source position: `lo * stride`.
    lo_off: usize,
    /// From the low to the high source position: `(hi - lo) * stride`.
    step: usize,
    /// Weight of the high source position.
    wt: f32,
}

impl ResizeAxis {
    /// Points the axis at output index `idx` (axis `d` of `p`).
    #[inline(always)]
    fn seek(&mut self, p: &ResizeParams, d: usize, idx: usize) {
        let (lo, hi, wt) = axis_source(p, d, idx);
        self.idx = idx;
        self.lo_off = lo * self.stride;
        self.step = (hi - lo) * self.stride;
        self.wt = wt;
    }
}

/// ONNX `Resize` of `x` (shape `in_shape`) into `y` (shape `out_shape`), row-major.
///
/// Nearest mode copies one element per output; linear mode blends the `2^k` corners of the
/// cell around the source point, `k` being the number of resized axes. Does nothing if a buffer
/// is too short.
#[inline(always)]
pub fn resize(p: &ResizeParams, x: &[f32], y: &mut [f32]) {
    let rank = if p.rank < 8 { p.rank } else { 8 };
    let init = ResizeAxis {
        len: 1,
        stride: 0,
        linear: false,
        idx: 0,
        lo_off: 0,
        step: 0,
        wt: 0.0,
    };
    let mut axes = [init; 8];
    let mut total_in = 1usize;
    let mut total_out = 1usize;
    let shapes = p.in_shape.iter().zip(&p.out_shape).zip(&p.scales);
    for (d, (ax, ((&len_in, &len_out), &scale))) in
        axes.iter_mut().zip(shapes).enumerate().take(rank).rev()
    {
        ax.len = len_out;
        ax.stride = total_in;
        ax.linear = p.mode == ResizeMode::Linear && !(len_in == len_out && scale == 1.0);
        ax.seek(p, d, 0);
        total_in *= len_in;
        total_out *= len_out;
    }
    if total_out == 0 || total_in == 0 {
        return;
    }
    let (Some(x), Some(y)) = (x.get(..total_in), y.get_mut(..total_out)) else {
        return;
    };
    let Some(axes) = axes.get_mut(..rank) else {
        return;
    };
    let n_lin = axes.iter().filter(|a| a.linear).count();
    for yv in y.iter_mut() {
        let base: usize = axes.iter().map(|a| a.lo_off).sum();
        if n_lin == 0 {
            let Some(&v) = x.get(base) else { return };
            *yv = v;
        } else {
            let mut acc = 0.0f32;
            for mask in 0..(1usize << n_lin) {
                let mut off = base;
                let mut w = 1.0f32;
                for (bit, a) in axes.iter().filter(|a| a.linear).enumerate() {
                    if mask & (1 << bit) != 0 {
                        off += a.step;
                        w *= a.wt;
                    } else {
                        w *= 1.0 - a.wt;
                    }
                }
                let Some(&v) = x.get(off) else { return };
                acc += w * v;
            }
            *yv = acc;
        }
        // Advance the row-major output index and refresh the axes that changed.
        for (d, a) in axes.iter_mut().enumerate().rev() {
            let next = a.idx + 1;
            let wrapped = next >= a.len;
            a.seek(p, d, if wrapped { 0 } else { next });
            if !wrapped {
                break;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    fn fill(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(17);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn params(
        in_s: &[usize],
        out_s: &[usize],
        scales: &[f32],
        mode: ResizeMode,
        coord: CoordinateMode,
        nearest: NearestMode,
    ) -> ResizeParams {
        let mut p = ResizeParams {
            rank: in_s.len(),
            in_shape: [1; 8],
            out_shape: [1; 8],
            scales: [1.0; 8],
            mode,
            coord,
            nearest,
            exclude_outside: false,
            extrapolation_value: 0.0,
        };
        p.in_shape[..in_s.len()].copy_from_slice(in_s);
        p.out_shape[..out_s.len()].copy_from_slice(out_s);
        p.scales[..scales.len()].copy_from_slice(scales);
        p
    }

    fn run(p: &ResizeParams, x: &[f32]) -> Vec<f32> {
        let n: usize = p.out_shape[..p.rank].iter().product();
        let mut y = std::vec![f32::NAN; n];
        resize(p, x, &mut y);
        y
    }

    /// Reference-style: per axis, pick neighbours of the source coordinate in the edge-padded
    /// input with the spec's nearest/linear coefficients, and blend over every axis.
    fn naive(p: &ResizeParams, x: &[f32]) -> Vec<f64> {
        let rank = p.rank;
        let out_n: usize = p.out_shape[..rank].iter().product();
        let mut y = Vec::new();
        for o in 0..out_n {
            // decode index
            let mut rem = o;
            let mut oi = [0usize; 8];
            for d in (0..rank).rev() {
                oi[d] = rem % p.out_shape[d];
                rem /= p.out_shape[d];
            }
            // per-axis list of (index, coefficient)
            let mut taps: Vec<Vec<(usize, f64)>> = Vec::new();
            for (d, &o_d) in oi[..rank].iter().enumerate() {
                let len_in = p.in_shape[d];
                let xo = original_coord(p.coord, o_d, p.scales[d], p.out_shape[d], len_in) as f64;
                let clampi = |i: i64| i.clamp(0, len_in as i64 - 1) as usize;
                let fl = xo.floor();
                let ratio = if xo == fl { 1.0 } else { xo - fl };
                // neighbours floor(x) (or x - 1 when integral) and the next one
                let left = if xo == fl { fl as i64 - 1 } else { fl as i64 };
                let coeffs = match p.mode {
                    ResizeMode::Linear | ResizeMode::Cubic => [1.0 - ratio, ratio],
                    ResizeMode::Nearest => {
                        if xo == fl {
                            [0.0, 1.0]
                        } else {
                            match p.nearest {
                                NearestMode::RoundPreferFloor => {
                                    if ratio <= 0.5 {
                                        [1.0, 0.0]
                                    } else {
                                        [0.0, 1.0]
                                    }
                                }
                                NearestMode::RoundPreferCeil => {
                                    if ratio < 0.5 {
                                        [1.0, 0.0]
                                    } else {
                                        [0.0, 1.0]
                                    }
                                }
                                NearestMode::Floor => [1.0, 0.0],
                                NearestMode::Ceil => [0.0, 1.0],
                            }
                        }
                    }
                };
                taps.push(std::vec![
                    (clampi(left), coeffs[0]),
                    (clampi(left + 1), coeffs[1])
                ]);
            }
            let mut acc = 0.0f64;
            for mask in 0..(1usize << rank) {
                let mut off = 0usize;
                let mut w = 1.0f64;
                for d in 0..rank {
                    let (i, c) = taps[d][(mask >> d) & 1];
                    off = off * p.in_shape[d] + i;
                    w *= c;
                }
                if w != 0.0 {
                    acc += w * x[off] as f64;
                }
            }
            y.push(acc);
        }
        y
    }

    fn assert_close(got: &[f32], want: &[f64], what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (&g, &e)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                (g as f64 - e).abs() <= 1e-5 * (1.0 + e.abs()),
                "{what} at {i}: {g} vs {e}"
            );
        }
    }

    #[test]
    fn onnx_examples() {
        use CoordinateMode::*;
        use NearestMode::*;
        use ResizeMode::*;
        let x4 = [1.0f32, 2.0, 3.0, 4.0];
        // resize_upsample_scales_nearest
        let p = params(
            &[1, 1, 2, 2],
            &[1, 1, 4, 6],
            &[1.0, 1.0, 2.0, 3.0],
            Nearest,
            HalfPixel,
            RoundPreferFloor,
        );
        let want = [
            1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 4.0,
            4.0, 3.0, 3.0, 3.0, 4.0, 4.0, 4.0,
        ];
        assert_eq!(run(&p, &x4), want);
        // resize_upsample_scales_linear
        let p = params(
            &[1, 1, 2, 2],
            &[1, 1, 4, 4],
            &[1.0, 1.0, 2.0, 2.0],
            Linear,
            HalfPixel,
            RoundPreferFloor,
        );
        let want = [
            1.0, 1.25, 1.75, 2.0, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3.0, 3.25, 3.75, 4.0,
        ];
        assert_eq!(run(&p, &x4), want);
        // resize_upsample_scales_linear_align_corners
        let p = ResizeParams {
            coord: AlignCorners,
            ..p
        };
        let t = 1.0 / 3.0;
        let want = [
            1.0,
            1.0 + t,
            1.0 + 2.0 * t,
            2.0,
            1.0 + 2.0 * t,
            2.0,
            2.0 + t,
            2.0 + 2.0 * t,
            2.0 + t,
            2.0 + 2.0 * t,
            3.0,
            3.0 + t,
            3.0,
            3.0 + t,
            3.0 + 2.0 * t,
            4.0,
        ];
        assert_close(&run(&p, &x4), &want, "align_corners");
        // resize_downsample_scales_linear / nearest
        let x8 = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
        let p = params(
            &[1, 1, 2, 4],
            &[1, 1, 1, 2],
            &[1.0, 1.0, 0.6, 0.6],
            Linear,
            HalfPixel,
            RoundPreferFloor,
        );
        assert_close(
            &run(&p, &x8),
            &[2.666_666_5, 4.333_333],
            "downsample linear",
        );
        let p = ResizeParams { mode: Nearest, ..p };
        assert_eq!(run(&p, &x8), [1.0, 3.0]);
        // resize_downsample_scales_linear_half_pixel_symmetric
        let p = params(
            &[1, 1, 1, 4],
            &[1, 1, 1, 2],
            &[1.0, 1.0, 1.0, 0.6],
            Linear,
            HalfPixelSymmetric,
            Floor,
        );
        assert_close(
            &run(&p, &x4),
            &[1.666_666_6, 3.333_333_3],
            "half_pixel_symmetric",
        );
        // resize_upsample_scales_nearest with asymmetric + floor (opset 11 style): repeat.
        let p = params(&[2, 2], &[4, 4], &[2.0, 2.0], Nearest, Asymmetric, Floor);
        assert_eq!(
            run(&p, &x4),
            [1.0, 1.0, 2.0, 2.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 4.0, 4.0, 3.0, 3.0, 4.0, 4.0]
        );
    }

    #[test]
    fn all_modes_match_naive() {
        let coords = [
            CoordinateMode::HalfPixel,
            CoordinateMode::HalfPixelSymmetric,
            CoordinateMode::PytorchHalfPixel,
            CoordinateMode::AlignCorners,
            CoordinateMode::Asymmetric,
        ];
        let nearests = [
            NearestMode::RoundPreferFloor,
            NearestMode::RoundPreferCeil,
            NearestMode::Floor,
            NearestMode::Ceil,
        ];
        // (in, out) per spatial axis; scales = out / in as the compiler computes for `sizes`.
        let cases: [(&[usize], &[usize]); 7] = [
            (&[1, 1, 1, 1], &[1, 1, 3, 7]),
            (&[1, 2, 3, 3], &[1, 2, 7, 1]),
            (&[2, 1, 7, 5], &[2, 1, 3, 17]),
            (&[1, 3, 17], &[1, 3, 7]),
            (&[1, 1, 3, 5], &[1, 1, 3, 9]),
            (&[3, 7], &[7, 3]),
            (&[2, 3, 2, 3, 2], &[2, 3, 5, 3, 1]),
        ];
        for (in_s, out_s) in cases {
            let scales: Vec<f32> = in_s
                .iter()
                .zip(out_s)
                .map(|(&i, &o)| o as f32 / i as f32)
                .collect();
            let n: usize = in_s.iter().product();
            let x = fill(n, 7);
            for &coord in &coords {
                for mode in [ResizeMode::Nearest, ResizeMode::Linear] {
                    for &nearest in &nearests {
                        let p = params(in_s, out_s, &scales, mode, coord, nearest);
                        assert_close(&run(&p, &x), &naive(&p, &x), &std::format!("{p:?}"));
                        if mode == ResizeMode::Linear {
                            break;
                        }
                    }
                }
            }
        }
        // Explicit scales whose product with the input is not the output length.
        let x = fill(5 * 7, 8);
        for &coord in &coords {
            for mode in [ResizeMode::Nearest, ResizeMode::Linear] {
                let p = params(
                    &[5, 7],
                    &[8, 4],
                    &[1.7, 0.6],
                    mode,
                    coord,
                    NearestMode::RoundPreferCeil,
                );
                assert_close(&run(&p, &x), &naive(&p, &x), &std::format!("{p:?}"));
            }
        }
    }

    #[test]
    fn debug_is_rust_expression() {
        let p = params(
            &[1, 4],
            &[1, 8],
            &[1.0, 2.0],
            ResizeMode::Linear,
            CoordinateMode::AlignCorners,
            NearestMode::Ceil,
        );
        let s = std::format!("{p:?}");
        assert!(s.contains("mode: ResizeMode::Linear"), "{s}");
        assert!(s.contains("coord: CoordinateMode::AlignCorners"), "{s}");
        assert!(s.contains("nearest: NearestMode::Ceil"), "{s}");
        assert!(
            s.starts_with("ResizeParams { rank: 2, in_shape: [1, 4, 1, 1, 1, 1, 1, 1]"),
            "{s}"
        );
    }
}
