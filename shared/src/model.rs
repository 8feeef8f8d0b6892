//! Domain types shared by every source: one LLM call with its billing split and identity.

mod attribution;

pub use attribution::{
    branch_name, is_repository, repository_of_remote, user_id_of_email, Attribution, Tool,
};

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// Where an LLM call was read from; part of its identity and stored in `llm_calls.source`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSource {
    /// A row of `usage.csv`.
    UsageCsv,
    /// An `api_call` record of an agent lifecycle log.
    AgentLog,
    /// An API response in a Claude Code transcript.
    ClaudeCode,
    /// A turn of an OpenAI Codex CLI session.
    Codex,
    /// A log record of an OpenTelemetry export (Claude Code, Codex, Gemini CLI).
    Otlp,
}

impl CallSource {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CallSource::UsageCsv => "usage_csv",
            CallSource::AgentLog => "agent_log",
            CallSource::ClaudeCode => "claude_code",
            CallSource::Codex => "codex",
            CallSource::Otlp => "otlp",
        }
    }
}

/// 128-bit identity of one call (see the `llm_calls` migration for how each source builds it):
/// the call's timestamp in microseconds, big-endian, then 64 bits of a digest of the
/// source's identifying parts. The time prefix keeps the unique index append-mostly and a
/// batch's look-ups close together, which matters once the table outgrows memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DedupKey(pub [u8; 16]);

impl DedupKey {
    /// Key for a record at `timestamp` identified within `namespace` (a source kind) by
    /// `parts`, each length-prefixed so that different part lists never collide.
    pub fn derive(namespace: &str, timestamp: DateTime<Utc>, parts: &[&[u8]]) -> Self {
        let mut h = Sha256::new();
        h.update(namespace.as_bytes());
        for p in parts {
            h.update((p.len() as u64).to_le_bytes());
            h.update(p);
        }
        let digest = h.finalize();
        let mut key = [0u8; 16];
        // Offset so that every timestamp from 1970 on sorts as unsigned bytes.
        let micros = (timestamp.timestamp_micros() as u64) ^ (1 << 63);
        key[..8].copy_from_slice(&micros.to_be_bytes());
        key[8..].copy_from_slice(&digest[..8]);
        DedupKey(key)
    }
}

impl DedupKey {
    /// The same identity within `scope` (a project): the time prefix is kept, the digest
    /// part mixes the scope in, so two scopes never share a key.
    pub fn scoped(self, scope: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"scope");
        h.update((scope.len() as u64).to_le_bytes());
        h.update(scope.as_bytes());
        h.update(&self.0[8..]);
        let mut key = self.0;
        key[8..].copy_from_slice(&h.finalize()[..8]);
        DedupKey(key)
    }
}

/// Token counts split the way providers bill them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Input tokens not served from cache.
    pub input: u32,
    /// Input tokens read from the prompt cache.
    pub cache_read: u32,
    /// Input tokens written to the prompt cache, both tiers.
    pub cache_write: u32,
    /// Of `cache_write`, those written with a 1-hour lifetime (billed higher than 5-minute
    /// writes); never more than `cache_write`.
    pub cache_write_1h: u32,
    /// Output tokens (including reasoning tokens).
    pub output: u32,
}

impl Tokens {
    /// Every input token, cached or not: what long-context price tiers are measured on.
    pub fn prompt_total(&self) -> u64 {
        u64::from(self.input) + u64::from(self.cache_read) + u64::from(self.cache_write)
    }

    /// All tokens.
    pub fn total(&self) -> u64 {
        self.prompt_total() + u64::from(self.output)
    }
}

/// How `estimated_cost` was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostStatus {
    /// Computed from the shipped price table.
    Priced,
    /// The model is not in the price table: cost unknown (NULL), never $0.
    UnknownModel,
    /// The source reported its own cost.
    FromSource,
}

impl CostStatus {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CostStatus::Priced => "priced",
            CostStatus::UnknownModel => "unknown_model",
            CostStatus::FromSource => "from_source",
        }
    }
}

/// A cost figure with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// USD, `None` exactly when the status is [`CostStatus::UnknownModel`].
    pub usd: Option<f64>,
    /// Provenance.
    pub status: CostStatus,
    /// Version of the price table used, when priced from it.
    pub price_version: Option<&'static str>,
}

