//! Coverage reports as files (s3-ingest, `telemetry ingest file`): the whole report is one
//! record, and where it belongs comes from its path:
//! `…/coverage/{owner}/{repo}/[{branch}/]{commit}/{report file}` (the branch may contain `/`).

use std::io::Read;

use chrono::Utc;

use super::{IngestError, IngestReport, RejectedRow};
use crate::columns::Validate;
use crate::coverage::{
    is_commit_sha, upsert_coverage, CoverageFormat, CoverageSnapshot, MAX_REPORT_BYTES,
};
use crate::csv::HeaderError;
use crate::ingest::FileKind;

/// Repository, branch and commit named by a report's path.
pub fn target_from_path(path: &str) -> Result<(String, Option<String>, String), String> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let start = segments
        .iter()
        .rposition(|s| *s == "coverage")
        .ok_or_else(|| format!("{path}: expected …/coverage/OWNER/REPO/[BRANCH/]COMMIT/REPORT"))?;
    let rest = &segments[start + 1..];
    if rest.len() < 4 {
        return Err(format!(
            "{path}: expected …/coverage/OWNER/REPO/[BRANCH/]COMMIT/REPORT"
        ));
    }
    let commit = rest[rest.len() - 2];
    if !is_commit_sha(commit) {
        return Err(format!(
            "{path}: {commit:?} is not a commit SHA (7 to 40 hex digits)"
        ));
    }
    let branch = rest[2..rest.len() - 2].join("/");
    Ok((
        format!("{}/{}", rest[0], rest[1]),
        (!branch.is_empty()).then_some(branch),
        commit.to_ascii_lowercase(),
    ))
}

/// Reads, parses and stores one report; every outcome is counted in `report`.
pub(super) async fn ingest_coverage<R: Read + Send + 'static>(
    client: &impl tokio_postgres::GenericClient,
    input: R,
    kind: FileKind,
    format: CoverageFormat,
    uri: &str,
    report: &mut IngestReport,
) -> Result<(), IngestError> {
    let read = tokio::task::spawn_blocking(move || {
        let mut buf = Vec::new();
        kind.reader(input)
            .take(MAX_REPORT_BYTES as u64 + 1)
            .read_to_end(&mut buf)
            .map(|_| buf)
    })
    .await
    .map_err(|e| HeaderError::Io(e.to_string()))?
    .map_err(|e| HeaderError::from_io(&e))?;
    let reject = |report: &mut IngestReport, reason: String| {
        report.add_reject(RejectedRow {
            line: 1,
            reason,
            raw: None,
        });
    };
    if read.len() > MAX_REPORT_BYTES {
        reject(
            report,
            format!("coverage report larger than {MAX_REPORT_BYTES} bytes"),
        );
        return Ok(());
    }
    let Ok(text) = String::from_utf8(read) else {
        reject(report, "coverage report is not UTF-8 text".into());
        return Ok(());
    };
    let snapshot = target_from_path(uri).and_then(|(repository, branch, commit_sha)| {
        Ok(CoverageSnapshot {
            repository,
            branch,
            commit_sha,
            format,
            totals: format.parse(&text)?,
            captured_at: Utc::now(),
            project_id: None,
        })
    });
    let snapshot = snapshot.and_then(Validate::checked);
    match snapshot {
        Err(reason) => reject(report, reason),
        Ok(s) => {
            let (inserted, updated) = match upsert_coverage(client, &s).await {
                Ok(written) => written,
                Err(e) if e.is_data_error() => {
                    reject(
                        report,
                        format!("refused by the database: {}", e.server_message()),
                    );
                    return Ok(());
                }
                Err(source) => {
                    return Err(IngestError::Database {
                        source,
                        lines: Some((1, 1)),
                    })
                }
            };
            report.add_counts(crate::store::UpsertCounts {
                inserted: u64::from(inserted),
                updated: u64::from(updated),
                duplicates: u64::from(!inserted && !updated),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::target_from_path;

    #[test]
    fn paths_name_repository_branch_and_commit() {
        assert_eq!(
            target_from_path("uploads/coverage/acme/api/feature/login/3F2A9C1/lcov.info"),
            Ok((
                "acme/api".into(),
                Some("feature/login".into()),
                "3f2a9c1".into()
            ))
        );
        assert_eq!(
            target_from_path("uploads/coverage/acme/api/3f2a9c1d/coverage.xml"),
            Ok(("acme/api".into(), None, "3f2a9c1d".into()))
        );
        assert!(target_from_path("uploads/acme/api/3f2a9c1d/lcov.info").is_err());
        assert!(target_from_path("uploads/coverage/acme/api/main/lcov.info").is_err());
    }
}
