//! [`SamlError`]: every reason a metadata document or a SAML Response is refused.

/// Why IdP metadata or a SAML Response was refused.
///
/// Each variant names one failure. Messages say what was wrong and what to do; they never contain
/// the contents of the assertion (no NameID, attribute values, IDs or signature bytes), so they can
/// be logged and shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SamlError {
    // --- metadata -----------------------------------------------------------------------------
    /// The IdP metadata is not a usable SAML 2.0 `EntityDescriptor`.
    #[error("the IdP metadata is invalid: {0}; download it again from the identity provider")]
    InvalidMetadata(String),
    /// The IdP metadata publishes no signing certificate, so nothing could be verified.
    #[error(
        "the IdP metadata has no signing certificate (KeyDescriptor use=\"signing\" or without use): \
         refusing it, since responses could not be verified; export metadata that includes the IdP's signing certificate"
    )]
    NoSigningCertificate,
    /// The IdP metadata's `validUntil` has passed.
    #[error("the IdP metadata expired (validUntil is in the past); download fresh metadata from the identity provider")]
    MetadataExpired,
    /// The IdP metadata could not be fetched.
    #[error("cannot fetch the IdP metadata: {0}")]
    MetadataFetch(String),

    // --- configuration ------------------------------------------------------------------------
    /// The validator is not configured correctly.
    #[error("the SAML validator is misconfigured: {0}")]
    Config(String),

    // --- encoding -----------------------------------------------------------------------------
    /// The input is larger than the configured maximum.
    #[error("the SAML response is larger than the {max} bytes allowed; refusing to process it")]
    TooLarge {
        /// The limit in bytes.
        max: usize,
    },
    /// The input is not valid base64 / UTF-8 / XML text.
    #[error("the SAML response is not correctly encoded: {0}; the HTTP-POST binding carries base64 of UTF-8 XML")]
    BadEncoding(&'static str),
    /// The base64 decodes to a DEFLATE stream (HTTP-Redirect encoding) rather than XML.
    #[error(
        "the SAMLResponse is DEFLATE-compressed (HTTP-Redirect encoding); responses must use the HTTP-POST binding \
         (plain base64 of the XML)"
    )]
    DeflatedPayload,
    /// The document contains a DOCTYPE or entity declaration (XXE, entity expansion).
    #[error(
        "the SAML response contains a DOCTYPE or entity declaration, which is never allowed (XXE / entity expansion)"
    )]
    Doctype,
    /// The document is not well-formed XML, or uses XML features that are refused.
    #[error("the SAML response is not acceptable XML: {0}")]
    Malformed(&'static str),

    // --- structure ----------------------------------------------------------------------------
    /// Two elements carry the same ID.
    #[error("the SAML response has two elements with the same ID (signature-wrapping attempt)")]
    DuplicateId,
    /// The root element is not a SAML 2.0 protocol `Response`.
    #[error("the document is not a SAML 2.0 samlp:Response")]
    NotAResponse,
    /// There is no assertion.
    #[error("the SAML response contains no Assertion")]
    NoAssertion,
    /// More than one assertion (anywhere in the document, in any namespace).
    #[error("the SAML response must contain exactly one Assertion, and it contains several (or a look-alike)")]
    MultipleAssertions,
    /// An `EncryptedAssertion` (not supported).
    #[error("encrypted assertions are not supported; configure the IdP to send a signed, unencrypted assertion")]
    EncryptedAssertionUnsupported,
    /// The document is shaped like a signature-wrapping attack: a signed element or a signature
    /// is not where a SAML Response puts it.
    #[error("the SAML response has an unexpected structure ({0}): possible signature wrapping")]
    SignatureWrapping(&'static str),
    /// An element that is never accepted (e.g. `Extensions`, `Advice`, `ds:Object`) or a look-alike of
    /// a SAML element in another namespace.
    #[error("the SAML response contains an element that is not accepted: {0}")]
    UnexpectedElement(&'static str),

    // --- signature ----------------------------------------------------------------------------
    /// Neither the Response nor the Assertion is signed.
    #[error("the SAML response is not signed (neither the Response nor the Assertion carries a signature)")]
    SignatureMissing,
    /// A signature does not verify against the IdP's certificates.
    #[error("the SAML response's signature is invalid (the signed content was altered or the signature is corrupt)")]
    SignatureInvalid,
    /// The response is signed with a key that the IdP metadata does not publish.
    #[error(
        "the SAML response is signed with a certificate that is not in the IdP metadata; \
         if the IdP rotated its key, refresh the metadata"
    )]
    UntrustedKey,
    /// The signature uses an HMAC algorithm.
    #[error("the SAML response is signed with HMAC, which is never accepted")]
    HmacSignature,
    /// The signature or digest algorithm is not in the allowlist (e.g. SHA-1).
    #[error(
        "the SAML response uses a signature or digest algorithm that is not allowed ({0}); configure the IdP to use RSA-SHA256 and SHA-256"
    )]
    WeakAlgorithm(&'static str),
    /// A transform or canonicalization method other than enveloped-signature and (exclusive) c14n.
    #[error(
        "the SAML response's signature uses a forbidden transform ({0}); only enveloped-signature and c14n are accepted"
    )]
    ForbiddenTransform(&'static str),
    /// The signature's references are not exactly one `URI=""` / `URI="#ID"` of its parent.
    #[error("the SAML response's signature must have exactly one Reference to the element that contains it ({0})")]
    BadReference(&'static str),
    /// The signature is of a profile the built-in verifier does not cover, and libxmlsec1 is not
    /// built in (the `xmlsec` cargo feature).
    #[error(
        "the SAML response's signature uses {0}, which the built-in verifier does not accept; configure the IdP to sign \
         with exclusive c14n and RSA-SHA256 (or ECDSA), or build studio-fed with the `xmlsec` cargo feature \
         (libxmlsec1) to verify it"
    )]
    SignatureProfileUnsupported(&'static str),

    // --- checks -------------------------------------------------------------------------------
    /// The status is not `Success`.
    #[error("the identity provider reported that the login failed (status is not Success)")]
    StatusNotSuccess,
    /// The issuer is not the IdP's entity ID.
    #[error("the SAML response was issued by another entity than the IdP in the metadata ({expected})")]
    WrongIssuer {
        /// The configured entity ID.
        expected: String,
    },
    /// No acceptable audience.
    #[error("the assertion is not addressed to this service provider (audience must be one of {expected:?})")]
    WrongAudience {
        /// The configured audiences.
        expected: Vec<String>,
    },
    /// The Response `Destination` is not the ACS URL.
    #[error("the SAML response's Destination is not this ACS URL ({expected})")]
    WrongDestination {
        /// The configured ACS URL.
        expected: String,
    },
    /// The bearer `SubjectConfirmationData/@Recipient` is not the ACS URL.
    #[error("the assertion's SubjectConfirmationData Recipient is not this ACS URL ({expected})")]
    WrongRecipient {
        /// The configured ACS URL.
        expected: String,
    },
    /// No bearer subject confirmation.
    #[error("the assertion has no bearer SubjectConfirmation with SubjectConfirmationData and NotOnOrAfter")]
    NoBearerConfirmation,
    /// No subject NameID.
    #[error("the assertion has no Subject NameID")]
    NoNameId,
    /// A validity window starts in the future.
    #[error("the assertion is not yet valid ({0} is in the future beyond the allowed clock skew); check the clocks")]
    NotYetValid(&'static str),
    /// A validity window ended.
    #[error("the assertion has expired ({0} has passed); log in again")]
    Expired(&'static str),
    /// `InResponseTo` names a request this service provider did not send (or that expired).
    #[error("the SAML response answers an unknown or expired authentication request; start the login again")]
    UnknownInResponseTo,
    /// An IdP-initiated (unsolicited) response while only SP-initiated logins are allowed.
    #[error(
        "the SAML response is unsolicited (IdP-initiated) and IdP-initiated login is disabled; start the login from this service"
    )]
    UnsolicitedResponse,
    /// The assertion was already used.
    #[error("the assertion was already used: a replayed login is refused")]
    Replayed,
    /// The replay cache could not be consulted (fail closed).
    #[error("the replay cache is unavailable, so the login is refused: {0}")]
    ReplayCacheUnavailable(String),
}

