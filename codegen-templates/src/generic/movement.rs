//! Data movement kernels, generic over the element type: Transpose, Concat/Split (block
//! copies), Slice, Gather, Pad, Expand, Tile and plain copies.
//!
//! Every kernel walks the output row by row (a row is the innermost output dim) so the inner
//! loop is a slice copy, a fill or a strided read. Reads past the input (inconsistent params)
//! are skipped, never panics.

/// Copies `x` into the output walk `shape[..rank]` read with input element `strides`.
///
/// This is the shared engine of Transpose and Expand: `y[i] = x[Σ index_d * strides[d]]` for
/// the row-major output multi-index of `i`. Rows use `copy_from_slice` for stride 1, `fill`
/// for stride 0 and a strided iterator otherwise.
#[inline(always)]
pub fn strided_copy<T: Copy>(
    rank: usize,
    shape: &[usize; 8],
    strides: &[usize; 8],
    len: usize,
    x: &[T],
    y: &mut [T],
) {
    let r = rank.min(8);
    let len = len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if len == 0 {
        return;
    }
    let (Some(shape), Some(strides)) = (shape.get(..r), strides.get(..r)) else {
        return;
    };
    let (Some((&n, outer)), Some((&s, st_outer))) = (shape.split_last(), strides.split_last())
    else {
        if let (Some(o), Some(&v)) = (y.first_mut(), x.first()) {
            *o = v;
        }
        return;
    };
    if n == 0 {
        return;
    }
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..outer.len()) else {
        return;
    };
    for row in y.chunks_exact_mut(n) {
        let off = super::shape::offset(idx, st_outer);
        super::shape::next_index(idx, outer);
        match s {
            1 => {
                if let Some(src) = x.get(off..off + n) {
                    row.copy_from_slice(src);
                }
            }
            0 => {
                if let Some(&v) = x.get(off) {
                    row.fill(v);
                }
            }
            _ => {
                if let Some(src) = x.get(off..) {
                    for (o, &v) in row.iter_mut().zip(src.iter().step_by(s)) {
                        *o = v;
                    }
                }
            }
        }
    }
}

/// Transpose: the output shape and, for each output dim, the input stride it walks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TransposeParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Output shape; slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Input element stride of each output dim (the input strides permuted).
    pub in_strides: [usize; 8],
    /// Number of elements.
    pub len: usize,
}

impl TransposeParams {
    /// Parameters for transposing `in_shape` by `perm` (output dim `i` is input dim `perm[i]`),
    /// with dims merged where the permutation keeps them adjacent; `None` if `perm` is invalid.
    pub fn new(in_shape: &[usize], perm: &[usize]) -> Option<Self> {
        let rank = in_shape.len();
        if rank > 8 || perm.len() != rank {
            return None;
        }
        let mut seen = [false; 8];
        for &q in perm {
            if q >= rank {
                return None;
            }
            let s = seen.get_mut(q)?;
            if *s {
                return None;
            }
            *s = true;
        }
        let mut dense = [0usize; 8];
        super::shape::strides(in_shape, &mut dense);
        let mut out_shape = [1usize; 8];
        let mut st = [[0usize; 8]; 1];
        let [st0] = &mut st;
        for ((o, s), &q) in out_shape.iter_mut().zip(st0.iter_mut()).zip(perm) {
            *o = *in_shape.get(q)?;
            *s = *dense.get(q)?;
        }
        let len = super::shape::numel(in_shape);
        let rank = super::shape::coalesce(rank, &mut out_shape, &mut st);
        Some(TransposeParams {
            rank,
            out_shape,
            in_strides: st[0],
            len,
        })
    }
}

/// ONNX Transpose.
#[inline(always)]
pub fn transpose<T: Copy>(p: &TransposeParams, x: &[T], y: &mut [T]) {
    strided_copy(p.rank, &p.out_shape, &p.in_strides, p.len, x, y);
}

