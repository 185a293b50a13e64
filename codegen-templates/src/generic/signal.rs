//! Signal-processing kernels: DFT (forward, inverse, one-sided, inverse of one-sided), STFT,
//! the cosine-sum windows (Hann, Hamming, Blackman), MelWeightMatrix, and TensorScatter (a
//! KV-cache update). Transforms accumulate in `f64` with twiddles `e^(±2πi·m/n)` whose angle is
//! reduced exactly in integers (`k·t mod n`), so long transforms keep full precision.

/// A float element the transforms read and write (through `f64`).
pub trait Sample: Copy {
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
}

impl Sample for f32 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

impl Sample for f64 {
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v
    }
}

/// sin r for |r| <= π/4: Taylor series to degree 17, Horner form (truncation < 2^-60).
#[inline(always)]
fn sin_small(r: f64) -> f64 {
    const C: [f64; 8] = [
        -1.0 / 6.0,
        1.0 / 120.0,
        -1.0 / 5040.0,
        1.0 / 362_880.0,
        -1.0 / 39_916_800.0,
        1.0 / 6_227_020_800.0,
        -1.0 / 1_307_674_368_000.0,
        1.0 / 355_687_428_096_000.0,
    ];
    let r2 = r * r;
    let p = C.iter().rev().fold(0.0, |acc, &c| acc * r2 + c);
    r + r * r2 * p
}

/// cos r for |r| <= π/4: Taylor series to degree 18, Horner form (truncation < 2^-60).
#[inline(always)]
fn cos_small(r: f64) -> f64 {
    const C: [f64; 9] = [
        -1.0 / 2.0,
        1.0 / 24.0,
        -1.0 / 720.0,
        1.0 / 40_320.0,
        -1.0 / 3_628_800.0,
        1.0 / 479_001_600.0,
        -1.0 / 87_178_291_200.0,
        1.0 / 20_922_789_888_000.0,
        -1.0 / 6_402_373_705_728_000.0,
    ];
    let r2 = r * r;
    let p = C.iter().rev().fold(0.0, |acc, &c| acc * r2 + c);
    1.0 + r2 * p
}

/// `(cos, sin)` of the angle `2π·m/n` (`n > 0`), with the quadrant found in integers.
#[inline(always)]
pub fn turn_cos_sin(m: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (1.0, 0.0);
    }
    let m = u128::from(m % n);
    let n = u128::from(n);
    // Nearest quarter turn q (0..=4); the rest is (4m - q·n) / (4n) of a turn, within ±1/8.
    let q = (4 * m + n / 2) / n;
    let rest = (4 * m) as f64 - (q * n) as f64;
    let r = rest * (core::f64::consts::PI / 2.0) / n as f64;
    let (c, s) = (cos_small(r), sin_small(r));
    match q % 4 {
        0 => (c, s),
        1 => (-s, c),
        2 => (-c, -s),
        _ => (s, -c),
    }
}

/// One DFT along an axis of `[outer, axis, inner, c]` tensors (`c` = 1 real or 2 complex).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DftParams {
    pub outer: usize,
    /// Input length along the axis (zero-padded or truncated to `n`).
    pub len_in: usize,
    pub inner: usize,
    /// 1 (real) or 2 (complex) input components.
    pub c_in: usize,
    /// The transform length (`dft_length`).
    pub n: usize,
    /// Output length along the axis: `n`, `n/2 + 1` (one-sided), or `n` (real inverse).
    pub len_out: usize,
    pub inverse: bool,
    /// Inverse of a one-sided spectrum: Hermitian extension, real output (`c` = 1).
    pub real_output: bool,
}

