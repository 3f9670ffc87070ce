//! Errors of metric analysis. Messages never contain secret values.

/// A failed analysis step; variants are named after the action that failed.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A `{{ ... }}` action names a variable that is not one of Flagger's.
    #[error(
        "render query: unknown variable {name:?} (known: name, namespace, target, service, ingress, route, interval, variables.<key>)"
    )]
    RenderUnknownVariable { name: String },
    /// `{{ variables.<key> }}` with no such key in `templateVariables`.
    #[error("render query: missing template variable {key:?} in templateVariables")]
    RenderMissingVariable { key: String },
    /// The template text is malformed (e.g. an unclosed `{{`).
    #[error("parse query template: {reason}")]
    ParseTemplate { reason: String },

    /// `spec.provider.type` names no provider Glidepath implements.
    #[error("create metric provider: unsupported provider type {kind:?}")]
    CreateProviderUnknownType { kind: String },
    /// The provider needs an address and none was given.
    #[error("create metric provider {provider}: address is required")]
    CreateProviderMissingAddress { provider: &'static str },
    /// The address is not a URL (the address itself is not repeated: it may embed credentials).
    #[error("create metric provider {provider}: parse address")]
    CreateProviderParseAddress {
        provider: &'static str,
        #[source]
        source: url::ParseError,
    },
    /// A header name or value (from `headers` or a Secret) is not valid HTTP.
    #[error("create metric provider {provider}: invalid header {name:?}")]
    CreateProviderInvalidHeader { provider: &'static str, name: String },
    /// The HTTP client could not be built.
    #[error("create metric provider {provider}: build HTTP client")]
    CreateProviderClient {
        provider: &'static str,
        #[source]
        source: reqwest::Error,
    },

    /// A key the provider needs is missing from its Secret (the key name, never a value).
    #[error("create metric provider {provider}: secret has no {key:?}")]
    CreateProviderMissingSecretKey { provider: &'static str, key: &'static str },
    /// CloudWatch needs a region (`spec.provider.region`, or one in the address).
    #[error("create metric provider {provider}: region is required")]
    CreateProviderMissingRegion { provider: &'static str },
    /// CloudWatch found no access key in the Secret nor in the environment.
    #[error(
        "create metric provider {provider}: no AWS credentials (secret or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)"
    )]
    CreateProviderMissingCredentials { provider: &'static str },
    /// Stackdriver's `serviceAccountKey` is not a service-account key file (the position of the
    /// JSON error only: serde's messages may quote the key).
    #[error("create metric provider {provider}: parse serviceAccountKey: {reason}")]
    CreateProviderParseServiceAccountKey { provider: &'static str, reason: String },
    /// The service-account key's `private_key` is not a PEM PKCS#8 RSA key.
    #[error("create metric provider {provider}: parse private_key: {reason}")]
    CreateProviderParsePrivateKey { provider: &'static str, reason: &'static str },

    /// The rendered query is not what the provider expects (CloudWatch: a JSON array).
    #[error("parse query for {provider}")]
    ParseQuery {
        provider: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// The backend answered with an HTTP error status; `body` is an excerpt of its answer with
    /// the provider's secret values replaced by `***`.
    #[error("query {provider}: HTTP status {status}: {body}")]
    QueryHttpStatus { provider: &'static str, status: u16, body: String },
    /// The OAuth token endpoint answered with an HTTP error status; `body` is masked likewise.
    #[error("query {provider}: fetch OAuth token: HTTP status {status}: {body}")]
    QueryFetchTokenHttpStatus { provider: &'static str, status: u16, body: String },
    /// The OAuth JWT assertion could not be signed.
    #[error("query {provider}: sign OAuth token assertion")]
    SignTokenAssertion {
        provider: &'static str,
        #[source]
        source: aws_lc_rs::error::Unspecified,
    },
    /// The backend answered 2xx with a body that is not the documented shape.
    #[error("query {provider}: parse response: {reason}")]
    QueryParseResponse { provider: &'static str, reason: String },
    /// The provider has no range query, so the canary/primary comparison cannot sample it.
    #[error("sample {provider}: range samples are not supported by this provider")]
    SamplesUnsupported { provider: &'static str },

    /// The query request failed (connection, HTTP status, Prometheus error, bad JSON).
    #[error("query {provider}")]
    Query {
        provider: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The query returned no sample or NaN (Flagger's `ErrNoValuesFound`).
    #[error("query {provider}: no values found")]
    QueryNoValues { provider: &'static str },
    /// The query returned several series or a range (Flagger's `ErrMultipleValuesReturned`).
    #[error("query {provider}: expected a single value, got {got}")]
    QueryMultipleValues { provider: &'static str, got: String },

    /// `QueryNoValues` for a named metric, carrying Flagger's event message.
    #[error(
        "Halt advancement no values found for {provider} metric {metric} probably {target}.{namespace} is not receiving traffic"
    )]
    NoValuesFound { provider: String, metric: String, target: String, namespace: String },

    /// A metric with neither a built-in name, an inline `query` nor a `templateRef`.
    #[error("resolve metric {metric:?}: neither a built-in metric, a query nor a templateRef")]
    ResolveMetricUndefined { metric: String },
    /// A `templateRef` to another namespace while `--no-cross-namespace-refs` is set.
    #[error(
        "resolve metric template {namespace}/{name}: cross-namespace references are disabled (canary namespace {canary_namespace})"
    )]
    ResolveCrossNamespace { name: String, namespace: String, canary_namespace: String },

    /// Too few samples for the canary/primary comparison.
    #[error("compare canary with primary: need at least {needed} samples each, got canary {canary} primary {primary}")]
    CompareTooFewSamples { needed: usize, canary: usize, primary: usize },
    /// A `glidepath.io/*` templateVariable holds an unusable value.
    #[error("compare canary with primary: invalid {key} {value:?}")]
    CompareInvalidConfig { key: &'static str, value: String },
}

impl AnalysisError {
    /// The message with its causes (`query prometheus: error sending request: connection
    /// refused`), for events and status. Addresses in causes are replaced by `<address>`: a
    /// metrics server URL may embed credentials.
    pub fn describe(&self) -> String {
        let mut out = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = redact_addresses(&c.to_string());
            if !out.ends_with(&text) {
                out.push_str(": ");
                out.push_str(&text);
            }
            cause = c.source();
        }
        out
    }
}

/// Replace every `scheme://...` token (up to whitespace or a closing bracket) by `<address>`.
fn redact_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let start = rest[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |p| p + 1);
        out.push_str(&rest[..start]);
        out.push_str("<address>");
        let end =
            rest[i + 3..].find(|c: char| c.is_whitespace() || c == ')' || c == ']').map_or(rest.len(), |e| i + 3 + e);
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("error sending request for url (http://admin:s3cret@prom:9090/api/v1/query)")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn causes_are_kept_and_addresses_redacted() {
        let e = AnalysisError::Query {
            provider: "prometheus",
            source: Box::new(Inner(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"))),
        };
        let text = e.describe();
        assert_eq!(text, "query prometheus: error sending request for url (<address>): connection refused");
        assert!(!text.contains("s3cret"));
    }
}
