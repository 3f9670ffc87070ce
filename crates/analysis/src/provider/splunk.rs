//! The Splunk Observability (SignalFx) provider (Flagger's `pkg/metrics/providers/splunk.go`).
//! The query is a SignalFlow program run over the last 10 intervals with `immediate=true`.
//! Flagger's Go client speaks SignalFlow over a WebSocket; this uses the same API's
//! Server-Sent-Events transport (`POST <stream>/v2/signalflow/execute?start=…&stop=…&immediate=true`,
//! program as `text/plain`, `X-SF-Token` from the Secret's `sf_token_key`), which answers the
//! same messages as JSON. As in Flagger, `https://api.<realm>.signalfx.com` is mapped to
//! `stream.<realm>` for queries and `wss://stream.<realm>` back to `https://api.<realm>` for
//! `is_online` (`GET /v2/metric?limit=1`). Null values are dropped; several time series are
//! ambiguous; the value is the last one received.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::{CONTENT_TYPE, HeaderName};
use serde::Deserialize;

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::{AnalysisError, Secret};

const NAME: &str = "splunk";
const TOKEN: &str = "sf_token_key";
/// Flagger queries the last 10 metric intervals.
const WINDOW_INTERVALS: u32 = 10;

/// A Splunk Observability realm.
pub struct SplunkProvider {
    client: reqwest::Client,
    execute_url: url::Url,
    validate_url: url::Url,
    window: Duration,
    token: Secret,
}

impl std::fmt::Debug for SplunkProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SplunkProvider").field("window", &self.window).finish_non_exhaustive()
    }
}

/// `address` with its scheme made HTTP(S) and a leading `from.` host label replaced by `to.`.
fn map_address(address: &str, from: &str, to: &str, path: &str) -> Result<url::Url, AnalysisError> {
    let mut url = http_util::endpoint(NAME, address, path)?;
    let scheme = match url.scheme() {
        "ws" => Some("http"),
        "wss" => Some("https"),
        _ => None,
    };
    let host = url.host_str().and_then(|h| h.strip_prefix(from)).map(|rest| format!("{to}{rest}"));
    // `set_scheme` refuses ws→http on a parsed URL, so such addresses are rebuilt as text.
    if let Some(scheme) = scheme {
        let (_, rest) = url.as_str().split_once(':').unwrap_or_default();
        url = url::Url::parse(&format!("{scheme}:{rest}"))
            .map_err(|source| AnalysisError::CreateProviderParseAddress { provider: NAME, source })?;
    }
    if let Some(host) = host {
        url.set_host(Some(&host))
            .map_err(|source| AnalysisError::CreateProviderParseAddress { provider: NAME, source })?;
    }
    Ok(url)
}

#[derive(Deserialize)]
struct DataMessage {
    #[serde(default)]
    data: Vec<Datum>,
}

#[derive(Deserialize)]
struct Datum {
    #[serde(rename = "tsId")]
    ts_id: String,
    value: Option<f64>,
}

#[derive(Deserialize)]
struct ControlMessage {
    #[serde(default)]
    event: String,
}

/// What the stream said so far: `(tsId, value)` pairs in arrival order, and whether it ended.
#[derive(Default)]
struct Stream {
    points: Vec<(String, f64)>,
    ended: bool,
}