/// One strided block copy: `outer` blocks of `block` contiguous elements.
///
/// Concat is one call per input (the input is the source), Split one call per output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CopyBlockParams {
    /// Number of blocks (product of the dims before the axis).
    pub outer: usize,
    /// Elements per block (the part of the axis this tensor owns times the inner size).
    pub block: usize,
    /// Distance between consecutive blocks in the source.
    pub src_stride: usize,
    /// Distance between consecutive blocks in the destination.
    pub dst_stride: usize,
    /// Start of the first block in the destination.
    pub dst_offset: usize,
    /// Start of the first block in the source.
    pub src_offset: usize,
}

impl CopyBlockParams {
    /// Concat: copies an input of `shape` into an output whose `axis` has `out_axis_len`
    /// entries, starting at index `axis_offset` of that axis.
    pub fn concat_input(
        shape: &[usize],
        axis: usize,
        axis_offset: usize,
        out_axis_len: usize,
    ) -> Option<Self> {
        let n = *shape.get(axis)?;
        let outer = super::shape::numel(shape.get(..axis)?);
        let inner = super::shape::numel(shape.get(axis + 1..)?);
        Some(CopyBlockParams {
            outer,
            block: n * inner,
            src_stride: n * inner,
            dst_stride: out_axis_len * inner,
            dst_offset: axis_offset * inner,
            src_offset: 0,
        })
    }

    /// Split: copies the part of an input of `in_shape` starting at index `axis_offset` of
    /// `axis`, `out_axis_len` entries long, into a dense output.
    pub fn split_output(
        in_shape: &[usize],
        axis: usize,
        axis_offset: usize,
        out_axis_len: usize,
    ) -> Option<Self> {
        let n = *in_shape.get(axis)?;
        let outer = super::shape::numel(in_shape.get(..axis)?);
        let inner = super::shape::numel(in_shape.get(axis + 1..)?);
        Some(CopyBlockParams {
            outer,
            block: out_axis_len * inner,
            src_stride: n * inner,
            dst_stride: out_axis_len * inner,
            dst_offset: 0,
            src_offset: axis_offset * inner,
        })
    }
}

/// For `o` in `0..outer`, copies `block` elements from `x[src_offset + o * src_stride..]` to
/// `y[dst_offset + o * dst_stride..]`.
#[inline(always)]
pub fn copy_blocks<T: Copy>(p: &CopyBlockParams, x: &[T], y: &mut [T]) {
    let n = p.block;
    for o in 0..p.outer {
        let s = p.src_offset + o * p.src_stride;
        let d = p.dst_offset + o * p.dst_stride;
        if let (Some(src), Some(dst)) = (x.get(s..s + n), y.get_mut(d..d + n)) {
            dst.copy_from_slice(src);
        }
    }
}

/// Slice: the output shape and the (signed) input step along each output dim.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Output shape; slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Input element step of each dim: slice step times input stride (negative walks back).
    pub in_strides: [isize; 8],
    /// Input element offset of the first output element.
    pub start_offset: usize,
    /// Number of output elements.
    pub len: usize,
}