/// One LLM call, ready to upsert into `llm_calls`.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmCall {
    /// Identity.
    pub dedup_key: DedupKey,
    /// Source kind.
    pub source: CallSource,
    /// When the call was made.
    pub timestamp: DateTime<Utc>,
    /// Model name as the source wrote it.
    pub model: String,
    /// Prompt template or task label (usage.csv `task_type`).
    pub prompt_name: Option<String>,
    /// Workflow phase, when known.
    pub phase: Option<String>,
    /// Billing split.
    pub tokens: Tokens,
    /// Cost and provenance.
    pub cost: Cost,
    /// What the source itself said the call cost, kept beside the table's figure.
    pub source_cost_usd: Option<f64>,
    /// Whether the call's task succeeded.
    pub success: Option<bool>,
    /// Failure reason when `success` is false.
    pub error_message: Option<String>,
    /// Wall time of the call.
    pub duration_ms: Option<u32>,
    /// Session the call belongs to.
    pub session_id: Option<String>,
    /// Agent worker that made the call.
    pub worker_id: Option<String>,
    /// Task the call served.
    pub task_id: Option<String>,
    /// Free-form notes.
    pub notes: Option<String>,
    /// The project whose key posted it (HTTP); `None` for calls read from files.
    pub project_id: Option<String>,
    /// Repository, branch, user, tool and version, where the source says.
    pub attribution: Attribution,
}

impl LlmCall {
    /// The tool that made the call: the source's word, else what the source implies.
    pub fn tool(&self) -> Tool {
        self.attribution
            .tool
            .unwrap_or_else(|| Tool::of_source(self.source))
    }

    /// Stable 64-bit digest of every stored attribute except the identity: equal digests mean
    /// a re-delivered call changes nothing. Length-prefixed fields, SHA-256 truncated.
    pub fn content_hash(&self) -> i64 {
        let mut h = Sha256::new();
        let mut put = |b: &[u8]| {
            h.update((b.len() as u32).to_le_bytes());
            h.update(b);
        };
        put(self.source.as_str().as_bytes());
        put(&self.timestamp.timestamp_micros().to_le_bytes());
        put(self.model.as_bytes());
        for field in [
            &self.prompt_name,
            &self.phase,
            &self.error_message,
            &self.session_id,
            &self.notes,
        ] {
            match field.as_deref() {
                Some(b) => put(b.as_bytes()),
                None => put(&[0xff]),
            }
        }
        let t = &self.tokens;
        for n in [t.input, t.cache_read, t.cache_write, t.output] {
            put(&n.to_le_bytes());
        }
        // Added later: only a non-zero value changes the digest, so rows stored before the
        // split was kept still compare equal on re-delivery.
        if t.cache_write_1h > 0 {
            put(&t.cache_write_1h.to_le_bytes());
        }
        if let Some(usd) = self.source_cost_usd {
            put(b"source_cost");
            put(&usd.to_bits().to_le_bytes());
        }
        put(&self.cost.usd.map_or(u64::MAX, f64::to_bits).to_le_bytes());
        put(self.cost.status.as_str().as_bytes());
        put(self.cost.price_version.unwrap_or("").as_bytes());
        put(&[match self.success {
            None => 2,
            Some(b) => u8::from(b),
        }]);
        put(&self.duration_ms.map_or(u64::MAX, u64::from).to_le_bytes());
        // Only when set, so that the hashes of calls stored before projects stay the same.
        if let Some(p) = &self.project_id {
            put(p.as_bytes());
        }
        // Likewise: attribution changes the digest only when there is some, so a call
        // stored before it was read hashes the same when re-read without it.
        let a = &self.attribution;
        let named_tool = a.tool.filter(|t| *t != Tool::of_source(self.source));
        if named_tool.is_some() || !a.is_empty() {
            put(b"attribution");
            put(self.tool().as_str().as_bytes());
            for field in [&a.repository, &a.git_branch, &a.user_id, &a.app_version] {
                match field.as_deref() {
                    Some(b) => put(b.as_bytes()),
                    None => put(&[0xff]),
                }
            }
        }
        let digest = h.finalize();
        let mut out = [0u8; 8];
        out.copy_from_slice(&digest[..8]);
        i64::from_le_bytes(out)
    }
}
