//! The `telemetry` CLI as a user runs it, against a fresh database per test: one binary
//! (one link of the dependency tree), one module per command.

mod cli;
mod common;
mod dashboard;
mod db_faults;
mod fleet;
mod github;
mod hostile_csv;
mod ingest_tree;
mod keys;
mod otlp;
mod prices;
mod prune;
mod push;
mod query;
mod send;
mod serve;
mod serve_queued;
mod worker;
