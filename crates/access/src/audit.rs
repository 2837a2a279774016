//! The audit log: one structured record per login decision (who, which profile, which client
//! address, and why a login was refused). It never holds an assertion, a token or a cookie.

use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;

/// One login decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// `saml`, `oidc` (or the endpoint for refusals before a login is read).
    pub method: &'static str,
    /// `allowed` or `refused`.
    pub outcome: Outcome,
    /// The client address the decision was made for.
    pub client_ip: Option<IpAddr>,
    /// The user, once the login was validated.
    pub user: Option<String>,
    /// The team.
    pub team: Option<String>,
    /// The Studio domain.
    pub domain: Option<String>,
    /// The user profile.
    pub profile: Option<String>,
    /// The refusal's code, e.g. `saml.signature_invalid`.
    pub code: Option<String>,
    /// The refusal's message (never containing the assertion or token).
    pub reason: Option<String>,
}

/// Whether the login went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A presigned URL was handed out.
    Allowed,
    /// The login was refused.
    Refused,
}

/// Where audit events go.
pub trait AuditSink: Send + Sync + std::fmt::Debug {
    /// Records one event.
    fn record(&self, event: &AuditEvent);
}

/// Writes each event as a `tracing` event at target `studio_fed::audit` (INFO when allowed,
/// WARN when refused), with every field structured.
#[derive(Debug, Default, Clone, Copy)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn record(&self, e: &AuditEvent) {
        let ip = e.client_ip.map(|ip| ip.to_string());
        macro_rules! emit {
            ($level:expr, $message:literal) => {
                tracing::event!(
                    target: "studio_fed::audit",
                    $level,
                    method = e.method,
                    client_ip = ip.as_deref(),
                    user = e.user.as_deref(),
                    team = e.team.as_deref(),
                    domain = e.domain.as_deref(),
                    profile = e.profile.as_deref(),
                    code = e.code.as_deref(),
                    reason = e.reason.as_deref(),
                    $message
                )
            };
        }
        match e.outcome {
            Outcome::Allowed => emit!(tracing::Level::INFO, "login allowed"),
            Outcome::Refused => emit!(tracing::Level::WARN, "login refused"),
        }
    }
}

/// Keeps events in memory, for tests and for embedding applications that ship them elsewhere.
#[derive(Debug, Default)]
pub struct MemoryAudit {
    events: Mutex<Vec<AuditEvent>>,
}

impl MemoryAudit {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }
}

impl AuditSink for MemoryAudit {
    fn record(&self, event: &AuditEvent) {
        if let Ok(mut events) = self.events.lock() {
            events.push(event.clone());
        }
    }
}
