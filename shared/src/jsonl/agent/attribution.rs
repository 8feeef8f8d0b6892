//! The optional attribution fields of an `api_call` record (and of a posted call):
//! `tool`, `repository`, `git_branch`, `user_id` or `user_email`, `app_version`.

use serde_json::Value;

use super::super::str_field;
use crate::model::{branch_name, is_repository, user_id_of_email, Attribution, Tool};

/// The record's attribution; the error names the bad field. An email is stored hashed
/// unless `keep_emails`.
pub(super) fn attribution_of(v: &Value, keep_emails: bool) -> Result<Attribution, String> {
    for field in [
        "tool",
        "repository",
        "git_branch",
        "user_id",
        "user_email",
        "app_version",
    ] {
        match v.get(field) {
            None | Some(Value::Null | Value::String(_)) => {}
            Some(other) => return Err(format!("{field}: expected a string, found {other}")),
        }
    }
    let tool = match str_field(v, "tool") {
        None => None,
        Some(t) => Some(Tool::parse(t).ok_or_else(|| {
            let names: Vec<&str> = Tool::ALL.iter().map(|t| t.as_str()).collect();
            format!("tool: {t:?} is not one of {}", names.join(", "))
        })?),
    };
    let repository = match str_field(v, "repository") {
        None => None,
        Some(r) if is_repository(r) => Some(r.to_string()),
        Some(r) => return Err(format!("repository: {r:?} is not owner/name")),
    };
    let user_id = str_field(v, "user_id")
        .map(str::to_string)
        .or_else(|| str_field(v, "user_email").and_then(|e| user_id_of_email(e, keep_emails)));
    Ok(Attribution {
        tool,
        repository,
        git_branch: str_field(v, "git_branch").and_then(branch_name),
        user_id,
        app_version: str_field(v, "app_version").map(str::to_string),
        cwd: None,
    })
}
