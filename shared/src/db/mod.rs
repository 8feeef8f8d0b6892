//! PostgreSQL access: connection strings with libpq-style `sslmode`, a rustls-backed pool,
//! embedded migrations, and the error type of the database boundary.

mod conninfo;
mod deploy;
mod error;
mod migrate;
mod pool;
mod secret;
mod text_enum;
mod tls;

pub use conninfo::{with_database, ConnInfo, SslMode};
pub use deploy::CustomResourceRequest;
pub use error::{flatten as flatten_error, DbError};
pub use migrate::{migrate, AppliedMigration};
pub use pool::{connect_one, make_pool, Pool, Workload, DEFAULT_CONNECT_TIMEOUT};
pub use secret::url_from_secret;
