//! Layout: on targets whose `preferred_layout` is `nhwc`, 4-D f32 convolutions run on
//! channels-last tensors, with their weights packed at compile time into the panels the
//! SIMD kernel reads (`conv_nhwc::pack_weights`), so nothing is repacked at run time. A Conv
//! whose output channels would leave most vector lanes idle stays NCHW ([`MIN_LANE_USE`]).
//!
//! Channels-last values travel between the ops that accept them: converted convolutions,
//! element-wise ops whose data inputs are all channels-last (activations, Add of two such
//! values, scalars), and pools reading such a value. Each converted node also gets a
//! Transpose back to NCHW under the old value: ops that need NCHW (and model outputs) keep
//! reading that, and the transposes nobody reads are removed at the end of the pass. A
//! transpose that only moves size-1 axes is a Reshape (no code). Gemm and MatMul with
//! constant weights and several rows become dense layers: 1×1 channels-last convolutions over
//! their rows, with packed weights too. So the pass never changes what the model computes,
//! only where data lives and how weights are stored.

use super::rewrite::out0;
use crate::error::{Error, Result};
use crate::ir::op::Op;
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Data, Graph, Tensor, ValueInfo, ValueRef};
use crate::lower::{conv_params, pool_params};
use crate::target::Target;
use onnxc_templates::generic::conv_nhwc::{is_depthwise, pack_weights, packed_weight_len, supported, ConvNhwcParams};
use onnxc_templates::generic::pool_nhwc::GlobalPoolNhwcParams;
use petgraph::stable_graph::NodeIndex;
use std::collections::HashMap;

/// Least share of vector lanes a channels-last Conv must keep busy (`M` over `M` rounded up to
/// whole vectors): 6 channels on 16 lanes (LeNet's first layer) stay NCHW; 24 on 16 run.
const MIN_LANE_USE: f64 = 0.7;

/// How much better NCHW's lane use must be to keep a Conv NCHW that channels-last would run
/// with [`MIN_LANE_USE`]: channels-last has advantages lane counts do not show (no padded
/// copies, no plane tails), so a tie goes to it. LeNet's 6 channels on 4 NEON lanes (75%)
/// against a 28×28 plane (100%) stay NCHW. Applies only to a Conv whose input is NCHW anyway:
/// between channels-last neighbours, NCHW costs a transpose each way, which is more than the
/// idle lanes (MobileNetV2's 24-channel projections: 8% of its time went to the transposes).
const LANE_USE_MARGIN: f64 = 0.2;

/// Fewest rows a Gemm or MatMul needs to become a dense layer: a matrix-vector product keeps
/// the GEMM kernel's wide single-row tile, which reads `B` in place.
const MIN_DENSE_ROWS: usize = 8;

/// NCHW axes in NHWC order, and back.
const TO_NHWC: [usize; 4] = [0, 2, 3, 1];
const TO_NCHW: [usize; 4] = [0, 3, 1, 2];

/// How the output channels of a channels-last Conv are cut into weight panels for the target's
/// GEMM tile.
#[derive(Clone, Copy)]
struct Panels {
    /// The tile's widest panel (`Family::gemm_panel`), in floats; 0 when the target has none.
    widest: usize,
    /// Floats per vector.
    lanes: usize,
    /// Rows of the tile (`Family::gemm_rows`).
    rows: usize,
}

/// Fewest sums a tile must keep in registers to hide the multiply-add latency (two pipes, four
/// cycles, twice over): a narrower panel that leaves fewer is slower than a ragged one.
const MIN_TILE_SUMS: usize = 16;

impl Panels {
    /// The panel width for `m` output channels: as few panels as the widest allows, then
    /// equally wide in whole vectors, so no panel is left one narrow vector: 64 channels on a
    /// 48-wide tile are two panels of 32, not 48 + 16 (a one-vector tile broadcasts a value
    /// per multiply-add and runs at about two thirds of a wider one's rate). Unless the
    /// narrower tile would keep fewer than [`MIN_TILE_SUMS`] sums: AVX2's 4-row tile cuts 32
    /// channels into 24 + 8, not 16 + 16 (8 sums; MobileNetV2 ran 4% slower so).
    fn width_for(self, m: usize) -> usize {
        if self.widest == 0 || self.lanes == 0 || self.widest % self.lanes != 0 {
            return self.widest;
        }
        let vecs = m.div_ceil(self.lanes);
        let count = vecs.div_ceil(self.widest / self.lanes).max(1);
        let equal = vecs.div_ceil(count);
        if count > 1 && equal * self.rows < MIN_TILE_SUMS {
            return self.widest;
        }
        (equal * self.lanes).clamp(self.lanes, self.widest)
    }
}

