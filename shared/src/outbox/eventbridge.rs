//! [`EventBus`] on Amazon EventBridge (or anything speaking its API) through
//! `aws-sdk-eventbridge` `PutEvents`.

use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::primitives::DateTime as AwsTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::relay::{BusEntry, BusError, EventBus};

/// A client built once at cold start and the bus it publishes to.
#[derive(Clone)]
pub struct EventBridgeBus {
    client: aws_sdk_eventbridge::Client,
    bus_name: String,
}

impl EventBridgeBus {
    /// Publishes to `bus_name` (a name or ARN) with `client`.
    pub fn new(client: aws_sdk_eventbridge::Client, bus_name: impl Into<String>) -> Self {
        Self {
            client,
            bus_name: bus_name.into(),
        }
    }
}

fn classify<E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static>(
    e: SdkError<E, aws_sdk_eventbridge::config::http::HttpResponse>,
) -> BusError {
    let text = format!(
        "PutEvents: {} {}",
        e.code().unwrap_or(""),
        e.message().unwrap_or("")
    );
    let text = if text.trim_end() == "PutEvents:" {
        format!("PutEvents: {}", crate::db::flatten_error(&e))
    } else {
        text.trim_end().to_string()
    };
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            BusError::Transient(text)
        }
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            match e.code() {
                Some("ThrottlingException" | "InternalException" | "InternalFailure") => {
                    BusError::Transient(text)
                }
                _ if status == 429 || status >= 500 => BusError::Transient(text),
                _ => BusError::Permanent(text),
            }
        }
        _ => BusError::Permanent(text),
    }
}

impl EventBus for EventBridgeBus {
    async fn put(&self, entries: &[BusEntry]) -> Result<Vec<Option<String>>, BusError> {
        let request: Vec<PutEventsRequestEntry> = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus_name)
                    .source(&e.source)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .time(AwsTime::from_millis(e.time.timestamp_millis()))
                    .build()
            })
            .collect();
        let out = self
            .client
            .put_events()
            .set_entries(Some(request))
            .send()
            .await
            .map_err(classify)?;
        Ok(out
            .entries()
            .iter()
            .map(|r| match (r.error_code(), r.event_id()) {
                (Some(code), _) => Some(format!("{code}: {}", r.error_message().unwrap_or(""))),
                (None, Some(_)) => None,
                (None, None) => Some("no event id returned".into()),
            })
            .collect())
    }
}
