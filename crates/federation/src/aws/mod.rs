//! Idempotent AWS resources for federation, and STS credential exchange.
//!
//! Every function takes an injected [`aws_config::SdkConfig`] and creates its
//! clients with `Client::new(&sdk_config)`, so the same code runs against AWS,
//! a local emulator or a proxy in front of either.
//!
//! The `ensure_*` operations are idempotent: they create what is absent,
//! update what differs and send no write call when everything already matches.
//! Each returns what it did as a [`Change`](crate::Change) with a field diff.
//!
//! - [`ensure_oidc_provider`]: an IAM OIDC identity provider (client ids,
//!   thumbprints);
//! - [`ensure_saml_provider`]: an IAM SAML provider, with its expiry;
//! - [`ensure_role`], [`ensure_web_identity_role`], [`ensure_saml_role`]:
//!   federated roles with their trust policy, managed, customer managed and
//!   inline policies;
//! - [`ensure_user_pool_with_oidc_idp`]: a Cognito user pool with an OIDC
//!   identity provider, an app client and a hosted-UI domain;
//! - [`WebIdentityCredentials`] and [`assume_role_with_saml`]: temporary
//!   credentials from an ID token or a SAML response.
//!
//! Resources created here are tagged [`MANAGED_BY_TAG`]=[`MANAGED_BY_VALUE`].

mod cognito;
mod credentials;
mod error;
mod oidc_provider;
mod policy_text;
mod role;
mod saml_provider;

pub use cognito::{
    AppClientSpec, AttributesRequestMethod, OidcIdpSpec, STANDARD_ATTRIBUTES, UserPoolOutcome, UserPoolSpec,
    ensure_user_pool_with_oidc_idp,
};
pub use credentials::{
    Clock, DEFAULT_REFRESH_WINDOW, TokenSource, WebIdentityCredentials, WebIdentityCredentialsBuilder,
    assume_role_with_saml,
};
pub use error::Error;
pub use oidc_provider::{OidcProviderSpec, ensure_oidc_provider};
pub use policy_text::parse_returned as parse_policy_document;
pub use role::{ObservedRole, RolePermissions, RoleSpec, ensure_role, ensure_saml_role, ensure_web_identity_role};
pub use saml_provider::{
    EXPIRY_WARNING, MIN_METADATA_CHARS, SamlProviderStatus, ensure_saml_provider, metadata_valid_until,
};

/// The tag key put on every resource created here.
pub const MANAGED_BY_TAG: &str = "managed-by";
/// The value of [`MANAGED_BY_TAG`].
pub const MANAGED_BY_VALUE: &str = "studio-fed";

/// `[a, b]` for diffs.
pub(crate) fn list<S: AsRef<str>>(items: &[S]) -> String {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", items.join(", "))
}
