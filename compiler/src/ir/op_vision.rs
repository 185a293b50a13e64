//! Typed detection and feature-extraction operators: NonMaxSuppression and Unique (computed at
//! compile time: their output shapes depend on input values), RoiAlign, DeformConv,
//! AffineGrid and TfIdfVectorizer. They sit behind the single [`super::Op::Vision`] variant;
//! inference, lowering, evaluation and codegen for them live in their own `vision` files.

use super::attributes::{Attr, AttrValue};

/// ONNX `RoiAlign`, attributes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct RoiAlign {
    /// `coordinate_transformation_mode = half_pixel` (shift by half a pixel, no 1×1 minimum).
    pub half_pixel: bool,
    /// `mode = max` (otherwise `avg`).
    pub max: bool,
    pub output_height: usize,
    pub output_width: usize,
    /// Samples per bin and axis; 0 = adaptive (`ceil(roi size / output size)`).
    pub sampling_ratio: usize,
    pub spatial_scale: f32,
}

/// ONNX `DeformConv` (2-D), attributes resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct DeformConv {
    /// Kernel size; empty means "from the weight's shape".
    pub kernel: Vec<usize>,
    pub strides: Vec<usize>,
    pub dilations: Vec<usize>,
    /// Begin pads then end pads.
    pub pads: Vec<usize>,
    pub group: usize,
    pub offset_group: usize,
}

/// ONNX `TfIdfVectorizer` over integer n-grams, attributes checked.
#[derive(Clone, Debug, PartialEq)]
pub struct TfIdf {
    /// 0 TF, 1 IDF, 2 TFIDF.
    pub mode: u8,
    pub min_gram: usize,
    pub max_gram: usize,
    pub max_skip: usize,
    /// Start of the (i+1)-grams in `pool`.
    pub ngram_counts: Vec<i64>,
    /// Output column of each n-gram of the pool.
    pub ngram_indexes: Vec<i64>,
    pub pool: Vec<i64>,
    /// Per output column (empty: 1).
    pub weights: Vec<f32>,
}

/// A detection or feature-extraction operator (see the module docs).
#[derive(Clone, Debug, PartialEq)]
pub enum VisionOp {
    /// boxes, scores, max_output_boxes_per_class?, iou_threshold?, score_threshold? (all
    /// compile-time constants): selected_indices.
    NonMaxSuppression { center_point_box: bool },
    /// X (a compile-time constant): Y, indices?, inverse_indices?, counts?.
    Unique { axis: Option<i64>, sorted: bool },
    /// X, rois, batch_indices.
    RoiAlign(RoiAlign),
    /// X, W, offset, B?, mask?.
    DeformConv(DeformConv),
    /// theta, size (a compile-time constant).
    AffineGrid { align_corners: bool },
    /// X (int32 or int64).
    TfIdf(TfIdf),
}

impl VisionOp {
    /// The ONNX operator name.
    pub fn name(&self) -> &'static str {
        match self {
            VisionOp::NonMaxSuppression { .. } => "NonMaxSuppression",
            VisionOp::Unique { .. } => "Unique",
            VisionOp::RoiAlign(_) => "RoiAlign",
            VisionOp::DeformConv(_) => "DeformConv",
            VisionOp::AffineGrid { .. } => "AffineGrid",
            VisionOp::TfIdf(_) => "TfIdfVectorizer",
        }
    }

    /// How many leading input slots must be filled.
    pub fn required_inputs(&self) -> usize {
        match self {
            VisionOp::Unique { .. } | VisionOp::TfIdf(_) => 1,
            VisionOp::NonMaxSuppression { .. } | VisionOp::AffineGrid { .. } => 2,
            VisionOp::RoiAlign(_) | VisionOp::DeformConv(_) => 3,
        }
    }

    /// The attributes for the dumps.
    pub fn attributes(&self) -> Vec<Attr> {
        use AttrValue::{Bool, Float, Int, Ints, Str};
        let a = |key, value, default| Attr { key, value, default };
        let ints = |v: &[usize]| Ints(v.iter().map(|&x| x as i64).collect());
        match self {
            VisionOp::NonMaxSuppression { center_point_box } => {
                vec![a("center_point_box", Bool(*center_point_box), Some(Bool(false)))]
            }
            VisionOp::Unique { axis, sorted } => {
                let mut v = vec![a("sorted", Bool(*sorted), Some(Bool(true)))];
                v.extend(axis.map(|x| a("axis", Int(x), None)));
                v
            }
            VisionOp::RoiAlign(r) => vec![
                a("coordinate_transformation_mode", Str(if r.half_pixel { "half_pixel" } else { "output_half_pixel" }.into()), None),
                a("mode", Str(if r.max { "max" } else { "avg" }.into()), Some(Str("avg".into()))),
                a("output_height", Int(r.output_height as i64), Some(Int(1))),
                a("output_width", Int(r.output_width as i64), Some(Int(1))),
                a("sampling_ratio", Int(r.sampling_ratio as i64), Some(Int(0))),
                a("spatial_scale", Float(r.spatial_scale), Some(Float(1.0))),
            ],
            VisionOp::DeformConv(d) => vec![
                a("kernel_shape", ints(&d.kernel), None),
                a("strides", ints(&d.strides), None),
                a("dilations", ints(&d.dilations), None),
                a("pads", ints(&d.pads), None),
                a("group", Int(d.group as i64), Some(Int(1))),
                a("offset_group", Int(d.offset_group as i64), Some(Int(1))),
            ],
            VisionOp::AffineGrid { align_corners } => vec![a("align_corners", Bool(*align_corners), Some(Bool(false)))],
            VisionOp::TfIdf(t) => vec![
                a("mode", Str(["TF", "IDF", "TFIDF"].get(usize::from(t.mode)).copied().unwrap_or("TF").into()), None),
                a("min_gram_length", Int(t.min_gram as i64), None),
                a("max_gram_length", Int(t.max_gram as i64), None),
                a("max_skip_count", Int(t.max_skip as i64), None),
                a("ngram_counts", Ints(t.ngram_counts.clone()), None),
                a("ngram_indexes", Ints(t.ngram_indexes.clone()), None),
                a("pool_int64s", Ints(t.pool.clone()), None),
            ],
        }
    }
}
