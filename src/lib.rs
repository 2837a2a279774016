//! # studio-fed
//!
//! Federated, isolated, least-privilege access to Amazon SageMaker Studio.
//!
//! This facade re-exports the studio-fed crates as modules and holds no logic
//! of its own:
//!
//! - [`federation`]: OIDC, SAML and Cognito federation: discovery, token and
//!   response validation, IAM identity providers, STS credential exchange.
//! - [`policy`]: typed IAM policy documents, builders for trust policies, Role
//!   Manager activities, personas, guardrails and SCPs, the IAM limits linter,
//!   and a local policy evaluator.
//! - [`studio`]: SageMaker Studio for teams: the deployment file and its
//!   builder, and directory sync into the IAM Identity Center identity store.
#![forbid(unsafe_code)]

pub use studio_fed_federation as federation;
pub use studio_fed_policy as policy;
pub use studio_fed_studio as studio;

/// The README's code, compiled and run as doctests so it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
