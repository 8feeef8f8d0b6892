//! One classification for the errors that cross a boundary (the database, S3, Secrets
//! Manager, GitHub, EventBridge, the environment): [`Retryable`] says whether the same call
//! may succeed later and names the boundary, and [`Failure`] is how a function reports an
//! invocation that failed, with an error type such as `Retryable.Database` or
//! `Permanent.Config` that CloudWatch Logs Insights can group and count on.

use std::fmt;

/// An error at a boundary, classified once.
pub trait Retryable: fmt::Display {
    /// True when the same call may succeed later (a fault outside, not in the input).
    fn is_retryable(&self) -> bool;

    /// The boundary it came from (`Database`, `GitHub`, `ObjectStore`, ...).
    fn boundary(&self) -> &'static str;
}

/// A failed invocation as a function reports it (to Lambda and in its log line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// `Retryable.<Boundary>` or `Permanent.<Boundary>`.
    pub error_type: String,
    /// The error, on one line.
    pub message: String,
}

impl Failure {
    /// A failure at `boundary`.
    pub fn new(boundary: &str, retryable: bool, message: impl fmt::Display) -> Self {
        let class = if retryable { "Retryable" } else { "Permanent" };
        let message = message.to_string().replace('\n', " ");
        Self {
            error_type: format!("{class}.{boundary}"),
            message,
        }
    }

    /// A failure no retry mends (a bad payload, a missing setting).
    pub fn permanent(boundary: &str, message: impl fmt::Display) -> Self {
        Self::new(boundary, false, message)
    }

    /// True for `Retryable.*`.
    pub fn is_retryable(&self) -> bool {
        self.error_type.starts_with("Retryable.")
    }

    /// Logs it (one JSON line with `error_type`, what Logs Insights groups on) and returns
    /// it, for the function to report to Lambda.
    pub fn logged(self) -> Self {
        tracing::error!(error_type = %self.error_type, error = %self.message, "invocation failed");
        self
    }
}

impl<E: Retryable> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::new(e.boundary(), e.is_retryable(), &e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Down;
    impl fmt::Display for Down {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("connection refused\nby peer")
        }
    }
    impl Retryable for Down {
        fn is_retryable(&self) -> bool {
            true
        }
        fn boundary(&self) -> &'static str {
            "Database"
        }
    }

    #[test]
    fn a_failure_names_its_class_and_boundary_on_one_line() {
        let f = Failure::from(Down);
        assert_eq!(f.error_type, "Retryable.Database");
        assert_eq!(f.message, "connection refused by peer");
        assert!(f.is_retryable());
        let p = Failure::permanent("Payload", "not JSON");
        assert_eq!(p.to_string(), "Permanent.Payload: not JSON");
        assert!(!p.is_retryable());
    }
}
