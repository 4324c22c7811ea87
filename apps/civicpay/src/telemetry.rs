//! Logs, traces, metrics and error reporting.

use crate::config::{Config, LogFormat};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use secrecy::ExposeSecret;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Keeps Sentry's client alive; events still queued are flushed when it drops.
pub struct Telemetry {
    _sentry: Option<sentry::ClientInitGuard>,
}

/// Installs the tracing subscriber (`RUST_LOG` filters, default `info`) and, when a DSN is
/// configured, Sentry — once, for the whole process.
pub fn init(config: &Config) -> anyhow::Result<Telemetry> {
    let sentry = match &config.sentry_dsn {
        Some(dsn) => {
            let dsn = dsn
                .expose_secret()
                .parse()
                .map_err(|e| anyhow::anyhow!("SENTRY_DSN is not a valid DSN: {e}"))?;
            Some(sentry::init(sentry::ClientOptions {
                dsn: Some(dsn),
                release: sentry::release_name!(),
                environment: Some(config.environment.clone().into()),
                ..Default::default()
            }))
        }
        None => None,
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn")
    });
    let fmt = match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt::layer().with_target(false).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer().json().boxed(),
    };
    let registry = tracing_subscriber::registry().with(filter).with(fmt);
    let result = if sentry.is_some() {
        registry
            .with(sentry::integrations::tracing::layer())
            .try_init()
    } else {
        registry.try_init()
    };
    // A second init in the same process (tests) keeps the first subscriber.
    let _ = result;
    Ok(Telemetry { _sentry: sentry })
}

/// The root span of every request: method, route, status, request id — and the council,
/// recorded once resolved.
pub struct CivicpaySpan;

impl RootSpanBuilder for CivicpaySpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        tracing_actix_web::root_span!(request, tenant = tracing::field::Empty)
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Prometheus metrics (request counts and latency by route) served at `/metrics`.
pub fn metrics() -> anyhow::Result<PrometheusMetrics> {
    PrometheusMetricsBuilder::new("civicpay")
        .endpoint("/metrics")
        .mask_unmatched_patterns("UNKNOWN")
        .build()
        .map_err(|e| anyhow::anyhow!("cannot set up metrics: {e}"))
}

/// Copies the request id into an `x-request-id` response header, so a user can quote it.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().map(ToString::to_string);
    let mut res = next.call(req).await?;
    if let Some(id) = id
        && let Ok(value) = HeaderValue::from_str(&id)
    {
        res.headers_mut()
            .insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}
