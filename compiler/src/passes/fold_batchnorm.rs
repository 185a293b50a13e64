//! BatchNormalization folding: an inference-mode BN after a linear op becomes part of its weights.
//!
//! At inference BN is a per-channel affine map, `y = x * s + t` with
//! `s = gamma / sqrt(var + eps)` and `t = beta - mean * s`. When `x` comes from a Conv,
//! ConvTranspose, Gemm or 2-D MatMul with constant weights, and nothing else reads `x`, the map
//! folds into that op: its weights are scaled per output channel (`W' = W * s`) and its bias
//! becomes `b' = b * s + t`. The BN node, one pass over the tensor, disappears, and the
//! producer's activation can then be fused too. A MatMul turns into a Gemm to gain the bias.
//!
//! New weights are new constants (a weight may be shared by several nodes; the old one is
//! dropped by dead-code elimination when nobody reads it any more). A BN that cannot fold (after
//! a graph input, an Add, a producer with other readers) stays and runs as its own kernel.

use super::rewrite::{absorb, f32_constant, new_constant, sole_producer};
use crate::error::Result;
use crate::ir::op::{Activation, Gemm};
use crate::ir::{Graph, Op, Tensor, ValueRef};
use crate::target::Target;
use petgraph::stable_graph::NodeIndex;

/// Folds every BatchNormalization whose input comes from a foldable producer.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        if graph.contains(node) {
            fold(graph, node)?;
        }
    }
    Ok(())
}

/// The per-channel map `x * scale + shift` of an inference-mode BN.
struct Affine {
    scale: Vec<f32>,
    shift: Vec<f32>,
}

/// Folds `bn` into its input's producer when possible; reports whether it did.
fn fold(graph: &mut Graph, bn: NodeIndex) -> Result<bool> {
    let Op::BatchNorm { epsilon } = graph.node(bn).op else { return Ok(false) };
    let Some(x) = graph.input(bn, 0) else { return Ok(false) };
    let Some(producer) = sole_producer(graph, x) else { return Ok(false) };
    let op = producer.op.clone();
    let Some(affine) = affine(graph, bn, epsilon) else { return Ok(false) };
    let folded = match op {
        Op::Conv(c) if c.activation == Activation::None => fold_conv(graph, x.node, &affine)?,
        Op::ConvTranspose(c) if c.activation == Activation::None => fold_conv_transpose(graph, x.node, c.group, &affine)?,
        Op::Gemm(g) if g.activation == Activation::None => fold_gemm(graph, x.node, &g, &affine)?,
        Op::MatMul(m) if m.activation == Activation::None => fold_matmul(graph, x.node, &affine)?,
        _ => false,
    };
    if folded {
        absorb(graph, bn, x);
    }
    Ok(folded)
}

/// The BN's map, when its four parameters are `f32` constants of one length.
fn affine(graph: &Graph, bn: NodeIndex, epsilon: f32) -> Option<Affine> {
    let param = |slot| graph.input(bn, slot).and_then(|v| f32_constant(graph, v)).map(|(_, v)| v);
    let (gamma, beta, mean, var) = (param(1)?, param(2)?, param(3)?, param(4)?);
    let c = gamma.len();
    if [beta.len(), mean.len(), var.len()] != [c; 3] {
        return None;
    }
    let scale: Vec<f32> = gamma
        .iter()
        .zip(var)
        .map(|(&g, &v)| (f64::from(g) / (f64::from(v) + f64::from(epsilon)).sqrt()) as f32)
        .collect();
    let shift = beta.iter().zip(mean).zip(&scale).map(|((&b, &m), &s)| b - m * s).collect();
    Some(Affine { scale, shift })
}

/// A constant `f32` weight input of `node` with its shape and values.
fn weight(graph: &Graph, node: NodeIndex, slot: usize) -> Option<(ValueRef, Vec<usize>, Vec<f32>)> {
    let v = graph.input(node, slot)?;
    let (shape, values) = f32_constant(graph, v)?;
    Some((v, shape.to_vec(), values.to_vec()))
}

/// The folded per-channel bias `b * s + t` (`b` = 0 when absent); `None` when `b` is not a
/// constant of one value per channel.
fn folded_bias(graph: &Graph, node: NodeIndex, slot: usize, affine: &Affine) -> Option<Vec<f32>> {
    let c = affine.scale.len();
    let bias = match graph.input(node, slot) {
        None => vec![0.0; c],
        Some(v) => f32_constant(graph, v).map(|(_, b)| b.to_vec()).filter(|b| b.len() == c)?,
    };
    Some(bias.iter().zip(&affine.scale).zip(&affine.shift).map(|((&b, &s), &t)| b * s + t).collect())
}

