//! The object store port (get a stream, put a file) and its S3 adapter.

use crate::failure::Retryable;
use std::future::Future;
use std::path::Path;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use tokio::io::AsyncRead;

/// An object opened for reading.
pub struct StoredObject {
    /// The body, streamed.
    pub body: Box<dyn AsyncRead + Send + Unpin>,
    /// ETag without quotes.
    pub etag: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
}

/// Which version of an object to read: the one a notification names. With a version id
/// (versioned buckets) exactly that version; else the object only while its ETag is still
/// the notification's (`If-Match`), so a newer upload is never read in place of this one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Version<'a> {
    /// `versionId` of the notification.
    pub version_id: Option<&'a str>,
    /// ETag of the notification, without quotes.
    pub etag: Option<&'a str>,
}

/// Errors at the object store boundary.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The object does not exist (deleted since the event, or never there).
    #[error("object not found: {0}")]
    NotFound(String),
    /// Throttling, timeouts, 5xx, connection failures: try again later.
    #[error("object store unavailable: {0}")]
    Transient(String),
    /// Access denied, bad request: will fail again.
    #[error("object store refused: {0}")]
    Permanent(String),
}

impl Retryable for StoreError {
    /// True when retrying later may succeed.
    fn is_retryable(&self) -> bool {
        matches!(self, StoreError::Transient(_))
    }

    fn boundary(&self) -> &'static str {
        "ObjectStore"
    }
}

/// What the S3 ingester needs from an object store.
pub trait ObjectStore: Send + Sync {
    /// Opens `version` of `bucket/key` for streaming.
    fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Version<'_>,
    ) -> impl Future<Output = Result<StoredObject, StoreError>> + Send;
    /// The current ETag of `bucket/key`.
    fn etag(
        &self,
        bucket: &str,
        key: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Uploads the file at `path` as `bucket/key`.
    fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// `s3://BUCKET/KEY` split into its bucket and key; `None` for anything else.
pub fn parse_s3_uri(uri: &str) -> Option<(&str, &str)> {
    uri.strip_prefix("s3://")?
        .split_once('/')
        .filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty())
}

/// The whole latest version of `bucket/key`, or `None` when it is over `max_bytes` (at most
/// `max_bytes + 1` bytes are read, so an oversized object costs no more memory).
pub async fn read_capped(
    store: &impl ObjectStore,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<Option<Vec<u8>>, StoreError> {
    use tokio::io::AsyncReadExt;
    let object = store.get(bucket, key, Version::default()).await?;
    let mut bytes = Vec::new();
    object
        .body
        .take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| StoreError::Transient(format!("reading s3://{bucket}/{key}: {e}")))?;
    Ok((bytes.len() as u64 <= max_bytes).then_some(bytes))
}

/// [`ObjectStore`] on Amazon S3 (or anything speaking its API) through `aws-sdk-s3`.
#[derive(Clone)]
pub struct S3ObjectStore {
    client: aws_sdk_s3::Client,
}

impl S3ObjectStore {
    /// Wraps a client built once at cold start.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self { client }
    }

    /// A client from `aws`, the process's AWS configuration (credentials, region and
    /// `AWS_ENDPOINT_URL` from the environment, loaded once); `S3_FORCE_PATH_STYLE=true`
    /// selects path-style addressing for S3-compatible servers (local stand-ins).
    pub fn from_config(aws: &aws_config::SdkConfig) -> Self {
        let path_style = std::env::var("S3_FORCE_PATH_STYLE").is_ok_and(|v| v == "true");
        let conf = aws_sdk_s3::config::Builder::from(aws)
            .force_path_style(path_style)
            .build();
        Self::new(aws_sdk_s3::Client::from_conf(conf))
    }
}

type Response = aws_sdk_s3::config::http::HttpResponse;

fn classify<E>(what: &str, e: SdkError<E, Response>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let text = |e: &SdkError<E, Response>| {
        let code = e.code().unwrap_or("");
        let msg = e.message().unwrap_or("");
        if code.is_empty() && msg.is_empty() {
            format!("{what}: {}", crate::db::flatten_error(e))
        } else {
            format!("{what}: {code} {msg}").trim_end().to_string()
        }
    };
    match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Transient(text(&e))
        }
        SdkError::ServiceError(se) => {
            let status = se.raw().status().as_u16();
            match e.code() {
                Some("NoSuchKey" | "NotFound" | "NoSuchBucket") => StoreError::NotFound(text(&e)),
                Some(
                    "SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable"
                    | "Throttling",
                ) => StoreError::Transient(text(&e)),
                _ if status == 404 => StoreError::NotFound(text(&e)),
                // If-Match failed: the object was overwritten after the notification; the
                // newer upload has a notification of its own.
                _ if status == 412 => StoreError::Permanent(format!(
                    "{}: the object changed since the notification (a newer upload replaced it)",
                    text(&e)
                )),
                _ if status == 429 || status >= 500 => StoreError::Transient(text(&e)),
                _ => StoreError::Permanent(text(&e)),
            }
        }
        _ => StoreError::Permanent(text(&e)),
    }
}

impl ObjectStore for S3ObjectStore {
    async fn get(
        &self,
        bucket: &str,
        key: &str,
        version: Version<'_>,
    ) -> Result<StoredObject, StoreError> {
        let mut req = self.client.get_object().bucket(bucket).key(key);
        // Reading by version id needs s3:GetObjectVersion (template.yaml grants it).
        if let Some(v) = version.version_id {
            req = req.version_id(v);
        } else if let Some(e) = version.etag.filter(|e| !e.is_empty()) {
            req = req.if_match(format!("\"{e}\""));
        }
        let out = req
            .send()
            .await
            .map_err(|e| classify(&format!("GetObject s3://{bucket}/{key}"), e))?;
        Ok(StoredObject {
            etag: out.e_tag().map(|e| e.trim_matches('"').to_string()),
            size: out.content_length(),
            body: Box::new(out.body.into_async_read()),
        })
    }

    async fn etag(&self, bucket: &str, key: &str) -> Result<Option<String>, StoreError> {
        let out = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| classify(&format!("HeadObject s3://{bucket}/{key}"), e))?;
        Ok(out.e_tag().map(|e| e.trim_matches('"').to_string()))
    }

    async fn put_file(
        &self,
        bucket: &str,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<(), StoreError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| StoreError::Permanent(format!("read {}: {e}", path.display())))?;
        self.client
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&format!("PutObject s3://{bucket}/{key}"), e))?;
        Ok(())
    }
}
