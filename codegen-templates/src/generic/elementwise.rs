//! Elementwise kernels: broadcasting binary arithmetic, comparisons, logic, Where, unary
//! functions and Cast, generic over ONNX dtypes through [`Number`] (from `number.rs`).
//!
//! Integer arithmetic wraps and integer division (or remainder) by zero yields 0, so no kernel
//! panics whatever the data. ONNX `bool` tensors are `u8` slices holding 0 or 1.

pub use super::number::{Convert, Number};

/// Shapes for a broadcasting binary op: the output walk and each input's strides along it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BroadcastParams {
    /// Number of meaningful dims (at most 8; 0 for scalars).
    pub rank: usize,
    /// Output shape; slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Element strides of `a` along each output dim; 0 on broadcast dims.
    pub a_strides: [usize; 8],
    /// Element strides of `b` along each output dim; 0 on broadcast dims.
    pub b_strides: [usize; 8],
    /// Number of output elements (product of `out_shape[..rank]`).
    pub len: usize,
}

impl BroadcastParams {
    /// Broadcasts `a_shape` with `b_shape` (NumPy rules) and merges dims where possible.
    pub fn new(a_shape: &[usize], b_shape: &[usize]) -> Option<Self> {
        let mut out_shape = [1usize; 8];
        let rank = super::shape::broadcast_shape(a_shape, b_shape, &mut out_shape)?;
        let mut st = [[0usize; 8]; 2];
        let out = out_shape.get(..rank)?;
        let [st_a, st_b] = &mut st;
        if !super::shape::broadcast_strides(a_shape, out, st_a)
            || !super::shape::broadcast_strides(b_shape, out, st_b)
        {
            return None;
        }
        let len = super::shape::numel(out);
        let rank = super::shape::coalesce(rank, &mut out_shape, &mut st);
        Some(BroadcastParams {
            rank,
            out_shape,
            a_strides: st[0],
            b_strides: st[1],
            len,
        })
    }
}

/// Binary arithmetic ops with broadcasting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `a / b` (integers truncate; division by zero gives 0).
    Div,
    /// `a ^ b`.
    Pow,
    /// Larger of `a` and `b` (ONNX Max).
    Max,
    /// Smaller of `a` and `b` (ONNX Min).
    Min,
    /// ONNX Mod with `fmod = 0`: remainder with the sign of the divisor.
    Mod,
    /// ONNX Mod with `fmod = 1`: remainder with the sign of the dividend.
    FMod,
    /// `a` if `a >= 0`, else `a * b` (b is the slope).
    PRelu,
    /// Integers: `a << b` (ONNX BitShift LEFT).
    ShiftLeft,
    /// Integers: `a >> b` (ONNX BitShift RIGHT).
    ShiftRight,
    /// Integers: `a & b`.
    BitAnd,
    /// Integers: `a | b`.
    BitOr,
    /// Integers: `a ^ b`.
    BitXor,
}

impl core::fmt::Debug for BinaryOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            BinaryOp::Add => "BinaryOp::Add",
            BinaryOp::Sub => "BinaryOp::Sub",
            BinaryOp::Mul => "BinaryOp::Mul",
            BinaryOp::Div => "BinaryOp::Div",
            BinaryOp::Pow => "BinaryOp::Pow",
            BinaryOp::Max => "BinaryOp::Max",
            BinaryOp::Min => "BinaryOp::Min",
            BinaryOp::Mod => "BinaryOp::Mod",
            BinaryOp::FMod => "BinaryOp::FMod",
            BinaryOp::PRelu => "BinaryOp::PRelu",
            BinaryOp::ShiftLeft => "BinaryOp::ShiftLeft",
            BinaryOp::ShiftRight => "BinaryOp::ShiftRight",
            BinaryOp::BitAnd => "BinaryOp::BitAnd",
            BinaryOp::BitOr => "BinaryOp::BitOr",
            BinaryOp::BitXor => "BinaryOp::BitXor",
        })
    }
}

/// Comparisons producing bool (`u8` 0/1) with broadcasting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `a == b`.
    Equal,
    /// `a < b`.
    Less,
    /// `a <= b`.
    LessOrEqual,
    /// `a > b`.
    Greater,
    /// `a >= b`.
    GreaterOrEqual,
}

impl core::fmt::Debug for CompareOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            CompareOp::Equal => "CompareOp::Equal",
            CompareOp::Less => "CompareOp::Less",
            CompareOp::LessOrEqual => "CompareOp::LessOrEqual",
            CompareOp::Greater => "CompareOp::Greater",
            CompareOp::GreaterOrEqual => "CompareOp::GreaterOrEqual",
        })
    }
}

