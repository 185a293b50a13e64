//! Elementwise kernels: broadcasting binary arithmetic, comparisons, logic, Where, unary
//! functions and Cast, plus the [`Number`] trait that makes them generic over ONNX dtypes.
//!
//! Integer arithmetic wraps and integer division (or remainder) by zero yields 0, so no kernel
//! panics whatever the data. ONNX `bool` tensors are `u8` slices holding 0 or 1.

/// Arithmetic the generic kernels need, for every numeric ONNX dtype (f32, f64, i8…u64).
pub trait Number: Copy + PartialOrd {
    /// Additive identity.
    fn zero() -> Self;
    /// Multiplicative identity.
    fn one() -> Self;
    /// Smallest value (`-inf` for floats): the identity of `max`.
    fn lowest() -> Self;
    /// Largest value (`+inf` for floats): the identity of `min`.
    fn highest() -> Self;
    /// `n` converted as by `as` (used for means).
    fn from_usize(n: usize) -> Self;
    /// `self` converted to `f32` as by `as`.
    fn to_f32(self) -> f32;
    /// `v` converted as by `as` (truncating, saturating, NaN to 0 for integers).
    fn from_f32(v: f32) -> Self;
    /// `self + o` (wrapping for integers).
    fn add(self, o: Self) -> Self;
    /// `self - o` (wrapping for integers).
    fn sub(self, o: Self) -> Self;
    /// `self * o` (wrapping for integers).
    fn mul(self, o: Self) -> Self;
    /// `self / o`; integers truncate toward zero and give 0 when `o == 0`.
    fn div(self, o: Self) -> Self;
    /// `self` raised to `o`; integers by repeated squaring (wrapping), negative exponents give 0
    /// unless `|self| == 1`.
    fn pow(self, o: Self) -> Self;
    /// Remainder with the sign of the divisor (Python `%`, ONNX Mod with `fmod = 0`).
    fn modulo(self, o: Self) -> Self;
    /// Remainder with the sign of the dividend (C `fmod`, ONNX Mod with `fmod = 1`).
    fn fmod(self, o: Self) -> Self;
    /// Larger of the two; NaN propagates.
    fn max(self, o: Self) -> Self;
    /// Smaller of the two; NaN propagates.
    fn min(self, o: Self) -> Self;
    /// `-self` (wrapping for integers).
    fn neg(self) -> Self;
    /// `|self|` (wrapping for signed integers, identity for unsigned).
    fn abs(self) -> Self;
    /// -1, 0 or 1 by the sign of `self` (NaN and ±0 are returned unchanged for floats).
    fn sign(self) -> Self;
}

/// Number impl for a float type; `$pow` and `$fmod` are functions `(x, y) -> x`.
macro_rules! number_float {
    ($t:ty, $pow:expr, $fmod:expr) => {
        impl Number for $t {
            #[inline(always)]
            fn zero() -> Self {
                0.0
            }
            #[inline(always)]
            fn one() -> Self {
                1.0
            }
            #[inline(always)]
            fn lowest() -> Self {
                <$t>::NEG_INFINITY
            }
            #[inline(always)]
            fn highest() -> Self {
                <$t>::INFINITY
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self + o
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self - o
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self * o
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                self / o
            }
            #[inline(always)]
            fn pow(self, o: Self) -> Self {
                $pow(self, o)
            }
            #[inline(always)]
            fn modulo(self, o: Self) -> Self {
                let r: $t = $fmod(self, o);
                if r != 0.0 && ((r < 0.0) != (o < 0.0)) {
                    r + o
                } else {
                    r
                }
            }
            #[inline(always)]
            fn fmod(self, o: Self) -> Self {
                $fmod(self, o)
            }
            #[inline(always)]
            #[allow(clippy::eq_op)]
            fn max(self, o: Self) -> Self {
                if self > o || self != self {
                    self
                } else {
                    o
                }
            }
            #[inline(always)]
            #[allow(clippy::eq_op)]
            fn min(self, o: Self) -> Self {
                if self < o || self != self {
                    self
                } else {
                    o
                }
            }
            #[inline(always)]
            fn neg(self) -> Self {
                -self
            }
            #[inline(always)]
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            #[inline(always)]
            fn sign(self) -> Self {
                if self > 0.0 {
                    1.0
                } else if self < 0.0 {
                    -1.0
                } else {
                    self
                }
            }
        }
    };
}

