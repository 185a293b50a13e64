//! Small dense linear algebra: Det.

use super::number::Number;

/// Largest matrix order Det handles (its scratch lives on the stack).
pub const MAX_DET_ORDER: usize = 16;

/// Det: a batch of `n × n` matrices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DetParams {
    /// Number of matrices.
    pub batch: usize,
    /// Matrix order (at most [`MAX_DET_ORDER`]).
    pub n: usize,
}

/// ONNX Det: Gaussian elimination with partial pivoting, one determinant per matrix.
#[inline(always)]
pub fn det<T: Number>(p: &DetParams, x: &[T], y: &mut [T]) {
    let n = p.n;
    if n > MAX_DET_ORDER {
        return;
    }
    if n == 0 {
        y.iter_mut().take(p.batch).for_each(|o| *o = T::one());
        return;
    }
    let mut buf = [T::zero(); MAX_DET_ORDER * MAX_DET_ORDER];
    let Some(a) = buf.get_mut(..n * n) else {
        return;
    };
    for (m, out) in x.chunks_exact(n * n).zip(y.iter_mut()).take(p.batch) {
        a.copy_from_slice(m);
        let mut d = T::one();
        for col in 0..n {
            // The row at or below `col` with the largest magnitude in this column.
            let mut pivot = col;
            let mut best = T::zero();
            for r in col..n {
                let v = a.get(r * n + col).copied().unwrap_or(T::zero()).abs();
                if v > best {
                    best = v;
                    pivot = r;
                }
            }
            if best == T::zero() {
                d = T::zero();
                break;
            }
            if pivot != col {
                for c in 0..n {
                    a.swap(col * n + c, pivot * n + c);
                }
                d = d.neg();
            }
            let diag = a.get(col * n + col).copied().unwrap_or(T::one());
            d = d.mul(diag);
            let (top, below) = a.split_at_mut((col + 1) * n);
            let Some(prow) = top.get(col * n..) else {
                return;
            };
            for row in below.chunks_exact_mut(n) {
                let f = row.get(col).copied().unwrap_or(T::zero()).div(diag);
                for (v, &pv) in row.iter_mut().zip(prow).skip(col) {
                    *v = v.sub(f.mul(pv));
                }
            }
        }
        *out = d;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_of_small_matrices() {
        let mut y = [0.0f64; 2];
        det(&DetParams { batch: 2, n: 2 }, &[1.0, 2.0, 3.0, 4.0, 0.0, 1.0, 1.0, 0.0], &mut y);
        assert!((y[0] + 2.0).abs() < 1e-12 && (y[1] + 1.0).abs() < 1e-12, "{y:?}");
        let mut z = [0.0f32; 1];
        det(&DetParams { batch: 1, n: 3 }, &[2.0, 0.0, 1.0, 1.0, 3.0, 2.0, 1.0, 1.0, 2.0], &mut z);
        assert!((z[0] - 6.0).abs() < 1e-5, "{z:?}");
    }
}
