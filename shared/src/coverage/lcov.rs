//! lcov tracefiles: per source file `LF`/`LH` (lines), `BRF`/`BRH` (branches), `FNF`/`FNH`
//! (functions), summed; a record without `LF`/`LH` is counted from its `DA` lines.

use super::CoverageTotals;

fn number(line_no: usize, field: &str, value: &str) -> Result<i64, String> {
    value
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .ok_or_else(|| format!("line {line_no}: {field}: {value:?} is not a count"))
}

#[derive(Default)]
struct Record {
    lf: Option<i64>,
    lh: Option<i64>,
    da_total: i64,
    da_hit: i64,
}

/// Sums every record of `text`.
pub(super) fn parse(text: &str) -> Result<CoverageTotals, String> {
    let mut t = CoverageTotals::default();
    let (mut br_seen, mut fn_seen, mut records) = (false, false, 0);
    let mut rec = Record::default();
    let close = |rec: &mut Record, t: &mut CoverageTotals| {
        t.lines_total += rec.lf.unwrap_or(rec.da_total);
        t.lines_covered += rec.lh.unwrap_or(rec.da_hit);
        *rec = Record::default();
    };
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if line == "end_of_record" {
            close(&mut rec, &mut t);
            records += 1;
            continue;
        }
        let Some((field, value)) = line.split_once(':') else {
            return Err(format!(
                "line {line_no}: expected FIELD:VALUE or end_of_record, found {line:?}"
            ));
        };
        match field {
            "LF" => rec.lf = Some(number(line_no, field, value)?),
            "LH" => rec.lh = Some(number(line_no, field, value)?),
            "DA" => {
                let hits = value
                    .split(',')
                    .nth(1)
                    .ok_or_else(|| format!("line {line_no}: DA needs LINE,HITS"))?;
                rec.da_total += 1;
                // Some tools write hit counts as floats or with a checksum after them.
                let hit = hits
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| format!("line {line_no}: DA: {hits:?} is not a count"))?;
                rec.da_hit += i64::from(hit > 0.0);
            }
            "BRF" | "BRH" => {
                let n = number(line_no, field, value)?;
                br_seen = true;
                if field == "BRF" {
                    *t.branches_total.get_or_insert(0) += n;
                } else {
                    *t.branches_covered.get_or_insert(0) += n;
                }
            }
            "FNF" | "FNH" => {
                let n = number(line_no, field, value)?;
                fn_seen = true;
                if field == "FNF" {
                    *t.functions_total.get_or_insert(0) += n;
                } else {
                    *t.functions_covered.get_or_insert(0) += n;
                }
            }
            _ => {}
        }
    }
    if rec.lf.is_some() || rec.da_total > 0 {
        close(&mut rec, &mut t);
        records += 1;
    }
    if records == 0 {
        return Err("no lcov records (expected SF:, DA:/LF:/LH: and end_of_record lines)".into());
    }
    if br_seen {
        t.branches_total.get_or_insert(0);
        t.branches_covered.get_or_insert(0);
    }
    if fn_seen {
        t.functions_total.get_or_insert(0);
        t.functions_covered.get_or_insert(0);
    }
    Ok(t)
}
