//! The HTTP side: one shared client (plus one that skips TLS verification, for `disableTLS`),
//! retries with exponential backoff on connection errors, 429 and 5xx, as
//! go-retryablehttp does for Flagger.

use std::time::Duration;

use glidepath_api::flagger::CanaryWebhook;
use tracing::debug;

use crate::{Payload, WebhookError};

/// Body text kept in errors and events.
const MAX_BODY: usize = 1024;

/// Calls webhooks. Cheap to clone; share one per process.
#[derive(Clone, Debug)]
pub struct WebhookClient {
    verified: reqwest::Client,
    insecure: reqwest::Client,
    /// First retry wait (doubles per attempt, capped at 30s). Flagger's library uses 1s.
    backoff: Duration,
}

/// The hook that failed, and why.
#[derive(Debug)]
pub struct HookFailure {
    pub hook: String,
    pub mute_alert: bool,
    pub error: WebhookError,
}

impl WebhookClient {
    pub fn new() -> Result<Self, WebhookError> {
        Self::with_backoff(Duration::from_secs(1))
    }

    pub fn with_backoff(backoff: Duration) -> Result<Self, WebhookError> {
        let build = |insecure: bool| {
            reqwest::Client::builder()
                .user_agent(concat!("glidepath/", env!("CARGO_PKG_VERSION")))
                .tls_danger_accept_invalid_certs(insecure)
                .build()
                .map_err(WebhookError::BuildClient)
        };
        Ok(WebhookClient { verified: build(false)?, insecure: build(true)?, backoff })
    }

    /// Call one hook: POST the payload; success is HTTP 200, 201 or 202.
    pub async fn call(&self, hook: &CanaryWebhook, payload: &Payload) -> Result<(), WebhookError> {
        use tracing::Instrument as _;
        let span = tracing::debug_span!("webhook", hook = %hook.name, outcome = tracing::field::Empty);
        let result = self.call_with_retries(hook, payload).instrument(span.clone()).await;
        span.record("outcome", if result.is_ok() { "success" } else { "failure" });
        result
    }

    async fn call_with_retries(&self, hook: &CanaryWebhook, payload: &Payload) -> Result<(), WebhookError> {
        let client = if hook.disable_tls.unwrap_or(false) { &self.insecure } else { &self.verified };
        let retries = hook.retries();
        let mut attempt = 0;
        loop {
            let result = client.post(&hook.url).timeout(hook.timeout()).json(payload).send().await;
            let retry = match &result {
                Err(e) => !e.is_builder(),
                Ok(r) => r.status().as_u16() == 429 || (r.status().is_server_error() && r.status().as_u16() != 501),
            };
            if !retry || attempt >= retries {
                return finish(&hook.name, result).await;
            }
            let wait = self.backoff.saturating_mul(1 << attempt.min(5)).min(Duration::from_secs(30));
            debug!(hook = %hook.name, attempt, ?wait, "webhook failed, retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Call hooks in order; the first failure stops the list.
    pub async fn run(&self, hooks: &[&CanaryWebhook], payload: &Payload) -> Result<(), HookFailure> {
        for hook in hooks {
            let mut p = payload.clone();
            p.metadata = hook.metadata.clone().unwrap_or_default();
            if let Err(error) = self.call(hook, &p).await {
                // Not a warning: closed gates and rollback hooks fail by design; the caller
                // reports what the failure means (an event, a halted step).
                debug!(hook = %hook.name, %error, "webhook failed");
                return Err(HookFailure {
                    hook: hook.name.clone(),
                    mute_alert: hook.mute_alert.unwrap_or(false),
                    error,
                });
            }
        }
        Ok(())
    }
}

async fn finish(hook: &str, result: Result<reqwest::Response, reqwest::Error>) -> Result<(), WebhookError> {
    match result {
        Err(e) => {
            let reason = if e.is_timeout() {
                "timed out".to_owned()
            } else if e.is_connect() {
                "connection failed".to_owned()
            } else {
                "request failed".to_owned()
            };
            // reqwest's own message can contain the URL (and its tokens): keep it as the
            // source only.
            Err(WebhookError::Call { hook: hook.to_owned(), reason, source: Some(e.without_url()) })
        }
        Ok(r) if (200..=202).contains(&r.status().as_u16()) => Ok(()),
        Ok(r) => {
            let status = r.status().as_u16();
            let mut body = r.text().await.unwrap_or_default().trim().to_owned();
            if body.len() > MAX_BODY {
                let mut cut = MAX_BODY;
                while !body.is_char_boundary(cut) {
                    cut -= 1;
                }
                body.truncate(cut);
                body.push('…');
            }
            Err(WebhookError::Rejected { hook: hook.to_owned(), status, body })
        }
    }
}
