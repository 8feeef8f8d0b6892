//! Reading one line from a buffered source: `take(limit).read_until(b'\n')`, with the
//! `memchr` crate's newline search (std's is several times slower on long lines, and a
//! transcript is mostly long lines).

use std::io::{BufRead, ErrorKind, Result};

/// Appends to `buf` the bytes up to and including the next newline, at most `limit` of
/// them; returns how many were read (0 at the end).
pub(super) fn read_line(
    input: &mut impl BufRead,
    buf: &mut Vec<u8>,
    limit: usize,
) -> Result<usize> {
    let mut read = 0;
    while read < limit {
        let available = match input.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if available.is_empty() {
            break;
        }
        let room = &available[..available.len().min(limit - read)];
        let (used, done) = match memchr::memchr(b'\n', room) {
            Some(i) => (i + 1, true),
            None => (room.len(), false),
        };
        buf.extend_from_slice(&room[..used]);
        input.consume(used);
        read += used;
        if done {
            break;
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_take_read_until_does() {
        let text = b"first\n\nthird line is longer\nlast without newline";
        for cap in [1, 2, 7, 64] {
            for limit in [1, 5, 6, 100] {
                let mut ours = std::io::BufReader::with_capacity(cap, &text[..]);
                let mut std = std::io::BufReader::with_capacity(cap, &text[..]);
                loop {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let n = read_line(&mut ours, &mut a, limit).expect("ours");
                    let m = std::io::Read::take(&mut std, limit as u64)
                        .read_until(b'\n', &mut b)
                        .expect("std");
                    assert_eq!((n, &a), (m, &b), "cap {cap} limit {limit}");
                    if n == 0 {
                        break;
                    }
                }
            }
        }
    }
}
