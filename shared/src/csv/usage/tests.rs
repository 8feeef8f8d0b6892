use super::*;
use crate::model::CostStatus;

const HEADER: &str =
    "timestamp,model,prompt_tokens,completion_tokens,task_success,task_type,duration_ms,notes\n";

fn rows(input: &str) -> Vec<Row> {
    UsageCsvReader::new(input.as_bytes())
        .expect("header ok")
        .collect::<Result<Vec<_>, _>>()
        .expect("no io error")
}

fn calls(input: &str) -> Vec<(u64, LlmCall)> {
    rows(input)
        .into_iter()
        .filter_map(|r| match r {
            Row::Call { line, call } => Some((line, call)),
            Row::Reject { .. } => None,
        })
        .collect()
}

fn rejects(input: &str) -> Vec<(u64, String)> {
    rows(input)
        .into_iter()
        .filter_map(|r| match r {
            Row::Reject { line, reason } => Some((line, reason)),
            Row::Call { .. } => None,
        })
        .collect()
}

#[test]
fn maps_the_seed_columns() {
    let input = format!(
        "{HEADER}2026-03-01T12:00:00Z,claude-sonnet-4-5,1000,200,true,review,1500,first pass\n"
    );
    let got = calls(&input);
    assert_eq!(got.len(), 1);
    let (line, c) = &got[0];
    assert_eq!(*line, 2);
    assert_eq!(c.model, "claude-sonnet-4-5");
    assert_eq!(c.tokens.input, 1000);
    assert_eq!(c.tokens.output, 200);
    assert_eq!(c.success, Some(true));
    assert_eq!(c.prompt_name.as_deref(), Some("review"));
    assert_eq!(c.duration_ms, Some(1500));
    assert_eq!(c.notes.as_deref(), Some("first pass"));
    assert_eq!(c.error_message, None);
    assert_eq!(c.cost.status, CostStatus::Priced);
    // 1000 * 3/M + 200 * 15/M
    assert_eq!(c.cost.usd, Some(0.006));
}

#[test]
fn columns_by_name_any_order_extra_ignored_bom_crlf_quotes() {
    let input = "\u{feff}Notes,extra,Model,completion_tokens,timestamp,prompt_tokens\r\n\
                 \"a, quoted\nnote\",x,gpt-4o,5,2026-03-01 12:00:00,10\r\n";
    let got = calls(input);
    assert_eq!(got.len(), 1, "{:?}", rejects(input));
    let c = &got[0].1;
    assert_eq!(c.notes.as_deref(), Some("a, quoted\nnote"));
    assert_eq!(c.model, "gpt-4o");
    assert_eq!(c.tokens.input, 10);
    assert_eq!(c.success, None);
}

#[test]
fn bad_rows_are_rejected_with_line_and_reason_and_good_rows_kept() {
    let input = format!(
        "{HEADER}\
         2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,1,\n\
         not-a-date,gpt-4o,1,1,true,a,1,\n\
         2026-03-01T12:00:01Z,,1,1,true,a,1,\n\
         2026-03-01T12:00:02Z,gpt-4o,-3,1,true,a,1,\n\
         2026-03-01T12:00:03Z,gpt-4o,x,1,true,a,1,\n\
         2026-03-01T12:00:04Z,gpt-4o,1,1\n\
         \"2026-03-01T12:00:05Z\",gpt-4o,1,1,false,\"multi\nline\",1,\"boom, it failed\"\n\
         2026-03-01T12:00:06Z,gpt-4o,1,1,perhaps,a,1,\n"
    );
    let rj = rejects(&input);
    let lines: Vec<u64> = rj.iter().map(|r| r.0).collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7, 10], "{rj:?}");
    assert!(rj[0].1.starts_with("bad timestamp \"not-a-date\""));
    assert_eq!(rj[1].1, "missing model");
    assert_eq!(rj[2].1, "prompt_tokens: negative value -3");
    assert_eq!(rj[3].1, "prompt_tokens: \"x\" is not a whole number");
    assert_eq!(rj[4].1, "wrong column count: expected 8 fields, found 4");
    assert!(rj[5].1.contains("not a boolean"));
    let ok = calls(&input);
    assert_eq!(ok.iter().map(|c| c.0).collect::<Vec<_>>(), vec![2, 8]);
    // A failed task keeps its notes as the error message.
    assert_eq!(ok[1].1.error_message.as_deref(), Some("boom, it failed"));
}

