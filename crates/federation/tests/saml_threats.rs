//! The SAML rows of `federation-threats.md`: every attack goes through `validate_post` (the entry
//! point a browser's POST reaches) and must fail with its specific [`SamlError`].
//!
//! The attacks that are one POST to a normally configured SP come from the testkit's catalog
//! (`studio_fed_testkit::saml_idp::threats`), which the HTTP gateway's tests replay too: one test
//! per entry checks the entry's stable code and the exact variant. The cases that need another
//! configuration, several requests, or assert more than an error follow.

mod support;

use std::sync::LazyLock;

use studio_fed_federation::saml::{IdpMetadata, SamlError, SignedScope};
use studio_fed_testkit::saml_idp::surgery::remove_element;
use studio_fed_testkit::saml_idp::threats::{
    COMMENT_INJECTION_FULL_TEXT, COMMENT_INJECTION_TRUNCATED_TEXT, Threat, catalog, comment_injected, comment_signed,
};
use studio_fed_testkit::saml_idp::{SamlIdp, Sign, SignatureAlgorithm};
use support::*;
use time::{Duration, OffsetDateTime};

// --- the catalog ---------------------------------------------------------------------------------

/// The catalog and the IdP that signed it, built once per test binary (its time-window entries are
/// relative to now, with a 30-minute margin).
struct Built {
    idp: SamlIdp,
    threats: Vec<Threat>,
}

static CATALOG: LazyLock<Built> = LazyLock::new(|| {
    let idp = idp();
    let threats = catalog(&idp, &target()).expect("the threat catalog builds");
    Built { idp, threats }
});

/// Posts the catalog entry `name` to a fresh validator for the catalog's IdP: it must be refused
/// with the entry's code, by a message that does not repeat the subject.
async fn refuse(name: &str) -> SamlError {
    let built = &*CATALOG;
    let threat = built
        .threats
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no catalog entry {name}"));
    let error = match validator(&built.idp).validate_post(&threat.form_value, &[]).await {
        Ok(a) => panic!(
            "{name}: accepted a response that must be refused (name_id {:?})",
            a.name_id
        ),
        Err(error) => error,
    };
    assert_eq!(error.code(), threat.expected_code, "{name}: {error:?}");
    let message = error.to_string();
    assert!(
        !message.contains("alice") && !message.contains("evil.test"),
        "{name}: the message shows the assertion's contents: {message}"
    );
    error
}

/// One `#[tokio::test]` per catalog entry, asserting the exact error (pattern and guard) besides the
/// code, and `TESTED`, the names covered.
macro_rules! catalog_tests {
    ($($name:ident => $pattern:pat $(if $guard:expr)?),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let error = refuse(stringify!($name)).await;
                assert!(matches!(error, $pattern $(if $guard)?), "{}: {error:?}", stringify!($name));
            }
        )*

        /// The catalog entries that have a test above.
        const TESTED: &[&str] = &[$(stringify!($name)),*];
    };
}