impl SliceParams {
    /// ONNX Slice parameters from the raw `starts`, `ends`, `axes` (empty: `0..starts.len()`)
    /// and `steps` (empty: all 1), with ONNX clamping; `None` on a zero step or a bad axis.
    pub fn new(
        in_shape: &[usize],
        starts: &[i64],
        ends: &[i64],
        axes: &[i64],
        steps: &[i64],
    ) -> Option<Self> {
        let rank = in_shape.len();
        if rank > 8 || starts.len() != ends.len() {
            return None;
        }
        let mut start = [0i64; 8];
        let mut step = [1i64; 8];
        let mut out_shape = [1usize; 8];
        out_shape.get_mut(..rank)?.copy_from_slice(in_shape);
        for (i, (&s0, &e0)) in starts.iter().zip(ends).enumerate() {
            let a = if axes.is_empty() {
                i as i64
            } else {
                *axes.get(i)?
            };
            let a = if a < 0 { a + rank as i64 } else { a };
            if a < 0 || a >= rank as i64 {
                return None;
            }
            let a = a as usize;
            let dim = *in_shape.get(a)? as i64;
            let st = if steps.is_empty() { 1 } else { *steps.get(i)? };
            if st == 0 {
                return None;
            }
            let s = if s0 < 0 { s0.saturating_add(dim) } else { s0 };
            let e = if e0 < 0 { e0.saturating_add(dim) } else { e0 };
            let (s, n) = if dim == 0 {
                (0, 0)
            } else if st > 0 {
                let s = s.clamp(0, dim);
                let e = e.clamp(0, dim);
                (
                    s,
                    if e > s {
                        ((e - s - 1) as u64 / st as u64 + 1) as i64
                    } else {
                        0
                    },
                )
            } else {
                let s = s.clamp(0, dim - 1);
                let e = e.clamp(-1, dim - 1);
                (
                    s,
                    if s > e {
                        ((s - e - 1) as u64 / st.unsigned_abs() + 1) as i64
                    } else {
                        0
                    },
                )
            };
            *start.get_mut(a)? = s;
            *step.get_mut(a)? = st;
            *out_shape.get_mut(a)? = n as usize;
        }
        let mut dense = [0usize; 8];
        super::shape::strides(in_shape, &mut dense);
        let mut in_strides = [0isize; 8];
        let mut start_offset = 0usize;
        for (((is, &sp), &dn), &s0) in in_strides
            .iter_mut()
            .zip(&step)
            .zip(&dense)
            .zip(&start)
            .take(rank)
        {
            *is = (sp as isize).wrapping_mul(dn as isize);
            start_offset += s0 as usize * dn;
        }
        let len = super::shape::numel(out_shape.get(..rank)?);
        Some(SliceParams {
            rank,
            out_shape,
            in_strides,
            start_offset,
            len,
        })
    }
}

/// ONNX Slice: `y[i] = x[start_offset + Σ index_d * in_strides[d]]`.
#[inline(always)]
pub fn slice<T: Copy>(p: &SliceParams, x: &[T], y: &mut [T]) {
    let r = p.rank.min(8);
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if len == 0 {
        return;
    }
    let (Some(shape), Some(strides)) = (p.out_shape.get(..r), p.in_strides.get(..r)) else {
        return;
    };
    let (Some((&n, outer)), Some((&s, st_outer))) = (shape.split_last(), strides.split_last())
    else {
        if let (Some(o), Some(&v)) = (y.first_mut(), x.get(p.start_offset)) {
            *o = v;
        }
        return;
    };
    if n == 0 {
        return;
    }
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..outer.len()) else {
        return;
    };
    for row in y.chunks_exact_mut(n) {
        let off = p.start_offset as isize + super::shape::offset_signed(idx, st_outer);
        super::shape::next_index(idx, outer);
        if off < 0 {
            continue;
        }
        let off = off as usize;
        if s == 1 {
            if let Some(src) = x.get(off..off + n) {
                row.copy_from_slice(src);
            }
        } else if s > 0 {
            if let Some(src) = x.get(off..) {
                for (o, &v) in row.iter_mut().zip(src.iter().step_by(s as usize)) {
                    *o = v;
                }
            }
        } else if s == 0 {
            if let Some(&v) = x.get(off) {
                row.fill(v);
            }
        } else {
            let step = s.unsigned_abs();
            let first = off.checked_sub((n - 1) * step);
            if let Some(src) = first.and_then(|f| x.get(f..=off)) {
                for (o, &v) in row.iter_mut().zip(src.iter().rev().step_by(step)) {
                    *o = v;
                }
            }
        }
    }
}

/// Gather along one axis: data viewed as `[outer, axis_len, inner]`, output as
/// `[outer, indices_len, inner]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GatherParams {
    /// Product of the data dims before the axis.
    pub outer: usize,
    /// Length of the gathered axis.
    pub axis_len: usize,
    /// Product of the data dims after the axis.
    pub inner: usize,
    /// Number of indices (product of the indices' shape).
    pub indices_len: usize,
}

