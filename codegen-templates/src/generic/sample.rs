//! ONNX `GridSample` over 1 to 3 spatial axes: nearest, linear and cubic sampling with zeros,
//! border or reflection padding.

use super::real::{FloatKind, Real};

/// Geometry and options of one `GridSample`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridSampleParams {
    pub batch: usize,
    pub channels: usize,
    /// Spatial axes (1 to 3); unused entries are 1.
    pub rank: usize,
    pub input: [usize; 3],
    pub output: [usize; 3],
    /// 0 nearest, 1 linear, 2 cubic.
    pub mode: u8,
    /// 0 zeros, 1 border, 2 reflection.
    pub padding: u8,
    pub align_corners: bool,
    pub elem: FloatKind,
}

/// Reflects `x` into `[lo, hi]` by the nearer border, repeatedly.
#[inline(always)]
fn reflect(x: f32, lo: f32, hi: f32) -> f32 {
    let range = hi - lo;
    if range <= 0.0 {
        return lo;
    }
    if x < lo {
        let dx = lo - x;
        let n = (dx / range) as i64;
        let r = dx - n as f32 * range;
        if n % 2 == 0 {
            lo + r
        } else {
            hi - r
        }
    } else if x > hi {
        let dx = x - hi;
        let n = (dx / range) as i64;
        let r = dx - n as f32 * range;
        if n % 2 == 0 {
            hi - r
        } else {
            lo + r
        }
    } else {
        x
    }
}

/// Round half to even.
#[inline(always)]
fn rint(x: f32) -> f32 {
    let f = crate::rt::math::floor(x);
    let d = x - f;
    if d > 0.5 || (d == 0.5 && (f as i64) % 2 != 0) {
        f + 1.0
    } else {
        f
    }
}

/// Cubic convolution weights (A = -0.75) for the taps at -1, 0, 1, 2 around fraction `t`.
#[inline(always)]
fn cubic_weights(t: f32) -> [f32; 4] {
    let a = -0.75f32;
    let w = |x: f32| {
        let x = if x < 0.0 { -x } else { x };
        if x <= 1.0 {
            ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
        } else if x < 2.0 {
            ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a
        } else {
            0.0
        }
    };
    [w(t + 1.0), w(t), w(1.0 - t), w(2.0 - t)]
}

/// Samples `x` (`[N, C, spatial]`) at the normalized points of `grid` (`[N, out spatial,
/// rank]`, innermost coordinate first). Does nothing if a buffer is too short.
#[inline(always)]
pub fn grid_sample<T: Real>(p: &GridSampleParams, x: &[T], grid: &[T], y: &mut [T]) {
    let rank = if p.rank < 3 { p.rank } else { 3 };
    let in_plane: usize = p.input.iter().product();
    let out_plane: usize = p.output.iter().product();
    let planes = p.batch * p.channels;
    let (Some(x), Some(grid), Some(y)) =
        (x.get(..planes * in_plane), grid.get(..p.batch * out_plane * rank), y.get_mut(..planes * out_plane))
    else {
        return;
    };
    if in_plane == 0 || out_plane == 0 || rank == 0 {
        return;
    }
    let e = p.elem;
    let off = 3 - rank;
    for (plane, (xp, yp)) in x.chunks_exact(in_plane).zip(y.chunks_exact_mut(out_plane)).enumerate() {
        let n = plane / p.channels.max(1);
        for (o, yv) in yp.iter_mut().enumerate() {
            let g = (n * out_plane + o) * rank;
            // Per spatial axis (outermost first): taps start, count, weights.
            let mut first = [0i64; 3];
            let mut count = [1usize; 3];
            let mut weights = [[1.0f32, 0.0, 0.0, 0.0]; 3];
            for d in 0..rank {
                let axis = off + d;
                let len = p.input[axis] as f32;
                let v = grid.get(g + rank - 1 - d).map_or(0.0, |v| v.get(e));
                let mut c = if p.align_corners { (v + 1.0) / 2.0 * (len - 1.0) } else { ((v + 1.0) * len - 1.0) / 2.0 };
                if p.mode == 0 {
                    c = rint(c);
                }
                let (lo, hi) = if p.align_corners { (0.0, len - 1.0) } else { (-0.5, len - 0.5) };
                if c < lo || c > hi {
                    if p.padding == 1 {
                        c = c.clamp(0.0, len - 1.0);
                    } else if p.padding == 2 {
                        c = reflect(c, lo, hi);
                    }
                }
                let fl = crate::rt::math::floor(c);
                let t = c - fl;
                match p.mode {
                    0 => {
                        first[axis] = c as i64;
                        count[axis] = 1;
                        weights[axis] = [1.0, 0.0, 0.0, 0.0];
                    }
                    1 => {
                        first[axis] = fl as i64;
                        count[axis] = 2;
                        weights[axis] = [1.0 - t, t, 0.0, 0.0];
                    }
                    _ => {
                        first[axis] = fl as i64 - 1;
                        count[axis] = 4;
                        weights[axis] = cubic_weights(t);
                    }
                }
            }
            let mut sum = 0.0f32;
            for a in 0..count[0] {
                for b in 0..count[1] {
                    for c in 0..count[2] {
                        let taps = [a, b, c];
                        let mut w = 1.0f32;
                        let mut at = 0usize;
                        let mut outside = false;
                        for axis in 0..3 {
                            let len = p.input[axis];
                            w *= weights[axis].get(taps[axis]).copied().unwrap_or(0.0);
                            let mut i = first[axis] + taps[axis] as i64;
                            if i < 0 || i >= len as i64 {
                                match p.padding {
                                    0 => outside = true,
                                    1 => i = i.clamp(0, len as i64 - 1),
                                    _ => {
                                        let (lo, hi) = if p.align_corners { (0.0, len as f32 - 1.0) } else { (-0.5, len as f32 - 0.5) };
                                        i = (reflect(i as f32, lo, hi) as i64).clamp(0, len as i64 - 1);
                                    }
                                }
                            }
                            at = at * len + i.max(0) as usize;
                        }
                        if !outside && w != 0.0 {
                            sum += w * xp.get(at).map_or(0.0, |v| v.get(e));
                        }
                    }
                }
            }
            *yv = T::put(sum, e);
        }
    }
}