catalog_tests! {
    // XSW1..XSW8 (SAML Raider's layouts).
    xsw1_original_response_inside_signature => SamlError::SignatureWrapping("a second Response inside the Response"),
    xsw2_original_response_before_signature => SamlError::SignatureWrapping("a second Response inside the Response"),
    xsw1_copy_keeps_the_assertion_id => SamlError::DuplicateId,
    xsw3_evil_assertion_before_signed_assertion => SamlError::MultipleAssertions,
    xsw4_evil_assertion_wraps_signed_assertion => SamlError::MultipleAssertions,
    xsw5_evil_copy_keeps_signature_original_appended => SamlError::MultipleAssertions,
    xsw6_original_assertion_inside_signature_of_evil_copy => SamlError::MultipleAssertions,
    xsw7_signed_assertion_in_extensions => SamlError::MultipleAssertions,
    xsw7_only_assertion_in_extensions =>
        SamlError::SignatureWrapping("the Assertion is not a direct child of the Response"),
    xsw8_original_assertion_in_signature_object => SamlError::MultipleAssertions,
    signature_with_object => SamlError::UnexpectedElement("ds:Object"),
    duplicate_ids => SamlError::DuplicateId,
    // Signed scope: data outside it can only refuse.
    response_signed_assertion_edited => SamlError::SignatureInvalid,
    assertion_signed_unsigned_destination_edited => SamlError::WrongDestination { ref expected } if expected == ACS,
    assertion_signed_unsigned_status_edited => SamlError::StatusNotSuccess,
    assertion_signed_unsigned_issuer_edited => SamlError::WrongIssuer { ref expected } if expected == IDP,
    // Signature stripped, wrong key, HMAC.
    signature_stripped_response_signed => SamlError::SignatureMissing,
    signature_stripped_assertion_signed => SamlError::SignatureMissing,
    signature_stripped_both_signed => SamlError::SignatureMissing,
    unsigned_response => SamlError::SignatureMissing,
    rogue_key_response_signed => SamlError::UntrustedKey,
    rogue_key_assertion_signed => SamlError::UntrustedKey,
    rogue_key_both_signed => SamlError::UntrustedKey,
    hmac_signature => SamlError::HmacSignature,
    // DTD, XXE, entity expansion.
    doctype_external_entity => SamlError::Doctype,
    doctype_entity_expansion => SamlError::Doctype,
    doctype_without_entities => SamlError::Doctype,
    undeclared_entity => SamlError::Malformed(_),
    // ruby-saml parser differentials.
    cve_2024_45409_digest_value_in_extensions => SamlError::UnexpectedElement("samlp:Extensions"),
    cve_2024_45409_digest_value_in_status_detail => SamlError::SignatureInvalid,
    cve_2025_25291_doctype_parser_differential => SamlError::Doctype,
    cve_2025_25292_signature_in_foreign_namespace =>
        SamlError::UnexpectedElement("a Signature or SignedInfo in a foreign namespace"),
    cve_2025_25292_lookalike_assertion_in_foreign_namespace => SamlError::MultipleAssertions,
    // Audience, recipient, destination.
    audience_mismatch => SamlError::WrongAudience { ref expected } if *expected == [SP],
    audience_missing => SamlError::WrongAudience { ref expected } if *expected == [SP],
    recipient_mismatch => SamlError::WrongRecipient { ref expected } if expected == ACS,
    destination_mismatch => SamlError::WrongDestination { ref expected } if expected == ACS,
    // Time window.
    issue_instant_in_the_future => SamlError::NotYetValid("the assertion's IssueInstant"),
    conditions_not_before_in_the_future => SamlError::NotYetValid("Conditions NotBefore"),
    conditions_not_on_or_after_in_the_past => SamlError::Expired("Conditions NotOnOrAfter"),
    subject_confirmation_not_before_in_the_future => SamlError::NotYetValid("SubjectConfirmationData NotBefore"),
    subject_confirmation_not_on_or_after_in_the_past =>
        SamlError::Expired("SubjectConfirmationData NotOnOrAfter"),
    // Multiple or encrypted assertions.
    multiple_assertions_response_signed => SamlError::MultipleAssertions,
    multiple_assertions_both_signed => SamlError::MultipleAssertions,
    encrypted_assertion => SamlError::EncryptedAssertionUnsupported,
    // Weak algorithms, transforms, references.
    rsa_sha1_signature => SamlError::WeakAlgorithm("signature algorithm"),
    sha1_digest => SamlError::WeakAlgorithm("digest algorithm"),
    xslt_transform => SamlError::ForbiddenTransform("XSLT"),
    xpath_transform => SamlError::ForbiddenTransform("XPath"),
    xpath_filter2_transform => SamlError::ForbiddenTransform("XPath Filter 2.0"),
    xpointer_reference => SamlError::BadReference(_),
    c14n_with_comments => SamlError::ForbiddenTransform("c14n with comments"),
    reference_to_another_element => SamlError::BadReference(_),
    two_references => SamlError::BadReference("more than one Reference"),
    // Encoding.
    bad_base64 => SamlError::BadEncoding(_),
    url_encoded_base64 => SamlError::BadEncoding(_),
    deflated_payload => SamlError::DeflatedPayload,
    latin1_bytes => SamlError::BadEncoding("the XML is not valid UTF-8"),
    utf16_bytes => SamlError::BadEncoding(_),
    declared_encoding_other_than_utf8 => SamlError::Malformed(_),
    oversized => SamlError::TooLarge { max } if max == 256 * 1024,
}

