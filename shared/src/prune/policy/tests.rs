//! Retention parsing, cut-offs and overrides.

use super::*;
use chrono::TimeZone;

#[test]
fn parses_and_cuts_off() {
    let now = Utc
        .with_ymd_and_hms(2026, 8, 31, 12, 0, 0)
        .single()
        .expect("valid");
    assert_eq!(Retention::parse("6mo"), Ok(Retention::Months(6)));
    assert_eq!(
        Retention::parse("6mo").expect("valid").cutoff(now),
        Some(
            Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0)
                .single()
                .expect("valid")
        )
    );
    assert_eq!(
        Retention::parse("90d").expect("valid").cutoff(now),
        Some(
            Utc.with_ymd_and_hms(2026, 6, 2, 12, 0, 0)
                .single()
                .expect("valid")
        )
    );
    assert_eq!(Retention::Keep.cutoff(now), None);
    for bad in ["6", "0d", "6 months", "d", "-3d"] {
        assert!(Retention::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn overrides_only_prunable_tables() {
    let plan = RetentionPlan::parse("llm_calls=12mo, events=keep").expect("valid");
    let get = |t: &str| {
        plan.tables
            .iter()
            .find(|(p, _)| p.table == t)
            .expect("valid")
            .1
    };
    assert_eq!(get("llm_calls"), Retention::Months(12));
    assert_eq!(get("events"), Retention::Keep);
    assert_eq!(get("workflow_runs"), Retention::Months(6));
    let err = RetentionPlan::parse("projects=1d").expect_err("refused");
    assert!(err.contains("cannot be pruned"), "{err}");
    assert!(RetentionPlan::parse("llm_calls").is_err());
}
