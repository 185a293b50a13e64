//! The element types of the generic kernels: [`Number`], the arithmetic every kernel needs for
//! each numeric ONNX dtype (f32, f64, i8…u64), and [`Convert`], the value conversion of Cast.
//!
//! Integer arithmetic wraps and integer division (or remainder) by zero yields 0, so no kernel
//! panics whatever the data.

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
    /// Integers: `self` shifted left by `o` bits (0 when `o` is negative or ≥ the width).
    /// Floats: `self` (the shifts and bitwise ops are only defined on integers).
    fn shl(self, o: Self) -> Self;
    /// Integers: `self` shifted right by `o` bits, arithmetic for signed types (0, or -1 for a
    /// negative `self`, when `o` is negative or ≥ the width). Floats: `self`.
    fn shr(self, o: Self) -> Self;
    /// Integers: bitwise and. Floats: `self`.
    fn bitand(self, o: Self) -> Self;
    /// Integers: bitwise or. Floats: `self`.
    fn bitor(self, o: Self) -> Self;
    /// Integers: bitwise exclusive or. Floats: `self`.
    fn bitxor(self, o: Self) -> Self;
    /// Integers: bitwise not. Floats: `self`.
    fn bitnot(self) -> Self;
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
            #[inline(always)]
            fn shl(self, _o: Self) -> Self {
                self
            }
            #[inline(always)]
            fn shr(self, _o: Self) -> Self {
                self
            }
            #[inline(always)]
            fn bitand(self, _o: Self) -> Self {
                self
            }
            #[inline(always)]
            fn bitor(self, _o: Self) -> Self {
                self
            }
            #[inline(always)]
            fn bitxor(self, _o: Self) -> Self {
                self
            }
            #[inline(always)]
            fn bitnot(self) -> Self {
                self
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
            #[inline(always)]
            fn shl(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 {
                    0
                } else {
                    self << o
                }
            }
            #[inline(always)]
            fn shr(self, o: Self) -> Self {
                if o < 0 || o as u64 >= <$t>::BITS as u64 {
                    if self < 0 { -1 } else { 0 }
                } else {
                    self >> o
                }
            }
            #[inline(always)]
            fn bitand(self, o: Self) -> Self {
                self & o
            }
            #[inline(always)]
            fn bitor(self, o: Self) -> Self {
                self | o
            }
            #[inline(always)]
            fn bitxor(self, o: Self) -> Self {
                self ^ o
            }
            #[inline(always)]
            fn bitnot(self) -> Self {
                !self
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
            #[inline(always)]
            fn shl(self, o: Self) -> Self {
                if o as u64 >= <$t>::BITS as u64 {
                    0
                } else {
                    self << o
                }
            }
            #[inline(always)]
            fn shr(self, o: Self) -> Self {
                if o as u64 >= <$t>::BITS as u64 {
                    0
                } else {
                    self >> o
                }
            }
            #[inline(always)]
            fn bitand(self, o: Self) -> Self {
                self & o
            }
            #[inline(always)]
            fn bitor(self, o: Self) -> Self {
                self | o
            }
            #[inline(always)]
            fn bitxor(self, o: Self) -> Self {
                self ^ o
            }
            #[inline(always)]
            fn bitnot(self) -> Self {
                !self
            }
        }
    )*};
}

number_unsigned!(u8, u16, u32, u64);

/// Value conversion following ONNX Cast between numeric dtypes (Rust `as` semantics).
///
/// Float to integer truncates toward zero and saturates (NaN becomes 0); integer to integer
/// wraps; to float rounds to nearest. Casting from bool is casting from `u8`; casting to bool
/// is [`cast_to_bool`](super::elementwise::cast_to_bool).
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
