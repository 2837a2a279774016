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
//!
//! ## Cryptography
//!
//! Signature verification (SAML), the IAM OIDC provider thumbprint (TLS) and AuthnRequest
//! signing use OpenSSL, built from source and linked statically (the `openssl` crate's `vendored`
//! feature). Building needs a C compiler, `perl` and `make`, and no system library or header; the
//! binaries need nothing but glibc, so the login gateway runs on AWS Lambda's `provided.al2023` as
//! shipped. Why OpenSSL rather than ring or RustCrypto: it covers every algorithm XML-DSig and
//! XML Encryption use (RSA PKCS#1 v1.5 and ECDSA with any SHA-2, RSA-OAEP with its MGF1 variants,
//! AES-GCM and AES-CBC), where ring verifies but cannot decrypt RSA and RustCrypto's `rsa` carries
//! an open timing advisory (RUSTSEC-2023-0071); it is the library libxmlsec1 itself runs on (the
//! `xmlsec` feature), so both verification paths agree on the primitives; and it is widely
//! deployed and audited. The AWS SDK's HTTPS client brings its own rustls stack. Set
//! `OPENSSL_NO_VENDOR=1` to link the system's OpenSSL instead (a distribution's security updates,
//! or the `xmlsec` feature, whose libxmlsec1 links it).
//!
//! ## Features
//!
//! - `xmlsec` (off by default): verify SAML signatures outside the built-in profile with
//!   libxmlsec1 (see [`saml`]); needs the system's libxml2, libxmlsec1, pkg-config and libclang.
#![forbid(unsafe_code)]

pub mod aws;
pub mod change;
pub mod oidc;
pub mod replay;
pub mod saml;

pub use change::{Change, Ensured, FieldChange};
pub use replay::{InMemoryReplayCache, ReplayCache, ReplayError};
