//! A catalog of attacks on a SAML assertion consumer service, each one HTTP-POST away.
//!
//! [`catalog`] builds every SAML case of the project's threat model (`federation-threats.md`) that
//! is a single POST of a `SAMLResponse` to a service provider configured with this IdP's metadata,
//! an audience and an ACS URL, with IdP-initiated login allowed and SHA-1 not allowed: signature
//! wrapping (XSW1..XSW8), duplicate IDs, edits outside the signed scope, stripped or foreign
//! signatures, HMAC, DOCTYPE/XXE/entity expansion, the ruby-saml parser-differential CVE shapes,
//! audience/recipient/destination mismatches, time windows (relative to the real current time,
//! at least 30 minutes beyond any allowed skew, so no clock needs injecting), several assertions,
//! SHA-1, forbidden transforms and references, and encoding abuse. Each [`Threat`] carries the form
//! value to post and the stable error code (`SamlError::code()` of `studio-fed-federation`) the
//! service provider must answer with; the same catalog drives the validator's tests and the HTTP
//! gateway's.
//!
//! Cases that need another SP configuration or more than one request are not in the catalog:
//! replay (post a valid response twice), `InResponseTo` for an unknown request or an unsolicited
//! response while IdP-initiated login is disabled, metadata without a signing key, and comment
//! injection, where the right outcome is the full text rather than an error ([`comment_injected`]
//! and [`comment_signed`] build those responses).
//!
//! ```no_run
//! # fn main() -> Result<(), studio_fed_testkit::saml_idp::Error> {
//! use studio_fed_testkit::saml_idp::SamlIdp;
//! use studio_fed_testkit::saml_idp::threats::{Target, catalog};
//!
//! let idp = SamlIdp::new("https://idp.example.test/saml")?;
//! let target = Target::new("https://sp.example.test/saml", "https://sp.example.test/saml/acs")
//!     .name_id("alice")
//!     .attribute("username", ["alice"])
//!     .attribute("domain-id", ["d-123"]);
//! for threat in catalog(&idp, &target)? {
//!     // POST SAMLResponse=<form-urlencoded threat.form_value> to the ACS URL, then expect the
//!     // error code `threat.expected_code` (and nobody logged in).
//!     # let _ = threat;
//! }
//! # Ok(()) }
//! ```

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::{Duration, OffsetDateTime};

use super::surgery::{
    assertion_parts, deflate_stored, element_range, insert_before, rename_id, replace_all, replace_first,
    without_declaration, without_first_signature,
};
use super::xmldsig::escape;
use super::{Error, ResponseBuilder, SamlIdp, Sign, SignatureAlgorithm, SignedPart, SignedResponse};

/// The text a comment-injection response carries (see [`comment_injected`]): the value the
/// service provider must return if it accepts the response.
pub const COMMENT_INJECTION_FULL_TEXT: &str = "admin@x.test.evil.test";
/// What a parser that keeps only the first text node returns for [`COMMENT_INJECTION_FULL_TEXT`]
/// with the comment inside: never acceptable.
pub const COMMENT_INJECTION_TRUNCATED_TEXT: &str = "admin@x.test";
/// [`COMMENT_INJECTION_FULL_TEXT`] with the comment inserted after the truncated part.
const COMMENT_INJECTED_TEXT: &str = "admin@x.test<!---->.evil.test";

/// The subject the attacks substitute for the target's NameID.
const EVIL_NAME_ID: &str = "admin@evil.test";
/// Used instead when the target's NameID happens to be [`EVIL_NAME_ID`].
const OTHER_EVIL_NAME_ID: &str = "root@evil.test";
const EVIL_URL: &str = "https://evil.test/acs";

const SHA256_DIGEST: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA1_DIGEST: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const HMAC_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256";
const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const STATUS_REQUESTER: &str = "urn:oasis:names:tc:SAML:2.0:status:Requester";
const EXC_C14N: &str = r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
const EXC_C14N_WITH_COMMENTS: &str =
    r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#;
const EXC_C14N_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;
const XSLT_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="."/></xsl:template></xsl:stylesheet></ds:Transform>"#;
const XPATH_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#;
const XPATH_FILTER2_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="union">/</dsig-xpath:XPath></ds:Transform>"#;

