//! Occurrence ordinals with bounded memory.
//!
//! A call's identity in usage.csv is (every field of the row, occurrence). Counting
//! occurrences over a whole file would keep one entry per row; instead, every
//! [`SWEEP_EVERY`] rows, entries are dropped that were last seen more than [`SWEEP_EVERY`]
//! rows ago and whose timestamp is more than [`WINDOW`] behind the current row's. Both
//! conditions matter: by time alone, one row dated far in the future would make every later
//! (ordinary) entry look stale and drop it between two sightings of the same second.
//! Results depend only on the rows before, so a re-read or a grown copy of the same file
//! gets the same ordinals (idempotency holds whatever the window). The only cost: two
//! identical rows more than an hour and 10,000 rows apart in an out-of-order file share
//! occurrence 0 and count as one call.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};

/// How far behind the newest timestamp an identity is still remembered.
pub const WINDOW: TimeDelta = TimeDelta::hours(1);
/// Rows between sweeps of stale entries.
pub const SWEEP_EVERY: u64 = 10_000;

/// An identity with its sightings, timestamp and the row it was last seen at.
pub type Entry = ([u8; 16], (u32, DateTime<Utc>, u64));

/// Tracks how many times each identity was seen recently.
#[derive(Default)]
pub struct Occurrences {
    /// Per identity: sightings, its timestamp, the row it was last seen at.
    seen: HashMap<[u8; 16], (u32, DateTime<Utc>, u64)>,
    rows: u64,
}

impl Occurrences {
    /// Returns the ordinal of this sighting of `identity` (0 for the first).
    pub fn next(&mut self, identity: [u8; 16], ts: DateTime<Utc>) -> u32 {
        self.rows += 1;
        let row = self.rows;
        if row.is_multiple_of(SWEEP_EVERY) {
            let cutoff = ts - WINDOW;
            self.seen
                .retain(|_, (_, t, last)| *t >= cutoff || row - *last <= SWEEP_EVERY);
        }
        let entry = self.seen.entry(identity).or_insert((0, ts, row));
        let ordinal = entry.0;
        entry.0 += 1;
        entry.2 = row;
        ordinal
    }

    /// What is remembered, to go on counting in a later run ([`Self::restore`]).
    pub fn snapshot(&self) -> (Vec<Entry>, u64) {
        let seen = self.seen.iter().map(|(k, v)| (*k, *v)).collect();
        (seen, self.rows)
    }

    /// Counting goes on from a [`Self::snapshot`].
    pub fn restore(seen: Vec<Entry>, rows: u64) -> Self {
        Self {
            seen: seen.into_iter().collect(),
            rows,
        }
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
        // The last sweep interval's rows, and the one before it at most.
        assert!(o.len() <= 2 * SWEEP_EVERY as usize, "{}", o.len());
    }

    #[test]
    fn a_row_dated_far_in_the_future_does_not_make_the_others_forget() {
        let mut o = Occurrences::default();
        let start = Utc::now();
        let future = start + TimeDelta::days(365 * 50);
        // The same identity twice, with a far-future row and a sweep between them.
        assert_eq!(o.next([7; 16], start), 0);
        for i in 1..SWEEP_EVERY - 1 {
            let mut id = [0u8; 16];
            id[..8].copy_from_slice(&i.to_le_bytes());
            o.next(id, if i == 5 { future } else { start });
        }
        assert_eq!(o.next([8; 16], future), 0, "the sweep runs at a future row");
        assert_eq!(o.next([7; 16], start), 1, "still remembered: a second call");
    }
}