/// ONNX DFT.
#[inline(always)]
pub fn dft<T: Sample>(p: &DftParams, x: &[T], y: &mut [T]) {
    let c_out = if p.real_output { 1 } else { 2 };
    let x_len = p.outer * p.len_in * p.inner * p.c_in;
    let y_len = p.outer * p.len_out * p.inner * c_out;
    if x.len() != x_len || y.len() != y_len || !(p.c_in == 1 || p.c_in == 2) || p.n == 0 {
        return;
    }
    let n = p.n as u64;
    let used = p.len_in.min(p.n);
    let scale = if p.inverse { 1.0 / p.n as f64 } else { 1.0 };
    let sign = if p.inverse { 1.0 } else { -1.0 };
    let read = |o: usize, t: usize, i: usize| -> (f64, f64) {
        let at = ((o * p.len_in + t) * p.inner + i) * p.c_in;
        let re = x.get(at).map_or(0.0, |v| v.to_f64());
        let im = if p.c_in == 2 { x.get(at + 1).map_or(0.0, |v| v.to_f64()) } else { 0.0 };
        (re, im)
    };
    let mut out = y.chunks_exact_mut(c_out);
    for o in 0..p.outer {
        for k in 0..p.len_out {
            for i in 0..p.inner {
                let Some(dst) = out.next() else {
                    return;
                };
                if p.real_output {
                    // y[k] = (1/n) Σ_j w_j (Re X_j cos θ - Im X_j sin θ), θ = 2π·j·k/n, over the
                    // stored half j ≤ n/2; w_j = 2 except for j = 0 and the Nyquist bin.
                    let half = p.n / 2;
                    let mut acc = 0.0;
                    for j in 0..=half.min(p.len_in.saturating_sub(1)) {
                        let (re, im) = read(o, j, i);
                        let (c, s) = turn_cos_sin(j as u64 * k as u64, n);
                        let w = if j == 0 || 2 * j == p.n { 1.0 } else { 2.0 };
                        acc += w * (re * c - im * s);
                    }
                    if let Some(d) = dst.first_mut() {
                        *d = T::from_f64(acc * scale);
                    }
                } else {
                    let (mut sr, mut si) = (0.0, 0.0);
                    for t in 0..used {
                        let (re, im) = read(o, t, i);
                        let (c, s) = turn_cos_sin(t as u64 * k as u64, n);
                        let s = sign * s;
                        sr += re * c - im * s;
                        si += re * s + im * c;
                    }
                    if let [dr, di] = dst {
                        *dr = T::from_f64(sr * scale);
                        *di = T::from_f64(si * scale);
                    }
                }
            }
        }
    }
}

/// STFT of `[batch, signal, c]` into `[batch, frames, bins, 2]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StftParams {
    pub batch: usize,
    pub signal_len: usize,
    /// 1 (real) or 2 (complex) input components.
    pub c_in: usize,
    pub frames: usize,
    pub frame_step: usize,
    /// Frame (and DFT) length.
    pub frame_len: usize,
    /// Output frequency bins: `frame_len / 2 + 1` when one-sided, else `frame_len`.
    pub bins: usize,
}

/// ONNX STFT; `window` (length `frame_len`) multiplies every frame when given.
#[inline(always)]
pub fn stft<T: Sample>(p: &StftParams, x: &[T], window: Option<&[T]>, y: &mut [T]) {
    if x.len() != p.batch * p.signal_len * p.c_in
        || y.len() != p.batch * p.frames * p.bins * 2
        || !(p.c_in == 1 || p.c_in == 2)
        || window.is_some_and(|w| w.len() != p.frame_len)
    {
        return;
    }
    let n = p.frame_len as u64;
    let mut out = y.chunks_exact_mut(2);
    for b in 0..p.batch {
        for f in 0..p.frames {
            let start = f * p.frame_step;
            for k in 0..p.bins {
                let (mut sr, mut si) = (0.0, 0.0);
                for t in 0..p.frame_len {
                    let at = (b * p.signal_len + start + t) * p.c_in;
                    if start + t >= p.signal_len {
                        break;
                    }
                    let w = match window {
                        Some(w) => w.get(t).map_or(0.0, |v| v.to_f64()),
                        None => 1.0,
                    };
                    let re = x.get(at).map_or(0.0, |v| v.to_f64()) * w;
                    let im = if p.c_in == 2 { x.get(at + 1).map_or(0.0, |v| v.to_f64()) * w } else { 0.0 };
                    let (c, s) = turn_cos_sin(t as u64 * k as u64, n);
                    sr += re * c + im * s;
                    si += im * c - re * s;
                }
                if let Some([dr, di]) = out.next() {
                    *dr = T::from_f64(sr);
                    *di = T::from_f64(si);
                }
            }
        }
    }
}

/// A cosine-sum window `a0 - a1·cos(2πk/N) + a2·cos(4πk/N)`, N = size (periodic) or size - 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WindowParams {
    pub size: usize,
    pub periodic: bool,
    pub a0: f64,
    pub a1: f64,
    pub a2: f64,
}

/// HannWindow, HammingWindow, BlackmanWindow.
#[inline(always)]
pub fn window<T: Sample>(p: &WindowParams, y: &mut [T]) {
    if y.len() != p.size {
        return;
    }
    let n = if p.periodic { p.size } else { p.size.saturating_sub(1) } as u64;
    for (k, v) in y.iter_mut().enumerate() {
        let (c1, _) = turn_cos_sin(k as u64, n);
        let (c2, _) = turn_cos_sin(2 * k as u64, n);
        // A symmetric window of one sample has N = 0: cos(0) = 1.
        *v = T::from_f64(p.a0 - p.a1 * c1 + p.a2 * c2);
    }
}

