//! Winograd: a channels-last 3×3 stride-1 Conv (undilated, ungrouped) becomes a `Winograd` op
//! that computes it by F(2×2, 3×3) (`generic/winograd.rs`): 2.25× fewer multiply-adds, for
//! the transforms of each 2×2 output tile and 16/9 of the layer's weight bytes. ResNet-style
//! 3×3 layers with 16 channels are the case it is for: their direct kernel broadcasts one input
//! value per multiply-add of a one-vector panel, and cannot get past about two thirds of the
//! FMA peak.
//!
//! Only on targets that ask for it (`winograd = true`: the weight bytes are flash on a device),
//! and only with at least [`MIN_CHANNELS`] input and output channels: with fewer, the
//! transforms cost more than the multiply-adds they save (a first layer on RGB). Tiles go in
//! blocks whose scratch holds at most [`SCRATCH_BYTES`] and a quarter of the target's L2, so
//! the transformed tiles are still in cache when the GEMMs and the output transform read them.

use super::rewrite::{absorb, f32_constant, new_constant, out0};
use crate::error::{Error, Result};
use crate::ir::op::Op;
use crate::ir::op_layout::LayoutOp;
use crate::ir::{DType, Data, Graph, Tensor, ValueInfo};
use crate::target::Target;
use onnxc_templates::generic::conv_nhwc::ConvNhwcParams;
use onnxc_templates::generic::winograd::{pack_weights, packed_len, scratch_len, tiles, winograd_supported, WinogradParams};

/// Fewest input and output channels worth the transforms.
pub const MIN_CHANNELS: usize = 8;

/// Most bytes of scratch. The scratch is arena, and larger blocks were not faster: ResNet-8
/// on AVX-512 ran within 1% with blocks of 16, 56 and 128 tiles (of 16 + 16 channels).
const SCRATCH_BYTES: usize = 64 << 10;

/// Rows of every family's GEMM tile divide this: a block of a multiple of it has no ragged
/// row tile.
const BLOCK_ROUNDING: usize = 8;

/// Rewrites every eligible channels-last Conv.
pub fn run(graph: &mut Graph, target: &Target) -> Result<()> {
    if !target.winograd {
        return Ok(());
    }
    for node in graph.topo_order()? {
        let Op::Layout(LayoutOp::Conv(conv)) = graph.node(node).op else { continue };
        let c = &conv.conv;
        if !winograd_supported(c) || c.in_channels < MIN_CHANNELS || c.out_channels < MIN_CHANNELS {
            continue;
        }
        let Some(w) = graph.input(node, 1) else { continue };
        let Some((_, packed)) = f32_constant(graph, w) else { continue };
        let p = WinogradParams { conv, block_tiles: block_tiles(conv, SCRATCH_BYTES.min(target.l2_bytes as usize / 4)) };
        let mut u = vec![0.0f32; packed_len(&p)];
        if !pack_weights(&p, packed, &mut u) {
            return Err(Error::internal(format!("weights of {} do not transform for {p:?}", graph.node(node).name)));
        }
        let base = format!("{}.winograd", graph.value(w).name);
        let u = new_constant(graph, &base, Tensor::new(vec![u.len()], Data::F32(u))?);
        let name = graph.node(node).name.clone();
        let scratch = ValueInfo { name: graph.unique_name(&format!("{name}.scratch")), dtype: DType::F32, shape: vec![scratch_len(&p)] };
        let inputs = [graph.input(node, 0), Some(u), graph.input(node, 2), graph.input(node, 3)];
        let out = graph.value(out0(node)).clone();
        let winograd = graph.add_node(name, Op::Layout(LayoutOp::Winograd(p)), &inputs, vec![out, scratch]);
        absorb(graph, node, out0(winograd));
    }
    Ok(())
}

/// Tiles per block: the most that keep the scratch within `bytes`, in whole GEMM tiles when
/// that many fit (of twice [`BLOCK_ROUNDING`] rows, the tall tile of one-vector panels, or of
/// [`BLOCK_ROUNDING`]); at least one, at most all.
fn block_tiles(conv: ConvNhwcParams, bytes: usize) -> usize {
    let total = tiles(&conv.conv).max(1);
    let fits = |block_tiles| scratch_len(&WinogradParams { conv, block_tiles }) * 4 <= bytes;
    let mut most = 1;
    while most < total && fits(most + 1) {
        most += 1;
    }
    match [2 * BLOCK_ROUNDING, BLOCK_ROUNDING].into_iter().find(|&rows| most >= rows) {
        Some(rows) if most < total => most / rows * rows,
        _ => most,
    }
}

#[cfg(test)]
#[path = "winograd_tests.rs"]
mod tests;