/// Sets the weight (input 1) and bias (input 2) of `node` to new constants.
fn set_weight_and_bias(graph: &mut Graph, node: NodeIndex, w: (ValueRef, Vec<usize>, Vec<f32>), bias: Vec<f32>) -> Result<()> {
    let (old, shape, values) = w;
    let w_name = format!("{}_bn", graph.value(old).name);
    let b_name = match graph.input(node, 2) {
        Some(b) => format!("{}_bn", graph.value(b).name),
        None => format!("{}.bias", graph.node(node).name),
    };
    let n = bias.len();
    let w = new_constant(graph, &w_name, Tensor::from_f32(shape, values)?);
    let b = new_constant(graph, &b_name, Tensor::from_f32(vec![n], bias)?);
    graph.set_input(node, 1, Some(w));
    graph.set_input(node, 2, Some(b));
    Ok(())
}

/// Conv: weight `[C_out, C_in / group, k…]`, output channel = weight dim 0.
fn fold_conv(graph: &mut Graph, conv: NodeIndex, affine: &Affine) -> Result<bool> {
    let Some((v, shape, mut w)) = weight(graph, conv, 1) else { return Ok(false) };
    let c = affine.scale.len();
    if shape.first() != Some(&c) {
        return Ok(false);
    }
    let Some(bias) = folded_bias(graph, conv, 2, affine) else { return Ok(false) };
    let block = w.len() / c;
    for (chunk, &s) in w.chunks_mut(block.max(1)).zip(&affine.scale) {
        chunk.iter_mut().for_each(|x| *x *= s);
    }
    set_weight_and_bias(graph, conv, (v, shape, w), bias)?;
    Ok(true)
}

/// ConvTranspose: weight `[C_in, C_out / group, k…]`; input channel `i` of group `g` feeds
/// output channels `g * C_out/group + j` through `W[i, j]`.
fn fold_conv_transpose(graph: &mut Graph, conv: NodeIndex, group: usize, affine: &Affine) -> Result<bool> {
    let Some((v, shape, mut w)) = weight(graph, conv, 1) else { return Ok(false) };
    let c = affine.scale.len();
    if shape.len() < 3 || group == 0 || shape[1] * group != c || shape[0] % group != 0 {
        return Ok(false);
    }
    let Some(bias) = folded_bias(graph, conv, 2, affine) else { return Ok(false) };
    let (in_per_group, out_per_group) = (shape[0] / group, shape[1]);
    let kernel: usize = shape[2..].iter().product();
    for (row, chunk) in w.chunks_mut((out_per_group * kernel).max(1)).enumerate() {
        let g = row / in_per_group;
        for (j, block) in chunk.chunks_mut(kernel.max(1)).enumerate() {
            let s = affine.scale[g * out_per_group + j];
            block.iter_mut().for_each(|x| *x *= s);
        }
    }
    set_weight_and_bias(graph, conv, (v, shape, w), bias)?;
    Ok(true)
}

/// Scales column `n` of `op(B)` by `scale[n]`, for B stored `[K, N]` or (transposed) `[N, K]`.
fn scale_columns(b: &mut [f32], shape: &[usize], trans_b: bool, scale: &[f32]) {
    if trans_b {
        for (row, &s) in b.chunks_mut(shape[1].max(1)).zip(scale) {
            row.iter_mut().for_each(|x| *x *= s);
        }
    } else {
        for row in b.chunks_mut(shape[1].max(1)) {
            row.iter_mut().zip(scale).for_each(|(x, &s)| *x *= s);
        }
    }
}

