//! The HTTP API's SQL: projects, keys and public-token counters (`keys`), and the events
//! posted to `POST /ingest` (`events`) and their batch's write with its outbox event (`write`).

pub mod events;
pub mod keys;
pub mod usage;
pub mod write;
