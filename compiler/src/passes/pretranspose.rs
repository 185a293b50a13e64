//! Weight layout for the kernels: a Gemm whose `B` is a constant stored transposed
//! (`trans_b = 1`, PyTorch's `Linear` layout) gets `B` transposed at compile time instead.
//!
//! The generic GEMM kernel streams rows of `B` in its innermost loop when `trans_b` is false,
//! which vectorizes; with `trans_b` it computes dot products, which do not (float sums cannot
//! be reordered). Paying the transpose once here costs nothing at run time.

use crate::error::Result;
use crate::ir::op::Op;
use crate::ir::{Data, Graph, Tensor};
use crate::target::Target;

/// Rewrites every Gemm with a constant 2-D `B` and `trans_b` into one with `B` transposed.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    let gemms: Vec<_> = graph.topo_order()?.into_iter().filter(|&n| matches!(&graph.node(n).op, Op::Gemm(g) if g.trans_b)).collect();
    for node in gemms {
        let Some(b) = graph.input(node, 1) else { continue };
        let Some(t) = graph.constant(b) else { continue };
        let (Data::F32(values), [n, k]) = (&t.data, t.shape.as_slice()) else { continue };
        let (n, k) = (*n, *k);
        let mut transposed = vec![0.0f32; values.len()];
        for (row, chunk) in values.chunks_exact(k.max(1)).enumerate() {
            for (col, &v) in chunk.iter().enumerate() {
                transposed[col * n + row] = v;
            }
        }
        let name = graph.unique_name(&format!("{}.packed", graph.value(b).name));
        let packed = graph.add_constant(name, Tensor::new(vec![k, n], Data::F32(transposed))?);
        graph.set_input(node, 1, Some(packed));
        if let Op::Gemm(g) = &mut graph.node_mut(node).op {
            g.trans_b = false;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{Activation, Gemm};
    use crate::passes::testutil::{check_pass, find, Builder};

    #[test]
    fn transposed_constant_weights_are_stored_row_major() {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.random_constant("w", &[5, 4]);
        let bias = b.random_constant("bias", &[5]);
        let gemm = Op::Gemm(Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true, activation: Activation::None });
        let y = b.op("fc", gemm, &[x, w, bias]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        let node = find(&after, |op| matches!(op, Op::Gemm(_)));
        assert!(matches!(&after.node(node).op, Op::Gemm(g) if !g.trans_b));
        assert_eq!(after.value(after.input(node, 1).unwrap()).shape, [4, 5]);
    }

    #[test]
    fn run_time_weights_are_left_alone() {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.input("w", &[5, 4]);
        let gemm = Op::Gemm(Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: true, activation: Activation::None });
        let y = b.op("fc", gemm, &[x, w]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        let node = find(&after, |op| matches!(op, Op::Gemm(_)));
        assert!(matches!(&after.node(node).op, Op::Gemm(g) if g.trans_b));
    }
}
