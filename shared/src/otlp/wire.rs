//! The OTLP/HTTP wire: a request body as protobuf (`application/x-protobuf`) or the OTLP
//! JSON mapping (`application/json`), and the answers in the request's own encoding: the
//! export response with `partialSuccess`, or a `google.rpc.Status` for a refused request.

use opentelemetry_proto::tonic::collector::logs::v1::{
    ExportLogsPartialSuccess, ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use prost::Message;

/// How a body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf`.
    Protobuf,
    /// `application/json`: the OTLP JSON mapping (hex ids, int64 as strings or numbers).
    Json,
}

impl Encoding {
    /// The encoding a `Content-Type` names (parameters ignored), or `None` for another type.
    pub fn of_content_type(content_type: &str) -> Option<Encoding> {
        let media = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match media.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }

    /// The `Content-Type` of an answer in this encoding.
    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Decodes an export of logs; the error says why the body is not one.
pub fn decode_logs(body: &[u8], enc: Encoding) -> Result<ExportLogsServiceRequest, String> {
    decode(body, enc)
}

/// Decodes an export of metrics.
pub fn decode_metrics(body: &[u8], enc: Encoding) -> Result<ExportMetricsServiceRequest, String> {
    decode(body, enc)
}

fn decode<T: Message + Default + serde::de::DeserializeOwned>(
    body: &[u8],
    enc: Encoding,
) -> Result<T, String> {
    match enc {
        Encoding::Protobuf => {
            T::decode(body).map_err(|e| format!("the body is not an OTLP protobuf message: {e}"))
        }
        Encoding::Json => serde_json::from_slice(body)
            .map_err(|e| format!("the body is not an OTLP JSON message: {e}")),
    }
}

fn encode<T: Message + serde::Serialize>(msg: &T, enc: Encoding) -> Vec<u8> {
    match enc {
        Encoding::Protobuf => msg.encode_to_vec(),
        // Unset fields left out, as protobuf leaves them (the crate writes them as null).
        Encoding::Json => match serde_json::to_value(msg) {
            Ok(serde_json::Value::Object(mut fields)) => {
                fields.retain(|_, v| !v.is_null());
                serde_json::to_vec(&fields).unwrap_or_default()
            }
            _ => b"{}".to_vec(),
        },
    }
}

/// The answer to a logs export: `partialSuccess` only when some records were refused
/// (the spec: a full success leaves it unset).
pub fn logs_answer(rejected: usize, error_message: &str, enc: Encoding) -> Vec<u8> {
    let partial_success = (rejected > 0).then(|| ExportLogsPartialSuccess {
        rejected_log_records: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: error_message.to_string(),
    });
    encode(&ExportLogsServiceResponse { partial_success }, enc)
}

/// The answer to a metrics export (`rejected` data points).
pub fn metrics_answer(rejected: usize, error_message: &str, enc: Encoding) -> Vec<u8> {
    let partial_success = (rejected > 0).then(|| ExportMetricsPartialSuccess {
        rejected_data_points: i64::try_from(rejected).unwrap_or(i64::MAX),
        error_message: error_message.to_string(),
    });
    encode(&ExportMetricsServiceResponse { partial_success }, enc)
}

/// `google.rpc.Status`, the body OTLP/HTTP answers a refused request with. Not among the
/// crate's generated messages: its two used fields, as the proto numbers them.
#[derive(Clone, PartialEq, Message, serde::Serialize)]
pub struct Status {
    /// A `google.rpc.Code`.
    #[prost(int32, tag = "1")]
    pub code: i32,
    /// Why, for a person.
    #[prost(string, tag = "2")]
    pub message: String,
}

/// A refusal's body for HTTP `status` in the request's encoding.
pub fn status_answer(status: u16, message: &str, enc: Encoding) -> Vec<u8> {
    // The gRPC codes matching the HTTP statuses OTLP names.
    let code = match status {
        400 | 413 | 415 => 3, // INVALID_ARGUMENT
        401 => 16,            // UNAUTHENTICATED
        403 => 7,             // PERMISSION_DENIED
        404 => 5,             // NOT_FOUND
        429 => 8,             // RESOURCE_EXHAUSTED
        503 => 14,            // UNAVAILABLE
        _ => 13,              // INTERNAL
    };
    encode(
        &Status {
            code,
            message: message.to_string(),
        },
        enc,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_and_answers() {
        assert_eq!(
            Encoding::of_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::of_content_type("Application/JSON; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::of_content_type("text/plain"), None);
        let full: serde_json::Value =
            serde_json::from_slice(&logs_answer(0, "", Encoding::Json)).expect("json");
        assert!(
            full.get("partialSuccess").is_none_or(|p| p.is_null()),
            "{full}"
        );
        let partial: serde_json::Value =
            serde_json::from_slice(&logs_answer(2, "two bad", Encoding::Json)).expect("json");
        let p = &partial["partialSuccess"];
        assert_eq!(p["rejectedLogRecords"].to_string().trim_matches('"'), "2");
        assert_eq!(p["errorMessage"], "two bad");
        let proto =
            ExportLogsServiceResponse::decode(logs_answer(3, "x", Encoding::Protobuf).as_slice())
                .expect("protobuf");
        assert_eq!(
            proto.partial_success.map(|p| p.rejected_log_records),
            Some(3)
        );
        let s = Status::decode(status_answer(429, "slow down", Encoding::Protobuf).as_slice())
            .expect("status");
        assert_eq!((s.code, s.message.as_str()), (8, "slow down"));
    }
}