impl SamlError {
    /// A stable, machine-readable code for this failure, in `snake_case` (e.g. `signature_wrapping`,
    /// `duplicate_id`, `replayed`, `wrong_audience`).
    ///
    /// Codes are part of the public API: an HTTP gateway puts them in its error body and audit log,
    /// and tests assert them. A code is never renamed or reused for another failure; new variants
    /// get new codes. The code carries no detail of the variant (reasons, expected values), so it
    /// is safe to log and to show. Every variant has its own code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidMetadata(_) => "invalid_metadata",
            Self::NoSigningCertificate => "no_signing_certificate",
            Self::MetadataExpired => "metadata_expired",
            Self::MetadataFetch(_) => "metadata_fetch_failed",
            Self::Config(_) => "misconfigured",
            Self::TooLarge { .. } => "too_large",
            Self::BadEncoding(_) => "bad_encoding",
            Self::DeflatedPayload => "deflated_payload",
            Self::Doctype => "doctype",
            Self::Malformed(_) => "malformed_xml",
            Self::DuplicateId => "duplicate_id",
            Self::NotAResponse => "not_a_response",
            Self::NoAssertion => "no_assertion",
            Self::MultipleAssertions => "multiple_assertions",
            Self::EncryptedAssertionUnsupported => "encrypted_assertion_unsupported",
            Self::SignatureWrapping(_) => "signature_wrapping",
            Self::UnexpectedElement(_) => "unexpected_element",
            Self::SignatureMissing => "signature_missing",
            Self::SignatureInvalid => "signature_invalid",
            Self::UntrustedKey => "untrusted_key",
            Self::HmacSignature => "hmac_signature",
            Self::WeakAlgorithm(_) => "weak_algorithm",
            Self::ForbiddenTransform(_) => "forbidden_transform",
            Self::BadReference(_) => "bad_reference",
            Self::SignatureProfileUnsupported(_) => "signature_profile_unsupported",
            Self::StatusNotSuccess => "status_not_success",
            Self::WrongIssuer { .. } => "wrong_issuer",
            Self::WrongAudience { .. } => "wrong_audience",
            Self::WrongDestination { .. } => "wrong_destination",
            Self::WrongRecipient { .. } => "wrong_recipient",
            Self::NoBearerConfirmation => "no_bearer_confirmation",
            Self::NoNameId => "no_name_id",
            Self::NotYetValid(_) => "not_yet_valid",
            Self::Expired(_) => "expired",
            Self::UnknownInResponseTo => "unknown_in_response_to",
            Self::UnsolicitedResponse => "unsolicited_response",
            Self::Replayed => "replayed",
            Self::ReplayCacheUnavailable(_) => "replay_cache_unavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::SamlError;