/// Where the responses are addressed, and who they log in: the service provider under test.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The SP's entity ID, put in `AudienceRestriction/Audience`.
    pub audience: String,
    /// The ACS URL, put in the Response `Destination` and the `SubjectConfirmationData/@Recipient`.
    pub acs_url: String,
    /// The subject's NameID (default `alice`).
    pub name_id: String,
    /// The attributes of the valid base response, in order (e.g. `username`, `domain-id`, or the
    /// AWS role attributes), so that only the attack, never a missing attribute, can make the SP
    /// refuse a response.
    pub attributes: Vec<(String, Vec<String>)>,
}

impl Target {
    /// A target with NameID `alice` and no attributes.
    pub fn new(audience: impl Into<String>, acs_url: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            acs_url: acs_url.into(),
            name_id: "alice".to_owned(),
            attributes: Vec::new(),
        }
    }

    /// Sets the NameID.
    pub fn name_id(mut self, name_id: impl Into<String>) -> Self {
        self.name_id = name_id.into();
        self
    }

    /// Adds an attribute with one or more values.
    pub fn attribute<I, V>(mut self, name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = V>,
        V: Into<String>,
    {
        self.attributes
            .push((name.into(), values.into_iter().map(Into::into).collect()));
        self
    }

    /// A valid response for this target from `idp`: IdP-initiated, Destination and Recipient the
    /// ACS URL, the audience, NameID and attributes, Response and Assertion signed (rsa-sha256),
    /// issued now. Every catalog entry starts from this builder (with its own adjustments).
    pub fn response<'a>(&self, idp: &'a SamlIdp) -> ResponseBuilder<'a> {
        self.response_without_audience(idp).audience(self.audience.clone())
    }

    fn response_without_audience<'a>(&self, idp: &'a SamlIdp) -> ResponseBuilder<'a> {
        let builder = idp
            .response()
            .destination(self.acs_url.clone())
            .name_id(self.name_id.clone())
            .sign(Sign::Both);
        self.attributes.iter().fold(builder, |builder, (name, values)| {
            builder.attribute(name.clone(), values.clone())
        })
    }

    /// `>NameID</saml:NameID>` as emitted.
    fn name_id_text(&self) -> String {
        format!(">{}</saml:NameID>", escape(&self.name_id))
    }

    /// The NameID text the attacks substitute.
    fn evil_name_id_text(&self) -> String {
        let evil = if self.name_id == EVIL_NAME_ID {
            OTHER_EVIL_NAME_ID
        } else {
            EVIL_NAME_ID
        };
        format!(">{evil}</saml:NameID>")
    }

    /// `xml` with the subject's NameID replaced by an attacker's.
    fn edit_subject(&self, xml: &str) -> Result<String, Error> {
        replace_all(xml, &self.name_id_text(), &self.evil_name_id_text())
    }
}

/// One attack: a `SAMLResponse` form value and the error the service provider must refuse it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Threat {
    /// A unique `snake_case` name (usable as a test function name), e.g. `xsw3_evil_assertion_first`.
    pub name: &'static str,
    /// The `SAMLResponse` form field's value as a browser posts it (normally base64 of the XML);
    /// form-urlencode it into the request body.
    pub form_value: String,
    /// The code the SP must refuse it with: `SamlError::code()` of `studio-fed-federation`
    /// (e.g. `signature_wrapping`, `multiple_assertions`, `doctype`).
    pub expected_code: &'static str,
}

fn b64(bytes: impl AsRef<[u8]>) -> String {
    STANDARD.encode(bytes)
}

/// Collects the entries, checking names are unique.
#[derive(Default)]
struct Catalog(Vec<Threat>);

impl Catalog {
    /// An entry whose document is `xml` (posted as base64, as the HTTP-POST binding does).
    fn xml(&mut self, name: &'static str, xml: &str, expected_code: &'static str) {
        self.form(name, b64(xml), expected_code);
    }

    /// An entry posted as the given form value.
    fn form(&mut self, name: &'static str, form_value: String, expected_code: &'static str) {
        debug_assert!(self.0.iter().all(|t| t.name != name), "duplicate threat name {name}");
        self.0.push(Threat {
            name,
            form_value,
            expected_code,
        });
    }
}

