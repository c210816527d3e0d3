//! Brent's method for the zero of a function bracketed by a sign change
//! (R. P. Brent, *Algorithms for Minimization without Derivatives*, 1973, ch. 4):
//! inverse quadratic interpolation or secant steps, falling back to bisection
//! so it never does worse than halving the bracket.

use crate::error::Result;

/// Finds t in [a, b] with f(t) = 0 to within `tolerance`, given f(a)·f(b) ≤ 0.
///
/// `f` may fail (a propagator error); the failure is passed on.
pub(crate) fn brent<F>(
    mut f: F,
    mut a: f64,
    mut b: f64,
    mut fa: f64,
    mut fb: f64,
    tolerance: f64,
) -> Result<f64>
where
    F: FnMut(f64) -> Result<f64>,
{
    if fa == 0.0 {
        return Ok(a);
    }
    if fb == 0.0 {
        return Ok(b);
    }
    let (mut c, mut fc) = (a, fa);
    let mut d = b - a;
    let mut e = d;
    for _ in 0..200 {
        if (fb > 0.0) == (fc > 0.0) {
            c = a;
            fc = fa;
            d = b - a;
            e = d;
        }
        if fc.abs() < fb.abs() {
            a = b;
            b = c;
            c = a;
            fa = fb;
            fb = fc;
            fc = fa;
        }
        let tol = 2.0 * f64::EPSILON * b.abs() + 0.5 * tolerance;
        let m = 0.5 * (c - b);
        if m.abs() <= tol || fb == 0.0 {
            return Ok(b);
        }
        if e.abs() >= tol && fa.abs() > fb.abs() {
            let s = fb / fa;
            let (mut p, mut q) = if a == c {
                (2.0 * m * s, 1.0 - s)
            } else {
                let q0 = fa / fc;
                let r = fb / fc;
                (
                    s * (2.0 * m * q0 * (q0 - r) - (b - a) * (r - 1.0)),
                    (q0 - 1.0) * (r - 1.0) * (s - 1.0),
                )
            };
            if p > 0.0 {
                q = -q;
            } else {
                p = -p;
            }
            if 2.0 * p < (3.0 * m * q - (tol * q).abs()).min((e * q).abs()) {
                e = d;
                d = p / q;
            } else {
                d = m;
                e = m;
            }
        } else {
            d = m;
            e = m;
        }
        a = b;
        fa = fb;
        b += if d.abs() > tol { d } else { tol.copysign(m) };
        fb = f(b)?;
    }
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    type Case = (Box<dyn Fn(f64) -> f64>, f64, f64, f64);

    #[test]
    fn finds_roots_of_smooth_and_nasty_functions() {
        let cases: Vec<Case> = vec![
            (Box::new(|x: f64| x * x - 2.0), 0.0, 2.0, 2f64.sqrt()),
            (Box::new(|x: f64| x.cos() - x), 0.0, 1.0, 0.739_085_133_215_160_6),
            (Box::new(|x: f64| (x - 1.0).powi(3)), -3.0, 4.0, 1.0),
            (Box::new(|x: f64| if x < 0.3 { -1.0 } else { 1.0 }), 0.0, 1.0, 0.3),
        ];
        for (f, a, b, root) in cases {
            let found = brent(|x| Ok(f(x)), a, b, f(a), f(b), 1e-10).unwrap();
            assert!((found - root).abs() < 1e-9, "{found} vs {root}");
        }
    }

    #[test]
    fn counts_few_evaluations_on_smooth_functions() {
        let mut calls = 0;
        let f = |x: f64| (x / 100.0).sin() - 0.3;
        let root = brent(
            |x| {
                calls += 1;
                Ok(f(x))
            },
            0.0,
            60.0,
            f(0.0),
            f(60.0),
            1e-4,
        )
        .unwrap();
        assert!((root - 100.0 * 0.3f64.asin()).abs() < 1e-4);
        assert!(calls <= 10, "{calls} evaluations");
    }
}
