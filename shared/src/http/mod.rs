//! The HTTP API (http-ingest): an axum router with one module per route under `routes/`,
//! authentication, limits and their JSON answers. It runs the same under Lambda, as a plain
//! server (`telemetry serve`) and in tests.

mod app;
mod auth;
mod body;
mod config;
mod events;
mod keys;
pub mod queue;
mod redact;
mod response;
mod results;
mod routes;
pub mod serve;
pub mod store;
mod throttle;
mod webhook;

pub use app::{respond, HttpIngest, HttpService, OPENAPI};
pub use config::{HttpConfig, Limits};
pub use events::{validate, Batch, BatchError, Rejection, MAX_NAME_CHARS};
pub use keys::{generate, hash_matches, key_hash, parse_key, KeyKind, NewKey, ProjectId};
pub use response::{json_response, ApiError, HttpResponse};
pub use webhook::signature_valid;