    /// A distinct number per variant; the exhaustive match makes a new variant fail to compile here
    /// until it is numbered (and then [`samples`] must cover it).
    fn ordinal(error: &SamlError) -> usize {
        match error {
            SamlError::InvalidMetadata(_) => 0,
            SamlError::NoSigningCertificate => 1,
            SamlError::MetadataExpired => 2,
            SamlError::MetadataFetch(_) => 3,
            SamlError::Config(_) => 4,
            SamlError::TooLarge { .. } => 5,
            SamlError::BadEncoding(_) => 6,
            SamlError::DeflatedPayload => 7,
            SamlError::Doctype => 8,
            SamlError::Malformed(_) => 9,
            SamlError::DuplicateId => 10,
            SamlError::NotAResponse => 11,
            SamlError::NoAssertion => 12,
            SamlError::MultipleAssertions => 13,
            SamlError::EncryptedAssertionUnsupported => 14,
            SamlError::SignatureWrapping(_) => 15,
            SamlError::UnexpectedElement(_) => 16,
            SamlError::SignatureMissing => 17,
            SamlError::SignatureInvalid => 18,
            SamlError::UntrustedKey => 19,
            SamlError::HmacSignature => 20,
            SamlError::WeakAlgorithm(_) => 21,
            SamlError::ForbiddenTransform(_) => 22,
            SamlError::BadReference(_) => 23,
            SamlError::StatusNotSuccess => 24,
            SamlError::WrongIssuer { .. } => 25,
            SamlError::WrongAudience { .. } => 26,
            SamlError::WrongDestination { .. } => 27,
            SamlError::WrongRecipient { .. } => 28,
            SamlError::NoBearerConfirmation => 29,
            SamlError::NoNameId => 30,
            SamlError::NotYetValid(_) => 31,
            SamlError::Expired(_) => 32,
            SamlError::UnknownInResponseTo => 33,
            SamlError::UnsolicitedResponse => 34,
            SamlError::Replayed => 35,
            SamlError::ReplayCacheUnavailable(_) => 36,
            SamlError::SignatureProfileUnsupported(_) => 37,
        }
    }

