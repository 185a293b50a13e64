//! Pooling over up to three spatial axes: `MaxPool` (with its `Indices` output), `AveragePool`
//! and `LpPool`, with strides, dilations, padding and `ceil_mode` windows.

/// Which reduction a window applies.
#[derive(Clone, Copy, PartialEq)]
pub enum PoolOp {
    Max,
    Average,
    /// `(sum |x|^p)^(1/p)`.
    Lp(f32),
}

impl core::fmt::Debug for PoolOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PoolOp::Max => f.write_str("PoolOp::Max"),
            PoolOp::Average => f.write_str("PoolOp::Average"),
            PoolOp::Lp(p) => write!(f, "PoolOp::Lp({p:?})"),
        }
    }
}

/// Geometry of one pooling over `[N, C, d0, d1, d2]` (lower ranks padded with leading 1s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolNdParams {
    pub op: PoolOp,
    /// N * C.
    pub planes: usize,
    pub input: [usize; 3],
    pub output: [usize; 3],
    pub kernel: [usize; 3],
    pub strides: [usize; 3],
    pub dilations: [usize; 3],
    pub pads_begin: [usize; 3],
    pub pads_end: [usize; 3],
    /// Average: divide by the taps inside the padded input rather than inside the input.
    pub count_include_pad: bool,
    /// Indices are column-major over the spatial axes (`storage_order = 1`).
    pub column_major: bool,
}

/// Pools every plane; writes the flat input index of each maximum to `indices` when given.
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn pool_nd(p: &PoolNdParams, x: &[f32], y: &mut [f32], indices: Option<&mut [i64]>) {
    let in_plane: usize = p.input.iter().product();
    let out_plane: usize = p.output.iter().product();
    let (Some(x), Some(y)) = (x.get(..p.planes * in_plane), y.get_mut(..p.planes * out_plane)) else {
        return;
    };
    let mut indices = indices.and_then(|v| v.get_mut(..p.planes * out_plane));
    if in_plane == 0 || out_plane == 0 {
        return;
    }
    let [i0, i1, i2] = p.input;
    // Flat spatial index of (a, b, c) in the order Indices use.
    let flat = |a: usize, b: usize, c: usize| if p.column_major { a + b * i0 + c * i0 * i1 } else { (a * i1 + b) * i2 + c };
    for (plane, (xp, yp)) in x.chunks_exact(in_plane).zip(y.chunks_exact_mut(out_plane)).enumerate() {
        for (o, yv) in yp.iter_mut().enumerate() {
            let pos = [o / (p.output[1] * p.output[2]), (o / p.output[2]) % p.output[1], o % p.output[2]];
            let mut best = f32::NEG_INFINITY;
            let mut best_at = 0usize;
            let mut found = false;
            let mut sum = 0.0f32;
            let (mut inside, mut padded) = (0usize, 0usize);
            for ka in 0..p.kernel[0] {
                for kb in 0..p.kernel[1] {
                    for kc in 0..p.kernel[2] {
                        let tap = [ka, kb, kc];
                        let mut coord = [0usize; 3];
                        let mut in_input = true;
                        let mut in_padded = true;
                        for (d, c) in coord.iter_mut().enumerate() {
                            let at = (pos[d] * p.strides[d] + tap[d] * p.dilations[d]) as isize - p.pads_begin[d] as isize;
                            if at < 0 || at >= p.input[d] as isize {
                                in_input = false;
                            }
                            if at >= (p.input[d] + p.pads_end[d]) as isize {
                                in_padded = false;
                            }
                            *c = at.max(0) as usize;
                        }
                        if in_padded {
                            padded += 1;
                        }
                        if !in_input {
                            continue;
                        }
                        inside += 1;
                        let at = (coord[0] * i1 + coord[1]) * i2 + coord[2];
                        let v = xp.get(at).copied().unwrap_or(0.0);
                        match p.op {
                            PoolOp::Max => {
                                if !found || v > best || (v.is_nan() && !best.is_nan()) {
                                    best = v;
                                    best_at = flat(coord[0], coord[1], coord[2]);
                                    found = true;
                                }
                            }
                            PoolOp::Average => sum += v,
                            PoolOp::Lp(e) => sum += crate::rt::math::pow(crate::rt::math::abs(v), e),
                        }
                    }
                }
            }
            *yv = match p.op {
                PoolOp::Max => best,
                PoolOp::Average => {
                    let n = if p.count_include_pad { padded } else { inside };
                    if n == 0 {
                        0.0
                    } else {
                        sum / n as f32
                    }
                }
                PoolOp::Lp(e) => crate::rt::math::pow(sum, 1.0 / e),
            };
            if let Some(slot) = indices.as_deref_mut().and_then(|v| v.get_mut(plane * out_plane + o)) {
                *slot = (plane * in_plane + best_at) as i64;
            }
        }
    }
}

