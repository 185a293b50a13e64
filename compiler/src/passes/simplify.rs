//! Algebraic simplification: removes ops that do nothing and merges ops that undo each other.
//!
//! Exporters leave many no-ops behind: Identity and inference-mode Dropout, Reshapes to the
//! shape a tensor already has, Transposes with the identity permutation or that cancel, Casts
//! to the same type, Pads by zero, Slices that keep everything, `x + 0` and `x * 1`. Each costs
//! a copy or a kernel call in generated code, and hides patterns from the fusion passes.
//! Rewrites here:
//!
//! - no-ops above are bypassed (their readers read their input);
//! - `Reshape` of a `Reshape`/`Flatten`/`Squeeze`/`Unsqueeze` reads the inner op's input with
//!   an explicit target shape;
//! - `Transpose` of a `Transpose` becomes one Transpose with the composed permutation;
//! - `Clip` with constant bounds becomes the unary `Clip` activation (which fusion can fold
//!   into a Conv or Gemm).
//!
//! A model output is never bypassed onto a graph input or another model output: the node that
//! copies it stays. Deliberately not done: `Max(x, 0)` → Relu, and anything that needs value
//! ranges.

use super::rewrite::{bypass, can_bypass, new_constant, out0};
use crate::error::Result;
use crate::ir::infer::{self, Inputs};
use crate::ir::op::{Activation, BinaryOp};
use crate::ir::{DType, Graph, Op, Tensor, ValueInfo, ValueRef};
use crate::target::Target;
use petgraph::stable_graph::NodeIndex;

/// One rewrite rule: returns true when it changed the graph (the node may be gone).
type Rule = fn(&mut Graph, NodeIndex) -> Result<bool>;

const RULES: &[Rule] = &[
    identity,
    same_shape_view,
    reshape_of_view,
    identity_transpose,
    transpose_of_transpose,
    same_type_cast,
    zero_pad,
    full_slice,
    constant_clip,
    neutral_operand,
];

/// Applies every rule to every node, in topological order, until none applies to it.
pub fn run(graph: &mut Graph, _target: &Target) -> Result<()> {
    for node in graph.topo_order()? {
        'again: while graph.contains(node) {
            for rule in RULES {
                if rule(graph, node)? {
                    continue 'again;
                }
            }
            break;
        }
    }
    Ok(())
}

/// Bypasses `node` onto `new` when that is allowed; reports whether it did.
fn try_bypass(graph: &mut Graph, node: NodeIndex, new: Option<ValueRef>) -> bool {
    match new {
        Some(new) if graph.node(node).outputs.len() == 1 && can_bypass(graph, out0(node), new) => {
            bypass(graph, node, new);
            true
        }
        _ => false,
    }
}

/// Calls `f` with the node's input infos and constant input values (for shape helpers).
fn with_inputs<T>(graph: &Graph, node: NodeIndex, f: impl FnOnce(&Inputs) -> T) -> T {
    let inputs = graph.inputs(node);
    let infos: Vec<Option<&ValueInfo>> = inputs.iter().map(|v| v.map(|v| graph.value(v))).collect();
    let values: Vec<Option<&Tensor>> = inputs.iter().map(|v| v.and_then(|v| graph.constant(v))).collect();
    f(&Inputs { infos: &infos, values: &values })
}

/// Identity (and Dropout, imported as Identity): readers read its input.
fn identity(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    if !matches!(graph.node(node).op, Op::Identity) {
        return Ok(false);
    }
    let input = graph.input(node, 0);
    Ok(try_bypass(graph, node, input))
}

/// Reshape, Flatten, Squeeze or Unsqueeze to the shape the input already has.
fn same_shape_view(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let n = graph.node(node);
    if !matches!(n.op, Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. }) {
        return Ok(false);
    }
    let input = graph.input(node, 0);
    Ok(try_bypass(graph, node, input))
}

/// Reshape(view(x)) → Reshape(x) with an explicit target (the inner view may then die).
fn reshape_of_view(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    if !matches!(graph.node(node).op, Op::Reshape { .. }) {
        return Ok(false);
    }
    let Some(inner) = graph.input(node, 0) else { return Ok(false) };
    let inner_op = &graph.node(inner.node).op;
    if !matches!(inner_op, Op::Reshape { .. } | Op::Flatten { .. } | Op::Squeeze { .. } | Op::Unsqueeze { .. }) {
        return Ok(false);
    }
    let Some(source) = graph.input(inner.node, 0) else { return Ok(false) };
    let out = graph.node(node).outputs[0].shape.clone();
    // Explicit dims, so that 0 and -1 cannot resolve differently against the new input.
    let dims: Vec<i64> = out.iter().map(|&d| d as i64).collect();
    let name = format!("{}_shape", graph.node(node).name);
    let target = new_constant(graph, &name, Tensor::from_i64(vec![dims.len()], dims)?);
    graph.node_mut(node).op = Op::Reshape { allowzero: out.contains(&0) };
    graph.set_input(node, 0, Some(source));
    graph.set_input(node, 1, Some(target));
    Ok(true)
}

