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