impl GatherParams {
    /// Parameters for gathering `indices_len` indices along `axis` (may be negative) of data.
    pub fn new(data_shape: &[usize], axis: i64, indices_len: usize) -> Option<Self> {
        let rank = data_shape.len() as i64;
        let a = if axis < 0 { axis + rank } else { axis };
        if a < 0 || a >= rank {
            return None;
        }
        let a = a as usize;
        Some(GatherParams {
            outer: super::shape::numel(data_shape.get(..a)?),
            axis_len: *data_shape.get(a)?,
            inner: super::shape::numel(data_shape.get(a + 1..)?),
            indices_len,
        })
    }
}

/// ONNX Gather: negative indices count from the end; out-of-range indices yield `T::default()`.
#[inline(always)]
pub fn gather<T: Copy + Default, I: Copy + Into<i64>>(
    p: &GatherParams,
    x: &[T],
    indices: &[I],
    y: &mut [T],
) {
    let inner = p.inner;
    if inner == 0 {
        return;
    }
    let n = p.axis_len;
    let block = n * inner;
    let Some(indices) = indices.get(..p.indices_len.min(indices.len())) else {
        return;
    };
    let mut rows = y.chunks_exact_mut(inner);
    for o in 0..p.outer {
        let base = o * block;
        for &ix in indices {
            let Some(dst) = rows.next() else { return };
            let i: i64 = ix.into();
            let i = if i < 0 { i + n as i64 } else { i };
            let src = if i >= 0 && (i as usize) < n {
                let start = base + i as usize * inner;
                x.get(start..start + inner)
            } else {
                None
            };
            match src {
                Some(src) => dst.copy_from_slice(src),
                None => dst.fill(T::default()),
            }
        }
    }
}

/// How Pad fills the border.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum PadMode {
    /// The constant `value`.
    Constant,
    /// Mirror without repeating the edge (`[a b c] → b [a b c] b`).
    Reflect,
    /// Repeat the edge element.
    Edge,
    /// Wrap around (periodic).
    Wrap,
}

impl core::fmt::Debug for PadMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            PadMode::Constant => "PadMode::Constant",
            PadMode::Reflect => "PadMode::Reflect",
            PadMode::Edge => "PadMode::Edge",
            PadMode::Wrap => "PadMode::Wrap",
        })
    }
}

/// Pad: input and output shapes and the begin pads (negative pads crop).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PadParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Input shape; slots past `rank` are 1.
    pub in_shape: [usize; 8],
    /// Output shape (input + begin + end pads); slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Elements added before each dim (negative removes).
    pub pads_begin: [isize; 8],
    /// Border mode.
    pub mode: PadMode,
    /// Number of output elements.
    pub len: usize,
}

impl PadParams {
    /// Parameters from ONNX `pads` (`[x1_begin, x2_begin, …, x1_end, x2_end, …]`, one pair per
    /// dim); `None` if the lengths disagree or a dim would become negative.
    pub fn new(in_shape: &[usize], pads: &[i64], mode: PadMode) -> Option<Self> {
        let rank = in_shape.len();
        if rank > 8 || pads.len() != 2 * rank {
            return None;
        }
        let mut p = PadParams {
            rank,
            in_shape: [1; 8],
            out_shape: [1; 8],
            pads_begin: [0; 8],
            mode,
            len: 0,
        };
        let (begins, ends) = (pads.get(..rank)?, pads.get(rank..)?);
        let dims = p
            .in_shape
            .iter_mut()
            .zip(p.out_shape.iter_mut())
            .zip(p.pads_begin.iter_mut());
        for ((((is, os), pb), &n_in), (&b, &e)) in dims.zip(in_shape).zip(begins.iter().zip(ends)) {
            let n = n_in as i64 + b + e;
            if n < 0 {
                return None;
            }
            *is = n_in;
            *os = n as usize;
            *pb = b as isize;
        }
        p.len = super::shape::numel(p.out_shape.get(..rank)?);
        Some(p)
    }
}

