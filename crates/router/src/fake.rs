//! An in-memory router for tests of the layers above: it remembers the last weights it was
//! asked to route and reports them back, with no objects involved.

use std::sync::Mutex;

use serde_json::Value;

use crate::{RouteContext, Router, RouterError, Weights};

#[derive(Debug, Default)]
pub struct FakeRouter {
    last: Mutex<Option<Weights>>,
}

impl FakeRouter {
    /// The weights of the last `desired` call.
    pub fn last(&self) -> Option<Weights> {
        *self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Router for FakeRouter {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn desired(&self, _ctx: &RouteContext<'_>, weights: Weights) -> Result<Vec<Value>, RouterError> {
        *self.last.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(weights);
        Ok(Vec::new())
    }

    fn observed(&self, _ctx: &RouteContext<'_>, _objects: &[Value]) -> Option<Weights> {
        self.last()
    }

    fn kinds(&self) -> Vec<(&'static str, &'static str)> {
        Vec::new()
    }
}
