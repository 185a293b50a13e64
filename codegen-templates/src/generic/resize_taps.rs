//! ONNX `Resize` by per-axis filter taps: `cubic`, antialiased `linear`/`cubic`, and
//! `tf_crop_and_resize` (the cases the direct kernel in `resize` does not cover).
//!
//! Every output element is the sum over the cartesian product of each axis's taps of the
//! product of their weights times the input element, which equals resizing axis by axis.

use super::resize::{CoordinateMode, NearestMode, ResizeMode};

/// Largest number of taps per axis (antialiased downscaling widens the filter by `1 / scale`).
pub const MAX_TAPS: usize = 64;

/// Shape and options of one tap-based `Resize`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResizeTapsParams {
    pub rank: usize,
    pub in_shape: [usize; 8],
    pub out_shape: [usize; 8],
    /// Per-axis scale.
    pub scales: [f32; 8],
    /// `tf_crop_and_resize` region per axis (start, end), normalized.
    pub roi_start: [f32; 8],
    pub roi_end: [f32; 8],
    pub mode: ResizeMode,
    pub coord: CoordinateMode,
    pub nearest: NearestMode,
    pub cubic_a: f32,
    pub exclude_outside: bool,
    pub antialias: bool,
    pub extrapolation_value: f32,
}

/// `floor` for f64 without `std`.
#[inline(always)]
fn floor64(x: f64) -> f64 {
    let t = x as i64 as f64;
    if t > x {
        t - 1.0
    } else {
        t
    }
}

/// Cubic convolution kernel with parameter `a` at distance `x`.
#[inline(always)]
fn cubic(x: f64, a: f64) -> f64 {
    let x = if x < 0.0 { -x } else { x };
    if x <= 1.0 {
        ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
    } else {
        0.0
    }
}

/// The taps of output index `o` on axis `d`: first input index (may be out of range: the
/// caller clamps), count, and weights. `None` when the output is extrapolated.
#[inline(always)]
pub fn axis_taps(p: &ResizeTapsParams, d: usize, o: usize, w: &mut [f32; MAX_TAPS]) -> Option<(i64, usize)> {
    let (Some(&len_in), Some(&len_out), Some(&scale)) = (p.in_shape.get(d), p.out_shape.get(d), p.scales.get(d)) else {
        return Some((0, 0));
    };
    let (Some(&r0), Some(&r1)) = (p.roi_start.get(d), p.roi_end.get(d)) else {
        return Some((0, 0));
    };
    let unchanged = len_in == len_out && scale == 1.0 && (p.coord != CoordinateMode::TfCropAndResize || (r0 == 0.0 && r1 == 1.0));
    if unchanged {
        if let Some(first) = w.first_mut() {
            *first = 1.0;
        }
        return Some((o as i64, 1));
    }
    let (xf, scale, inf) = (o as f64, f64::from(scale), len_in as f64);
    let out_w = scale * inf;
    let x = match p.coord {
        CoordinateMode::AlignCorners => {
            if out_w == 1.0 {
                0.0
            } else {
                xf * (inf - 1.0) / (out_w - 1.0)
            }
        }
        CoordinateMode::Asymmetric => xf / scale,
        CoordinateMode::TfCropAndResize => {
            let (r0, r1) = (f64::from(r0), f64::from(r1));
            let x = if out_w == 1.0 { (r1 - r0) * (inf - 1.0) / 2.0 } else { xf * (r1 - r0) * (inf - 1.0) / (out_w - 1.0) };
            let x = x + r0 * (inf - 1.0);
            if x < 0.0 || x > inf - 1.0 {
                return None;
            }
            x
        }
        CoordinateMode::PytorchHalfPixel => {
            if out_w == 1.0 {
                -0.5
            } else {
                (xf + 0.5) / scale - 0.5
            }
        }
        CoordinateMode::HalfPixel => (xf + 0.5) / scale - 0.5,
        CoordinateMode::HalfPixelSymmetric => {
            let adjustment = len_out as f64 / out_w;
            let center = inf / 2.0;
            center * (1.0 - adjustment) + (xf + 0.5) / scale - 0.5
        }
    };
    let fl = floor64(x);
    let ratio = if x == fl { 1.0 } else { x - fl };
    let a = f64::from(p.cubic_a);
    let s = if scale < 1.0 { scale } else { 1.0 };
    // Coefficients into `w`, count `n`.
    let mut n = 0usize;
    let mut push = |v: f64, n: &mut usize| {
        if let Some(slot) = w.get_mut(*n) {
            *slot = v as f32;
        }
        *n += 1;
    };
    match (p.mode, p.antialias) {
        (ResizeMode::Nearest, _) => {
            let (lo, hi) = match p.nearest {
                _ if ratio == 1.0 => (0.0, 1.0),
                NearestMode::RoundPreferFloor => (f64::from(u8::from(ratio <= 0.5)), f64::from(u8::from(ratio > 0.5))),
                NearestMode::RoundPreferCeil => (f64::from(u8::from(ratio < 0.5)), f64::from(u8::from(ratio >= 0.5))),
                NearestMode::Floor => (1.0, 0.0),
                NearestMode::Ceil => (0.0, 1.0),
            };
            push(lo, &mut n);
            push(hi, &mut n);
        }
        (ResizeMode::Linear, false) => {
            push(1.0 - ratio, &mut n);
            push(ratio, &mut n);
        }
        (ResizeMode::Cubic, false) => {
            for t in [ratio + 1.0, ratio, 1.0 - ratio, 2.0 - ratio] {
                push(cubic(t, a), &mut n);
            }
        }
        (ResizeMode::Linear, true) => {
            let start = floor64(-1.0 / s) as i64 + 1;
            let count = (2 - 2 * start).max(0) as usize;
            let mut sum = 0.0;
            for i in 0..count {
                let arg = ((start + i as i64) as f64 - ratio) * s;
                let v = 1.0 - if arg < 0.0 { -arg } else { arg };
                let v = v.clamp(0.0, 1.0);
                sum += v;
            }
            for i in 0..count {
                let arg = ((start + i as i64) as f64 - ratio) * s;
                let v = (1.0 - if arg < 0.0 { -arg } else { arg }).clamp(0.0, 1.0);
                push(if sum == 0.0 { 0.0 } else { v / sum }, &mut n);
            }
        }
        (ResizeMode::Cubic, true) => {
            let start = floor64(-2.0 / s) as i64 + 1;
            let count = (2 - 2 * start).max(0) as usize;
            let mut sum = 0.0;
            for i in 0..count {
                sum += cubic(s * ((start + i as i64) as f64 - ratio), a);
            }
            for i in 0..count {
                let v = cubic(s * ((start + i as i64) as f64 - ratio), a);
                push(if sum == 0.0 { 0.0 } else { v / sum }, &mut n);
            }
        }
    }
    if n > MAX_TAPS {
        return Some((0, 0));
    }
    // The first neighbour, as the spec's "n nearest indices, preferring lower ones".
    let pad = n.div_ceil(2) as f64;
    let xp = x + pad;
    let pp = floor64(xp);
    let frac = xp - pp;
    let half = (n / 2) as i64;
    let off = if n % 2 == 0 {
        if frac == 0.0 {
            -half
        } else {
            -half + 1
        }
    } else {
        let base = -(((n - 1) / 2) as i64);
        if frac <= 0.5 {
            base
        } else {
            base + 1
        }
    };
    let first = pp as i64 + off - pad as i64;
    if p.exclude_outside {
        let mut sum = 0.0f32;
        for (k, v) in w.iter_mut().take(n).enumerate() {
            let idx = first + k as i64;
            if idx < 0 || idx >= len_in as i64 {
                *v = 0.0;
            }
            sum += *v;
        }
        if sum != 0.0 {
            w.iter_mut().take(n).for_each(|v| *v /= sum);
        }
    }
    Some((first, n))
}