/// MelWeightMatrix: `[dft_length / 2 + 1, num_mel_bins]` triangular filters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MelParams {
    pub num_mel_bins: usize,
    pub dft_length: usize,
    pub sample_rate: f64,
    pub lower_hz: f64,
    pub upper_hz: f64,
}

/// The spectrogram bin of mel point `i` of `num_mel_bins + 2` equally spaced ones.
#[inline(always)]
fn mel_point(p: &MelParams, i: usize) -> i64 {
    let ln10 = core::f64::consts::LN_10;
    let to_mel = |hz: f64| 2595.0 * crate::rt::math::ln1p64(hz / 700.0) / ln10;
    let (low, high) = (to_mel(p.lower_hz), to_mel(p.upper_hz));
    let step = (high - low) / (p.num_mel_bins + 2) as f64;
    let mel = i as f64 * step + low;
    let hz = 700.0 * crate::rt::math::expm1_64(mel / 2595.0 * ln10);
    let bin = ((p.dft_length + 1) as f64 * hz) / p.sample_rate;
    // Floor division, as the spec's reference computes it.
    let t = bin as i64;
    if (t as f64) > bin {
        t - 1
    } else {
        t
    }
}

/// ONNX MelWeightMatrix (bins outside the spectrogram are skipped).
#[inline(always)]
pub fn mel_weight_matrix<T: Sample>(p: &MelParams, y: &mut [T]) {
    let rows = p.dft_length / 2 + 1;
    let cols = p.num_mel_bins;
    if y.len() != rows * cols {
        return;
    }
    y.iter_mut().for_each(|v| *v = T::from_f64(0.0));
    let mut set = |j: i64, i: usize, v: f64| {
        if j >= 0 && (j as usize) < rows {
            if let Some(d) = y.get_mut(j as usize * cols + i) {
                *d = T::from_f64(v);
            }
        }
    };
    for i in 0..cols {
        let (lo, center, hi) = (mel_point(p, i), mel_point(p, i + 1), mel_point(p, i + 2));
        let up = center - lo;
        if up == 0 {
            set(center, i, 1.0);
        } else {
            for j in lo..=center {
                set(j, i, (j - lo) as f64 / up as f64);
            }
        }
        let down = hi - center;
        if down > 0 {
            for j in center..hi {
                set(j, i, (hi - j) as f64 / down as f64);
            }
        }
    }
}

/// TensorScatter: `[batch, mid, max_len, inner]` cache, `[batch, mid, len, inner]` update.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TensorScatterParams {
    pub batch: usize,
    /// Product of the dims between the batch axis and the sequence axis.
    pub mid: usize,
    pub max_len: usize,
    pub len: usize,
    pub inner: usize,
    /// Write positions wrap around `max_len` (else out-of-range rows are dropped).
    pub circular: bool,
}

/// ONNX TensorScatter: the cache with the update's rows written from `write_indices[b]` on
/// (0 for every batch when absent).
#[inline(always)]
pub fn tensor_scatter<T: Copy>(p: &TensorScatterParams, cache: &[T], update: &[T], write_indices: Option<&[i64]>, y: &mut [T]) {
    let cache_len = p.batch * p.mid * p.max_len * p.inner;
    if cache.len() != cache_len || y.len() != cache_len || update.len() != p.batch * p.mid * p.len * p.inner {
        return;
    }
    if write_indices.is_some_and(|w| w.len() != p.batch) {
        return;
    }
    y.copy_from_slice(cache);
    if p.inner == 0 || p.max_len == 0 {
        return;
    }
    let mut rows = update.chunks_exact(p.inner);
    for b in 0..p.batch {
        let start = write_indices.and_then(|w| w.get(b)).copied().unwrap_or(0);
        for m in 0..p.mid {
            for s in 0..p.len {
                let Some(row) = rows.next() else {
                    return;
                };
                let pos = start + s as i64;
                let pos = if p.circular { pos.rem_euclid(p.max_len as i64) } else { pos };
                if pos < 0 || pos >= p.max_len as i64 {
                    continue;
                }
                let at = ((b * p.mid + m) * p.max_len + pos as usize) * p.inner;
                if let Some(dst) = y.get_mut(at..at + p.inner) {
                    dst.copy_from_slice(row);
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "signal_tests.rs"]
mod tests;
