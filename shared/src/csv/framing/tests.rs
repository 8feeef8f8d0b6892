use super::*;

fn frames(input: &[u8], max: usize) -> Vec<(String, Vec<String>)> {
    let mut f = Framer::new(input, max);
    let mut out = Vec::new();
    loop {
        match f.next_record().expect("read") {
            Frame::End => return out,
            Frame::Reject { line, reason } => out.push((format!("reject {line}"), vec![reason])),
            Frame::Record { line, lines } => out.push((
                format!("record {line}+{lines}"),
                f.fields()
                    .map(|x| String::from_utf8_lossy(x).into_owned())
                    .collect(),
            )),
        }
    }
}

fn heads(v: &[(String, Vec<String>)]) -> Vec<&str> {
    v.iter().map(|(h, _)| h.as_str()).collect()
}

#[test]
fn every_line_ending_ends_a_line() {
    for input in [
        &b"a,b\nc,d\n"[..],
        b"a,b\r\nc,d\r\n",
        b"a,b\rc,d\r",
        b"a,b\rc,d",
        b"\xef\xbb\xbfa,b\r\nc,d",
    ] {
        let f = frames(input, 100);
        assert_eq!(heads(&f), ["record 1+1", "record 2+1"], "{input:?}");
        assert_eq!(f[0].1, ["a", "b"]);
        assert_eq!(f[1].1, ["c", "d"]);
    }
}

#[test]
fn quoted_fields_span_lines_and_blank_lines_count() {
    let f = frames(b"a,\"x\r\ny, \"\"q\"\"\"\n\n   \nb,c\n", 100);
    assert_eq!(heads(&f), ["record 1+2", "record 5+1"]);
    assert_eq!(f[0].1, ["a", "x\ny, \"q\""]);
}

#[test]
fn an_unclosed_quote_costs_its_line_only() {
    let f = frames(b"a,b\nc,\"d\ne,f\ng,h\n", 100);
    assert_eq!(
        heads(&f),
        ["record 1+1", "reject 2", "record 3+1", "record 4+1"]
    );
    assert!(f[1].1[0].contains("end of the file"), "{f:?}");
    // Past the limit rather than at the end of the file.
    let mut input = b"c,\"d\n".to_vec();
    for i in 0..50 {
        input.extend(format!("r{i},x\n").as_bytes());
    }
    let f = frames(&input, 64);
    assert_eq!(f[0].0, "reject 1");
    assert!(f[0].1[0].contains("line limit"), "{f:?}");
    assert_eq!(f.len(), 51);
    assert_eq!(f[1].0, "record 2+1");
    assert_eq!(f[50].0, "record 51+1");
}

#[test]
fn a_line_over_the_limit_is_rejected_and_skipped() {
    let mut input = b"a,b\n".to_vec();
    input.extend(vec![b'x'; 5000]);
    input.extend(b"\nc,d\n");
    let f = frames(&input, 1000);
    assert_eq!(heads(&f), ["record 1+1", "reject 2", "record 3+1"]);
    assert!(f[1].1[0].contains("longer than 1000 bytes"));
    // The same line inside an open quote: the quote's line and the long line are rejects.
    let mut input = b"a,\"b\n".to_vec();
    input.extend(vec![b'x'; 5000]);
    input.extend(b"\nc,d\n");
    let f = frames(&input, 1000);
    assert_eq!(heads(&f), ["reject 1", "reject 2", "record 3+1"]);
}

#[test]
fn a_given_back_record_is_read_again_from_its_second_line() {
    let mut f = Framer::new(&b"a,\"b\nc,d\"\ne,f\n"[..], 100);
    assert_eq!(
        f.next_record().expect("read"),
        Frame::Record { line: 1, lines: 2 }
    );
    f.give_back();
    // A quote inside a field is a character like any other.
    assert_eq!(
        f.next_record().expect("read"),
        Frame::Record { line: 2, lines: 1 }
    );
    assert_eq!(f.fields().collect::<Vec<_>>(), [&b"c"[..], b"d\""]);
    assert_eq!(
        f.next_record().expect("read"),
        Frame::Record { line: 3, lines: 1 }
    );
    assert_eq!(f.next_record().expect("read"), Frame::End);
}
