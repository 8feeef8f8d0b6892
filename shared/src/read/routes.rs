//! The read routes (`GET /api/v1/...`): their paths, and the query parameters each takes.

/// The read routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRoute {
    /// `/api/v1/whoami`: what the key reads.
    WhoAmI,
    /// `/api/v1/projects`: the projects the key reads.
    Projects,
    /// `/api/v1/llm/cost-daily`.
    LlmCostDaily,
    /// `/api/v1/llm/calls`.
    LlmCalls,
    /// `/api/v1/llm/top`.
    LlmTop,
    /// `/api/v1/ci/runs-daily`.
    CiRunsDaily,
    /// `/api/v1/ci/workflows`.
    CiWorkflows,
    /// `/api/v1/ci/failures`.
    CiFailures,
    /// `/api/v1/ci/jobs`.
    CiJobs,
    /// `/api/v1/coverage`.
    Coverage,
    /// `/api/v1/events/daily`.
    EventsDaily,
    /// `/api/v1/fleet/briefings`.
    FleetBriefings,
    /// `/api/v1/fleet/jobs`.
    FleetJobs,
    /// `/api/v1/agents/tasks`.
    AgentTasks,
    /// `/api/v1/agents/task?id=`.
    AgentTask,
    /// `/api/v1/agents/conversation?worker=`.
    AgentConversation,
}

impl ReadRoute {
    /// Every read route's path.
    pub const PATHS: [(&'static str, ReadRoute); 16] = [
        ("/api/v1/whoami", ReadRoute::WhoAmI),
        ("/api/v1/projects", ReadRoute::Projects),
        ("/api/v1/llm/cost-daily", ReadRoute::LlmCostDaily),
        ("/api/v1/llm/calls", ReadRoute::LlmCalls),
        ("/api/v1/llm/top", ReadRoute::LlmTop),
        ("/api/v1/ci/runs-daily", ReadRoute::CiRunsDaily),
        ("/api/v1/ci/workflows", ReadRoute::CiWorkflows),
        ("/api/v1/ci/failures", ReadRoute::CiFailures),
        ("/api/v1/ci/jobs", ReadRoute::CiJobs),
        ("/api/v1/coverage", ReadRoute::Coverage),
        ("/api/v1/events/daily", ReadRoute::EventsDaily),
        ("/api/v1/fleet/briefings", ReadRoute::FleetBriefings),
        ("/api/v1/fleet/jobs", ReadRoute::FleetJobs),
        ("/api/v1/agents/tasks", ReadRoute::AgentTasks),
        ("/api/v1/agents/task", ReadRoute::AgentTask),
        ("/api/v1/agents/conversation", ReadRoute::AgentConversation),
    ];

    /// The query parameters the route takes.
    pub fn parameters(self) -> &'static [&'static str] {
        match self {
            ReadRoute::WhoAmI => &[],
            ReadRoute::Projects => &["status", "repo_root", "limit", "cursor"],
            ReadRoute::FleetBriefings => &[
                "since", "until", "project", "status", "impact", "drift", "limit", "cursor",
            ],
            ReadRoute::FleetJobs => &[
                "since", "until", "project", "status", "pending", "limit", "cursor",
            ],
            ReadRoute::AgentTasks => &["since", "until", "limit", "cursor"],
            ReadRoute::Coverage => &["since", "until", "project", "repository", "limit", "cursor"],
            ReadRoute::EventsDaily => &["since", "until", "project", "property"],
            ReadRoute::AgentTask => &["id"],
            ReadRoute::AgentConversation => &["worker"],
            ReadRoute::LlmCostDaily => &["since", "until", "project"],
            ReadRoute::LlmCalls => &["since", "until", "project", "limit", "cursor"],
            ReadRoute::LlmTop => &["since", "until", "project", "by", "limit"],
            ReadRoute::CiRunsDaily | ReadRoute::CiWorkflows | ReadRoute::CiJobs => {
                &["since", "until", "project", "repository"]
            }
            ReadRoute::CiFailures => {
                &["since", "until", "project", "repository", "limit", "cursor"]
            }
        }
    }
}