/// Boolean binary ops on `u8` tensors (nonzero is true) with broadcasting.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum LogicOp {
    /// Logical and.
    And,
    /// Logical or.
    Or,
    /// Logical exclusive or.
    Xor,
}

impl core::fmt::Debug for LogicOp {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            LogicOp::And => "LogicOp::And",
            LogicOp::Or => "LogicOp::Or",
            LogicOp::Xor => "LogicOp::Xor",
        })
    }
}

/// Walks the broadcast output of `p`, writing `y[i] = f(a[ia], b[ib])`.
///
/// Fast paths: both inputs dense, one a scalar and the other dense, and rows whose innermost
/// dim is contiguous or broadcast on each side. Out-of-range reads (inconsistent params) skip.
#[inline(always)]
pub fn broadcast_map<A: Copy, B: Copy, O, F: Fn(A, B) -> O>(
    p: &BroadcastParams,
    a: &[A],
    b: &[B],
    y: &mut [O],
    f: F,
) {
    let r = p.rank.min(8);
    let (Some(shape), Some(a_st), Some(b_st)) = (
        p.out_shape.get(..r),
        p.a_strides.get(..r),
        p.b_strides.get(..r),
    ) else {
        return;
    };
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if y.is_empty() {
        return;
    }
    let mut dense = [0usize; 8];
    super::shape::strides(shape, &mut dense);
    let (mut a_dense, mut b_dense, mut a_scalar, mut b_scalar) = (true, true, true, true);
    for (((&n, &dn), &sa), &sb) in shape.iter().zip(&dense).zip(a_st).zip(b_st) {
        if n > 1 {
            a_dense &= sa == dn;
            b_dense &= sb == dn;
            a_scalar &= sa == 0;
            b_scalar &= sb == 0;
        }
    }
    if a_dense && b_dense {
        for ((o, &u), &v) in y.iter_mut().zip(a).zip(b) {
            *o = f(u, v);
        }
        return;
    }
    if a_scalar && b_dense {
        if let Some(&u) = a.first() {
            for (o, &v) in y.iter_mut().zip(b) {
                *o = f(u, v);
            }
        }
        return;
    }
    if a_dense && b_scalar {
        if let Some(&v) = b.first() {
            for (o, &u) in y.iter_mut().zip(a) {
                *o = f(u, v);
            }
        }
        return;
    }
    // General walk: one output row (innermost dim) at a time. r >= 1 here.
    let (Some((&n, outer)), Some((&sa, a_outer)), Some((&sb, b_outer))) =
        (shape.split_last(), a_st.split_last(), b_st.split_last())
    else {
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
        let oa = super::shape::offset(idx, a_outer);
        let ob = super::shape::offset(idx, b_outer);
        super::shape::next_index(idx, outer);
        match (sa, sb) {
            (1, 1) => {
                if let (Some(ra), Some(rb)) = (a.get(oa..oa + n), b.get(ob..ob + n)) {
                    for ((o, &u), &v) in row.iter_mut().zip(ra).zip(rb) {
                        *o = f(u, v);
                    }
                }
            }
            (0, 1) => {
                if let (Some(&u), Some(rb)) = (a.get(oa), b.get(ob..ob + n)) {
                    for (o, &v) in row.iter_mut().zip(rb) {
                        *o = f(u, v);
                    }
                }
            }
            (1, 0) => {
                if let (Some(ra), Some(&v)) = (a.get(oa..oa + n), b.get(ob)) {
                    for (o, &u) in row.iter_mut().zip(ra) {
                        *o = f(u, v);
                    }
                }
            }
            _ => {
                for (k, o) in row.iter_mut().enumerate() {
                    if let (Some(&u), Some(&v)) = (a.get(oa + k * sa), b.get(ob + k * sb)) {
                        *o = f(u, v);
                    }
                }
            }
        }
    }
}

