//! # studio-fed-federation
//!
//! How an external identity provider comes to be trusted by AWS, and how a
//! login from it is validated and turned into AWS credentials:
//!
//! - [`oidc`]: issuer discovery, ID-token validation with a rotating JWKS
//!   cache, the authorization-code + PKCE flow, and IAM OIDC provider
//!   thumbprints;
//! - [`saml`]: IdP metadata and a hardened SAML Response validator (the one
//!   the access gateway uses);
//! - [`aws`]: idempotent IAM OIDC/SAML providers and federated roles, Cognito
//!   user pools with OIDC identity providers, and STS credential exchange;
//! - [`change`] and [`replay`]: what an ensure operation did, and single-use
//!   identifiers.
//!
//! Every AWS call goes through an injected [`aws_config::SdkConfig`].
#![forbid(unsafe_code)]

pub mod aws;
pub mod change;
pub mod oidc;
pub mod replay;
pub mod saml;

pub use change::{Change, Ensured, FieldChange};
pub use replay::{InMemoryReplayCache, ReplayCache, ReplayError};