#[test]
fn every_catalog_entry_has_a_test() {
    let mut names: Vec<&str> = CATALOG.threats.iter().map(|t| t.name).collect();
    names.sort_unstable();
    let mut tested = TESTED.to_vec();
    tested.sort_unstable();
    assert_eq!(names, tested, "add a catalog_tests! line per new catalog entry");
}

// --- comment injection, signed scope -------------------------------------------------------------

/// `admin@x.test<!---->.evil.test`: the comment is not signed (c14n drops it); the full text must
/// come back, never `admin@x.test`.
#[tokio::test]
async fn comment_injection_returns_the_full_text() -> TestResult {
    let idp = idp();
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        // Inserted after signing (the real attack): the signature still verifies.
        let r = comment_injected(&idp, &target(), sign)?;
        assert!(r.xml().contains("admin@x.test<!---->.evil.test</saml:NameID>"));
        let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
        assert_eq!(a.name_id, "admin@x.test.evil.test", "{sign:?}");
        assert_eq!(a.name_id, COMMENT_INJECTION_FULL_TEXT);
        assert_ne!(a.name_id, COMMENT_INJECTION_TRUNCATED_TEXT);
        assert_eq!(a.attribute("email"), ["admin@x.test.evil.test"], "{sign:?}");
        // Signed with the comment inside.
        let r = comment_signed(&idp, &target(), sign)?;
        let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
        assert_eq!(a.name_id, "admin@x.test.evil.test", "{sign:?}");
    }
    Ok(())
}

/// Only the Assertion signed: Response fields are not trusted (the catalog has the refusals of an
/// edited Destination, Status and Issuer).
#[tokio::test]
async fn only_assertion_signed_response_fields_are_not_trusted() -> TestResult {
    let idp = idp();
    let v = builder(&idp).allow_idp_initiated(false).build()?;
    // An InResponseTo added to the unsigned Response does not make the response solicited.
    let r = base(&idp, Sign::Assertion)
        .build()?
        .mutate(|xml| *xml = xml.replacen("<samlp:Response ", r#"<samlp:Response InResponseTo="_req1" "#, 1));
    assert_eq!(
        v.validate_post(&r.base64(), &["_req1"]).await,
        Err(SamlError::UnknownInResponseTo)
    );
    // Editing the unsigned Response harmlessly: accepted, and the data comes from the Assertion.
    let v = validator(&idp);
    let r = base(&idp, Sign::Assertion)
        .build()?
        .mutate(|xml| *xml = xml.replacen("<samlp:Response ", r#"<samlp:Response Consent="urn:x" "#, 1));
    let a = v.validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.signed_scope, SignedScope::Assertion);
    assert_eq!(a.name_id, "alice");
    Ok(())
}

// --- metadata without a key, weak algorithms when allowed ----------------------------------------

#[test]
fn metadata_without_signing_key_is_refused_at_load() -> TestResult {
    let idp = idp();
    let xml = idp.metadata_xml();
    let without = remove_element(&xml, "<md:KeyDescriptor", "</md:KeyDescriptor>")?;
    assert_eq!(
        IdpMetadata::from_xml(&without).unwrap_err(),
        SamlError::NoSigningCertificate
    );
    let encryption_only = xml.replace(r#"use="signing""#, r#"use="encryption""#);
    assert_eq!(
        IdpMetadata::from_xml(&encryption_only).unwrap_err(),
        SamlError::NoSigningCertificate
    );
    let doctype = xml.replacen(
        "<md:EntityDescriptor",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><md:EntityDescriptor",
        1,
    );
    assert_eq!(IdpMetadata::from_xml(&doctype).unwrap_err(), SamlError::Doctype);
    Ok(())
}

#[tokio::test]
async fn rsa_sha1_is_accepted_only_when_allowed() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).algorithm(SignatureAlgorithm::RsaSha1).build()?;
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WeakAlgorithm("signature algorithm")
    );
    let permissive = builder(&idp).allow_sha1(true).build()?;
    let a = permissive.validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.name_id, "alice");
    Ok(())
}