/// `y = op(a, b)` with broadcasting.
#[inline(always)]
pub fn binary<T: Number>(op: BinaryOp, p: &BroadcastParams, a: &[T], b: &[T], y: &mut [T]) {
    match op {
        BinaryOp::Add => broadcast_map(p, a, b, y, T::add),
        BinaryOp::Sub => broadcast_map(p, a, b, y, T::sub),
        BinaryOp::Mul => broadcast_map(p, a, b, y, T::mul),
        BinaryOp::Div => broadcast_map(p, a, b, y, T::div),
        BinaryOp::Pow => broadcast_map(p, a, b, y, T::pow),
        BinaryOp::Max => broadcast_map(p, a, b, y, T::max),
        BinaryOp::Min => broadcast_map(p, a, b, y, T::min),
        BinaryOp::Mod => broadcast_map(p, a, b, y, T::modulo),
        BinaryOp::FMod => broadcast_map(p, a, b, y, T::fmod),
        BinaryOp::ShiftLeft => broadcast_map(p, a, b, y, T::shl),
        BinaryOp::ShiftRight => broadcast_map(p, a, b, y, T::shr),
        BinaryOp::BitAnd => broadcast_map(p, a, b, y, T::bitand),
        BinaryOp::BitOr => broadcast_map(p, a, b, y, T::bitor),
        BinaryOp::BitXor => broadcast_map(p, a, b, y, T::bitxor),
        BinaryOp::PRelu => broadcast_map(
            p,
            a,
            b,
            y,
            |u: T, s: T| {
                if u >= T::zero() {
                    u
                } else {
                    u.mul(s)
                }
            },
        ),
    }
}

/// `y = (a op b) as u8` with broadcasting.
#[inline(always)]
pub fn compare<T: Number>(op: CompareOp, p: &BroadcastParams, a: &[T], b: &[T], y: &mut [u8]) {
    match op {
        CompareOp::Equal => broadcast_map(p, a, b, y, |u: T, v: T| (u == v) as u8),
        CompareOp::Less => broadcast_map(p, a, b, y, |u: T, v: T| (u < v) as u8),
        CompareOp::LessOrEqual => broadcast_map(p, a, b, y, |u: T, v: T| (u <= v) as u8),
        CompareOp::Greater => broadcast_map(p, a, b, y, |u: T, v: T| (u > v) as u8),
        CompareOp::GreaterOrEqual => broadcast_map(p, a, b, y, |u: T, v: T| (u >= v) as u8),
    }
}

/// `y = a op b` on bool tensors (nonzero is true; writes 0/1) with broadcasting.
#[inline(always)]
pub fn logic(op: LogicOp, p: &BroadcastParams, a: &[u8], b: &[u8], y: &mut [u8]) {
    match op {
        LogicOp::And => broadcast_map(p, a, b, y, |u: u8, v: u8| ((u != 0) & (v != 0)) as u8),
        LogicOp::Or => broadcast_map(p, a, b, y, |u: u8, v: u8| ((u != 0) | (v != 0)) as u8),
        LogicOp::Xor => broadcast_map(p, a, b, y, |u: u8, v: u8| ((u != 0) ^ (v != 0)) as u8),
    }
}

/// Logical not of a bool tensor: `y = (x == 0) as u8`.
#[inline(always)]
pub fn not(x: &[u8], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = (v == 0) as u8;
    }
}

/// Shapes for Where: the output walk and the strides of the condition and both branches.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WhereParams {
    /// Number of meaningful dims (at most 8; 0 for scalars).
    pub rank: usize,
    /// Output shape; slots past `rank` are 1.
    pub out_shape: [usize; 8],
    /// Element strides of the condition along each output dim; 0 on broadcast dims.
    pub cond_strides: [usize; 8],
    /// Element strides of `a` (taken where the condition holds); 0 on broadcast dims.
    pub a_strides: [usize; 8],
    /// Element strides of `b` (taken elsewhere); 0 on broadcast dims.
    pub b_strides: [usize; 8],
    /// Number of output elements.
    pub len: usize,
}

impl WhereParams {
    /// Broadcasts the three shapes together (NumPy rules) and merges dims where possible.
    pub fn new(cond: &[usize], a: &[usize], b: &[usize]) -> Option<Self> {
        let mut ab = [1usize; 8];
        let r_ab = super::shape::broadcast_shape(a, b, &mut ab)?;
        let mut out_shape = [1usize; 8];
        let rank = super::shape::broadcast_shape(cond, ab.get(..r_ab)?, &mut out_shape)?;
        let mut st = [[0usize; 8]; 3];
        let out = out_shape.get(..rank)?;
        for (s, shape) in st.iter_mut().zip([cond, a, b]) {
            if !super::shape::broadcast_strides(shape, out, s) {
                return None;
            }
        }
        let len = super::shape::numel(out);
        let rank = super::shape::coalesce(rank, &mut out_shape, &mut st);
        let [cond_strides, a_strides, b_strides] = st;
        Some(WhereParams {
            rank,
            out_shape,
            cond_strides,
            a_strides,
            b_strides,
            len,
        })
    }
}

