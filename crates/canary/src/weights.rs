//! Weight arithmetic (`scheduler.go`): the next canary step and the promotion steps.

use glidepath_api::flagger::CanaryAnalysis;
use glidepath_api::flagger::defaults::TOTAL_WEIGHT;

/// The increment from canary weight `w` to the next step (`nextStepWeight`).
pub fn next_step(analysis: &CanaryAnalysis, w: i32) -> i32 {
    let steps = analysis.step_weights();
    if analysis.step_weight() > 0 || steps.is_empty() {
        return analysis.step_weight();
    }
    let remaining = TOTAL_WEIGHT - w;
    if remaining <= 0 {
        return 1;
    }
    if w == 0 {
        return remaining.min(steps[0]);
    }
    match steps.iter().position(|s| *s == w) {
        Some(i) if i + 1 < steps.len() => remaining.min(steps[i + 1] - w),
        _ => remaining,
    }
}

/// Canary weight after one step from `w`, clamped to 0..=100.
pub fn advance(analysis: &CanaryAnalysis, w: i32) -> i32 {
    (w + next_step(analysis, w)).clamp(0, TOTAL_WEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(step: Option<i32>, steps: Option<Vec<i32>>, max: Option<i32>) -> CanaryAnalysis {
        CanaryAnalysis { step_weight: step, step_weights: steps, max_weight: max, ..Default::default() }
    }

    /// Play weights from 0 until promotion would start.
    fn walk(an: &CanaryAnalysis) -> Vec<i32> {
        let mut w = 0;
        let mut out = Vec::new();
        while w < an.max_weight() && out.len() < 50 {
            w = advance(an, w);
            out.push(w);
        }
        out
    }

    #[test]
    fn linear_steps_can_overshoot_max_weight() {
        assert_eq!(walk(&a(Some(20), None, Some(50))), [20, 40, 60]);
        assert_eq!(walk(&a(Some(10), None, None)), [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        assert_eq!(walk(&a(Some(100), None, None)), [100]);
        assert_eq!(walk(&a(Some(30), None, None)), [30, 60, 90, 100]);
    }

    #[test]
    fn explicit_steps() {
        assert_eq!(walk(&a(None, Some(vec![1, 5, 10, 50]), None)), [1, 5, 10, 50]);
        assert_eq!(walk(&a(None, Some(vec![10, 25, 50, 100]), None)), [10, 25, 50, 100]);
        // stepWeight wins over stepWeights.
        assert_eq!(walk(&a(Some(50), Some(vec![1, 2]), None)), [50, 100]);
    }

    #[test]
    fn weight_off_the_step_list_jumps_to_the_rest() {
        let an = a(None, Some(vec![10, 20, 40]), None);
        assert_eq!(next_step(&an, 15), 85);
        assert_eq!(next_step(&an, 100), 1);
    }
}