#[test]
fn identical_rows_are_distinct_calls_and_keys_are_stable_across_a_grown_copy() {
    let row = "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,1,\n";
    let small = format!("{HEADER}{row}{row}");
    let grown = format!("{HEADER}{row}{row}{row}2026-03-02T00:00:00Z,gpt-4o,1,1,,,,\n");
    let a: Vec<DedupKey> = calls(&small).iter().map(|c| c.1.dedup_key).collect();
    let b: Vec<DedupKey> = calls(&grown).iter().map(|c| c.1.dedup_key).collect();
    assert_ne!(a[0], a[1], "two identical calls must not share a key");
    assert_eq!(&b[..2], &a[..], "a grown copy keeps the keys of its prefix");
    assert_eq!(b.len(), 4);
    let distinct: std::collections::HashSet<_> = b.iter().collect();
    assert_eq!(distinct.len(), 4);
}

#[test]
fn calls_that_differ_in_any_field_get_different_keys() {
    let base = "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,1,n\n";
    let variants = [
        base,
        "2026-03-01T12:00:00Z,gpt-4o,2,1,true,a,1,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,2,true,a,1,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,false,a,1,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,,a,1,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,true,,1,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,2,n\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,1,\n",
        "2026-03-01T12:00:00Z,gpt-4o,1,1,true,a,1,m\n",
        "2026-03-01T12:00:00Z,gpt-4o-mini,1,1,true,a,1,n\n",
    ];
    // Each variant read alone (as from another developer's file), so occurrence plays no part.
    let keys: std::collections::HashSet<DedupKey> = variants
        .iter()
        .map(|v| calls(&format!("{HEADER}{v}"))[0].1.dedup_key)
        .collect();
    assert_eq!(
        keys.len(),
        variants.len(),
        "every field is part of the identity"
    );
    // The same row in two files is the one remaining limit: one call.
    assert_eq!(
        calls(&format!("{HEADER}{base}"))[0].1.dedup_key,
        calls(&format!("{HEADER}2026-03-01T11:00:00Z,x,1,1,,,,\n{base}"))[1]
            .1
            .dedup_key
    );
}

#[test]
fn header_problems_are_fatal_and_named() {
    let err = UsageCsvReader::new("timestamp,model,notes\n".as_bytes())
        .err()
        .expect("error");
    assert_eq!(
        err.to_string(),
        "header lacks required column(s) prompt_tokens, completion_tokens; found: timestamp,model,notes"
    );
    assert!(matches!(
        UsageCsvReader::new("".as_bytes()).err(),
        Some(HeaderError::Empty)
    ));
}

#[test]
fn unknown_model_is_flagged_not_zero() {
    let got = calls(&format!(
        "{HEADER}2026-03-01T12:00:00Z,acme-llm-7b,10,10,,,,\n"
    ));
    assert_eq!(got[0].1.cost.status, CostStatus::UnknownModel);
    assert_eq!(got[0].1.cost.usd, None);
}

#[test]
fn blank_lines_and_invalid_utf8_do_not_stop_the_file() {
    let mut input = format!("{HEADER}2026-03-01T12:00:00Z,gpt-4o,1,1,,,,\n\n").into_bytes();
    input.extend_from_slice(b"2026-03-01T12:00:01Z,gpt-\xff,1,1,,,,\n");
    input.extend_from_slice(b"2026-03-01T12:00:02Z,gpt-4o,2,2,,,,\n");
    let rows: Vec<Row> = UsageCsvReader::new(input.as_slice())
        .expect("header")
        .collect::<Result<_, _>>()
        .expect("io");
    let summary: Vec<String> = rows
        .iter()
        .map(|r| match r {
            Row::Call { line, .. } => format!("{line}:ok"),
            Row::Reject { line, reason } => format!("{line}:{reason}"),
        })
        .collect();
    assert_eq!(summary, vec!["2:ok", "4:invalid UTF-8", "5:ok"]);
}

#[test]
fn line_numbers_survive_blank_lines_quoted_newlines_crlf_and_no_final_newline() {
    let lines = |input: &str| -> Vec<u64> {
        rows(input)
            .iter()
            .map(|r| match r {
                Row::Call { line, .. } | Row::Reject { line, .. } => *line,
            })
            .collect()
    };
    let r = "2026-03-01T12:00:00Z,gpt-4o,1,1,,,,";
    assert_eq!(lines(&format!("{HEADER}{r}\n\n\n{r}\n{r}")), vec![2, 5, 6]);
    assert_eq!(
        lines(&format!("{HEADER}{r}\"a\nb\"\n{r}\n")).len(),
        2,
        "a quoted note spanning two lines is one record"
    );
    let multi = format!("{HEADER}2026-03-01T12:00:00Z,gpt-4o,1,1,,,,\"a\nb\nc\"\n{r}\n");
    assert_eq!(lines(&multi), vec![2, 5]);
    let crlf = format!("{HEADER}{r}\r\n\r\n{r}\r\n").replace("notes\n", "notes\r\n");
    assert_eq!(lines(&crlf), vec![2, 4]);
}