/// Rewrites the graph to channels-last where the target prefers it (see the module docs).
pub fn run(graph: &mut Graph, target: &Target) -> Result<()> {
    if target.preferred_layout != "nhwc" {
        return Ok(());
    }
    let lanes = (target.vector_bits / 32).max(1) as usize;
    let family = crate::codegen::family::family(&target.kernel_family);
    let (widest, rows) = family.map_or((0, 0), |f| (f.gemm_panel, f.gemm_rows));
    let panels = Panels { widest, lanes, rows };
    // The channels-last twin of each NCHW value that has one.
    let mut twins: HashMap<ValueRef, ValueRef> = HashMap::new();
    let mut back = Vec::new();
    // Row views of the dense layers' inputs, shared when several read one value (Q, K, V).
    let mut row_views: HashMap<ValueRef, ValueRef> = HashMap::new();
    for node in graph.topo_order()? {
        let op = graph.node(node).op.clone();
        let converted = match op {
            Op::Conv(_) => conv(graph, node, panels, &mut twins)?,
            Op::Unary(_) => elementwise(graph, node, &[0], &mut twins)?,
            Op::Pool(_) | Op::GlobalPool(_) => pool(graph, node, &twins)?,
            Op::Binary(_) => elementwise(graph, node, &[0, 1], &mut twins)?,
            Op::Gemm(_) | Op::MatMul(_) => {
                dense(graph, node, panels, &mut row_views)?;
                None
            }
            _ => None,
        };
        if let Some((nchw, nhwc)) = converted {
            twins.insert(nchw, nhwc);
            back.push(nchw.node);
        }
    }
    // Transposes back to NCHW that no op and no model output reads: the fusions that follow
    // count readers, so they go now rather than in the cleanup.
    for node in back {
        if graph.use_count(out0(node)) == 0 {
            graph.remove_node(node);
        }
    }
    Ok(())
}

/// A 4-D f32 Conv with constant weights becomes a channels-last one. Returns the (NCHW, NHWC)
/// pair of its output.
fn conv(graph: &mut Graph, node: NodeIndex, panels: Panels, twins: &mut HashMap<ValueRef, ValueRef>) -> Result<Option<(ValueRef, ValueRef)>> {
    let Op::Conv(c) = &graph.node(node).op else { return Ok(None) };
    let (Some(x), Some(w)) = (graph.input(node, 0), graph.input(node, 1)) else { return Ok(None) };
    let (xi, yi) = (graph.value(x).clone(), graph.value(out0(node)).clone());
    let Some(Tensor { shape: w_shape, data: Data::F32(w_data) }) = graph.constant(w) else { return Ok(None) };
    if xi.dtype != DType::F32 || xi.shape.len() != 4 || w_shape.len() != 4 || graph.node(node).outputs.len() != 1 {
        return Ok(None);
    }
    let conv = conv_params(c, &xi.shape, w_shape, &yi.shape)?;
    // Channels-last vectors run across output channels, NCHW ones across the output plane:
    // stay NCHW when channels-last would leave most lanes idle, or clearly more than NCHW
    // while the input is NCHW anyway (it has no channels-last twin yet).
    let lanes = panels.lanes;
    let used = |n: usize| n as f64 / (n.div_ceil(lanes) * lanes).max(1) as f64;
    let (nhwc, nchw) = (used(conv.out_channels), used(conv.out_h * conv.out_w));
    let input_nchw = !twins.contains_key(&x);
    if !supported(&conv) || nhwc < MIN_LANE_USE || (input_nchw && nhwc + LANE_USE_MARGIN < nchw) {
        return Ok(None);
    }
    let panel = if is_depthwise(&conv) { 0 } else { panels.width_for(conv.out_channels) };
    let p = ConvNhwcParams { conv, panel };
    let mut packed = vec![0.0f32; packed_weight_len(&p)];
    if !pack_weights(&p, w_data, &mut packed) {
        return Err(Error::internal(format!("weights {w_shape:?} do not pack for {conv:?}")));
    }
    let w_name = graph.unique_name(&format!("{}.nhwc", graph.value(w).name));
    let packed = graph.add_constant(w_name, Tensor::new(vec![packed.len()], Data::F32(packed))?);
    let x_nhwc = channels_last(graph, x, twins)?;
    let bias = graph.input(node, 2);
    let op = Op::Layout(LayoutOp::Conv(p));
    replace(graph, node, op, &[Some(x_nhwc), Some(packed), bias], &yi).map(Some)
}