/// Input coordinate for padded coordinate `c` (already shifted by the begin pad) of a dim of
/// length `n`, or `None` where the constant value goes.
#[inline(always)]
pub fn pad_coord(c: isize, n: usize, mode: PadMode) -> Option<usize> {
    let ni = n as isize;
    if c >= 0 && c < ni {
        return Some(c as usize);
    }
    if n == 0 {
        return None;
    }
    match mode {
        PadMode::Constant => None,
        PadMode::Edge => Some(c.clamp(0, ni - 1) as usize),
        PadMode::Wrap => Some(c.rem_euclid(ni) as usize),
        PadMode::Reflect => {
            if n == 1 {
                return Some(0);
            }
            let period = 2 * (ni - 1);
            let m = c.rem_euclid(period);
            Some(if m >= ni { period - m } else { m } as usize)
        }
    }
}

/// ONNX Pad (constant, reflect, edge, wrap; negative pads crop).
#[inline(always)]
pub fn pad<T: Copy>(p: &PadParams, x: &[T], value: T, y: &mut [T]) {
    let r = p.rank.min(8);
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if len == 0 {
        return;
    }
    let (Some(in_shape), Some(out_shape), Some(pads_begin)) = (
        p.in_shape.get(..r),
        p.out_shape.get(..r),
        p.pads_begin.get(..r),
    ) else {
        return;
    };
    let (Some((&n_in, in_outer)), Some((&n_out, outer)), Some((&pb, pb_outer))) = (
        in_shape.split_last(),
        out_shape.split_last(),
        pads_begin.split_last(),
    ) else {
        if let (Some(o), Some(&v)) = (y.first_mut(), x.first()) {
            *o = v;
        }
        return;
    };
    let mut in_strides = [0usize; 8];
    super::shape::strides(in_shape, &mut in_strides);
    if n_out == 0 {
        return;
    }
    // Output columns [lo, hi) read input columns [lo - pb, hi - pb) contiguously.
    let lo = pb.clamp(0, n_out as isize) as usize;
    let hi = (pb + n_in as isize).clamp(0, n_out as isize) as usize;
    let hi = hi.max(lo);
    let src_lo = (lo as isize - pb).max(0) as usize;
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..outer.len()) else {
        return;
    };
    for row in y.chunks_exact_mut(n_out) {
        let mut base = 0usize;
        let mut inside = true;
        for (((&i, &b), &n), &st) in idx.iter().zip(pb_outer).zip(in_outer).zip(&in_strides) {
            match pad_coord(i as isize - b, n, p.mode) {
                Some(c) => base += c * st,
                None => inside = false,
            }
        }
        super::shape::next_index(idx, outer);
        if !inside {
            row.fill(value);
            continue;
        }
        let Some((left, rest)) = row.split_at_mut_checked(lo) else {
            continue;
        };
        let Some((mid, right)) = rest.split_at_mut_checked(hi - lo) else {
            continue;
        };
        if let Some(src) = x.get(base + src_lo..base + src_lo + mid.len()) {
            mid.copy_from_slice(src);
        }
        let at = |k: usize| match pad_coord(k as isize - pb, n_in, p.mode) {
            Some(c) => x.get(base + c).copied().unwrap_or(value),
            None => value,
        };
        for (k, o) in left.iter_mut().enumerate() {
            *o = at(k);
        }
        for (k, o) in right.iter_mut().enumerate() {
            *o = at(hi + k);
        }
    }
}

/// Expand: the output shape and the input stride along each output dim (0 where broadcast).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ExpandParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Output shape; slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Input element stride of each output dim; 0 on broadcast dims.
    pub in_strides: [usize; 8],
    /// Number of output elements.
    pub len: usize,
}

