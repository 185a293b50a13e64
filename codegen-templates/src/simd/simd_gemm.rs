//! SIMD GEMM and MatMul: a register-tiled microkernel over the vector primitives of the
//! target's `vec.rs`, with bias and activation applied while the tile is in registers.
//!
//! `Y = act(A · B + bias)` with row-major `A [m, k]` (row stride `lda`), `B [k, n]` (row stride
//! `ldb`) and `Y [m, n]` (row stride `ldy`). The tile is `GEMM_ROWS` rows of `A` broadcast
//! against `GEMM_VECS` vectors of a row of `B`; `B` is read in panels of that width, which stay
//! in L1 while every row block of `A` passes over them. The last vector of a panel is masked,
//! so any `n` works without padding. Shapes the tile does not cover (transposed operands,
//! alpha, unusual bias shapes) fall back to the generic kernels, which are also the oracle of
//! this file's tests.

use super::activation::{apply_in_place, Activation};
use super::gemm::{GemmBias, GemmParams, MatMulParams};
use super::vec::{fma, load, load_tail, max, min, splat, store, store_tail, tail, zero, F32s, Tail, GEMM_ROWS, GEMM_VECS, GEMV_VECS, LANES};

/// What is added to the product before the activation.
#[derive(Clone, Copy)]
pub enum TileBias<'a> {
    /// Nothing.
    None,
    /// One value per row of `Y` (a convolution's per-channel bias).
    Row(&'a [f32]),
    /// One value per column of `Y` (a Gemm's `C` of shape `[n]`).
    Col(&'a [f32]),
}

/// Operands of one GEMM as validated raw pointers; built only by [`gemm_core`].
#[derive(Clone, Copy)]
struct Operands {
    k: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    ldb: usize,
    /// Column of `Y` that column 0 of `b` belongs to (non-zero for a packed panel).
    b_col0: usize,
    /// Where each of the `k` rows of `B` starts (elements from `b`), or null for `kk * ldb`.
    b_rows: *const usize,
    y: *mut f32,
    ldy: usize,
    row_bias: *const f32,
    col_bias: *const f32,
    /// Clamp applied in registers: `(lo, hi)` (`-inf`/`+inf` for none).
    clamp: Option<(f32, f32)>,
}

/// `y = act(a · b + bias)`: the entry point of every SIMD GEMM-shaped kernel.
///
/// Does nothing if a buffer is shorter than its shape and strides need.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn gemm_core(m: usize, n: usize, k: usize, a: &[f32], lda: usize, b: &[f32], ldb: usize, bias: TileBias, act: Activation, y: &mut [f32], ldy: usize) {
    let need = |rows: usize, stride: usize, cols: usize| if rows == 0 { 0 } else { (rows - 1) * stride + cols };
    let Some(b) = b.get(..need(k, ldb, n)) else { return };
    gemm_rows(m, n, k, a, lda, b, ldb, None, bias, act, y, ldy);
}

/// [`gemm_core`] with the rows of `B` at arbitrary offsets: row `kk` is `b[b_rows[kk]..][..n]`.
/// This is a convolution as an implicit GEMM: the rows are shifted views of a padded input.
///
/// Does nothing if a buffer is shorter than its shape, strides and offsets need.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub fn gemm_offsets(m: usize, n: usize, k: usize, a: &[f32], lda: usize, b: &[f32], b_rows: &[usize], bias: TileBias, act: Activation, y: &mut [f32], ldy: usize) {
    let Some(b_rows) = b_rows.get(..k) else { return };
    if b_rows.iter().any(|&off| off.checked_add(n).is_none_or(|end| end > b.len())) {
        return;
    }
    gemm_rows(m, n, k, a, lda, b, 0, Some(b_rows), bias, act, y, ldy);
}

