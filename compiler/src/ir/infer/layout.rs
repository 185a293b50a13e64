//! Inference rules of the channels-last ops ([`LayoutOp`]): their parameters are final, so the
//! rules check the inputs against them and read the output shape off them.

use super::rules::Inputs;
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::op_layout::LayoutOp;
use crate::ir::DType;
use onnxc_templates::generic::conv_nhwc::{packed_weight_len, ConvNhwcParams};
use onnxc_templates::generic::depthwise_block::{band_len, chains};
use onnxc_templates::generic::winograd::{packed_len, scratch_len, winograd_supported};

pub(super) fn infer(op: &LayoutOp, inputs: &Inputs) -> Result<Inferred> {
    match op {
        LayoutOp::Winograd(p) => {
            if !winograd_supported(&p.conv.conv) || p.block_tiles == 0 {
                return Err(Error::invalid(format!("Winograd F(2x2, 3x3) does not compute {p:?}")));
            }
            // Checked as the Conv it is, with `U` in the weights' slot.
            let conv = infer_conv(&p.conv, packed_len(p), inputs)?;
            Ok(vec![conv, (DType::F32, vec![scratch_len(p)])])
        }
        LayoutOp::Conv(p) | LayoutOp::Dense(p) => Ok(vec![infer_conv(p, packed_weight_len(p), inputs)?]),
        LayoutOp::DepthwiseBlock(p) => {
            let d = &p.depthwise.conv;
            if !chains(p) {
                return Err(Error::invalid(format!("the convolutions of depthwise block {p:?} do not chain")));
            }
            let (c, h, w) = p.expand.map_or((d.in_channels, d.in_h, d.in_w), |e| (e.conv.in_channels, e.conv.in_h, e.conv.in_w));
            check_input(inputs, &[d.batch, h, w, c])?;
            let m = p.project.map_or(d.out_channels, |q| q.conv.out_channels);
            let out = vec![d.batch, d.out_h, d.out_w, m];
            // Slots: (weights, bias) of each step; a step's weights are there iff it is.
            for (step, w, b) in [(p.expand, 1, 2), (Some(p.depthwise), 3, 4), (p.project, 5, 6)] {
                let want = step.map(|q| (packed_weight_len(&q), q.conv.out_channels));
                match want {
                    Some((len, _)) if !inputs.present(w) || inputs.shape(w)? != [len] => {
                        return Err(Error::invalid(format!("packed weights in slot {w} should hold {len} floats")));
                    }
                    Some((_, channels)) if inputs.present(b) && inputs.shape(b)? != [channels] => {
                        return Err(Error::invalid(format!("bias {:?} should be [{channels}]", inputs.shape(b)?)));
                    }
                    None if inputs.present(w) || inputs.present(b) => {
                        return Err(Error::invalid(format!("slots {w} and {b} belong to a step this block does not have")));
                    }
                    _ => {}
                }
            }
            if inputs.present(7) && (p.project.is_none() || inputs.shape(7)? != out.as_slice()) {
                return Err(Error::invalid(format!("residual {:?} should be {out:?}, after a projection", inputs.shape(7)?)));
            }
            for i in 1..8 {
                if inputs.present(i) && inputs.dtype(i)? != DType::F32 {
                    return Err(Error::invalid(format!("depthwise block input {i} is {}, not f32", inputs.dtype(i)?)));
                }
            }
            Ok(vec![(DType::F32, out), (DType::F32, vec![band_len(p)])])
        }
        LayoutOp::Pool(_, p) => {
            let want = [p.batch, p.in_h, p.in_w, p.channels];
            check_input(inputs, &want)?;
            Ok(vec![(DType::F32, vec![p.batch, p.out_h, p.out_w, p.channels])])
        }
        LayoutOp::GlobalPool(_, p) => {
            let x = inputs.shape(0)?;
            if x.len() != 4 || x[0] != p.batch || x[1] * x[2] != p.spatial || x[3] != p.channels {
                return Err(Error::invalid(format!("channels-last global pool input {x:?} does not match {p:?}")));
            }
            check_input(inputs, x)?;
            Ok(vec![(DType::F32, vec![p.batch, 1, 1, p.channels])])
        }
    }
}

/// Input 0 must have shape `want` and be f32.
fn check_input(inputs: &Inputs, want: &[usize]) -> Result<()> {
    let x = inputs.shape(0)?;
    if x != want {
        return Err(Error::invalid(format!("channels-last pool input {x:?} should be {want:?}")));
    }
    if inputs.dtype(0)? != DType::F32 {
        return Err(Error::invalid(format!("channels-last pool input is {}, not f32", inputs.dtype(0)?)));
    }
    Ok(())
}

/// Checks a channels-last Conv's inputs (x, `weights` packed floats, bias, residual) against
/// its parameters; returns its output.
fn infer_conv(p: &ConvNhwcParams, weights: usize, inputs: &Inputs) -> Result<(DType, Vec<usize>)> {
    let c = &p.conv;
    let x = inputs.shape(0)?;
        let want = [c.batch, c.in_h, c.in_w, c.in_channels];
        if x != want {
            return Err(Error::invalid(format!("channels-last Conv input {x:?} should be {want:?}")));
        }
        let w = inputs.shape(1)?;
        if w != [weights] {
            return Err(Error::invalid(format!("packed weights {w:?} should hold {weights} floats")));
        }
        if inputs.present(2) && inputs.shape(2)? != [c.out_channels] {
            return Err(Error::invalid(format!("bias {:?} should be [{}]", inputs.shape(2)?, c.out_channels)));
        }
        let out = vec![c.batch, c.out_h, c.out_w, c.out_channels];
        if inputs.present(3) && inputs.shape(3)? != out.as_slice() {
            return Err(Error::invalid(format!("residual {:?} should be {out:?}", inputs.shape(3)?)));
        }
        for i in 0..4 {
            if inputs.present(i) && inputs.dtype(i)? != DType::F32 {
                return Err(Error::invalid(format!("channels-last Conv input {i} is {}, not f32", inputs.dtype(i)?)));
            }
        }
        Ok((DType::F32, out))
}
