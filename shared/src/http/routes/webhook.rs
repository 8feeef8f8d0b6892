//! `POST /github/webhook`: a `workflow_run` or `workflow_job` delivery, its signature checked,
//! upserted into `workflow_runs` or `workflow_jobs` as the sync would write it; `ping`
//! answered, other events ignored (202).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::response::Response;
use http::{Request, StatusCode};
use serde_json::json;

use crate::columns::Validate;
use crate::db::DbError;
use crate::github::store::{upsert_workflow_jobs, upsert_workflow_runs};
use crate::github::{WorkflowJob, WorkflowRun};
use crate::http::app::HttpIngest;
use crate::http::response::{json_response, ApiError, HttpResponse};
use crate::http::webhook::{self, Delivery};

/// The route.
pub(super) async fn receive(State(api): State<Arc<HttpIngest>>, req: Request<Body>) -> Response {
    let a = api.clone();
    super::answer(&api, req, |req| async move { store(&a, &req).await }).await
}

async fn store(api: &HttpIngest, req: &Request<Vec<u8>>) -> Result<HttpResponse, ApiError> {
    let secret = api.config.webhook_secret.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_configured",
            "the GitHub webhook is not configured (GITHUB_WEBHOOK_SECRET)",
        )
    })?;
    match webhook::read(secret.as_bytes(), req.headers(), req.body())? {
        Delivery::Ping => Ok(json_response(StatusCode::OK, &json!({"ok": true}))),
        Delivery::Ignored(event) => Ok(json_response(
            StatusCode::ACCEPTED,
            &json!({"ignored": event}),
        )),
        Delivery::WorkflowJob {
            repository,
            private,
            job,
        } => {
            let job = WorkflowJob::from_api(&repository, private, &job, &api.config.runner_skus)
                .and_then(Validate::checked)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook", e))?;
            let client = api.pool.get().await.map_err(DbError::from)?;
            let counts = upsert_workflow_jobs(&**client, std::slice::from_ref(&job)).await?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({
                    "github_job_id": job.github_job_id, "run_attempt": job.run_attempt,
                    "status": job.status, "inserted": counts.inserted,
                    "updated": counts.updated, "unchanged": counts.unchanged,
                }),
            ))
        }
        Delivery::WorkflowRun { repository, run } => {
            let run = WorkflowRun::from_api(&repository, &run)
                .and_then(Validate::checked)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_webhook", e))?;
            let client = api.pool.get().await.map_err(DbError::from)?;
            let counts = upsert_workflow_runs(&**client, std::slice::from_ref(&run)).await?;
            Ok(json_response(
                StatusCode::ACCEPTED,
                &json!({
                    "github_run_id": run.github_run_id, "run_attempt": run.run_attempt,
                    "inserted": counts.inserted, "updated": counts.updated,
                    "unchanged": counts.unchanged,
                }),
            ))
        }
    }
}