impl ExpandParams {
    /// Parameters broadcasting `in_shape` to `out_shape` (right-aligned), dims merged.
    pub fn new(in_shape: &[usize], out_shape: &[usize]) -> Option<Self> {
        let mut shape = super::shape::pack(out_shape)?;
        let mut st = [[0usize; 8]; 1];
        if !super::shape::broadcast_strides(in_shape, out_shape, &mut st[0]) {
            return None;
        }
        let len = super::shape::numel(out_shape);
        let rank = super::shape::coalesce(out_shape.len(), &mut shape, &mut st);
        Some(ExpandParams {
            rank,
            out_shape: shape,
            in_strides: st[0],
            len,
        })
    }
}

/// ONNX Expand (broadcast copy).
#[inline(always)]
pub fn expand<T: Copy>(p: &ExpandParams, x: &[T], y: &mut [T]) {
    strided_copy(p.rank, &p.out_shape, &p.in_strides, p.len, x, y);
}

/// Tile: input and output shapes (each output dim a multiple of the input dim).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TileParams {
    /// Number of meaningful dims (at most 8).
    pub rank: usize,
    /// Input shape; slots past `rank` are 1.
    pub in_shape: [usize; 8],
    /// Output shape (input shape times repeats); slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Number of output elements.
    pub len: usize,
}

impl TileParams {
    /// Parameters tiling `in_shape` by `repeats` (one per dim).
    pub fn new(in_shape: &[usize], repeats: &[usize]) -> Option<Self> {
        let rank = in_shape.len();
        if rank > 8 || repeats.len() != rank {
            return None;
        }
        let mut p = TileParams {
            rank,
            in_shape: [1; 8],
            out_shape: [1; 8],
            len: 0,
        };
        for (((is, os), &n), &k) in p
            .in_shape
            .iter_mut()
            .zip(p.out_shape.iter_mut())
            .zip(in_shape)
            .zip(repeats)
        {
            *is = n;
            *os = n * k;
        }
        p.len = super::shape::numel(p.out_shape.get(..rank)?);
        Some(p)
    }
}

/// ONNX Tile: `y[i] = x[index_d % in_shape[d] …]`.
#[inline(always)]
pub fn tile<T: Copy>(p: &TileParams, x: &[T], y: &mut [T]) {
    let r = p.rank.min(8);
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if len == 0 {
        return;
    }
    let (Some(in_shape), Some(out_shape)) = (p.in_shape.get(..r), p.out_shape.get(..r)) else {
        return;
    };
    let (Some((&n_in, in_outer)), Some((&n_out, outer))) =
        (in_shape.split_last(), out_shape.split_last())
    else {
        if let (Some(o), Some(&v)) = (y.first_mut(), x.first()) {
            *o = v;
        }
        return;
    };
    let mut in_strides = [0usize; 8];
    super::shape::strides(in_shape, &mut in_strides);
    if n_out == 0 || n_in == 0 {
        return;
    }
    let mut idx_buf = [0usize; 8];
    let Some(idx) = idx_buf.get_mut(..outer.len()) else {
        return;
    };
    for row in y.chunks_exact_mut(n_out) {
        let mut base = 0usize;
        for ((&i, &n), &st) in idx.iter().zip(in_outer).zip(&in_strides) {
            base += i.checked_rem(n).unwrap_or(0) * st;
        }
        super::shape::next_index(idx, outer);
        if let Some(src) = x.get(base..base + n_in) {
            for chunk in row.chunks_mut(n_in) {
                if let Some(part) = src.get(..chunk.len()) {
                    chunk.copy_from_slice(part);
                }
            }
        }
    }
}

/// Plain copy (Identity and friends): `y[..n] = x[..n]` for the shorter length.
#[inline(always)]
pub fn copy<T: Copy>(x: &[T], y: &mut [T]) {
    let n = x.len().min(y.len());
    if let (Some(dst), Some(src)) = (y.get_mut(..n), x.get(..n)) {
        dst.copy_from_slice(src);
    }
}

/// ConstantOfShape kept as an op (its result too large to store in flash): `y[..] = value`.
#[inline(always)]
pub fn fill<T: Copy>(value: T, y: &mut [T]) {
    y.fill(value);
}

#[cfg(test)]
#[path = "movement_tests.rs"]
mod tests;
