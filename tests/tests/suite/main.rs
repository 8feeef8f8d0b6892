//! The integration tests of the pipeline against real PostgreSQL, S3 (moto), GitHub (wiremock)
//! and the HTTP handler, as one binary: one link of the dependency tree instead of one per
//! file. The Lambda end-to-end tests, which start `cargo lambda watch`, stay binaries of
//! their own so that two of them never build and start functions at once.

mod bi_views;
mod columns;
mod costs;
mod costs_migration;
mod coverage;
mod csv_ingest;
mod db_faults;
mod fleet;
mod github_client;
mod github_faults;
mod github_jobs;
mod github_pages;
mod github_sync;
mod hostile_files;
mod hostile_http;
mod http_ingest;
mod http_prices;
mod http_routes;
mod http_throttle;
mod jsonl_ingest;
mod jsonl_tree;
mod otlp;
mod outbox;
mod outbox_faults;
mod outbox_replay;
mod prune;
mod prune_faults;
mod queued_ingest;
mod read_api;
mod s3_failures;
mod s3_ingest;
mod s3_versions;
mod secrets;
mod stats;
mod tls;
mod upsert;
mod workflow_jobs;
mod workflow_runs;