/// Gemm `alpha * op(A) * op(B) + beta * C` with a 2-D output `[M, N]`, channel = column:
/// B's columns scale, and `C' = beta * C * s + t` with `beta' = 1`.
fn fold_gemm(graph: &mut Graph, gemm: NodeIndex, g: &Gemm, affine: &Affine) -> Result<bool> {
    let out = graph.node(gemm).outputs[0].shape.clone();
    let c = affine.scale.len();
    if out.len() != 2 || out[1] != c {
        return Ok(false);
    }
    let (m, n) = (out[0], out[1]);
    let Some((v, shape, mut b)) = weight(graph, gemm, 1) else { return Ok(false) };
    if shape.len() != 2 || (if g.trans_b { shape[0] } else { shape[1] }) != n {
        return Ok(false);
    }
    // C as [rows, cols] broadcast onto [M, N].
    let bias = match graph.input(gemm, 2).filter(|_| g.beta != 0.0) {
        None => None,
        Some(cv) => {
            let Some((cs, cvals)) = f32_constant(graph, cv) else { return Ok(false) };
            let (rows, cols) = match cs.len() {
                0 => (1, 1),
                1 => (1, cs[0]),
                2 => (cs[0], cs[1]),
                _ => return Ok(false),
            };
            if !(rows == 1 || rows == m) || !(cols == 1 || cols == n) {
                return Ok(false);
            }
            Some((rows, cols, cvals.to_vec()))
        }
    };
    let (shape_c, values_c) = match &bias {
        None => (vec![n], affine.shift.clone()),
        Some((rows, cols, cvals)) => {
            let (rows, cols) = (*rows, *cols);
            let at = |i: usize, j: usize| {
                let (i, j) = (if rows == 1 { 0 } else { i }, if cols == 1 { 0 } else { j });
                cvals[i * cols + j]
            };
            let values = (0..rows)
                .flat_map(|i| (0..n).map(move |j| (i, j)))
                .map(|(i, j)| g.beta * at(i, j) * affine.scale[j] + affine.shift[j])
                .collect();
            (if rows == 1 { vec![n] } else { vec![m, n] }, values)
        }
    };
    scale_columns(&mut b, &shape, g.trans_b, &affine.scale);
    let w_name = format!("{}_bn", graph.value(v).name);
    let c_name = match graph.input(gemm, 2) {
        Some(cv) => format!("{}_bn", graph.value(cv).name),
        None => format!("{}.bias", graph.node(gemm).name),
    };
    let w = new_constant(graph, &w_name, Tensor::from_f32(shape, b)?);
    let c = new_constant(graph, &c_name, Tensor::from_f32(shape_c, values_c)?);
    graph.set_input(gemm, 1, Some(w));
    graph.set_input(gemm, 2, Some(c));
    graph.node_mut(gemm).op = Op::Gemm(Gemm { beta: 1.0, ..g.clone() });
    Ok(true)
}

