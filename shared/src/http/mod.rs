//! The HTTP API (http-ingest): routes, authentication, limits and their JSON answers, over
//! plain `http::Request`/`http::Response` so it runs the same under Lambda and in tests.

mod body;
mod calls;
mod config;
mod events;
mod keys;
mod records;
mod redact;
mod response;
mod router;
mod webhook;

pub use config::{HttpConfig, Limits};
pub use events::{validate, Batch, BatchError, Rejection, MAX_NAME_CHARS};
pub use keys::{generate, hash_matches, key_hash, parse_key, KeyKind, NewKey, ProjectId};
pub use response::{json_response, ApiError, HttpResponse};
pub use router::{HttpIngest, OPENAPI};
pub use webhook::signature_valid;