/// The shared part of [`gemm_core`] and [`gemm_offsets`]; `b` (with `ldb` or `b_rows`) has
/// been validated by the caller.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn gemm_rows(m: usize, n: usize, k: usize, a: &[f32], lda: usize, b: &[f32], ldb: usize, b_rows: Option<&[usize]>, bias: TileBias, act: Activation, y: &mut [f32], ldy: usize) {
    if m == 0 || n == 0 {
        return;
    }
    let need = |rows: usize, stride: usize, cols: usize| if rows == 0 { 0 } else { (rows - 1) * stride + cols };
    let (Some(a), Some(y)) = (a.get(..need(m, lda, k)), y.get_mut(..need(m, ldy, n))) else {
        return;
    };
    let (row_bias, col_bias) = match bias {
        TileBias::None => (core::ptr::null(), core::ptr::null()),
        TileBias::Row(r) => match r.get(..m) {
            Some(r) => (r.as_ptr(), core::ptr::null()),
            None => return,
        },
        TileBias::Col(c) => match c.get(..n) {
            Some(c) => (core::ptr::null(), c.as_ptr()),
            None => return,
        },
    };
    let clamp = match act {
        Activation::Relu => Some((0.0, f32::INFINITY)),
        Activation::Clip { min, max } => Some((min, max)),
        _ => None,
    };
    let b_rows = b_rows.map_or(core::ptr::null(), <[usize]>::as_ptr);
    let ops = Operands { k, a: a.as_ptr(), lda, b: b.as_ptr(), ldb, b_col0: 0, b_rows, y: y.as_mut_ptr(), ldy, row_bias, col_bias, clamp };
    if m == 1 && ops.b_rows.is_null() && k * n >= GEMV_STREAM_MIN {
        // SAFETY: `ops` holds the validated one-row operands.
        unsafe { gemv_streamed(ops, n) };
    } else if m == 1 {
        panels::<GEMV_VECS>(ops, m, n);
    } else {
        panels::<GEMM_VECS>(ops, m, n);
    }
    if clamp.is_none() && act != Activation::None {
        for row in y.chunks_mut(ldy.max(1)).take(m) {
            if let Some(row) = row.get_mut(..n) {
                if !super::simd_math::apply_in_place(act, row) {
                    apply_in_place(act, row);
                }
            }
        }
    }
}

/// Floats of `B` (2 MiB, more than an L2 keeps) from which a one-row product streams `B`
/// ([`gemv_streamed`]). Below it `B` may stay cached between calls, and register-accumulating
/// panels are faster (8% on the golden MLP, whose 1 MB of weights stay in L2).
const GEMV_STREAM_MIN: usize = 512 * 1024;

/// Rows of `B` one pass of [`gemv_streamed`] adds into `Y`.
const GEMV_STREAM_ROWS: usize = 4;

/// One row of `Y` with a large `B` (a classifier's weights, which the caches do not keep from
/// one call to the next): `B` is read row after row, in the order it lies in memory, and `Y`
/// accumulates in place, `GEMV_STREAM_ROWS` rows of `B` per pass. Column panels would read
/// each row of `B` in pieces a row apart, a new page every few lines, which the prefetchers do
/// not follow: MobileNetV2's 1280 × 1000 classifier waited on memory for its whole run.
///
/// # Safety
/// `ops` is validated for one row: `A` has `k` floats, `B` `k` rows of `n` at `kk · ldb`
/// (`b_rows` null), `Y` and a column bias `n` floats, a row bias one.
#[inline(never)]
unsafe fn gemv_streamed(ops: Operands, n: usize) {
    let (full, rest) = (n / LANES, n % LANES);
    let last = tail(rest);
    // SAFETY (whole body): vectors `v < full` cover columns below `full · LANES <= n`, the
    // masked one the `rest` columns after them; rows `kk < k` of `B` and floats `kk` of `A`.
    unsafe {
        let init = |v: usize, masked: bool| {
            if !ops.col_bias.is_null() {
                let p = ops.col_bias.add(v * LANES);
                if masked { load_tail(p, last) } else { load(p) }
            } else if !ops.row_bias.is_null() {
                splat(*ops.row_bias)
            } else {
                zero()
            }
        };
        for v in 0..full {
            store(ops.y.add(v * LANES), init(v, false));
        }
        if rest > 0 {
            store_tail(ops.y.add(full * LANES), init(full, true), last);
        }
        let mut kk = 0;
        while kk < ops.k {
            let rows = if ops.k - kk < GEMV_STREAM_ROWS { ops.k - kk } else { GEMV_STREAM_ROWS };
            match rows {
                GEMV_STREAM_ROWS => gemv_pass::<GEMV_STREAM_ROWS>(ops, kk, full, rest),
                3 => gemv_pass::<3>(ops, kk, full, rest),
                2 => gemv_pass::<2>(ops, kk, full, rest),
                _ => gemv_pass::<1>(ops, kk, full, rest),
            }
            kk += rows;
        }
        if let Some((lo, hi)) = ops.clamp {
            let (lo, hi) = (splat(lo), splat(hi));
            for v in 0..full {
                let p = ops.y.add(v * LANES);
                store(p, min(hi, max(lo, load(p))));
            }
            if rest > 0 {
                let p = ops.y.add(full * LANES);
                store_tail(p, min(hi, max(lo, load_tail(p, last))), last);
            }
        }
    }
}

