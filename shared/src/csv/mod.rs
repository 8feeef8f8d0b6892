//! The `usage.csv` format: header-mapped, streaming, row-level rejects with line numbers.

mod fields;
pub(crate) mod occurrence;
mod usage;

pub use fields::{parse_bool, parse_count, parse_timestamp};
pub use usage::{HeaderError, Row, UsageCsvReader, REQUIRED_COLUMNS};
