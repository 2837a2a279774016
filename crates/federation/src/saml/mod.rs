//! SAML 2.0 for a service provider: IdP metadata and a hardened Response validator.
//!
//! - [`IdpMetadata`] parses an IdP's metadata (string, file or URL) and refuses metadata without a
//!   signing certificate, since nothing could then be verified (fail closed).
//! - [`ResponseValidator`] validates HTTP-POST binding responses ([`ResponseValidator::validate_post`]):
//!   only the metadata's certificates are trusted, data is read only from what the signature
//!   covered (the pre-digest bytes, verified against the metadata keys parsed once), and every
//!   failure is a specific [`SamlError`] whose message never contains the assertion's contents.
//!
//! ## Signature profiles
//!
//! The built-in verifier covers what the identity providers we document send: enveloped
//! signatures over the Response and/or the Assertion, exclusive c14n with or without
//! `InclusiveNamespaces`, RSA-SHA256/384/512 and ECDSA-SHA256/384/512 (P-256, P-384, P-521), and
//! SHA-1 only with [`ResponseValidatorBuilder::allow_sha1`]. Anything else (inclusive c14n, other
//! transform lists or signature layouts, IDs that are not XML names) is refused with
//! [`SamlError::SignatureProfileUnsupported`], whose message names the cargo feature that accepts
//! it: `xmlsec` verifies such documents with libxmlsec1 through samael, and needs the system's
//! libxml2, libxmlsec1, pkg-config and libclang to build. The default build needs no system
//! library.
//!
//! What is refused, with the variant returned: DOCTYPE/entities ([`SamlError::Doctype`]), inputs over
//! the size cap ([`SamlError::TooLarge`]), bad base64 / non-UTF-8 / non-XML
//! ([`SamlError::BadEncoding`]), DEFLATE payloads ([`SamlError::DeflatedPayload`]), duplicate IDs,
//! more than one assertion, encrypted assertions, signature wrapping layouts (signed element or
//! signature not where SAML puts them; `Extensions`, `Advice`, `ds:Object`), unsigned responses,
//! invalid signatures, untrusted keys, HMAC, SHA-1 (unless allowed), references other than one
//! `URI="#ID"` of the signed element, transforms other than enveloped-signature + c14n, wrong
//! status / issuer / audience / destination / recipient, time windows, InResponseTo, replays.
//!
//! Not supported: `EncryptedAssertion` (refused), the HTTP-Redirect binding for responses.

mod error;
mod metadata;
mod signed;
mod validator;
mod xml;

pub use error::SamlError;
pub use metadata::{IdpMetadata, MAX_METADATA_SIZE, SsoEndpoint};
pub use validator::{
    AWS_ROLE_ATTRIBUTE, AWS_ROLE_SESSION_NAME_ATTRIBUTE, DEFAULT_CLOCK_SKEW, DEFAULT_MAX_SIZE, ResponseValidator,
    ResponseValidatorBuilder, SignedScope, ValidatedAssertion,
};