/// MatMul `[M, K] × [K, N]` with a constant B: becomes a Gemm with the folded bias.
fn fold_matmul(graph: &mut Graph, matmul: NodeIndex, affine: &Affine) -> Result<bool> {
    let Some(a) = graph.input(matmul, 0) else { return Ok(false) };
    if graph.value(a).shape.len() != 2 {
        return Ok(false);
    }
    let gemm = Gemm { alpha: 1.0, beta: 1.0, trans_a: false, trans_b: false, activation: Activation::None };
    // Checks and rewrites exactly as a Gemm without C.
    graph.node_mut(matmul).op = Op::Gemm(gemm.clone());
    graph.truncate_inputs(matmul, 2);
    if fold_gemm(graph, matmul, &gemm, affine)? {
        Ok(true)
    } else {
        graph.node_mut(matmul).op = Op::MatMul(crate::ir::op::MatMul { activation: Activation::None });
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{AutoPad, BinaryOp, Conv, ConvTranspose, MatMul, Window};
    use crate::passes::testutil::{check_pass, count_ops, find, op_names, Builder};

    fn window() -> Window {
        Window { kernel: vec![], strides: vec![], dilations: vec![], pads: vec![1, 1, 1, 1], auto_pad: AutoPad::NotSet }
    }

    fn conv(group: usize) -> Op {
        Op::Conv(Conv { window: window(), group, activation: Activation::None })
    }

    /// A BN over `c` channels with random statistics (positive variances).
    fn bn(b: &mut Builder, name: &str, x: ValueRef, c: usize) -> ValueRef {
        let gamma = b.random_constant(&format!("{name}.gamma"), &[c]);
        let beta = b.random_constant(&format!("{name}.beta"), &[c]);
        let mean = b.random_constant(&format!("{name}.mean"), &[c]);
        let var = b.random_constant_in(&format!("{name}.var"), &[c], 0.2, 2.0);
        b.op(name, Op::BatchNorm { epsilon: 1e-5 }, &[x, gamma, beta, mean, var])
    }

    fn bn_count(g: &Graph) -> usize {
        count_ops(g, |op| matches!(op, Op::BatchNorm { .. }))
    }

    #[test]
    fn folds_into_conv_with_and_without_bias() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 4, 5, 5]);
        let w1 = b.random_constant("w1", &[6, 4, 3, 3]);
        let b1 = b.random_constant("b1", &[6]);
        let c1 = b.op("conv1", conv(1), &[x, w1, b1]);
        let n1 = bn(&mut b, "bn1", c1, 6);
        let w2 = b.random_constant("w2", &[6, 3, 3, 3]);
        let c2 = b.op("conv2", conv(2), &[n1, w2]);
        let n2 = bn(&mut b, "bn2", c2, 6);
        b.output(n2);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Conv", "Conv"]);
        let conv2 = after.graph.node_indices().find(|&n| after.node(n).name == "conv2").unwrap();
        assert_eq!(after.constant_input(conv2, 2).unwrap().shape, [6], "a bias was created");
        assert_eq!(after.outputs[0].name, "bn2");
        assert_eq!(after.value(after.outputs[0].value).name, "bn2", "the fused value keeps the BN's name");
    }

    #[test]
    fn folds_into_grouped_conv_transpose() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 4, 3, 3]);
        let w = b.random_constant("w", &[4, 3, 2, 2]);
        let window = Window { pads: vec![], strides: vec![2, 2], ..window() };
        let op = Op::ConvTranspose(ConvTranspose {
            window,
            group: 2,
            output_padding: vec![],
            output_shape: vec![],
            activation: Activation::None,
        });
        let y = b.op("deconv", op, &[x, w]);
        let n = bn(&mut b, "bn", y, 6);
        b.output(n);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["ConvTranspose"]);
    }

    fn gemm_bn(trans_b: bool, c_shape: Option<&[usize]>, alpha: f32, beta: f32) -> Graph {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.random_constant("w", if trans_b { &[5, 4] } else { &[4, 5] });
        let c = c_shape.map(|s| b.random_constant("c", s));
        let g = Op::Gemm(Gemm { alpha, beta, trans_a: false, trans_b, activation: Activation::None });
        let y = b.op_opt("gemm", g, &[Some(x), Some(w), c]);
        let n = bn(&mut b, "bn", y, 5);
        b.output(n);
        b.finish()
    }

    #[test]
    fn folds_into_gemm_in_every_form() {
        for (trans_b, c, alpha, beta) in [
            (true, Some(&[5][..]), 1.0, 1.0),
            (false, Some(&[3, 5][..]), 0.7, 0.3),
            (true, Some(&[3, 1][..]), 1.5, 2.0),
            (false, Some(&[][..]), 1.0, 0.5),
            (false, None, 2.0, 1.0),
        ] {
            let g = gemm_bn(trans_b, c, alpha, beta);
            let after = check_pass(&g, run);
            assert_eq!(op_names(&after), ["Gemm"], "{trans_b} {c:?}");
            let gemm = find(&after, |op| matches!(op, Op::Gemm(_)));
            let Op::Gemm(params) = &after.node(gemm).op else { unreachable!() };
            assert_eq!((params.alpha, params.beta, params.trans_b), (alpha, 1.0, trans_b));
        }
    }

    #[test]
    fn turns_2d_matmul_into_gemm() {
        let mut b = Builder::new();
        let x = b.input("x", &[3, 4]);
        let w = b.random_constant("w", &[4, 5]);
        let y = b.op("mm", Op::MatMul(MatMul { activation: Activation::None }), &[x, w]);
        let n = bn(&mut b, "bn", y, 5);
        b.output(n);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Gemm"]);
    }

    #[test]
    fn shared_weights_are_copied_not_mutated() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 2, 4, 4]);
        let w = b.random_constant("w", &[2, 2, 3, 3]);
        let c1 = b.op("conv1", conv(1), &[x, w]);
        let n1 = bn(&mut b, "bn1", c1, 2);
        let c2 = b.op("conv2", conv(1), &[x, w]);
        let c3 = b.op("conv3", conv(1), &[x, w]);
        let n3 = bn(&mut b, "bn3", c3, 2);
        b.output(n1);
        b.output(c2);
        b.output(n3);
        let after = check_pass(&b.finish(), run);
        assert_eq!(bn_count(&after), 0);
        let conv2 = after.graph.node_indices().find(|&n| after.node(n).name == "conv2").unwrap();
        assert_eq!(after.value(after.input(conv2, 1).unwrap()).name, "w", "the unfused conv keeps the original");
    }

    #[test]
    fn leaves_bn_it_cannot_fold() {
        let mut b = Builder::new();
        let x = b.input("x", &[1, 2, 4, 4]);
        // After a graph input.
        let n0 = bn(&mut b, "bn0", x, 2);
        // After a conv whose output is also read elsewhere.
        let w = b.random_constant("w", &[2, 2, 3, 3]);
        let c = b.op("conv", conv(1), &[n0, w]);
        let n1 = bn(&mut b, "bn1", c, 2);
        let sum = b.op("sum", Op::Binary(BinaryOp::Add), &[c, n1]);
        // After a conv whose output is a model output.
        let c2 = b.op("conv2", conv(1), &[sum, w]);
        let n2 = bn(&mut b, "bn2", c2, 2);
        // After a conv with a run-time weight.
        let w3 = b.input("w3", &[2, 2, 3, 3]);
        let c3 = b.op("conv3", conv(1), &[n2, w3]);
        let n3 = bn(&mut b, "bn3", c3, 2);
        b.output(c2);
        b.output(n3);
        let g = b.finish();
        assert_eq!(bn_count(&g), 4);
        let after = check_pass(&g, run);
        assert_eq!(bn_count(&after), 4);
    }

    #[test]
    fn leaves_matmul_on_3d_input() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let w = b.random_constant("w", &[4, 3]);
        let y = b.op("mm", Op::MatMul(MatMul { activation: Activation::None }), &[x, w]);
        let n = bn(&mut b, "bn", y, 3);
        b.output(n);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["MatMul", "BatchNormalization"]);
    }
}
