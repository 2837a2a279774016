//! [`ResponseValidator`]: the hardened SAML 2.0 Response (HTTP-POST binding) validator.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::bn::BigNum;
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Public};
use openssl::rsa::Padding;
use openssl::sign::Verifier;
use openssl::x509::X509;
#[cfg(feature = "xmlsec")]
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider as _, ReduceMode};
use time::{Duration, OffsetDateTime};

use super::signed::{self, NS_ASSERTION, NS_PROTOCOL};
use super::xml::{self, Document, ScanError};
use super::{IdpMetadata, SamlError};
use crate::replay::{InMemoryReplayCache, ReplayCache, ReplayError};

const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const C14N_11: &str = "http://www.w3.org/2006/12/xml-c14n11";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const ECDSA_SHA1: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const ECDSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384";
const ECDSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512";
const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const DIGEST_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
const DIGEST_SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
const STRONG_DIGESTS: [&str; 3] = [DIGEST_SHA256, DIGEST_SHA384, DIGEST_SHA512];
const STRONG_SIGNATURES: [&str; 6] = [
    RSA_SHA256,
    RSA_SHA384,
    RSA_SHA512,
    ECDSA_SHA256,
    ECDSA_SHA384,
    ECDSA_SHA512,
];

/// The AWS attribute carrying `role_arn,provider_arn` pairs.
pub const AWS_ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// The AWS attribute carrying the role session name.
pub const AWS_ROLE_SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

/// Default clock skew tolerated on every time check.
pub const DEFAULT_CLOCK_SKEW: Duration = Duration::seconds(60);
/// Default maximum size of a decoded SAML Response (256 KiB).
pub const DEFAULT_MAX_SIZE: usize = 256 * 1024;

/// Which element's signature covered the data that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedScope {
    /// The `samlp:Response` is signed: everything, including the assertion, was read from the
    /// signed Response (the assertion may be signed as well).
    Response,
    /// Only the `saml:Assertion` is signed: everything was read from it. Response-level fields
    /// (Destination, InResponseTo, Status, Issuer) are unsigned: they are only used to reject
    /// (a mismatch refuses the response), never to accept.
    Assertion,
}

/// A SAML assertion that passed every check. Contains only data covered by the signature.
///
/// The caller keeps the original base64 `SAMLResponse` if it needs it (e.g. for STS
/// `AssumeRoleWithSAML`); it must not be logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedAssertion {
    /// The issuer (the IdP's entity ID).
    pub issuer: String,
    /// The subject's NameID, in full (comments inserted into it are ignored, never truncate it).
    pub name_id: String,
    /// The NameID `Format`, if given.
    pub name_id_format: Option<String>,
    /// The first `AuthnStatement/@SessionIndex`, if any.
    pub session_index: Option<String>,
    /// Attributes: name → values, in order (attributes with the same name are merged).
    pub attributes: BTreeMap<String, Vec<String>>,
    /// The end of the assertion's validity (the earliest NotOnOrAfter), without skew.
    pub not_on_or_after: OffsetDateTime,
    /// The assertion ID (recorded in the replay cache).
    pub assertion_id: String,
    /// The request ID this response answers, if SP-initiated.
    pub in_response_to: Option<String>,
    /// Which signature covered the data.
    pub signed_scope: SignedScope,
}

impl ValidatedAssertion {
    /// The values of an attribute (empty when absent).
    pub fn attribute(&self, name: &str) -> &[String] {
        self.attributes.get(name).map(Vec::as_slice).unwrap_or_default()
    }

    /// `(role_arn, provider_arn)` pairs of the `https://aws.amazon.com/SAML/Attributes/Role`
    /// attribute. Each value is `role,provider` or `provider,role` (AWS accepts both orders);
    /// values that are not one IAM role ARN and one SAML provider ARN are skipped.
    pub fn aws_roles(&self) -> Vec<(String, String)> {
        self.attribute(AWS_ROLE_ATTRIBUTE)
            .iter()
            .filter_map(|value| {
                let (a, b) = value.split_once(',')?;
                let (a, b) = (a.trim(), b.trim());
                match (is_iam_arn(a, "role/"), is_iam_arn(b, "saml-provider/")) {
                    (true, true) => Some((a.to_owned(), b.to_owned())),
                    _ if is_iam_arn(b, "role/") && is_iam_arn(a, "saml-provider/") => {
                        Some((b.to_owned(), a.to_owned()))
                    }
                    _ => None,
                }
            })
            .collect()
    }

    /// The first value of `https://aws.amazon.com/SAML/Attributes/RoleSessionName`.
    pub fn role_session_name(&self) -> Option<&str> {
        self.attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE)
            .first()
            .map(String::as_str)
    }
}

/// `arn:<partition>:iam::<12 digits>:<kind>...`
fn is_iam_arn(value: &str, kind: &str) -> bool {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "iam"
        && parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].bytes().all(|b| b.is_ascii_digit())
        && parts[5].starts_with(kind)
        && parts[5].len() > kind.len()
}

/// Converts one of samael's (chrono) instants, without naming chrono.
type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Validates SAML 2.0 Responses from one IdP, for one service provider.
///
/// Only the IdP metadata's certificates are trusted (never a certificate in the response's
/// `KeyInfo`). Security data is read only from what a signature covered: every signature is
/// verified, and only the pre-digest (canonical, comment-free) bytes of the signed element, the
/// bytes its digest was computed over, are parsed. Signatures of the built-in profile (enveloped,
/// exclusive c14n with or without `InclusiveNamespaces`, RSA-SHA256/384/512 or ECDSA-SHA256/384/512
/// on P-256/P-384/P-521, SHA-1 only when allowed) are verified with the metadata's public keys,
/// parsed once when the validator is built, and libxml2's exclusive canonicalisation reproduced in
/// Rust. Any other profile is refused ([`SamlError::SignatureProfileUnsupported`]) unless the crate
/// is built with the `xmlsec` feature, which verifies it with libxmlsec1 (samael,
/// `ReduceMode::PreDigest`). Before that, a strict structural
/// pass refuses anything a real IdP would not send: DOCTYPE, duplicate IDs, more than one
/// assertion, signatures or signed elements in unusual places (signature wrapping), other
/// references or transforms than enveloped-signature + c14n, HMAC and weak algorithms.
///
/// ```no_run
/// # async fn f(metadata_xml: &str, form_value: &str) -> Result<(), studio_fed_federation::saml::SamlError> {
/// use studio_fed_federation::saml::{IdpMetadata, ResponseValidator};
/// let validator = ResponseValidator::builder(IdpMetadata::from_xml(metadata_xml)?)
///     .audience("https://sp.example.test/saml")
///     .acs_url("https://sp.example.test/saml/acs")
///     .allow_idp_initiated(true)
///     .build()?;
/// let assertion = validator.validate_post(form_value, &[]).await?;
/// println!("{} {:?}", assertion.name_id, assertion.aws_roles());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ResponseValidator {
    metadata: IdpMetadata,
    /// The metadata's certificates, for libxmlsec1.
    #[cfg(feature = "xmlsec")]
    certificates: Vec<CertificateDer>,
    /// The public keys of the metadata's certificates, parsed once (see
    /// [`ResponseValidator::verify_signatures`]).
    keys: Vec<VerifyingKey>,
    audiences: Vec<String>,
    acs_url: String,
    allow_sha1: bool,
    clock_skew: Duration,
    clock: Clock,
    allow_idp_initiated: bool,
    replay_cache: Arc<dyn ReplayCache>,
    max_size: usize,
}

