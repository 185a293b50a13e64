//! Unary activations: fused into conv/gemm outputs and used as the unary-elementwise op set.

use core::fmt;

/// One unary function, following the ONNX operator formulas exactly.
///
/// `Debug` prints the qualified path (`Activation::LeakyRelu { alpha: 0.01 }`) so the compiler
/// can emit it as a Rust expression inside a `const` parameter struct.
#[derive(Clone, Copy, PartialEq)]
pub enum Activation {
    /// Identity: nothing is applied.
    None,
    /// `max(0, x)` (NaN propagates).
    Relu,
    /// `x` for `x >= 0`, else `alpha * x`.
    LeakyRelu {
        /// Slope for negative inputs.
        alpha: f32,
    },
    /// `x` for `x >= 0`, else `alpha * (exp(x) - 1)`.
    Elu {
        /// Scale of the negative branch.
        alpha: f32,
    },
    /// `min` below `min`, `max` above `max`, else `x` (NaN propagates, as in ORT).
    Clip {
        /// Lower bound (`f32::MIN` for none).
        min: f32,
        /// Upper bound (`f32::MAX` for none).
        max: f32,
    },
    /// `1 / (1 + exp(-x))`.
    Sigmoid,
    /// `max(0, min(1, alpha * x + beta))`.
    HardSigmoid {
        /// Slope.
        alpha: f32,
        /// Offset.
        beta: f32,
    },
    /// `x * max(0, min(1, x / 6 + 0.5))` (HardSigmoid with alpha = 1/6, beta = 0.5).
    HardSwish,
    /// `tanh(x)`.
    Tanh,
    /// Exact GELU: `0.5 * x * (1 + erf(x / sqrt(2)))`.
    Gelu,
    /// Tanh-approximated GELU: `0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))`.
    GeluTanh,
    /// Gauss error function.
    Erf,
    /// Square root.
    Sqrt,
    /// `1 / x`.
    Reciprocal,
    /// `e^x`.
    Exp,
    /// Natural logarithm.
    Log,
    /// `-x`.
    Neg,
    /// `|x|`.
    Abs,
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Arcsine.
    Asin,
    /// Arccosine.
    Acos,
    /// Arctangent.
    Atan,
    /// Hyperbolic sine.
    Sinh,
    /// Hyperbolic cosine.
    Cosh,
    /// Inverse hyperbolic sine.
    Asinh,
    /// Inverse hyperbolic cosine.
    Acosh,
    /// Inverse hyperbolic tangent.
    Atanh,
    /// Rounds toward −∞.
    Floor,
    /// Rounds toward +∞.
    Ceil,
    /// Rounds to nearest, ties to even.
    Round,
    /// -1, 0 or 1 by the sign of `x` (NaN stays NaN).
    Sign,
    /// `ln(1 + e^x)`.
    Softplus,
    /// `x / (1 + |x|)`.
    Softsign,
    /// `x * tanh(softplus(x))`.
    Mish,
    /// `gamma * x` for `x > 0`, else `gamma * alpha * (e^x - 1)`.
    Selu {
        /// Scale of the negative branch.
        alpha: f32,
        /// Overall scale.
        gamma: f32,
    },
    /// `max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`.
    Celu {
        /// Scale of the negative branch.
        alpha: f32,
    },
    /// `x` for `x > alpha`, else 0.
    ThresholdedRelu {
        /// Threshold.
        alpha: f32,
    },
    /// `x + bias` below `-lambd`, `x - bias` above `lambd`, else 0.
    Shrink {
        /// Half-width of the zeroed band.
        lambd: f32,
        /// Shift applied outside the band.
        bias: f32,
    },
    /// `x * sigmoid(alpha * x)`.
    Swish {
        /// Slope inside the sigmoid.
        alpha: f32,
    },
    /// Bitwise not: defined on integer tensors only (their kernel is `unary_number`); the
    /// identity if ever applied to a float.
    BitNot,
}

