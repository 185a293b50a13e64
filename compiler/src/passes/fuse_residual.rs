//! Residual fusion: `Add(y, r)` where `y` comes from a channels-last Conv that nothing else
//! reads (and that applies no activation) becomes that Conv with `r` as its residual input,
//! and an activation reading the sum moves into the Conv too. The kernel adds `r` while the
//! output is in registers, so the sum costs no pass over memory of its own.

use super::fuse_activation::fuse;
use super::rewrite::{absorb, out0, sole_producer};
use crate::error::Result;
use crate::ir::op::{Activation, BinaryOp, Op};
use crate::ir::op_layout::LayoutOp;
use crate::ir::{Graph, ValueRef};
use crate::target::Target;

/// Fuses every such Add (and the activation after it) into its Conv.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        if !graph.contains(node) || graph.node(node).op != Op::Binary(BinaryOp::Add) {
            continue;
        }
        let (Some(a), Some(b)) = (graph.input(node, 0), graph.input(node, 1)) else { continue };
        let sum = graph.value(out0(node)).clone();
        for (y, r) in [(a, b), (b, a)] {
            let same = |v: ValueRef| graph.value(v).shape == sum.shape && graph.value(v).dtype == sum.dtype;
            if y == r || !same(y) || !same(r) || !plain_conv(graph, y) {
                continue;
            }
            graph.set_input(y.node, 3, Some(r));
            absorb(graph, node, y);
            if let [(reader, 0)] = graph.consumers(y)[..] {
                if !graph.is_output(y) {
                    fuse(graph, reader);
                }
            }
            break;
        }
    }
    Ok(())
}

/// True when `v` is the output of a channels-last Conv without activation or residual that
/// nothing but one reader uses.
fn plain_conv(graph: &Graph, v: ValueRef) -> bool {
    let Some(node) = sole_producer(graph, v) else { return false };
    matches!(&node.op, Op::Layout(LayoutOp::Conv(p)) if p.conv.act == Activation::None) && graph.input(v.node, 3).is_none()
}

#[cfg(test)]
#[path = "fuse_residual_tests.rs"]
mod tests;
