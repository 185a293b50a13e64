//! Expansion fusion: a channels-last pointwise Conv (1×1, stride 1, no padding) whose only
//! reader is a depthwise Conv becomes one `ExpandDepthwise` op that runs both a band of rows
//! at a time (`generic/expand_depthwise.rs`). MobileNetV2's inverted residual blocks expand
//! 16–24 channels to 96–144 on 112² and 56² maps; those expanded tensors are written to memory
//! and read back, which costs more than computing them. Fused, they only pass through a band
//! buffer that stays in cache, and the arena holds the band instead of the tensor.
//!
//! Only expansions larger than the target's L2 (`l2_bytes`) are fused: smaller ones stay in
//! cache anyway, and their bands would cut the pointwise GEMM into short runs of rows. A band
//! holds up to half the L2, so it survives next to the depthwise's output rows; larger bands
//! mean fewer rows copied between bands (a 3×3 stride-1 band shares 2 rows with the next).

use super::rewrite::{absorb, out0, sole_producer};
use crate::error::Result;
use crate::ir::op::Op;
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Graph, ValueInfo};
use crate::target::Target;
use onnxc_templates::generic::conv_nhwc::{is_depthwise, ConvNhwcParams};
use onnxc_templates::generic::expand_depthwise::{band_len, chains, ExpandDepthwiseParams};

/// Fuses every such pair.
pub fn run(graph: &mut Graph, target: &Target) -> Result<()> {
    let l2 = target.l2_bytes as usize;
    for node in graph.topo_order()? {
        if !graph.contains(node) {
            continue;
        }
        let Op::Layout(LayoutOp::Conv(depthwise)) = graph.node(node).op else { continue };
        let Some(expanded) = graph.input(node, 0) else { continue };
        if !is_depthwise(&depthwise.conv) || graph.input(node, 3).is_some() {
            continue;
        }
        let Some(Op::Layout(LayoutOp::Conv(expand))) = sole_producer(graph, expanded).map(|n| n.op.clone()) else { continue };
        if graph.input(expanded.node, 3).is_some() || graph.value(expanded).elements() * 4 <= l2 {
            continue;
        }
        let p = ExpandDepthwiseParams { expand, depthwise, band_rows: band_rows(&expand, &depthwise, l2 / 2) };
        if !chains(&p) {
            continue;
        }
        let inputs = [
            graph.input(expanded.node, 0),
            graph.input(expanded.node, 1),
            graph.input(expanded.node, 2),
            graph.input(node, 1),
            graph.input(node, 2),
        ];
        let name = graph.node(node).name.clone();
        let band = ValueInfo { name: graph.unique_name(&format!("{name}.band")), dtype: DType::F32, shape: vec![band_len(&p)] };
        let out = graph.value(out0(node)).clone();
        let fused = graph.add_node(name, Op::Layout(LayoutOp::ExpandDepthwise(p)), &inputs, vec![out, band]);
        absorb(graph, node, out0(fused));
        graph.remove_node(expanded.node);
    }
    Ok(())
}

/// Depthwise output rows per band: as many as keep the band within `band_bytes`, at least one.
fn band_rows(expand: &ConvNhwcParams, depthwise: &ConvNhwcParams, band_bytes: usize) -> usize {
    let d = &depthwise.conv;
    let row_bytes = (d.in_w * expand.conv.out_channels * 4).max(1);
    let span = (d.kernel_h.max(1) - 1) * d.dilation_h + 1;
    let rows = band_bytes / row_bytes;
    if rows <= span {
        1
    } else {
        (rows - span) / d.stride_h.max(1) + 1
    }
}

#[cfg(test)]
#[path = "fuse_expand_tests.rs"]
mod tests;
