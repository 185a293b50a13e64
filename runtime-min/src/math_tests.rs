//! Unit tests for `math.rs`.

extern crate std;
use super::*;
use std::{println, string::String, vec::Vec};

/// Distance in representable f32 steps (NaN vs NaN counts as 0, NaN vs number as max).
fn ulp_dist(a: f32, b: f32) -> u32 {
    if a.is_nan() || b.is_nan() {
        return if a.is_nan() && b.is_nan() {
            0
        } else {
            u32::MAX
        };
    }
    let key = |v: f32| -> i64 {
        let b = v.to_bits();
        if b & SIGN != 0 {
            -((b & ABS) as i64)
        } else {
            b as i64
        }
    };
    (key(a) - key(b)).unsigned_abs() as u32
}

struct Stats {
    max: u32,
    worst: f32,
    mismatches: u64,
    points: u64,
    /// The first few inputs that were not correctly rounded.
    examples: Vec<f32>,
}

fn check(
    name: &str,
    xs: impl Iterator<Item = f32>,
    f: fn(f32) -> f32,
    r: fn(f64) -> f64,
) -> Stats {
    let mut s = Stats {
        max: 0,
        worst: 0.0,
        mismatches: 0,
        points: 0,
        examples: Vec::new(),
    };
    for x in xs {
        let got = f(x);
        let want = r(x as f64) as f32;
        let d = ulp_dist(got, want);
        s.points += 1;
        if d > 0 {
            s.mismatches += 1;
        }
        if d > s.max {
            s.max = d;
            s.worst = x;
        }
    }
    println!(
        "{name}: max {} ulp at x = {:e} ({} of {} points not correctly rounded)",
        s.max, s.worst, s.mismatches, s.points
    );
    s
}

/// About a million f32 spread over every exponent of both signs, plus specials.
fn all_range() -> impl Iterator<Item = f32> {
    (0..=u32::MAX / 4099)
        .map(|i| f32::from_bits(i * 4099))
        .chain(specials())
}

fn linear(lo: f32, hi: f32, n: u32) -> impl Iterator<Item = f32> {
    (0..=n).map(move |i| lo + (hi - lo) * (i as f32 / n as f32))
}

fn specials() -> impl Iterator<Item = f32> {
    [
        0.0,
        -0.0,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
        -f32::MIN_POSITIVE,
        f32::from_bits(1),
        f32::from_bits(0x8000_0001),
        f32::from_bits(0x007f_ffff),
        f32::MAX,
        f32::MIN,
        1.0,
        -1.0,
        0.5,
        -0.5,
        2.0,
        f32::EPSILON,
        1.0 - f32::EPSILON / 2.0,
        1.0 + f32::EPSILON,
    ]
    .into_iter()
}

fn assert_max(s: Stats, ulps: u32) {
    assert!(s.max <= ulps, "max error {} ulp at {:e}", s.max, s.worst);
}

#[test]
fn rounding_functions_are_exact() {
    let xs: Vec<f32> = all_range().chain(linear(-10.0, 10.0, 100_000)).collect();
    for &x in &xs {
        let d = x as f64;
        if x.is_nan() {
            for f in [trunc, floor, ceil, round_half_even, round_half_away, abs] {
                assert!(f(x).is_nan());
            }
            continue;
        }
        assert_eq!(
            trunc(x).to_bits(),
            (d.trunc() as f32).to_bits(),
            "trunc {x}"
        );
        assert_eq!(
            floor(x).to_bits(),
            (d.floor() as f32).to_bits(),
            "floor {x}"
        );
        assert_eq!(ceil(x).to_bits(), (d.ceil() as f32).to_bits(), "ceil {x}");
        assert_eq!(
            round_half_even(x).to_bits(),
            (d.round_ties_even() as f32).to_bits(),
            "rint {x}"
        );
        assert_eq!(
            round_half_away(x).to_bits(),
            (d.round() as f32).to_bits(),
            "round {x}"
        );
        assert_eq!(abs(x).to_bits(), x.abs().to_bits());
    }
    assert_eq!(round_half_even(2.5), 2.0);
    assert_eq!(round_half_even(3.5), 4.0);
    assert_eq!(round_half_even(-0.5).to_bits(), (-0.0f32).to_bits());
    assert_eq!(round_half_away(-0.5), -1.0);
    assert_eq!(round_half_away(0.49999997), 0.0);
    assert_eq!(ceil(-0.5).to_bits(), (-0.0f32).to_bits());
    assert_eq!(floor(-0.5), -1.0);
    assert!(floor(f32::NAN).is_nan());
    assert_eq!(copysign(3.0, -0.0), -3.0);
}