/// `Y += A[kk .. kk + R] · B[kk .. kk + R, ..]` for [`gemv_streamed`].
///
/// # Safety
/// As for [`gemv_streamed`], with `kk + R <= k`, `full · LANES + rest == n`, `rest < LANES`.
#[inline(always)]
unsafe fn gemv_pass<const R: usize>(ops: Operands, kk: usize, full: usize, rest: usize) {
    // SAFETY: forwarded from the caller.
    unsafe {
        let mut xs = [zero(); R];
        let mut rows = [ops.b; R];
        for (r, (x, row)) in xs.iter_mut().zip(rows.iter_mut()).enumerate() {
            *x = splat(*ops.a.add(kk + r));
            *row = ops.b.add((kk + r) * ops.ldb);
        }
        for v in 0..full {
            let p = ops.y.add(v * LANES);
            let mut acc = load(p);
            for (&x, &row) in xs.iter().zip(rows.iter()) {
                acc = fma(x, load(row.add(v * LANES)), acc);
            }
            store(p, acc);
        }
        if rest > 0 {
            let last = tail(rest);
            let p = ops.y.add(full * LANES);
            let mut acc = load_tail(p, last);
            for (&x, &row) in xs.iter().zip(rows.iter()) {
                acc = fma(x, load_tail(row.add(full * LANES), last), acc);
            }
            store_tail(p, acc, last);
        }
    }
}

/// Floats of the stack buffer a panel of `B` is packed into (192 KiB, left uninitialized).
pub const GEMM_PACK: usize = 48 * 1024;

/// Walks `Y` in panels of `V` vectors (columns) and, inside each, blocks of `GEMM_ROWS` rows.
///
/// When several row blocks share a panel and `B`'s rows are far apart (a feature map's planes,
/// a patch block), the panel is first copied into a contiguous buffer: the tile then streams
/// one cache line after the other instead of hopping between pages and cache sets.
#[inline(always)]
fn panels<const V: usize>(ops: Operands, m: usize, n: usize) {
    let width = V * LANES;
    if ops.k <= ROWS_FIRST_MAX_K && m > GEMM_ROWS && m * n >= ROWS_FIRST_MIN_Y {
        return rows_first::<V>(ops, m, n);
    }
    let pack = m > GEMM_ROWS && ops.b_rows.is_null() && ops.ldb > width && ops.k * width <= GEMM_PACK;
    let mut packed = [const { core::mem::MaybeUninit::<f32>::uninit() }; GEMM_PACK];
    let mut j = 0;
    while j < n {
        let cols = if n - j < width { n - j } else { width };
        let vecs = cols.div_ceil(LANES);
        let last = tail(cols - (vecs - 1) * LANES);
        let mut panel = ops;
        if pack {
            let dst = packed.as_mut_ptr().cast::<f32>();
            // SAFETY: rows `0..k` and columns `j..j + cols` of `B` were validated by
            // `gemm_core` (the last vector is masked to `cols`); the buffer holds
            // `k * vecs * LANES <= k * width <= GEMM_PACK` floats, and every one of them is
            // written here (masked-off lanes as 0) before the tiles read them.
            unsafe {
                for kk in 0..ops.k {
                    let src = ops.b.add(row_start(ops, kk) + j);
                    let row = dst.add(kk * vecs * LANES);
                    for v in 0..vecs {
                        let val = if v + 1 < vecs { load(src.add(v * LANES)) } else { load_tail(src.add(v * LANES), last) };
                        store(row.add(v * LANES), val);
                    }
                }
            }
            panel = Operands { b: dst, ldb: vecs * LANES, b_col0: j, b_rows: core::ptr::null(), ..ops };
        }
        let mut i = 0;
        while i < m {
            let rows = if m - i < GEMM_ROWS { m - i } else { GEMM_ROWS };
            // SAFETY: rows `i..i + rows` < m and columns `j..j + cols` <= n lie inside the
            // operands validated by `gemm_core` (or the packed panel), and the last vector is
            // masked to `cols`.
            unsafe { tile_dispatch::<V>(panel, i, j, rows, vecs, last) };
            i += rows;
        }
        j += cols;
    }
}

/// [`panels`] walks row blocks outermost (see [`rows_first`]) for at most this `k` …
const ROWS_FIRST_MAX_K: usize = 32;