/// The resolved permutation of a Transpose node.
fn perm_of(graph: &Graph, node: NodeIndex) -> Option<Vec<usize>> {
    let Op::Transpose { perm } = &graph.node(node).op else { return None };
    let rank = graph.value(graph.input(node, 0)?).shape.len();
    infer::resolve_perm(perm.as_deref(), rank).ok()
}

/// Transpose whose permutation keeps every axis in place.
fn identity_transpose(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    match perm_of(graph, node) {
        Some(p) if p.iter().enumerate().all(|(i, &a)| i == a) => {
            let input = graph.input(node, 0);
            Ok(try_bypass(graph, node, input))
        }
        _ => Ok(false),
    }
}

/// Transpose(Transpose(x)) → Transpose(x) with the composed permutation (or x itself).
fn transpose_of_transpose(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let (Some(outer), Some(inner)) = (perm_of(graph, node), graph.input(node, 0)) else { return Ok(false) };
    let (Some(first), Some(source)) = (perm_of(graph, inner.node), graph.input(inner.node, 0)) else {
        return Ok(false);
    };
    // out[i] = inner[outer[i]] = x[first[outer[i]]].
    let composed: Vec<usize> = outer.iter().map(|&a| first[a]).collect();
    if composed.iter().enumerate().all(|(i, &a)| i == a) {
        return Ok(try_bypass(graph, node, Some(source)));
    }
    graph.node_mut(node).op = Op::Transpose { perm: Some(composed.iter().map(|&a| a as i64).collect()) };
    graph.set_input(node, 0, Some(source));
    Ok(true)
}

/// Cast to the type the input already has.
fn same_type_cast(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let Op::Cast { to } = graph.node(node).op else { return Ok(false) };
    match graph.input(node, 0) {
        Some(input) if graph.value(input).dtype == to => Ok(try_bypass(graph, node, Some(input))),
        _ => Ok(false),
    }
}

/// Pad by zero on every side of every axis.
fn zero_pad(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let Op::Pad(p) = &graph.node(node).op else { return Ok(false) };
    let Some(input) = graph.input(node, 0) else { return Ok(false) };
    let x = &graph.value(input).shape;
    let zero = with_inputs(graph, node, |ins| {
        infer::pad_amounts(x, p, ins).is_ok_and(|(begin, end)| begin.iter().chain(&end).all(|&v| v == 0))
    });
    Ok(zero && try_bypass(graph, node, Some(input)))
}

/// Slice that keeps every element in order.
fn full_slice(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let Op::Slice(s) = &graph.node(node).op else { return Ok(false) };
    let Some(input) = graph.input(node, 0) else { return Ok(false) };
    let x = &graph.value(input).shape;
    let whole = with_inputs(graph, node, |ins| {
        infer::slice_plan(x, s, ins).is_ok_and(|plan| {
            plan.iter().zip(x).all(|(d, &len)| d.start == 0 && d.len == len && (d.step == 1 || len <= 1))
        })
    });
    Ok(whole && try_bypass(graph, node, Some(input)))
}

/// Clip with constant (or absent) bounds → the unary Clip activation on its first input.
fn constant_clip(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let Op::Clip { min, max } = graph.node(node).op else { return Ok(false) };
    match graph.input(node, 0) {
        Some(x) if graph.value(x).dtype == DType::F32 => {}
        _ => return Ok(false),
    }
    let bound = |slot: usize, attr: Option<f32>, default: f32| -> Option<f32> {
        if attr.is_some() {
            return attr;
        }
        match graph.input(node, slot) {
            None => Some(default),
            Some(v) => graph.constant(v).and_then(Tensor::scalar_f32),
        }
    };
    let (Some(min), Some(max)) = (bound(1, min, f32::MIN), bound(2, max, f32::MAX)) else { return Ok(false) };
    graph.node_mut(node).op = Op::Unary(Activation::Clip { min, max });
    graph.truncate_inputs(node, 1);
    Ok(true)
}

