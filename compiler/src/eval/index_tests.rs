//! Indexing ops through inference, lowering and the evaluator, against hand-computed values.

use crate::eval::eval_node;
use crate::ir::index_op::{Accumulate, IndexOp, ScatterReduction};
use crate::ir::infer::infer_node;
use crate::ir::{DType, Data, Op, Tensor, ValueInfo};

fn info(t: &Tensor) -> ValueInfo {
    ValueInfo { name: "v".into(), dtype: t.dtype(), shape: t.shape.clone() }
}

/// Infers and evaluates `op` on known inputs (`None` = absent optional input).
fn run(op: IndexOp, inputs: &[Option<Tensor>], outputs: usize) -> Vec<Tensor> {
    let op = Op::Index(op);
    let infos: Vec<Option<ValueInfo>> = inputs.iter().map(|t| t.as_ref().map(info)).collect();
    let infos: Vec<Option<&ValueInfo>> = infos.iter().map(Option::as_ref).collect();
    let values: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
    let outs: Vec<ValueInfo> = infer_node(&op, &infos, &values, outputs)
        .unwrap()
        .into_iter()
        .map(|(dtype, shape)| ValueInfo { name: "y".into(), dtype, shape })
        .collect();
    eval_node(&op, &infos, &values, &outs).unwrap()
}

fn i64s(shape: &[usize], v: &[i64]) -> Option<Tensor> {
    Some(Tensor::from_i64(shape.to_vec(), v.to_vec()).unwrap())
}

fn f32s(shape: &[usize], v: &[f32]) -> Option<Tensor> {
    Some(Tensor::from_f32(shape.to_vec(), v.to_vec()).unwrap())
}

#[allow(clippy::unnecessary_cast)]
fn values(t: &Tensor) -> Vec<f64> {
    crate::with_data!(&t.data, v => v.iter().map(|&x| x as f64).collect())
}