impl fmt::Debug for Activation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Activation::None => f.write_str("Activation::None"),
            Activation::Relu => f.write_str("Activation::Relu"),
            Activation::LeakyRelu { alpha } => {
                write!(f, "Activation::LeakyRelu {{ alpha: {alpha:?} }}")
            }
            Activation::Elu { alpha } => write!(f, "Activation::Elu {{ alpha: {alpha:?} }}"),
            Activation::Clip { min, max } => {
                write!(f, "Activation::Clip {{ min: {min:?}, max: {max:?} }}")
            }
            Activation::Sigmoid => f.write_str("Activation::Sigmoid"),
            Activation::HardSigmoid { alpha, beta } => {
                write!(
                    f,
                    "Activation::HardSigmoid {{ alpha: {alpha:?}, beta: {beta:?} }}"
                )
            }
            Activation::HardSwish => f.write_str("Activation::HardSwish"),
            Activation::Tanh => f.write_str("Activation::Tanh"),
            Activation::Gelu => f.write_str("Activation::Gelu"),
            Activation::GeluTanh => f.write_str("Activation::GeluTanh"),
            Activation::Erf => f.write_str("Activation::Erf"),
            Activation::Sqrt => f.write_str("Activation::Sqrt"),
            Activation::Reciprocal => f.write_str("Activation::Reciprocal"),
            Activation::Exp => f.write_str("Activation::Exp"),
            Activation::Log => f.write_str("Activation::Log"),
            Activation::Neg => f.write_str("Activation::Neg"),
            Activation::Abs => f.write_str("Activation::Abs"),
            Activation::Sin => f.write_str("Activation::Sin"),
            Activation::Cos => f.write_str("Activation::Cos"),
            Activation::Tan => f.write_str("Activation::Tan"),
            Activation::Asin => f.write_str("Activation::Asin"),
            Activation::Acos => f.write_str("Activation::Acos"),
            Activation::Atan => f.write_str("Activation::Atan"),
            Activation::Sinh => f.write_str("Activation::Sinh"),
            Activation::Cosh => f.write_str("Activation::Cosh"),
            Activation::Asinh => f.write_str("Activation::Asinh"),
            Activation::Acosh => f.write_str("Activation::Acosh"),
            Activation::Atanh => f.write_str("Activation::Atanh"),
            Activation::Floor => f.write_str("Activation::Floor"),
            Activation::Ceil => f.write_str("Activation::Ceil"),
            Activation::Round => f.write_str("Activation::Round"),
            Activation::Sign => f.write_str("Activation::Sign"),
            Activation::Softplus => f.write_str("Activation::Softplus"),
            Activation::Softsign => f.write_str("Activation::Softsign"),
            Activation::Mish => f.write_str("Activation::Mish"),
            Activation::Selu { alpha, gamma } => {
                write!(f, "Activation::Selu {{ alpha: {alpha:?}, gamma: {gamma:?} }}")
            }
            Activation::Celu { alpha } => write!(f, "Activation::Celu {{ alpha: {alpha:?} }}"),
            Activation::ThresholdedRelu { alpha } => {
                write!(f, "Activation::ThresholdedRelu {{ alpha: {alpha:?} }}")
            }
            Activation::Shrink { lambd, bias } => {
                write!(f, "Activation::Shrink {{ lambd: {lambd:?}, bias: {bias:?} }}")
            }
            Activation::Swish { alpha } => write!(f, "Activation::Swish {{ alpha: {alpha:?} }}"),
            Activation::BitNot => f.write_str("Activation::BitNot"),
        }
    }
}