/// Geometry of `Col2Im` over up to three spatial axes (lower ranks padded with leading 1s).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Col2ImParams {
    pub batch: usize,
    pub channels: usize,
    pub image: [usize; 3],
    pub block: [usize; 3],
    /// Sliding positions per axis (their product is the input's last dimension).
    pub blocks: [usize; 3],
    pub strides: [usize; 3],
    pub dilations: [usize; 3],
    pub pads_begin: [usize; 3],
}

/// Sums the columns `x` (`[N, C * block, L]`) back into images `y` (`[N, C, image]`).
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn col2im(p: &Col2ImParams, x: &[f32], y: &mut [f32]) {
    let block: usize = p.block.iter().product();
    let cols: usize = p.blocks.iter().product();
    let image: usize = p.image.iter().product();
    let (Some(x), Some(y)) = (x.get(..p.batch * p.channels * block * cols), y.get_mut(..p.batch * p.channels * image)) else {
        return;
    };
    y.iter_mut().for_each(|v| *v = 0.0);
    if cols == 0 || image == 0 {
        return;
    }
    for (row, xr) in x.chunks_exact(cols).enumerate() {
        let plane = row / block;
        let kk = row % block;
        let k = [kk / (p.block[1] * p.block[2]), (kk / p.block[2]) % p.block[1], kk % p.block[2]];
        for (l, &v) in xr.iter().enumerate() {
            let b = [l / (p.blocks[1] * p.blocks[2]), (l / p.blocks[2]) % p.blocks[1], l % p.blocks[2]];
            let mut at = 0usize;
            let mut inside = true;
            for d in 0..3 {
                let pos = (b[d] * p.strides[d] + k[d] * p.dilations[d]) as isize - p.pads_begin[d] as isize;
                if pos < 0 || pos >= p.image[d] as isize {
                    inside = false;
                }
                at = at * p.image[d] + pos.max(0) as usize;
            }
            if inside {
                if let Some(o) = y.get_mut(plane * image + at) {
                    *o += v;
                }
            }
        }
    }
}

/// Spatial shapes of one `MaxUnpool` (lower ranks padded with leading 1s): `indices` address
/// the pooled input's shape `from`; the output has spatial shape `to`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaxUnpoolParams {
    pub from: [usize; 3],
    pub to: [usize; 3],
}

/// `MaxUnpool`: zeros, then each `x` value at the position its index names (re-laid out from
/// `from` to `to`). Indices out of range are skipped.
#[inline(always)]
pub fn max_unpool(p: &MaxUnpoolParams, x: &[f32], indices: &[i64], y: &mut [f32]) {
    y.iter_mut().for_each(|v| *v = 0.0);
    let (from, to): (usize, usize) = (p.from.iter().product(), p.to.iter().product());
    if from == 0 || to == 0 {
        return;
    }
    for (&v, &i) in x.iter().zip(indices) {
        let Ok(i) = usize::try_from(i) else {
            continue;
        };
        let (plane, r) = (i / from, i % from);
        let c = [r / (p.from[1] * p.from[2]), (r / p.from[2]) % p.from[1], r % p.from[2]];
        if c[0] >= p.to[0] || c[1] >= p.to[1] || c[2] >= p.to[2] {
            continue;
        }
        let at = plane * to + (c[0] * p.to[1] + c[1]) * p.to[2] + c[2];
        if let Some(slot) = y.get_mut(at) {
            *slot = v;
        }
    }
}