/// A 2-D f32 pooling whose input is already channels-last runs on it (pooling alone is not
/// worth a transpose).
fn pool(graph: &mut Graph, node: NodeIndex, twins: &HashMap<ValueRef, ValueRef>) -> Result<Option<(ValueRef, ValueRef)>> {
    let Some(x) = graph.input(node, 0) else { return Ok(None) };
    let (Some(&twin), xi, yi) = (twins.get(&x), graph.value(x).clone(), graph.value(out0(node)).clone()) else { return Ok(None) };
    if xi.dtype != DType::F32 || xi.shape.len() != 4 || graph.node(node).outputs.len() != 1 {
        return Ok(None);
    }
    let op = match &graph.node(node).op {
        Op::Pool(p) => LayoutOp::Pool(p.kind, pool_params(p, &xi.shape, &yi.shape)?),
        Op::GlobalPool(kind) => {
            let (batch, channels, spatial) = (xi.shape[0], xi.shape[1], xi.shape[2] * xi.shape[3]);
            LayoutOp::GlobalPool(*kind, GlobalPoolNhwcParams { batch, spatial, channels })
        }
        _ => return Ok(None),
    };
    replace(graph, node, Op::Layout(op), &[Some(twin)], &yi).map(Some)
}

/// A Gemm (A not transposed, alpha 1, no bias or one per column with beta 1) or a MatMul whose
/// weights are a constant `[k, n]` becomes a 1×1 channels-last convolution over its rows, with
/// the weights packed like a Conv's. Its input and output are viewed as `[1, 1, rows, ·]`.
fn dense(graph: &mut Graph, node: NodeIndex, panels: Panels, row_views: &mut HashMap<ValueRef, ValueRef>) -> Result<()> {
    let (Some(a), Some(b)) = (graph.input(node, 0), graph.input(node, 1)) else { return Ok(()) };
    let (ai, yi) = (graph.value(a).clone(), graph.value(out0(node)).clone());
    let Some(Tensor { shape: b_shape, data: Data::F32(b_data) }) = graph.constant(b) else { return Ok(()) };
    let (&[kb, nb], Some(&k)) = (b_shape.as_slice(), ai.shape.last()) else { return Ok(()) };
    let (act, trans_b, bias) = match &graph.node(node).op {
        Op::MatMul(m) => (m.activation, false, None),
        Op::Gemm(g) if !g.trans_a && g.alpha == 1.0 => {
            let c = graph.input(node, 2).filter(|_| g.beta != 0.0);
            (g.activation, g.trans_b, c)
        }
        _ => return Ok(()),
    };
    let (wk, n) = if trans_b { (nb, kb) } else { (kb, nb) };
    let rows = ai.elements().checked_div(k).unwrap_or(0);
    let bias_ok = bias.is_none_or(|c| {
        let ci = graph.value(c);
        let beta_one = matches!(&graph.node(node).op, Op::Gemm(g) if g.beta == 1.0);
        beta_one && ci.dtype == DType::F32 && (ci.shape == [n] || ci.shape == [1, n])
    });
    if ai.dtype != DType::F32 || yi.dtype != DType::F32 || wk != k || rows < MIN_DENSE_ROWS || ai.shape.len() < 2 || !bias_ok {
        return Ok(());
    }
    // `pack_weights` reads a Conv's `[M, C, 1, 1]`: B transposed, `[n, k]`.
    let w_nk: Vec<f32> = if trans_b { b_data.clone() } else { (0..n * k).map(|i| b_data[(i % k) * n + i / k]).collect() };
    let conv = onnxc_templates::generic::conv_nhwc::pointwise_rows(rows, k, n, act);
    let p = ConvNhwcParams { conv, panel: panels.width_for(n) };
    let mut packed = vec![0.0f32; packed_weight_len(&p)];
    if !pack_weights(&p, &w_nk, &mut packed) {
        return Err(Error::internal(format!("weights {b_shape:?} do not pack for {conv:?}")));
    }
    let w_name = graph.unique_name(&format!("{}.packed", graph.value(b).name));
    let packed = graph.add_constant(w_name, Tensor::new(vec![packed.len()], Data::F32(packed))?);
    let a_rows = match row_views.get(&a) {
        Some(&v) => v,
        None => {
            let v = view(graph, a, vec![1, 1, rows, k], &format!("{}_rows", ai.name))?;
            row_views.insert(a, v);
            v
        }
    };
    let bias = match bias {
        Some(c) if graph.value(c).shape != [n] => Some(view(graph, c, vec![n], &format!("{}_vector", graph.value(c).name))?),
        other => other,
    };
    let name = graph.node(node).name.clone();
    let info = ValueInfo { name: format!("{}.rows", yi.name), dtype: DType::F32, shape: vec![1, 1, rows, n] };
    let dense = graph.add_node(name, Op::Layout(LayoutOp::Dense(p)), &[Some(a_rows), Some(packed), bias], vec![info]);
    let y = view(graph, out0(dense), yi.shape.clone(), &format!("{}.view", yi.name))?;
    graph.replace_uses(out0(node), y);
    graph.remove_node(node);
    // The view holds the model's value under its name; the rows are its storage.
    graph.node_mut(y.node).outputs[0].name = yi.name.clone();
    let rows_name = graph.unique_name(&format!("{}_rows", yi.name));
    graph.node_mut(dense).outputs[0].name = rows_name;
    Ok(())
}

