//! Evaluation of the vision ops: NonMaxSuppression and Unique directly (compile time only: their
//! output shapes depend on their input values), the others through their [`VisionKernel`]s.

use super::nn::Slice;
use crate::error::{Error, Result};
use crate::ir::op_vision::VisionOp;
use crate::ir::{Data, Tensor, ValueInfo};
use crate::lower::vision::{VisionKernel, VisionKernelKind};
use onnxc_templates::generic as k;
use std::cmp::Ordering;

/// The outputs of an op computed from constant values alone; `None` for kernel ops.
pub(super) fn eval_special(op: &VisionOp, inputs: &[Option<&ValueInfo>], values: &[Option<&Tensor>], outputs: usize) -> Result<Option<Vec<Tensor>>> {
    let present = |i: usize| inputs.get(i).copied().flatten().is_some();
    Ok(Some(match op {
        VisionOp::NonMaxSuppression { center_point_box } => {
            let values = crate::ir::infer::vision::constant_inputs("NonMaxSuppression", values, present, "its inputs'")?;
            vec![nms(*center_point_box, &values)?]
        }
        VisionOp::Unique { axis, sorted } => {
            let values = crate::ir::infer::vision::constant_inputs("Unique", values, present, "its input's")?;
            let x = values.first().copied().flatten().ok_or_else(|| Error::invalid("input 0 is required"))?;
            let mut all = unique(x, *axis, *sorted)?;
            all.truncate(outputs.max(1));
            all
        }
        _ => return Ok(None),
    }))
}