/// `x + 0`, `0 + x`, `x - 0`, `x * 1`, `1 * x`, `x / 1` where the constant does not broadcast
/// `x` to a bigger shape.
fn neutral_operand(graph: &mut Graph, node: NodeIndex) -> Result<bool> {
    let Op::Binary(op) = graph.node(node).op else { return Ok(false) };
    let (neutral, commutative) = match op {
        BinaryOp::Add => (0.0, true),
        BinaryOp::Sub => (0.0, false),
        BinaryOp::Mul => (1.0, true),
        BinaryOp::Div => (1.0, false),
        _ => return Ok(false),
    };
    let (Some(a), Some(b)) = (graph.input(node, 0), graph.input(node, 1)) else { return Ok(false) };
    let is_neutral = |v: ValueRef| {
        graph.constant(v).and_then(Tensor::to_f32_vec).is_some_and(|vals| vals.iter().all(|&x| x == neutral))
    };
    // can_bypass checks that the kept operand already has the output's shape and type.
    let keep = if is_neutral(b) {
        Some(a)
    } else if commutative && is_neutral(a) {
        Some(b)
    } else {
        None
    };
    Ok(try_bypass(graph, node, keep))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::op::{Pad, PadMode, Slice};
    use crate::passes::testutil::{check_pass, count_ops, find, op_names, Builder};

    fn relu() -> Op {
        Op::Unary(Activation::Relu)
    }

    #[test]
    fn removes_identity_chains() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let r = b.op("r", relu(), &[x]);
        let i1 = b.op("i1", Op::Identity, &[r]);
        let i2 = b.op("i2", Op::Identity, &[i1]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[i2]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu", "Exp"]);
    }

    #[test]
    fn keeps_identity_that_copies_an_input_or_output() {
        let mut b = Builder::new();
        let x = b.input("x", &[2]);
        let y = b.op("y", Op::Identity, &[x]);
        let r = b.op("r", relu(), &[x]);
        let z = b.op("z", Op::Identity, &[r]);
        b.output(y);
        b.output(r);
        b.output(z);
        let after = check_pass(&b.finish(), run);
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Identity)), 2);
    }

    #[test]
    fn identity_before_model_output_passes_its_name_on() {
        let mut b = Builder::new();
        let x = b.input("x", &[2]);
        let r = b.op("r", relu(), &[x]);
        let y = b.op("y", Op::Identity, &[r]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu"]);
        assert_eq!(after.outputs[0].name, "y");
        assert_eq!(after.value(after.outputs[0].value).name, "y");
    }

    #[test]
    fn removes_views_to_the_same_shape() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let r = b.op("r", relu(), &[x]);
        let s = b.ints("s", &[2, 3]);
        let v1 = b.op("reshape", Op::Reshape { allowzero: false }, &[r, s]);
        let v2 = b.op("flatten", Op::Flatten { axis: 1 }, &[v1]);
        let v3 = b.op("squeeze", Op::Squeeze { axes: None }, &[v2]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[v3]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu", "Exp"]);
    }

    #[test]
    fn merges_reshape_chains() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let r = b.op("r", relu(), &[x]);
        let f = b.op("flatten", Op::Flatten { axis: 1 }, &[r]);
        // 0 copies the *input's* dim 0: 2 from [2, 12], which must survive the rewiring.
        let s = b.ints("s", &[0, 4, -1]);
        let v = b.op("reshape", Op::Reshape { allowzero: false }, &[f, s]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[v]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        let after = check_pass(&after, crate::passes::dce::run);
        assert_eq!(op_names(&after), ["Relu", "Reshape", "Exp"]);
        let reshape = find(&after, |op| matches!(op, Op::Reshape { .. }));
        assert_eq!(after.node(after.input(reshape, 0).unwrap().node).name, "r");
        assert_eq!(after.constant_input(reshape, 1).unwrap().to_i64_vec(), Some(vec![2, 4, 3]));
    }

    #[test]
    fn reshape_chain_back_to_the_source_shape_disappears() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let r = b.op("r", relu(), &[x]);
        let s1 = b.ints("s1", &[6, 4]);
        let v1 = b.op("v1", Op::Reshape { allowzero: false }, &[r, s1]);
        let s2 = b.ints("s2", &[2, 3, 4]);
        let v2 = b.op("v2", Op::Reshape { allowzero: false }, &[v1, s2]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[v2]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        let exp = find(&after, |op| matches!(op, Op::Unary(Activation::Exp)));
        assert_eq!(after.node(after.input(exp, 0).unwrap().node).name, "r");
    }

    #[test]
    fn transposes_cancel_or_compose() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3, 4]);
        let r = b.op("r", relu(), &[x]);
        let t0 = b.op("t0", Op::Transpose { perm: Some(vec![0, 1, 2]) }, &[r]);
        let t1 = b.op("t1", Op::Transpose { perm: Some(vec![0, 2, 1]) }, &[t0]);
        let t2 = b.op("t2", Op::Transpose { perm: Some(vec![0, 2, 1]) }, &[t1]);
        let t3 = b.op("t3", Op::Transpose { perm: Some(vec![1, 0, 2]) }, &[t2]);
        let t4 = b.op("t4", Op::Transpose { perm: None }, &[t3]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[t4]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        let after = check_pass(&after, crate::passes::dce::run);
        // t0 is the identity, t1∘t2 cancel, t3 then t4 compose into one Transpose.
        assert_eq!(op_names(&after), ["Relu", "Transpose", "Exp"]);
        let t = find(&after, |op| matches!(op, Op::Transpose { .. }));
        assert_eq!(after.node(t).op, Op::Transpose { perm: Some(vec![2, 0, 1]) });
    }

    #[test]
    fn removes_same_type_cast_zero_pad_and_full_slice() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let r = b.op("r", relu(), &[x]);
        let c = b.op("cast", Op::Cast { to: DType::F32 }, &[r]);
        let pads = b.ints("pads", &[0, 0, 0, 0]);
        let pad = Op::Pad(Pad { mode: PadMode::Constant, pads: None, value: 0.0 });
        let p = b.op("pad", pad, &[c, pads]);
        let starts = b.ints("starts", &[0, -100]);
        let ends = b.ints("ends", &[i64::MAX, 3]);
        let s = b.op("slice", Op::Slice(Slice { starts: None, ends: None, axes: None }), &[p, starts, ends]);
        let y = b.op("y", Op::Unary(Activation::Exp), &[s]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu", "Exp"]);
    }

    #[test]
    fn keeps_real_pads_slices_and_casts() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let pads = b.ints("pads", &[0, 1, 0, 0]);
        let pad = Op::Pad(Pad { mode: PadMode::Constant, pads: None, value: 0.0 });
        let p = b.op("pad", pad, &[x, pads]);
        let starts = b.ints("starts", &[1]);
        let ends = b.ints("ends", &[2]);
        let s = b.op("slice", Op::Slice(Slice { starts: None, ends: None, axes: None }), &[p, starts, ends]);
        let c = b.op("cast", Op::Cast { to: DType::F64 }, &[s]);
        let y = b.op("y", Op::Cast { to: DType::F32 }, &[c]);
        b.output(y);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Pad", "Slice", "Cast", "Cast"]);
    }

    #[test]
    fn clip_with_constant_bounds_becomes_an_activation() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let lo = b.scalar("lo", 0.0);
        let hi = b.scalar("hi", 0.5);
        let c1 = b.op("relu6", Op::Clip { min: None, max: None }, &[x, lo, hi]);
        let c2 = b.op_opt("upper", Op::Clip { min: None, max: None }, &[Some(c1), None, Some(hi)]);
        let c3 = b.op("attr", Op::Clip { min: Some(-0.25), max: None }, &[c2]);
        b.output(c3);
        let after = check_pass(&b.finish(), run);
        let clips: Vec<_> = after
            .topo_order()
            .unwrap()
            .into_iter()
            .filter_map(|n| match after.node(n).op {
                Op::Unary(a) => Some((a, after.node(n).num_inputs)),
                _ => None,
            })
            .collect();
        assert_eq!(
            clips,
            [
                (Activation::Clip { min: 0.0, max: 0.5 }, 1),
                (Activation::Clip { min: f32::MIN, max: 0.5 }, 1),
                (Activation::Clip { min: -0.25, max: f32::MAX }, 1)
            ]
        );
    }

    #[test]
    fn clip_with_run_time_bounds_stays() {
        let mut b = Builder::new();
        let x = b.input("x", &[2]);
        let lo = b.input("lo", &[]);
        let y = b.op("y", Op::Clip { min: None, max: None }, &[x, lo]);
        b.output(y);
        let g = b.finish();
        let mut after = g.clone();
        run(&mut after, &crate::passes::testutil::target()).unwrap();
        assert_eq!(count_ops(&after, |op| matches!(op, Op::Clip { .. })), 1);
    }

    #[test]
    fn removes_neutral_arithmetic_without_broadcast_growth() {
        let mut b = Builder::new();
        let x = b.input("x", &[2, 3]);
        let r = b.op("r", relu(), &[x]);
        let zero = b.constant("zero", &[3], vec![0.0; 3]);
        let one = b.scalar("one", 1.0);
        let a1 = b.op("a1", Op::Binary(BinaryOp::Add), &[zero, r]);
        let a2 = b.op("a2", Op::Binary(BinaryOp::Sub), &[a1, zero]);
        let a3 = b.op("a3", Op::Binary(BinaryOp::Mul), &[one, a2]);
        let a4 = b.op("a4", Op::Binary(BinaryOp::Div), &[a3, one]);
        // Not neutral: 0 - x, x * 1 that broadcasts to a bigger shape.
        let a5 = b.op("a5", Op::Binary(BinaryOp::Sub), &[zero, a4]);
        let ones = b.constant("ones", &[4, 1, 1], vec![1.0; 4]);
        let a6 = b.op("a6", Op::Binary(BinaryOp::Mul), &[a5, ones]);
        b.output(a6);
        let after = check_pass(&b.finish(), run);
        assert_eq!(op_names(&after), ["Relu", "Sub", "Mul"]);
    }
}
