//! Lowering of the signal ops ([`SignalOp`]) to the `einsum` and `signal` kernels.

use crate::error::{Error, Result};
use crate::ir::infer::signal::{dft_geometry, einsum_plan, scalar_value, stft_geometry, tensor_scatter_geometry};
use crate::ir::infer::Inputs;
use crate::ir::signal_op::SignalOp;
use crate::ir::{DType, ValueInfo};
use onnxc_templates::generic::einsum::{EinsumParams, MAX_EINSUM_LABELS, MAX_EINSUM_OPERANDS};
use onnxc_templates::generic::real::FloatKind;
use onnxc_templates::generic::signal as s;

/// The kernels of the signal family. Inputs are passed in slot order; inputs that only carry
/// compile-time values (DFT's length and axis, STFT's frame step, the window sizes) are not.
#[derive(Clone, Debug, PartialEq)]
pub enum SignalKernel {
    /// All operands; `half` is set for f16/bf16 elements.
    Einsum(Box<EinsumParams>, Option<FloatKind>),
    /// x.
    Dft(s::DftParams),
    /// signal, window (slot 2) when the flag is set.
    Stft(s::StftParams, bool),
    /// No inputs; the output type (f32 and f64 are written directly, others cast from f64).
    Window(s::WindowParams, DType),
    /// No inputs (every input is a compile-time constant); the output type as for windows.
    Mel(s::MelParams, DType),
    /// cache, update, write_indices (slot 2) if present.
    TensorScatter(s::TensorScatterParams),
}

/// Chooses the kernel of a signal op.
pub fn lower(op: &SignalOp, ins: &Inputs, outputs: &[ValueInfo]) -> Result<SignalKernel> {
    let out = outputs.first().ok_or_else(|| Error::internal("node without outputs"))?;
    Ok(match op {
        SignalOp::Einsum(eq) => {
            let plan = einsum_plan(eq, ins)?;
            let mut p = EinsumParams {
                operands: eq.inputs.len(),
                labels: plan.dims.len(),
                out_labels: plan.out_labels,
                dims: [1; MAX_EINSUM_LABELS],
                strides: [[0; MAX_EINSUM_OPERANDS]; MAX_EINSUM_LABELS],
                lens: [0; MAX_EINSUM_OPERANDS],
            };
            p.dims[..plan.dims.len()].copy_from_slice(&plan.dims);
            for (dst, src) in p.strides.iter_mut().zip(&plan.strides) {
                dst[..src.len()].copy_from_slice(src);
            }
            p.lens[..plan.lens.len()].copy_from_slice(&plan.lens);
            let half = match out.dtype {
                DType::F16 => Some(FloatKind::F16),
                DType::BF16 => Some(FloatKind::BF16),
                _ => None,
            };
            SignalKernel::Einsum(Box::new(p), half)
        }
        SignalOp::Dft { inverse, .. } => {
            let g = dft_geometry(op, ins)?;
            SignalKernel::Dft(s::DftParams {
                outer: g.outer,
                len_in: g.len_in,
                inner: g.inner,
                c_in: g.c_in,
                n: g.n,
                len_out: g.len_out,
                inverse: *inverse,
                real_output: g.real_output,
            })
        }
        SignalOp::Stft { onesided } => {
            let (frame_step, frame_len, frames, bins) = stft_geometry(*onesided, ins)?;
            let x = &ins.infos.first().copied().flatten().ok_or_else(|| Error::internal("STFT without signal"))?.shape;
            let p = s::StftParams { batch: x[0], signal_len: x[1], c_in: x[2], frames, frame_step, frame_len, bins };
            SignalKernel::Stft(p, ins.infos.get(2).copied().flatten().is_some())
        }
        SignalOp::Window { kind, periodic, .. } => {
            let (a0, a1, a2) = kind.coefficients();
            SignalKernel::Window(s::WindowParams { size: out.shape[0], periodic: *periodic, a0, a1, a2 }, out.dtype)
        }
        SignalOp::MelWeightMatrix { .. } => {
            let num_mel_bins = out.shape[1];
            let dft_length = scalar_value(ins, 1, "dft_length")? as usize;
            let sample_rate = scalar_value(ins, 2, "sample_rate")?;
            if sample_rate <= 0.0 {
                return Err(Error::invalid(format!("sample_rate {sample_rate} must be positive")));
            }
            let (lower_hz, upper_hz) = (scalar_value(ins, 3, "lower_edge_hertz")?, scalar_value(ins, 4, "upper_edge_hertz")?);
            SignalKernel::Mel(s::MelParams { num_mel_bins, dft_length, sample_rate, lower_hz, upper_hz }, out.dtype)
        }
        SignalOp::TensorScatter { axis, circular } => {
            let (_, batch, mid, max_len, len, inner) = tensor_scatter_geometry(*axis, ins)?;
            SignalKernel::TensorScatter(s::TensorScatterParams { batch, mid, max_len, len, inner, circular: *circular })
        }
    })
}