#[test]
fn sqrt_is_correctly_rounded() {
    let s = check(
        "sqrt",
        all_range().chain(linear(0.0, 4.0, 200_000)),
        sqrt,
        f64::sqrt,
    );
    assert_max(s, 0);
    assert_eq!(sqrt(-0.0).to_bits(), (-0.0f32).to_bits());
    assert!(sqrt(-1.0).is_nan());
    assert!(sqrt(f32::NEG_INFINITY).is_nan());
    assert_eq!(sqrt(f32::INFINITY), f32::INFINITY);
}

#[test]
fn fmod_is_exact() {
    let mut rng = Rng(0x1234_5678_9abc_def0);
    let mut n = 0;
    while n < 300_000 {
        let x = rng.any_f32();
        let y = if n % 3 == 0 {
            rng.any_f32()
        } else {
            rng.near(x)
        };
        let want = (x as f64 % y as f64) as f32; // f64 `%` is C fmod and exact here
        let got = fmod(x, y);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "fmod({x:e}, {y:e}) = {got:e}, want {want:e}"
        );
        n += 1;
    }
    assert_eq!(fmod(5.5, 2.0), 1.5);
    assert_eq!(fmod(-5.5, 2.0), -1.5);
    assert_eq!(fmod(-4.0, 2.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(fmod(3.0, f32::INFINITY), 3.0);
    assert!(fmod(3.0, 0.0).is_nan());
    assert!(fmod(f32::INFINITY, 3.0).is_nan());
    assert_eq!(fmod(f32::MAX, f32::from_bits(1)), 0.0);
    assert_eq!(fmod(f32::MAX, 3.0), (f32::MAX as f64 % 3.0) as f32);
}

#[test]
fn exp_family() {
    assert_max(
        check(
            "exp",
            all_range().chain(linear(-104.0, 89.0, 500_000)),
            exp,
            f64::exp,
        ),
        1,
    );
    assert_max(
        check(
            "exp2",
            all_range().chain(linear(-151.0, 129.0, 300_000)),
            exp2,
            f64::exp2,
        ),
        1,
    );
    assert_max(
        check(
            "expm1",
            all_range().chain(linear(-2.0, 2.0, 300_000)),
            expm1,
            f64::exp_m1,
        ),
        1,
    );
    assert_eq!(exp(88.8), f32::INFINITY);
    assert!(exp(88.72) < f32::INFINITY);
    assert_eq!(exp(-104.0), 0.0);
    assert_eq!(exp(-103.0), (-103.0f64).exp() as f32);
    assert!(exp(-103.0) > 0.0);
    assert_eq!(exp(0.0), 1.0);
    assert_eq!(exp(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp(f32::INFINITY), f32::INFINITY);
    assert!(exp(f32::NAN).is_nan());
    assert_eq!(exp2(-149.0), f32::from_bits(1));
    assert_eq!(exp2(10.0), 1024.0);
    assert_eq!(expm1(-0.0).to_bits(), (-0.0f32).to_bits());
}

#[test]
fn log_family() {
    let pos = || {
        all_range()
            .chain(linear(0.5, 2.0, 300_000))
            .chain(linear(0.0, 1e-36, 100_000))
    };
    assert_max(check("ln", pos(), ln, f64::ln), 1);
    assert_max(check("log2", pos(), log2, f64::log2), 1);
    assert_max(check("log10", pos(), log10, f64::log10), 1);
    assert_max(
        check(
            "ln1p",
            all_range().chain(linear(-1.0, 1.0, 300_000)),
            ln1p,
            f64::ln_1p,
        ),
        1,
    );
    assert_eq!(ln(0.0), f32::NEG_INFINITY);
    assert_eq!(ln(-0.0), f32::NEG_INFINITY);
    assert!(ln(-1.0).is_nan());
    assert_eq!(ln(1.0).to_bits(), 0);
    assert_eq!(ln(f32::INFINITY), f32::INFINITY);
    for k in -149..128 {
        assert_eq!(log2(pow2_f32(k)), k as f32);
    }
    assert_eq!(ln1p(-1.0), f32::NEG_INFINITY);
    assert!(ln1p(-2.0).is_nan());
}

#[test]
fn tanh_sigmoid_erf() {
    assert_max(
        check(
            "tanh",
            all_range().chain(linear(-10.0, 10.0, 500_000)),
            tanh,
            f64::tanh,
        ),
        1,
    );
    let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
    assert_max(
        check(
            "sigmoid",
            all_range().chain(linear(-110.0, 20.0, 500_000)),
            sigmoid,
            sig,
        ),
        1,
    );
    assert_max(
        check(
            "erf",
            all_range().chain(linear(-4.5, 4.5, 500_000)),
            erf,
            erf_ref,
        ),
        1,
    );
    assert_eq!(tanh(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh(f32::NEG_INFINITY), -1.0);
    assert_eq!(sigmoid(f32::INFINITY), 1.0);
    assert_eq!(sigmoid(f32::NEG_INFINITY), 0.0);
    assert_eq!(sigmoid(-1000.0), 0.0);
    assert_eq!(sigmoid(0.0), 0.5);
    assert!(sigmoid(f32::NAN).is_nan());
    assert_eq!(erf(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(erf(f32::INFINITY), 1.0);
    assert_eq!(erf(-5.0), -1.0);
    assert!(erf(f32::NAN).is_nan());
}

#[test]
fn sin_cos() {
    let xs = || {
        all_range()
            .chain(linear(-10.0, 10.0, 300_000))
            .chain(linear(0.0, 100_000.0, 300_000))
            .chain(near_multiples_of_pi_2())
    };
    assert_max(check("sin", xs(), sin, f64::sin), 1);
    assert_max(check("cos", xs(), cos, f64::cos), 1);
    assert_eq!(sin(-0.0).to_bits(), (-0.0f32).to_bits());
    assert!(sin(f32::INFINITY).is_nan());
    assert!(cos(f32::NEG_INFINITY).is_nan());
    assert_eq!(cos(0.0), 1.0);
}

/// f32 values next to multiples of π/2, where the reduced argument is tiny.
fn near_multiples_of_pi_2() -> impl Iterator<Item = f32> {
    (1..200_000u32).flat_map(|k| {
        let c = (k as f64 * core::f64::consts::FRAC_PI_2) as f32;
        let b = c.to_bits();
        [f32::from_bits(b - 1), c, f32::from_bits(b + 1)]
    })
}

#[test]
fn pow_special_cases() {
    let inf = f32::INFINITY;
    let nan = f32::NAN;
    let cases: &[(f32, f32, f32)] = &[
        (nan, 0.0, 1.0),
        (1.0, nan, 1.0),
        (-1.0, inf, 1.0),
        (-1.0, -inf, 1.0),
        (0.5, inf, 0.0),
        (0.5, -inf, inf),
        (2.0, inf, inf),
        (2.0, -inf, 0.0),
        (-2.0, 3.0, -8.0),
        (-2.0, 2.0, 4.0),
        (-2.0, -1.0, -0.5),
        (0.0, -1.0, inf),
        (-0.0, -1.0, -inf),
        (-0.0, -2.0, inf),
        (-0.0, -0.5, inf),
        (-0.0, 3.0, -0.0),
        (-0.0, 2.0, 0.0),
        (0.0, 0.5, 0.0),
        (-inf, 3.0, -inf),
        (-inf, 2.0, inf),
        (-inf, -3.0, -0.0),
        (-inf, -2.0, 0.0),
        (inf, -0.5, 0.0),
        (inf, 0.5, inf),
        (-8.0, 1.0 / 3.0, nan),
        (-1.0, 16_777_217.0, 1.0),
        (-1.0, 16_777_215.0, -1.0),
        (2.0, 128.0, inf),
        (2.0, -149.0, f32::from_bits(1)),
        (2.0, -150.0, 0.0),
        (3.0, 0.5, 1.732_050_8),
        (10.0, 2.0, 100.0),
        (nan, 1.0, nan),
        (1.5, nan, nan),
    ];
    for &(x, y, want) in cases {
        let got = pow(x, y);
        assert!(
            got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
            "pow({x:e}, {y:e}) = {got:e}, want {want:e}"
        );
    }
}

#[test]
fn pow_accuracy() {
    let mut rng = Rng(42);
    let (mut max, mut bad, mut worst) = (0u32, 0u64, (0.0f32, 0.0f32));
    let n = 600_000;
    for i in 0..n {
        let (x, y) = match i % 4 {
            // Anything.
            0 => (rng.any_f32(), rng.any_f32()),
            // Results in range: |y·log2 x| up to ~160.
            1 => {
                let x = f32::from_bits(rng.next() as u32 & ABS);
                let l = (x as f64).log2();
                let y = ((rng.unit() * 2.0 - 1.0) * 160.0
                    / if l == 0.0 { 1.0 } else { l.abs() }) as f32;
                (x, y)
            }
            // Small integer exponents of any base, including negative bases.
            2 => (
                f32::from_bits(rng.next() as u32),
                (rng.next() % 129) as f32 - 64.0,
            ),
            // Moderate bases and exponents.
            _ => (
                (rng.unit() * 20.0) as f32,
                ((rng.unit() - 0.5) * 60.0) as f32,
            ),
        };
        let got = pow(x, y);
        let want = (x as f64).powf(y as f64) as f32;
        let d = ulp_dist(got, want);
        if d > 0 {
            bad += 1;
        }
        if d > max {
            max = d;
            worst = (x, y);
        }
    }
    println!("pow: max {max} ulp at {worst:?} ({bad} of {n} points not correctly rounded)");
    assert!(max <= 1, "pow max error {max} ulp at {worst:?}");
}

/// Reference erf built from std's f64 functions: the same positive series, but evaluated
/// independently with a continued fraction for erfc beyond 2.
fn erf_ref(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let a = x.abs();
    let v = if a < 2.0 {
        // Maclaurin series (alternating), fine below 2 in f64.
        let mut sum = 0.0;
        let mut term = a;
        let mut n = 0.0;
        loop {
            sum += term / (2.0 * n + 1.0);
            n += 1.0;
            term *= -a * a / n;
            if term.abs() <= sum * 1e-19 {
                break;
            }
        }
        sum * core::f64::consts::FRAC_2_SQRT_PI
    } else if a < 10.0 {
        // erfc continued fraction (Lentz), evaluated backwards.
        let mut f = 0.0;
        let mut k = 200.0;
        while k > 0.0 {
            f = k / 2.0 / (a + f);
            k -= 1.0;
        }
        1.0 - (-a * a).exp() / (a + f) / core::f64::consts::PI.sqrt()
    } else {
        1.0
    };
    v.copysign(x)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn any_f32(&mut self) -> f32 {
        f32::from_bits(self.next() as u32)
    }
    fn near(&mut self, x: f32) -> f32 {
        // A divisor within a few binades below |x|, so many quotient bits are in play.
        let b = x.to_bits() & ABS;
        let drop = (self.next() % (40 << 23)) as u32;
        f32::from_bits(b.saturating_sub(drop).max(1) | (self.next() as u32 & SIGN))
    }
}

/// Every f32 input for the one-argument functions (slow: run with
/// `cargo test --release -p onnxc-runtime-min -- --ignored --nocapture exhaustive`).
#[test]
#[ignore]
fn exhaustive_report() {
    type Pair = (&'static str, fn(f32) -> f32, fn(f64) -> f64);
    let sig: fn(f64) -> f64 = |x| 1.0 / (1.0 + (-x).exp());
    let funcs: [Pair; 13] = [
        ("sqrt", sqrt, f64::sqrt),
        ("exp", exp, f64::exp),
        ("exp2", exp2, f64::exp2),
        ("expm1", expm1, f64::exp_m1),
        ("ln", ln, f64::ln),
        ("log2", log2, f64::log2),
        ("log10", log10, f64::log10),
        ("ln1p", ln1p, f64::ln_1p),
        ("tanh", tanh, f64::tanh),
        ("sigmoid", sigmoid, sig),
        ("sin", sin, f64::sin),
        ("cos", cos, f64::cos),
        ("erf", erf, erf_ref),
    ];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    // ONNXC_MATH_ONLY=name[,name…] restricts the run.
    let only = std::env::var("ONNXC_MATH_ONLY").unwrap_or_default();
    for (name, f, r) in funcs {
        if !only.is_empty() && !only.split(',').any(|o| o == name) {
            continue;
        }
        let chunk = (1u64 << 32) / threads;
        let parts: Vec<Stats> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let lo = t * chunk;
                    let hi = if t + 1 == threads {
                        1u64 << 32
                    } else {
                        lo + chunk
                    };
                    scope.spawn(move || {
                        check_quiet((lo..hi).map(|b| f32::from_bits(b as u32)), f, r)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all = Stats {
            max: 0,
            worst: 0.0,
            mismatches: 0,
            points: 0,
            examples: Vec::new(),
        };
        for p in parts {
            all.examples.extend(p.examples);
            all.mismatches += p.mismatches;
            all.points += p.points;
            if p.max > all.max {
                all.max = p.max;
                all.worst = p.worst;
            }
        }
        println!(
            "{name}: max {} ulp at x = {:e} ({} of {} inputs not correctly rounded){}",
            all.max,
            all.worst,
            all.mismatches,
            all.points,
            if all.examples.is_empty() {
                String::new()
            } else {
                std::format!(", e.g. {:?}", all.examples)
            }
        );
    }
}

fn check_quiet(xs: impl Iterator<Item = f32>, f: fn(f32) -> f32, r: fn(f64) -> f64) -> Stats {
    let mut s = Stats {
        max: 0,
        worst: 0.0,
        mismatches: 0,
        points: 0,
        examples: Vec::new(),
    };
    for x in xs {
        let d = ulp_dist(f(x), r(x as f64) as f32);
        s.points += 1;
        if d > 0 {
            s.mismatches += 1;
            if s.examples.len() < 16 {
                s.examples.push(x);
            }
            if d > s.max {
                s.max = d;
                s.worst = x;
            }
        }
    }
    s
}
