//! MatMul + Add → Gemm: a linear layer exported as two ops becomes one with a fused bias.
//!
//! PyTorch exports `nn.Linear` on inputs of rank > 2 as `MatMul(x, W)` then `Add(·, bias)`.
//! When `W` is a constant `[K, N]` matrix, the bias a constant with one value per column (shape
//! `[N]`, `[1, N]`, `[1, …, 1, N]`, or a single value), and nothing else reads the MatMul's
//! output, the pair becomes `Gemm(x, W, bias[N])`: the bias is added while the output tile is
//! still in registers, one pass over the tensor is saved, and activation fusion can then
//! apply. onnxc's Gemm accepts an `x` of rank > 2 (its leading dims are rows), so the output
//! keeps the MatMul's shape. Batched weights and run-time biases are left alone.

use super::rewrite::{absorb, f32_constant, new_constant, sole_producer};
use crate::error::Result;
use crate::ir::op::{Activation, BinaryOp, Gemm};
use crate::ir::{DType, Graph, Op, Tensor, ValueRef};
use crate::target::Target;
use petgraph::stable_graph::NodeIndex;

/// Rewrites every MatMul + Add pair that forms a linear layer.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        if graph.contains(node) {
            fuse(graph, node)?;
        }
    }
    Ok(())
}

/// Fuses the Add `add` into the MatMul feeding it, when it is a bias add; reports whether it did.
fn fuse(graph: &mut Graph, add: NodeIndex) -> Result<bool> {
    if !matches!(graph.node(add).op, Op::Binary(BinaryOp::Add)) {
        return Ok(false);
    }
    let (Some(a), Some(b)) = (graph.input(add, 0), graph.input(add, 1)) else { return Ok(false) };
    for (product, bias) in [(a, b), (b, a)] {
        if let Some(row) = bias_row(graph, add, product, bias) {
            let name = format!("{}_row", graph.value(bias).name);
            let bias = if graph.value(bias).shape == [row.len()] {
                bias
            } else {
                let n = row.len();
                new_constant(graph, &name, Tensor::from_f32(vec![n], row)?)
            };
            let matmul = product.node;
            let gemm = Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false, activation: Activation::None };
            graph.node_mut(matmul).op = Op::Gemm(gemm);
            graph.set_input(matmul, 2, Some(bias));
            absorb(graph, add, product);
            return Ok(true);
        }
    }
    Ok(false)
}

/// The bias as `N` values when `product` is a foldable MatMul and `bias` a per-column constant.
fn bias_row(graph: &Graph, add: NodeIndex, product: ValueRef, bias: ValueRef) -> Option<Vec<f32>> {
    let matmul = sole_producer(graph, product)?;
    if !matches!(matmul.op, Op::MatMul(ref m) if m.activation == Activation::None) {
        return None;
    }
    let x = graph.input(product.node, 0)?;
    let w = graph.input(product.node, 1)?;
    let (w_shape, _) = f32_constant(graph, w)?;
    let x_info = graph.value(x);
    if w_shape.len() != 2 || x_info.shape.len() < 2 || x_info.dtype != DType::F32 {
        return None;
    }
    let n = w_shape[1];
    // The Add must not broadcast the product to a bigger shape.
    if graph.node(add).outputs[0].shape != graph.value(product).shape {
        return None;
    }
    let (b_shape, b_values) = f32_constant(graph, bias)?;
    let per_column = b_shape.last() == Some(&n) && b_values.len() == n;
    let single = b_values.len() == 1;
    if per_column {
        Some(b_values.to_vec())
    } else if single {
        Some(vec![b_values[0]; n])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::MatMul;
    use crate::passes::testutil::{check_pass, find, op_names, Builder};

    fn matmul() -> Op {
        Op::MatMul(MatMul { activation: Activation::None })
    }

    fn linear(x_shape: &[usize], bias_shape: &[usize], bias_first: bool) -> Graph {
        let mut b = Builder::new();
        let x = b.input("x", x_shape);
        let k = *x_shape.last().unwrap();
        let w = b.random_constant("w", &[k, 5]);
        let bias = b.random_constant("bias", bias_shape);
        let mm = b.op("mm", matmul(), &[x, w]);
        let operands = if bias_first { [bias, mm] } else { [mm, bias] };
        let y = b.op("add", Op::Binary(BinaryOp::Add), &operands);
        b.output(y);
        b.finish()
    }

    #[test]
    fn fuses_linear_layers_of_any_rank() {
        for (x, bias, first) in [
            (&[3, 4][..], &[5][..], false),
            (&[2, 3, 4][..], &[5][..], true),
            (&[2, 2, 3, 4][..], &[1, 1, 5][..], false),
            (&[3, 4][..], &[1, 5][..], true),
            (&[2, 3, 4][..], &[1][..], false),
        ] {
            let g = linear(x, bias, first);
            let after = check_pass(&g, run);
            assert_eq!(op_names(&after), ["Gemm"], "{x:?} {bias:?}");
            let gemm = find(&after, |op| matches!(op, Op::Gemm(_)));
            assert_eq!(after.value(after.input(gemm, 2).unwrap()).shape, [5]);
            let mut out = x[..x.len() - 1].to_vec();
            out.push(5);
            assert_eq!(after.node(gemm).outputs[0].shape, out);
            assert_eq!(after.node(gemm).outputs[0].name, "add", "the Gemm's output keeps the Add's name");
        }
    }

    #[test]
    fn leaves_adds_that_are_not_a_bias() {
        for (x, bias) in [
            // Broadcast that grows the product's shape.
            (&[3, 4][..], &[2, 1, 5][..]),
            // One value per row, not per column.
            (&[3, 4][..], &[3, 1][..]),
            (&[2, 3, 4][..], &[3, 5][..]),
        ] {
            let g = linear(x, bias, false);
            let after = check_pass(&g, run);
            assert_eq!(op_names(&after), ["MatMul", "Add"], "{x:?} {bias:?}");
        }
    }

    #[test]
    fn leaves_matmul_with_other_readers_or_run_time_weights() {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.random_constant("w", &[4, 4]);
        let bias = b.random_constant("bias", &[4]);
        let mm = b.op("mm", matmul(), &[x, w]);
        let y = b.op("add", Op::Binary(BinaryOp::Add), &[mm, bias]);
        let w2 = b.input("w2", &[4, 4]);
        let mm2 = b.op("mm2", matmul(), &[y, w2]);
        let y2 = b.op("add2", Op::Binary(BinaryOp::Add), &[mm2, bias]);
        b.output(y2);
        b.output(mm);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["MatMul", "Add", "MatMul", "Add"]);
    }
}