number_float!(f32, crate::rt::math::pow, crate::rt::math::fmod);
number_float!(f64, pow_f64, fmod_f64);

/// `x^y` in f64: exact repeated squaring for integral `|y| < 2^31`, else f32 `pow` widened.
#[inline(always)]
pub fn pow_f64(x: f64, y: f64) -> f64 {
    let e = y as i32;
    if e as f64 == y {
        let mut n = e.unsigned_abs();
        let mut base = x;
        let mut acc = 1.0f64;
        while n > 0 {
            if n & 1 == 1 {
                acc *= base;
            }
            base *= base;
            n >>= 1;
        }
        if e < 0 {
            1.0 / acc
        } else {
            acc
        }
    } else {
        crate::rt::math::pow(x as f32, y as f32) as f64
    }
}

/// C `fmod` in f64, computed exactly by subtracting scaled copies of `|y|`.
#[inline(always)]
#[allow(clippy::eq_op)]
pub fn fmod_f64(x: f64, y: f64) -> f64 {
    if x != x || y != y || x == f64::INFINITY || x == f64::NEG_INFINITY || y == 0.0 {
        return f64::NAN;
    }
    let ay = y.abs();
    let mut r = x.abs();
    if ay == f64::INFINITY || r < ay {
        return x;
    }
    // Largest ay * 2^k <= r, then binary long division; every subtraction is exact (Sterbenz).
    let mut d = ay;
    while d + d <= r {
        d += d;
    }
    while d >= ay {
        if r >= d {
            r -= d;
        }
        d *= 0.5;
    }
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// Number impl for a signed integer type.
macro_rules! number_signed {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[inline(always)]
            fn zero() -> Self {
                0
            }
            #[inline(always)]
            fn one() -> Self {
                1
            }
            #[inline(always)]
            fn lowest() -> Self {
                <$t>::MIN
            }
            #[inline(always)]
            fn highest() -> Self {
                <$t>::MAX
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self.wrapping_div(o)
                }
            }
            #[inline(always)]
            fn pow(self, o: Self) -> Self {
                if o < 0 {
                    return match self {
                        1 => 1,
                        -1 => if o & 1 == 0 { 1 } else { -1 },
                        _ => 0,
                    };
                }
                let mut n = o;
                let mut base = self;
                let mut acc: $t = 1;
                while n > 0 {
                    if n & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    n >>= 1;
                }
                acc
            }
            #[inline(always)]
            fn modulo(self, o: Self) -> Self {
                if o == 0 {
                    return 0;
                }
                let r = self.wrapping_rem(o);
                if r != 0 && ((r < 0) != (o < 0)) {
                    r.wrapping_add(o)
                } else {
                    r
                }
            }
            #[inline(always)]
            fn fmod(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self.wrapping_rem(o)
                }
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                if self > o { self } else { o }
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                if self < o { self } else { o }
            }
            #[inline(always)]
            fn neg(self) -> Self {
                self.wrapping_neg()
            }
            #[inline(always)]
            fn abs(self) -> Self {
                self.wrapping_abs()
            }
            #[inline(always)]
            fn sign(self) -> Self {
                self.signum()
            }
        }
    )*};
}

number_signed!(i8, i16, i32, i64);

