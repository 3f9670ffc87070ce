//! A switch for crash tests: after a chosen number of further API writes, the next writes are
//! held — the client gets no answer, as from a server that stopped answering — until released,
//! and are then refused with 503 without being applied. A test kills its controller while a
//! write hangs, that is between any two writes of one reconcile, and starts another.
//!
//! Writes are creates, updates, patches and deletes through the HTTP API; the in-process
//! simulators write to the store directly and are never held.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::server::Shared;

/// No write is held.
const OPEN: u64 = u64::MAX;

/// The write gate of one sandbox; open until [`WriteGate::hold_after`].
#[derive(Debug)]
pub struct WriteGate {
    writes: AtomicU64,
    /// Writes numbered above this are held.
    last_allowed: AtomicU64,
    released: tokio::sync::Notify,
}

impl Default for WriteGate {
    fn default() -> Self {
        Self { writes: AtomicU64::new(0), last_allowed: AtomicU64::new(OPEN), released: tokio::sync::Notify::new() }
    }
}

impl WriteGate {
    /// API writes received so far (held ones included).
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::SeqCst)
    }

    /// Let `n` more writes through, then hold every further one. Returns the number of the
    /// first held write (compare with [`WriteGate::writes`] to know it arrived).
    pub fn hold_after(&self, n: u64) -> u64 {
        let last = self.writes().saturating_add(n);
        self.last_allowed.store(last, Ordering::SeqCst);
        last + 1
    }

    /// Open the gate: held writes are answered 503 (not applied), later ones pass.
    pub fn release(&self) {
        self.last_allowed.store(OPEN, Ordering::SeqCst);
        self.released.notify_waiters();
    }

    /// Whether write number `n` is held; waits until released if so.
    async fn hold(&self, n: u64) -> bool {
        if n <= self.last_allowed.load(Ordering::SeqCst) {
            return false;
        }
        loop {
            let notified = self.released.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.last_allowed.load(Ordering::SeqCst) == OPEN {
                return true;
            }
            notified.await;
        }
    }
}

/// Middleware: counts API writes and holds those past the gate.
pub(crate) async fn gate(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let uri = request.uri();
    let write = crate::requests::classify(request.method().as_str(), uri.path(), uri.query().unwrap_or(""))
        .filter(|(verb, _)| matches!(*verb, "create" | "update" | "patch" | "delete" | "deletecollection"));
    let Some((_, resource)) = write else { return next.run(request).await };
    let n = shared.gate.writes.fetch_add(1, Ordering::SeqCst) + 1;
    if shared.gate.hold(n).await {
        return ApiError::server_error(503, &resource).into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_past_the_gate_wait_for_the_release_and_are_refused() {
        let gate = Arc::new(WriteGate::default());
        assert!(!gate.hold(1).await, "open by default");
        gate.writes.store(5, Ordering::SeqCst);
        assert_eq!(gate.hold_after(2), 8);
        assert!(!gate.hold(7).await, "within the allowance");
        let g = Arc::clone(&gate);
        let held = tokio::spawn(async move { g.hold(8).await });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!held.is_finished(), "write 8 is held");
        gate.release();
        assert!(held.await.unwrap(), "released as refused");
        assert!(!gate.hold(9).await, "open again");
    }
}
