//! The usage events of the agents' OpenTelemetry exports as LLM calls, from each tool's
//! published event reference:
//! - Claude Code `claude_code.api_request`: `model`, `input_tokens` (uncached),
//!   `cache_read_tokens`, `cache_creation_tokens`, `output_tokens`, `cost_usd`,
//!   `duration_ms`; `claude_code.api_error`: `model`, `error`, `status_code`, `duration_ms`.
//! - Codex CLI `codex.sse_event` with `event.kind = response.completed`: `model`,
//!   `input_token_count` (cached tokens included, OpenAI's convention), `cached_token_count`,
//!   `output_token_count` (reasoning included), `duration_ms`, session `conversation.id`.
//! - Gemini CLI `gemini_cli.api_response`: `model`, `input_token_count` (cached content
//!   included, Google's convention), `cached_content_token_count`, `output_token_count`,
//!   `thoughts_token_count` (billed as output), `tool_token_count` (prompt), `duration_ms`;
//!   `gemini_cli.api_error`: `model`, `error`, `status_code`, `duration_ms`.
//!
//! The caller sets the key, time, attribution and price.

use super::attrs::Attrs;
use super::map::OtlpSettings;
use crate::model::{
    branch_name, is_repository, repository_of_remote, user_id_of_email, Attribution, CallSource,
    Cost, CostStatus, DedupKey, LlmCall, Tokens, Tool,
};

/// Model recorded for an error event that names none.
const UNKNOWN_MODEL: &str = "unknown";

fn call(attrs: &Attrs<'_>, model: String, tokens: Tokens) -> Result<LlmCall, String> {
    let duration_ms = attrs.number("duration_ms")?.map(|d| d as u32);
    Ok(LlmCall {
        dedup_key: DedupKey([0; 16]),
        source: CallSource::Otlp,
        timestamp: chrono::DateTime::UNIX_EPOCH,
        model,
        prompt_name: None,
        phase: None,
        tokens,
        cost: Cost {
            usd: None,
            status: CostStatus::UnknownModel,
            price_version: None,
        },
        source_cost_usd: None,
        success: Some(true),
        error_message: None,
        duration_ms,
        session_id: attrs.first(&["session.id", "conversation.id"]),
        worker_id: None,
        task_id: None,
        notes: attrs
            .text("organization.id")
            .map(|o| format!("organization.id={o}")),
        project_id: None,
        attribution: Attribution::default(),
    })
}

fn model(attrs: &Attrs<'_>) -> Result<String, String> {
    attrs
        .first(&["model", "gen_ai.request.model", "slug"])
        .ok_or_else(|| "model: the attribute is missing".to_string())
}

/// `claude_code.api_request`: Anthropic's split, cache writes apart from input.
pub(super) fn claude_request(attrs: &Attrs<'_>) -> Result<LlmCall, String> {
    let tokens = Tokens {
        input: attrs.count("input_tokens")?,
        cache_read: attrs.count("cache_read_tokens")?,
        cache_write: attrs.count("cache_creation_tokens")?,
        cache_write_1h: 0,
        output: attrs.count("output_tokens")?,
    };
    let mut c = call(attrs, model(attrs)?, tokens)?;
    // Rounded as the column stores it, so that a re-sent record hashes the same.
    c.source_cost_usd = attrs
        .amount("cost_usd")?
        .map(|usd| (usd * 1e8).round() / 1e8);
    Ok(c)
}

/// `codex.sse_event` `response.completed`: cached tokens split out of input.
pub(super) fn codex_completed(attrs: &Attrs<'_>) -> Result<LlmCall, String> {
    let input = attrs.count("input_token_count")?;
    let cached = attrs.count("cached_token_count")?;
    if cached > input {
        return Err(format!(
            "cached_token_count: {cached} is more than input_token_count ({input}), which includes it"
        ));
    }
    let tokens = Tokens {
        input: input - cached,
        cache_read: cached,
        cache_write: 0,
        cache_write_1h: 0,
        output: attrs.count("output_token_count")?,
    };
    call(attrs, model(attrs)?, tokens)
}

/// `gemini_cli.api_response`: cached content split out of input; thoughts are output.
pub(super) fn gemini_response(attrs: &Attrs<'_>) -> Result<LlmCall, String> {
    let input = attrs.count("input_token_count")?;
    let cached = attrs.count("cached_content_token_count")?;
    if cached > input {
        return Err(format!(
            "cached_content_token_count: {cached} is more than input_token_count ({input}), which includes it"
        ));
    }
    let sum = |a: u32, b: u32, field: &str| {
        a.checked_add(b)
            .filter(|n| *n <= i32::MAX as u32)
            .ok_or_else(|| format!("{field}: the sum is out of range"))
    };
    let tokens = Tokens {
        input: sum(
            input - cached,
            attrs.count("tool_token_count")?,
            "tool_token_count",
        )?,
        cache_read: cached,
        cache_write: 0,
        cache_write_1h: 0,
        output: sum(
            attrs.count("output_token_count")?,
            attrs.count("thoughts_token_count")?,
            "thoughts_token_count",
        )?,
    };
    let mut c = call(attrs, model(attrs)?, tokens)?;
    if let Some(e) = attrs.text("error") {
        c.success = Some(false);
        c.error_message = Some(e);
    }
    Ok(c)
}

/// An API error event: a failed call with no tokens, its reason and HTTP status.
pub(super) fn failed(attrs: &Attrs<'_>) -> Result<LlmCall, String> {
    let model = model(attrs).unwrap_or_else(|_| UNKNOWN_MODEL.to_string());
    let mut c = call(attrs, model, Tokens::default())?;
    let error = attrs.text("error").unwrap_or_else(|| "API error".into());
    c.success = Some(false);
    c.error_message = Some(match attrs.text("status_code") {
        Some(code) => format!("HTTP {code}: {error}"),
        None => error,
    });
    Ok(c)
}

/// The user as an id: the exporter's account or install id, else the email's hash (or the
/// email, where the deployment keeps them).
pub(super) fn user_id(attrs: &Attrs<'_>, keep_emails: bool) -> Option<String> {
    attrs
        .first(&[
            "user.account_uuid",
            "user.account_id",
            "user.id",
            "installation.id",
            "enduser.id",
        ])
        .or_else(|| {
            attrs
                .text("user.email")
                .and_then(|e| user_id_of_email(&e, keep_emails))
        })
}

/// Who, where and with what version, from the record's and its resource's attributes:
/// the OpenTelemetry VCS conventions (`vcs.repository.url.full`, `vcs.ref.head.name`) or
/// the short names a user sets in `OTEL_RESOURCE_ATTRIBUTES` (`repository`, `git.branch`).
pub(super) fn attribution(
    attrs: &Attrs<'_>,
    tool: Option<Tool>,
    settings: &OtlpSettings,
) -> Attribution {
    let repository = attrs
        .first(&["vcs.repository.url.full", "repository", "git.repository"])
        .and_then(|r| {
            if is_repository(&r) {
                Some(r)
            } else {
                repository_of_remote(&r)
            }
        });
    Attribution {
        tool,
        repository,
        git_branch: attrs
            .first(&["vcs.ref.head.name", "git.branch", "git_branch"])
            .and_then(|b| branch_name(&b)),
        user_id: user_id(attrs, settings.keep_emails),
        app_version: attrs.first(&["app.version", "service.version"]),
        cwd: None,
    }
}
