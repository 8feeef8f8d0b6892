//! What a prune-function invocation asks for.

use serde_json::Value;

/// The two jobs of the prune function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Retention (nightly); the outbox is relayed after it.
    Prune {
        /// Count only.
        dry_run: bool,
    },
    /// Publish undelivered outbox events only (every 5 minutes).
    Relay,
    /// Apply pending migrations (by hand; a deploy sends a custom-resource request).
    Migrate,
}

impl Action {
    /// `{"action": "prune" | "relay" | "migrate", "dry_run": bool}`; an EventBridge scheduled event
    /// without input, or an empty object, is a prune.
    pub fn from_event(event: &Value) -> Result<Action, String> {
        let dry_run = match event.get("dry_run") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(other) => return Err(format!("dry_run: expected true or false, found {other}")),
        };
        match event.get("action").and_then(Value::as_str) {
            None | Some("prune") => Ok(Action::Prune { dry_run }),
            Some("relay") => Ok(Action::Relay),
            Some("migrate") => Ok(Action::Migrate),
            Some(other) => Err(format!(
                "action {other:?}: expected \"prune\", \"relay\" or \"migrate\""
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_schedule_inputs() {
        assert_eq!(
            Action::from_event(&json!({"action": "prune"})),
            Ok(Action::Prune { dry_run: false })
        );
        assert_eq!(
            Action::from_event(&json!({"action": "relay"})),
            Ok(Action::Relay)
        );
        assert_eq!(
            Action::from_event(&json!({"detail-type": "Scheduled Event", "source": "aws.events"})),
            Ok(Action::Prune { dry_run: false })
        );
        assert_eq!(
            Action::from_event(&json!({"dry_run": true})),
            Ok(Action::Prune { dry_run: true })
        );
        assert!(Action::from_event(&json!({"action": "vacuum"})).is_err());
        assert!(Action::from_event(&json!({"dry_run": "yes"})).is_err());
    }
}