/// Every attack of the threat model that is one POST to an SP configured with `idp`'s metadata,
/// `target.audience` and `target.acs_url`, IdP-initiated login allowed and SHA-1 refused (see the
/// module documentation). Names are unique; the list is built anew (fresh IDs, current time) on
/// each call.
pub fn catalog(idp: &SamlIdp, target: &Target) -> Result<Vec<Threat>, Error> {
    let mut c = Catalog::default();
    signature_wrapping(&mut c, idp, target)?;
    signed_scope(&mut c, idp, target)?;
    signatures(&mut c, idp, target)?;
    doctype(&mut c, idp, target)?;
    parser_differentials(&mut c, idp, target)?;
    addressing(&mut c, idp, target)?;
    time_window(&mut c, idp, target)?;
    multiple_assertions(&mut c, idp, target)?;
    algorithms_and_transforms(&mut c, idp, target)?;
    encoding(&mut c, idp, target)?;
    Ok(c.0)
}

/// XSW1..XSW8 (SAML Raider's layouts) and duplicate IDs.
fn signature_wrapping(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    // XSW1/XSW2: the signed Response is copied, the copy edited (new IDs), the original kept.
    let r = t.response(idp).sign(Sign::Response).build()?;
    let body = without_declaration(r.xml());
    let original = without_first_signature(body)?;
    let evil = t.edit_subject(&rename_id(
        &rename_id(body, r.id(), "_evilresp"),
        r.assertion_id(),
        "_evilassert",
    ))?;
    // XSW1: the evil Response at the root with the original signature, the original inside it.
    c.xml(
        "xsw1_original_response_inside_signature",
        &insert_before(&evil, "</ds:Signature>", &original)?,
        "signature_wrapping",
    );
    // XSW2: the same, the original before the signature (a detached signature).
    c.xml(
        "xsw2_original_response_before_signature",
        &insert_before(&evil, "<ds:Signature ", &original)?,
        "signature_wrapping",
    );
    // XSW1 keeping the assertion's ID in the copy.
    let evil_same_assertion_id = t.edit_subject(&rename_id(body, r.id(), "_evilresp"))?;
    c.xml(
        "xsw1_copy_keeps_the_assertion_id",
        &insert_before(&evil_same_assertion_id, "</ds:Signature>", &original)?,
        "duplicate_id",
    );

    // XSW3..XSW8: the signed Assertion is copied, the copy edited.
    let r = t.response(idp).sign(Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml())?;
    let original = without_first_signature(signed)?;
    let evil_unsigned = t.edit_subject(&rename_id(&original, r.assertion_id(), "_evil"))?;
    let evil_signed = t.edit_subject(&rename_id(signed, r.assertion_id(), "_evil"))?;
    // XSW3: an evil unsigned Assertion before the signed one.
    c.xml(
        "xsw3_evil_assertion_before_signed_assertion",
        &format!("{head}{evil_unsigned}{signed}{tail}"),
        "multiple_assertions",
    );
    // XSW4: an evil Assertion wrapping the signed one.
    let wrapper = replace_first(
        &evil_unsigned,
        "</saml:Assertion>",
        &format!("{signed}</saml:Assertion>"),
    )?;
    c.xml(
        "xsw4_evil_assertion_wraps_signed_assertion",
        &format!("{head}{wrapper}{tail}"),
        "multiple_assertions",
    );
    // XSW5: the evil copy keeps the signature; the original, unsigned, appended to the Response.
    c.xml(
        "xsw5_evil_copy_keeps_signature_original_appended",
        &insert_before(&format!("{head}{evil_signed}{tail}"), "</samlp:Response>", &original)?,
        "multiple_assertions",
    );
    // XSW6: the evil copy keeps the signature, the original inside that signature.
    let evil_with_original = insert_before(&evil_signed, "</ds:Signature>", &original)?;
    c.xml(
        "xsw6_original_assertion_inside_signature_of_evil_copy",
        &format!("{head}{evil_with_original}{tail}"),
        "multiple_assertions",
    );
    // XSW7: the signed Assertion moved into samlp:Extensions, an evil one in its place.
    let head_with_extensions = insert_before(
        head,
        "<samlp:Status>",
        &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
    )?;
    c.xml(
        "xsw7_signed_assertion_in_extensions",
        &format!("{head_with_extensions}{evil_unsigned}{tail}"),
        "multiple_assertions",
    );
    // XSW7 with no other assertion: the only (signed) one is not where SAML puts it.
    c.xml(
        "xsw7_only_assertion_in_extensions",
        &format!("{head_with_extensions}{tail}"),
        "signature_wrapping",
    );
    // XSW8: the evil copy carries the signature, whose ds:Object holds the original.
    let object = format!("<ds:Object>{original}</ds:Object>");
    c.xml(
        "xsw8_original_assertion_in_signature_object",
        &format!(
            "{head}{}{tail}",
            insert_before(&evil_signed, "</ds:Signature>", &object)?
        ),
        "multiple_assertions",
    );
    // A ds:Object alone (no second assertion) is refused as well.
    c.xml(
        "signature_with_object",
        &insert_before(r.xml(), "</ds:Signature>", "<ds:Object>x</ds:Object>")?,
        "unexpected_element",
    );

    // Two elements with the same ID.
    c.xml(
        "duplicate_ids",
        &replace_first(
            r.xml(),
            "<samlp:Status>",
            &format!(r#"<samlp:Status ID="{}">"#, r.assertion_id()),
        )?,
        "duplicate_id",
    );
    Ok(())
}

/// Edits outside the signed scope: only the signed level's data may be trusted.
fn signed_scope(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    let r = t.response(idp).sign(Sign::Response).build()?;
    c.xml(
        "response_signed_assertion_edited",
        &t.edit_subject(r.xml())?,
        "signature_invalid",
    );

    let r = t.response(idp).sign(Sign::Assertion).build()?;
    c.xml(
        "assertion_signed_unsigned_destination_edited",
        &replace_all(
            r.xml(),
            &format!(r#"Destination="{}""#, escape(&t.acs_url)),
            &format!(r#"Destination="{EVIL_URL}""#),
        )?,
        "wrong_destination",
    );
    c.xml(
        "assertion_signed_unsigned_status_edited",
        &replace_all(r.xml(), STATUS_SUCCESS, STATUS_REQUESTER)?,
        "status_not_success",
    );
    // The first Issuer is the (unsigned) Response's.
    c.xml(
        "assertion_signed_unsigned_issuer_edited",
        &replace_first(
            r.xml(),
            &format!(">{}</saml:Issuer>", escape(idp.entity_id())),
            ">https://evil.test</saml:Issuer>",
        )?,
        "wrong_issuer",
    );
    Ok(())
}

/// Missing, foreign and HMAC signatures.
fn signatures(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    for (name, sign) in [
        ("signature_stripped_response_signed", Sign::Response),
        ("signature_stripped_assertion_signed", Sign::Assertion),
        ("signature_stripped_both_signed", Sign::Both),
    ] {
        let r = t.response(idp).sign(sign).build()?.strip_signature();
        c.xml(name, r.xml(), "signature_missing");
    }
    c.xml(
        "unsigned_response",
        t.response(idp).sign(Sign::Neither).build()?.xml(),
        "signature_missing",
    );

    // Another key, its certificate in KeyInfo.
    let rogue = idp.with_rogue_key()?;
    for (name, sign) in [
        ("rogue_key_response_signed", Sign::Response),
        ("rogue_key_assertion_signed", Sign::Assertion),
        ("rogue_key_both_signed", Sign::Both),
    ] {
        c.xml(name, t.response(&rogue).sign(sign).build()?.xml(), "untrusted_key");
    }

    let r = t.response(idp).sign(Sign::Response).build()?;
    c.xml(
        "hmac_signature",
        &replace_all(r.xml(), RSA_SHA256, HMAC_SHA256)?,
        "hmac_signature",
    );
    Ok(())
}

/// DTD, XXE and entity expansion.
fn doctype(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    let r = t.response(idp).build()?;
    let xxe = replace_first(
        r.xml(),
        "<samlp:Response",
        r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response"#,
    )?;
    c.xml(
        "doctype_external_entity",
        &replace_all(&xxe, &t.name_id_text(), ">&x;</saml:NameID>")?,
        "doctype",
    );
    c.xml(
        "doctype_entity_expansion",
        &replace_first(
            r.xml(),
            "<samlp:Response",
            r#"<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><samlp:Response"#,
        )?,
        "doctype",
    );
    c.xml(
        "doctype_without_entities",
        &replace_first(r.xml(), "<samlp:Response", "<!DOCTYPE samlp:Response><samlp:Response")?,
        "doctype",
    );
    // An entity reference without any declaration.
    c.xml(
        "undeclared_entity",
        &replace_all(r.xml(), &t.name_id_text(), ">&x;</saml:NameID>")?,
        "malformed_xml",
    );
    Ok(())
}

/// The ruby-saml parser-differential shapes.
fn parser_differentials(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    let r = t.response(idp).sign(Sign::Assertion).build()?;

    // CVE-2024-45409: the assertion edited, and a DigestValue matching the edit smuggled into the
    // unsigned Response, for a verifier that reads the digest from anywhere in the document.
    let smuggled = r#"<ds:DigestValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>"#;
    let edited = t.edit_subject(r.xml())?;
    c.xml(
        "cve_2024_45409_digest_value_in_extensions",
        &insert_before(
            &edited,
            "<samlp:Status>",
            &format!("<samlp:Extensions>{smuggled}</samlp:Extensions>"),
        )?,
        "unexpected_element",
    );
    c.xml(
        "cve_2024_45409_digest_value_in_status_detail",
        &replace_first(
            &edited,
            "</samlp:Status>",
            &format!("<samlp:StatusDetail>{smuggled}</samlp:StatusDetail></samlp:Status>"),
        )?,
        "signature_invalid",
    );

    // CVE-2025-25291: parsers disagree on documents with a DOCTYPE (ATTLIST, comments inside).
    c.xml(
        "cve_2025_25291_doctype_parser_differential",
        &replace_first(
            r.xml(),
            "<samlp:Response",
            r#"<!DOCTYPE samlp:Response [<!ATTLIST saml:Assertion ID ID #IMPLIED><!-- ]><x> -->]><samlp:Response"#,
        )?,
        "doctype",
    );

    // CVE-2025-25292: namespace confusion. A fake Signature with a forged SignedInfo in a foreign
    // namespace, next to an edited assertion...
    let (head, signed, tail) = assertion_parts(r.xml())?;
    let fake_signature = r#"<ds:Signature xmlns:ds="urn:evil"><ds:SignedInfo/></ds:Signature>"#;
    c.xml(
        "cve_2025_25292_signature_in_foreign_namespace",
        &format!(
            "{}{}{tail}",
            insert_before(head, "<samlp:Status>", fake_signature)?,
            t.edit_subject(signed)?
        ),
        "unexpected_element",
    );
    // ...and a look-alike assertion in a foreign namespace beside the signed one.
    let lookalike = replace_first(
        &rename_id(&without_first_signature(signed)?, r.assertion_id(), "_evil"),
        "<saml:Assertion ",
        r#"<saml:Assertion xmlns:saml="urn:evil" "#,
    )?;
    let lookalike = replace_first(&lookalike, r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#, "")?;
    c.xml(
        "cve_2025_25292_lookalike_assertion_in_foreign_namespace",
        &format!("{head}{lookalike}{signed}{tail}"),
        "multiple_assertions",
    );
    Ok(())
}

/// Audience, recipient and destination mismatches (each signed by the IdP).
fn addressing(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    c.xml(
        "audience_mismatch",
        t.response_without_audience(idp)
            .audience("https://other.test/sp")
            .build()?
            .xml(),
        "wrong_audience",
    );
    c.xml(
        "audience_missing",
        t.response_without_audience(idp).build()?.xml(),
        "wrong_audience",
    );
    c.xml(
        "recipient_mismatch",
        t.response(idp).recipient(EVIL_URL).build()?.xml(),
        "wrong_recipient",
    );
    c.xml(
        "destination_mismatch",
        t.response(idp)
            .destination(EVIL_URL)
            .recipient(t.acs_url.clone())
            .build()?
            .xml(),
        "wrong_destination",
    );
    Ok(())
}

/// Validity windows, 30 minutes beyond the largest clock skew a validator allows (10 minutes).
fn time_window(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    let now = OffsetDateTime::now_utc();
    let margin = Duration::minutes(30);
    c.xml(
        "issue_instant_in_the_future",
        t.response(idp).at(now + margin).build()?.xml(),
        "not_yet_valid",
    );
    c.xml(
        "conditions_not_before_in_the_future",
        t.response(idp)
            .not_before(now + margin)
            .not_on_or_after(now + Duration::hours(2))
            .build()?
            .xml(),
        "not_yet_valid",
    );
    c.xml(
        "conditions_not_on_or_after_in_the_past",
        t.response(idp)
            .at(now - Duration::hours(1))
            .not_on_or_after(now - margin)
            .subject_not_on_or_after(now + Duration::hours(1))
            .build()?
            .xml(),
        "expired",
    );
    c.xml(
        "subject_confirmation_not_before_in_the_future",
        t.response(idp).subject_not_before(now + margin).build()?.xml(),
        "not_yet_valid",
    );
    c.xml(
        "subject_confirmation_not_on_or_after_in_the_past",
        t.response(idp).subject_not_on_or_after(now - margin).build()?.xml(),
        "expired",
    );
    Ok(())
}

/// A second assertion (another subject) beside the signed one.
fn multiple_assertions(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    for (name, sign) in [
        ("multiple_assertions_response_signed", Sign::Response),
        ("multiple_assertions_both_signed", Sign::Both),
    ] {
        let r = t.response(idp).sign(sign).build()?;
        let (head, signed, tail) = assertion_parts(r.xml())?;
        let mut second = rename_id(&t.edit_subject(signed)?, r.assertion_id(), "_second");
        if sign == Sign::Both {
            second = without_first_signature(&second)?;
        }
        c.xml(name, &format!("{head}{signed}{second}{tail}"), "multiple_assertions");
    }
    // An EncryptedAssertion instead of the assertion.
    let r = t.response(idp).sign(Sign::Response).build()?;
    let (head, _, tail) = assertion_parts(r.xml())?;
    c.xml(
        "encrypted_assertion",
        &format!(
            r#"{head}<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>{tail}"#
        ),
        "encrypted_assertion_unsupported",
    );
    Ok(())
}

/// A response whose Response signature's SignedInfo carries `transform` before the exclusive c14n
/// one: signed that way if the test IdP can, otherwise inserted after signing.
fn with_transform(idp: &SamlIdp, t: &Target, transform: &str) -> Result<String, Error> {
    let with = format!("{transform}{EXC_C14N_TRANSFORM}");
    let signed = t
        .response(idp)
        .sign(Sign::Response)
        .before_signing(|part, xml| {
            if part == SignedPart::Response {
                *xml = xml.replacen(EXC_C14N_TRANSFORM, &with, 1);
            }
        })
        .build();
    let xml = match signed {
        Ok(r) => r.into_xml(),
        Err(_) => replace_first(
            t.response(idp).sign(Sign::Response).build()?.xml(),
            EXC_C14N_TRANSFORM,
            &with,
        )?,
    };
    if xml.contains(transform) {
        Ok(xml)
    } else {
        Err(Error::Surgery("the transform was not added to the signature".into()))
    }
}

/// SHA-1, forbidden transforms and references.
fn algorithms_and_transforms(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    c.xml(
        "rsa_sha1_signature",
        t.response(idp).algorithm(SignatureAlgorithm::RsaSha1).build()?.xml(),
        "weak_algorithm",
    );
    let r = t
        .response(idp)
        .before_signing(|_, xml| *xml = xml.replace(SHA256_DIGEST, SHA1_DIGEST))
        .build()?;
    if !r.xml().contains(SHA1_DIGEST) {
        return Err(Error::Surgery("the SHA-1 digest method was not signed in".into()));
    }
    c.xml("sha1_digest", r.xml(), "weak_algorithm");

    c.xml(
        "xslt_transform",
        &with_transform(idp, t, XSLT_TRANSFORM)?,
        "forbidden_transform",
    );
    c.xml(
        "xpath_transform",
        &with_transform(idp, t, XPATH_TRANSFORM)?,
        "forbidden_transform",
    );
    c.xml(
        "xpath_filter2_transform",
        &with_transform(idp, t, XPATH_FILTER2_TRANSFORM)?,
        "forbidden_transform",
    );
    let r = t.response(idp).sign(Sign::Response).build()?;
    c.xml(
        "xpointer_reference",
        &replace_first(r.xml(), &format!(r##"URI="#{}""##, r.id()), r##"URI="#xpointer(/)""##)?,
        "bad_reference",
    );
    c.xml(
        "c14n_with_comments",
        &replace_first(r.xml(), EXC_C14N, EXC_C14N_WITH_COMMENTS)?,
        "forbidden_transform",
    );

    // The Response's signature pointing at the Assertion; a SignedInfo with two References.
    let r = t.response(idp).sign(Sign::Both).build()?;
    c.xml(
        "reference_to_another_element",
        &replace_first(
            r.xml(),
            &format!(r##"URI="#{}""##, r.id()),
            &format!(r##"URI="#{}""##, r.assertion_id()),
        )?,
        "bad_reference",
    );
    let reference = element_range(r.xml(), "<ds:Reference ", "</ds:Reference>")?;
    c.xml(
        "two_references",
        &insert_before(r.xml(), "</ds:SignedInfo>", &r.xml()[reference])?,
        "bad_reference",
    );
    Ok(())
}

/// Encodings the HTTP-POST binding does not allow, and an oversized response.
fn encoding(c: &mut Catalog, idp: &SamlIdp, t: &Target) -> Result<(), Error> {
    c.form("bad_base64", "not base64!!".to_owned(), "bad_encoding");
    // A form value left URL-encoded (decoded once too few).
    let valid = t.response(idp).build()?.base64();
    let mut urlencoded = valid.replace('+', "%2B").replace('/', "%2F").replace('=', "%3D");
    if urlencoded == valid {
        urlencoded.push_str("%3D");
    }
    c.form("url_encoded_base64", urlencoded, "bad_encoding");

    let r = t.response(idp).build()?;
    c.form(
        "deflated_payload",
        b64(deflate_stored(r.xml().as_bytes())),
        "deflated_payload",
    );

    // A non-ASCII NameID, so that the document has characters to mis-encode.
    let r = t.response(idp).name_id("élève").build()?;
    let latin1: Vec<u8> = r
        .xml()
        .chars()
        .map(|ch| u8::try_from(u32::from(ch)).unwrap_or(b'?'))
        .collect();
    c.form("latin1_bytes", b64(latin1), "bad_encoding");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(r.xml().encode_utf16().flat_map(u16::to_le_bytes));
    c.form("utf16_bytes", b64(utf16), "bad_encoding");
    c.xml(
        "declared_encoding_other_than_utf8",
        &replace_first(r.xml(), r#"encoding="UTF-8""#, r#"encoding="ISO-8859-1""#)?,
        "malformed_xml",
    );

    // Over the validator's default maximum of 256 KiB.
    c.xml(
        "oversized",
        t.response(idp)
            .attribute("padding", ["x".repeat(300 * 1024)])
            .build()?
            .xml(),
        "too_large",
    );
    Ok(())
}

/// The comment-injection attack: a response for `target` (signed as `sign`) whose NameID, and an
/// `email` attribute, are [`COMMENT_INJECTION_FULL_TEXT`]; after signing, `<!---->` is inserted in
/// every text node with that value (`admin@x.test<!---->.evil.test`). Canonicalization drops
/// comments, so the signature still verifies: an SP must return the full text (or refuse), never
/// [`COMMENT_INJECTION_TRUNCATED_TEXT`]. Give `target` an attribute with the full text too (e.g.
/// `username`) to have it injected there as well.
pub fn comment_injected(idp: &SamlIdp, target: &Target, sign: Sign) -> Result<SignedResponse, Error> {
    let full = format!(">{COMMENT_INJECTION_FULL_TEXT}<");
    let injected = format!(">{COMMENT_INJECTED_TEXT}<");
    let r = target
        .response(idp)
        .name_id(COMMENT_INJECTION_FULL_TEXT)
        .attribute("email", [COMMENT_INJECTION_FULL_TEXT])
        .sign(sign)
        .build()?;
    if !r.xml().contains(&full) {
        return Err(Error::Surgery("the NameID text was not emitted as expected".into()));
    }
    Ok(r.mutate(|xml| *xml = xml.replace(&full, &injected)))
}

/// Like [`comment_injected`], but the comment is in the NameID before signing (an IdP signing
/// such a value): the outcome must be the same, the full text.
pub fn comment_signed(idp: &SamlIdp, target: &Target, sign: Sign) -> Result<SignedResponse, Error> {
    let full = format!(">{COMMENT_INJECTION_FULL_TEXT}</saml:NameID>");
    let injected = format!(">{COMMENT_INJECTED_TEXT}</saml:NameID>");
    let r = target
        .response(idp)
        .name_id(COMMENT_INJECTION_FULL_TEXT)
        .sign(sign)
        .before_signing(|part, xml| {
            if part == SignedPart::Assertion {
                *xml = xml.replace(&full, &injected);
            }
        })
        .build()?;
    if r.xml().contains(COMMENT_INJECTED_TEXT) {
        Ok(r)
    } else {
        Err(Error::Surgery("the comment was not signed into the NameID".into()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_catalog_has_unique_names_and_decodable_form_values() -> Result<(), Error> {
        let idp = SamlIdp::new("https://idp.example.test/saml")?;
        let target = Target::new("https://sp.example.test/saml", "https://sp.example.test/saml/acs")
            .name_id("alice")
            .attribute("username", ["alice"])
            .attribute("domain-id", ["d-123"]);
        let threats = catalog(&idp, &target)?;
        let names: HashSet<&str> = threats.iter().map(|t| t.name).collect();
        assert_eq!(names.len(), threats.len(), "names are unique");
        assert!(threats.len() >= 50, "{} entries", threats.len());
        for threat in &threats {
            assert!(
                threat
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{}",
                threat.name
            );
            assert!(!threat.expected_code.is_empty());
            assert!(!threat.form_value.is_empty(), "{}", threat.name);
        }
        // The XML entries carry their attack.
        let xml = |name: &str| -> String {
            let threat = threats.iter().find(|t| t.name == name);
            let decoded = threat.and_then(|t| STANDARD.decode(&t.form_value).ok());
            String::from_utf8_lossy(&decoded.unwrap_or_default()).into_owned()
        };
        assert_eq!(
            xml("xsw3_evil_assertion_before_signed_assertion")
                .matches("<saml:Assertion ")
                .count(),
            2
        );
        assert!(xml("xsw3_evil_assertion_before_signed_assertion").contains(">admin@evil.test</saml:NameID>"));
        assert!(xml("doctype_external_entity").contains("<!ENTITY x SYSTEM"));
        assert!(xml("hmac_signature").contains(HMAC_SHA256));
        assert!(xml("xslt_transform").contains("REC-xslt-19991116"));
        assert!(xml("audience_missing").contains("<saml:Conditions") && !xml("audience_missing").contains("Audience>"));
        assert!(xml("sha1_digest").contains(SHA1_DIGEST));
        Ok(())
    }

    #[test]
    fn the_evil_subject_differs_from_the_target() -> Result<(), Error> {
        let t = Target::new("a", "b").name_id(EVIL_NAME_ID);
        let edited = t.edit_subject(&format!("<saml:NameID>{EVIL_NAME_ID}</saml:NameID>"))?;
        assert_eq!(edited, format!("<saml:NameID>{OTHER_EVIL_NAME_ID}</saml:NameID>"));
        Ok(())
    }

    #[test]
    fn comment_injection_helpers_inject_the_comment() -> Result<(), Error> {
        let idp = SamlIdp::new("https://idp.example.test/saml")?;
        let target = Target::new("https://sp.example.test/saml", "https://sp.example.test/saml/acs");
        let r = comment_injected(&idp, &target, Sign::Both)?;
        assert!(r.xml().contains(&format!("{COMMENT_INJECTED_TEXT}</saml:NameID>")));
        assert!(
            r.xml()
                .contains(&format!("{COMMENT_INJECTED_TEXT}</saml:AttributeValue>"))
        );
        let r = comment_signed(&idp, &target, Sign::Assertion)?;
        assert!(r.xml().contains(&format!("{COMMENT_INJECTED_TEXT}</saml:NameID>")));
        Ok(())
    }
}
