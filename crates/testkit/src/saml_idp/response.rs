//! Building and signing SAML 2.0 `Response` documents.

use std::fmt::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::{Duration, OffsetDateTime};

use super::xmldsig::{self, XML_DECLARATION, escape, xs_datetime};
use super::{Error, NAME_ID_UNSPECIFIED, SamlIdp, SigningKey};

const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const ENTITY_FORMAT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const PASSWORD_PROTECTED_TRANSPORT: &str = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport";
const ATTRNAME_URI: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri";
const ATTRNAME_BASIC: &str = "urn:oasis:names:tc:SAML:2.0:attrname-format:basic";

/// Which elements carry an enveloped signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sign {
    /// Only the `samlp:Response`.
    Response,
    /// Only the `saml:Assertion`.
    Assertion,
    /// The Assertion, then the Response around it (as IAM Identity Center does).
    Both,
    /// No signature at all.
    Neither,
}

impl Sign {
    fn assertion(self) -> bool {
        matches!(self, Sign::Assertion | Sign::Both)
    }

    fn response(self) -> bool {
        matches!(self, Sign::Response | Sign::Both)
    }
}

/// Signature and digest algorithms of the signatures (an `Ecdsa*` one needs an EC [`SigningKey`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SignatureAlgorithm {
    /// `rsa-sha256` signature with a `sha256` digest.
    #[default]
    RsaSha256,
    /// `rsa-sha384` signature with a `sha384` digest.
    RsaSha384,
    /// `rsa-sha512` signature with a `sha512` digest.
    RsaSha512,
    /// `ecdsa-sha256` signature with a `sha256` digest.
    EcdsaSha256,
    /// `ecdsa-sha384` signature with a `sha384` digest.
    EcdsaSha384,
    /// `rsa-sha1` signature with a `sha1` digest: weak, for negative tests.
    RsaSha1,
    /// `ecdsa-sha1` signature with a `sha1` digest: weak, for negative tests.
    EcdsaSha1,
}

impl SignatureAlgorithm {
    /// The `SignatureMethod/@Algorithm` URI.
    pub fn signature_uri(self) -> &'static str {
        match self {
            Self::RsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            Self::RsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
            Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256",
            Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384",
            Self::RsaSha1 => "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
            Self::EcdsaSha1 => "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
        }
    }

    /// The `DigestMethod/@Algorithm` URI.
    pub fn digest_uri(self) -> &'static str {
        match self {
            Self::RsaSha256 | Self::EcdsaSha256 => "http://www.w3.org/2001/04/xmlenc#sha256",
            Self::RsaSha384 | Self::EcdsaSha384 => "http://www.w3.org/2001/04/xmldsig-more#sha384",
            Self::RsaSha512 => "http://www.w3.org/2001/04/xmlenc#sha512",
            Self::RsaSha1 | Self::EcdsaSha1 => "http://www.w3.org/2000/09/xmldsig#sha1",
        }
    }
}

/// The element whose XML a [`ResponseBuilder::before_signing`] hook receives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignedPart {
    /// The `saml:Assertion` element alone (with its signature template if it is to be signed).
    Assertion,
    /// The whole `samlp:Response` (the assertion inside is already signed if it was to be).
    Response,
}

type BeforeSigningHook<'a> = Box<dyn FnMut(SignedPart, &mut String) + 'a>;

/// Builds one signed `samlp:Response` containing one `saml:Assertion`.
///
/// Defaults: issued now; NotBefore 5 minutes before the issue instant and NotOnOrAfter 1 hour after
/// it (both in `Conditions`; `SubjectConfirmationData` gets the same NotOnOrAfter and no
/// NotBefore); NameID `user` in format unspecified; no Destination, Recipient, Audience,
/// InResponseTo (IdP-initiated) or attributes unless set; a random SessionIndex; Response and
/// Assertion both signed with rsa-sha256 by the IdP's key. Setting `destination` also sets the
/// `Recipient` unless `recipient` is set.
pub struct ResponseBuilder<'a> {
    idp: &'a SamlIdp,
    key: Option<&'a SigningKey>,
    issuer: Option<String>,
    issue_instant: Option<OffsetDateTime>,
    not_before: Option<OffsetDateTime>,
    not_on_or_after: Option<OffsetDateTime>,
    subject_not_before: Option<OffsetDateTime>,
    subject_not_on_or_after: Option<OffsetDateTime>,
    destination: Option<String>,
    recipient: Option<String>,
    audiences: Vec<String>,
    name_id: String,
    name_id_format: String,
    attributes: Vec<(String, Vec<String>)>,
    in_response_to: Option<String>,
    session_index: Option<String>,
    status_code: String,
    sign: Sign,
    algorithm: SignatureAlgorithm,
    before_signing: Option<BeforeSigningHook<'a>>,
}

