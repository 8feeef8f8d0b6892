//! The HTTP API's SQL: projects, keys and public-token counters (`keys`), and the events
//! posted to `POST /ingest` (`events`).

pub mod events;
pub mod keys;
pub mod usage;
