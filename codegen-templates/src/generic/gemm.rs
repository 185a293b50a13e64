//! Matrix products: ONNX `Gemm` (with broadcast bias) and batched, broadcasting `MatMul`.

use super::activation::{apply_in_place, Activation};
use core::fmt;

/// How `Gemm`'s `C` broadcasts to the `[m, n]` output.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum GemmBias {
    /// No bias (no `C`, or `beta == 0`).
    None,
    /// `C` has one element.
    Scalar,
    /// `C` is `[n]` or `[1, n]`: one value per column.
    Row,
    /// `C` is `[m, 1]`: one value per row.
    Column,
    /// `C` is `[m, n]`.
    Full,
}

impl fmt::Debug for GemmBias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GemmBias::None => "GemmBias::None",
            GemmBias::Scalar => "GemmBias::Scalar",
            GemmBias::Row => "GemmBias::Row",
            GemmBias::Column => "GemmBias::Column",
            GemmBias::Full => "GemmBias::Full",
        })
    }
}

/// Shape and options of one `Gemm`: `Y = act(alpha * op(A) * op(B) + beta * C)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GemmParams {
    /// Rows of `op(A)` and `Y`.
    pub m: usize,
    /// Columns of `op(B)` and `Y`.
    pub n: usize,
    /// Columns of `op(A)`, rows of `op(B)`.
    pub k: usize,
    /// `A` is stored `[k, m]` and used transposed.
    pub trans_a: bool,
    /// `B` is stored `[n, k]` and used transposed.
    pub trans_b: bool,
    /// Scale of the product.
    pub alpha: f32,
    /// Scale of `C`.
    pub beta: f32,
    /// Shape of `C` relative to `Y`.
    pub bias: GemmBias,
    /// Activation fused into the output.
    pub act: Activation,
}

/// `y = act(alpha * op(a) op(b) + beta * c)` with row-major operands.
///
/// `c` is ignored when `p.bias` is `None`, when it is absent, or when `beta == 0` (as ORT does).
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn gemm(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>, y: &mut [f32]) {
    let (m, n, k) = (p.m, p.n, p.k);
    let (Some(a), Some(b), Some(y)) = (a.get(..m * k), b.get(..k * n), y.get_mut(..m * n)) else {
        return;
    };
    let c = match (p.bias, c) {
        (GemmBias::None, _) | (_, None) => None,
        _ if p.beta == 0.0 => None,
        (bias, Some(c)) => {
            let need = match bias {
                GemmBias::None => 0,
                GemmBias::Scalar => 1,
                GemmBias::Row => n,
                GemmBias::Column => m,
                GemmBias::Full => m * n,
            };
            match c.get(..need) {
                Some(c) => Some(c),
                None => return,
            }
        }
    };
    if n == 0 {
        return; // nothing to write
    }
    for (i, y_row) in y.chunks_exact_mut(n).enumerate() {
        if p.trans_a {
            // A is stored [k, m]: row i of op(A) is column i, every m-th element (m > i).
            gemm_row(a.iter().skip(i).step_by(m), b, k, p.trans_b, y_row);
        } else if let Some(a_row) = a.get(i * k..i * k + k) {
            gemm_row(a_row.iter(), b, k, p.trans_b, y_row);
        }
        if p.alpha != 1.0 {
            for yv in y_row.iter_mut() {
                *yv *= p.alpha;
            }
        }
        if let Some(c) = c {
            let beta = p.beta;
            match p.bias {
                GemmBias::None => {}
                GemmBias::Scalar => {
                    let cv = beta * c.first().copied().unwrap_or(0.0);
                    for yv in y_row.iter_mut() {
                        *yv += cv;
                    }
                }
                GemmBias::Row => {
                    for (yv, &cv) in y_row.iter_mut().zip(c) {
                        *yv += beta * cv;
                    }
                }
                GemmBias::Column => {
                    let cv = beta * c.get(i).copied().unwrap_or(0.0);
                    for yv in y_row.iter_mut() {
                        *yv += cv;
                    }
                }
                GemmBias::Full => {
                    let c_row = c.get(i * n..i * n + n).unwrap_or_default();
                    for (yv, &cv) in y_row.iter_mut().zip(c_row) {
                        *yv += beta * cv;
                    }
                }
            }
        }
        apply_in_place(p.act, y_row);
    }
}