impl fmt::Debug for ResponseValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseValidator")
            .field("idp", &self.metadata.entity_id())
            .field("audiences", &self.audiences)
            .field("acs_url", &self.acs_url)
            .field("allow_sha1", &self.allow_sha1)
            .field("clock_skew", &self.clock_skew)
            .field("allow_idp_initiated", &self.allow_idp_initiated)
            .field("max_size", &self.max_size)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ResponseValidator`]; see [`ResponseValidator::builder`].
pub struct ResponseValidatorBuilder {
    metadata: IdpMetadata,
    audiences: Vec<String>,
    acs_url: Option<String>,
    allow_sha1: bool,
    clock_skew: Duration,
    clock: Clock,
    allow_idp_initiated: bool,
    replay_cache: Option<Arc<dyn ReplayCache>>,
    max_size: usize,
}

impl fmt::Debug for ResponseValidatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseValidatorBuilder")
            .field("idp", &self.metadata.entity_id())
            .field("audiences", &self.audiences)
            .field("acs_url", &self.acs_url)
            .finish_non_exhaustive()
    }
}

impl ResponseValidatorBuilder {
    /// Adds an accepted audience (the SP entity ID). At least one is required. An `Audience` that
    /// differs from a configured one only by a trailing slash is accepted (IAM Identity Center).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Sets the ACS URL: the Response `Destination` and the bearer `Recipient` must equal it.
    pub fn acs_url(mut self, acs_url: impl Into<String>) -> Self {
        self.acs_url = Some(acs_url.into());
        self
    }

    /// Accepts RSA-SHA1 / ECDSA-SHA1 signatures and SHA-1 digests (off by default; only for IdPs
    /// that cannot do better).
    pub fn allow_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }

    /// Sets the clock skew tolerated on every time check (default [`DEFAULT_CLOCK_SKEW`]).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Sets the clock (default: the system clock). For tests.
    pub fn clock(mut self, clock: impl Fn() -> OffsetDateTime + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Accepts IdP-initiated (unsolicited) responses, without `InResponseTo` (off by default).
    pub fn allow_idp_initiated(mut self, allow: bool) -> Self {
        self.allow_idp_initiated = allow;
        self
    }

    /// Sets the replay cache of assertion IDs (default: a new [`InMemoryReplayCache`], which only
    /// protects a single instance).
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay_cache = Some(cache);
        self
    }

    /// Sets the largest decoded response accepted (default [`DEFAULT_MAX_SIZE`]).
    pub fn max_size(mut self, bytes: usize) -> Self {
        self.max_size = bytes;
        self
    }

    /// Checks the configuration and builds the validator.
    pub fn build(self) -> Result<ResponseValidator, SamlError> {
        let acs_url = self
            .acs_url
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| SamlError::Config("an ACS URL is required".into()))?;
        if self.audiences.iter().all(|a| a.trim().is_empty()) {
            return Err(SamlError::Config(
                "at least one audience (SP entity ID) is required".into(),
            ));
        }
        if self.clock_skew.is_negative() || self.clock_skew > Duration::minutes(10) {
            return Err(SamlError::Config(
                "the clock skew must be between 0 and 10 minutes".into(),
            ));
        }
        if self.metadata.signing_certificates().is_empty() {
            return Err(SamlError::NoSigningCertificate);
        }
        // IdpMetadata only holds certificates that parse.
        let keys = self
            .metadata
            .signing_certificates()
            .iter()
            .map(|der| VerifyingKey::from_certificate(der))
            .collect::<Result<_, _>>()?;
        Ok(ResponseValidator {
            #[cfg(feature = "xmlsec")]
            certificates: self
                .metadata
                .signing_certificates()
                .iter()
                .map(|der| CertificateDer::from(der.clone()))
                .collect(),
            keys,
            metadata: self.metadata,
            audiences: self.audiences,
            acs_url,
            allow_sha1: self.allow_sha1,
            clock_skew: self.clock_skew,
            clock: self.clock,
            allow_idp_initiated: self.allow_idp_initiated,
            replay_cache: self
                .replay_cache
                .unwrap_or_else(|| Arc::new(InMemoryReplayCache::new())),
            max_size: self.max_size,
        })
    }
}

/// What the structural pass found.
struct Structure {
    response_id: String,
    assertion_id: String,
    /// The element index of the (only) assertion.
    assertion: usize,
    /// The element index of the Response's `ds:Signature`, if it is signed.
    response_signature: Option<usize>,
    /// The element index of the Assertion's `ds:Signature`, if it is signed.
    assertion_signature: Option<usize>,
    /// The `ds:X509Certificate` elements of the signatures' KeyInfo, decoded only to explain a
    /// failed verification (see [`key_info_certificates`]).
    key_info_x509: Vec<usize>,
}

impl ResponseValidator {
    /// Starts a validator trusting `metadata`'s signing certificates. Defaults: RSA/ECDSA with
    /// SHA-256/384/512 only, 60 s clock skew, system clock, SP-initiated only, in-memory replay
    /// cache, 256 KiB maximum.
    pub fn builder(metadata: IdpMetadata) -> ResponseValidatorBuilder {
        ResponseValidatorBuilder {
            metadata,
            audiences: Vec::new(),
            acs_url: None,
            allow_sha1: false,
            clock_skew: DEFAULT_CLOCK_SKEW,
            clock: Arc::new(OffsetDateTime::now_utc),
            allow_idp_initiated: false,
            replay_cache: None,
            max_size: DEFAULT_MAX_SIZE,
        }
    }

    /// The IdP metadata.
    pub fn metadata(&self) -> &IdpMetadata {
        &self.metadata
    }

    /// Validates the `SAMLResponse` form value of an HTTP-POST binding (base64 of the XML).
    ///
    /// `expected_request_ids` are the IDs of the AuthnRequests this SP sent and still waits for;
    /// a response to another request is refused, and an unsolicited one is refused unless
    /// IdP-initiated login is allowed.
    pub async fn validate_post(
        &self,
        saml_response: &str,
        expected_request_ids: &[&str],
    ) -> Result<ValidatedAssertion, SamlError> {
        self.validate_post_at(saml_response, expected_request_ids, (self.clock)())
            .await
    }

    /// [`validate_post`](Self::validate_post) at an explicit instant.
    pub async fn validate_post_at(
        &self,
        saml_response: &str,
        expected_request_ids: &[&str],
        now: OffsetDateTime,
    ) -> Result<ValidatedAssertion, SamlError> {
        let xml = self.decode_post(saml_response).inspect_err(log_refusal)?;
        self.validate_xml_at(&xml, expected_request_ids, now).await
    }

    /// Validates a Response given as XML text.
    pub async fn validate_xml(
        &self,
        xml: &str,
        expected_request_ids: &[&str],
    ) -> Result<ValidatedAssertion, SamlError> {
        self.validate_xml_at(xml, expected_request_ids, (self.clock)()).await
    }

    /// [`validate_xml`](Self::validate_xml) at an explicit instant.
    pub async fn validate_xml_at(
        &self,
        xml: &str,
        expected_request_ids: &[&str],
        now: OffsetDateTime,
    ) -> Result<ValidatedAssertion, SamlError> {
        let span = tracing::info_span!(
            "saml_validate",
            idp = self.metadata.entity_id(),
            input_bytes = xml.len(),
            signed_scope = tracing::field::Empty,
        );
        let result = async {
            let assertion = self.check(xml, expected_request_ids, now)?;
            tracing::Span::current().record("signed_scope", tracing::field::debug(assertion.signed_scope));
            let expires_at = assertion.not_on_or_after + self.clock_skew;
            self.replay_cache
                .use_once(&assertion.assertion_id, expires_at, now)
                .await
                .map_err(|e| match e {
                    ReplayError::Replayed { .. } => SamlError::Replayed,
                    ReplayError::Unavailable(why) => SamlError::ReplayCacheUnavailable(why),
                })?;
            Ok(assertion)
        };
        let result = tracing::Instrument::instrument(result, span.clone()).await;
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::info!("SAML response accepted"),
            Err(error) => log_refusal(error),
        }
        result
    }

    fn decode_post(&self, form_value: &str) -> Result<String, SamlError> {
        if form_value.len() > self.max_size / 3 * 4 + 4096 {
            return Err(SamlError::TooLarge { max: self.max_size });
        }
        // Form values are usually one unbroken line: copy without the whitespace only when there is
        // some. (Bytes, not chars: a byte of a multi-byte UTF-8 character is never ASCII whitespace.)
        let compact: Cow<'_, [u8]> = if form_value.bytes().any(|b| b.is_ascii_whitespace()) {
            Cow::Owned(form_value.bytes().filter(|b| !b.is_ascii_whitespace()).collect())
        } else {
            Cow::Borrowed(form_value.as_bytes())
        };
        if compact.is_empty() {
            return Err(SamlError::BadEncoding("the SAMLResponse is empty"));
        }
        let bytes = STANDARD
            .decode(&compact)
            .map_err(|_| SamlError::BadEncoding("the SAMLResponse is not valid base64"))?;
        if bytes.len() > self.max_size {
            return Err(SamlError::TooLarge { max: self.max_size });
        }
        let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
        let starts_like_xml = body
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|&b| b == b'<');
        if body.starts_with(b"\xFE\xFF") || body.starts_with(b"\xFF\xFE") {
            return Err(SamlError::BadEncoding("the XML is UTF-16, not UTF-8"));
        }
        match std::str::from_utf8(body) {
            Ok(text) if starts_like_xml => Ok(text.to_owned()),
            Ok(_) => Err(SamlError::BadEncoding("the decoded SAMLResponse is not XML")),
            Err(_) if starts_like_xml => Err(SamlError::BadEncoding("the XML is not valid UTF-8")),
            Err(_) => Err(SamlError::DeflatedPayload),
        }
    }

    /// Every check but the replay cache.
    fn check(&self, xml: &str, expected: &[&str], now: OffsetDateTime) -> Result<ValidatedAssertion, SamlError> {
        if xml.len() > self.max_size {
            return Err(SamlError::TooLarge { max: self.max_size });
        }
        if self.metadata.valid_until().is_some_and(|until| now >= until) {
            return Err(SamlError::MetadataExpired);
        }
        let xml = xml.strip_prefix('\u{feff}').unwrap_or(xml);
        let doc = xml::scan(xml).map_err(scan_error)?;
        let structure = self.check_structure(&doc)?;

        // Verify every signature against the metadata certificates only, and keep only the bytes
        // the signature covered (pre-digest, canonical, comments removed).
        let reduced = self
            .verify_signatures(xml, &doc, &structure)
            .map_err(|failure| match failure {
                NotVerified::OutsideProfile(why) => SamlError::SignatureProfileUnsupported(why),
                NotVerified::Invalid => {
                    let untrusted = key_info_certificates(&doc, &structure.key_info_x509)
                        .iter()
                        .any(|c| !self.metadata.signing_certificates().contains(c));
                    if untrusted {
                        SamlError::UntrustedKey
                    } else {
                        SamlError::SignatureInvalid
                    }
                }
            })?;
        let signed_doc =
            xml::scan(&reduced).map_err(|_| SamlError::SignatureWrapping("the signed bytes are not a document"))?;
        if signed_doc.elements.iter().any(|e| e.has_comment) {
            return Err(SamlError::Malformed("comments inside signed content"));
        }
        let root = signed_doc.root();
        let scope = if root.is(NS_PROTOCOL, "Response") {
            if structure.response_signature.is_none() || root.attr("ID") != Some(structure.response_id.as_str()) {
                return Err(SamlError::SignatureWrapping(
                    "the signed Response is not the one received",
                ));
            }
            SignedScope::Response
        } else if root.is(NS_ASSERTION, "Assertion") {
            if structure.assertion_signature.is_none()
                || structure.response_signature.is_some()
                || root.attr("ID") != Some(structure.assertion_id.as_str())
            {
                return Err(SamlError::SignatureWrapping(
                    "the signed Assertion is not the one received",
                ));
            }
            SignedScope::Assertion
        } else {
            return Err(SamlError::SignatureWrapping(
                "the signature covers neither the Response nor the Assertion",
            ));
        };
        let signed_assertion = match signed_doc.find_all(NS_ASSERTION, "Assertion").as_slice() {
            [] => return Err(SamlError::NoAssertion),
            [one] => *one,
            _ => return Err(SamlError::MultipleAssertions),
        };

        // Response-level data: signed in scope Response; otherwise read from the unsigned document
        // and used only to reject.
        let response = match scope {
            SignedScope::Response => signed::response(&signed_doc, 0)?,
            SignedScope::Assertion => signed::response(&doc, 0)?,
        };
        let assertion = signed::assertion(&signed_doc, signed_assertion)?;
        if assertion.id != structure.assertion_id {
            return Err(SamlError::SignatureWrapping(
                "the signed Assertion is not the one received",
            ));
        }

        // Status, issuer, destination.
        if response.status.as_deref() != Some(STATUS_SUCCESS) {
            return Err(SamlError::StatusNotSuccess);
        }
        let entity_id = self.metadata.entity_id();
        let wrong_issuer = || SamlError::WrongIssuer {
            expected: entity_id.to_owned(),
        };
        if response.issuer.as_deref().is_some_and(|i| i.trim() != entity_id) {
            return Err(wrong_issuer());
        }
        if assertion.issuer.as_deref().map(str::trim) != Some(entity_id) {
            return Err(wrong_issuer());
        }
        let wrong_destination = || SamlError::WrongDestination {
            expected: self.acs_url.clone(),
        };
        match (&response.destination, scope) {
            (Some(d), _) if *d != self.acs_url => return Err(wrong_destination()),
            (None, SignedScope::Response) => return Err(wrong_destination()),
            _ => {}
        }

        // Time window.
        let skew = self.clock_skew;
        if now < assertion.issue_instant - skew {
            return Err(SamlError::NotYetValid("the assertion's IssueInstant"));
        }
        let conditions = assertion.conditions.as_ref().ok_or(SamlError::WrongAudience {
            expected: self.audiences.clone(),
        })?;
        if let Some(nb) = conditions.not_before
            && now < nb - skew
        {
            return Err(SamlError::NotYetValid("Conditions NotBefore"));
        }
        let conditions_end = conditions.not_on_or_after;
        if let Some(end) = conditions_end
            && now >= end + skew
        {
            return Err(SamlError::Expired("Conditions NotOnOrAfter"));
        }

        // Audience: every AudienceRestriction must name us.
        let restrictions = &conditions.audience_restrictions;
        if restrictions.is_empty() || !restrictions.iter().all(|r| r.iter().any(|a| self.audience_matches(a))) {
            return Err(SamlError::WrongAudience {
                expected: self.audiences.clone(),
            });
        }

        // Subject.
        let subject = assertion.subject.as_ref().ok_or(SamlError::NoNameId)?;
        let (name_id, name_id_format) = subject.name_id.as_ref().ok_or(SamlError::NoNameId)?;
        if name_id.trim().is_empty() {
            return Err(SamlError::NoNameId);
        }
        let bearers: Vec<_> = subject
            .confirmations
            .iter()
            .filter(|c| c.method.as_deref() == Some(BEARER))
            .collect();
        if bearers.is_empty() {
            return Err(SamlError::NoBearerConfirmation);
        }
        let mut first_error = None;
        let mut accepted = None;
        for confirmation in bearers {
            match self.check_confirmation(confirmation, scope, response.in_response_to.as_deref(), expected, now) {
                Ok(found) => {
                    accepted = Some(found);
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let (confirmation_end, in_response_to) =
            accepted.ok_or_else(|| first_error.unwrap_or(SamlError::NoBearerConfirmation))?;
        let not_on_or_after = match conditions_end {
            Some(end) if end < confirmation_end => end,
            _ => confirmation_end,
        };

        // Result.
        let mut attributes: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, values) in &assertion.attributes {
            attributes
                .entry(name.clone())
                .or_default()
                .extend(values.iter().cloned());
        }
        Ok(ValidatedAssertion {
            issuer: entity_id.to_owned(),
            name_id: name_id.clone(),
            name_id_format: name_id_format.clone(),
            session_index: assertion.session_index.clone(),
            attributes,
            not_on_or_after,
            assertion_id: assertion.id.clone(),
            in_response_to,
            signed_scope: scope,
        })
    }

    fn audience_matches(&self, audience: &str) -> bool {
        let audience = audience.trim();
        self.audiences.iter().any(|configured| {
            configured == audience || configured.trim_end_matches('/') == audience.trim_end_matches('/')
        })
    }

    /// Checks one bearer SubjectConfirmation; returns its NotOnOrAfter and the InResponseTo.
    fn check_confirmation(
        &self,
        confirmation: &signed::Confirmation,
        scope: SignedScope,
        response_irt: Option<&str>,
        expected: &[&str],
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, Option<String>), SamlError> {
        let data = confirmation.data.as_ref().ok_or(SamlError::NoBearerConfirmation)?;
        let skew = self.clock_skew;
        if let Some(nb) = data.not_before
            && now < nb - skew
        {
            return Err(SamlError::NotYetValid("SubjectConfirmationData NotBefore"));
        }
        let end = data.not_on_or_after.ok_or(SamlError::NoBearerConfirmation)?;
        if now >= end + skew {
            return Err(SamlError::Expired("SubjectConfirmationData NotOnOrAfter"));
        }
        if data.recipient.as_deref() != Some(self.acs_url.as_str()) {
            return Err(SamlError::WrongRecipient {
                expected: self.acs_url.clone(),
            });
        }
        // InResponseTo: the signed SubjectConfirmationData value, and the Response's (signed in
        // scope Response, otherwise only able to refuse). Both present → they must agree.
        let confirmation_irt = data.in_response_to.as_deref();
        if let (Some(a), Some(b)) = (confirmation_irt, response_irt)
            && a != b
        {
            return Err(SamlError::UnknownInResponseTo);
        }
        let effective = match scope {
            SignedScope::Response => confirmation_irt.or(response_irt),
            SignedScope::Assertion => {
                if confirmation_irt.is_none() && response_irt.is_some() {
                    // An unsigned InResponseTo cannot make a response solicited.
                    return Err(SamlError::UnknownInResponseTo);
                }
                confirmation_irt
            }
        };
        match effective {
            Some(id) if expected.contains(&id) => Ok((end, Some(id.to_owned()))),
            Some(_) => Err(SamlError::UnknownInResponseTo),
            None if self.allow_idp_initiated => Ok((end, None)),
            None => Err(SamlError::UnsolicitedResponse),
        }
    }

    /// The structural pass: refuses documents a real IdP would not send before any verification.
    fn check_structure(&self, doc: &Document) -> Result<Structure, SamlError> {
        // Duplicate IDs (any ID-like attribute).
        let mut ids = std::collections::HashSet::new();
        for element in &doc.elements {
            for attr in &element.attrs {
                let id_like = attr.ns.is_none() && matches!(attr.local, "ID" | "Id" | "id")
                    || attr.ns == Some("http://www.w3.org/XML/1998/namespace") && attr.local == "id";
                if id_like && !ids.insert(&*attr.value) {
                    return Err(SamlError::DuplicateId);
                }
            }
        }
        for element in &doc.elements {
            if element.local.starts_with("Encrypted") {
                return Err(SamlError::EncryptedAssertionUnsupported);
            }
        }
        let root = doc.root();
        if !root.is(NS_PROTOCOL, "Response") {
            return Err(SamlError::NotAResponse);
        }
        if doc.elements.iter().skip(1).any(|e| e.local == "Response") {
            return Err(SamlError::SignatureWrapping("a second Response inside the Response"));
        }
        let assertions: Vec<usize> = (0..doc.elements.len())
            .filter(|&i| doc.elements[i].local == "Assertion")
            .collect();
        let assertion = match assertions.as_slice() {
            [] => return Err(SamlError::NoAssertion),
            [one] => *one,
            _ => return Err(SamlError::MultipleAssertions),
        };
        if !doc.elements[assertion].is(NS_ASSERTION, "Assertion") {
            return Err(SamlError::UnexpectedElement("an Assertion in a foreign namespace"));
        }
        if doc.elements[assertion].parent != Some(0) {
            return Err(SamlError::SignatureWrapping(
                "the Assertion is not a direct child of the Response",
            ));
        }
        for element in &doc.elements {
            let refused = match (element.ns, element.local) {
                (Some(NS_PROTOCOL), "Extensions") => Some("samlp:Extensions"),
                (Some(NS_ASSERTION), "Advice") => Some("saml:Advice"),
                (Some(NS_DSIG), "Object") => Some("ds:Object"),
                (Some(NS_DSIG), "Manifest") => Some("ds:Manifest"),
                (Some(NS_DSIG), "RetrievalMethod") => Some("ds:RetrievalMethod"),
                _ => None,
            };
            if let Some(what) = refused {
                return Err(SamlError::UnexpectedElement(what));
            }
            if (element.is(NS_ASSERTION, "NameID") || element.is(NS_ASSERTION, "AttributeValue"))
                && !element.children.is_empty()
            {
                return Err(SamlError::UnexpectedElement("markup inside a NameID or AttributeValue"));
            }
        }
        let response_id = root.attr("ID").unwrap_or_default().to_owned();
        let assertion_id = doc.elements[assertion].attr("ID").unwrap_or_default().to_owned();
        if response_id.is_empty() || assertion_id.is_empty() {
            return Err(SamlError::Malformed("the Response or Assertion has no ID"));
        }

        // Signatures: only enveloped ones, directly in the Response or the Assertion.
        let mut structure = Structure {
            response_id,
            assertion_id,
            assertion,
            response_signature: None,
            assertion_signature: None,
            key_info_x509: Vec::new(),
        };
        for index in 0..doc.elements.len() {
            let element = &doc.elements[index];
            if element.local != "Signature" && element.local != "SignedInfo" {
                continue;
            }
            if element.ns != Some(NS_DSIG) {
                return Err(SamlError::UnexpectedElement(
                    "a Signature or SignedInfo in a foreign namespace",
                ));
            }
            if element.local == "SignedInfo" {
                continue; // checked with its Signature
            }
            let (is_response, parent_id) = match element.parent {
                Some(0) => (true, structure.response_id.as_str()),
                Some(p) if p == assertion => (false, structure.assertion_id.as_str()),
                _ => {
                    return Err(SamlError::SignatureWrapping(
                        "a signature outside the Response and the Assertion",
                    ));
                }
            };
            let seen = if is_response {
                &mut structure.response_signature
            } else {
                &mut structure.assertion_signature
            };
            if seen.is_some() {
                return Err(SamlError::SignatureWrapping("two signatures on one element"));
            }
            *seen = Some(index);
            self.check_signature(doc, index, parent_id, is_response)?;
            structure.key_info_x509.extend(
                descendants(doc, index)
                    .into_iter()
                    .filter(|&i| doc.elements[i].is(NS_DSIG, "X509Certificate")),
            );
        }
        if structure.response_signature.is_none() && structure.assertion_signature.is_none() {
            return Err(SamlError::SignatureMissing);
        }
        Ok(structure)
    }

    fn check_signature(
        &self,
        doc: &Document,
        signature: usize,
        parent_id: &str,
        is_root: bool,
    ) -> Result<(), SamlError> {
        let one = |parent: usize, local: &str, what: &'static str| -> Result<usize, SamlError> {
            match doc.children_named(parent, NS_DSIG, local).as_slice() {
                [one] => Ok(*one),
                _ => Err(SamlError::Malformed(what)),
            }
        };
        let signed_info = one(signature, "SignedInfo", "a Signature needs exactly one SignedInfo")?;
        let c14n = one(
            signed_info,
            "CanonicalizationMethod",
            "SignedInfo needs one CanonicalizationMethod",
        )?;
        check_c14n(doc.elements[c14n].attr("Algorithm").unwrap_or_default())?;
        let method = one(signed_info, "SignatureMethod", "SignedInfo needs one SignatureMethod")?;
        let algorithm = doc.elements[method].attr("Algorithm").unwrap_or_default();
        if algorithm.to_ascii_lowercase().contains("hmac") || !doc.elements[method].children.is_empty() {
            return Err(SamlError::HmacSignature);
        }
        let strong = STRONG_SIGNATURES.contains(&algorithm);
        let sha1 = self.allow_sha1 && (algorithm == RSA_SHA1 || algorithm == ECDSA_SHA1);
        if !strong && !sha1 {
            return Err(SamlError::WeakAlgorithm("signature algorithm"));
        }
        let references = doc.children_named(signed_info, NS_DSIG, "Reference");
        let reference = match references.as_slice() {
            [] => return Err(SamlError::BadReference("no Reference")),
            [one] => *one,
            _ => return Err(SamlError::BadReference("more than one Reference")),
        };
        match doc.elements[reference].attr("URI") {
            Some(uri) if uri.strip_prefix('#') == Some(parent_id) => {}
            Some("") if is_root => {}
            _ => return Err(SamlError::BadReference("the URI is not \"#ID\" of the signed element")),
        }
        let transforms = doc.children_named(reference, NS_DSIG, "Transforms");
        if transforms.len() > 1 {
            return Err(SamlError::ForbiddenTransform("more than one Transforms element"));
        }
        for &list in &transforms {
            for &transform in &doc.elements[list].children {
                let t = &doc.elements[transform];
                if !t.is(NS_DSIG, "Transform") {
                    return Err(SamlError::ForbiddenTransform("an unknown element in Transforms"));
                }
                let algorithm = t.attr("Algorithm").unwrap_or_default();
                if algorithm != ENVELOPED {
                    check_c14n(algorithm)?;
                }
                if t.children
                    .iter()
                    .any(|&c| !doc.elements[c].is(NS_EXC_C14N, "InclusiveNamespaces"))
                {
                    return Err(SamlError::ForbiddenTransform("transform parameters"));
                }
            }
        }
        let digest = one(reference, "DigestMethod", "a Reference needs one DigestMethod")?;
        let digest = doc.elements[digest].attr("Algorithm").unwrap_or_default();
        let sha1_allowed = self.allow_sha1 && digest == DIGEST_SHA1;
        if !STRONG_DIGESTS.contains(&digest) && !sha1_allowed {
            return Err(SamlError::WeakAlgorithm("digest algorithm"));
        }
        Ok(())
    }
}

/// Why the signatures were not verified.
#[derive(Debug)]
enum NotVerified {
    /// A signature did not verify (the caller tells an untrusted key from an invalid signature).
    Invalid,
    /// The document is outside the built-in profile, and libxmlsec1 is not built in.
    #[cfg_attr(feature = "xmlsec", allow(dead_code))]
    OutsideProfile(&'static str),
}

// Signature verification.
//
// The profile IAM Identity Center and the other identity providers we document use (enveloped
// signatures, exclusive c14n, RSA or ECDSA) is verified here with the metadata's public keys, parsed
// once per validator, canonicalising with `xml::exclusive_c14n`, which follows the libxml2 code
// libxmlsec1 runs, so that the bytes are libxmlsec1's pre-digest bytes (the unit tests below, and with
// the `xmlsec` feature a comparison with libxmlsec1 itself, check that). Cryptography is OpenSSL's
// (built from source and linked statically; see the crate documentation).
//
// Soundness does not rest on that canonicalisation being faithful. The only bytes the validator then
// reads are the bytes whose digest is compared with the DigestValue, and the DigestValue and every
// other parameter of the reference are read back from the SignedInfo bytes the signature was verified
// over (and must equal what the structural pass checked). A canonicalisation that differed from
// libxml2's could refuse a valid response; it cannot make unsigned bytes read as signed.
//
// Anything outside the profile (inclusive c14n, other transform lists, IDs or namespace names libxml2
// might treat differently) is refused with `SignatureProfileUnsupported`, or, with the `xmlsec`
// feature, verified by libxmlsec1 through samael.

impl ResponseValidator {
    /// Verifies every signature of the document with the metadata's keys only, and returns the
    /// pre-digest bytes (canonical, comments removed) of the signed Response, or of the signed
    /// Assertion when only it is signed.
    fn verify_signatures(&self, xml: &str, doc: &Document<'_>, structure: &Structure) -> Result<String, NotVerified> {
        // The assertion's signature first, so that the Response's pre-digest bytes come last.
        let signatures = [
            structure.assertion_signature.map(|s| (s, structure.assertion)),
            structure.response_signature.map(|s| (s, 0)),
        ];
        let profiled = signatures
            .into_iter()
            .flatten()
            .map(|(signature, target)| EnvelopedSignature::read(doc, signature, target))
            .collect::<Result<Vec<_>, _>>()
            .and_then(|signatures| {
                if !ids_are_plain(doc) {
                    Err("an ID attribute that is not an ASCII XML name, or IDs that repeat across namespaces")
                } else if !xml::c14n_accepts_namespaces(doc) {
                    Err("a namespace name that is not an absolute URI")
                } else {
                    Ok(signatures)
                }
            });
        match profiled {
            Ok(signatures) => {
                let mut predigest = Err(NotVerified::Invalid);
                for signature in &signatures {
                    predigest = Ok(self
                        .verify_enveloped(doc, signature)
                        .map_err(|Unverified| NotVerified::Invalid)?);
                }
                predigest
            }
            Err(why) => self.verify_outside_profile(xml, why),
        }
    }

    /// Without libxmlsec1, a document outside the built-in profile is refused (fail closed).
    #[cfg(not(feature = "xmlsec"))]
    fn verify_outside_profile(&self, _xml: &str, why: &'static str) -> Result<String, NotVerified> {
        Err(NotVerified::OutsideProfile(why))
    }

    /// With the `xmlsec` feature, a document outside the built-in profile is verified by libxmlsec1.
    #[cfg(feature = "xmlsec")]
    fn verify_outside_profile(&self, xml: &str, _why: &'static str) -> Result<String, NotVerified> {
        self.verify_with_xmlsec(xml).map_err(|Unverified| NotVerified::Invalid)
    }

    /// Verifies one signature of the profile; returns the pre-digest bytes of its reference.
    fn verify_enveloped(&self, doc: &Document<'_>, signature: &EnvelopedSignature<'_>) -> Result<String, Unverified> {
        let profile = &signature.profile;
        let signed_info = xml::exclusive_c14n(doc, signature.signed_info, None, &profile.c14n_prefixes);
        let method = SignatureMethod::from_uri(profile.signature_method).ok_or(Unverified)?;
        let value = STANDARD
            .decode(without_whitespace(&signature.value))
            .map_err(|_| Unverified)?;
        if !self
            .keys
            .iter()
            .any(|key| key.verifies(method, signed_info.as_bytes(), &value))
        {
            return Err(Unverified);
        }

        // From here on the reference is read from the bytes the signature covers.
        let signed_info_doc = xml::scan(&signed_info).map_err(|_| Unverified)?;
        let signed = signed_info_profile(&signed_info_doc, 0).map_err(|_| Unverified)?;
        if signed != *profile {
            return Err(Unverified);
        }
        let predigest = xml::exclusive_c14n(
            doc,
            signature.target,
            Some(signature.signature),
            &signed.transform_prefixes,
        );
        let digest = digest_method(signed.digest_method).ok_or(Unverified)?;
        let expected = STANDARD.decode(&signed.digest_value).map_err(|_| Unverified)?;
        let actual = openssl::hash::hash(digest, predigest.as_bytes()).map_err(|_| Unverified)?;
        if expected.len() != actual.len() || !openssl::memcmp::eq(&expected, &actual) {
            return Err(Unverified);
        }
        Ok(predigest)
    }

    /// Verifies with libxmlsec1 through samael (every signature of the document, reduced to the
    /// pre-digest bytes of the signed Response, or of the only signed element).
    #[cfg(feature = "xmlsec")]
    fn verify_with_xmlsec(&self, xml: &str) -> Result<String, Unverified> {
        const STRONG: [AllowedSignatureAlgorithm; 6] = [
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
            AllowedSignatureAlgorithm::EcdsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha384,
            AllowedSignatureAlgorithm::EcdsaSha512,
        ];
        let allowed: Option<&[AllowedSignatureAlgorithm]> = if self.allow_sha1 {
            None // our structural pass enforced the (SHA-1-extended) allowlist
        } else {
            Some(&STRONG)
        };
        Crypto::reduce_xml_to_signed_with_allowed_algorithms(xml, &self.certificates, ReduceMode::PreDigest, allowed)
            .map_err(|_| Unverified)
    }
}

/// A signature did not verify.
struct Unverified;

/// A metadata certificate's public key, parsed once, with what verifying needs.
#[derive(Clone)]
enum VerifyingKey {
    /// An RSA key (RSASSA-PKCS1-v1_5, what the XML-DSig `rsa-*` methods are).
    Rsa(PKey<Public>),
    /// An EC key on P-256, P-384 or P-521, and the byte length of one of its signature's two
    /// integers (XML-DSig ECDSA values are `r || s`, each padded to the field size: RFC 4050).
    Ec(PKey<Public>, usize),
    /// A key of another type: it verifies nothing.
    Other,
}

impl VerifyingKey {
    fn from_certificate(der: &[u8]) -> Result<Self, SamlError> {
        let key = X509::from_der(der)
            .and_then(|cert| cert.public_key())
            .map_err(|_| SamlError::Config("a signing certificate has no usable public key".into()))?;
        Ok(match key.id() {
            Id::RSA => Self::Rsa(key),
            Id::EC => {
                let curve = key.ec_key().ok().and_then(|ec| ec.group().curve_name());
                let size = match curve {
                    Some(Nid::X9_62_PRIME256V1) => 32,
                    Some(Nid::SECP384R1) => 48,
                    Some(Nid::SECP521R1) => 66,
                    _ => {
                        return Err(SamlError::Config(
                            "a signing certificate's EC key is not on P-256, P-384 or P-521".into(),
                        ));
                    }
                };
                Self::Ec(key, size)
            }
            _ => Self::Other,
        })
    }

    /// Whether `signature` (an XML-DSig `SignatureValue`, decoded) signs `data` with this key.
    fn verifies(&self, method: SignatureMethod, data: &[u8], signature: &[u8]) -> bool {
        match (self, method) {
            (Self::Rsa(key), SignatureMethod::Rsa(digest)) => {
                let Ok(mut verifier) = Verifier::new(digest, key) else {
                    return false;
                };
                verifier.set_rsa_padding(Padding::PKCS1).is_ok()
                    && verifier.verify_oneshot(signature, data).unwrap_or(false)
            }
            (Self::Ec(key, size), SignatureMethod::Ecdsa(digest)) => {
                if signature.len() != 2 * size {
                    return false;
                }
                let (r, s) = signature.split_at(*size);
                let der = BigNum::from_slice(r)
                    .and_then(|r| Ok((r, BigNum::from_slice(s)?)))
                    .and_then(|(r, s)| EcdsaSig::from_private_components(r, s))
                    .and_then(|sig| sig.to_der());
                let Ok(der) = der else {
                    return false;
                };
                Verifier::new(digest, key)
                    .is_ok_and(|mut verifier| verifier.verify_oneshot(&der, data).unwrap_or(false))
            }
            _ => false,
        }
    }
}

/// A `SignatureMethod` of the built-in profile (SHA-1 only reaches here when allowed: the
/// structural pass refused it otherwise).
#[derive(Clone, Copy)]
enum SignatureMethod {
    Rsa(MessageDigest),
    Ecdsa(MessageDigest),
}

impl SignatureMethod {
    fn from_uri(algorithm: &str) -> Option<Self> {
        Some(match algorithm {
            RSA_SHA1 => Self::Rsa(MessageDigest::sha1()),
            RSA_SHA256 => Self::Rsa(MessageDigest::sha256()),
            RSA_SHA384 => Self::Rsa(MessageDigest::sha384()),
            RSA_SHA512 => Self::Rsa(MessageDigest::sha512()),
            ECDSA_SHA1 => Self::Ecdsa(MessageDigest::sha1()),
            ECDSA_SHA256 => Self::Ecdsa(MessageDigest::sha256()),
            ECDSA_SHA384 => Self::Ecdsa(MessageDigest::sha384()),
            ECDSA_SHA512 => Self::Ecdsa(MessageDigest::sha512()),
            _ => return None,
        })
    }
}

/// An enveloped signature of the built-in profile, as the document states it (nothing here is
/// trusted before verification).
struct EnvelopedSignature<'d> {
    /// The `ds:Signature` element.
    signature: usize,
    /// Its `ds:SignedInfo`.
    signed_info: usize,
    /// The signed element (the Signature's parent, which the structural pass tied to the
    /// reference URI).
    target: usize,
    profile: SignedInfoProfile<'d>,
    /// The `ds:SignatureValue` text.
    value: String,
}

/// What a signature outside the built-in profile has, for [`SamlError::SignatureProfileUnsupported`].
const OTHER_LAYOUT: &str = "a Signature with other children than SignedInfo, SignatureValue and KeyInfo";

impl<'d> EnvelopedSignature<'d> {
    /// The signature `signature` over `target` if it is of the profile: `ds:Signature` =
    /// SignedInfo, SignatureValue and optionally KeyInfo, and a SignedInfo of the profile.
    fn read(doc: &'d Document<'d>, signature: usize, target: usize) -> Result<Self, &'static str> {
        let [signed_info, value] = match doc.elements[signature].children.len() {
            2 => exactly(doc, signature, ["SignedInfo", "SignatureValue"]).ok_or(OTHER_LAYOUT)?,
            _ => {
                let [signed_info, value, _] =
                    exactly(doc, signature, ["SignedInfo", "SignatureValue", "KeyInfo"]).ok_or(OTHER_LAYOUT)?;
                [signed_info, value]
            }
        };
        let value = &doc.elements[value];
        if !value.children.is_empty() || doc.elements[signature].parent != Some(target) {
            return Err(OTHER_LAYOUT);
        }
        Ok(Self {
            signature,
            signed_info,
            target,
            profile: signed_info_profile(doc, signed_info)?,
            value: value.text(),
        })
    }
}

/// What a `ds:SignedInfo` of the profile says: exclusive c14n (with an optional
/// `InclusiveNamespaces` prefix list), an RSA or ECDSA signature method, and exactly one
/// `Reference` whose transforms are enveloped-signature then exclusive c14n.
#[derive(Debug, PartialEq, Eq)]
struct SignedInfoProfile<'d> {
    c14n_prefixes: Vec<&'d str>,
    signature_method: &'d str,
    reference_uri: &'d str,
    transform_prefixes: Vec<&'d str>,
    digest_method: &'d str,
    /// The base64 text, whitespace removed.
    digest_value: String,
}

/// The profile of the `ds:SignedInfo` at `signed_info`, or what is outside the profile (every
/// element is checked to be the one libxmlsec1 would read in that place).
fn signed_info_profile<'d>(doc: &'d Document<'d>, signed_info: usize) -> Result<SignedInfoProfile<'d>, &'static str> {
    let element = |index: usize| &doc.elements[index];
    let algorithm = |index: usize| element(index).attr("Algorithm");
    let [c14n, method, reference] = exactly(
        doc,
        signed_info,
        ["CanonicalizationMethod", "SignatureMethod", "Reference"],
    )
    .ok_or("a SignedInfo with other children than CanonicalizationMethod, SignatureMethod and one Reference")?;
    let [transforms, digest, digest_value] = exactly(doc, reference, ["Transforms", "DigestMethod", "DigestValue"])
        .ok_or("a Reference without the Transforms, DigestMethod and DigestValue of an enveloped signature")?;
    let [enveloped, transform_c14n] = exactly(doc, transforms, ["Transform", "Transform"])
        .ok_or("transforms other than enveloped-signature followed by exclusive c14n")?;
    let childless = [method, enveloped, digest, digest_value];
    if !element(signed_info).is(NS_DSIG, "SignedInfo") || childless.iter().any(|&i| !element(i).children.is_empty()) {
        return Err("unexpected content in SignedInfo");
    }
    if algorithm(c14n) != Some(EXC_C14N) || algorithm(transform_c14n) != Some(EXC_C14N) {
        return Err("a canonicalization other than exclusive c14n (e.g. inclusive c14n 1.0 or 1.1)");
    }
    if algorithm(enveloped) != Some(ENVELOPED) {
        return Err("transforms other than enveloped-signature followed by exclusive c14n");
    }
    let signature_method = algorithm(method)
        .filter(|m| SignatureMethod::from_uri(m).is_some())
        .ok_or("a signature method other than RSA or ECDSA with SHA-2")?;
    let digest_method = algorithm(digest)
        .filter(|m| digest_method(m).is_some())
        .ok_or("a digest method other than SHA-2")?;
    let prefixes = |index| inclusive_prefixes(doc, index).ok_or("InclusiveNamespaces parameters of another shape");
    Ok(SignedInfoProfile {
        c14n_prefixes: prefixes(c14n)?,
        signature_method,
        reference_uri: element(reference).attr("URI").ok_or("a Reference without URI")?,
        transform_prefixes: prefixes(transform_c14n)?,
        digest_method,
        digest_value: without_whitespace(&element(digest_value).text()),
    })
}

/// The children of `index` if they are exactly the `ds:` elements `names`, in this order.
fn exactly<const N: usize>(doc: &Document<'_>, index: usize, names: [&str; N]) -> Option<[usize; N]> {
    let children: &[usize] = &doc.elements[index].children;
    let children: &[usize; N] = children.try_into().ok()?;
    children
        .iter()
        .zip(names)
        .all(|(&child, name)| doc.elements[child].is(NS_DSIG, name))
        .then_some(*children)
}

/// The most `PrefixList` tokens the built-in verifier canonicalises with (the SignedInfo's list is
/// read before its signature is verified; real lists name a few prefixes).
const MAX_INCLUSIVE_PREFIXES: usize = 32;

/// The `PrefixList` of the exclusive c14n algorithm element `index`: none without parameters, the
/// tokens of one `ec:InclusiveNamespaces PrefixList="..."` (separated by single spaces, as
/// libxmlsec1 splits them, at most [`MAX_INCLUSIVE_PREFIXES`]), `None` for anything else.
fn inclusive_prefixes<'d>(doc: &'d Document<'d>, index: usize) -> Option<Vec<&'d str>> {
    match doc.elements[index].children.as_slice() {
        [] => Some(Vec::new()),
        &[parameters] => {
            let parameters = &doc.elements[parameters];
            let [attr] = parameters.attrs.as_slice() else {
                return None;
            };
            if !parameters.is(NS_EXC_C14N, "InclusiveNamespaces")
                || !parameters.children.is_empty()
                || attr.ns.is_some()
                || attr.local != "PrefixList"
            {
                return None;
            }
            let tokens: Vec<&str> = attr.value.split(' ').collect();
            (tokens.len() <= MAX_INCLUSIVE_PREFIXES && tokens.iter().all(|t| !t.is_empty())).then_some(tokens)
        }
        _ => None,
    }
}

/// Whether the document's IDs are resolved by libxmlsec1 (as samael registers them) exactly as the
/// structural pass resolved them: every attribute named `ID`, in any namespace, is an ASCII NCName,
/// and no two ID-like attributes, in any namespace, share a value.
fn ids_are_plain(doc: &Document<'_>) -> bool {
    let mut seen = std::collections::HashSet::new();
    doc.elements.iter().flat_map(|e| &e.attrs).all(|attr| {
        let id_like = matches!(attr.local, "ID" | "Id" | "id");
        (attr.local != "ID" || is_ascii_ncname(&attr.value)) && (!id_like || seen.insert(&*attr.value))
    })
}

fn is_ascii_ncname(value: &str) -> bool {
    value
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The digest of a `DigestMethod` (SHA-1 only when allowed, as for [`SignatureMethod`]).
fn digest_method(algorithm: &str) -> Option<MessageDigest> {
    match algorithm {
        DIGEST_SHA1 => Some(MessageDigest::sha1()),
        DIGEST_SHA256 => Some(MessageDigest::sha256()),
        DIGEST_SHA384 => Some(MessageDigest::sha384()),
        DIGEST_SHA512 => Some(MessageDigest::sha512()),
        _ => None,
    }
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_ascii_whitespace()).collect()
}

fn check_c14n(algorithm: &str) -> Result<(), SamlError> {
    match algorithm {
        EXC_C14N | C14N_10 | C14N_11 => Ok(()),
        a if a.ends_with("WithComments") => Err(SamlError::ForbiddenTransform("c14n with comments")),
        a if a.contains("xslt") => Err(SamlError::ForbiddenTransform("XSLT")),
        "http://www.w3.org/2002/06/xmldsig-filter2" => Err(SamlError::ForbiddenTransform("XPath Filter 2.0")),
        a if a.contains("xpath") => Err(SamlError::ForbiddenTransform("XPath")),
        a if a.contains("xptr") || a.contains("xpointer") => Err(SamlError::ForbiddenTransform("XPointer")),
        _ => Err(SamlError::ForbiddenTransform(
            "an unknown transform or canonicalization",
        )),
    }
}

fn descendants(doc: &Document, index: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut stack = doc.elements[index].children.clone();
    while let Some(i) = stack.pop() {
        out.push(i);
        stack.extend(doc.elements[i].children.iter().copied());
    }
    out
}

/// The DER of the KeyInfo certificates at `x509` (elements of `doc`); those that are not valid
/// base64 are skipped.
fn key_info_certificates(doc: &Document, x509: &[usize]) -> Vec<Vec<u8>> {
    x509.iter()
        .filter_map(|&i| {
            let compact: String = doc.elements[i]
                .text()
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            STANDARD.decode(compact).ok()
        })
        .collect()
}

fn scan_error(error: ScanError) -> SamlError {
    match error {
        ScanError::Doctype => SamlError::Doctype,
        ScanError::Malformed(why) => SamlError::Malformed(why),
        ScanError::TooDeep => SamlError::Malformed("nested too deeply"),
    }
}

fn log_refusal(error: &SamlError) {
    tracing::warn!(error = %error, "SAML response refused");
}

#[cfg(test)]
mod tests {
    use studio_fed_testkit::saml_idp::{
        KeyType, SamlIdp, Sign, SignatureAlgorithm, SigningKey, sign_enveloped, signature_template,
    };

    use super::*;

    const ACS: &str = "https://sp.example.test/saml/acs";

    fn idp() -> SamlIdp {
        SamlIdp::new("https://idp.example.test/saml").unwrap()
    }

    fn idp_with(key_type: KeyType) -> SamlIdp {
        idp().with_signing_key(SigningKey::generate_of(key_type, "test IdP").unwrap())
    }

    fn builder(idp: &SamlIdp) -> ResponseValidatorBuilder {
        ResponseValidator::builder(IdpMetadata::from_xml(&idp.metadata_xml()).unwrap())
            .audience(ACS)
            .acs_url(ACS)
            .allow_idp_initiated(true)
    }

    fn validator(idp: &SamlIdp) -> ResponseValidator {
        builder(idp).build().unwrap()
    }

    /// Signs `xml` (with one template) as the test IdP does.
    fn sign(idp: &SamlIdp, xml: &str) -> String {
        sign_enveloped(xml, idp.signing_key()).unwrap()
    }

    /// The built-in verifier's verdict on the document's only signature (`None`: not of its profile).
    fn built_in(validator: &ResponseValidator, xml: &str) -> Option<Result<String, ()>> {
        let doc = xml::scan(xml).unwrap();
        let signature = doc.find_all(NS_DSIG, "Signature")[0];
        let target = doc.elements[signature].parent.unwrap();
        let signature = EnvelopedSignature::read(&doc, signature, target).ok()?;
        if !(xml::c14n_accepts_namespaces(&doc) && ids_are_plain(&doc)) {
            return None;
        }
        Some(validator.verify_enveloped(&doc, &signature).map_err(|Unverified| ()))
    }

    /// The built-in verifier's pre-digest bytes, or `None` if it refuses; with the `xmlsec` feature,
    /// checked to be libxmlsec1's verdict as well.
    #[track_caller]
    fn verdict(validator: &ResponseValidator, xml: &str) -> Option<String> {
        let ours = built_in(validator, xml).expect("of the built-in profile");
        #[cfg(feature = "xmlsec")]
        assert_eq!(
            ours,
            validator.verify_with_xmlsec(xml).map_err(|Unverified| ()),
            "libxmlsec1 agrees: {xml}"
        );
        ours.ok()
    }

    /// Documents exercising canonicalisation: namespaces declared, unused, rebound, undeclared
    /// (`xmlns=""`), used only by attributes; attribute order across namespaces; escapes; CDATA,
    /// comments, character references, non-ASCII; empty elements; whitespace.
    const ROOT: &str = concat!(
        r#"<r:Root xmlns:r="urn:r" xmlns="urn:default" xmlns:unused="urn:unused" ID="_root" b="2" a="1" r:z="x">"#,
        "{sig}",
        r#"<child attr="tab&#9;nl&#10;cr&#13;q&quot;lt&lt;gt&gt;amp&amp;" other='a"b'>"#,
        "text &amp; &lt; &gt; &#13; \u{e9} \u{2713}<![CDATA[ <cdata> & ]]><!-- comment -->after</child>",
        r#"<plain xmlns=""><deeper/><r:back/></plain><r:empty/><d><n xmlns=""><deep/></n></d>"#,
        r#"<other xmlns:r="urn:r2"><r:x r:y="1"/></other>"#,
        r#"<x xml:lang="en" xmlns:b="urn:b" b:attr="v" r:attr="w" attr="u" xmlns:a="urn:a" a:attr="t"/>"#,
        "\n  <ws>  </ws>\n</r:Root>",
    );

    const NESTED: &str = concat!(
        r#"<outer xmlns="urn:o" xmlns:s="urn:s" xmlns:xs="http://www.w3.org/2001/XMLSchema""#,
        r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="_out"><pre/>"#,
        r#"<s:Signed ID="_in">{sig}<value xsi:type="xs:string">v</value><s:k><inner xmlns="">i</inner></s:k>"#,
        r#"<s:m xmlns:xs="http://www.w3.org/2001/XMLSchema"/></s:Signed></outer>"#,
    );

    #[test]
    fn canonicalization_is_what_the_signer_digested() {
        let idp = idp();
        let validator = validator(&idp);
        let cases: &[(&str, &str, Option<&str>)] = &[
            (ROOT, "#_root", None),
            (ROOT, "", None),
            (ROOT, "#_root", Some("#default unused r")),
            (NESTED, "#_in", None),
            (NESTED, "#_in", Some("xs")),
            (NESTED, "#_in", Some("xs #default")),
            (NESTED, "#_in", Some("xsi xs nowhere s")),
        ];
        for &(document, uri, prefixes) in cases {
            let template = signature_template(uri, SignatureAlgorithm::RsaSha256, prefixes, None);
            let signed = sign(&idp, &document.replace("{sig}", &template));
            let predigest = verdict(&validator, &signed);
            assert!(predigest.is_some(), "the signer's own signature verifies: {signed}");

            // Spellings a parser reads the same way: still verified, to the same bytes.
            let respelled = signed
                .replace("\n  <ws>", "\r\n  <ws>")
                .replace(">after<", ">aft&#101;r<")
                .replace(r#"attr="u""#, "attr = 'u'");
            assert_eq!(verdict(&validator, &respelled), predigest);

            // A change to signed content: refused.
            let tampered = signed.replace(">after<", ">afteR<").replace(">v<", ">w<");
            assert_eq!(verdict(&validator, &tampered), None);
        }
    }

    #[tokio::test]
    async fn every_algorithm_of_the_profile_is_verified_built_in() {
        let cases = [
            (KeyType::Rsa2048, SignatureAlgorithm::RsaSha256),
            (KeyType::Rsa2048, SignatureAlgorithm::RsaSha384),
            (KeyType::Rsa2048, SignatureAlgorithm::RsaSha512),
            (KeyType::EcdsaP256, SignatureAlgorithm::EcdsaSha256),
            (KeyType::EcdsaP384, SignatureAlgorithm::EcdsaSha384),
            (KeyType::EcdsaP384, SignatureAlgorithm::EcdsaSha256),
        ];
        for (key_type, algorithm) in cases {
            let idp = idp_with(key_type);
            let validator = validator(&idp);
            for sign in [Sign::Both, Sign::Response, Sign::Assertion] {
                let response = idp
                    .response()
                    .destination(ACS)
                    .audience(ACS)
                    .attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName", ["a&b <c>"])
                    .algorithm(algorithm)
                    .sign(sign)
                    .build()
                    .unwrap();
                let xml = response.xml();
                let doc = xml::scan(xml).unwrap();
                let structure = validator.check_structure(&doc).unwrap();
                for signature in doc.find_all(NS_DSIG, "Signature") {
                    let target = doc.elements[signature].parent.unwrap();
                    assert!(EnvelopedSignature::read(&doc, signature, target).is_ok());
                }
                let ours = validator.verify_signatures(xml, &doc, &structure).ok();
                assert!(ours.is_some(), "{key_type:?} {algorithm:?} {sign:?}");
                #[cfg(feature = "xmlsec")]
                assert_eq!(ours, validator.verify_with_xmlsec(xml).ok(), "libxmlsec1 agrees");
                let assertion = validator.validate_post(&response.base64(), &[]).await;
                assert!(assertion.is_ok(), "{key_type:?} {algorithm:?} {sign:?}: {assertion:?}");

                let tampered = response.mutate(|xml| *xml = xml.replace(">user<", ">admin<"));
                assert_eq!(
                    validator.validate_post(&tampered.base64(), &[]).await,
                    Err(SamlError::SignatureInvalid),
                    "{key_type:?} {algorithm:?} {sign:?}"
                );
            }
        }
    }

    #[tokio::test]
    async fn sha1_is_verified_built_in_only_when_allowed() {
        for (key_type, algorithm) in [
            (KeyType::Rsa2048, SignatureAlgorithm::RsaSha1),
            (KeyType::EcdsaP256, SignatureAlgorithm::EcdsaSha1),
        ] {
            let idp = idp_with(key_type);
            let response = idp
                .response()
                .destination(ACS)
                .audience(ACS)
                .algorithm(algorithm)
                .build()
                .unwrap();
            let refused = validator(&idp).validate_post(&response.base64(), &[]).await;
            assert_eq!(refused, Err(SamlError::WeakAlgorithm("signature algorithm")));
            let allowed = builder(&idp).allow_sha1(true).build().unwrap();
            assert!(
                allowed.validate_post(&response.base64(), &[]).await.is_ok(),
                "{algorithm:?}"
            );
        }
    }

    #[test]
    fn an_ecdsa_signature_needs_an_ec_key_of_its_size() {
        let rsa = idp();
        let p256 = idp_with(KeyType::EcdsaP256);
        let p384 = idp_with(KeyType::EcdsaP384);
        let signed = sign(
            &p256,
            &ROOT.replace(
                "{sig}",
                &signature_template("#_root", SignatureAlgorithm::EcdsaSha256, None, None),
            ),
        );
        assert!(built_in(&validator(&p256), &signed).unwrap().is_ok());
        // The same bytes against an RSA key, or an EC key of another curve: refused.
        assert!(built_in(&validator(&rsa), &signed).unwrap().is_err());
        assert!(built_in(&validator(&p384), &signed).unwrap().is_err());
        // A signature value cut short or padded: refused.
        let doc = xml::scan(&signed).unwrap();
        let value = doc.find_all(NS_DSIG, "SignatureValue")[0];
        let text = doc.elements[value].text();
        let mut raw = STANDARD.decode(without_whitespace(&text)).unwrap();
        raw.insert(0, 0);
        let padded = signed.replace(&text, &STANDARD.encode(&raw));
        assert!(built_in(&validator(&p256), &padded).unwrap().is_err());
    }

    #[tokio::test]
    async fn other_profiles_are_refused_with_the_feature_to_enable() {
        let idp = idp();
        let validator = validator(&idp);
        let response = idp
            .response()
            .destination(ACS)
            .audience(ACS)
            .sign(Sign::Response)
            .build()
            .unwrap();
        // Inclusive c14n, and an ID that is not an XML name: outside the built-in profile. The
        // refusal comes before any signature is checked, so the edits need no new signature.
        let inclusive = response.clone().mutate(|xml| *xml = xml.replace(EXC_C14N, C14N_10));
        let digit_id = response.mutate(|xml| {
            *xml = xml.replacen("<saml:Issuer", r#"<saml:Issuer ID="1-not-a-name""#, 1);
        });
        for (document, what) in [(inclusive, "inclusive"), (digit_id, "ID attribute")] {
            let refused = validator.validate_post(&document.base64(), &[]).await;
            #[cfg(not(feature = "xmlsec"))]
            {
                let error = refused.unwrap_err();
                assert_eq!(error.code(), "signature_profile_unsupported");
                assert!(
                    matches!(error, SamlError::SignatureProfileUnsupported(why) if why.contains(what)),
                    "{error}"
                );
                assert!(error.to_string().contains("`xmlsec` cargo feature"), "{error}");
            }
            // libxmlsec1 verifies these: the edits broke the signature.
            #[cfg(feature = "xmlsec")]
            assert_eq!(refused, Err(SamlError::SignatureInvalid), "{what}");
        }
    }

    /// With the `xmlsec` feature, a profile the built-in verifier does not cover is verified by
    /// libxmlsec1: inclusive c14n, signed by libxmlsec1 itself.
    #[cfg(feature = "xmlsec")]
    #[tokio::test]
    async fn other_profiles_are_verified_by_libxmlsec1_with_the_feature() {
        let idp = idp();
        let validator = validator(&idp);
        let key = idp.signing_key().private_key().private_key_to_der().unwrap();
        // Only the Response signed: inclusive c14n of an Assertion depends on the Response around it.
        let inclusive = idp
            .response()
            .destination(ACS)
            .audience(ACS)
            .sign(Sign::Neither)
            .build()
            .unwrap()
            .mutate(|xml| {
                let template =
                    signature_template("", SignatureAlgorithm::RsaSha256, None, None).replace(EXC_C14N, C14N_10);
                let at = xml.find("<saml:Assertion").unwrap();
                xml.insert_str(at, &template);
                *xml = xml.replacen("<samlp:Response ", r#"<samlp:Response xmlns:u="urn:unused" "#, 1);
                *xml = Crypto::sign_xml(xml.as_str(), &key).unwrap();
            });
        let doc = xml::scan(inclusive.xml()).unwrap();
        let signature = doc.find_all(NS_DSIG, "Signature")[0];
        assert!(EnvelopedSignature::read(&doc, signature, 0).is_err());
        let assertion = validator.validate_post(&inclusive.base64(), &[]).await.unwrap();
        assert_eq!(assertion.signed_scope, SignedScope::Response);

        // ... and tampering is still refused there.
        let tampered = inclusive.mutate(|xml| *xml = xml.replace(">user<", ">admin<"));
        assert_eq!(
            validator.validate_post(&tampered.base64(), &[]).await,
            Err(SamlError::SignatureInvalid)
        );
    }

    /// SAML attributes are read by their exact, unprefixed names: a foreign-namespace look-alike
    /// (`x:Recipient`) signed in place of the real one is not the real one.
    #[tokio::test]
    async fn signed_values_are_read_by_exact_name_and_kept_as_signed() {
        let idp = idp();
        let validator = validator(&idp);
        let foreign = idp
            .response()
            .destination(ACS)
            .audience(ACS)
            .recipient("https://elsewhere.example.test/acs")
            .before_signing(|_, xml| {
                *xml = xml.replace(
                    r#"Recipient="https://elsewhere.example.test/acs""#,
                    &format!(r#"xmlns:x="urn:x" x:Recipient="{ACS}""#),
                );
            })
            .build()
            .unwrap();
        assert!(foreign.xml().contains("x:Recipient="));
        assert_eq!(
            validator.validate_post(&foreign.base64(), &[]).await,
            Err(SamlError::WrongRecipient {
                expected: ACS.to_owned()
            })
        );

        // Whitespace-only and padded values come back exactly as signed.
        let padded = idp
            .response()
            .destination(ACS)
            .audience(ACS)
            .attribute("blank", ["   "])
            .attribute("padded", [" a b "])
            .build()
            .unwrap();
        let assertion = validator.validate_post(&padded.base64(), &[]).await.unwrap();
        assert_eq!(assertion.attribute("blank"), ["   "]);
        assert_eq!(assertion.attribute("padded"), [" a b "]);
    }

    #[test]
    fn a_signature_is_checked_against_every_metadata_key() {
        let idp = idp();
        let other = idp.with_rogue_key().unwrap();
        let mut metadata = validator(&other);
        metadata.keys.insert(0, validator(&idp).keys[0].clone()); // the signing key last
        let signed = sign(
            &other,
            &ROOT.replace(
                "{sig}",
                &signature_template("#_root", SignatureAlgorithm::RsaSha256, None, None),
            ),
        );
        assert!(built_in(&metadata, &signed).unwrap().is_ok());
        assert!(built_in(&validator(&idp), &signed).unwrap().is_err());
    }
}
