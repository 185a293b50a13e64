//! Inference rules of the channels-last ops ([`LayoutOp`]): their parameters are final, so the
//! rules check the inputs against them and read the output shape off them.

use super::rules::Inputs;
use super::Inferred;
use crate::error::{Error, Result};
use crate::ir::op_layout::LayoutOp;
use crate::ir::DType;
use onnxc_templates::generic::conv_nhwc::packed_weight_len;

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
    }
}
