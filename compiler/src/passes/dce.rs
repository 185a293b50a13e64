//! Dead-code elimination: removes nodes whose outputs nobody reads.
//!
//! A node is dead when none of its outputs feeds another node or a model output. Folding and
//! the rewrites leave such nodes behind (the constants a folded node read, a bypassed
//! Reshape's shape); dropping them keeps unused weights out of `weights.bin` and unused code
//! out of `run`. Graph inputs stay even when unused: they are part of the model's signature.

use crate::error::Result;
use crate::ir::{Graph, Op, ValueRef};
use crate::target::Target;

/// Removes every dead node (and so, transitively, what only dead nodes read).
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    // In reverse topological order every reader of a node is visited (and removed if dead)
    // before the node itself, so one sweep reaches the fixpoint.
    for node in graph.topo_order()?.into_iter().rev() {
        let n = graph.node(node);
        if matches!(n.op, Op::Input) {
            continue;
        }
        let used = (0..n.outputs.len()).any(|slot| graph.use_count(ValueRef { node, slot }) > 0);
        if !used {
            graph.remove_node(node);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{Activation, BinaryOp};
    use crate::passes::testutil::{check_pass, op_names, Builder};

    #[test]
    fn removes_dead_chains_and_their_constants() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let c = b.random_constant("c", &[3]);
        let dead1 = b.op("dead1", Op::Binary(BinaryOp::Add), &[x, c]);
        let _dead2 = b.op("dead2", Op::Unary(Activation::Exp), &[dead1]);
        let y = b.op("y", Op::Unary(Activation::Relu), &[x]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu"]);
        assert_eq!(after.graph.node_count(), 2, "input and Relu remain; the constant went too");
    }

    #[test]
    fn keeps_unused_inputs_and_model_outputs() {
        let mut b = Builder::new();
        let x = b.input("x", &[2]);
        let _unused = b.input("unused", &[5]);
        let c = b.random_constant("c", &[2]);
        let y = b.op("y", Op::Binary(BinaryOp::Mul), &[x, c]);
        b.output(y);
        b.output(c);
        let after = check_pass(&b.finish(), run);
        assert_eq!(after.inputs.len(), 2);
        assert_eq!(after.graph.node_count(), 4);
    }
}