/// ONNX Where: `y = if cond != 0 { a } else { b }` with broadcasting.
#[inline(always)]
pub fn select<T: Copy>(p: &WhereParams, cond: &[u8], a: &[T], b: &[T], y: &mut [T]) {
    let r = p.rank.min(8);
    let (Some(shape), Some(c_st), Some(a_st), Some(b_st)) = (
        p.out_shape.get(..r),
        p.cond_strides.get(..r),
        p.a_strides.get(..r),
        p.b_strides.get(..r),
    ) else {
        return;
    };
    let len = p.len.min(y.len());
    let Some(y) = y.get_mut(..len) else {
        return;
    };
    if y.is_empty() {
        return;
    }
    let mut dense = [0usize; 8];
    super::shape::strides(shape, &mut dense);
    let all_dense = shape
        .iter()
        .zip(&dense)
        .zip(c_st.iter().zip(a_st).zip(b_st))
        .all(|((&n, &dn), ((&sc, &sa), &sb))| n <= 1 || (sc == dn && sa == dn && sb == dn));
    if all_dense {
        for (((o, &c), &u), &v) in y.iter_mut().zip(cond).zip(a).zip(b) {
            *o = if c != 0 { u } else { v };
        }
        return;
    }
    let (Some((&n, outer)), Some((&sc, c_outer)), Some((&sa, a_outer)), Some((&sb, b_outer))) = (
        shape.split_last(),
        c_st.split_last(),
        a_st.split_last(),
        b_st.split_last(),
    ) else {
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
        let oc = super::shape::offset(idx, c_outer);
        let oa = super::shape::offset(idx, a_outer);
        let ob = super::shape::offset(idx, b_outer);
        super::shape::next_index(idx, outer);
        if (sc, sa, sb) == (1, 1, 1) {
            if let (Some(rc), Some(ra), Some(rb)) =
                (cond.get(oc..oc + n), a.get(oa..oa + n), b.get(ob..ob + n))
            {
                for (((o, &c), &u), &v) in row.iter_mut().zip(rc).zip(ra).zip(rb) {
                    *o = if c != 0 { u } else { v };
                }
            }
        } else {
            for (k, o) in row.iter_mut().enumerate() {
                if let (Some(&c), Some(&u), Some(&v)) = (
                    cond.get(oc + k * sc),
                    a.get(oa + k * sa),
                    b.get(ob + k * sb),
                ) {
                    *o = if c != 0 { u } else { v };
                }
            }
        }
    }
}

/// `y = act(x)` elementwise for the float unary functions.
#[inline(always)]
pub fn unary(act: super::activation::Activation, x: &[f32], y: &mut [f32]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = super::activation::apply(act, v);
    }
}

/// Unary functions available for every numeric dtype.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum NumberUnary {
    /// `-x` (wrapping for integers).
    Neg,
    /// `|x|` (wrapping for signed integers).
    Abs,
    /// -1, 0 or 1 by the sign of `x`.
    Sign,
    /// `max(x, 0)`.
    Relu,
    /// Bitwise not (integers only).
    BitNot,
}

impl core::fmt::Debug for NumberUnary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            NumberUnary::Neg => "NumberUnary::Neg",
            NumberUnary::Abs => "NumberUnary::Abs",
            NumberUnary::Sign => "NumberUnary::Sign",
            NumberUnary::Relu => "NumberUnary::Relu",
            NumberUnary::BitNot => "NumberUnary::BitNot",
        })
    }
}

/// `y = op(x)` elementwise for any numeric dtype.
#[inline(always)]
pub fn unary_number<T: Number>(op: NumberUnary, x: &[T], y: &mut [T]) {
    let pairs = y.iter_mut().zip(x);
    match op {
        NumberUnary::Neg => pairs.for_each(|(o, &v)| *o = v.neg()),
        NumberUnary::Abs => pairs.for_each(|(o, &v)| *o = v.abs()),
        NumberUnary::Sign => pairs.for_each(|(o, &v)| *o = v.sign()),
        NumberUnary::BitNot => pairs.for_each(|(o, &v)| *o = v.bitnot()),
        NumberUnary::Relu => {
            pairs.for_each(|(o, &v)| *o = if v < T::zero() { T::zero() } else { v })
        }
    }
}

/// ONNX Cast between numeric dtypes: `y[i] = x[i] as D`.
#[inline(always)]
pub fn cast<S: Convert<D>, D: Copy>(x: &[S], y: &mut [D]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = v.convert();
    }
}

/// ONNX Cast to bool: `y[i] = (x[i] != 0) as u8` (NaN is true).
#[inline(always)]
pub fn cast_to_bool<S: Number>(x: &[S], y: &mut [u8]) {
    for (o, &v) in y.iter_mut().zip(x) {
        *o = (v != S::zero()) as u8;
    }
}

#[cfg(test)]
#[path = "elementwise_tests.rs"]
mod tests;
