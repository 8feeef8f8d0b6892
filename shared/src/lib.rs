//! Shared core of the telemetry pipeline: configuration, database access and migrations,
//! models, parsers, pricing and batch upserts. The Lambda functions and the operator CLI are
//! thin wiring around this crate; nothing here knows about `LambdaEvent`.

pub mod columns;
pub mod config;
pub mod coverage;
pub mod csv;
pub mod dashboard;
pub mod db;
pub mod emf;
pub mod failure;
pub mod fleet;
pub mod github;
pub mod http;
pub mod ingest;
pub mod jsonl;
pub mod logging;
pub mod model;
pub mod objects;
pub mod otlp;
pub mod outbox;
pub mod pricing;
pub mod project;
pub mod prune;
pub mod query;
pub mod read;
pub mod s3;
pub mod secrets;
pub mod stats;
pub mod store;
pub mod xray;
