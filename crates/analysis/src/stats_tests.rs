use std::collections::BTreeMap;

use super::*;

/// A tiny deterministic generator (Numerical Recipes LCG) with approximately normal draws.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Irwin–Hall: the sum of 12 uniforms minus 6 is close to N(0, 1).
    fn normal(&mut self, mean: f64, sd: f64) -> f64 {
        mean + sd * ((0..12).map(|_| self.uniform()).sum::<f64>() - 6.0)
    }

    fn samples(&mut self, n: usize, mean: f64, sd: f64) -> Vec<f64> {
        (0..n).map(|_| self.normal(mean, sd)).collect()
    }
}

fn success_cfg() -> ComparisonConfig {
    ComparisonConfig { worse_when: WorseWhen::Lower, ..ComparisonConfig::default() }
}

#[test]
fn table_of_synthetic_samples() {
    // (case, seed, canary mean/sd, primary mean/sd, worse_when, want worse)
    let cases = [
        ("known-good success rate", 1, (99.5, 0.3), (99.5, 0.3), WorseWhen::Lower, false),
        ("known-bad success rate under an absolute min of 98", 2, (98.9, 0.3), (99.6, 0.3), WorseWhen::Lower, true),
        ("better canary never fails", 3, (99.9, 0.1), (99.0, 0.3), WorseWhen::Lower, false),
        ("noisy, tiny shift", 4, (99.3, 2.0), (99.4, 2.0), WorseWhen::Lower, false),
        ("known-good latency", 5, (120.0, 15.0), (120.0, 15.0), WorseWhen::Higher, false),
        ("known-bad latency", 6, (160.0, 15.0), (120.0, 15.0), WorseWhen::Higher, true),
        ("faster canary never fails", 7, (80.0, 10.0), (120.0, 15.0), WorseWhen::Higher, false),
    ];
    for (name, seed, (cm, cs), (pm, ps), worse_when, want) in cases {
        let mut rng = Lcg(seed);
        let canary = rng.samples(20, cm, cs);
        let primary = rng.samples(20, pm, ps);
        let cfg = ComparisonConfig { worse_when, ..ComparisonConfig::default() };
        let got = compare(&canary, &primary, &cfg).unwrap();
        assert_eq!(got.worse, want, "{name}: {got:?}");
        if want {
            // A known-bad success-rate canary is still above an absolute threshold of 98 %.
            assert!(got.p_value < 0.01, "{name}: {got:?}");
        }
    }
}

#[test]
fn noise_rarely_fails_a_healthy_canary_and_a_bad_one_is_caught() {
    let cfg = success_cfg();
    let (mut false_alarms, mut caught) = (0, 0);
    for seed in 1..=100 {
        let mut rng = Lcg(seed);
        let healthy = rng.samples(15, 99.5, 0.5);
        let primary = rng.samples(15, 99.5, 0.5);
        let bad = rng.samples(15, 98.8, 0.5);
        false_alarms += usize::from(compare(&healthy, &primary, &cfg).unwrap().worse);
        caught += usize::from(compare(&bad, &primary, &cfg).unwrap().worse);
    }
    assert!(false_alarms <= 10, "false alarms {false_alarms}/100 at 95% confidence");
    assert!(caught >= 90, "caught {caught}/100");
}

#[test]
fn higher_confidence_is_stricter() {
    let mut rng = Lcg(42);
    let canary = rng.samples(12, 99.2, 0.5);
    let primary = rng.samples(12, 99.5, 0.5);
    let loose = compare(&canary, &primary, &ComparisonConfig { confidence: 0.6, ..success_cfg() }).unwrap();
    let strict = compare(&canary, &primary, &ComparisonConfig { confidence: 0.999, ..success_cfg() }).unwrap();
    assert_eq!(loose.p_value, strict.p_value);
    assert!(loose.worse && !strict.worse, "p = {}", loose.p_value);
}

#[test]
fn tolerance_absorbs_small_significant_degradation() {
    let mut rng = Lcg(9);
    let canary = rng.samples(30, 104.0, 2.0);
    let primary = rng.samples(30, 100.0, 2.0);
    let strict = compare(&canary, &primary, &ComparisonConfig::default()).unwrap();
    assert!(strict.worse);
    let tolerant = compare(&canary, &primary, &ComparisonConfig { tolerance: 0.10, ..Default::default() }).unwrap();
    assert!(!tolerant.worse, "{tolerant:?}");
}

#[test]
fn identical_constant_samples_pass() {
    let got = compare(&[100.0; 10], &[100.0; 10], &success_cfg()).unwrap();
    assert_eq!(got.p_value, 1.0);
    assert!(!got.worse);
}

#[test]
fn too_few_samples_is_an_error() {
    let err = compare(&[1.0, 2.0, f64::NAN], &[1.0; 10], &ComparisonConfig::default()).unwrap_err();
    assert!(matches!(err, AnalysisError::CompareTooFewSamples { canary: 2, primary: 10, .. }), "{err}");
}

#[test]
fn known_p_value() {
    // Complete separation of 5 vs 5: U = 25, z = (12.5 - 0.5) / sqrt(22.9167) = 2.5067, p ≈ 0.0061.
    let got = compare(&[6.0, 7.0, 8.0, 9.0, 10.0], &[1.0, 2.0, 3.0, 4.0, 5.0], &ComparisonConfig::default()).unwrap();
    assert!((got.p_value - 0.00609).abs() < 1e-4, "{}", got.p_value);
    assert_eq!((got.canary_median, got.primary_median), (8.0, 3.0));
    let msg = got.message("podinfo", "test", "latency", &ComparisonConfig::default()).unwrap();
    assert!(msg.starts_with("Halt podinfo.test advancement latency canary median 8.00"), "{msg}");
}

#[test]
fn config_from_template_variables() {
    let metric = |name: &str, vars: &[(&str, &str)]| CanaryMetric {
        name: name.into(),
        template_variables: Some(vars.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect::<BTreeMap<_, _>>()),
        ..Default::default()
    };
    assert_eq!(ComparisonConfig::from_metric(&metric("request-success-rate", &[])).unwrap(), None);
    let cfg =
        ComparisonConfig::from_metric(&metric("request-success-rate", &[(KEY_COMPARE, "true")])).unwrap().unwrap();
    assert_eq!(cfg, success_cfg());
    let cfg = ComparisonConfig::from_metric(&metric(
        "error-rate",
        &[(KEY_COMPARE, "true"), (KEY_CONFIDENCE, "0.99"), (KEY_TOLERANCE, "0.1"), (KEY_MIN_SAMPLES, "8")],
    ))
    .unwrap()
    .unwrap();
    assert_eq!(
        cfg,
        ComparisonConfig { confidence: 0.99, worse_when: WorseWhen::Higher, tolerance: 0.1, min_samples: 8 }
    );
    for (key, bad) in [(KEY_CONFIDENCE, "1.5"), (KEY_WORSE_WHEN, "sideways"), (KEY_TOLERANCE, "-1")] {
        let err = ComparisonConfig::from_metric(&metric("x", &[(KEY_COMPARE, "true"), (key, bad)])).unwrap_err();
        assert!(err.to_string().contains(key), "{err}");
    }
}
