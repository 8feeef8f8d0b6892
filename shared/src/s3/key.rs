//! S3 notification keys are form-URL-encoded: `+` is a space and `%XX` are UTF-8 bytes.

/// Decodes a key from a notification: `+` to space first, then `%XX` escapes as UTF-8.
/// A malformed escape or invalid UTF-8 is an error naming the key.
pub fn decode_key(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("malformed %-escape in object key {raw:?}"))?;
                out.push(hex);
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("object key {raw:?} does not decode to UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::decode_key;

    #[test]
    fn keys_seen_in_real_events() {
        for (raw, decoded) in [
            ("red+flower.jpg", "red flower.jpg"),
            ("this+im+%2B+age+blah.txt", "this im + age blah.txt"),
            ("VJ9B4951+-+Copy+%282%29.jpg", "VJ9B4951 - Copy (2).jpg"),
            (
                "something/dt%3D2018-05-04/_SUCCESS",
                "something/dt=2018-05-04/_SUCCESS",
            ),
            (
                "uploads/usage+%C3%A9t%C3%A9+2024.csv",
                "uploads/usage été 2024.csv",
            ),
            ("plain/key.jsonl", "plain/key.jsonl"),
        ] {
            assert_eq!(decode_key(raw).as_deref(), Ok(decoded), "{raw}");
        }
    }

    #[test]
    fn malformed_escapes_are_errors() {
        assert!(decode_key("bad%2").is_err());
        assert!(decode_key("bad%zz.csv").is_err());
        assert!(decode_key("bad%ff.csv").is_err());
    }
}
