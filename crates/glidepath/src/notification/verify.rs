//! How a Receiver checks a webhook call (notification-controller's `receiver_handlers.go`
//! validate), as a pure function of the type, the headers, the body and the token.

use aws_lc_rs::hmac;

/// Receiver types this build verifies. `gcr` (Pub/Sub OIDC push) and `generic-oidc` (token
/// discovery) are not built: such a Receiver is not Ready, naming the type.
pub const VERIFIED_TYPES: &[&str] = &[
    "generic",
    "generic-hmac",
    "github",
    "gitlab",
    "bitbucket",
    "harbor",
    "dockerhub",
    "quay",
    "nexus",
    "acr",
    "cdevents",
];

/// What a valid call asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Reconcile the Receiver's resources.
    Reconcile,
    /// A GitHub `ping`: answered, nothing reconciled.
    Ping,
}

/// A call that fails verification: HTTP 400 with this message (never the token).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

/// Header lookup, case-insensitive.
pub trait Headers {
    fn get(&self, name: &str) -> Option<&str>;
}

impl Headers for axum::http::HeaderMap {
    fn get(&self, name: &str) -> Option<&str> {
        axum::http::HeaderMap::get(self, name).and_then(|v| v.to_str().ok())
    }
}

/// `sha1=<hex>`, `sha256=<hex>` or `sha512=<hex>` over `body` with `token`.
fn check_hmac(signature: &str, body: &[u8], token: &str) -> bool {
    let Some((algo, hex)) = signature.trim().split_once('=') else { return false };
    let algorithm = match algo {
        "sha1" => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        "sha256" => hmac::HMAC_SHA256,
        "sha512" => hmac::HMAC_SHA512,
        _ => return false,
    };
    let Some(tag) = decode_hex(hex) else { return false };
    hmac::verify(&hmac::Key::new(algorithm, token.as_bytes()), body, &tag).is_ok()
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

/// The event name must be one the Receiver lists (all when it lists none).
fn check_event(events: &[String], event: Option<&str>, header: &str) -> Result<(), Rejected> {
    if events.is_empty() {
        return Ok(());
    }
    let event = event.ok_or_else(|| Rejected(format!("missing {header} header")))?;
    if events.iter().any(|e| e.eq_ignore_ascii_case(event)) {
        Ok(())
    } else {
        Err(Rejected(format!("event {event:?} is not handled (spec.events)")))
    }
}

/// Constant-time equality of a presented secret.
fn same_secret(presented: Option<&str>, token: &str) -> bool {
    presented.is_some_and(|p| aws_lc_rs::constant_time::verify_slices_are_equal(p.as_bytes(), token.as_bytes()).is_ok())
}

/// Verify one call to a Receiver of `kind`.
pub fn verify(
    kind: &str,
    headers: &dyn Headers,
    body: &[u8],
    token: &str,
    events: &[String],
) -> Result<Call, Rejected> {
    let json = || serde_json::from_slice::<serde_json::Value>(body).map_err(|e| Rejected(format!("decode body: {e}")));
    match kind {
        "generic" => Ok(Call::Reconcile),
        "generic-hmac" => {
            let sig = headers.get("X-Signature").ok_or_else(|| Rejected("missing X-Signature header".into()))?;
            check_hmac(sig, body, token).then_some(Call::Reconcile).ok_or_else(|| Rejected("invalid signature".into()))
        }
        "github" => {
            let sig = headers
                .get("X-Hub-Signature-256")
                .or_else(|| headers.get("X-Hub-Signature"))
                .ok_or_else(|| Rejected("missing X-Hub-Signature-256 header".into()))?;
            if !check_hmac(sig, body, token) {
                return Err(Rejected("invalid signature".into()));
            }
            let event = headers.get("X-GitHub-Event");
            if event == Some("ping") {
                return Ok(Call::Ping);
            }
            check_event(events, event, "X-GitHub-Event")?;
            Ok(Call::Reconcile)
        }
        "gitlab" => {
            if !same_secret(headers.get("X-Gitlab-Token"), token) {
                return Err(Rejected("invalid X-Gitlab-Token".into()));
            }
            check_event(events, headers.get("X-Gitlab-Event"), "X-Gitlab-Event")?;
            Ok(Call::Reconcile)
        }
        "bitbucket" => {
            let sig =
                headers.get("X-Hub-Signature").ok_or_else(|| Rejected("missing X-Hub-Signature header".into()))?;
            if !check_hmac(sig, body, token) {
                return Err(Rejected("invalid signature".into()));
            }
            check_event(events, headers.get("X-Event-Key"), "X-Event-Key")?;
            Ok(Call::Reconcile)
        }
        "harbor" => same_secret(headers.get("Authorization"), token)
            .then_some(Call::Reconcile)
            .ok_or_else(|| Rejected("invalid Authorization header".into())),
        "nexus" => {
            let sig = headers
                .get("X-Nexus-Webhook-Signature")
                .ok_or_else(|| Rejected("missing X-Nexus-Webhook-Signature header".into()))?;
            check_hmac(&format!("sha1={sig}"), body, token)
                .then_some(Call::Reconcile)
                .ok_or_else(|| Rejected("invalid signature".into()))
        }
        // Path secrecy only: the payload must decode.
        "dockerhub" | "quay" | "acr" => json().map(|_| Call::Reconcile),
        "cdevents" => {
            let ce = headers.get("Ce-Type").ok_or_else(|| Rejected("missing Ce-Type header".into()))?;
            check_event(events, Some(ce), "Ce-Type")?;
            json().map(|_| Call::Reconcile)
        }
        other => Err(Rejected(format!("receiver type {other:?} is not supported"))),
    }
}

/// `/hook/<hex sha256(token + name + namespace)>` (Flux's `GetWebhookPath`).
pub fn webhook_path(token: &str, name: &str, namespace: &str) -> String {
    let digest = glidepath_notify::sha256(format!("{token}{name}{namespace}").as_bytes());
    format!("/hook/{}", glidepath_notify::hex(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct H(BTreeMap<String, String>);
    impl Headers for H {
        fn get(&self, name: &str) -> Option<&str> {
            self.0.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
        }
    }
    fn h(pairs: &[(&str, &str)]) -> H {
        H(pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }
    fn sign(algo: hmac::Algorithm, prefix: &str, body: &[u8], token: &str) -> String {
        let tag = hmac::sign(&hmac::Key::new(algo, token.as_bytes()), body);
        format!("{prefix}={}", tag.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>())
    }

    #[test]
    fn github_signatures_events_and_ping() {
        let body = br#"{"ref":"refs/heads/main"}"#;
        let sig = sign(hmac::HMAC_SHA256, "sha256", body, "s3cret");
        let push = h(&[("X-Hub-Signature-256", &sig), ("X-GitHub-Event", "push")]);
        let events = vec!["push".to_owned()];
        assert_eq!(verify("github", &push, body, "s3cret", &events), Ok(Call::Reconcile));
        assert!(verify("github", &push, body, "wrong", &events).is_err(), "wrong token");
        assert!(verify("github", &push, b"tampered", "s3cret", &events).is_err(), "tampered body");
        let issue = h(&[("X-Hub-Signature-256", &sig), ("X-GitHub-Event", "issues")]);
        assert!(verify("github", &issue, body, "s3cret", &events).unwrap_err().0.contains("issues"));
        let ping = h(&[("X-Hub-Signature-256", &sig), ("X-GitHub-Event", "ping")]);
        assert_eq!(verify("github", &ping, body, "s3cret", &events), Ok(Call::Ping));
        let legacy = h(&[("X-Hub-Signature", &sign(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, "sha1", body, "s3cret"))]);
        assert_eq!(verify("github", &legacy, body, "s3cret", &[]), Ok(Call::Reconcile));
    }

    #[test]
    fn the_other_types() {
        let body = br#"{"a":1}"#;
        let hmac512 = h(&[("X-Signature", &sign(hmac::HMAC_SHA512, "sha512", body, "t"))]);
        assert_eq!(verify("generic-hmac", &hmac512, body, "t", &[]), Ok(Call::Reconcile));
        assert!(verify("generic-hmac", &h(&[]), body, "t", &[]).is_err());
        let gitlab = h(&[("X-Gitlab-Token", "t"), ("X-Gitlab-Event", "Push Hook")]);
        assert_eq!(verify("gitlab", &gitlab, body, "t", &["Push Hook".into()]), Ok(Call::Reconcile));
        assert!(verify("gitlab", &gitlab, body, "other", &[]).is_err());
        assert_eq!(verify("harbor", &h(&[("Authorization", "t")]), body, "t", &[]), Ok(Call::Reconcile));
        assert!(verify("dockerhub", &h(&[]), b"not json", "t", &[]).is_err());
        assert_eq!(verify("generic", &h(&[]), b"", "t", &[]), Ok(Call::Reconcile));
        assert!(verify("gcr", &h(&[]), body, "t", &[]).unwrap_err().0.contains("not supported"));
        let nexus = sign(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, "sha1", body, "t");
        let nexus = h(&[("X-Nexus-Webhook-Signature", nexus.trim_start_matches("sha1="))]);
        assert_eq!(verify("nexus", &nexus, body, "t", &[]), Ok(Call::Reconcile));
    }

    #[test]
    fn webhook_paths_are_flux_s() {
        // sha256("tokenreceiverflux-system")
        let p = webhook_path("token", "receiver", "flux-system");
        assert!(p.starts_with("/hook/") && p.len() == 6 + 64, "{p}");
        assert_ne!(p, webhook_path("token2", "receiver", "flux-system"));
    }
}