/// Number impl for an unsigned integer type.
macro_rules! number_unsigned {
    ($($t:ty),*) => {$(
        impl Number for $t {
            #[inline(always)]
            fn zero() -> Self {
                0
            }
            #[inline(always)]
            fn one() -> Self {
                1
            }
            #[inline(always)]
            fn lowest() -> Self {
                <$t>::MIN
            }
            #[inline(always)]
            fn highest() -> Self {
                <$t>::MAX
            }
            #[inline(always)]
            fn from_usize(n: usize) -> Self {
                n as $t
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            #[inline(always)]
            fn from_f32(v: f32) -> Self {
                v as $t
            }
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                self.wrapping_add(o)
            }
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                self.wrapping_sub(o)
            }
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                self.wrapping_mul(o)
            }
            #[inline(always)]
            fn div(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self / o
                }
            }
            #[inline(always)]
            fn pow(self, o: Self) -> Self {
                let mut n = o;
                let mut base = self;
                let mut acc: $t = 1;
                while n > 0 {
                    if n & 1 == 1 {
                        acc = acc.wrapping_mul(base);
                    }
                    base = base.wrapping_mul(base);
                    n >>= 1;
                }
                acc
            }
            #[inline(always)]
            fn modulo(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self % o
                }
            }
            #[inline(always)]
            fn fmod(self, o: Self) -> Self {
                if o == 0 {
                    0
                } else {
                    self % o
                }
            }
            #[inline(always)]
            fn max(self, o: Self) -> Self {
                if self > o { self } else { o }
            }
            #[inline(always)]
            fn min(self, o: Self) -> Self {
                if self < o { self } else { o }
            }
            #[inline(always)]
            fn neg(self) -> Self {
                self.wrapping_neg()
            }
            #[inline(always)]
            fn abs(self) -> Self {
                self
            }
            #[inline(always)]
            fn sign(self) -> Self {
                (self != 0) as $t
            }
        }
    )*};
}