/// One output row of [`gemm`] before scaling: `y_row = a_row · op(b)`, overwriting `y_row`.
///
/// `a_row` yields the `k` values of row `i` of `op(A)`; `b` is `[k, n]`, or `[n, k]` when
/// `trans_b`. Each output sums its products in `k` order.
#[inline(always)]
pub fn gemm_row<'a, I>(a_row: I, b: &[f32], k: usize, trans_b: bool, y_row: &mut [f32])
where
    I: Iterator<Item = &'a f32> + Clone,
{
    y_row.fill(0.0);
    if trans_b {
        // B is [n, k]: each output is a dot product with a contiguous row of B.
        if k == 0 {
            return;
        }
        for (yv, b_row) in y_row.iter_mut().zip(b.chunks_exact(k)) {
            let mut acc = 0.0f32;
            for (&av, &bv) in a_row.clone().zip(b_row) {
                acc += av * bv;
            }
            *yv = acc;
        }
    } else {
        // k-j: the innermost loop streams a contiguous row of B into the output row.
        let n = y_row.len();
        if n == 0 {
            return;
        }
        for (&av, b_row) in a_row.zip(b.chunks_exact(n)) {
            for (yv, &bv) in y_row.iter_mut().zip(b_row) {
                *yv += av * bv;
            }
        }
    }
}

/// Shape of one `MatMul`: `Y[b] = act(A[b] * B[b])` over broadcast batch dimensions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatMulParams {
    /// Rows of each `A` matrix and `Y` matrix.
    pub m: usize,
    /// Columns of each `B` matrix and `Y` matrix.
    pub n: usize,
    /// Columns of `A`, rows of `B`.
    pub k: usize,
    /// Number of output batch dimensions (<= 6).
    pub batch_rank: usize,
    /// Output batch dimensions; only the first `batch_rank` are used.
    pub batch_shape: [usize; 6],
    /// Element offset between consecutive `A` matrices along each batch dim (0 if broadcast).
    pub a_batch_strides: [usize; 6],
    /// Element offset between consecutive `B` matrices along each batch dim (0 if broadcast).
    pub b_batch_strides: [usize; 6],
    /// Activation fused into the output.
    pub act: Activation,
}

