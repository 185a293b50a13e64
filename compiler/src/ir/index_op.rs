//! Typed indexing and data-movement operators that are not plain reshapes: gathers and
//! scatters, searches (ArgMax, TopK), scans (CumSum), masks (Trilu, Compress), generators
//! (Range, OneHot, EyeLike), block rearrangements (DepthToSpace) and shape queries (Size).
//!
//! They live in one [`IndexOp`] so the shared `Op` enum has a single arm for the family.

use super::attributes::{Attr, AttrValue};
use super::DType;
pub use onnxc_templates::generic::index::{Accumulate, ScatterReduction};

#[derive(Clone, Debug, PartialEq)]
pub enum IndexOp {
    /// Number of elements of the input (an i64 scalar), known from its shape.
    Size,
    /// Identity matrix shaped like the input, diagonal shifted by `k`.
    EyeLike { dtype: Option<DType>, k: i64 },
    /// start, limit, delta (scalars; the length must be known at compile time).
    Range,
    GatherElements { axis: i64 },
    /// ScatterElements, and Scatter (opset < 11) without reduction.
    ScatterElements { axis: i64, reduction: ScatterReduction },
    GatherNd { batch_dims: i64 },
    ScatterNd { reduction: ScatterReduction },
    /// ArgMax (`max`) or ArgMin.
    Arg { max: bool, axis: i64, keepdims: bool, select_last: bool },
    /// x, k (constant): values and indices.
    TopK { axis: i64, largest: bool },
    /// x, axis: CumSum, or CumProd when `product`.
    CumSum { exclusive: bool, reverse: bool, product: bool },
    /// x, optional k (constant).
    Trilu { upper: bool },
    /// indices, depth (constant), values `[off, on]`.
    OneHot { axis: i64 },
    DepthToSpace { blocksize: usize, crd: bool },
    SpaceToDepth { blocksize: usize, crd: bool },
    /// x, condition (constant); no axis: the flattened input.
    Compress { axis: Option<i64> },
    /// x, sequence_lens.
    ReverseSequence { batch_axis: i64, time_axis: i64 },
    /// x, shape (constant).
    CenterCropPad { axes: Option<Vec<i64>> },
    /// Opset < 13: `legacy` flattens at `axis` like old Softmax.
    Hardmax { axis: i64, legacy: bool },
    /// Indices of the non-zero elements; the input must be a compile-time constant.
    NonZero,
    /// Sum, Max, Min (more than two inputs) and Mean (`mean`: Sum divided by the count),
    /// with multidirectional broadcasting.
    Variadic { op: Accumulate, mean: bool },
    /// Determinants of the trailing square matrices.
    Det,
}