impl Stream {
    /// Handle one SSE event (`event:` name and joined `data:` lines).
    fn event(&mut self, name: &str, data: &str) -> Result<(), AnalysisError> {
        let bad = |e: serde_json::Error| AnalysisError::QueryParseResponse { provider: NAME, reason: e.to_string() };
        match name {
            "data" => {
                let msg: DataMessage = serde_json::from_str(data).map_err(bad)?;
                self.points.extend(msg.data.into_iter().filter_map(|d| Some((d.ts_id, d.value?))));
            }
            "control-message" => {
                let msg: ControlMessage = serde_json::from_str(data).map_err(bad)?;
                self.ended |= msg.event == "END_OF_CHANNEL" || msg.event == "CHANNEL_ABORT";
            }
            "error" => {
                return Err(AnalysisError::QueryParseResponse {
                    provider: NAME,
                    reason: format!("signalflow error: {}", http_util::excerpt(data, &[])),
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// Feed complete SSE events (blank-line terminated) from `buffer`, keeping the rest.
    fn feed(&mut self, buffer: &mut String) -> Result<(), AnalysisError> {
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let (mut name, mut data) = ("message", Vec::new());
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            if !data.is_empty() {
                self.event(name, &data.join("\n"))?;
            }
        }
        Ok(())
    }
}

impl SplunkProvider {
    /// The address and the Secret's `sf_token_key` are required.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address(NAME, spec)?;
        let token = http_util::required_secret(NAME, secret, TOKEN)?;
        let mut validate_url = map_address(&address, "stream.", "api.", "/v2/metric")?;
        validate_url.query_pairs_mut().append_pair("limit", "1");
        let headers = [(HeaderName::from_static("x-sf-token"), token.clone())];
        Ok(Self {
            client: http_util::client_with_headers(NAME, spec, &headers, options)?,
            execute_url: map_address(&address, "api.", "stream.", "/v2/signalflow/execute")?,
            validate_url,
            window: options.interval() * WINDOW_INTERVALS,
            token,
        })
    }

    async fn execute(&self, program: &str) -> Result<Vec<(String, f64)>, AnalysisError> {
        let stop = http_util::unix_now().as_millis();
        let start = stop.saturating_sub(self.window.as_millis());
        let mut url = self.execute_url.clone();
        url.query_pairs_mut()
            .append_pair("start", &start.to_string())
            .append_pair("stop", &stop.to_string())
            .append_pair("immediate", "true");
        let request = self.client.post(url).header(CONTENT_TYPE, "text/plain").body(program.to_owned());
        let mut response = http_util::send_checked(NAME, request, &[&self.token]).await?;
        let (mut stream, mut buffer) = (Stream::default(), String::new());
        // Read until the computation's end-of-channel: the connection may stay open after it.
        while !stream.ended {
            let Some(chunk) = response.chunk().await.map_err(|e| http_util::transport_error(NAME, e))? else { break };
            buffer.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
            stream.feed(&mut buffer)?;
        }
        buffer.push_str("\n\n");
        stream.feed(&mut buffer)?;
        Ok(stream.points)
    }
}

impl MetricProvider for SplunkProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let points = http_util::traced(NAME, "execute", self.execute(query)).await?;
            let mut series: Vec<&str> = points.iter().map(|(id, _)| id.as_str()).collect();
            series.sort_unstable();
            series.dedup();
            match (series.len(), points.last()) {
                (0, _) | (_, None) => single_value(NAME, &[]),
                (1, Some((_, last))) => single_value(NAME, &[*last]),
                (n, _) => Err(AnalysisError::QueryMultipleValues { provider: NAME, got: format!("{n} time series") }),
            }
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            http_util::send(NAME, "is_online", self.client.get(self.validate_url.clone()), &[&self.token]).await?;
            Ok(true)
        })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        Box::pin(async move { Err(AnalysisError::SamplesUnsupported { provider: NAME }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_map_like_flagger() {
        let q = map_address("https://api.us1.signalfx.com", "api.", "stream.", "/v2/signalflow/execute").unwrap();
        assert_eq!(q.as_str(), "https://stream.us1.signalfx.com/v2/signalflow/execute");
        let v = map_address("wss://stream.eu0.signalfx.com", "stream.", "api.", "/v2/metric").unwrap();
        assert_eq!(v.as_str(), "https://api.eu0.signalfx.com/v2/metric");
        let local = map_address("http://127.0.0.1:8080", "api.", "stream.", "/x").unwrap();
        assert_eq!(local.as_str(), "http://127.0.0.1:8080/x");
    }

    #[test]
    fn sse_events_split_across_chunks() {
        let mut s = Stream::default();
        let mut buf = String::from("event: data\ndata: {\"data\":[{\"tsId\":\"A\",\"value\":1.5}],");
        s.feed(&mut buf).unwrap();
        assert!(s.points.is_empty());
        buf.push_str("\"logicalTimestampMs\":1}\n\nevent: control-message\ndata: {\"event\":\"END_OF_CHANNEL\"}\n\n");
        s.feed(&mut buf).unwrap();
        assert_eq!(s.points, vec![("A".to_owned(), 1.5)]);
        assert!(s.ended);
    }
}
