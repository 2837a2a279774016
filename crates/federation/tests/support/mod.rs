//! Shared by the `saml_*` tests: a test IdP, a validator trusting it, and the target of the
//! testkit's threat catalog. The XML surgery helpers live in `studio_fed_testkit::saml_idp::surgery`.
#![allow(dead_code)]

use std::sync::Arc;

use studio_fed_federation::InMemoryReplayCache;
use studio_fed_federation::saml::{IdpMetadata, ResponseValidator, ResponseValidatorBuilder, SamlError};
use studio_fed_testkit::saml_idp::threats::Target;
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

/// The service provider of [`validator`] as a threat-catalog target: Audience = SP, ACS, NameID
/// alice, AWS role attributes.
pub fn target() -> Target {
    Target::new(SP, ACS)
        .name_id("alice")
        .attribute(AWS_ROLE_ATTRIBUTE, [format!("{ROLE},{PROVIDER}")])
        .attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE, ["alice"])
}

/// A normal response: Destination/Recipient = ACS, Audience = SP, NameID alice, AWS attributes.
pub fn base(idp: &SamlIdp, sign: Sign) -> ResponseBuilder<'_> {
    target().response(idp).sign(sign)
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
