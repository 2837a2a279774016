//! # studio-fed-testkit
//!
//! Real peers for studio-fed's tests, examples and benchmarks, all on 127.0.0.1:
//!
//! - [`emulator`]: the local AWS emulator (moto's server mode plus the
//!   project's SageMaker Studio and SSO extension) handing out an `SdkConfig`;
//! - [`lambda_runtime`]: a local Lambda Runtime API and a launcher that starts a deployment
//!   package's `bootstrap` as Lambda does, optionally in a chroot with only glibc;
//! - [`proxy`]: a fault-injection proxy that throttles, fails or drops a share
//!   of requests and counts requests per operation;
//! - [`saml_idp`]: a SAML identity provider that signs Responses and Assertions;
//! - [`oidc_op`]: an OpenID Provider with discovery, JWKS rotation and the
//!   authorization-code + PKCE flow;
//! - [`tls`]: self-signed root → intermediate → leaf chains served over TLS;
//! - [`vendors`]: the attribute and claim shapes of Entra ID, IAM Identity Center, Okta, Keycloak
//!   and Cognito, signed at test time by the SAML IdP and the OpenID Provider;
//! - [`xmlsec_py`]: the XML Security Library from Python (python-xmlsec, pinned wheels) as an
//!   independent verifier of XML signatures, and the environment it shares with pysaml2.
#![forbid(unsafe_code)]

pub mod emulator;
#[cfg(unix)]
pub mod lambda_runtime;
pub mod oidc_op;
pub mod proxy;
pub mod saml_idp;
pub mod tls;
pub mod vendors;
mod venv;
pub mod xmlsec_py;
