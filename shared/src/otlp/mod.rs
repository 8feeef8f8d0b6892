//! OpenTelemetry logs from the agents themselves (OTLP/HTTP, protobuf or JSON, as Claude
//! Code, Codex CLI and Gemini CLI export them): decoded with the `opentelemetry-proto`
//! messages, each record mapped to an LLM call or an event, and the answers the OTLP spec
//! gives exporters. Storage is the HTTP API's (`http::routes::otlp`).

mod attrs;
mod calls;
mod map;
mod wire;

pub use map::{map_logs, Mapped, MappedRecord, OtlpEvent, OtlpSettings};
pub use wire::{
    decode_logs, decode_metrics, logs_answer, metrics_answer, status_answer, Encoding, Status,
};

/// Data points in a metrics export: what an acknowledged export counts.
pub fn data_points(
    export: &opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest,
) -> usize {
    use opentelemetry_proto::tonic::metrics::v1::metric::Data;
    export
        .resource_metrics
        .iter()
        .flat_map(|r| &r.scope_metrics)
        .flat_map(|s| &s.metrics)
        .map(|m| match &m.data {
            Some(Data::Gauge(g)) => g.data_points.len(),
            Some(Data::Sum(s)) => s.data_points.len(),
            Some(Data::Histogram(h)) => h.data_points.len(),
            Some(Data::ExponentialHistogram(h)) => h.data_points.len(),
            Some(Data::Summary(s)) => s.data_points.len(),
            None => 0,
        })
        .sum()
}
