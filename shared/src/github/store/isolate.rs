//! Storing a page of runs or jobs so that a value the database still refuses costs only its
//! own row: the page in one statement (in a savepoint), and when that fails on data
//! (SQLSTATE class 22 or 23), again one row per savepoint, all in one transaction.

use std::future::Future;

use tokio_postgres::{Client, GenericClient, Transaction};

use super::RunCounts;
use crate::db::DbError;

/// Rows stored by one upsert statement.
pub trait Upsert: Sized + Sync {
    /// What a row is, for the refusal's message ("run", "job").
    const WHAT: &'static str;

    /// Upserts `items` in one statement.
    fn upsert<C: GenericClient + Sync>(
        client: &C,
        items: &[Self],
    ) -> impl Future<Output = Result<RunCounts, DbError>> + Send;
}

/// What [`store_isolated`] stored, in its still open transaction.
pub struct Isolated<'c> {
    /// Commit it once the state that goes with the rows is written.
    pub tx: Transaction<'c>,
    /// The rows stored.
    pub counts: RunCounts,
    /// Rows the database refused: their index and the server's reason.
    pub refused: Vec<(usize, String)>,
}

/// Upserts `items` in a new transaction of `client`, each refused one alone.
pub async fn store_isolated<'c, T: Upsert>(
    client: &'c mut Client,
    items: &[T],
) -> Result<Isolated<'c>, DbError> {
    let _span = crate::xray::database(format_args!("upsert {}", T::WHAT));
    let mut tx = client.transaction().await?;
    let batch = {
        let sp = tx.savepoint(T::WHAT).await?;
        match T::upsert(&sp, items).await {
            Ok(counts) => {
                sp.commit().await?;
                Some(counts)
            }
            Err(e) if e.is_data_error() => {
                sp.rollback().await?;
                None
            }
            Err(e) => return Err(e),
        }
    };
    if let Some(counts) = batch {
        return Ok(Isolated {
            tx,
            counts,
            refused: Vec::new(),
        });
    }
    let mut counts = RunCounts::default();
    let mut refused = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let sp = tx.savepoint(T::WHAT).await?;
        match T::upsert(&sp, std::slice::from_ref(item)).await {
            Ok(c) => {
                sp.commit().await?;
                counts.inserted += c.inserted;
                counts.updated += c.updated;
                counts.unchanged += c.unchanged;
            }
            Err(e) if e.is_data_error() => {
                sp.rollback().await?;
                refused.push((i, e.server_message()));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Isolated {
        tx,
        counts,
        refused,
    })
}
