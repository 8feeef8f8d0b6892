//! The `usage.csv` format: header-mapped, streaming, row-level rejects with line numbers.

mod fields;
mod framing;
pub(crate) mod occurrence;
mod usage;

pub(crate) use fields::time_field;
pub use fields::{parse_bool, parse_count, parse_timestamp};
pub use framing::{max_line_bytes_from_env, DEFAULT_MAX_LINE_BYTES};
pub use usage::{HeaderError, Row, UsageCsvReader, REQUIRED_COLUMNS};