impl<'a> ResponseBuilder<'a> {
    pub(super) fn new(idp: &'a SamlIdp) -> Self {
        Self {
            idp,
            key: None,
            issuer: None,
            issue_instant: None,
            not_before: None,
            not_on_or_after: None,
            subject_not_before: None,
            subject_not_on_or_after: None,
            destination: None,
            recipient: None,
            audiences: Vec::new(),
            name_id: "user".to_owned(),
            name_id_format: NAME_ID_UNSPECIFIED.to_owned(),
            attributes: Vec::new(),
            in_response_to: None,
            session_index: None,
            status_code: STATUS_SUCCESS.to_owned(),
            sign: Sign::Both,
            algorithm: SignatureAlgorithm::RsaSha256,
            before_signing: None,
        }
    }

    /// Sets the Response `Destination` (the ACS URL), and the `Recipient` unless set separately.
    pub fn destination(mut self, acs_url: impl Into<String>) -> Self {
        self.destination = Some(acs_url.into());
        self
    }

    /// Sets the `SubjectConfirmationData/@Recipient` (defaults to the destination).
    pub fn recipient(mut self, recipient: impl Into<String>) -> Self {
        self.recipient = Some(recipient.into());
        self
    }

    /// Adds an `Audience` to the `AudienceRestriction` (the SP's entity ID).
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Sets the subject's NameID value.
    pub fn name_id(mut self, name_id: impl Into<String>) -> Self {
        self.name_id = name_id.into();
        self
    }

    /// Sets the NameID `Format` (see the `NAME_ID_*` constants).
    pub fn name_id_format(mut self, format: impl Into<String>) -> Self {
        self.name_id_format = format.into();
        self
    }

    /// Adds an attribute with one or more string values, e.g.
    /// `.attribute(AWS_ROLE_ATTRIBUTE, ["arn:aws:iam::111122223333:role/r,arn:aws:iam::111122223333:saml-provider/p"])`.
    /// Names containing `:` get NameFormat `uri`, others `basic`.
    pub fn attribute<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.attributes
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// Sets the issue instant of the Response and Assertion (the clock); the default time window is
    /// relative to it.
    pub fn at(mut self, issue_instant: OffsetDateTime) -> Self {
        self.issue_instant = Some(issue_instant);
        self
    }

    /// Sets `Conditions/@NotBefore`.
    pub fn not_before(mut self, t: OffsetDateTime) -> Self {
        self.not_before = Some(t);
        self
    }

    /// Sets `Conditions/@NotOnOrAfter`, and `SubjectConfirmationData/@NotOnOrAfter` unless set
    /// separately.
    pub fn not_on_or_after(mut self, t: OffsetDateTime) -> Self {
        self.not_on_or_after = Some(t);
        self
    }

    /// Adds a `SubjectConfirmationData/@NotBefore` (absent by default, as the SSO profile wants).
    pub fn subject_not_before(mut self, t: OffsetDateTime) -> Self {
        self.subject_not_before = Some(t);
        self
    }

    /// Sets `SubjectConfirmationData/@NotOnOrAfter` independently of the Conditions.
    pub fn subject_not_on_or_after(mut self, t: OffsetDateTime) -> Self {
        self.subject_not_on_or_after = Some(t);
        self
    }

    /// Sets `InResponseTo` on the Response and the SubjectConfirmationData (SP-initiated login).
    pub fn in_response_to(mut self, request_id: impl Into<String>) -> Self {
        self.in_response_to = Some(request_id.into());
        self
    }

    /// Sets the `AuthnStatement/@SessionIndex` (random by default).
    pub fn session_index(mut self, session_index: impl Into<String>) -> Self {
        self.session_index = Some(session_index.into());
        self
    }

    /// Overrides the `Issuer` of the Response and Assertion (defaults to the IdP's entity ID).
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Sets the top-level `StatusCode/@Value` (Success by default).
    pub fn status_code(mut self, status_code: impl Into<String>) -> Self {
        self.status_code = status_code.into();
        self
    }

    /// Chooses what to sign (both by default).
    pub fn sign(mut self, sign: Sign) -> Self {
        self.sign = sign;
        self
    }