/// Float arithmetic NMS runs in (that of the boxes).
trait Float: Copy + PartialOrd + std::ops::Add<Output = Self> + std::ops::Sub<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Div<Output = Self> {
    const ZERO: Self;
    const TWO: Self;
    fn is_nan(self) -> bool;
}
impl Float for f32 {
    const ZERO: f32 = 0.0;
    const TWO: f32 = 2.0;
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}
impl Float for f64 {
    const ZERO: f64 = 0.0;
    const TWO: f64 = 2.0;
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

/// `(min, max)` of the box's extent along one axis: corners `[y1, x1, y2, x2]` (in any order) or
/// `[x_center, y_center, width, height]`.
fn extent<F: Float>(b: &[F], axis: usize, center: bool) -> (F, F) {
    if center {
        let (c, half) = (b[1 - axis], b[3 - axis] / F::TWO);
        (c - half, c + half)
    } else {
        let (p, q) = (b[axis], b[axis + 2]);
        if p <= q {
            (p, q)
        } else {
            (q, p)
        }
    }
}

/// True when the IoU of two boxes exceeds the threshold.
fn overlaps<F: Float>(a: &[F], b: &[F], center: bool, threshold: F) -> bool {
    let max = |p: F, q: F| if p >= q { p } else { q };
    let min = |p: F, q: F| if p <= q { p } else { q };
    let mut inter = [F::ZERO; 2];
    let mut areas = [F::ZERO; 2];
    for (axis, slot) in inter.iter_mut().enumerate() {
        let ((a0, a1), (b0, b1)) = (extent(a, axis, center), extent(b, axis, center));
        let (lo, hi) = (max(a0, b0), min(a1, b1));
        if hi <= lo {
            return false;
        }
        *slot = hi - lo;
        areas[0] = if axis == 0 { a1 - a0 } else { areas[0] * (a1 - a0) };
        areas[1] = if axis == 0 { b1 - b0 } else { areas[1] * (b1 - b0) };
    }
    let inter = inter[0] * inter[1];
    let union = areas[0] + areas[1] - inter;
    if inter <= F::ZERO || areas[0] <= F::ZERO || areas[1] <= F::ZERO || union <= F::ZERO {
        return false;
    }
    inter / union > threshold
}

/// Greedy selection over `[batch, classes, boxes]` scores: `[selected, 3]` (batch, class, box).
fn nms_core<F: Float>(boxes: &[F], scores: &[F], dims: [usize; 3], center: bool, max_out: usize, iou: F, score: Option<F>) -> Vec<i64> {
    let [batches, classes, count] = dims;
    let mut out = Vec::new();
    for b in 0..batches {
        let batch_boxes = &boxes[b * count * 4..(b + 1) * count * 4];
        for c in 0..classes {
            let s = &scores[(b * classes + c) * count..(b * classes + c + 1) * count];
            let mut candidates: Vec<usize> = (0..count).filter(|&i| !s[i].is_nan() && score.is_none_or(|t| s[i] > t)).collect();
            // Highest score first; equal scores by box index (NaN scores are never selected).
            candidates.sort_by(|&i, &j| s[j].partial_cmp(&s[i]).unwrap_or(Ordering::Equal).then(i.cmp(&j)));
            let mut kept: Vec<usize> = Vec::new();
            for i in candidates {
                if kept.len() >= max_out {
                    break;
                }
                let bi = &batch_boxes[i * 4..i * 4 + 4];
                if kept.iter().all(|&j| !overlaps(bi, &batch_boxes[j * 4..j * 4 + 4], center, iou)) {
                    kept.push(i);
                    out.extend([b as i64, c as i64, i as i64]);
                }
            }
        }
    }
    out
}

/// ONNX NonMaxSuppression on constant inputs (boxes, scores, max_output_boxes_per_class?,
/// iou_threshold?, score_threshold?).
pub fn nms(center: bool, values: &[Option<&Tensor>]) -> Result<Tensor> {
    let get = |i: usize| values.get(i).copied().flatten();
    let (boxes, scores) = match (get(0), get(1)) {
        (Some(b), Some(s)) => (b, s),
        _ => return Err(Error::invalid("NonMaxSuppression needs boxes and scores")),
    };
    let dims = match (boxes.shape.as_slice(), scores.shape.as_slice()) {
        ([b, n, 4], [b2, c, n2]) if b == b2 && n == n2 => [*b, *c, *n],
        (x, y) => return Err(Error::invalid(format!("boxes {x:?} and scores {y:?} must be [B, N, 4] and [B, C, N]"))),
    };
    let max_out = match get(2).map(|t| t.to_i64_vec().ok_or_else(|| Error::invalid("max_output_boxes_per_class must be an integer"))).transpose()? {
        Some(v) => v.first().map_or(0, |&m| usize::try_from(m.max(0)).unwrap_or(usize::MAX)),
        None => 0,
    };
    let scalar = |i: usize, what: &str| -> Result<Option<f64>> {
        match get(i) {
            None => Ok(None),
            Some(t) => match &t.data {
                Data::F64(v) => Ok(v.first().copied()),
                _ => Ok(t.to_f32_vec().ok_or_else(|| Error::invalid(format!("{what} must be a float")))?.first().map(|&x| f64::from(x))),
            },
        }
    };
    let iou = scalar(3, "iou_threshold")?.unwrap_or(0.0);
    let score = scalar(4, "score_threshold")?;
    let selected = match (&boxes.data, &scores.data) {
        (Data::F64(b), Data::F64(s)) => nms_core(b, s, dims, center, max_out, iou, score),
        _ => {
            let float = |t: &Tensor| t.to_f32_vec().ok_or_else(|| Error::unsupported(format!("NonMaxSuppression on {} data", t.dtype())));
            let (b, s) = (float(boxes)?, float(scores)?);
            nms_core(&b, &s, dims, center, max_out, iou as f32, score.map(|t| t as f32))
        }
    };
    Tensor::from_i64(vec![selected.len() / 3, 3], selected)
}

/// Stable-sorts the slices `0..n` (each `len` keys, slice `j`'s `t`-th at `key_at(j, t)`) and
/// groups equal ones: (first occurrence of each group in output order, group of each slice,
/// size of each group).
fn group_slices<K>(n: usize, len: usize, key_at: impl Fn(usize, usize) -> K, cmp: impl Fn(&K, &K) -> Ordering, sorted: bool) -> (Vec<usize>, Vec<usize>, Vec<usize>) {
    let compare = |&a: &usize, &b: &usize| -> Ordering {
        (0..len).map(|t| cmp(&key_at(a, t), &key_at(b, t))).find(|o| o.is_ne()).unwrap_or(Ordering::Equal)
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(compare);
    let mut group_of = vec![0usize; n];
    let mut firsts: Vec<usize> = Vec::new();
    let mut counts: Vec<usize> = Vec::new();
    for (pos, &j) in order.iter().enumerate() {
        if pos == 0 || compare(&order[pos - 1], &j).is_ne() {
            firsts.push(j);
            counts.push(0);
        }
        group_of[j] = firsts.len() - 1;
        if let Some(c) = counts.last_mut() {
            *c += 1;
        }
    }
    if !sorted {
        // Groups in order of first occurrence.
        let mut by_first: Vec<usize> = (0..firsts.len()).collect();
        by_first.sort_by_key(|&g| firsts[g]);
        let mut rank = vec![0usize; firsts.len()];
        for (r, &g) in by_first.iter().enumerate() {
            rank[g] = r;
        }
        firsts = by_first.iter().map(|&g| firsts[g]).collect();
        counts = by_first.iter().map(|&g| counts[g]).collect();
        group_of.iter_mut().for_each(|g| *g = rank[*g]);
    }
    (firsts, group_of, counts)
}

/// A float key with one zero and one NaN, so `total_cmp` groups like NumPy's `unique`.
fn float_key(x: f64) -> f64 {
    if x.is_nan() {
        f64::NAN
    } else {
        x + 0.0
    }
}

/// ONNX Unique on a constant tensor: Y, indices, inverse_indices, counts.
pub fn unique(x: &Tensor, axis: Option<i64>, sorted: bool) -> Result<Vec<Tensor>> {
    let (outer, n, inner, axis) = match axis {
        None => (1, x.len(), 1, None),
        Some(a) => {
            let a = crate::ir::infer::normalize_axis(a, x.shape.len())?;
            (x.shape[..a].iter().product(), x.shape[a], x.shape[a + 1..].iter().product(), Some(a))
        }
    };
    let len = outer * inner;
    let flat = |j: usize, t: usize| (t / inner.max(1) * n + j) * inner + t % inner.max(1);
    let (firsts, group_of, counts) = match &x.data {
        Data::F32(_) | Data::F64(_) | Data::F16(_) | Data::BF16(_) => {
            let keys: Vec<f64> = match &x.data {
                Data::F64(v) => v.iter().map(|&v| float_key(v)).collect(),
                _ => x.to_f32_vec().unwrap_or_default().into_iter().map(|v| float_key(f64::from(v))).collect(),
            };
            group_slices(n, len, |j, t| keys[flat(j, t)], f64::total_cmp, sorted)
        }
        Data::U64(v) => group_slices(n, len, |j, t| v[flat(j, t)], Ord::cmp, sorted),
        _ => {
            let keys = x.to_i64_vec().ok_or_else(|| Error::unsupported(format!("Unique on {} data", x.dtype())))?;
            group_slices(n, len, |j, t| keys[flat(j, t)], Ord::cmp, sorted)
        }
    };
    let size = x.dtype().size();
    let bytes = x.data.to_le_bytes();
    let mut y = Vec::with_capacity(firsts.len() * len * size);
    for o in 0..outer {
        for &j in &firsts {
            let at = (o * n + j) * inner * size;
            y.extend_from_slice(&bytes[at..at + inner * size]);
        }
    }
    let y_shape = match axis {
        None => vec![firsts.len()],
        Some(a) => {
            let mut s = x.shape.clone();
            s[a] = firsts.len();
            s
        }
    };
    let ints = |v: &[usize]| Tensor::from_i64(vec![v.len()], v.iter().map(|&i| i as i64).collect());
    Ok(vec![Tensor { shape: y_shape, data: Data::from_le_bytes(x.dtype(), &y)? }, ints(&firsts)?, ints(&group_of)?, ints(&counts)?])
}

/// The inputs by slot (`None` where absent).
fn by_slot<'a>(slots: &[bool], args: &[&'a Tensor]) -> Result<Vec<Option<&'a Tensor>>> {
    let mut it = args.iter();
    slots
        .iter()
        .map(|&p| if p { it.next().copied().map(Some).ok_or_else(|| Error::internal("vision kernel argument missing")) } else { Ok(None) })
        .collect()
}

