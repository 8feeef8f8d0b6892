//! Replay by cursor (`GET /events?after=N`, `telemetry events --after N`), in commit order.
//!
//! An event's id is taken when its transaction inserts it, and transactions commit in any
//! order: reading `event_id > N` would skip an event that commits after a reader has passed
//! a higher id. So a reader follows `seq` instead, a position given only to events already
//! committed: each read first gives the events committed since the last one their positions,
//! under one advisory lock, from one sequence. Positions are therefore handed out in the
//! order events become visible, and an event that commits late gets a later position than
//! every event a reader can have seen: following the cursor never skips one.

use tokio_postgres::GenericClient;

use super::{from_row, OutboxEvent, COLUMNS};
use crate::db::DbError;

/// The advisory lock that serialises position assignment ("outbox" in ASCII).
const SEQUENCER_LOCK: i64 = 0x6f75_7462_6f78;

/// Gives every committed event without a position its position, oldest id first.
pub(crate) async fn sequence(client: &mut impl GenericClient) -> Result<(), DbError> {
    let tx = client.transaction().await?;
    // Taken in a statement of its own: the UPDATE below then reads a snapshot taken after
    // the previous holder committed, so it sees every event that holder positioned.
    tx.query("SELECT pg_advisory_xact_lock($1)", &[&SEQUENCER_LOCK])
        .await?;
    tx.execute(
        "UPDATE outbox_events o SET seq = s.seq
         FROM (SELECT event_id, nextval('outbox_events_seq') AS seq
               FROM (SELECT event_id FROM outbox_events WHERE seq IS NULL ORDER BY event_id) p) s
         WHERE o.event_id = s.event_id",
        &[],
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Events whose position is greater than `cursor`, in position order, at most `limit`; only
/// `project`'s when given. Each event's `cursor` is its position: pass the last one to read
/// on.
pub async fn after(
    client: &mut impl GenericClient,
    cursor: i64,
    project: Option<&str>,
    limit: i64,
) -> Result<Vec<OutboxEvent>, DbError> {
    sequence(client).await?;
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM outbox_events
                 WHERE seq > $1 AND ($2::text IS NULL OR project_id = $2)
                 ORDER BY seq LIMIT $3"
            ),
            &[&cursor, &project, &limit],
        )
        .await?;
    Ok(rows.iter().map(from_row).collect())
}