/// … and a `Y` of at least this many floats (1 MiB: more than an L2 share, so the order of
/// the writes decides the speed).
const ROWS_FIRST_MIN_Y: usize = 256 * 1024;

/// The loop order for short `k`: each block of `GEMM_ROWS` rows of `Y` is written left to
/// right across all panels, a few sequential streams the prefetcher follows, instead of every
/// row of `Y` a panel at a time. `B` (at most `k` rows) is read again per block; it is small.
#[inline(always)]
fn rows_first<const V: usize>(ops: Operands, m: usize, n: usize) {
    let width = V * LANES;
    let mut i = 0;
    while i < m {
        let rows = if m - i < GEMM_ROWS { m - i } else { GEMM_ROWS };
        let mut j = 0;
        while j < n {
            let cols = if n - j < width { n - j } else { width };
            let vecs = cols.div_ceil(LANES);
            // SAFETY: as in `panels`: rows `i..i + rows` < m and columns `j..j + cols` <= n
            // lie inside the operands validated by `gemm_core`; the last vector is masked.
            unsafe { tile_dispatch::<V>(ops, i, j, rows, vecs, tail(cols - (vecs - 1) * LANES)) };
            j += cols;
        }
        i += rows;
    }
}

/// Where row `kk` of `B` starts, in elements from `ops.b`.
///
/// # Safety
/// `kk < ops.k`, and `ops.b_rows`, when not null, points to `ops.k` offsets.
#[inline(always)]
unsafe fn row_start(ops: Operands, kk: usize) -> usize {
    if ops.b_rows.is_null() {
        kk * ops.ldb
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { *ops.b_rows.add(kk) }
    }
}

/// Calls the tile instance for `rows` rows and `vecs` vectors: up to `GEMM_ROWS` × 3 in a
/// GEMM panel (`V` = `GEMM_VECS`), or one row of up to 8 vectors in a matrix-vector panel.
///
/// # Safety
/// As for [`tile`].
#[inline(always)]
unsafe fn tile_dispatch<const V: usize>(ops: Operands, i: usize, j: usize, rows: usize, vecs: usize, last: Tail) {
    macro_rules! gemm_tiles {
        ($($r:literal)*) => {
            match (rows, vecs) {
                $(
                    ($r, 1) => tile::<$r, 1>(ops, i, j, last),
                    ($r, 2) => tile::<$r, 2>(ops, i, j, last),
                    ($r, _) => tile::<$r, 3>(ops, i, j, last),
                )*
                _ => {}
            }
        };
    }
    // SAFETY: forwarded from the caller.
    unsafe {
        if rows == 1 && V > 3 {
            match vecs {
                1 => tile::<1, 1>(ops, i, j, last),
                2 => tile::<1, 2>(ops, i, j, last),
                3 => tile::<1, 3>(ops, i, j, last),
                4 => tile::<1, 4>(ops, i, j, last),
                5 => tile::<1, 5>(ops, i, j, last),
                6 => tile::<1, 6>(ops, i, j, last),
                7 => tile::<1, 7>(ops, i, j, last),
                _ => tile::<1, 8>(ops, i, j, last),
            }
        } else {
            gemm_tiles!(1 2 3 4 5 6 7 8);
        }
    }
}