// --- replay, InResponseTo -----------------------------------------------------------------------

#[tokio::test]
async fn replayed_response_is_refused() -> TestResult {
    let idp = idp();
    let v = validator(&idp);
    let r = base(&idp, Sign::Both).build()?;
    v.validate_post(&r.base64(), &[]).await?;
    assert_eq!(v.validate_post(&r.base64(), &[]).await, Err(SamlError::Replayed));
    assert_eq!(SamlError::Replayed.code(), "replayed");
    Ok(())
}

#[tokio::test]
async fn unknown_in_response_to_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).in_response_to("_req-unknown").build()?;
    let v = builder(&idp).allow_idp_initiated(false).build()?;
    assert_eq!(
        v.validate_post(&r.base64(), &["_req-1"]).await,
        Err(SamlError::UnknownInResponseTo)
    );
    // Also when IdP-initiated login is allowed: an unknown request ID is never accepted.
    assert_eq!(
        validator(&idp).validate_post(&r.base64(), &["_req-1"]).await,
        Err(SamlError::UnknownInResponseTo)
    );
    Ok(())
}

#[tokio::test]
async fn unsolicited_response_is_refused_when_idp_initiated_is_disabled() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).build()?;
    let v = builder(&idp).allow_idp_initiated(false).build()?;
    assert_eq!(
        v.validate_post(&r.base64(), &["_req-1"]).await,
        Err(SamlError::UnsolicitedResponse)
    );
    Ok(())
}

// --- time window at a fixed instant -------------------------------------------------------------

const T: OffsetDateTime = time::macros::datetime!(2030-01-02 03:04:05 UTC);

/// An IdP whose metadata is still valid at `T`.
fn idp_until_2031() -> SamlIdp {
    idp().with_metadata_valid_until(T + Duration::days(365))
}

async fn at(
    v: &studio_fed_federation::saml::ResponseValidator,
    b64: &str,
    now: OffsetDateTime,
) -> Result<(), SamlError> {
    v.validate_post_at(b64, &[], now).await.map(|_| ())
}

#[tokio::test]
async fn expired_metadata_refuses_everything() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).at(T).build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T).await,
        Err(SamlError::MetadataExpired)
    );
    Ok(())
}

#[tokio::test]
async fn time_windows_are_checked_at_the_given_instant() -> TestResult {
    let idp = idp_until_2031();
    let r = base(&idp, Sign::Both)
        .at(T)
        .not_before(T + Duration::minutes(10))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T).await,
        Err(SamlError::NotYetValid("Conditions NotBefore"))
    );
    let r = base(&idp, Sign::Both)
        .at(T)
        .not_on_or_after(T + Duration::minutes(5))
        .subject_not_on_or_after(T + Duration::hours(1))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T + Duration::minutes(10)).await,
        Err(SamlError::Expired("Conditions NotOnOrAfter"))
    );
    let r = base(&idp, Sign::Both)
        .at(T)
        .subject_not_before(T + Duration::minutes(10))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T).await,
        Err(SamlError::NotYetValid("SubjectConfirmationData NotBefore"))
    );
    let r = base(&idp, Sign::Both)
        .at(T)
        .subject_not_on_or_after(T + Duration::minutes(2))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T + Duration::minutes(5)).await,
        Err(SamlError::Expired("SubjectConfirmationData NotOnOrAfter"))
    );
    Ok(())
}

