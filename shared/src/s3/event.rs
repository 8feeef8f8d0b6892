//! The two notification shapes: S3 event notifications (`Records`, each with an
//! `eventName`) and EventBridge events (`detail-type: "Object Created"`, kebab-case `detail`).

use serde_json::Value;

use super::key::decode_key;

/// An object that was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Decoded key.
    pub key: String,
    /// ETag (quotes removed), when the notification carries one.
    pub etag: Option<String>,
    /// Version id on versioned buckets.
    pub version_id: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
}

/// One entry of a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An object was created: ingest it.
    Created(ObjectRef),
    /// Not for this pipeline (another event type, or an unusable record): logged, skipped.
    Ignored {
        /// Why.
        reason: String,
    },
}

/// Every entry of `payload`, in order. A payload of neither shape yields one `Ignored`.
pub fn parse_notification(payload: &Value) -> Vec<Notice> {
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        return records.iter().map(from_record).collect();
    }
    if payload.get("detail-type").is_some() {
        return vec![from_eventbridge(payload)];
    }
    vec![Notice::Ignored {
        reason: "not an S3 notification (no Records, no detail-type)".into(),
    }]
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for p in path {
        cur = cur.get(*p)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn created(
    bucket: Option<String>,
    raw_key: Option<String>,
    etag: Option<String>,
    version: Option<String>,
    size: Option<i64>,
) -> Notice {
    let (Some(bucket), Some(raw_key)) = (bucket, raw_key) else {
        return Notice::Ignored {
            reason: "object creation without bucket name or key".into(),
        };
    };
    match decode_key(&raw_key) {
        Ok(key) => Notice::Created(ObjectRef {
            bucket,
            key,
            etag: etag
                .map(|e| e.trim_matches('"').to_string())
                .filter(|e| !e.is_empty()),
            version_id: version.filter(|v| !v.is_empty()),
            size,
        }),
        Err(reason) => Notice::Ignored { reason },
    }
}

fn from_record(r: &Value) -> Notice {
    let name = text(r, &["eventName"]).unwrap_or_default();
    if !name.starts_with("ObjectCreated:") {
        return Notice::Ignored {
            reason: format!("event {name:?} is not an object creation"),
        };
    }
    let s3 = &r["s3"];
    created(
        text(s3, &["bucket", "name"]),
        text(s3, &["object", "key"]),
        text(s3, &["object", "eTag"]),
        text(s3, &["object", "versionId"]),
        s3["object"]["size"].as_i64(),
    )
}

fn from_eventbridge(e: &Value) -> Notice {
    let kind = text(e, &["detail-type"]).unwrap_or_default();
    if text(e, &["source"]).as_deref() != Some("aws.s3") || kind != "Object Created" {
        return Notice::Ignored {
            reason: format!("EventBridge event {kind:?} is not an S3 object creation"),
        };
    }
    let d = &e["detail"];
    // EventBridge keys are URL-encoded like S3 notification keys.
    created(
        text(d, &["bucket", "name"]),
        text(d, &["object", "key"]),
        text(d, &["object", "etag"]),
        text(d, &["object", "version-id"]),
        d["object"]["size"].as_i64(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn s3_records_are_read_and_keys_decoded() {
        let payload = json!({"Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"},
              "object": {"key": "logs/red+flower%2B1.jsonl", "size": 10, "eTag": "abc", "versionId": "v1"}}},
            {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "x"}}},
            {"eventName": "s3:LifecycleTransition", "s3": {"bucket": {"name": "b"}, "object": {"key": "y"}}}
        ]});
        let got = parse_notification(&payload);
        assert_eq!(
            got[0],
            Notice::Created(ObjectRef {
                bucket: "b".into(),
                key: "logs/red flower+1.jsonl".into(),
                etag: Some("abc".into()),
                version_id: Some("v1".into()),
                size: Some(10),
            })
        );
        assert!(
            matches!(&got[1], Notice::Ignored { reason } if reason.contains("ObjectRemoved:Delete"))
        );
        assert!(
            matches!(&got[2], Notice::Ignored { reason } if reason.contains("LifecycleTransition"))
        );
    }

    #[test]
    fn eventbridge_object_created() {
        let payload = json!({"version": "0", "detail-type": "Object Created", "source": "aws.s3",
            "detail": {"bucket": {"name": "example-bucket"},
                       "object": {"key": "a+b.csv", "size": 5, "etag": "\"e1\"", "sequencer": "1"},
                       "reason": "PutObject"}});
        assert_eq!(
            parse_notification(&payload),
            vec![Notice::Created(ObjectRef {
                bucket: "example-bucket".into(),
                key: "a b.csv".into(),
                etag: Some("e1".into()),
                version_id: None,
                size: Some(5),
            })]
        );
        let deleted = json!({"detail-type": "Object Deleted", "source": "aws.s3", "detail": {}});
        assert!(matches!(
            &parse_notification(&deleted)[0],
            Notice::Ignored { .. }
        ));
        let scheduled =
            json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert!(matches!(
            &parse_notification(&scheduled)[0],
            Notice::Ignored { .. }
        ));
    }
}
