//! [`Refusal`]: why a login was refused; [`Error`]: why the gateway cannot start.

use std::net::IpAddr;

use http::StatusCode;
use studio_fed_federation::oidc::OidcError;
use studio_fed_federation::saml::SamlError;

/// Why the gateway refused a request. Each variant has a stable [`code`](Refusal::code) (sent in
/// the `X-Studio-Fed-Error` header and recorded in the audit log) and a 4xx status, except AWS
/// failures (502) and timeouts (504). Messages never contain an assertion, a token or a cookie.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The SAML response was refused by the validator.
    #[error(transparent)]
    Saml(#[from] SamlError),
    /// The OIDC login was refused by the validator or the provider.
    #[error(transparent)]
    Oidc(#[from] OidcError),
    /// The client address is outside the allowed networks.
    #[error("logins are not allowed from {ip}: it is outside the allowed client networks")]
    NetworkDenied {
        /// The client address.
        ip: IpAddr,
    },
    /// `X-Forwarded-For` from a trusted proxy could not be read.
    #[error("the X-Forwarded-For header from a trusted proxy is malformed: {0}")]
    BadForwardedFor(String),
    /// Too many requests from this client address.
    #[error("too many login attempts from {ip}; wait a minute and try again")]
    RateLimited {
        /// The client address.
        ip: IpAddr,
    },
    /// The request is not what this endpoint accepts.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// The login does not carry a required attribute or claim.
    #[error("the login has no {what} `{name}`; map it in the identity provider or change the gateway's mapping")]
    MissingAttribute {
        /// `attribute` (SAML) or `claim` (OIDC).
        what: &'static str,
        /// Its configured name.
        name: String,
    },
    /// The identity provider left the team attribute or claim out because the user is in too many
    /// groups, and sent a link to look them up instead (Entra ID's groups overage: more than 150
    /// groups in a SAML assertion, 200 in a token). The gateway does not look groups up, and never
    /// gives such a login a team some other way.
    #[error(
        "the identity provider left `{name}` out of the login because the user is in too many \
         groups (Entra ID sends at most 150 groups in SAML and 200 in tokens), so the login's team \
         is unknown; in Entra ID, emit only the groups assigned to the application (group claim \
         \"Groups assigned to the application\") or use app roles as the team"
    )]
    GroupsOverage {
        /// The configured team attribute or claim.
        name: String,
    },
    /// The login names a domain that is not on the allowlist.
    #[error("the login asks for domain {domain:?}, which is not on the gateway's domain allowlist")]
    DomainNotAllowed {
        /// The domain id the login asked for.
        domain: String,
    },
    /// No domain could be chosen for the login.
    #[error("no Studio domain is configured for this login ({0})")]
    NoDomain(String),
    /// The profile name made from the template is not a valid Studio profile name.
    #[error(
        "the profile name {name:?} made from the login is not a valid Studio user profile name \
         (letters, digits and single hyphens, at most 63 characters); change the profile template"
    )]
    InvalidProfileName {
        /// The rendered name.
        name: String,
    },
    /// The user profile does not exist (and just-in-time creation is off for the team).
    #[error("there is no user profile {profile:?} in domain {domain}; ask an administrator to create it")]
    ProfileNotFound {
        /// The domain.
        domain: String,
        /// The profile name.
        profile: String,
    },
    /// The profile exists but does not carry the login's team tag.
    #[error("user profile {profile:?} in domain {domain} does not belong to team {team:?} (its team tag differs)")]
    WrongTeam {
        /// The domain.
        domain: String,
        /// The profile name.
        profile: String,
        /// The login's team.
        team: String,
    },
    /// The profile is not usable (e.g. still being created, or failed).
    #[error("user profile {profile:?} in domain {domain} is {status}; try again later")]
    ProfileNotReady {
        /// The domain.
        domain: String,
        /// The profile name.
        profile: String,
        /// Its status.
        status: String,
    },
    /// The OIDC login cookie is missing, expired or was not signed by this gateway.
    #[error("the login session cookie is {0}; start again from /oidc/login")]
    LoginCookie(&'static str),
    /// An AWS call failed.
    #[error("{0}")]
    Aws(#[from] studio_fed_federation::aws::Error),
    /// The request took too long.
    #[error("the request took longer than {seconds} s and was stopped")]
    Timeout {
        /// The limit.
        seconds: u64,
    },
}

impl Refusal {
    /// A stable machine-readable code, e.g. `saml.signature_invalid` or `network_denied`.
    pub fn code(&self) -> String {
        match self {
            Refusal::Saml(e) => format!("saml.{}", e.code()),
            Refusal::Oidc(e) => format!("oidc.{}", e.code()),
            other => other.own_code().to_owned(),
        }
    }

    fn own_code(&self) -> &'static str {
        match self {
            Refusal::Saml(_) | Refusal::Oidc(_) => "login",
            Refusal::NetworkDenied { .. } => "network_denied",
            Refusal::BadForwardedFor(_) => "bad_forwarded_for",
            Refusal::RateLimited { .. } => "rate_limited",
            Refusal::BadRequest(_) => "bad_request",
            Refusal::MissingAttribute { .. } => "missing_attribute",
            Refusal::GroupsOverage { .. } => "groups_overage",
            Refusal::DomainNotAllowed { .. } => "domain_not_allowed",
            Refusal::NoDomain(_) => "no_domain",
            Refusal::InvalidProfileName { .. } => "invalid_profile_name",
            Refusal::ProfileNotFound { .. } => "profile_not_found",
            Refusal::WrongTeam { .. } => "wrong_team",
            Refusal::ProfileNotReady { .. } => "profile_not_ready",
            Refusal::LoginCookie(_) => "login_cookie",
            Refusal::Aws(_) => "aws",
            Refusal::Timeout { .. } => "timeout",
        }
    }

    /// The HTTP status answered.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Saml(SamlError::TooLarge { .. }) => StatusCode::PAYLOAD_TOO_LARGE,
            Refusal::Saml(SamlError::ReplayCacheUnavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Saml(
                SamlError::BadEncoding(_)
                | SamlError::DeflatedPayload
                | SamlError::Malformed(_)
                | SamlError::Doctype
                | SamlError::NotAResponse,
            )
            | Refusal::BadForwardedFor(_)
            | Refusal::BadRequest(_)
            | Refusal::LoginCookie(_) => StatusCode::BAD_REQUEST,
            Refusal::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Refusal::ProfileNotFound { .. } => StatusCode::NOT_FOUND,
            Refusal::ProfileNotReady { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::Aws(_) => StatusCode::BAD_GATEWAY,
            Refusal::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            Refusal::Oidc(OidcError::Http(_) | OidcError::TokenExchange(_)) => StatusCode::BAD_GATEWAY,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// Why the gateway could not be configured or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is invalid.
    #[error("gateway configuration: {0}")]
    Config(String),
    /// The configuration file could not be read.
    #[error("cannot read the gateway configuration {path}: {source}")]
    ReadConfig {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The SAML side could not be set up (metadata, validator).
    #[error("SAML setup: {0}")]
    Saml(#[from] SamlError),
    /// The OIDC side could not be set up (discovery).
    #[error("OIDC setup: {0}")]
    Oidc(#[from] OidcError),
    /// An AWS call made while starting failed (e.g. creating the replay table).
    #[error("{0}")]
    Aws(#[from] studio_fed_federation::aws::Error),
    /// The listener could not be bound or served.
    #[error("cannot serve on {addr}: {source}")]
    Serve {
        /// The address.
        addr: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The Lambda runtime failed.
    #[error("the AWS Lambda runtime failed: {0}")]
    Lambda(String),
    /// An executable cannot be the bootstrap of a `provided.al2023` Lambda function.
    #[error(
        "{path} cannot run on AWS Lambda's provided.al2023 runtime:\n{}",
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
    )]
    Incompatible {
        /// The executable.
        path: String,
        /// Each reason, with what to do about it.
        problems: Vec<String>,
    },
    /// The Lambda package could not be made.
    #[error("Lambda package: {0}")]
    Package(String),
}