number_unsigned!(u8, u16, u32, u64);

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
        if !super::shape::broadcast_strides(a_shape, &out_shape[..rank], &mut st[0])
            || !super::shape::broadcast_strides(b_shape, &out_shape[..rank], &mut st[1])
        {
            return None;
        }
        let len = super::shape::numel(&out_shape[..rank]);
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
    let shape = &p.out_shape[..r];
    let len = p.len.min(y.len());
    let y = &mut y[..len];
    if len == 0 {
        return;
    }
    let mut dense = [0usize; 8];
    super::shape::strides(shape, &mut dense);
    let (mut a_dense, mut b_dense, mut a_scalar, mut b_scalar) = (true, true, true, true);
    for d in 0..r {
        if shape[d] > 1 {
            a_dense &= p.a_strides[d] == dense[d];
            b_dense &= p.b_strides[d] == dense[d];
            a_scalar &= p.a_strides[d] == 0;
            b_scalar &= p.b_strides[d] == 0;
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
    let n = shape[r - 1];
    if n == 0 {
        return;
    }
    let (sa, sb) = (p.a_strides[r - 1], p.b_strides[r - 1]);
    let outer = &shape[..r - 1];
    let mut idx = [0usize; 8];
    for row in y.chunks_exact_mut(n) {
        let oa = super::shape::offset(&idx[..r - 1], &p.a_strides[..r - 1]);
        let ob = super::shape::offset(&idx[..r - 1], &p.b_strides[..r - 1]);
        super::shape::next_index(&mut idx[..r - 1], outer);
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
        let rank = super::shape::broadcast_shape(cond, &ab[..r_ab], &mut out_shape)?;
        let mut st = [[0usize; 8]; 3];
        for (s, shape) in st.iter_mut().zip([cond, a, b]) {
            if !super::shape::broadcast_strides(shape, &out_shape[..rank], s) {
                return None;
            }
        }
        let len = super::shape::numel(&out_shape[..rank]);
        let rank = super::shape::coalesce(rank, &mut out_shape, &mut st);
        Some(WhereParams {
            rank,
            out_shape,
            cond_strides: st[0],
            a_strides: st[1],
            b_strides: st[2],
            len,
        })
    }
}

/// ONNX Where: `y = if cond != 0 { a } else { b }` with broadcasting.
#[inline(always)]
pub fn select<T: Copy>(p: &WhereParams, cond: &[u8], a: &[T], b: &[T], y: &mut [T]) {
    let r = p.rank.min(8);
    let shape = &p.out_shape[..r];
    let len = p.len.min(y.len());
    let y = &mut y[..len];
    if len == 0 {
        return;
    }
    let mut dense = [0usize; 8];
    super::shape::strides(shape, &mut dense);
    let all_dense = (0..r).all(|d| {
        shape[d] <= 1
            || (p.cond_strides[d] == dense[d]
                && p.a_strides[d] == dense[d]
                && p.b_strides[d] == dense[d])
    });
    if all_dense {
        for (((o, &c), &u), &v) in y.iter_mut().zip(cond).zip(a).zip(b) {
            *o = if c != 0 { u } else { v };
        }
        return;
    }
    let n = shape[r - 1];
    if n == 0 {
        return;
    }
    let (sc, sa, sb) = (
        p.cond_strides[r - 1],
        p.a_strides[r - 1],
        p.b_strides[r - 1],
    );
    let outer = &shape[..r - 1];
    let mut idx = [0usize; 8];
    for row in y.chunks_exact_mut(n) {
        let oc = super::shape::offset(&idx[..r - 1], &p.cond_strides[..r - 1]);
        let oa = super::shape::offset(&idx[..r - 1], &p.a_strides[..r - 1]);
        let ob = super::shape::offset(&idx[..r - 1], &p.b_strides[..r - 1]);
        super::shape::next_index(&mut idx[..r - 1], outer);
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
}

impl core::fmt::Debug for NumberUnary {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            NumberUnary::Neg => "NumberUnary::Neg",
            NumberUnary::Abs => "NumberUnary::Abs",
            NumberUnary::Sign => "NumberUnary::Sign",
            NumberUnary::Relu => "NumberUnary::Relu",
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
        NumberUnary::Relu => {
            pairs.for_each(|(o, &v)| *o = if v < T::zero() { T::zero() } else { v })
        }
    }
}

/// Value conversion following ONNX Cast between numeric dtypes (Rust `as` semantics).
///
/// Float to integer truncates toward zero and saturates (NaN becomes 0); integer to integer
/// wraps; to float rounds to nearest. Casting from bool is casting from `u8`; casting to bool
/// is [`cast_to_bool`].
pub trait Convert<D>: Copy {
    /// `self` converted to `D`.
    fn convert(self) -> D;
}

/// Implements `Convert<D>` from one source type to each listed destination.
macro_rules! convert_from {
    ($s:ty => $($d:ty),*) => {$(
        impl Convert<$d> for $s {
            #[inline(always)]
            fn convert(self) -> $d {
                self as $d
            }
        }
    )*};
}

/// Implements `Convert` between every pair of the listed types.
macro_rules! convert_all {
    ($($s:ty),*) => {$(
        convert_from!($s => f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);
    )*};
}

convert_all!(f32, f64, i8, i16, i32, i64, u8, u16, u32, u64);

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
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    /// Naive broadcast oracle: index each input from the output multi-index.
    fn naive<A: Copy, B: Copy, O: Copy + Default>(
        a_shape: &[usize],
        a: &[A],
        b_shape: &[usize],
        b: &[B],
        f: impl Fn(A, B) -> O,
    ) -> (Vec<usize>, Vec<O>) {
        let rank = a_shape.len().max(b_shape.len());
        let pad = |s: &[usize]| {
            let mut v = std::vec![1; rank - s.len()];
            v.extend_from_slice(s);
            v
        };
        let (ap, bp) = (pad(a_shape), pad(b_shape));
        let out: Vec<usize> = ap
            .iter()
            .zip(&bp)
            .map(|(&x, &y)| if x == 1 { y } else { x })
            .collect();
        let n: usize = out.iter().product();
        let mut y = Vec::with_capacity(n);
        for flat in 0..n {
            let mut rem = flat;
            let mut idx = std::vec![0; rank];
            for d in (0..rank).rev() {
                idx[d] = rem % out[d];
                rem /= out[d];
            }
            let (mut ia, mut ib) = (0, 0);
            for d in 0..rank {
                ia = ia * ap[d] + if ap[d] == 1 { 0 } else { idx[d] };
                ib = ib * bp[d] + if bp[d] == 1 { 0 } else { idx[d] };
            }
            y.push(f(a[ia], b[ib]));
        }
        (out, y)
    }

    fn data(n: usize, seed: i64) -> Vec<f32> {
        (0..n as i64)
            .map(|i| ((i * 7 + seed) % 13 - 6) as f32 * 0.5)
            .collect()
    }

    const CASES: &[(&[usize], &[usize])] = &[
        (&[], &[]),
        (&[1], &[7]),
        (&[7], &[7]),
        (&[3, 7], &[7]),
        (&[3, 7], &[3, 1]),
        (&[17], &[]),
        (&[], &[3, 1, 7]),
        (&[3, 1, 7], &[1, 17, 1]),
        (&[2, 3, 1, 5], &[3, 7, 1]),
        (&[1, 3, 1], &[7, 1, 1]),
        (&[3, 0], &[1]),
    ];

    #[test]
    fn binary_matches_naive_broadcast() {
        for &(sa, sb) in CASES {
            let a = data(super::super::shape::numel(sa), 1);
            let b = data(super::super::shape::numel(sb), 5);
            for op in [
                BinaryOp::Add,
                BinaryOp::Sub,
                BinaryOp::Mul,
                BinaryOp::Max,
                BinaryOp::PRelu,
            ] {
                let f = |x: f32, z: f32| match op {
                    BinaryOp::Add => x + z,
                    BinaryOp::Sub => x - z,
                    BinaryOp::Mul => x * z,
                    BinaryOp::Max => x.max(z),
                    _ => {
                        if x >= 0.0 {
                            x
                        } else {
                            x * z
                        }
                    }
                };
                let (shape, want) = naive(sa, &a, sb, &b, f);
                let p = BroadcastParams::new(sa, sb).unwrap_or_else(|| panic!("{sa:?} {sb:?}"));
                assert_eq!(p.len, want.len());
                let mut y = std::vec![f32::NAN; want.len()];
                binary(op, &p, &a, &b, &mut y);
                assert_eq!(y, want, "{op:?} {sa:?} {sb:?} -> {shape:?}");
                // Uncoalesced params (strides straight from broadcasting) give the same result.
                let mut out = [1usize; 8];
                let rank = super::super::shape::broadcast_shape(sa, sb, &mut out).unwrap_or(0);
                let mut p2 = BroadcastParams {
                    rank,
                    out_shape: out,
                    a_strides: [0; 8],
                    b_strides: [0; 8],
                    len: p.len,
                };
                super::super::shape::broadcast_strides(sa, &out[..rank], &mut p2.a_strides);
                super::super::shape::broadcast_strides(sb, &out[..rank], &mut p2.b_strides);
                let mut y2 = std::vec![f32::NAN; want.len()];
                binary(op, &p2, &a, &b, &mut y2);
                assert_eq!(y2, want, "uncoalesced {op:?} {sa:?} {sb:?}");
            }
        }
    }

    #[test]
    fn general_strided_rows() {
        // a broadcast on the last dim, b transposed-like strides: exercises the `_` row path.
        let p = BroadcastParams {
            rank: 2,
            out_shape: [3, 7, 1, 1, 1, 1, 1, 1],
            a_strides: [1, 0, 0, 0, 0, 0, 0, 0],
            b_strides: [1, 3, 0, 0, 0, 0, 0, 0],
            len: 21,
        };
        let a = [1i32, 2, 3];
        let b: Vec<i32> = (0..21).collect();
        let mut y = [0i32; 21];
        binary(BinaryOp::Mul, &p, &a, &b, &mut y);
        for i in 0..3 {
            for j in 0..7 {
                assert_eq!(y[i * 7 + j], a[i] * b[j * 3 + i]);
            }
        }
    }

    #[test]
    fn integer_semantics() {
        // ONNX Mod spec example (fmod = 0): sign of the divisor.
        let a = [-4i32, 7, 5, 4, -7, 8];
        let b = [2i32, -3, 8, -2, 3, 5];
        let p = BroadcastParams::new(&[6], &[6]).unwrap_or_else(|| panic!());
        let mut y = [0i32; 6];
        binary(BinaryOp::Mod, &p, &a, &b, &mut y);
        assert_eq!(y, [0, -2, 5, 0, 2, 3]);
        binary(BinaryOp::FMod, &p, &a, &b, &mut y);
        assert_eq!(y, [0, 1, 5, 0, -1, 3]);
        binary(BinaryOp::Div, &p, &a, &b, &mut y);
        assert_eq!(y, [-2, -2, 0, -2, -2, 1]);
        // Division and remainder by zero, and MIN / -1, do not panic.
        assert_eq!(7i64.div(0), 0);
        assert_eq!(7i64.modulo(0), 0);
        assert_eq!(i8::MIN.div(-1), i8::MIN);
        assert_eq!(i8::MIN.modulo(-1), 0);
        assert_eq!(7u8.modulo(0), 0);
        // Pow.
        assert_eq!(Number::pow(3i32, 4), 81);
        assert_eq!(Number::pow(2i64, 0), 1);
        assert_eq!(Number::pow(-2i32, 3), -8);
        assert_eq!(Number::pow(2i32, -1), 0);
        assert_eq!(Number::pow(-1i32, -3), -1);
        assert_eq!(Number::pow(-1i32, -2), 1);
        assert_eq!(Number::pow(3u8, 5), 243);
        assert_eq!(Number::pow(2u8, 9), 0);
        assert_eq!(i32::MAX.add(1), i32::MIN);
        assert_eq!(Number::abs(-5i16), 5);
        assert_eq!(Number::abs(i16::MIN), i16::MIN);
        assert_eq!((-5i16).sign(), -1);
        assert_eq!(9u32.sign(), 1);
    }

    #[test]
    fn float_mod_and_pow() {
        // ONNX Mod spec example, fmod = 1.
        let a = [-4.3f64, 7.2, 5.0, 4.3, -7.2, 8.0];
        let b = [2.1f64, -3.4, 8.0, -2.1, 3.4, 5.0];
        let want = [-0.1f64, 0.4, 5.0, 0.1, -0.4, 3.0];
        for ((&x, &z), &w) in a.iter().zip(&b).zip(&want) {
            assert!((x.fmod(z) - w).abs() < 1e-12, "{x} fmod {z}");
            // Python-style: sign of the divisor.
            let m = x.modulo(z);
            assert!(m == 0.0 || (m < 0.0) == (z < 0.0), "{x} mod {z} = {m}");
            assert!(((x - m) / z - ((x - m) / z).round()).abs() < 1e-9);
        }
        assert!(fmod_f64(f64::INFINITY, 1.0).is_nan());
        assert!(fmod_f64(1.0, 0.0).is_nan());
        assert_eq!(fmod_f64(1.5, f64::INFINITY), 1.5);
        assert_eq!(fmod_f64(1e300, 3.0), 1e300 % 3.0);
        assert_eq!(fmod_f64(-1e-300, 7e-310), -1e-300 % 7e-310);
        assert_eq!(pow_f64(1.5, 3.0), 3.375);
        assert_eq!(pow_f64(2.0, -2.0), 0.25);
        assert_eq!(pow_f64(f64::NAN, 0.0), 1.0);
        assert!(Number::max(1.0f32, f32::NAN).is_nan());
        assert!(Number::min(f32::NAN, 1.0f32).is_nan());
        assert_eq!(Number::max(-0.5f32, 2.0), 2.0);
        assert_eq!((-0.0f32).sign().to_bits(), (-0.0f32).to_bits());
    }

    #[test]
    fn f32_pow_and_mod_use_runtime_math() {
        let p = BroadcastParams::new(&[7], &[1]).unwrap_or_else(|| panic!());
        let a = [2.0f32, 4.0, -3.0, 0.5, 10.0, -2.0, 1.0];
        let mut y = [0.0f32; 7];
        binary(BinaryOp::Pow, &p, &a, &[3.0], &mut y);
        let want = [8.0f32, 64.0, -27.0, 0.125, 1000.0, -8.0, 1.0];
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() <= 1e-5 * w.abs(), "{y:?}");
        }
        binary(BinaryOp::Pow, &p, &a[..2], &[0.5], &mut y[..2]);
        assert!(
            (y[0] - 2.0f32.sqrt()).abs() < 1e-6 && (y[1] - 2.0).abs() < 1e-6,
            "{y:?}"
        );
        // ONNX Mod spec example with fmod = 1 (f32), and the Python-style variant.
        let a = [-4.3f32, 7.2, 5.0, 4.3, -7.2, 8.0];
        let b = [2.1f32, -3.4, 8.0, -2.1, 3.4, 5.0];
        let p = BroadcastParams::new(&[6], &[6]).unwrap_or_else(|| panic!());
        let mut y = [0.0f32; 6];
        binary(BinaryOp::FMod, &p, &a, &b, &mut y);
        let want = [-0.1f32, 0.4, 5.0, 0.1, -0.4, 3.0];
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{y:?}");
        }
        binary(BinaryOp::Mod, &p, &a, &b, &mut y);
        let want = [2.0f32, -3.0, 5.0, -2.0, 3.0, 3.0];
        for (g, w) in y.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{y:?}");
        }
    }

    #[test]
    fn compare_logic_not() {
        let p = BroadcastParams::new(&[3, 1], &[1, 3]).unwrap_or_else(|| panic!());
        let a = [1i64, 2, 3];
        let b = [2i64, 2, 2];
        let mut y = [9u8; 9];
        compare(CompareOp::Less, &p, &a, &b, &mut y);
        assert_eq!(y, [1, 1, 1, 0, 0, 0, 0, 0, 0]);
        compare(CompareOp::GreaterOrEqual, &p, &a, &b, &mut y);
        assert_eq!(y, [0, 0, 0, 1, 1, 1, 1, 1, 1]);
        compare(CompareOp::Equal, &p, &a, &b, &mut y);
        assert_eq!(y, [0, 0, 0, 1, 1, 1, 0, 0, 0]);
        let nan = BroadcastParams::new(&[1], &[1]).unwrap_or_else(|| panic!());
        let mut z = [9u8];
        compare(CompareOp::Equal, &nan, &[f32::NAN], &[f32::NAN], &mut z);
        assert_eq!(z, [0]);
        let p = BroadcastParams::new(&[4], &[4]).unwrap_or_else(|| panic!());
        let (u, v) = ([0u8, 0, 1, 1], [0u8, 1, 0, 1]);
        let mut w = [9u8; 4];
        logic(LogicOp::And, &p, &u, &v, &mut w);
        assert_eq!(w, [0, 0, 0, 1]);
        logic(LogicOp::Or, &p, &u, &v, &mut w);
        assert_eq!(w, [0, 1, 1, 1]);
        logic(LogicOp::Xor, &p, &u, &v, &mut w);
        assert_eq!(w, [0, 1, 1, 0]);
        not(&[0, 1, 2], &mut w[..3]);
        assert_eq!(&w[..3], &[1, 0, 0]);
    }

    #[test]
    fn where_matches_naive() {
        let cases: &[(&[usize], &[usize], &[usize])] = &[
            (&[7], &[7], &[7]),
            (&[3, 1], &[1, 7], &[]),
            (&[1, 17], &[3, 1], &[3, 17]),
            (&[], &[2, 3], &[3]),
            (&[2, 1, 3], &[1, 3, 1], &[3, 3]),
        ];
        for &(sc, sa, sb) in cases {
            let c: Vec<u8> = (0..super::super::shape::numel(sc))
                .map(|i| (i % 3 == 0) as u8)
                .collect();
            let a: Vec<i32> = (0..super::super::shape::numel(sa) as i32).collect();
            let b: Vec<i32> = (0..super::super::shape::numel(sb) as i32)
                .map(|v| -v - 1)
                .collect();
            // Oracle: broadcast (c, a) → pick index pairs, then with b.
            let (s1, ca) = naive(sc, &c, sa, &a, |x, z| (x, z));
            let (_, want) = naive(&s1, &ca, sb, &b, |(x, z), w| if x != 0 { z } else { w });
            let p = WhereParams::new(sc, sa, sb).unwrap_or_else(|| panic!("{sc:?}"));
            let mut y = std::vec![0i32; want.len()];
            select(&p, &c, &a, &b, &mut y);
            assert_eq!(y, want, "{sc:?} {sa:?} {sb:?}");
        }
        assert!(WhereParams::new(&[2], &[3], &[1]).is_none());
    }

    #[test]
    fn unary_and_cast() {
        let x = [-1.5f32, 0.0, 2.0];
        let mut y = [0.0f32; 3];
        unary(super::super::activation::Activation::Neg, &x, &mut y);
        assert_eq!(y, [1.5, -0.0, -2.0]);
        let xi = [-3i8, 0, 5, i8::MIN];
        let mut yi = [0i8; 4];
        unary_number(NumberUnary::Neg, &xi, &mut yi);
        assert_eq!(yi, [3, 0, -5, i8::MIN]);
        unary_number(NumberUnary::Abs, &xi, &mut yi);
        assert_eq!(yi, [3, 0, 5, i8::MIN]);
        unary_number(NumberUnary::Sign, &xi, &mut yi);
        assert_eq!(yi, [-1, 0, 1, -1]);
        unary_number(NumberUnary::Relu, &xi, &mut yi);
        assert_eq!(yi, [0, 0, 5, 0]);
        let f = [-2.7f32, -0.5, 0.5, 2.7, 300.0, -300.0, f32::NAN];
        let mut i = [0i32; 7];
        cast(&f, &mut i);
        assert_eq!(i, [-2, 0, 0, 2, 300, -300, 0]);
        let mut u = [0u8; 7];
        cast(&f, &mut u);
        assert_eq!(u, [0, 0, 0, 2, 255, 0, 0]);
        cast_to_bool(&f, &mut u);
        assert_eq!(u, [1, 1, 1, 1, 1, 1, 1]);
        cast_to_bool(&[0.0f32, -0.0, 1e-30], &mut u[..3]);
        assert_eq!(&u[..3], &[0, 0, 1]);
        let mut d = [0.0f64; 3];
        cast(&[1u8, 0, 1], &mut d);
        assert_eq!(d, [1.0, 0.0, 1.0]);
        let mut w = [0i16; 2];
        cast(&[70000i64, -1], &mut w);
        assert_eq!(w, [4464, -1]);
    }

    #[test]
    fn debug_is_rust_expression() {
        let p = BroadcastParams::new(&[3], &[]).unwrap_or_else(|| panic!());
        let s = std::format!(
            "{:?} {:?} {:?} {:?}",
            p,
            BinaryOp::PRelu,
            CompareOp::Less,
            LogicOp::Xor
        );
        assert!(s.starts_with(
            "BroadcastParams { rank: 1, out_shape: [3, 1, 1, 1, 1, 1, 1, 1], a_strides: [1, 0"
        ));
        assert!(s.ends_with("len: 3 } BinaryOp::PRelu CompareOp::Less LogicOp::Xor"));
        assert_eq!(std::format!("{:?}", NumberUnary::Sign), "NumberUnary::Sign");
    }

    #[test]
    fn inconsistent_params_do_not_panic() {
        let p = BroadcastParams {
            rank: 9,
            out_shape: [5; 8],
            a_strides: [3; 8],
            b_strides: [0; 8],
            len: usize::MAX,
        };
        let mut y = [0.0f32; 4];
        binary(BinaryOp::Add, &p, &[1.0; 2], &[], &mut y);
    }
}
