//! Inference rules of the channels-last ops ([`LayoutOp`]): their parameters are final, so the
//! rules check the inputs against them and read the output shape off them.

use super::rules::Inputs;
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::op_layout::LayoutOp;
use crate::ir::DType;
use onnxc_templates::generic::conv_nhwc::packed_weight_len;
use onnxc_templates::generic::expand_depthwise::{band_len, chains};

pub(super) fn infer(op: &LayoutOp, inputs: &Inputs) -> Result<Inferred> {
    match op {
        LayoutOp::Conv(p) | LayoutOp::Dense(p) => {
            let c = &p.conv;
            let x = inputs.shape(0)?;
            let want = [c.batch, c.in_h, c.in_w, c.in_channels];
            if x != want {
                return Err(Error::invalid(format!("channels-last Conv input {x:?} should be {want:?}")));
            }
            let w = inputs.shape(1)?;
            if w != [packed_weight_len(p)] {
                return Err(Error::invalid(format!("packed weights {w:?} should hold {} floats", packed_weight_len(p))));
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
            Ok(vec![(DType::F32, out)])
        }
        LayoutOp::ExpandDepthwise(p) => {
            let (e, d) = (&p.expand.conv, &p.depthwise.conv);
            if !chains(p) {
                return Err(Error::invalid(format!("expansion {e:?} and depthwise {d:?} do not chain")));
            }
            check_input(inputs, &[e.batch, e.in_h, e.in_w, e.in_channels])?;
            let weights = [(1, packed_weight_len(&p.expand)), (3, packed_weight_len(&p.depthwise))];
            for (slot, len) in weights {
                if !inputs.present(slot) || inputs.shape(slot)? != [len] {
                    return Err(Error::invalid(format!("packed weights in slot {slot} should hold {len} floats")));
                }
            }
            for slot in [2, 4] {
                if inputs.present(slot) && inputs.shape(slot)? != [e.out_channels] {
                    return Err(Error::invalid(format!("bias {:?} should be [{}]", inputs.shape(slot)?, e.out_channels)));
                }
            }
            for i in 1..5 {
                if inputs.present(i) && inputs.dtype(i)? != DType::F32 {
                    return Err(Error::invalid(format!("expansion + depthwise input {i} is {}, not f32", inputs.dtype(i)?)));
                }
            }
            Ok(vec![(DType::F32, vec![d.batch, d.out_h, d.out_w, d.out_channels]), (DType::F32, vec![band_len(p)])])
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
