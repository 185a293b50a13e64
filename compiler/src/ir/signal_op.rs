//! Typed signal-processing and contraction operators: Einsum, DFT, STFT, the window generators,
//! MelWeightMatrix and TensorScatter. They live in one [`SignalOp`] so the shared `Op` enum has
//! a single arm for the family.

use super::attributes::{Attr, AttrValue};
use super::DType;

/// One subscript of an Einsum term.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subscript {
    /// A letter (`a-z`, `A-Z`).
    Label(u8),
    /// `...`: the dims not named by letters (broadcast across operands).
    Ellipsis,
}

/// An Einsum equation, parsed at import.
#[derive(Clone, Debug, PartialEq)]
pub struct EinsumEquation {
    /// The equation as written.
    pub text: String,
    /// One term per operand.
    pub inputs: Vec<Vec<Subscript>>,
    /// The explicit output (after `->`); `None` in implicit mode.
    pub output: Option<Vec<Subscript>>,
}

/// The cosine-sum windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowKind {
    Hann,
    Hamming,
    Blackman,
}

impl WindowKind {
    /// `(a0, a1, a2)` of `a0 - a1·cos(2πk/N) + a2·cos(4πk/N)`.
    pub fn coefficients(self) -> (f64, f64, f64) {
        match self {
            WindowKind::Hann => (0.5, 0.5, 0.0),
            WindowKind::Hamming => (25.0 / 46.0, 21.0 / 46.0, 0.0),
            WindowKind::Blackman => (0.42, 0.5, 0.08),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SignalOp {
    /// Operands 0..n.
    Einsum(EinsumEquation),
    /// input, optional dft_length, optional axis (opset ≥ 20; `axis` holds the opset-17 attribute).
    Dft { inverse: bool, onesided: bool, axis: Option<i64> },
    /// signal, frame_step, optional window, optional frame_length.
    Stft { onesided: bool },
    /// size → window of `dtype`.
    Window { kind: WindowKind, periodic: bool, dtype: DType },
    /// num_mel_bins, dft_length, sample_rate, lower_edge_hertz, upper_edge_hertz.
    MelWeightMatrix { dtype: DType },
    /// past_cache, update, optional write_indices.
    TensorScatter { axis: i64, circular: bool },
}

impl SignalOp {
    /// The ONNX op name.
    pub fn name(&self) -> &'static str {
        match self {
            SignalOp::Einsum(_) => "Einsum",
            SignalOp::Dft { .. } => "DFT",
            SignalOp::Stft { .. } => "STFT",
            SignalOp::Window { kind: WindowKind::Hann, .. } => "HannWindow",
            SignalOp::Window { kind: WindowKind::Hamming, .. } => "HammingWindow",
            SignalOp::Window { kind: WindowKind::Blackman, .. } => "BlackmanWindow",
            SignalOp::MelWeightMatrix { .. } => "MelWeightMatrix",
            SignalOp::TensorScatter { .. } => "TensorScatter",
        }
    }

    /// How many leading input slots must be filled.
    pub fn required_inputs(&self) -> usize {
        match self {
            SignalOp::Einsum(e) => e.inputs.len(),
            SignalOp::Dft { .. } | SignalOp::Window { .. } => 1,
            SignalOp::Stft { .. } | SignalOp::TensorScatter { .. } => 2,
            SignalOp::MelWeightMatrix { .. } => 5,
        }
    }

    /// True when the outputs follow from the input shapes alone.
    pub fn shape_only(&self) -> bool {
        false
    }

    /// The attributes for the dumps.
    pub fn attributes(&self) -> Vec<Attr> {
        use AttrValue::{Bool, Int, Str};
        let a = |key, value, default| Attr { key, value, default };
        match self {
            SignalOp::Einsum(e) => vec![a("equation", Str(e.text.clone()), None)],
            SignalOp::Dft { inverse, onesided, axis } => {
                let mut v = vec![a("inverse", Bool(*inverse), Some(Bool(false))), a("onesided", Bool(*onesided), Some(Bool(false)))];
                v.extend(axis.map(|x| a("axis", Int(x), Some(Int(1)))));
                v
            }
            SignalOp::Stft { onesided } => vec![a("onesided", Bool(*onesided), Some(Bool(true)))],
            SignalOp::Window { periodic, dtype, .. } => vec![
                a("periodic", Bool(*periodic), Some(Bool(true))),
                a("output_datatype", Str(dtype.name().into()), Some(Str("f32".into()))),
            ],
            SignalOp::MelWeightMatrix { dtype } => {
                vec![a("output_datatype", Str(dtype.name().into()), Some(Str("f32".into())))]
            }
            SignalOp::TensorScatter { axis, circular } => vec![
                a("axis", Int(*axis), Some(Int(-2))),
                a("mode", Str(if *circular { "circular" } else { "linear" }.into()), Some(Str("linear".into()))),
            ],
        }
    }
}