fn view<T: Slice>(t: Option<&Tensor>, i: usize) -> Result<Option<&[T]>> {
    t.map(|t| T::of(&t.data).ok_or_else(|| Error::invalid(format!("input {i} has an unexpected type {}", t.dtype())))).transpose()
}

fn need<'a, T: Slice>(args: &[Option<&'a Tensor>], i: usize) -> Result<&'a [T]> {
    view(args.get(i).copied().flatten(), i)?.ok_or_else(|| Error::internal(format!("vision kernel input {i} missing")))
}

fn first<T: Slice>(results: &mut [Tensor]) -> Result<&mut [T]> {
    let t = results.first_mut().ok_or_else(|| Error::internal("vision kernel without output"))?;
    let d = t.dtype();
    T::of_mut(&mut t.data).ok_or_else(|| Error::internal(format!("unexpected output type {d}")))
}

/// Runs `$body` with `$t` bound to the Rust element type of a float tensor.
macro_rules! by_real {
    ($tensor:expr, $t:ident => $body:expr) => {
        match &$tensor.data {
            Data::F32(_) => {
                type $t = f32;
                $body
            }
            Data::F64(_) => {
                type $t = f64;
                $body
            }
            Data::F16(_) | Data::BF16(_) => {
                type $t = u16;
                $body
            }
            other => return Err(Error::unsupported(format!("{} data: this op supports float types", other.dtype()))),
        }
    };
}

