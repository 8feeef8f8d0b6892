//! Istanbul `coverage-summary.json` (nyc, Jest `--coverageReporters=json-summary`): the
//! `total` entry's `lines`, `branches` and `functions`.

use serde_json::Value;

use super::CoverageTotals;

fn pair(total: &Value, what: &str) -> Result<Option<(i64, i64)>, String> {
    let Some(v) = total.get(what) else {
        return Ok(None);
    };
    let get = |k: &str| {
        v.get(k)
            .and_then(Value::as_i64)
            .filter(|n| *n >= 0)
            .ok_or_else(|| format!("total.{what}.{k}: expected a count"))
    };
    Ok(Some((get("covered")?, get("total")?)))
}

/// Reads the totals.
pub(super) fn parse(text: &str) -> Result<CoverageTotals, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let total = v
        .get("total")
        .ok_or("no \"total\" entry: not an Istanbul coverage-summary.json")?;
    let (lines_covered, lines_total) = pair(total, "lines")?.ok_or("total.lines: missing")?;
    let branches = pair(total, "branches")?;
    let functions = pair(total, "functions")?;
    Ok(CoverageTotals {
        lines_covered,
        lines_total,
        branches_covered: branches.map(|b| b.0),
        branches_total: branches.map(|b| b.1),
        functions_covered: functions.map(|f| f.0),
        functions_total: functions.map(|f| f.1),
    })
}
