//! Signal ops through import-level parsing, inference, lowering and the evaluator.

use crate::eval::eval_node;
use crate::ir::infer::infer_node;
use crate::ir::signal_op::{SignalOp, WindowKind};
use crate::ir::{DType, Op, Tensor, ValueInfo};
use crate::onnx::ops_signal_parse as parse;

fn info(t: &Tensor) -> ValueInfo {
    ValueInfo { name: "v".into(), dtype: t.dtype(), shape: t.shape.clone() }
}

fn run(op: SignalOp, inputs: &[Option<Tensor>]) -> crate::error::Result<Tensor> {
    let op = Op::Signal(op);
    let infos: Vec<Option<ValueInfo>> = inputs.iter().map(|t| t.as_ref().map(info)).collect();
    let infos: Vec<Option<&ValueInfo>> = infos.iter().map(Option::as_ref).collect();
    let values: Vec<Option<&Tensor>> = inputs.iter().map(Option::as_ref).collect();
    let outs: Vec<ValueInfo> = infer_node(&op, &infos, &values, 1)?
        .into_iter()
        .map(|(dtype, shape)| ValueInfo { name: "y".into(), dtype, shape })
        .collect();
    Ok(eval_node(&op, &infos, &values, &outs)?.remove(0))
}

fn f32s(shape: &[usize], f: impl Fn(usize) -> f32) -> Tensor {
    let n = shape.iter().product();
    Tensor::from_f32(shape.to_vec(), (0..n).map(f).collect()).unwrap()
}

fn einsum(eq: &str, xs: &[Tensor]) -> crate::error::Result<Tensor> {
    run(SignalOp::Einsum(parse(eq)?), &xs.iter().cloned().map(Some).collect::<Vec<_>>())
}

#[test]
fn einsum_ellipsis_broadcast_matmul() {
    // a: [2, 1, 2, 3], b: [3, 3, 4] → "...ij,...jk" (implicit output "...ik") = [2, 3, 2, 4].
    let a = f32s(&[2, 1, 2, 3], |i| i as f32 * 0.5 - 2.0);
    let b = f32s(&[3, 3, 4], |i| (i % 7) as f32 - 3.0);
    let y = einsum("...ij,...jk", &[a.clone(), b.clone()]).unwrap();
    assert_eq!(y.shape, vec![2, 3, 2, 4]);
    let (av, bv, yv) = (a.to_f32_vec().unwrap(), b.to_f32_vec().unwrap(), y.to_f32_vec().unwrap());
    for p in 0..2 {
        for q in 0..3 {
            for i in 0..2 {
                for k in 0..4 {
                    let want: f32 = (0..3).map(|j| av[p * 6 + i * 3 + j] * bv[q * 12 + j * 4 + k]).sum();
                    assert_eq!(yv[((p * 3 + q) * 2 + i) * 4 + k], want);
                }
            }
        }
    }
}

#[test]
fn einsum_implicit_order_trace_and_outer() {
    // Implicit output sorts the labels that appear once: "ba" → "ab" (a transpose).
    let x = f32s(&[2, 3], |i| i as f32);
    let y = einsum("ba", std::slice::from_ref(&x)).unwrap();
    assert_eq!((y.shape.clone(), y.to_f32_vec().unwrap()), (vec![3, 2], vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]));
    let m = f32s(&[3, 3], |i| i as f32);
    assert_eq!(einsum("ii", &[m]).unwrap().to_f32_vec().unwrap(), vec![12.0]);
    let (u, v) = (f32s(&[2], |i| i as f32 + 1.0), f32s(&[3], |i| i as f32));
    let o = einsum("i,j->ij", &[u, v]).unwrap();
    assert_eq!(o.to_f32_vec().unwrap(), vec![0.0, 1.0, 2.0, 0.0, 2.0, 4.0]);
    // Three operands: "i,i,i->".
    let w = f32s(&[4], |i| i as f32);
    assert_eq!(einsum("i,i,i->", &[w.clone(), w.clone(), w]).unwrap().to_f32_vec().unwrap(), vec![36.0]);
    assert!(einsum("ij,jk", &[x.clone(), x]).is_err());
}

#[test]
fn dft_shapes_and_window() {
    let x = f32s(&[1, 8, 1], |i| i as f32);
    let len = Tensor::from_i64(vec![], vec![6]).unwrap();
    let axis = Tensor::from_i64(vec![], vec![1]).unwrap();
    let y = run(SignalOp::Dft { inverse: false, onesided: true, axis: None }, &[Some(x.clone()), Some(len), Some(axis)]).unwrap();
    assert_eq!(y.shape, vec![1, 4, 2]);
    // Bin 0 of the first 6 samples: 0 + 1 + … + 5.
    assert_eq!(y.to_f32_vec().unwrap()[..2], [15.0, 0.0]);
    let size = Tensor::from_i64(vec![], vec![5]).unwrap();
    let w = run(SignalOp::Window { kind: WindowKind::Hann, periodic: false, dtype: DType::F64 }, &[Some(size)]).unwrap();
    assert_eq!(w.dtype(), DType::F64);
    let wv = w.to_f32_vec().unwrap();
    assert!((wv[2] - 1.0).abs() < 1e-7 && wv[0].abs() < 1e-7 && (wv[1] - 0.5).abs() < 1e-7);
    // Other output types are computed in f64 and cast.
    let size = Tensor::from_i64(vec![], vec![4]).unwrap();
    let h = run(SignalOp::Window { kind: WindowKind::Hann, periodic: true, dtype: DType::F16 }, &[Some(size)]).unwrap();
    assert_eq!((h.dtype(), h.to_f32_vec().unwrap()), (DType::F16, vec![0.0, 0.5, 1.0, 0.5]));
}
