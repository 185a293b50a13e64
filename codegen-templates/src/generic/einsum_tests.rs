use super::*;

fn params(operands: usize, dims: &[usize], out_labels: usize, strides: &[&[usize]], lens: &[usize]) -> EinsumParams {
    let mut p = EinsumParams {
        operands,
        labels: dims.len(),
        out_labels,
        dims: [1; MAX_EINSUM_LABELS],
        strides: [[0; MAX_EINSUM_OPERANDS]; MAX_EINSUM_LABELS],
        lens: [0; MAX_EINSUM_OPERANDS],
    };
    p.dims[..dims.len()].copy_from_slice(dims);
    for (l, s) in strides.iter().enumerate() {
        p.strides[l][..s.len()].copy_from_slice(s);
    }
    p.lens[..lens.len()].copy_from_slice(lens);
    p
}

#[test]
fn matmul_against_naive() {
    // "ij,jk->ik" with i=2, j=3, k=4: labels i, k (output), j (summed).
    let a: [f32; 6] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let b: [f32; 12] = core::array::from_fn(|i| i as f32 - 3.0);
    let p = params(2, &[2, 4, 3], 2, &[&[3, 0], &[0, 1], &[1, 4]], &[6, 12]);
    let mut y = [0.0f32; 8];
    einsum(&p, &[&a, &b], &mut y);
    for i in 0..2 {
        for k in 0..4 {
            let want: f32 = (0..3).map(|j| a[i * 3 + j] * b[j * 4 + k]).sum();
            assert_eq!(y[i * 4 + k], want);
        }
    }
}

#[test]
fn diagonal_trace_and_transpose() {
    // "ii->i" on a 3×3 matrix: one label with stride 3 + 1.
    let x: [i64; 9] = core::array::from_fn(|i| i as i64);
    let mut d = [0i64; 3];
    einsum(&params(1, &[3], 1, &[&[4]], &[9]), &[&x], &mut d);
    assert_eq!(d, [0, 4, 8]);
    // "ii->": the trace.
    let mut t = [0i64; 1];
    einsum(&params(1, &[3], 0, &[&[4]], &[9]), &[&x], &mut t);
    assert_eq!(t, [12]);
    // "ij->ji" on 3×3.
    let mut y = [0i64; 9];
    einsum(&params(1, &[3, 3], 2, &[&[1], &[3]], &[9]), &[&x], &mut y);
    assert_eq!(y, [0, 3, 6, 1, 4, 7, 2, 5, 8]);
}

#[test]
fn half_sum_and_empty_contraction() {
    // "ij->i" in bf16: 1 + 2 = 3, 3 + 4 = 7.
    let bf = |v: f32| (v.to_bits() >> 16) as u16;
    let x = [bf(1.0), bf(2.0), bf(3.0), bf(4.0)];
    let mut y = [0u16; 2];
    einsum_half(&params(1, &[2, 2], 1, &[&[2], &[1]], &[4]), FloatKind::BF16, &[&x], &mut y);
    assert_eq!(y, [bf(3.0), bf(7.0)]);
    // A summed label of size 0 gives zeros.
    let mut z = [5.0f64; 2];
    einsum(&params(1, &[2, 0], 1, &[&[0], &[1]], &[0]), &[&[]], &mut z);
    assert_eq!(z, [0.0, 0.0]);
}
