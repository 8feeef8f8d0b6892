//! What each column the pipeline writes accepts, declared once (`tables`), and the check of a
//! value against it. Every record is checked before it is written, so a value PostgreSQL
//! would refuse (a NUL character, a string over its `VARCHAR(n)`, a number beyond its
//! `INTEGER` or `NUMERIC`, a timestamp outside PostgreSQL's range) rejects that record with
//! the column's name and never aborts the batch around it. A test compares `tables` with the
//! migrated schema, so the declarations cannot drift from the migrations.

mod check;
mod records;
pub mod tables;

pub use check::ValueError;
pub use records::Validate;

/// A column's type, as far as its limits go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `TEXT` (`None`) or `VARCHAR(n)`: at most `n` characters, never a NUL.
    Text(Option<u32>),
    /// `INTEGER`.
    Int4,
    /// `BIGINT`.
    Int8,
    /// `NUMERIC(precision, scale)`.
    Numeric(u32, u32),
    /// `TIMESTAMPTZ`.
    Timestamptz,
    /// `JSONB`: no NUL character in any string or key.
    Jsonb,
}

/// One column of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Table name.
    pub table: &'static str,
    /// Column name, as named in rejects.
    pub name: &'static str,
    /// Its limits.
    pub kind: Kind,
    /// Whether a value must be at least `min` (a `CHECK (col >= min)` constraint).
    pub min: Option<i64>,
}

impl Column {
    /// A `VARCHAR(n)` column.
    pub const fn varchar(table: &'static str, name: &'static str, n: u32) -> Self {
        Self::new(table, name, Kind::Text(Some(n)))
    }

    /// A `TEXT` column.
    pub const fn text(table: &'static str, name: &'static str) -> Self {
        Self::new(table, name, Kind::Text(None))
    }

    /// A column of `kind`.
    pub const fn new(table: &'static str, name: &'static str, kind: Kind) -> Self {
        Self {
            table,
            name,
            kind,
            min: None,
        }
    }

    /// The same column with a lower bound (`CHECK (col >= min)`).
    pub const fn at_least(mut self, min: i64) -> Self {
        self.min = Some(min);
        self
    }
}