/// A Reshape of `v` to `shape` (a view: no code).
fn view(graph: &mut Graph, v: ValueRef, shape: Vec<usize>, name: &str) -> Result<ValueRef> {
    let name = graph.unique_name(name);
    let dims = shape.iter().map(|&d| d as i64).collect();
    let target = graph.unique_name(&format!("{name}.shape"));
    let target = graph.add_constant(target, Tensor::new(vec![shape.len()], Data::I64(dims))?);
    let out = vec![ValueInfo { name: name.clone(), dtype: graph.value(v).dtype, shape }];
    Ok(out0(graph.add_node(name, Op::Reshape { allowzero: false }, &[Some(v), Some(target)], out)))
}

/// An element-wise op whose 4-D inputs all have channels-last twins (other inputs must be
/// scalars) runs on the twins.
fn elementwise(graph: &mut Graph, node: NodeIndex, slots: &[usize], twins: &mut HashMap<ValueRef, ValueRef>) -> Result<Option<(ValueRef, ValueRef)>> {
    let yi = graph.value(out0(node)).clone();
    if yi.shape.len() != 4 || graph.node(node).outputs.len() != 1 {
        return Ok(None);
    }
    let mut inputs = graph.inputs(node);
    for &slot in slots {
        let Some(v) = inputs.get(slot).copied().flatten() else { return Ok(None) };
        let shape = &graph.value(v).shape;
        match twins.get(&v) {
            Some(&t) if *shape == yi.shape => inputs[slot] = Some(t),
            _ if shape.iter().product::<usize>() == 1 && shape.len() <= 1 => {}
            _ => return Ok(None),
        }
    }
    let op = graph.node(node).op.clone();
    replace(graph, node, op, &inputs, &yi).map(Some)
}

/// Replaces `node` (output `y`, NCHW) by a node running `op` on `inputs` with the channels-last
/// output, plus a transpose back to NCHW that the old readers now read. The channels-last
/// value keeps the model's name unless it was a model output. Returns (NCHW, NHWC) values.
fn replace(graph: &mut Graph, node: NodeIndex, op: Op, inputs: &[Option<ValueRef>], y: &ValueInfo) -> Result<(ValueRef, ValueRef)> {
    let name = graph.node(node).name.clone();
    let info = ValueInfo { name: format!("{}.nhwc", y.name), dtype: y.dtype, shape: permute(&y.shape, &TO_NHWC) };
    let new = graph.add_node(name, op, inputs, vec![info]);
    let nhwc = out0(new);
    let nchw = relayout(graph, nhwc, &TO_NCHW, &format!("{}.nchw", y.name))?;
    let was_output = graph.is_output(out0(node));
    graph.replace_uses(out0(node), nchw);
    graph.remove_node(node);
    let (main, side) = if was_output { (nchw, nhwc) } else { (nhwc, nchw) };
    graph.node_mut(main.node).outputs[main.slot].name = y.name.clone();
    let side_name = graph.unique_name(&format!("{}_{}", y.name, if was_output { "nhwc" } else { "nchw" }));
    graph.node_mut(side.node).outputs[side.slot].name = side_name;
    Ok((nchw, nhwc))
}

/// The channels-last twin of `v`, made (and remembered) when it has none.
fn channels_last(graph: &mut Graph, v: ValueRef, twins: &mut HashMap<ValueRef, ValueRef>) -> Result<ValueRef> {
    if let Some(&t) = twins.get(&v) {
        return Ok(t);
    }
    let name = graph.unique_name(&format!("{}_nhwc", graph.value(v).name));
    let t = relayout(graph, v, &TO_NHWC, &name)?;
    twins.insert(v, t);
    Ok(t)
}

/// A node reading `v` with its axes in `perm` order: a Transpose, or a Reshape (a view) when
/// only axes of size 1 move.
fn relayout(graph: &mut Graph, v: ValueRef, perm: &[usize; 4], name: &str) -> Result<ValueRef> {
    let info = graph.value(v).clone();
    let shape = permute(&info.shape, perm);
    let moved: Vec<usize> = perm.iter().copied().filter(|&a| info.shape[a] != 1).collect();
    if moved.windows(2).all(|w| w[0] < w[1]) {
        return view(graph, v, shape, name);
    }
    let out = vec![ValueInfo { name: name.to_string(), dtype: info.dtype, shape }];
    let perm = Some(perm.iter().map(|&a| a as i64).collect());
    Ok(out0(graph.add_node(name, Op::Transpose { perm }, &[Some(v)], out)))
}

fn permute(shape: &[usize], perm: &[usize; 4]) -> Vec<usize> {
    perm.iter().map(|&a| shape.get(a).copied().unwrap_or(1)).collect()
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
