//! OpenID Connect for the relying party: issuer discovery, ID-token
//! validation with a rotating JWKS cache, the authorization-code + PKCE login
//! flow, and the IAM OIDC provider thumbprint.
//!
//! Every check the threat model asks for has its own [`OidcError`] variant,
//! so a caller (and a test) can tell *why* a token was refused. Keys only
//! ever come from the issuer's discovered `jwks_uri`: `jku`, `x5u`, `x5c` and
//! `jwk` token headers are ignored.
//!
//! ```no_run
//! # async fn demo() -> Result<(), studio_fed_federation::oidc::OidcError> {
//! use std::sync::Arc;
//! use studio_fed_federation::InMemoryReplayCache;
//! use studio_fed_federation::oidc::{HttpClient, IdTokenValidator, LoginFlow};
//!
//! let http = HttpClient::new()?;
//! let validator = IdTokenValidator::builder("https://idp.example.test", "my-app")
//!     .replay_cache(Arc::new(InMemoryReplayCache::new()))
//!     .discover(&http)
//!     .await?;
//! let flow = LoginFlow::new(Arc::new(validator), http, Some("my-secret".into()));
//! let (authorize_url, pending) = flow.begin("https://gw.example.test/callback", &["email"])?;
//! // redirect the browser to `authorize_url`, keep `pending` in a signed cookie, then:
//! # let callback_query = "";
//! let login = flow.complete(&pending, callback_query).await?;
//! println!("{} logged in", login.id_token.subject);
//! # let _ = authorize_url; Ok(()) }
//! ```

mod error;
mod flow;
mod http;
mod thumbprint;
mod validator;

pub use error::OidcError;
pub use flow::{Login, LoginFlow, PendingLogin};
pub use http::{HttpClient, HttpClientBuilder, HttpError};
pub use thumbprint::{oidc_thumbprint, thumbprint_for_issuer};
pub use validator::{Clock, IdTokenValidator, IdTokenValidatorBuilder, SigningAlgorithm, ValidatedIdToken};