    const VARIANTS: usize = 38;

    fn samples() -> Vec<SamlError> {
        vec![
            SamlError::InvalidMetadata("x".into()),
            SamlError::NoSigningCertificate,
            SamlError::MetadataExpired,
            SamlError::MetadataFetch("x".into()),
            SamlError::Config("x".into()),
            SamlError::TooLarge { max: 1 },
            SamlError::BadEncoding("x"),
            SamlError::DeflatedPayload,
            SamlError::Doctype,
            SamlError::Malformed("x"),
            SamlError::DuplicateId,
            SamlError::NotAResponse,
            SamlError::NoAssertion,
            SamlError::MultipleAssertions,
            SamlError::EncryptedAssertionUnsupported,
            SamlError::SignatureWrapping("x"),
            SamlError::UnexpectedElement("x"),
            SamlError::SignatureMissing,
            SamlError::SignatureInvalid,
            SamlError::UntrustedKey,
            SamlError::HmacSignature,
            SamlError::WeakAlgorithm("x"),
            SamlError::ForbiddenTransform("x"),
            SamlError::BadReference("x"),
            SamlError::StatusNotSuccess,
            SamlError::WrongIssuer { expected: "x".into() },
            SamlError::WrongAudience {
                expected: vec!["x".into()],
            },
            SamlError::WrongDestination { expected: "x".into() },
            SamlError::WrongRecipient { expected: "x".into() },
            SamlError::NoBearerConfirmation,
            SamlError::NoNameId,
            SamlError::NotYetValid("x"),
            SamlError::Expired("x"),
            SamlError::UnknownInResponseTo,
            SamlError::UnsolicitedResponse,
            SamlError::Replayed,
            SamlError::ReplayCacheUnavailable("x".into()),
            SamlError::SignatureProfileUnsupported("x"),
        ]
    }

    #[test]
    fn every_variant_has_its_own_snake_case_code() {
        let samples = samples();
        let mut ordinals: Vec<usize> = samples.iter().map(ordinal).collect();
        ordinals.sort_unstable();
        assert_eq!(ordinals, (0..VARIANTS).collect::<Vec<_>>(), "one sample per variant");
        let codes: HashSet<&str> = samples.iter().map(SamlError::code).collect();
        assert_eq!(codes.len(), VARIANTS, "codes are unique per variant");
        for code in codes {
            assert!(
                !code.is_empty()
                    && code.starts_with(|c: char| c.is_ascii_lowercase())
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{code} is not snake_case"
            );
        }
    }

    #[test]
    fn codes_do_not_depend_on_details() {
        assert_eq!(SamlError::NotYetValid("a").code(), SamlError::NotYetValid("b").code());
        assert_eq!(SamlError::TooLarge { max: 1 }.code(), "too_large");
        assert_eq!(SamlError::SignatureWrapping("x").code(), "signature_wrapping");
    }
}