/// Batched `y = act(a @ b)` with row-major `[.., m, k]` x `[.., k, n]` -> `[.., m, n]`.
///
/// Batches are visited in row-major order of `batch_shape[..batch_rank]`; operand matrices are
/// found through the per-dimension strides, so broadcasting costs nothing. Batches whose
/// operands would fall outside `a`/`b`/`y` are skipped.
#[inline(always)]
pub fn matmul(p: &MatMulParams, a: &[f32], b: &[f32], y: &mut [f32]) {
    let (m, n, k) = (p.m, p.n, p.k);
    let rank = if p.batch_rank < 6 { p.batch_rank } else { 6 };
    let batches: usize = p.batch_shape.iter().take(rank).product();
    let mut idx = [0usize; 6];
    let (mut a_off, mut b_off) = (0usize, 0usize);
    for bi in 0..batches {
        if let (Some(am), Some(bm), Some(ym)) = (
            a.get(a_off..a_off + m * k),
            b.get(b_off..b_off + k * n),
            y.get_mut(bi * m * n..(bi + 1) * m * n),
        ) {
            matmul_one(m, n, k, am, bm, ym);
            apply_in_place(p.act, ym);
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

/// One row-major `[m, k] x [k, n]` product into `y` (overwritten), in i-k-j order.
///
/// Does nothing if a buffer is too short.
#[inline(always)]
pub fn matmul_one(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], y: &mut [f32]) {
    let (Some(a), Some(b), Some(y)) = (a.get(..m * k), b.get(..k * n), y.get_mut(..m * n)) else {
        return;
    };
    if k == 0 {
        y.fill(0.0);
        return;
    }
    if n == 1 {
        // Matrix-vector: dot products over contiguous rows of A.
        for (yv, a_row) in y.iter_mut().zip(a.chunks_exact(k)) {
            let mut acc = 0.0f32;
            for (&av, &bv) in a_row.iter().zip(b) {
                acc += av * bv;
            }
            *yv = acc;
        }
        return;
    }
    if n == 0 {
        return;
    }
    for (y_row, a_row) in y.chunks_exact_mut(n).zip(a.chunks_exact(k)) {
        y_row.fill(0.0);
        for (&av, b_row) in a_row.iter().zip(b.chunks_exact(n)) {
            for (yv, &bv) in y_row.iter_mut().zip(b_row) {
                *yv += av * bv;
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
        let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(99);
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                (s % 2000) as f32 / 1000.0 - 1.0
            })
            .collect()
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len());
        for (i, (g, e)) in got.iter().zip(want.iter()).enumerate() {
            assert!(
                (g - e).abs() <= 1e-4 * (1.0 + e.abs()),
                "{what} at {i}: {g} vs {e}"
            );
        }
    }

    fn naive_gemm(p: &GemmParams, a: &[f32], b: &[f32], c: Option<&[f32]>) -> Vec<f32> {
        let mut y = std::vec![0.0f32; p.m * p.n];
        for i in 0..p.m {
            for j in 0..p.n {
                let mut acc = 0.0f64;
                for kk in 0..p.k {
                    let av = if p.trans_a {
                        a[kk * p.m + i]
                    } else {
                        a[i * p.k + kk]
                    };
                    let bv = if p.trans_b {
                        b[j * p.k + kk]
                    } else {
                        b[kk * p.n + j]
                    };
                    acc += av as f64 * bv as f64;
                }
                let mut v = p.alpha as f64 * acc;
                if let Some(c) = c {
                    let cv = match p.bias {
                        GemmBias::None => 0.0,
                        GemmBias::Scalar => c[0],
                        GemmBias::Row => c[j],
                        GemmBias::Column => c[i],
                        GemmBias::Full => c[i * p.n + j],
                    };
                    v += p.beta as f64 * cv as f64;
                }
                y[i * p.n + j] = super::super::activation::apply(p.act, v as f32);
            }
        }
        y
    }

    #[test]
    fn gemm_all_options() {
        let biases = [
            GemmBias::None,
            GemmBias::Scalar,
            GemmBias::Row,
            GemmBias::Column,
            GemmBias::Full,
        ];
        for &(m, n, k) in &[(1, 1, 1), (3, 7, 17), (17, 3, 7), (7, 17, 1), (1, 17, 3)] {
            for &ta in &[false, true] {
                for &tb in &[false, true] {
                    for &bias in &biases {
                        let p = GemmParams {
                            m,
                            n,
                            k,
                            trans_a: ta,
                            trans_b: tb,
                            alpha: if ta { 0.5 } else { 1.0 },
                            beta: if tb { 2.0 } else { 1.0 },
                            bias,
                            act: if bias == GemmBias::Row {
                                Activation::Relu
                            } else {
                                Activation::None
                            },
                        };
                        let a = fill(m * k, 1);
                        let b = fill(k * n, 2);
                        let c = fill(m * n, 3);
                        let want = naive_gemm(&p, &a, &b, Some(&c));
                        let mut got = std::vec![f32::NAN; m * n];
                        gemm(&p, &a, &b, Some(&c), &mut got);
                        assert_close(&got, &want, "gemm");
                    }
                }
            }
        }
    }

    #[test]
    fn gemm_spec_example_and_beta_zero() {
        // Hand example: A [2,3], B [3,2], C row [2], alpha 2, beta 0.5.
        let a = [1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0f32, 0.0, 0.0, 1.0, 1.0, 1.0];
        let c = [10.0f32, 20.0];
        let p = GemmParams {
            m: 2,
            n: 2,
            k: 3,
            trans_a: false,
            trans_b: false,
            alpha: 2.0,
            beta: 0.5,
            bias: GemmBias::Row,
            act: Activation::None,
        };
        let mut y = [0.0f32; 4];
        gemm(&p, &a, &b, Some(&c), &mut y);
        // A@B = [[4, 5], [10, 11]]
        assert_eq!(y, [13.0, 20.0, 25.0, 32.0]);
        // beta == 0 ignores C, even if it holds NaN.
        let p0 = GemmParams { beta: 0.0, ..p };
        gemm(&p0, &a, &b, Some(&[f32::NAN, f32::NAN]), &mut y);
        assert_eq!(y, [8.0, 10.0, 20.0, 22.0]);
        // Missing C.
        gemm(&p, &a, &b, None, &mut y);
        assert_eq!(y, [8.0, 10.0, 20.0, 22.0]);
    }

    fn naive_matmul(m: usize, n: usize, k: usize, a: &[f32], b: &[f32]) -> Vec<f32> {
        let mut y = std::vec![0.0f32; m * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0.0f64;
                for kk in 0..k {
                    acc += a[i * k + kk] as f64 * b[kk * n + j] as f64;
                }
                y[i * n + j] = acc as f32;
            }
        }
        y
    }

    #[test]
    fn matmul_broadcast_batches() {
        // A batch [2, 1, 3] and B batch [1, 4, 3] broadcast to Y batch [2, 4, 3].
        for &(m, n, k) in &[(1, 1, 1), (3, 7, 17), (7, 1, 3), (1, 17, 7)] {
            let a_batch = [2usize, 1, 3];
            let b_batch = [1usize, 4, 3];
            let out_batch = [2usize, 4, 3];
            let a = fill(2 * 3 * m * k, 5);
            let b = fill(4 * 3 * k * n, 6);
            let mk = m * k;
            let kn = k * n;
            let p = MatMulParams {
                m,
                n,
                k,
                batch_rank: 3,
                batch_shape: [2, 4, 3, 0, 0, 0],
                a_batch_strides: [3 * mk, 0, mk, 0, 0, 0],
                b_batch_strides: [0, 3 * kn, kn, 0, 0, 0],
                act: Activation::Tanh,
            };
            let mut got = std::vec![f32::NAN; 2 * 4 * 3 * m * n];
            matmul(&p, &a, &b, &mut got);
            let mut want = Vec::new();
            for i0 in 0..out_batch[0] {
                for i1 in 0..out_batch[1] {
                    for i2 in 0..out_batch[2] {
                        let ai = ((i0 % a_batch[0]) * a_batch[1] + (i1 % a_batch[1])) * a_batch[2]
                            + (i2 % a_batch[2]);
                        let bi = ((i0 % b_batch[0]) * b_batch[1] + (i1 % b_batch[1])) * b_batch[2]
                            + (i2 % b_batch[2]);
                        let y = naive_matmul(m, n, k, &a[ai * mk..][..mk], &b[bi * kn..][..kn]);
                        want.extend(y.iter().map(|&v| super::super::activation::apply(p.act, v)));
                    }
                }
            }
            assert_close(&got, &want, "matmul");
        }
    }

    #[test]
    fn matmul_no_batch() {
        let (m, n, k) = (7, 17, 3);
        let a = fill(m * k, 8);
        let b = fill(k * n, 9);
        let p = MatMulParams {
            m,
            n,
            k,
            batch_rank: 0,
            batch_shape: [0; 6],
            a_batch_strides: [0; 6],
            b_batch_strides: [0; 6],
            act: Activation::None,
        };
        let mut got = std::vec![f32::NAN; m * n];
        matmul(&p, &a, &b, &mut got);
        assert_close(&got, &naive_matmul(m, n, k, &a, &b), "matmul");
    }
}