#[test]
fn size_and_eye_like_need_only_shapes() {
    let x = f32s(&[2, 3], &[0.0; 6]);
    let size = run(IndexOp::Size, std::slice::from_ref(&x), 1);
    assert_eq!((size[0].shape.clone(), values(&size[0])), (vec![], vec![6.0]));
    let eye = run(IndexOp::EyeLike { dtype: Some(DType::I32), k: 1 }, &[x], 1);
    assert_eq!(eye[0].dtype(), DType::I32);
    assert_eq!(values(&eye[0]), [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn range_lengths_follow_the_spec() {
    let r = run(IndexOp::Range, &[i64s(&[], &[10]), i64s(&[], &[4]), i64s(&[], &[-3])], 1);
    assert_eq!(values(&r[0]), [10.0, 7.0]);
    let r = run(IndexOp::Range, &[f32s(&[], &[1.0]), f32s(&[], &[2.0]), f32s(&[], &[0.3])], 1);
    assert_eq!(r[0].shape, [4]);
}

#[test]
fn gathers_and_scatters() {
    let data = f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0]);
    let g = run(IndexOp::GatherElements { axis: 1 }, &[data.clone(), i64s(&[2, 2], &[0, 0, 1, 0])], 1);
    assert_eq!(values(&g[0]), [1.0, 1.0, 4.0, 3.0]);
    let nd = run(IndexOp::GatherNd { batch_dims: 0 }, &[data.clone(), i64s(&[2, 2], &[0, 1, 1, 0])], 1);
    assert_eq!((nd[0].shape.clone(), values(&nd[0])), (vec![2], vec![2.0, 3.0]));
    let s = IndexOp::ScatterElements { axis: 0, reduction: ScatterReduction::Max };
    let s = run(s, &[data.clone(), i64s(&[1, 2], &[1, 0]), f32s(&[1, 2], &[9.0, 0.0])], 1);
    assert_eq!(values(&s[0]), [1.0, 2.0, 9.0, 4.0]);
    let s = run(IndexOp::ScatterNd { reduction: ScatterReduction::None }, &[data, i64s(&[1, 1], &[0]), f32s(&[1, 2], &[7.0, 8.0])], 1);
    assert_eq!(values(&s[0]), [7.0, 8.0, 3.0, 4.0]);
}

#[test]
fn searches_and_scans() {
    let x = f32s(&[2, 3], &[1.0, 5.0, 5.0, 4.0, 0.0, 6.0]);
    let am = run(IndexOp::Arg { max: true, axis: 1, keepdims: false, select_last: true }, std::slice::from_ref(&x), 1);
    assert_eq!((am[0].shape.clone(), values(&am[0])), (vec![2], vec![2.0, 2.0]));
    let top = run(IndexOp::TopK { axis: -1, largest: false }, &[x.clone(), i64s(&[1], &[2])], 2);
    assert_eq!(values(&top[0]), [1.0, 5.0, 0.0, 4.0]);
    assert_eq!(values(&top[1]), [0.0, 1.0, 1.0, 0.0]);
    let cs = run(IndexOp::CumSum { exclusive: false, reverse: true, product: false }, &[x.clone(), i64s(&[], &[0])], 1);
    assert_eq!(values(&cs[0]), [5.0, 5.0, 11.0, 4.0, 0.0, 6.0]);
    let hm = run(IndexOp::Hardmax { axis: -1, legacy: false }, &[x], 1);
    assert_eq!(values(&hm[0]), [0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn masks_generators_and_rearrangements() {
    let x = i64s(&[2, 3], &[1, 2, 3, 4, 5, 6]);
    let t = run(IndexOp::Trilu { upper: false }, &[x.clone(), i64s(&[], &[0])], 1);
    assert_eq!(values(&t[0]), [1.0, 0.0, 0.0, 4.0, 5.0, 0.0]);
    let cond = Tensor { shape: vec![3], data: Data::Bool(vec![1, 0, 1]) };
    let c = run(IndexOp::Compress { axis: Some(1) }, &[x.clone(), Some(cond)], 1);
    assert_eq!((c[0].shape.clone(), values(&c[0])), (vec![2, 2], vec![1.0, 3.0, 4.0, 6.0]));
    let oh = run(IndexOp::OneHot { axis: -1 }, &[i64s(&[2], &[1, -1]), i64s(&[], &[3]), f32s(&[2], &[0.0, 5.0])], 1);
    assert_eq!(values(&oh[0]), [0.0, 5.0, 0.0, 0.0, 0.0, 5.0]);
    let crop = run(IndexOp::CenterCropPad { axes: Some(vec![1]) }, &[x.clone(), i64s(&[1], &[1])], 1);
    assert_eq!(values(&crop[0]), [2.0, 5.0]);
    let nz = run(IndexOp::NonZero, &[i64s(&[2, 2], &[0, 3, 4, 0])], 1);
    assert_eq!(values(&nz[0]), [0.0, 1.0, 1.0, 0.0]);
    // [1, 4, 1, 1] → [1, 1, 2, 2]: channels spread over a 2×2 block.
    let d2s = run(IndexOp::DepthToSpace { blocksize: 2, crd: false }, &[f32s(&[1, 4, 1, 1], &[1.0, 2.0, 3.0, 4.0])], 1);
    assert_eq!(values(&d2s[0]), [1.0, 2.0, 3.0, 4.0]);
    let s2d = run(IndexOp::SpaceToDepth { blocksize: 2, crd: false }, &[f32s(&[1, 1, 2, 2], &[1.0, 2.0, 3.0, 4.0])], 1);
    assert_eq!(s2d[0].shape, [1, 4, 1, 1]);
    let rs = run(IndexOp::ReverseSequence { batch_axis: 0, time_axis: 1 }, &[x, i64s(&[2], &[3, 1])], 1);
    assert_eq!(values(&rs[0]), [3.0, 2.0, 1.0, 4.0, 5.0, 6.0]);
}

#[test]
fn variadic_mean_broadcasts() {
    let m = IndexOp::Variadic { op: Accumulate::Sum, mean: true };
    let m = run(m, &[f32s(&[2], &[1.0, 2.0]), f32s(&[1], &[3.0]), f32s(&[2, 1], &[2.0, 5.0])], 1);
    assert_eq!(m[0].shape, [2, 2]);
    let want = [2.0, 7.0 / 3.0, 3.0, 10.0 / 3.0];
    assert!(values(&m[0]).iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6), "{:?}", values(&m[0]));
    let det = run(IndexOp::Det, &[f32s(&[2, 2], &[1.0, 2.0, 3.0, 4.0])], 1);
    assert!((values(&det[0])[0] + 2.0).abs() < 1e-6);
}
