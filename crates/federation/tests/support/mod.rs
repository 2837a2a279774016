//! Shared by the `saml_*` tests: a test IdP, a validator trusting it, and XML surgery helpers.
#![allow(dead_code)]

use std::sync::Arc;

use studio_fed_federation::InMemoryReplayCache;
use studio_fed_federation::saml::{IdpMetadata, ResponseValidator, ResponseValidatorBuilder, SamlError};
use studio_fed_testkit::saml_idp::{
    AWS_ROLE_ATTRIBUTE, AWS_ROLE_SESSION_NAME_ATTRIBUTE, ResponseBuilder, SamlIdp, Sign,
};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const IDP: &str = "https://idp.example.test/saml/metadata";
pub const SP: &str = "https://sp.example.test/saml";
pub const ACS: &str = "https://sp.example.test/saml/acs";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/Studio";
pub const PROVIDER: &str = "arn:aws:iam::111122223333:saml-provider/Test";

pub fn idp() -> SamlIdp {
    SamlIdp::new(IDP).expect("test IdP")
}

/// A validator for `idp` (IdP-initiated allowed, so most tests need no request ID).
pub fn builder(idp: &SamlIdp) -> ResponseValidatorBuilder {
    ResponseValidator::builder(IdpMetadata::from_xml(&idp.metadata_xml()).expect("metadata"))
        .audience(SP)
        .acs_url(ACS)
        .allow_idp_initiated(true)
        .replay_cache(Arc::new(InMemoryReplayCache::new()))
}

pub fn validator(idp: &SamlIdp) -> ResponseValidator {
    builder(idp).build().expect("validator")
}

/// A normal response: Destination/Recipient = ACS, Audience = SP, NameID alice, AWS attributes.
pub fn base(idp: &SamlIdp, sign: Sign) -> ResponseBuilder<'_> {
    idp.response()
        .destination(ACS)
        .audience(SP)
        .name_id("alice")
        .attribute(AWS_ROLE_ATTRIBUTE, [format!("{ROLE},{PROVIDER}")])
        .attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE, ["alice"])
        .sign(sign)
}

/// Sends base64 of `xml` through `validate_post` and returns the error (panics on acceptance).
pub async fn reject_xml(validator: &ResponseValidator, xml: &str) -> SamlError {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(xml.as_bytes());
    match validator.validate_post(&b64, &[]).await {
        Ok(a) => panic!("accepted a response that must be refused (name_id {:?})", a.name_id),
        Err(e) => e,
    }
}

/// Byte range of the first `<open ...>...</close>` element starting at a tag beginning with `open`.
pub fn element_range(xml: &str, open: &str, close: &str) -> std::ops::Range<usize> {
    let start = xml.find(open).unwrap_or_else(|| panic!("{open} not found"));
    let end = start + xml[start..].find(close).unwrap_or_else(|| panic!("{close} not found")) + close.len();
    start..end
}

/// The last `<open ...>...</close>` range (for nested closes, e.g. the Assertion's).
pub fn assertion_range(xml: &str) -> std::ops::Range<usize> {
    let start = xml.find("<saml:Assertion ").expect("assertion");
    let end = xml.rfind("</saml:Assertion>").expect("assertion end") + "</saml:Assertion>".len();
    start..end
}

/// Removes the first `<ds:Signature ...>...</ds:Signature>` in `xml`.
pub fn without_first_signature(xml: &str) -> String {
    let r = element_range(xml, "<ds:Signature ", "</ds:Signature>");
    format!("{}{}", &xml[..r.start], &xml[r.end..])
}

/// Inserts `what` just before the first occurrence of `marker`.
pub fn insert_before(xml: &str, marker: &str, what: &str) -> String {
    let at = xml.find(marker).unwrap_or_else(|| panic!("{marker} not found"));
    format!("{}{}{}", &xml[..at], what, &xml[at..])
}

/// Inserts `what` just after the first occurrence of `marker`.
pub fn insert_after(xml: &str, marker: &str, what: &str) -> String {
    let at = xml.find(marker).unwrap_or_else(|| panic!("{marker} not found")) + marker.len();
    format!("{}{}{}", &xml[..at], what, &xml[at..])
}

/// Replaces the `ID="old"` attribute (not references to it).
pub fn rename_id(xml: &str, old: &str, new: &str) -> String {
    xml.replace(&format!(r#"ID="{old}""#), &format!(r#"ID="{new}""#))
}
