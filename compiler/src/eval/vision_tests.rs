//! The compile-time vision ops (NonMaxSuppression, Unique) through inference and the
//! evaluator, against hand-computed values; and their error when an input is not constant.

use crate::eval::eval_node;
use crate::ir::infer::infer_node;
use crate::ir::op_vision::VisionOp;
use crate::ir::{Data, Op, Tensor, ValueInfo};

fn info(t: &Tensor) -> ValueInfo {
    ValueInfo { name: "v".into(), dtype: t.dtype(), shape: t.shape.clone() }
}

fn run(op: VisionOp, inputs: &[Option<Tensor>], outputs: usize) -> Vec<Tensor> {
    let op = Op::Vision(op);
    let infos: Vec<Option<ValueInfo>> = inputs.iter().map(|t| t.as_ref().map(info)).collect();
    let infos: Vec<Option<&ValueInfo>> = infos.iter().map(Option::as_ref).collect();
    let values: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
    let outs: Vec<ValueInfo> = infer_node(&op, &infos, &values, outputs)
        .unwrap()
        .into_iter()
        .map(|(dtype, shape)| ValueInfo { name: "y".into(), dtype, shape })
        .collect();
    let results = eval_node(&op, &infos, &values, &outs).unwrap();
    for (r, o) in results.iter().zip(&outs) {
        assert_eq!((r.dtype(), &r.shape), (o.dtype, &o.shape));
    }
    results
}

fn f32s(shape: &[usize], v: &[f32]) -> Option<Tensor> {
    Some(Tensor::from_f32(shape.to_vec(), v.to_vec()).unwrap())
}

fn i64s(t: &Tensor) -> Vec<i64> {
    t.to_i64_vec().unwrap()
}

#[test]
fn nms_selects_per_batch_and_class() {
    // Box 1 overlaps box 0 (IoU 0.81); box 2 is apart. Class 1 prefers box 1.
    let boxes = f32s(&[1, 3, 4], &[0.0, 0.0, 1.0, 1.0, 0.0, 0.1, 1.0, 1.1, 0.0, 10.0, 1.0, 11.0]);
    let scores = f32s(&[1, 2, 3], &[0.9, 0.8, 0.7, 0.1, 0.95, 0.2]);
    let max = Some(Tensor::from_i64(vec![1], vec![2]).unwrap());
    let iou = f32s(&[1], &[0.5]);
    let out = run(VisionOp::NonMaxSuppression { center_point_box: false }, &[boxes.clone(), scores.clone(), max, iou, f32s(&[1], &[0.15])], 1);
    assert_eq!(out[0].shape, [4, 3]);
    assert_eq!(i64s(&out[0]), [0, 0, 0, 0, 0, 2, 0, 1, 1, 0, 1, 2]);
    // No max_output_boxes_per_class: nothing is selected.
    let out = run(VisionOp::NonMaxSuppression { center_point_box: false }, &[boxes, scores], 1);
    assert_eq!(out[0].shape, [0, 3]);
}

#[test]
fn unique_sorted_unsorted_and_by_axis() {
    let x = f32s(&[6], &[2.0, 1.0, 1.0, 3.0, 4.0, 3.0]);
    let out = run(VisionOp::Unique { axis: None, sorted: true }, std::slice::from_ref(&x), 4);
    assert_eq!(out[0].data, Data::F32(vec![1.0, 2.0, 3.0, 4.0]));
    assert_eq!([i64s(&out[1]), i64s(&out[2]), i64s(&out[3])], [vec![1, 0, 3, 4], vec![1, 0, 0, 2, 3, 2], vec![2, 1, 2, 1]]);
    let out = run(VisionOp::Unique { axis: None, sorted: false }, &[x], 4);
    assert_eq!(out[0].data, Data::F32(vec![2.0, 1.0, 3.0, 4.0]));
    assert_eq!([i64s(&out[1]), i64s(&out[2]), i64s(&out[3])], [vec![0, 1, 3, 4], vec![0, 1, 1, 2, 3, 2], vec![1, 2, 2, 1]]);
    // Rows of a matrix (axis 0), sorted lexicographically.
    let m = f32s(&[3, 2], &[1.0, 0.0, 0.0, 5.0, 1.0, 0.0]);
    let out = run(VisionOp::Unique { axis: Some(-2), sorted: true }, &[m], 2);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].shape, [2, 2]);
    assert_eq!(out[0].data, Data::F32(vec![0.0, 5.0, 1.0, 0.0]));
    assert_eq!(i64s(&out[1]), [1, 0]);
}

#[test]
fn value_dependent_ops_need_constant_inputs() {
    let x = Tensor::from_f32(vec![3], vec![1.0, 2.0, 1.0]).unwrap();
    let infos = [Some(info(&x))];
    let infos: Vec<Option<&ValueInfo>> = infos.iter().map(Option::as_ref).collect();
    let err = infer_node(&Op::Vision(VisionOp::Unique { axis: None, sorted: true }), &infos, &[None], 1).unwrap_err();
    assert!(err.to_string().contains("Unique's output shape depends on its input's values, which must be compile-time constants"), "{err}");
}