/// Executes a vision kernel.
pub fn execute(kernel: &VisionKernel, args: &[&Tensor], results: &mut [Tensor]) -> Result<()> {
    let a = by_slot(&kernel.slots, args)?;
    let x = a.first().copied().flatten().ok_or_else(|| Error::internal("vision kernel without input"))?;
    match &kernel.kind {
        VisionKernelKind::RoiAlign(p) => by_real!(x, T => {
            k::vision::roi_align::<T>(p, need(&a, 0)?, need(&a, 1)?, need(&a, 2)?, first::<T>(results)?);
        }),
        VisionKernelKind::DeformConv(p) => by_real!(x, T => {
            let (bias, mask) = (view::<T>(a.get(3).copied().flatten(), 3)?, view::<T>(a.get(4).copied().flatten(), 4)?);
            k::vision::deform_conv::<T>(p, need(&a, 0)?, need(&a, 1)?, need(&a, 2)?, bias, mask, first::<T>(results)?);
        }),
        VisionKernelKind::AffineGrid(p) => by_real!(x, T => {
            k::vision::affine_grid::<T>(p, need(&a, 0)?, first::<T>(results)?);
        }),
        VisionKernelKind::TfIdf(t) => {
            let pool = k::tfidf::TfIdfPool { pool: &t.pool, ngram_counts: &t.ngram_counts, ngram_indexes: &t.ngram_indexes, weights: &t.weights };
            let y = first::<f32>(results)?;
            match &x.data {
                Data::I64(v) => k::tfidf::tfidf(&t.params, pool, v, y),
                Data::I32(v) => k::tfidf::tfidf(&t.params, pool, v, y),
                other => return Err(Error::unsupported(format!("TfIdfVectorizer on {} tokens", other.dtype()))),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "vision_tests.rs"]
mod tests;
