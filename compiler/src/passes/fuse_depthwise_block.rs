//! Depthwise block fusion: a channels-last depthwise Conv, with the ungrouped Conv that feeds
//! it (a 1×1 expansion, or a first 3×3 stride-2 layer) and the pointwise Conv (1×1, stride 1,
//! no padding) that reads it, becomes one `DepthwiseBlock` op that runs them a band of rows
//! at a time (`generic/depthwise_block.rs`). MobileNetV2's inverted residual blocks expand 16–24
//! channels to 96–144 on 112² and 56² maps; those expanded tensors, and the depthwise outputs,
//! are written to memory and read back, which costs more than computing them. Fused, they only
//! pass through a band buffer that stays in cache, and the arena holds the band instead.
//!
//! A neighbour joins only when the tensor it would save is larger than the target's L2
//! (`l2_bytes`): smaller ones stay in cache anyway, and bands would cut its GEMM into short
//! runs of rows. It must also be the tensor's only producer or reader. A band holds up to half
//! the L2, so it survives next to the rows it feeds; larger bands mean fewer rows copied
//! between bands (a 3×3 stride-1 band shares 2 expanded rows with the next).

use super::rewrite::{absorb, out0, sole_producer};
use crate::error::Result;
use crate::ir::op::Op;
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Graph, ValueInfo, ValueRef};
use crate::target::Target;
use onnxc_templates::generic::conv_nhwc::{is_depthwise, ConvNhwcParams};
use onnxc_templates::generic::depthwise_block::{band_len, chains, DepthwiseBlockParams};
use petgraph::stable_graph::NodeIndex;

/// Fuses every depthwise Conv with the pointwise neighbours worth fusing.
pub fn run(graph: &mut Graph, target: &Target) -> Result<()> {
    let l2 = target.l2_bytes as usize;
    for node in graph.topo_order()? {
        if !graph.contains(node) {
            continue;
        }
        let Op::Layout(LayoutOp::Conv(depthwise)) = graph.node(node).op else { continue };
        let (Some(dw_in), dw_out) = (graph.input(node, 0), out0(node)) else { continue };
        if !is_depthwise(&depthwise.conv) || graph.input(node, 3).is_some() {
            continue;
        }
        let large = |v: ValueRef| graph.value(v).elements().saturating_mul(4) > l2;
        // The expansion must not have a residual of its own (the block has room for one, after
        // the projection).
        let expand = first_step(graph, dw_in.node).filter(|&(_, residual)| !residual && large(dw_in) && sole_producer(graph, dw_in).is_some());
        let reader = match graph.consumers(dw_out)[..] {
            [(reader, 0)] if !graph.is_output(dw_out) && large(dw_out) => Some(reader),
            _ => None,
        };
        let project = reader.and_then(|r| pointwise(graph, r).map(|p| (r, p)));
        let mut p = DepthwiseBlockParams { expand: expand.map(|e| e.0), depthwise, project: project.map(|q| q.1 .0), band_rows: 1 };
        p.band_rows = band_rows(&p, l2 / 2);
        if !chains(&p) {
            continue;
        }
        let (x, (w_e, b_e)) = match expand {
            Some(_) => (graph.input(dw_in.node, 0), (graph.input(dw_in.node, 1), graph.input(dw_in.node, 2))),
            None => (Some(dw_in), (None, None)),
        };
        let ((w_p, b_p, residual), last) = match project {
            Some((r, _)) => ((graph.input(r, 1), graph.input(r, 2), graph.input(r, 3)), r),
            None => ((None, None, None), node),
        };
        let inputs = [x, w_e, b_e, graph.input(node, 1), graph.input(node, 2), w_p, b_p, residual];
        let name = graph.node(node).name.clone();
        let band = ValueInfo { name: graph.unique_name(&format!("{name}.band")), dtype: DType::F32, shape: vec![band_len(&p)] };
        let out = graph.value(out0(last)).clone();
        let fused = graph.add_node(name, Op::Layout(LayoutOp::DepthwiseBlock(Box::new(p))), &inputs, vec![out, band]);
        absorb(graph, last, out0(fused));
        for gone in [Some(node), expand.map(|_| dw_in.node)].into_iter().flatten().filter(|&n| n != last) {
            graph.remove_node(gone);
        }
    }
    Ok(())
}

/// The parameters of `node` when it is a channels-last pointwise Conv (1×1, stride 1, no
/// padding, ungrouped), and whether it has a residual input.
fn pointwise(graph: &Graph, node: NodeIndex) -> Option<(ConvNhwcParams, bool)> {
    let Op::Layout(LayoutOp::Conv(p)) = graph.node(node).op else { return None };
    let c = &p.conv;
    let one = c.kernel_h == 1 && c.kernel_w == 1 && c.stride_h == 1 && c.stride_w == 1 && c.pad_top == 0 && c.pad_left == 0;
    (one && c.groups == 1 && c.out_h == c.in_h && c.out_w == c.in_w).then(|| (p, graph.input(node, 3).is_some()))
}

/// The parameters of `node` when it is an ungrouped channels-last Conv (a 1×1 expansion, or
/// a first layer like MobileNetV2's 3×3 stride 2), and whether it has a residual input.
fn first_step(graph: &Graph, node: NodeIndex) -> Option<(ConvNhwcParams, bool)> {
    let Op::Layout(LayoutOp::Conv(p)) = graph.node(node).op else { return None };
    (p.conv.groups == 1).then(|| (p, graph.input(node, 3).is_some()))
}

/// Depthwise output rows per band: as many as keep the band within `band_bytes`, at least one.
fn band_rows(p: &DepthwiseBlockParams, band_bytes: usize) -> usize {
    let mut rows = 1;
    while rows < p.depthwise.conv.out_h {
        let wider = DepthwiseBlockParams { band_rows: rows + 1, ..*p };
        if band_len(&wider) * 4 > band_bytes {
            break;
        }
        rows += 1;
    }
    rows
}

#[cfg(test)]
#[path = "fuse_depthwise_block_tests.rs"]
mod tests;