/// Applies `act` to one value; with a constant `act` this folds to the one formula.
#[inline(always)]
pub fn apply(act: Activation, x: f32) -> f32 {
    use crate::rt::math;
    match act {
        Activation::None => x,
        Activation::Relu => {
            if x < 0.0 {
                0.0
            } else {
                x
            }
        }
        Activation::LeakyRelu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * x
            }
        }
        Activation::Elu { alpha } => {
            if x >= 0.0 {
                x
            } else {
                alpha * (math::exp(x) - 1.0)
            }
        }
        Activation::Clip { min, max } => {
            // `min > max` gives `max` everywhere, as ONNX specifies.
            let v = if x < min { min } else { x };
            if v > max {
                max
            } else {
                v
            }
        }
        Activation::Sigmoid => math::sigmoid(x),
        Activation::HardSigmoid { alpha, beta } => hard_sigmoid(alpha * x + beta),
        Activation::HardSwish => x * hard_sigmoid(x * (1.0 / 6.0) + 0.5),
        Activation::Tanh => math::tanh(x),
        Activation::Gelu => 0.5 * x * (1.0 + math::erf(x * core::f32::consts::FRAC_1_SQRT_2)),
        Activation::GeluTanh => {
            // sqrt(2 / pi)
            const K: f32 = 0.797_884_6;
            0.5 * x * (1.0 + math::tanh(K * (x + 0.044_715 * x * x * x)))
        }
        Activation::Erf => math::erf(x),
        Activation::Sqrt => math::sqrt(x),
        Activation::Reciprocal => 1.0 / x,
        Activation::Exp => math::exp(x),
        Activation::Log => math::ln(x),
        Activation::Neg => -x,
        Activation::Abs => math::abs(x),
        Activation::Sin => math::sin(x),
        Activation::Cos => math::cos(x),
        Activation::Tan => math::tan(x),
        Activation::Asin => math::asin(x),
        Activation::Acos => math::acos(x),
        Activation::Atan => math::atan(x),
        Activation::Sinh => math::sinh(x),
        Activation::Cosh => math::cosh(x),
        Activation::Asinh => math::asinh(x),
        Activation::Acosh => math::acosh(x),
        Activation::Atanh => math::atanh(x),
        Activation::Floor => math::floor(x),
        Activation::Ceil => math::ceil(x),
        Activation::Round => math::round_half_even(x),
        Activation::Sign => {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                x
            }
        }
        Activation::Softplus => math::softplus(x),
        Activation::Softsign => x / (1.0 + math::abs(x)),
        Activation::Mish => math::mish(x),
        Activation::Selu { alpha, gamma } => {
            if x > 0.0 {
                gamma * x
            } else {
                gamma * (alpha * math::expm1(x))
            }
        }
        Activation::Celu { alpha } => {
            if x > 0.0 {
                x
            } else {
                alpha * math::expm1(x / alpha)
            }
        }
        Activation::ThresholdedRelu { alpha } => {
            if x > alpha {
                x
            } else {
                0.0
            }
        }
        Activation::Shrink { lambd, bias } => {
            if x < -lambd {
                x + bias
            } else if x > lambd {
                x - bias
            } else {
                0.0
            }
        }
        Activation::Swish { alpha } => x * math::sigmoid(alpha * x),
        Activation::BitNot => x,
    }
}

/// Clamps `v` to `[0, 1]` (NaN propagates): the shared tail of HardSigmoid and HardSwish.
#[inline(always)]
pub fn hard_sigmoid(v: f32) -> f32 {
    v.clamp(0.0, 1.0)
}