    /// Chooses the signature and digest algorithms (rsa-sha256 by default).
    pub fn algorithm(mut self, algorithm: SignatureAlgorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// Signs with another key and embeds its certificate in `KeyInfo`, while the metadata still
    /// publishes the IdP's own certificate (negative tests).
    pub fn sign_with_key(mut self, key: &'a SigningKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Edits the XML of the Assertion and then of the Response just before each is signed (or
    /// would be, when it is not signed), e.g. to change the signature template's transforms or
    /// digest method, or to sign content a real IdP would not emit. The result must stay well
    /// formed for the signing step.
    pub fn before_signing(mut self, hook: impl FnMut(SignedPart, &mut String) + 'a) -> Self {
        self.before_signing = Some(Box::new(hook));
        self
    }

    /// Builds and signs the response.
    pub fn build(mut self) -> Result<SignedResponse, Error> {
        let idp: &'a SamlIdp = self.idp;
        let key = self.key.unwrap_or(&idp.key);
        let issue_instant = self.issue_instant.unwrap_or_else(OffsetDateTime::now_utc);
        let response_id = xmldsig::random_id()?;
        let assertion_id = xmldsig::random_id()?;
        let session_index = match self.session_index.take() {
            Some(index) => index,
            None => xmldsig::random_id()?,
        };
        let not_on_or_after = self.not_on_or_after.unwrap_or(issue_instant + Duration::hours(1));
        let times = Times {
            issue_instant,
            not_before: self.not_before.unwrap_or(issue_instant - Duration::minutes(5)),
            not_on_or_after,
            subject_not_on_or_after: self.subject_not_on_or_after.unwrap_or(not_on_or_after),
        };

        let mut assertion = self.assertion_xml(&assertion_id, &session_index, &times, key);
        self.run_hook(SignedPart::Assertion, &mut assertion);
        if self.sign.assertion() {
            assertion = xmldsig::sign_enveloped(&assertion, key)?;
        }

        let mut response = self.response_xml(&response_id, &assertion, &times, key);
        self.run_hook(SignedPart::Response, &mut response);
        if self.sign.response() {
            response = xmldsig::sign_enveloped(&response, key)?;
        }

        Ok(SignedResponse {
            xml: format!("{XML_DECLARATION}\n{}", xmldsig::without_declaration(&response)),
            id: response_id,
            assertion_id,
            session_index,
            issue_instant,
            not_on_or_after,
        })
    }

    fn run_hook(&mut self, part: SignedPart, xml: &mut String) {
        if let Some(hook) = self.before_signing.as_mut() {
            hook(part, xml);
        }
    }

    fn issuer_xml(&self) -> String {
        let issuer = self.issuer.as_deref().unwrap_or(&self.idp.entity_id);
        format!(
            r#"<saml:Issuer Format="{ENTITY_FORMAT}">{}</saml:Issuer>"#,
            escape(issuer)
        )
    }

    fn signature_template(&self, id: &str, key: &SigningKey) -> String {
        xmldsig::signature_template(&format!("#{id}"), self.algorithm, None, Some(key))
    }

    fn response_xml(&self, id: &str, assertion: &str, times: &Times, key: &SigningKey) -> String {
        let mut xml = format!(
            r#"<samlp:Response xmlns:samlp="{PROTOCOL_NS}" xmlns:saml="{ASSERTION_NS}" ID="{id}" Version="2.0" IssueInstant="{}""#,
            xs_datetime(times.issue_instant)
        );
        push_optional_attribute(&mut xml, "Destination", self.destination.as_deref());
        push_optional_attribute(&mut xml, "InResponseTo", self.in_response_to.as_deref());
        xml.push('>');
        xml.push_str(&self.issuer_xml());
        if self.sign.response() {
            xml.push_str(&self.signature_template(id, key));
        }
        let _ = write!(
            xml,
            r#"<samlp:Status><samlp:StatusCode Value="{}"/></samlp:Status>"#,
            escape(&self.status_code)
        );
        xml.push_str(assertion);
        xml.push_str("</samlp:Response>");
        xml
    }

    fn assertion_xml(&self, id: &str, session_index: &str, times: &Times, key: &SigningKey) -> String {
        let mut xml = format!(
            concat!(
                r#"<saml:Assertion xmlns:saml="{ns}" xmlns:xs="http://www.w3.org/2001/XMLSchema""#,
                r#" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="{id}" Version="2.0" IssueInstant="{instant}">"#,
            ),
            ns = ASSERTION_NS,
            id = id,
            instant = xs_datetime(times.issue_instant),
        );
        xml.push_str(&self.issuer_xml());
        if self.sign.assertion() {
            xml.push_str(&self.signature_template(id, key));
        }

        // Subject
        let _ = write!(
            xml,
            r#"<saml:Subject><saml:NameID Format="{}">{}</saml:NameID><saml:SubjectConfirmation Method="{BEARER}"><saml:SubjectConfirmationData"#,
            escape(&self.name_id_format),
            escape(&self.name_id),
        );
        let subject_not_before = self.subject_not_before.map(xs_datetime);
        push_optional_attribute(&mut xml, "NotBefore", subject_not_before.as_deref());
        push_optional_attribute(
            &mut xml,
            "NotOnOrAfter",
            Some(&xs_datetime(times.subject_not_on_or_after)),
        );
        push_optional_attribute(
            &mut xml,
            "Recipient",
            self.recipient.as_deref().or(self.destination.as_deref()),
        );
        push_optional_attribute(&mut xml, "InResponseTo", self.in_response_to.as_deref());
        xml.push_str("/></saml:SubjectConfirmation></saml:Subject>");

        // Conditions
        let _ = write!(
            xml,
            r#"<saml:Conditions NotBefore="{}" NotOnOrAfter="{}">"#,
            xs_datetime(times.not_before),
            xs_datetime(times.not_on_or_after)
        );
        if !self.audiences.is_empty() {
            xml.push_str("<saml:AudienceRestriction>");
            for audience in &self.audiences {
                let _ = write!(xml, "<saml:Audience>{}</saml:Audience>", escape(audience));
            }
            xml.push_str("</saml:AudienceRestriction>");
        }
        xml.push_str("</saml:Conditions>");

        // AuthnStatement
        let _ = write!(
            xml,
            concat!(
                r#"<saml:AuthnStatement AuthnInstant="{}" SessionIndex="{}">"#,
                r#"<saml:AuthnContext><saml:AuthnContextClassRef>{}</saml:AuthnContextClassRef></saml:AuthnContext>"#,
                r#"</saml:AuthnStatement>"#,
            ),
            xs_datetime(times.issue_instant),
            escape(session_index),
            PASSWORD_PROTECTED_TRANSPORT
        );

        // AttributeStatement
        if !self.attributes.is_empty() {
            xml.push_str("<saml:AttributeStatement>");
            for (name, values) in &self.attributes {
                let format = if name.contains(':') {
                    ATTRNAME_URI
                } else {
                    ATTRNAME_BASIC
                };
                let _ = write!(xml, r#"<saml:Attribute Name="{}" NameFormat="{format}">"#, escape(name));
                for value in values {
                    let _ = write!(
                        xml,
                        r#"<saml:AttributeValue xsi:type="xs:string">{}</saml:AttributeValue>"#,
                        escape(value)
                    );
                }
                xml.push_str("</saml:Attribute>");
            }
            xml.push_str("</saml:AttributeStatement>");
        }

        xml.push_str("</saml:Assertion>");
        xml
    }
}

struct Times {
    issue_instant: OffsetDateTime,
    not_before: OffsetDateTime,
    not_on_or_after: OffsetDateTime,
    subject_not_on_or_after: OffsetDateTime,
}

fn push_optional_attribute(xml: &mut String, name: &str, value: Option<&str>) {
    if let Some(value) = value {
        let _ = write!(xml, r#" {name}="{}""#, escape(value));
    }
}

/// A built (normally signed) SAML Response.
#[derive(Clone, Debug)]
pub struct SignedResponse {
    xml: String,
    id: String,
    assertion_id: String,
    session_index: String,
    issue_instant: OffsetDateTime,
    not_on_or_after: OffsetDateTime,
}

impl SignedResponse {
    /// The document, with an XML declaration.
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Consumes the response and returns the document.
    pub fn into_xml(self) -> String {
        self.xml
    }

    /// The base64 of the document: the `SAMLResponse` form value of the HTTP-POST binding.
    pub fn base64(&self) -> String {
        STANDARD.encode(self.xml.as_bytes())
    }

    /// The Response `ID`.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The Assertion `ID` (the key of a replay cache).
    pub fn assertion_id(&self) -> &str {
        &self.assertion_id
    }

    /// The `AuthnStatement/@SessionIndex`.
    pub fn session_index(&self) -> &str {
        &self.session_index
    }

    /// The issue instant of the Response and Assertion.
    pub fn issue_instant(&self) -> OffsetDateTime {
        self.issue_instant
    }

    /// The `Conditions/@NotOnOrAfter`.
    pub fn not_on_or_after(&self) -> OffsetDateTime {
        self.not_on_or_after
    }

    /// Edits the XML after signing (negative tests: the signature no longer matches unless the
    /// edit is outside the signed content or invisible to canonicalization).
    pub fn mutate(mut self, edit: impl FnOnce(&mut String)) -> Self {
        edit(&mut self.xml);
        self
    }

    /// Removes every `ds:Signature` element (Response and Assertion).
    pub fn strip_signature(mut self) -> Self {
        self.xml = xmldsig::strip_signatures(&self.xml);
        self
    }
}
