//! Converters for RNN, GRU and LSTM.

use super::{unsupported, Lowered, NodeCtx};
use crate::error::{Error, Result};
use crate::ir::op_nn::{NnOp, Recurrent};
use crate::ir::Op;
use onnxc_templates::generic::rnn::RnnAct;

/// An activation by its ONNX name, with the spec's default alpha and beta.
fn activation(name: &str, alpha: Option<f32>, beta: Option<f32>) -> Result<RnnAct> {
    let (kind, a, b) = match name {
        "Sigmoid" => (0, 0.0, 0.0),
        "Tanh" => (1, 0.0, 0.0),
        "Relu" => (2, 0.0, 0.0),
        "HardSigmoid" => (3, 0.2, 0.5),
        "LeakyRelu" => (4, 0.01, 0.0),
        "ThresholdedRelu" => (5, 1.0, 0.0),
        "ScaledTanh" => (6, 1.0, 1.0),
        "Affine" => (7, 1.0, 0.0),
        "Elu" => (8, 1.0, 0.0),
        "Softsign" => (9, 0.0, 0.0),
        "Softplus" => (10, 0.0, 0.0),
        other => return Err(unsupported(format!("activation {other:?} is not supported"))),
    };
    Ok(RnnAct { kind, alpha: alpha.unwrap_or(a), beta: beta.unwrap_or(b) })
}

/// RNN, GRU and LSTM.
pub(super) fn recurrent(ctx: &NodeCtx) -> Result<Lowered> {
    let a = &ctx.attrs;
    let (cell, defaults, max_inputs, max_outputs): (u8, &[&str], usize, usize) = match ctx.node.op_type.as_str() {
        "RNN" => (0, &["Tanh"], 6, 2),
        "GRU" => (1, &["Sigmoid", "Tanh"], 6, 2),
        _ => (2, &["Sigmoid", "Tanh", "Tanh"], 8, 3),
    };
    ctx.expect_inputs(3, max_inputs)?;
    ctx.expect_outputs(1, max_outputs)?;
    let (directions, reverse) = match a.string_or("direction", "forward")? {
        "forward" => (1, false),
        "reverse" => (1, true),
        "bidirectional" => (2, false),
        other => return Err(Error::invalid(format!("unknown direction {other:?}"))),
    };
    let hidden = a.int("hidden_size")?.ok_or_else(|| Error::invalid("attribute 'hidden_size' is required"))?;
    let hidden = usize::try_from(hidden).ok().filter(|&h| h >= 1).ok_or_else(|| Error::invalid("hidden_size must be ≥ 1"))?;
    let list = activation_names(ctx)?;
    let alphas = a.floats("activation_alpha")?.unwrap_or_default();
    let betas = a.floats("activation_beta")?.unwrap_or_default();
    let per_dir = defaults.len();
    let mut acts = [RnnAct { kind: 0, alpha: 0.0, beta: 0.0 }; 6];
    for d in 0..directions {
        for j in 0..per_dir {
            let i = d * per_dir + j;
            let name = list.as_ref().and_then(|l| l.get(i)).map(String::as_str).unwrap_or(defaults[j]);
            acts[d * 3 + j] = activation(name, alphas.get(i).copied(), betas.get(i).copied())?;
        }
    }
    if cell == 2 && ctx.opset >= 7 && a.bool_or("input_forget", false)? {
        return Err(unsupported("input_forget = 1 is not supported"));
    }
    let linear_before_reset = cell == 1 && a.bool_or("linear_before_reset", false)?;
    let batch_major = ctx.opset >= 14 && a.bool_or("layout", false)?;
    let clip = a.float_or("clip", 0.0)?;
    let op = Recurrent { cell, hidden, directions, reverse, batch_major, clip, linear_before_reset, acts };
    Ok(ctx.lowered(Op::Nn(NnOp::Recurrent(op))))
}

/// The `activations` strings, if given.
fn activation_names(ctx: &NodeCtx) -> Result<Option<Vec<String>>> {
    match ctx.node.attribute.iter().find(|at| at.name == "activations") {
        None => Ok(None),
        Some(at) => {
            ctx.attrs.ignore("activations");
            at.strings
                .iter()
                .map(|s| String::from_utf8(s.clone()).map_err(|_| Error::invalid("activations must be UTF-8")))
                .collect::<Result<Vec<_>>>()
                .map(Some)
        }
    }
}
