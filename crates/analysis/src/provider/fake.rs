//! An in-memory provider for tests: canned answers per (whitespace-collapsed) query.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{MetricProvider, ProviderFuture, single_value};
use crate::AnalysisError;
use crate::template::collapse_whitespace;

const NAME: &str = "fake";

/// Canned answers; an unknown query has no values. Records every query it receives.
#[derive(Debug, Default)]
pub struct FakeProvider {
    answers: BTreeMap<String, Vec<f64>>,
    offline: bool,
    seen: Mutex<Vec<String>>,
}

impl FakeProvider {
    pub fn new() -> Self {
        Self::default()
    }

    /// Answer `query` with `values` (one value: success; none or NaN: no values; several:
    /// multiple values). `samples` returns all of them.
    pub fn with(mut self, query: &str, values: &[f64]) -> Self {
        self.answers.insert(collapse_whitespace(query), values.to_vec());
        self
    }

    /// Report the backend as offline.
    pub fn offline(mut self) -> Self {
        self.offline = true;
        self
    }

    /// Queries received so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn answer(&self, query: &str) -> Result<Vec<f64>, AnalysisError> {
        let query = collapse_whitespace(query);
        if let Ok(mut seen) = self.seen.lock() {
            seen.push(query.clone());
        }
        if self.offline {
            return Err(AnalysisError::Query { provider: NAME, source: "backend offline".into() });
        }
        Ok(self.answers.get(&query).cloned().unwrap_or_default())
    }
}

impl MetricProvider for FakeProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move { single_value(NAME, &self.answer(query)?) })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move { Ok(!self.offline) })
    }

    fn samples<'a>(&'a self, query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move { self.answer(query) })
    }
}
