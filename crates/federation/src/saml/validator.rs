//! [`ResponseValidator`]: the hardened SAML 2.0 Response (HTTP-POST binding) validator.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider as _, ReduceMode};
use samael::schema::{Assertion, Response};
use time::{Duration, OffsetDateTime};

use super::metadata::chrono_to_time;
use super::xml::{self, Document, ScanError};
use super::{IdpMetadata, SamlError};
use crate::replay::{InMemoryReplayCache, ReplayCache, ReplayError};

const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const NS_EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";

const EXC_C14N: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
const C14N_10: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
const C14N_11: &str = "http://www.w3.org/2006/12/xml-c14n11";
const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const ECDSA_SHA1: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1";
const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const STRONG_DIGESTS: [&str; 3] = [
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
];
const STRONG_SIGNATURES: [AllowedSignatureAlgorithm; 6] = [
    AllowedSignatureAlgorithm::RsaSha256,
    AllowedSignatureAlgorithm::RsaSha384,
    AllowedSignatureAlgorithm::RsaSha512,
    AllowedSignatureAlgorithm::EcdsaSha256,
    AllowedSignatureAlgorithm::EcdsaSha384,
    AllowedSignatureAlgorithm::EcdsaSha512,
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
macro_rules! instant {
    ($t:expr) => {
        chrono_to_time($t.timestamp(), $t.timestamp_subsec_nanos())
    };
}

type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Validates SAML 2.0 Responses from one IdP, for one service provider.
///
/// Only the IdP metadata's certificates are trusted (never a certificate in the response's
/// `KeyInfo`). Security data is read only from what a signature covered: libxmlsec1 verifies every
/// signature and returns the pre-digest (canonical, comment-free) bytes of the signed element
/// (`ReduceMode::PreDigest`), and only those bytes are parsed. Before that, a strict structural
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
    certificates: Vec<CertificateDer>,
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
        let certificates = self
            .metadata
            .signing_certificates()
            .iter()
            .map(|der| CertificateDer::from(der.clone()))
            .collect();
        Ok(ResponseValidator {
            certificates,
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
    response_signed: bool,
    assertion_signed: bool,
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
        let allowed: Option<&[AllowedSignatureAlgorithm]> = if self.allow_sha1 {
            None // our structural pass enforced the (SHA-1-extended) allowlist
        } else {
            Some(&STRONG_SIGNATURES)
        };
        let reduced = Crypto::reduce_xml_to_signed_with_allowed_algorithms(
            xml,
            &self.certificates,
            ReduceMode::PreDigest,
            allowed,
        )
        .map_err(|_| {
            let untrusted = key_info_certificates(&doc, &structure.key_info_x509)
                .iter()
                .any(|c| !self.metadata.signing_certificates().contains(c));
            if untrusted {
                SamlError::UntrustedKey
            } else {
                SamlError::SignatureInvalid
            }
        })?;
        let signed =
            xml::scan(&reduced).map_err(|_| SamlError::SignatureWrapping("the signed bytes are not a document"))?;
        if signed.elements.iter().any(|e| e.has_comment) {
            return Err(SamlError::Malformed("comments inside signed content"));
        }
        let root = signed.root();
        let scope = if root.is(NS_PROTOCOL, "Response") {
            if !structure.response_signed || root.attr("ID") != Some(structure.response_id.as_str()) {
                return Err(SamlError::SignatureWrapping(
                    "the signed Response is not the one received",
                ));
            }
            SignedScope::Response
        } else if root.is(NS_ASSERTION, "Assertion") {
            if !structure.assertion_signed
                || structure.response_signed
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
        let signed_assertions = signed.find_all(NS_ASSERTION, "Assertion");
        if signed_assertions.len() != 1 {
            return Err(SamlError::MultipleAssertions);
        }

        // Response-level data: signed in scope Response; otherwise read from the unsigned document
        // and used only to reject.
        let (status, destination, response_issuer, response_irt, assertion) = match scope {
            SignedScope::Response => {
                let response: Response = reduced
                    .parse()
                    .map_err(|_| SamlError::Malformed("the signed Response cannot be read"))?;
                let assertion = response.assertion.ok_or(SamlError::NoAssertion)?;
                (
                    response.status.and_then(|s| s.status_code.value),
                    response.destination,
                    response.issuer.and_then(|i| i.value),
                    response.in_response_to,
                    assertion,
                )
            }
            SignedScope::Assertion => {
                let assertion: Assertion = reduced
                    .parse()
                    .map_err(|_| SamlError::Malformed("the signed Assertion cannot be read"))?;
                let root = doc.root();
                let status = doc
                    .children_named(0, NS_PROTOCOL, "Status")
                    .first()
                    .and_then(|&s| doc.children_named(s, NS_PROTOCOL, "StatusCode").first().copied())
                    .and_then(|c| doc.elements[c].attr("Value").map(str::to_owned));
                let issuer = doc
                    .children_named(0, NS_ASSERTION, "Issuer")
                    .first()
                    .map(|&i| doc.elements[i].text.trim().to_owned());
                (
                    status,
                    root.attr("Destination").map(str::to_owned),
                    issuer,
                    root.attr("InResponseTo").map(str::to_owned),
                    assertion,
                )
            }
        };
        if assertion.id != structure.assertion_id {
            return Err(SamlError::SignatureWrapping(
                "the signed Assertion is not the one received",
            ));
        }

        // Status, issuer, destination.
        if status.as_deref() != Some(STATUS_SUCCESS) {
            return Err(SamlError::StatusNotSuccess);
        }
        let entity_id = self.metadata.entity_id();
        let wrong_issuer = || SamlError::WrongIssuer {
            expected: entity_id.to_owned(),
        };
        if response_issuer.as_deref().is_some_and(|i| i.trim() != entity_id) {
            return Err(wrong_issuer());
        }
        if assertion.issuer.value.as_deref().map(str::trim) != Some(entity_id) {
            return Err(wrong_issuer());
        }
        let wrong_destination = || SamlError::WrongDestination {
            expected: self.acs_url.clone(),
        };
        match (&destination, scope) {
            (Some(d), _) if *d != self.acs_url => return Err(wrong_destination()),
            (None, SignedScope::Response) => return Err(wrong_destination()),
            _ => {}
        }

        // Time window.
        let skew = self.clock_skew;
        let issue_instant = instant!(assertion.issue_instant)?;
        if now < issue_instant - skew {
            return Err(SamlError::NotYetValid("the assertion's IssueInstant"));
        }
        let conditions = assertion.conditions.as_ref().ok_or(SamlError::WrongAudience {
            expected: self.audiences.clone(),
        })?;
        if let Some(nb) = &conditions.not_before
            && now < instant!(nb)? - skew
        {
            return Err(SamlError::NotYetValid("Conditions NotBefore"));
        }
        let conditions_end = match &conditions.not_on_or_after {
            Some(t) => Some(instant!(t)?),
            None => None,
        };
        if let Some(end) = conditions_end
            && now >= end + skew
        {
            return Err(SamlError::Expired("Conditions NotOnOrAfter"));
        }

        // Audience: every AudienceRestriction must name us.
        let restrictions = conditions.audience_restrictions.as_deref().unwrap_or_default();
        if restrictions.is_empty()
            || !restrictions
                .iter()
                .all(|r| r.audience.iter().any(|a| self.audience_matches(a)))
        {
            return Err(SamlError::WrongAudience {
                expected: self.audiences.clone(),
            });
        }

        // Subject.
        let subject = assertion.subject.as_ref().ok_or(SamlError::NoNameId)?;
        let name_id = subject.name_id.as_ref().ok_or(SamlError::NoNameId)?;
        if name_id.value.trim().is_empty() {
            return Err(SamlError::NoNameId);
        }
        let bearers: Vec<_> = subject
            .subject_confirmations
            .iter()
            .flatten()
            .filter(|c| c.method.as_deref() == Some(BEARER))
            .collect();
        if bearers.is_empty() {
            return Err(SamlError::NoBearerConfirmation);
        }
        let mut first_error = None;
        let mut accepted = None;
        for confirmation in bearers {
            match self.check_confirmation(confirmation, scope, response_irt.as_deref(), expected, now) {
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
        for statement in assertion.attribute_statements.iter().flatten() {
            for attribute in &statement.attributes {
                let Some(name) = &attribute.name else { continue };
                attributes
                    .entry(name.clone())
                    .or_default()
                    .extend(attribute.values.iter().map(|v| v.value.clone().unwrap_or_default()));
            }
        }
        let session_index = assertion
            .authn_statements
            .iter()
            .flatten()
            .find_map(|s| s.session_index.clone());
        Ok(ValidatedAssertion {
            issuer: entity_id.to_owned(),
            name_id: name_id.value.clone(),
            name_id_format: name_id.format.clone(),
            session_index,
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
        confirmation: &samael::schema::SubjectConfirmation,
        scope: SignedScope,
        response_irt: Option<&str>,
        expected: &[&str],
        now: OffsetDateTime,
    ) -> Result<(OffsetDateTime, Option<String>), SamlError> {
        let data = confirmation
            .subject_confirmation_data
            .as_ref()
            .ok_or(SamlError::NoBearerConfirmation)?;
        let skew = self.clock_skew;
        if let Some(nb) = &data.not_before {
            let nb = instant!(nb)?;
            if now < nb - skew {
                return Err(SamlError::NotYetValid("SubjectConfirmationData NotBefore"));
            }
        }
        let end = data.not_on_or_after.as_ref().ok_or(SamlError::NoBearerConfirmation)?;
        let end = instant!(end)?;
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
            for (ns, local, value) in &element.attrs {
                let id_like = ns.is_none() && matches!(local.as_str(), "ID" | "Id" | "id")
                    || ns.as_deref() == Some("http://www.w3.org/XML/1998/namespace") && local == "id";
                if id_like && !ids.insert(value.as_str()) {
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
            let refused = match (element.ns.as_deref(), element.local.as_str()) {
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
            response_signed: false,
            assertion_signed: false,
            key_info_x509: Vec::new(),
        };
        for index in 0..doc.elements.len() {
            let element = &doc.elements[index];
            if element.local != "Signature" && element.local != "SignedInfo" {
                continue;
            }
            if element.ns.as_deref() != Some(NS_DSIG) {
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
                &mut structure.response_signed
            } else {
                &mut structure.assertion_signed
            };
            if *seen {
                return Err(SamlError::SignatureWrapping("two signatures on one element"));
            }
            *seen = true;
            self.check_signature(doc, index, parent_id, is_response)?;
            structure.key_info_x509.extend(
                descendants(doc, index)
                    .into_iter()
                    .filter(|&i| doc.elements[i].is(NS_DSIG, "X509Certificate")),
            );
        }
        if !structure.response_signed && !structure.assertion_signed {
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
        let strong = STRONG_SIGNATURES.iter().any(|a| a.signature_uri() == algorithm);
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
                .text
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
