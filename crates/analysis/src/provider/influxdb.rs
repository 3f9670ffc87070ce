//! The InfluxDB provider (Flagger's `pkg/metrics/providers/influxdb.go`, on the InfluxDB 2 Go
//! client): the query is Flux, sent as `POST <address>/api/v2/query?org=<org>` with
//! `Authorization: Token <token>` (Secret keys `token` and `org`, both required when a Secret is
//! given) and a JSON body asking for annotated CSV, as the Go client does. The value is the
//! `_value` of the record; Flagger's timeout for InfluxDB is 15s.

use std::collections::BTreeMap;
use std::time::Duration;

use glidepath_api::flagger::MetricProvider as ProviderSpec;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};

use super::{MetricProvider, ProviderFuture, ProviderOptions, http_util, single_value};
use crate::{AnalysisError, Secret};

const NAME: &str = "influxdb";
/// Flagger's InfluxDB query timeout.
const TIMEOUT: Duration = Duration::from_secs(15);
/// Flagger's `IsOnline` query.
const ONLINE_QUERY: &str = r#"from(bucket: "default") |> range(start: -2h)"#;

/// An InfluxDB 2 (or Cloud) query API.
pub struct InfluxdbProvider {
    client: reqwest::Client,
    query_url: url::Url,
    secrets: Vec<Secret>,
}

impl std::fmt::Debug for InfluxdbProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InfluxdbProvider").finish_non_exhaustive()
    }
}

impl InfluxdbProvider {
    /// The address is required; the Secret gives `token` and `org`.
    pub fn new(
        spec: &ProviderSpec,
        secret: Option<&BTreeMap<String, String>>,
        options: &ProviderOptions,
    ) -> Result<Self, AnalysisError> {
        let address = http_util::address(NAME, spec)?;
        let mut query_url = http_util::endpoint(NAME, &address, "/api/v2/query")?;
        let mut headers = Vec::new();
        let mut secrets = Vec::new();
        if secret.is_some() {
            let token = http_util::required_secret(NAME, secret, "token")?;
            let org = http_util::required_secret(NAME, secret, "org")?;
            query_url.query_pairs_mut().append_pair("org", org.expose());
            let auth = Secret::new(format!("Token {}", token.expose()));
            headers.push((AUTHORIZATION, auth.clone()));
            secrets = vec![token, auth];
        }
        let options = ProviderOptions { timeout: Some(options.timeout.unwrap_or(TIMEOUT)), ..options.clone() };
        Ok(Self { client: http_util::client_with_headers(NAME, spec, &headers, &options)?, query_url, secrets })
    }

    async fn run(&self, action: &'static str, flux: &str) -> Result<Vec<Option<f64>>, AnalysisError> {
        let body = serde_json::json!({
            "query": flux,
            "type": "flux",
            "dialect": {"header": true, "delimiter": ",", "annotations": ["datatype", "group", "default"]},
        });
        let request = self
            .client
            .post(self.query_url.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/csv")
            .body(body.to_string());
        let secrets: Vec<&Secret> = self.secrets.iter().collect();
        let csv = http_util::send(NAME, action, request, &secrets).await?;
        parse_csv(&csv)
    }
}

/// The `_value` of every record of an annotated CSV answer (`None` for an empty cell without a
/// `#default`). An `error` column (Flux reports runtime errors in-band) is an error.
pub(crate) fn parse_csv(csv: &str) -> Result<Vec<Option<f64>>, AnalysisError> {
    let mut values = Vec::new();
    let mut defaults: Vec<String> = Vec::new();
    let mut column: Option<usize> = None;
    let mut error_column: Option<usize> = None;
    for line in csv.lines().map(|l| l.trim_end_matches('\r')) {
        if line.trim().is_empty() {
            // A blank line ends a table; the next one repeats annotations and header.
            (column, error_column) = (None, None);
            defaults.clear();
            continue;
        }
        let cells = split_csv_line(line);
        if let Some(first) = cells.first().filter(|c| c.starts_with('#')) {
            if first == "#default" {
                defaults = cells;
            }
            continue;
        }
        let Some(index) = column.or(error_column) else {
            column = cells.iter().position(|c| c == "_value");
            error_column = cells.iter().position(|c| c == "error");
            if column.is_none() && error_column.is_none() {
                return Err(parse_error("a table has no _value column"));
            }
            continue;
        };
        let cell = cells.get(index).map(String::as_str).unwrap_or_default();
        if column.is_none() {
            return Err(AnalysisError::QueryParseResponse { provider: NAME, reason: format!("flux error: {cell}") });
        }
        let cell = if cell.is_empty() { defaults.get(index).map(String::as_str).unwrap_or_default() } else { cell };
        if cell.is_empty() {
            values.push(None);
        } else {
            let v = cell.parse::<f64>().map_err(|_| parse_error(&format!("_value {cell:?} is not a number")))?;
            values.push(Some(v));
        }
    }
    Ok(values)
}

fn parse_error(reason: &str) -> AnalysisError {
    AnalysisError::QueryParseResponse { provider: NAME, reason: reason.to_owned() }
}

/// One CSV line into cells: `"` quotes a cell, `""` inside quotes is a quote.
fn split_csv_line(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cell = cells.last_mut();
        match (c, quoted, cell) {
            ('"', true, Some(cell)) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _, _) => quoted = !quoted,
            (',', false, _) => cells.push(String::new()),
            (c, _, Some(cell)) => cell.push(c),
            (_, _, None) => {}
        }
    }
    cells
}

impl MetricProvider for InfluxdbProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    fn query<'a>(&'a self, query: &'a str) -> ProviderFuture<'a, f64> {
        Box::pin(async move {
            let values: Vec<f64> = self.run("query", query).await?.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect();
            single_value(NAME, &values)
        })
    }

    fn is_online(&self) -> ProviderFuture<'_, bool> {
        Box::pin(async move {
            self.run("is_online", ONLINE_QUERY).await?;
            Ok(true)
        })
    }

    fn samples<'a>(&'a self, _query: &'a str, _window: Duration, _step: Duration) -> ProviderFuture<'a, Vec<f64>> {
        // The window lives in the user's Flux `range()`; it is not rewritten here.
        Box::pin(async move { Err(AnalysisError::SamplesUnsupported { provider: NAME }) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_csv_tables_and_errors() {
        let csv = "#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,\r\n,result,table,_value\r\n,,0,42.5\r\n\r\n#datatype,string,long,double\r\n#group,false,false,false\r\n#default,_result,,7\r\n,result,table,_value\r\n,,1,\r\n";
        assert_eq!(parse_csv(csv).unwrap(), vec![Some(42.5), Some(7.0)]);
        assert_eq!(parse_csv(",result,table,_value\n,_result,0,\n").unwrap(), vec![None]);
        assert!(parse_csv("").unwrap().is_empty());
        let err =
            parse_csv("#datatype,string,string\n,error,reference\n,\"bucket \"\"x\"\" not found\",\n").unwrap_err();
        assert!(err.to_string().contains(r#"bucket "x" not found"#), "{err}");
        assert_eq!(split_csv_line(r#"a,"b,c",d"#), vec!["a", "b,c", "d"]);
    }
}
