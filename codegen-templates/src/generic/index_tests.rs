use super::*;

fn axis(outer: usize, axis_len: usize, inner: usize) -> AxisParams {
    AxisParams { outer, axis_len, inner }
}

#[test]
fn gather_elements_axis1() {
    // data [[1, 2], [3, 4]], indices [[0, 0], [1, 0]] on axis 1 → [[1, 1], [4, 3]].
    let p = ElementsParams {
        rank: 2,
        idx_shape: [2, 2, 1, 1, 1, 1, 1, 1],
        data_strides: [2, 1, 0, 0, 0, 0, 0, 0],
        axis: 1,
        axis_len: 2,
        len: 4,
    };
    let mut y = [0i32; 4];
    gather_elements(&p, &[1, 2, 3, 4], &[0i64, 0, 1, -2], &mut y);
    assert_eq!(y, [1, 1, 4, 3]);
}

#[test]
fn scatter_elements_reductions() {
    let p = ElementsParams {
        rank: 1,
        idx_shape: [2, 1, 1, 1, 1, 1, 1, 1],
        data_strides: [1, 0, 0, 0, 0, 0, 0, 0],
        axis: 0,
        axis_len: 3,
        len: 2,
    };
    let mut y = [0.0f32; 3];
    scatter_elements(&p, &[1.0, 2.0, 3.0], &[1i64, 1], &[5.0, 6.0], &mut y);
    assert_eq!(y, [1.0, 6.0, 3.0]);
    scatter_elements_reduce(&p, ScatterReduction::Add, &[1.0, 2.0, 3.0], &[1i64, -1], &[5.0, 6.0], &mut y);
    assert_eq!(y, [1.0, 7.0, 9.0]);
}

#[test]
fn gather_and_scatter_nd() {
    // data [[0, 1], [2, 3]], indices [[1], [0]] → rows swapped.
    let p = NdParams { batch: 1, tuples: 2, k: 1, dims: [2, 1, 1, 1, 1, 1, 1, 1], strides: [2, 0, 0, 0, 0, 0, 0, 0], batch_stride: 4, inner: 2 };
    let mut y = [0u8; 4];
    gather_nd(&p, &[0, 1, 2, 3], &[1i64, 0], &mut y);
    assert_eq!(y, [2, 3, 0, 1]);
    let mut z = [0i64; 4];
    scatter_nd_reduce(&p, ScatterReduction::Mul, &[1, 2, 3, 4], &[1i64, 1], &[2, 2, 3, 3], &mut z);
    assert_eq!(z, [1, 2, 18, 24]);
}

#[test]
fn topk_largest_and_smallest() {
    let x = [3.0f32, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0];
    let mut v = [0.0f32; 3];
    let mut i = [0i64; 3];
    topk(&TopKParams { axis: axis(1, 8, 1), k: 3, largest: true }, &x, &mut v, &mut i);
    assert_eq!((v, i), ([9.0, 6.0, 5.0], [5, 7, 4]));
    topk(&TopKParams { axis: axis(1, 8, 1), k: 3, largest: false }, &x, &mut v, &mut i);
    assert_eq!((v, i), ([1.0, 1.0, 2.0], [1, 3, 6]));
}

#[test]
fn cumsum_modes() {
    let x = [1i32, 2, 3];
    let mut y = [0i32; 3];
    let shape = [3, 1, 1, 1, 1, 1, 1, 1];
    cumsum(&CumSumParams { rank: 1, shape, exclusive: false, reverse: false, product: false }, &x, &[0i64], &mut y);
    assert_eq!(y, [1, 3, 6]);
    cumsum(&CumSumParams { rank: 1, shape, exclusive: true, reverse: true, product: false }, &x, &[-1i32], &mut y);
    assert_eq!(y, [5, 3, 0]);
    // [2, 2] along axis 0.
    let mut z = [0.0f32; 4];
    let p = CumSumParams { rank: 2, shape: [2, 2, 1, 1, 1, 1, 1, 1], exclusive: false, reverse: false, product: false };
    cumsum(&p, &[1.0, 2.0, 3.0, 4.0], &[0i64], &mut z);
    assert_eq!(z, [1.0, 2.0, 4.0, 6.0]);
}

#[test]
fn cumprod_modes() {
    let x = [2i64, 3, 4];
    let mut y = [0i64; 3];
    let shape = [3, 1, 1, 1, 1, 1, 1, 1];
    cumsum(&CumSumParams { rank: 1, shape, exclusive: false, reverse: false, product: true }, &x, &[0i64], &mut y);
    assert_eq!(y, [2, 6, 24]);
    cumsum(&CumSumParams { rank: 1, shape, exclusive: true, reverse: true, product: true }, &x, &[0i64], &mut y);
    assert_eq!(y, [12, 4, 1]);
}

#[test]
fn trilu_upper_lower() {
    let x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    let mut y = [0; 9];
    trilu(&TriluParams { batch: 1, rows: 3, cols: 3, upper: true }, &x, None, &mut y);
    assert_eq!(y, [1, 2, 3, 0, 5, 6, 0, 0, 9]);
    trilu(&TriluParams { batch: 1, rows: 3, cols: 3, upper: false }, &x, Some(&[-1]), &mut y);
    assert_eq!(y, [0, 0, 0, 4, 0, 0, 7, 8, 0]);
}

#[test]
fn one_hot_and_hardmax() {
    let mut y = [0.0f32; 6];
    one_hot(&axis(2, 3, 1), &[2i64, -1], &[0.0, 1.0], &mut y);
    assert_eq!(y, [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
    hardmax(&axis(2, 3, 1), &[1.0f32, 3.0, 3.0, 0.0, -1.0, -2.0], &mut y);
    assert_eq!(y, [0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
}

#[test]
fn range_compress_reverse() {
    let mut y = [0i32; 4];
    range(&[10], &[-3], &mut y);
    assert_eq!(y, [10, 7, 4, 1]);
    let mut z = [0u8; 4];
    compress(&axis(2, 3, 1), &[1, 2, 3, 4, 5, 6], &[0, 1, 1], &mut z);
    assert_eq!(z, [2, 3, 5, 6]);
    // [batch 2, time 3], lengths [2, 3].
    let p = ReverseSequenceParams { shape: [2, 3, 1, 1, 1, 1, 1, 1], rank: 2, batch_axis: 0, time_axis: 1, len: 6 };
    let mut w = [0i32; 6];
    reverse_sequence(&p, &[1, 2, 3, 4, 5, 6], &[2, 3], &mut w);
    assert_eq!(w, [2, 1, 3, 6, 5, 4]);
}

#[test]
fn accumulate_broadcast_and_mean() {
    // y = [1, 2, 3, 4] as [2, 2]; x = [10, 20] broadcast along rows.
    let p = super::super::movement::ExpandParams {
        rank: 2,
        out_shape: [2, 2, 1, 1, 1, 1, 1, 1],
        in_strides: [0, 1, 0, 0, 0, 0, 0, 0],
        len: 4,
    };
    let mut y = [1.0f32, 2.0, 3.0, 4.0];
    accumulate(Accumulate::Sum, &p, &[10.0, 20.0], &mut y);
    assert_eq!(y, [11.0, 22.0, 13.0, 24.0]);
    accumulate(Accumulate::Min, &p, &[12.0, 0.0], &mut y);
    assert_eq!(y, [11.0, 0.0, 12.0, 0.0]);
    divide_by(2, &mut y);
    assert_eq!(y, [5.5, 0.0, 6.0, 0.0]);
}
