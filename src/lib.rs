//! # studio-fed
//!
//! Federated, isolated, least-privilege access to Amazon SageMaker Studio.
//!
//! This facade re-exports the studio-fed crates as modules and holds no logic
//! of its own:
//!
//! - [`access`]: the login gateway: a SAML ACS and OIDC relying party that
//!   turns a verified login into a presigned Studio URL, as a server or on
//!   AWS Lambda.
//! - [`federation`]: OIDC, SAML and Cognito federation: discovery, token and
//!   response validation, IAM identity providers, STS credential exchange.
//! - [`policy`]: typed IAM policy documents, builders for trust policies, Role
//!   Manager activities, personas, guardrails and SCPs, the IAM limits linter,
//!   and a local policy evaluator.
//! - [`studio`]: SageMaker Studio for teams: the deployment file and its
//!   builder, directory sync into the IAM Identity Center identity store, the
//!   reconciler (plan / apply / destroy) and the isolation report.
#![forbid(unsafe_code)]

pub use studio_fed_access as access;
pub use studio_fed_federation as federation;
pub use studio_fed_policy as policy;
pub use studio_fed_studio as studio;

/// The README's code, compiled and run as doctests so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
