extern crate std;
use super::*;

/// Relative (or, near zero, absolute) distance from the `std` f64 reference.
fn err(got: f64, want: f64) -> f64 {
    if got == want || (got.is_nan() && want.is_nan()) {
        return 0.0;
    }
    (got - want).abs() / want.abs().max(1e-300)
}

fn sweep(f: fn(f64) -> f64, g: fn(f64) -> f64, lo: f64, hi: f64, tol: f64) {
    let n = 20_000;
    for i in 0..=n {
        let x = lo + (hi - lo) * i as f64 / n as f64;
        let e = err(f(x), g(x));
        assert!(e <= tol, "x = {x}: got {}, want {} (rel err {e})", f(x), g(x));
    }
}

#[test]
fn f64_helpers_match_std() {
    sweep(sqrt64, f64::sqrt, 0.0, 1e6, 1e-15);
    sweep(ln1p64, f64::ln_1p, -0.999, 100.0, 1e-14);
    sweep(atan64, f64::atan, -50.0, 50.0, 1e-14);
    sweep(asin64, f64::asin, -1.0, 1.0, 1e-14);
    sweep(acos64, f64::acos, -1.0, 1.0, 1e-14);
    sweep(sinh64, f64::sinh, -80.0, 80.0, 1e-14);
    sweep(cosh64, f64::cosh, -80.0, 80.0, 1e-14);
    sweep(asinh64, f64::asinh, -1e5, 1e5, 1e-14);
    sweep(asinh64, f64::asinh, -1e-2, 1e-2, 1e-14);
    sweep(acosh64, f64::acosh, 1.0, 1e5, 1e-14);
    // std's atanh loses precision for x near -1 (it is not evaluated as an odd function).
    sweep(atanh64, |x| x.signum() * x.abs().atanh(), -0.999_999, 0.999_999, 1e-13);
    sweep(softplus64, |x| if x > 0.0 { x + (-x).exp().ln_1p() } else { x.exp().ln_1p() }, -30.0, 30.0, 1e-13);
    sweep(mish64, |x| x * x.exp().ln_1p().tanh(), -30.0, 30.0, 1e-13);
}

#[test]
fn special_values() {
    assert!(asin(1.5).is_nan());
    assert!(acos(-1.5).is_nan());
    assert!(acosh(0.5).is_nan());
    assert!(atanh(1.5).is_nan());
    assert_eq!(atanh(1.0), f32::INFINITY);
    assert_eq!(atanh(-1.0), f32::NEG_INFINITY);
    assert_eq!(asin(-1.0), -core::f32::consts::FRAC_PI_2);
    assert_eq!(acos(-1.0), core::f32::consts::PI);
    assert_eq!(acos(1.0), 0.0);
    assert_eq!(atan(f32::INFINITY), core::f32::consts::FRAC_PI_2);
    assert!(tan(f32::INFINITY).is_nan());
    assert_eq!(sinh(100.0), f32::INFINITY);
    assert_eq!(cosh(-100.0), f32::INFINITY);
    assert_eq!(softplus(1000.0), 1000.0);
    assert_eq!(softplus(-1000.0), 0.0);
    assert_eq!(mish(1000.0), 1000.0);
    for f in [tan, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, softplus, mish] {
        assert!(f(f32::NAN).is_nan());
    }
}

#[test]
fn f32_functions_round_the_reference() {
    let mut x = -3.0f32;
    while x < 3.0 {
        let d = x as f64;
        assert_eq!(tan(x), d.tan() as f32, "tan {x}");
        assert_eq!(atan(x), d.atan() as f32, "atan {x}");
        assert_eq!(sinh(x), d.sinh() as f32, "sinh {x}");
        assert_eq!(asinh(x), d.asinh() as f32, "asinh {x}");
        if x.abs() <= 1.0 {
            assert_eq!(asin(x), d.asin() as f32, "asin {x}");
            assert_eq!(acos(x), d.acos() as f32, "acos {x}");
        }
        x += 0.0137;
    }
}

