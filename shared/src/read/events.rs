//! CLI events (`POST /ingest`) as the dashboard shows them: per UTC day and event name, the
//! events and distinct ids; and, for one chosen property, the events per day by its value
//! (the 10 most frequent values in the range, the rest as one `(other)`).

use chrono::NaiveDate;
use serde::Serialize;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;

use super::{params, Range};
use crate::db::DbError;

/// One UTC day of one event name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDay {
    /// UTC day.
    pub day: NaiveDate,
    /// Event name.
    pub event: String,
    /// Events.
    pub events: i64,
    /// Distinct `distinct_id`s.
    pub distinct_ids: i64,
}

/// One UTC day of one value of the chosen property.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyDay {
    /// UTC day.
    pub day: NaiveDate,
    /// The value as text (`(none)` when the event lacks it, `(other)` past the top 10).
    pub value: String,
    /// Events.
    pub events: i64,
}

fn events_in(project: bool) -> &'static str {
    if project {
        "e.timestamp >= $1 AND e.timestamp < $2 AND e.project_id = $3"
    } else {
        "e.timestamp >= $1 AND e.timestamp < $2"
    }
}

/// [`events_daily`]'s SQL.
pub(super) fn events_daily_sql(project: bool) -> String {
    format!(
        "SELECT (e.timestamp AT TIME ZONE 'UTC')::date AS day, e.event, count(*) AS events,
                count(DISTINCT e.distinct_id) AS distinct_ids
         FROM telemetry_events e WHERE {} GROUP BY 1, 2 ORDER BY 1, 2",
        events_in(project)
    )
}

/// Events and distinct ids per UTC day and event name in `range`.
pub async fn events_daily(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
) -> Result<Vec<EventDay>, DbError> {
    let rows = client
        .query(
            &events_daily_sql(project.is_some()),
            &params(range, &project),
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| EventDay {
            day: r.get("day"),
            event: r.get("event"),
            events: r.get("events"),
            distinct_ids: r.get("distinct_ids"),
        })
        .collect())
}

/// [`events_by_property`]'s SQL: the range (and project), then the property's name.
pub(super) fn by_property_sql(project: bool) -> String {
    let n = if project { 4 } else { 3 };
    format!(
        "WITH e AS (SELECT (e.timestamp AT TIME ZONE 'UTC')::date AS day,
                           coalesce(e.properties ->> ${n}, '(none)') AS value
                    FROM telemetry_events e WHERE {}),
              top AS (SELECT value FROM e GROUP BY value ORDER BY count(*) DESC, value LIMIT 10)
         SELECT day, CASE WHEN value IN (SELECT value FROM top) THEN value ELSE '(other)' END AS value,
                count(*) AS events
         FROM e GROUP BY 1, 2 ORDER BY 1, 2",
        events_in(project)
    )
}

/// Events per UTC day by the value of `property` in `range`.
pub async fn events_by_property(
    client: &impl GenericClient,
    range: &Range,
    project: Option<&str>,
    property: &str,
) -> Result<Vec<PropertyDay>, DbError> {
    let mut p = params(range, &project);
    p.push(&property as &(dyn ToSql + Sync));
    let rows = client
        .query(&by_property_sql(project.is_some()), &p)
        .await?;
    Ok(rows
        .iter()
        .map(|r| PropertyDay {
            day: r.get("day"),
            value: r.get("value"),
            events: r.get("events"),
        })
        .collect())
}