/// Resizes `x` (shape `in_shape`) into `y` (shape `out_shape`). Does nothing if a buffer is
/// too short.
#[inline(always)]
pub fn resize_taps(p: &ResizeTapsParams, x: &[f32], y: &mut [f32]) {
    let rank = if p.rank < 8 { p.rank } else { 8 };
    let total_in: usize = p.in_shape.iter().take(rank).product();
    let total_out: usize = p.out_shape.iter().take(rank).product();
    let (Some(x), Some(y)) = (x.get(..total_in), y.get_mut(..total_out)) else {
        return;
    };
    if total_in == 0 {
        return;
    }
    let mut in_strides = [0usize; 8];
    let mut acc = 1usize;
    for (s, &len) in in_strides.iter_mut().zip(&p.in_shape).take(rank).rev() {
        *s = acc;
        acc *= len;
    }
    let mut weights = [[0.0f32; MAX_TAPS]; 8];
    let mut firsts = [0i64; 8];
    let mut counts = [1usize; 8];
    for (o, yv) in y.iter_mut().enumerate() {
        // Taps of every axis at this output position.
        let mut rem = o;
        let mut extrapolated = false;
        for d in (0..rank).rev() {
            let len = p.out_shape.get(d).copied().unwrap_or(1).max(1);
            let od = rem % len;
            rem /= len;
            let (Some(w), Some(f), Some(c)) = (weights.get_mut(d), firsts.get_mut(d), counts.get_mut(d)) else {
                continue;
            };
            match axis_taps(p, d, od, w) {
                Some((first, n)) => {
                    *f = first;
                    *c = n;
                }
                None => extrapolated = true,
            }
        }
        if extrapolated {
            *yv = p.extrapolation_value;
            continue;
        }
        // Sum over the cartesian product of the taps.
        let mut k = [0usize; 8];
        let mut sum = 0.0f32;
        'taps: loop {
            let mut weight = 1.0f32;
            let mut at = 0usize;
            for d in 0..rank {
                let (Some(&kd), Some(&first), Some(w), Some(&len), Some(&stride)) =
                    (k.get(d), firsts.get(d), weights.get(d), p.in_shape.get(d), in_strides.get(d))
                else {
                    continue;
                };
                weight *= w.get(kd).copied().unwrap_or(0.0);
                let idx = (first + kd as i64).clamp(0, len as i64 - 1) as usize;
                at += idx * stride;
            }
            if weight != 0.0 {
                sum += weight * x.get(at).copied().unwrap_or(0.0);
            }
            // Next tap combination (last axis fastest).
            let mut d = rank;
            loop {
                if d == 0 {
                    break 'taps;
                }
                d -= 1;
                let (Some(kd), Some(&c)) = (k.get_mut(d), counts.get(d)) else {
                    break 'taps;
                };
                *kd += 1;
                if *kd < c {
                    break;
                }
                *kd = 0;
            }
        }
        *yv = sum;
    }
}