/// The microkernel: an `R × (C · LANES)` block of `Y` at row `i`, column `j`, accumulated over
/// all of `k` in registers, then bias, clamp and store. The last vector is masked by `last`.
///
/// # Safety
/// Rows `i..i + R` and the columns of the `C` vectors (the last one limited to `last`) must lie
/// inside the operands of `ops`.
#[inline(never)]
unsafe fn tile<const R: usize, const C: usize>(ops: Operands, i: usize, j: usize, last: Tail) {
    let mut acc: [[F32s; C]; R] = [[zero(); C]; R];
    // SAFETY (whole body): the caller guarantees every row and column touched below.
    unsafe {
        let a0 = ops.a.add(i * ops.lda);
        let b0 = ops.b.add(j - ops.b_col0);
        for kk in 0..ops.k {
            let b_row = b0.add(row_start(ops, kk));
            let mut bv: [F32s; C] = [zero(); C];
            for (v, slot) in bv.iter_mut().enumerate() {
                let p = b_row.add(v * LANES);
                *slot = if v + 1 < C { load(p) } else { load_tail(p, last) };
            }
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let av = splat(*a0.add(r * ops.lda + kk));
                for (acc_rv, &b) in acc_r.iter_mut().zip(bv.iter()) {
                    *acc_rv = fma(av, b, *acc_rv);
                }
            }
        }
        if !ops.row_bias.is_null() {
            for (r, acc_r) in acc.iter_mut().enumerate() {
                let bias = splat(*ops.row_bias.add(i + r));
                for acc_rv in acc_r.iter_mut() {
                    *acc_rv = super::vec::add(*acc_rv, bias);
                }
            }
        }
        if !ops.col_bias.is_null() {
            let mut cb: [F32s; C] = [zero(); C];
            for (v, slot) in cb.iter_mut().enumerate() {
                let p = ops.col_bias.add(j + v * LANES);
                *slot = if v + 1 < C { load(p) } else { load_tail(p, last) };
            }
            for acc_r in acc.iter_mut() {
                for (acc_rv, &c) in acc_r.iter_mut().zip(cb.iter()) {
                    *acc_rv = super::vec::add(*acc_rv, c);
                }
            }
        }
        if let Some((lo, hi)) = ops.clamp {
            let (lo, hi) = (splat(lo), splat(hi));
            for acc_r in acc.iter_mut() {
                for acc_rv in acc_r.iter_mut() {
                    // NaN propagates: `max`/`min` return their second operand on NaN.
                    *acc_rv = min(hi, max(lo, *acc_rv));
                }
            }
        }
        for (r, acc_r) in acc.iter().enumerate() {
            let y_row = ops.y.add((i + r) * ops.ldy + j);
            for (v, &val) in acc_r.iter().enumerate() {
                let p = y_row.add(v * LANES);
                if v + 1 < C {
                    store(p, val);
                } else {
                    store_tail(p, val, last);
                }
            }
        }
    }
}

/// ONNX `Gemm` with the SIMD tile when `A` and `B` are not transposed, `alpha` is 1 and `C`
/// is absent or, with `beta` 1, a row vector, a column vector or (for one row) `[1, n]`;
/// otherwise the generic kernel.
#[inline(always)]
pub fn gemm(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>, y: &mut [f32]) {
    let bias = match (p.bias, c) {
        (GemmBias::None, _) | (_, None) => Some(TileBias::None),
        _ if p.beta == 0.0 => Some(TileBias::None),
        (GemmBias::Row, Some(c)) if p.beta == 1.0 => Some(TileBias::Col(c)),
        // `[m, n]` with one row is one value per column; `[m, 1]` is one value per row.
        (GemmBias::Full, Some(c)) if p.beta == 1.0 && p.m == 1 => Some(TileBias::Col(c)),
        (GemmBias::Column, Some(c)) if p.beta == 1.0 => Some(TileBias::Row(c)),
        _ => None,
    };
    match bias {
        Some(bias) if !p.trans_a && !p.trans_b && p.alpha == 1.0 => gemm_core(p.m, p.n, p.k, a, p.k, b, p.n, bias, p.act, y, p.n),
        _ => super::gemm::gemm(p, a, b, c, y),
    }
}

/// ONNX `MatMul` (batched, broadcasting through strides) with the SIMD tile per batch.
#[inline(always)]
pub fn matmul(p: &MatMulParams, a: &[f32], b: &[f32], y: &mut [f32]) {
    let (m, n, k) = (p.m, p.n, p.k);
    let rank = if p.batch_rank < 6 { p.batch_rank } else { 6 };
    let batches: usize = p.batch_shape.iter().take(rank).product();
    let mut idx = [0usize; 6];
    let (mut a_off, mut b_off) = (0usize, 0usize);
    for bi in 0..batches {
        if let (Some(am), Some(bm), Some(ym)) =
            (a.get(a_off..a_off + m * k), b.get(b_off..b_off + k * n), y.get_mut(bi * m * n..(bi + 1) * m * n))
        {
            if k == 0 {
                ym.fill(0.0);
                apply_in_place(p.act, ym);
            } else {
                gemm_core(m, n, k, am, k, bm, n, TileBias::None, p.act, ym, n);
            }
        }
        // Advance the row-major batch counter, keeping the operand offsets in step.
        let dims = idx.iter_mut().zip(&p.batch_shape);
        let strides = p.a_batch_strides.iter().zip(&p.b_batch_strides);
        for ((i, &len), (&sa, &sb)) in dims.zip(strides).take(rank).rev() {
            *i += 1;
            a_off += sa;
            b_off += sb;
            if *i < len {
                break;
            }
            a_off -= sa * *i;
            b_off -= sb * *i;
            *i = 0;
        }
    }
}
