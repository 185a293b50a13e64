//! Graph-to-graph optimization passes and the driver that runs them in order.
//!
//! Each pass lives in its own file with one entry point, `run(&mut Graph, &Target)`, and a doc
//! comment saying what it rewrites and why. The driver re-runs shape inference and the
//! validator after every pass, so a pass that breaks an invariant is named in the error, and
//! it can stop after any pass (`onnxc inspect --after PASS`) to show the graph at that point.
//!
//! Laws every pass keeps: the model computes the same outputs (within float rounding), under
//! the same names; `Op::Input` nodes are never removed; a rewrite never makes the graph bigger
//! at run time than it was.

pub mod dce;
pub mod fold;
pub mod fold_batchnorm;
pub mod fuse_activation;
pub mod fuse_depthwise_block;
pub mod fuse_residual;
pub mod layout;
pub mod matmul_add;
pub mod pretranspose;
pub mod simplify;
pub mod winograd;

mod rewrite;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod testutil;

use crate::error::{Context, Error, Result};
use crate::ir::Graph;
use crate::target::Target;

/// A pass: rewrites the graph in place for the given target.
pub type PassFn = fn(&mut Graph, &Target) -> Result<()>;

/// The optimization pipeline in the order it runs. Names are unique: `--after` picks one.
pub const PIPELINE: &[(&str, PassFn)] = &[
    ("fold", fold::run),
    ("dce", dce::run),
    ("simplify", simplify::run),
    ("fold-batchnorm", fold_batchnorm::run),
    ("matmul-add", matmul_add::run),
    ("fuse-activation", fuse_activation::run),
    ("pretranspose", pretranspose::run),
    ("layout", layout::run),
    ("fuse-residual", fuse_residual::run),
    ("fuse-depthwise-block", fuse_depthwise_block::run),
    ("winograd", winograd::run),
    ("cleanup", cleanup),
];

/// Folding and dead-code elimination once more, for what the rewrites above left behind
/// (constants nobody reads any more, new constant-only subgraphs).
fn cleanup(graph: &mut Graph, target: &Target) -> Result<()> {
    fold::run(graph, target)?;
    dce::run(graph, target)
}

/// The pipeline's pass names, in order.
pub fn pass_names() -> Vec<&'static str> {
    PIPELINE.iter().map(|(name, _)| *name).collect()
}

/// Runs the pipeline, inferring and validating after every pass; stops after `stop_after`.
pub fn run_pipeline(graph: &mut Graph, target: &Target, stop_after: Option<&str>) -> Result<()> {
    run_passes(graph, PIPELINE, stop_after, |pass, graph| pass(graph, target))
}

/// The driver behind [`run_pipeline`], over any list of passes.
fn run_passes(
    graph: &mut Graph,
    passes: &[(&str, PassFn)],
    stop_after: Option<&str>,
    mut run: impl FnMut(PassFn, &mut Graph) -> Result<()>,
) -> Result<()> {
    if let Some(stop) = stop_after {
        if !passes.iter().any(|(name, _)| *name == stop) {
            let names: Vec<&str> = passes.iter().map(|(name, _)| *name).collect();
            return Err(Error::invalid(format!("unknown pass '{stop}'; the passes are: {}", names.join(", "))));
        }
    }
    check(graph, "before the passes")?;
    for &(name, pass) in passes {
        run(pass, graph).with_context(|| format!("pass '{name}'"))?;
        check(graph, &format!("after pass '{name}'"))?;
        if stop_after == Some(name) {
            break;
        }
    }
    Ok(())
}

/// Shape inference, then the validator; errors name `when`.
fn check(graph: &mut Graph, when: &str) -> Result<()> {
    crate::ir::infer::infer_graph(graph).context(when)?;
    crate::ir::validate::validate(graph).context(when)
}

#[cfg(test)]
mod tests {
    use super::testutil::{assert_same_outputs, count_ops, target, Builder};
    use super::*;
    use crate::error::ErrorKind;
    use crate::ir::op::{Activation, BinaryOp, Op};

    fn relu_chain() -> Graph {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let id = b.op("id", Op::Identity, &[x]);
        let r = b.op("relu", Op::Unary(Activation::Relu), &[id]);
        b.output(r);
        b.finish()
    }

    #[test]
    fn pass_names_are_unique_and_in_order() {
        let names = pass_names();
        assert_eq!(names.first(), Some(&"fold"));
        assert_eq!(names.last(), Some(&"cleanup"));
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
    }

    #[test]
    fn unknown_pass_lists_the_valid_names() {
        let mut g = relu_chain();
        let err = run_pipeline(&mut g, &target(), Some("nope")).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Invalid);
        assert!(err.message.contains("unknown pass 'nope'"), "{err}");
        assert!(err.message.contains("fold, dce, simplify"), "{err}");
    }

    #[test]
    fn stops_after_the_named_pass() {
        let mut g = relu_chain();
        run_pipeline(&mut g, &target(), Some("dce")).unwrap();
        assert_eq!(count_ops(&g, |op| matches!(op, Op::Identity)), 1, "simplify must not have run");
        let mut g = relu_chain();
        run_pipeline(&mut g, &target(), Some("simplify")).unwrap();
        assert_eq!(count_ops(&g, |op| matches!(op, Op::Identity)), 0);
    }

    #[test]
    fn full_pipeline_keeps_numerics() {
        // x → MatMul(W) → Add(bias) → decomposed GELU → output: becomes one Gemm with GELU.
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let w = b.random_constant("w", &[4, 5]);
        let bias = b.random_constant("bias", &[5]);
        let mm = b.op("mm", Op::MatMul(crate::ir::op::MatMul { activation: Activation::None }), &[x, w]);
        let f = b.op("add", Op::Binary(BinaryOp::Add), &[mm, bias]);
        let y = b.gelu_decomposed("act", f);
        b.output(y);
        let before = b.finish();
        let mut after = before.clone();
        run_pipeline(&mut after, &target(), None).unwrap();
        assert_same_outputs(&before, &after);
        assert_eq!(count_ops(&after, |_| true), 1, "{after:?}");
        assert_eq!(
            count_ops(&after, |op| matches!(op, Op::Gemm(g) if g.activation == Activation::Gelu)),
            1
        );
    }

    #[test]
    fn pass_errors_name_the_pass() {
        fn broken(graph: &mut Graph, _: &Target) -> Result<()> {
            // Gives a value the input's name: inference cannot repair that, the validator sees it.
            let node = graph.topo_order()?[1];
            graph.node_mut(node).outputs[0].name = "x".into();
            Ok(())
        }
        fn failing(_: &mut Graph, _: &Target) -> Result<()> {
            Err(Error::unsupported("no"))
        }
        let t = target();
        let passes: &[(&str, PassFn)] = &[("broken", broken)];
        let mut g = relu_chain();
        let err = run_passes(&mut g, passes, None, |p, g| p(g, &t)).unwrap_err();
        assert!(err.message.starts_with("after pass 'broken'"), "{err}");
        let passes: &[(&str, PassFn)] = &[("failing", failing)];
        let mut g = relu_chain();
        let err = run_passes(&mut g, passes, None, |p, g| p(g, &t)).unwrap_err();
        assert_eq!(err.message, "pass 'failing': no");
    }
}
