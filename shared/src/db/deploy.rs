//! Migrations as part of a deploy: the stack's `Custom::DatabaseMigrations` resource invokes
//! the prune function with a CloudFormation custom-resource request; migrations run on
//! Create and Update (a new function version), never anything on Delete (data outlives a
//! stack), and the outcome is PUT to the request's pre-signed `ResponseURL`.

use serde_json::{json, Value};

use super::{migrate, DbError, Pool};

/// A custom-resource request (`RequestType`, `ResponseURL`, ids), if `event` is one.
pub struct CustomResourceRequest<'a> {
    event: &'a Value,
    request_type: &'a str,
    response_url: &'a str,
}

impl<'a> CustomResourceRequest<'a> {
    /// `Some` when `event` is a CloudFormation custom-resource request.
    pub fn from_event(event: &'a Value) -> Option<Self> {
        Some(Self {
            event,
            request_type: event.get("RequestType")?.as_str()?,
            response_url: event.get("ResponseURL")?.as_str()?,
        })
    }

    /// Runs the migrations (Create, Update) and reports to CloudFormation; returns the
    /// response sent. A failed migration is reported as FAILED, so the deploy rolls back.
    pub async fn handle(&self, pool: &Pool) -> Result<Value, reqwest::Error> {
        let outcome: Result<Vec<String>, DbError> = match self.request_type {
            "Delete" => Ok(Vec::new()),
            _ => {
                async {
                    let mut client = pool.get().await?;
                    let applied = migrate(&mut client).await?;
                    Ok(applied
                        .iter()
                        .map(|m| format!("V{}__{}", m.version, m.name))
                        .collect())
                }
                .await
            }
        };
        let field = |k: &str| self.event.get(k).cloned().unwrap_or(Value::Null);
        let physical = self
            .event
            .get("PhysicalResourceId")
            .and_then(Value::as_str)
            .unwrap_or("telemetry-database-migrations");
        let response = match &outcome {
            Ok(applied) => json!({
                "Status": "SUCCESS", "PhysicalResourceId": physical,
                "StackId": field("StackId"), "RequestId": field("RequestId"),
                "LogicalResourceId": field("LogicalResourceId"),
                "Reason": format!("{} migration(s) applied", applied.len()),
                "Data": {"Applied": applied.join(",")},
            }),
            Err(e) => json!({
                "Status": "FAILED", "PhysicalResourceId": physical,
                "StackId": field("StackId"), "RequestId": field("RequestId"),
                "LogicalResourceId": field("LogicalResourceId"),
                "Reason": format!("migrations failed: {e}"),
            }),
        };
        // The pre-signed URL is signed without a content type: send none.
        reqwest::Client::new()
            .put(self.response_url)
            .body(response.to_string())
            .send()
            .await?
            .error_for_status()?;
        Ok(response)
    }
}