/// Applies `act` to every element of `y`; returns at once for [`Activation::None`].
#[inline(always)]
pub fn apply_in_place(act: Activation, y: &mut [f32]) {
    if act == Activation::None {
        return;
    }
    for v in y.iter_mut() {
        *v = apply(act, *v);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    fn close(a: f32, b: f64, tol: f64) -> bool {
        ((a as f64) - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn debug_is_rust_expression() {
        assert_eq!(format!("{:?}", Activation::Relu), "Activation::Relu");
        assert_eq!(
            format!("{:?}", Activation::LeakyRelu { alpha: 0.01 }),
            "Activation::LeakyRelu { alpha: 0.01 }"
        );
        assert_eq!(
            format!(
                "{:?}",
                Activation::Clip {
                    min: f32::MIN,
                    max: 6.0
                }
            ),
            "Activation::Clip { min: -3.4028235e38, max: 6.0 }"
        );
        assert_eq!(
            format!(
                "{:?}",
                Activation::HardSigmoid {
                    alpha: 0.2,
                    beta: 0.5
                }
            ),
            "Activation::HardSigmoid { alpha: 0.2, beta: 0.5 }"
        );
        assert_eq!(
            format!("{:?}", Activation::Elu { alpha: 1.0 }),
            "Activation::Elu { alpha: 1.0 }"
        );
        // The printed bound parses back to exactly f32::MIN.
        assert_eq!("-3.4028235e38".parse::<f32>().ok(), Some(f32::MIN));
    }

    #[test]
    fn piecewise_formulas() {
        assert_eq!(apply(Activation::None, -2.5), -2.5);
        assert_eq!(apply(Activation::Relu, -2.5), 0.0);
        assert_eq!(apply(Activation::Relu, 2.5), 2.5);
        assert!(apply(Activation::Relu, f32::NAN).is_nan());
        assert_eq!(apply(Activation::LeakyRelu { alpha: 0.1 }, -2.0), -0.2);
        assert_eq!(apply(Activation::LeakyRelu { alpha: 0.1 }, 3.0), 3.0);
        let clip = Activation::Clip {
            min: -1.0,
            max: 6.0,
        };
        assert_eq!(apply(clip, -3.0), -1.0);
        assert_eq!(apply(clip, 7.0), 6.0);
        assert_eq!(apply(clip, 2.0), 2.0);
        assert!(apply(clip, f32::NAN).is_nan());
        let hs = Activation::HardSigmoid {
            alpha: 0.2,
            beta: 0.5,
        };
        assert_eq!(apply(hs, -10.0), 0.0);
        assert_eq!(apply(hs, 10.0), 1.0);
        assert!(close(apply(hs, 1.0), 0.7, 1e-6));
        assert_eq!(apply(Activation::HardSwish, -4.0), 0.0);
        assert_eq!(apply(Activation::HardSwish, 4.0), 4.0);
        assert!(close(
            apply(Activation::HardSwish, 1.0),
            1.0 * (1.0 / 6.0 + 0.5),
            1e-6
        ));
        assert_eq!(apply(Activation::Reciprocal, 4.0), 0.25);
        assert_eq!(apply(Activation::Neg, 4.0), -4.0);
        assert_eq!(apply(Activation::Abs, -4.0), 4.0);
    }

    #[test]
    fn transcendental_formulas() {
        for i in 0..41 {
            let x = -5.0 + 0.25 * i as f32;
            let xd = x as f64;
            assert!(
                close(
                    apply(Activation::Sigmoid, x),
                    1.0 / (1.0 + (-xd).exp()),
                    1e-5
                ),
                "{x}"
            );
            assert!(close(apply(Activation::Tanh, x), xd.tanh(), 1e-5), "{x}");
            assert!(close(apply(Activation::Exp, x), xd.exp(), 1e-5), "{x}");
            let elu = if xd >= 0.0 {
                xd
            } else {
                1.5 * (xd.exp() - 1.0)
            };
            assert!(
                close(apply(Activation::Elu { alpha: 1.5 }, x), elu, 1e-5),
                "{x}"
            );
            let gt = 0.5
                * xd
                * (1.0
                    + ((2.0 / std::f64::consts::PI).sqrt() * (xd + 0.044715 * xd * xd * xd))
                        .tanh());
            assert!(close(apply(Activation::GeluTanh, x), gt, 1e-5), "{x}");
            if x > 0.0 {
                assert!(close(apply(Activation::Sqrt, x), xd.sqrt(), 1e-6), "{x}");
                assert!(close(apply(Activation::Log, x), xd.ln(), 1e-5), "{x}");
            }
        }
        // erf reference values (Abramowitz & Stegun tables).
        assert!(close(apply(Activation::Erf, 0.5), 0.520_499_877_8, 1e-5));
        assert!(close(apply(Activation::Erf, 1.0), 0.842_700_792_9, 1e-5));
        assert!(close(apply(Activation::Erf, -2.0), -0.995_322_265_0, 1e-5));
        // gelu(1) = 0.5 * (1 + erf(1/sqrt 2)) = 0.841344746
        assert!(close(apply(Activation::Gelu, 1.0), 0.841_344_746_1, 1e-5));
        assert!(close(apply(Activation::Gelu, -1.0), -0.158_655_253_9, 1e-5));
        assert_eq!(apply(Activation::Gelu, 0.0), 0.0);
    }

    #[test]
    fn in_place_matches_apply() {
        let mut y = [-2.0f32, -0.5, 0.0, 0.5, 2.0, 7.0, -9.0];
        let orig = y;
        apply_in_place(Activation::None, &mut y);
        assert_eq!(y, orig);
        let act = Activation::Clip { min: 0.0, max: 6.0 };
        apply_in_place(act, &mut y);
        for (a, b) in y.iter().zip(orig.iter()) {
            assert_eq!(*a, apply(act, *b));
        }
    }
}