#[tokio::test]
async fn clock_skew_boundary_is_exact_and_configurable() -> TestResult {
    let idp = idp_until_2031();
    let end = T + Duration::minutes(10);
    let build = || base(&idp, Sign::Both).at(T).not_on_or_after(end).build();
    // Default skew 60 s: valid until end + 60 s (exclusive).
    assert_eq!(
        at(&validator(&idp), &build()?.base64(), end + Duration::seconds(59)).await,
        Ok(())
    );
    assert_eq!(
        at(&validator(&idp), &build()?.base64(), end + Duration::seconds(60)).await,
        Err(SamlError::Expired("Conditions NotOnOrAfter"))
    );
    // NotBefore = T - 5 min: valid from NotBefore - 60 s; IssueInstant checked the same way.
    assert_eq!(
        at(&validator(&idp), &build()?.base64(), T - Duration::seconds(60)).await,
        Ok(())
    );
    assert!(matches!(
        at(&validator(&idp), &build()?.base64(), T - Duration::seconds(61)).await,
        Err(SamlError::NotYetValid(_))
    ));
    // Zero skew.
    let strict = builder(&idp).clock_skew(Duration::ZERO).build()?;
    assert_eq!(
        at(&strict, &build()?.base64(), end).await,
        Err(SamlError::Expired("Conditions NotOnOrAfter"))
    );
    // Injected clock.
    let clocked = builder(&idp).clock(move || end + Duration::hours(1)).build()?;
    assert_eq!(
        clocked.validate_post(&build()?.base64(), &[]).await.map(|_| ()),
        Err(SamlError::Expired("Conditions NotOnOrAfter"))
    );
    Ok(())
}

// --- encoding edge cases ------------------------------------------------------------------------

#[tokio::test]
async fn empty_or_line_wrapped_base64() -> TestResult {
    let idp = idp();
    let v = validator(&idp);
    assert!(matches!(v.validate_post("", &[]).await, Err(SamlError::BadEncoding(_))));
    // Line-wrapped base64 (some IdPs) is fine.
    let r = base(&idp, Sign::Both).build()?;
    let wrapped: String = r
        .base64()
        .as_bytes()
        .chunks(76)
        .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
        .collect();
    assert!(v.validate_post(&wrapped, &[]).await.is_ok());
    Ok(())
}

#[tokio::test]
async fn the_size_cap_is_configurable() -> TestResult {
    let idp = idp();
    let small = builder(&idp).max_size(1024).build()?;
    let r = base(&idp, Sign::Both).build()?;
    assert_eq!(
        small.validate_post(&r.base64(), &[]).await,
        Err(SamlError::TooLarge { max: 1024 })
    );
    assert_eq!(
        small.validate_xml(r.xml(), &[]).await,
        Err(SamlError::TooLarge { max: 1024 })
    );
    Ok(())
}

#[tokio::test]
async fn errors_never_contain_assertion_contents() -> TestResult {
    let idp = idp();
    let secret = "secret-subject-8d1f";
    let r = base(&idp, Sign::Both)
        .name_id(secret)
        .attribute("x", [secret])
        .build()?;
    let tampered = r.xml().replace(secret, "other-subject");
    let errors = [
        reject_xml(&validator(&idp), &tampered).await,
        reject_xml(
            &builder(&idp).audience("x").acs_url("https://other.test").build()?,
            r.xml(),
        )
        .await,
    ];
    for e in errors {
        let message = e.to_string();
        assert!(
            !message.contains(secret) && !message.contains(r.assertion_id()) && !message.contains(r.id()),
            "{message}"
        );
    }
    Ok(())
}
