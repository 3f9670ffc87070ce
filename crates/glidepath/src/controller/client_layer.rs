//! The tower layer under every Kubernetes client Glidepath builds: counts each request by verb
//! and resource (`glidepath_api_requests_total`) and by response code, as client-go's
//! `rest_client_requests_total{code,host,method}` does (Flux's control-plane dashboard charts it).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tracing::Instrument as _;

use super::metrics::{REST_REQUESTS, RestLabels, count_api_request};

/// Wraps a client service in [`Counted`].
#[derive(Clone, Copy, Debug, Default)]
pub struct CountLayer;

impl<S> tower::Layer<S> for CountLayer {
    type Service = Counted<S>;
    fn layer(&self, inner: S) -> Counted<S> {
        Counted { inner }
    }
}

#[derive(Clone, Debug)]
pub struct Counted<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for Counted<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        count_api_request(req.method().as_str(), req.uri());
        let method = req.method().as_str().to_owned();
        let host = req.uri().authority().map(|a| a.to_string()).unwrap_or_default();
        let span = tracing::debug_span!("kube_api", %method, path = %req.uri().path(), code = tracing::field::Empty);
        let fut = self.inner.call(req);
        Box::pin(
            async move {
                let out = fut.await;
                // client-go's label for a request that got no response.
                let code = out.as_ref().map_or_else(|_| "<error>".to_owned(), |r| r.status().as_u16().to_string());
                tracing::Span::current().record("code", code.as_str());
                tracing::debug!("API request");
                REST_REQUESTS.get_or_create(&RestLabels { code, host, method }).inc();
                out
            }
            .instrument(span),
        )
    }
}

/// A kube client for `config` with the counting layer.
pub fn client(config: kube::Config) -> Result<kube::Client, kube::Error> {
    Ok(kube::client::ClientBuilder::try_from(config)?.with_layer(&CountLayer).build())
}
