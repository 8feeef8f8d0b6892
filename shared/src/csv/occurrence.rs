//! Occurrence ordinals with bounded memory.
//!
//! A call's identity in usage.csv is (timestamp, model, task_type, occurrence). Counting
//! occurrences over a whole file would keep one entry per row; instead entries older than
//! [`WINDOW`] behind the newest timestamp seen are dropped every [`SWEEP_EVERY`] rows.
//! Results depend only on the rows before, so a re-read or a grown copy of the same file
//! gets the same ordinals (idempotency holds whatever the window). The only cost: two
//! identical (timestamp, model, task_type) rows more than an hour apart in an out-of-order
//! file share occurrence 0 and count as one call.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

/// How far behind the newest timestamp an identity is still remembered.
pub const WINDOW: TimeDelta = TimeDelta::hours(1);
/// Rows between sweeps of stale entries.
pub const SWEEP_EVERY: u64 = 10_000;

/// Tracks how many times each identity was seen recently.
#[derive(Default)]
pub struct Occurrences {
    seen: HashMap<[u8; 16], (u32, DateTime<Utc>)>,
    newest: Option<DateTime<Utc>>,
    rows: u64,
}

impl Occurrences {
    /// Returns the ordinal of this sighting of `identity` (0 for the first).
    pub fn next(&mut self, identity: [u8; 16], ts: DateTime<Utc>) -> u32 {
        self.rows += 1;
        if self.rows.is_multiple_of(SWEEP_EVERY) {
            if let Some(newest) = self.newest {
                let cutoff = newest - WINDOW;
                self.seen.retain(|_, (_, t)| *t >= cutoff);
            }
        }
        self.newest = Some(self.newest.map_or(ts, |n| n.max(ts)));
        let entry = self.seen.entry(identity).or_insert((0, ts));
        let ordinal = entry.0;
        entry.0 += 1;
        ordinal
    }

    /// Identities currently remembered (for memory tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_count_per_identity() {
        let mut o = Occurrences::default();
        let t = Utc::now();
        assert_eq!(o.next([1; 16], t), 0);
        assert_eq!(o.next([2; 16], t), 0);
        assert_eq!(o.next([1; 16], t), 1);
        assert_eq!(o.next([1; 16], t), 2);
    }

    #[test]
    fn memory_stays_bounded_for_time_ordered_rows() {
        let mut o = Occurrences::default();
        let start = Utc::now();
        for i in 0..200_000u64 {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&i.to_le_bytes());
            o.next(id, start + TimeDelta::seconds(i as i64));
        }
        // One hour of one-per-second rows plus one sweep interval at most.
        assert!(o.len() <= 3_600 + SWEEP_EVERY as usize, "{}", o.len());
    }
}
