//! A hardened login gateway for SageMaker Studio.
//!
//! The gateway is the only way into Studio for an IAM-mode domain: a browser arrives with a login
//! (a SAML 2.0 Response posted by the identity provider to [`POST /saml/acs`](http), or an OpenID
//! Connect authorization-code + PKCE login through `GET /oidc/login` and `GET /oidc/callback`),
//! the gateway validates it with the shared validators of `studio-fed-federation`, decides which
//! user profile that person may open, checks the client's network, and answers with a redirect to
//! a short-lived `CreatePresignedDomainUrl` URL.
//!
//! - [`config`]: the gateway's TOML configuration and environment overrides.
//! - [`network`]: allowed client CIDRs and trusted proxies (`X-Forwarded-For`).
//! - [`mapping`]: from a validated login to a domain, a team and a profile name.
//! - [`studio`]: checking the profile (domain, team tag), just-in-time profiles, presigned URLs.
//! - [`policy`]: the gateway role's IAM policy and the service control policy for a configuration.
//! - [`replay`]: single-use assertion IDs and nonces across instances, in DynamoDB.
//! - [`audit`]: the structured record of every decision.
//! - [`Gateway`] and [`http`]: the decision and the HTTP router, served by [`server`] or on
//!   AWS Lambda by [`lambda`].
//!
//! Every refusal is a [`Refusal`] with a stable [`code`](Refusal::code), a 4xx status and a
//! message that never contains the assertion or token.
#![forbid(unsafe_code)]

pub mod audit;
pub mod config;
mod cookie;
mod error;
mod gateway;
pub mod http;
pub mod lambda;
pub mod mapping;
mod markup;
pub mod network;
pub mod policy;
mod rate_limit;
pub mod replay;
mod saml_sp;
pub mod server;
pub mod studio;

pub use config::GatewayConfig;
pub use error::{Error, Refusal};
pub use gateway::{Gateway, GatewayBuilder, Login, LoginMethod};