impl IndexOp {
    /// The ONNX op name.
    pub fn name(&self) -> &'static str {
        match self {
            IndexOp::Size => "Size",
            IndexOp::EyeLike { .. } => "EyeLike",
            IndexOp::Range => "Range",
            IndexOp::GatherElements { .. } => "GatherElements",
            IndexOp::ScatterElements { .. } => "ScatterElements",
            IndexOp::GatherNd { .. } => "GatherND",
            IndexOp::ScatterNd { .. } => "ScatterND",
            IndexOp::Arg { max: true, .. } => "ArgMax",
            IndexOp::Arg { max: false, .. } => "ArgMin",
            IndexOp::TopK { .. } => "TopK",
            IndexOp::CumSum { product: false, .. } => "CumSum",
            IndexOp::CumSum { product: true, .. } => "CumProd",
            IndexOp::Trilu { .. } => "Trilu",
            IndexOp::OneHot { .. } => "OneHot",
            IndexOp::DepthToSpace { .. } => "DepthToSpace",
            IndexOp::SpaceToDepth { .. } => "SpaceToDepth",
            IndexOp::Compress { .. } => "Compress",
            IndexOp::ReverseSequence { .. } => "ReverseSequence",
            IndexOp::CenterCropPad { .. } => "CenterCropPad",
            IndexOp::Hardmax { .. } => "Hardmax",
            IndexOp::NonZero => "NonZero",
            IndexOp::Det => "Det",
            IndexOp::Variadic { mean: true, .. } => "Mean",
            IndexOp::Variadic { op: Accumulate::Sum, .. } => "Sum",
            IndexOp::Variadic { op: Accumulate::Max, .. } => "Max",
            IndexOp::Variadic { op: Accumulate::Min, .. } => "Min",
        }
    }

    /// True when the outputs follow from the input shapes alone (folded even when the inputs'
    /// values are only known at run time).
    pub fn shape_only(&self) -> bool {
        matches!(self, IndexOp::Size | IndexOp::EyeLike { .. })
    }

    /// How many leading input slots must be filled.
    pub fn required_inputs(&self) -> usize {
        match self {
            IndexOp::Size | IndexOp::EyeLike { .. } | IndexOp::Arg { .. } | IndexOp::Hardmax { .. } | IndexOp::NonZero => 1,
            IndexOp::Variadic { .. } | IndexOp::Det => 1,
            IndexOp::DepthToSpace { .. } | IndexOp::SpaceToDepth { .. } | IndexOp::Trilu { .. } => 1,
            IndexOp::Range | IndexOp::ScatterElements { .. } | IndexOp::ScatterNd { .. } | IndexOp::OneHot { .. } => 3,
            _ => 2,
        }
    }

    /// The attributes for the dumps.
    pub fn attributes(&self) -> Vec<Attr> {
        use AttrValue::{Bool, Int, Ints, Str};
        let a = |key, value, default| Attr { key, value, default };
        let reduction = |r: &ScatterReduction| {
            let name = format!("{r:?}").trim_start_matches("ScatterReduction::").to_lowercase();
            a("reduction", Str(name), Some(Str("none".into())))
        };
        match self {
            IndexOp::Size | IndexOp::Range | IndexOp::NonZero | IndexOp::Variadic { .. } | IndexOp::Det => vec![],
            IndexOp::EyeLike { dtype, k } => {
                let mut v = vec![a("k", Int(*k), Some(Int(0)))];
                if let Some(d) = dtype {
                    v.push(a("dtype", Str(d.name().into()), None));
                }
                v
            }
            IndexOp::GatherElements { axis } => vec![a("axis", Int(*axis), Some(Int(0)))],
            IndexOp::ScatterElements { axis, reduction: r } => vec![a("axis", Int(*axis), Some(Int(0))), reduction(r)],
            IndexOp::GatherNd { batch_dims } => vec![a("batch_dims", Int(*batch_dims), Some(Int(0)))],
            IndexOp::ScatterNd { reduction: r } => vec![reduction(r)],
            IndexOp::Arg { axis, keepdims, select_last, .. } => vec![
                a("axis", Int(*axis), Some(Int(0))),
                a("keepdims", Bool(*keepdims), Some(Bool(true))),
                a("select_last_index", Bool(*select_last), Some(Bool(false))),
            ],
            IndexOp::TopK { axis, largest } => {
                vec![a("axis", Int(*axis), Some(Int(-1))), a("largest", Bool(*largest), Some(Bool(true)))]
            }
            IndexOp::CumSum { exclusive, reverse, .. } => vec![
                a("exclusive", Bool(*exclusive), Some(Bool(false))),
                a("reverse", Bool(*reverse), Some(Bool(false))),
            ],
            IndexOp::Trilu { upper } => vec![a("upper", Bool(*upper), Some(Bool(true)))],
            IndexOp::OneHot { axis } => vec![a("axis", Int(*axis), Some(Int(-1)))],
            IndexOp::DepthToSpace { blocksize, crd } => vec![
                a("blocksize", Int(*blocksize as i64), None),
                a("mode", Str(if *crd { "CRD" } else { "DCR" }.into()), Some(Str("DCR".into()))),
            ],
            IndexOp::SpaceToDepth { blocksize, crd } => vec![
                a("blocksize", Int(*blocksize as i64), None),
                a("mode", Str(if *crd { "CRD" } else { "DCR" }.into()), Some(Str("DCR".into()))),
            ],
            IndexOp::Compress { axis } => axis.iter().map(|&x| a("axis", Int(x), None)).collect(),
            IndexOp::ReverseSequence { batch_axis, time_axis } => vec![
                a("batch_axis", Int(*batch_axis), Some(Int(1))),
                a("time_axis", Int(*time_axis), Some(Int(0))),
            ],
            IndexOp::CenterCropPad { axes } => axes.iter().map(|x| a("axes", Ints(x.clone()), None)).collect(),
            IndexOp::Hardmax { axis, .. } => vec![a("axis", Int(*axis), None)],
        }
    }
}
