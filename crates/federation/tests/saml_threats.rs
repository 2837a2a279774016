//! The SAML rows of `federation-threats.md`: every attack goes through `validate_post` (the entry
//! point a browser's POST reaches) and must fail with its specific [`SamlError`].

mod support;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use studio_fed_federation::saml::{IdpMetadata, SamlError, SignedScope};
use studio_fed_testkit::saml_idp::{Sign, SignatureAlgorithm, SignedPart};
use support::*;
use time::{Duration, OffsetDateTime};

const EXC_C14N_TRANSFORM: &str = r#"<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#;

// --- XSW1..XSW8 (SAML Raider's layouts) ---------------------------------------------------------

/// XSW1: evil Response (new IDs, edited) at the root carrying the original signature; the original
/// Response (signature removed) appended inside the signature.
#[tokio::test]
async fn xsw1_original_response_inside_signature_of_evil_response() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response).build()?;
    let body = r.xml().split_once('\n').map(|(_, b)| b).unwrap_or(r.xml()).to_owned();
    let original = without_first_signature(&body);
    let evil = rename_id(&rename_id(&body, r.id(), "_evilresp"), r.assertion_id(), "_evilassert")
        .replace(">alice</saml:NameID>", ">admin</saml:NameID>");
    let doc = insert_before(&evil, "</ds:Signature>", &original);
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::SignatureWrapping("a second Response inside the Response")
    );
    // Same layout keeping the assertion ID in the copy: caught earlier as duplicate IDs.
    let evil = rename_id(&body, r.id(), "_evilresp").replace(">alice<", ">admin<");
    let doc = insert_before(&evil, "</ds:Signature>", &original);
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::DuplicateId);
    Ok(())
}

/// XSW2: like XSW1, but the original Response sits before the signature (detached signature).
#[tokio::test]
async fn xsw2_original_response_before_signature_of_evil_response() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response).build()?;
    let body = r.xml().split_once('\n').map(|(_, b)| b).unwrap_or(r.xml()).to_owned();
    let original = without_first_signature(&body);
    let evil = rename_id(&rename_id(&body, r.id(), "_evilresp"), r.assertion_id(), "_evilassert")
        .replace(">alice<", ">admin<");
    let doc = insert_before(&evil, "<ds:Signature ", &original);
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::SignatureWrapping("a second Response inside the Response")
    );
    Ok(())
}

fn assertion_parts(xml: &str) -> (String, String, String) {
    let a = assertion_range(xml);
    (
        xml[..a.start].to_owned(),
        xml[a.clone()].to_owned(),
        xml[a.end..].to_owned(),
    )
}

/// XSW3: an evil unsigned Assertion (new ID) inserted before the signed one.
#[tokio::test]
async fn xsw3_evil_assertion_before_signed_assertion() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&without_first_signature(&signed), r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let doc = format!("{head}{evil}{signed}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    Ok(())
}

/// XSW4: an evil Assertion wrapping the signed one.
#[tokio::test]
async fn xsw4_evil_assertion_wraps_signed_assertion() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&without_first_signature(&signed), r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let wrapped = insert_before(&evil, "</saml:AttributeStatement>", "").replacen(
        "</saml:Assertion>",
        &format!("{signed}</saml:Assertion>"),
        1,
    );
    let doc = format!("{head}{wrapped}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    Ok(())
}

/// XSW5: the evil copy carries the original signature; the original (unsigned) is appended at the
/// end of the Response.
#[tokio::test]
async fn xsw5_evil_copy_keeps_signature_original_appended() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&signed, r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let original = without_first_signature(&signed);
    let doc = insert_before(&format!("{head}{evil}{tail}"), "</samlp:Response>", &original);
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    Ok(())
}

/// XSW6: the evil copy carries the signature, and the original sits inside that signature.
#[tokio::test]
async fn xsw6_original_assertion_inside_signature_of_evil_copy() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&signed, r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let evil = insert_before(&evil, "</ds:Signature>", &without_first_signature(&signed));
    let doc = format!("{head}{evil}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    Ok(())
}

/// XSW7: the signed Assertion moved into `samlp:Extensions`, an evil one in its place.
#[tokio::test]
async fn xsw7_signed_assertion_in_extensions() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&without_first_signature(&signed), r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let head = insert_before(
        &head,
        "<samlp:Status>",
        &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
    );
    let doc = format!("{head}{evil}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    // With the only (signed) Assertion moved into Extensions: refused as wrapping too.
    let (head, signed, tail) = assertion_parts(r.xml());
    let head = insert_before(
        &head,
        "<samlp:Status>",
        &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
    );
    let doc = format!("{head}{tail}");
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::SignatureWrapping("the Assertion is not a direct child of the Response")
    );
    Ok(())
}

/// XSW8: the evil Assertion carries the signature, whose `ds:Object` holds the original.
#[tokio::test]
async fn xsw8_original_assertion_in_signature_object() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    let evil = rename_id(&signed, r.assertion_id(), "_evil").replace(">alice<", ">admin<");
    let object = format!("<ds:Object>{}</ds:Object>", without_first_signature(&signed));
    let evil = insert_before(&evil, "</ds:Signature>", &object);
    let doc = format!("{head}{evil}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    // Just a ds:Object (no second assertion) is refused as well.
    let doc = insert_before(r.xml(), "</ds:Signature>", "<ds:Object>x</ds:Object>");
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::UnexpectedElement("ds:Object")
    );
    Ok(())
}

// --- duplicate IDs, comment injection, signed scope ----------------------------------------------

#[tokio::test]
async fn duplicate_ids_are_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let doc = r.xml().replace(
        "<samlp:Status>",
        &format!(r#"<samlp:Status ID="{}">"#, r.assertion_id()),
    );
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::DuplicateId);
    Ok(())
}

/// `admin@x.test<!---->.evil.test`: the comment is not signed (c14n drops it); the full text must
/// come back, never `admin@x.test`.
#[tokio::test]
async fn comment_injection_returns_the_full_text() -> TestResult {
    let idp = idp();
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        // Inserted after signing (the real attack): the signature still verifies.
        let r = base(&idp, sign)
            .name_id("admin@x.test.evil.test")
            .attribute("email", ["admin@x.test.evil.test"])
            .build()?
            .mutate(|xml| *xml = xml.replace("admin@x.test.evil.test<", "admin@x.test<!---->.evil.test<"));
        assert!(r.xml().contains("admin@x.test<!---->.evil.test</saml:NameID>"));
        let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
        assert_eq!(a.name_id, "admin@x.test.evil.test", "{sign:?}");
        assert_eq!(a.attribute("email"), ["admin@x.test.evil.test"], "{sign:?}");
        // Signed with the comment inside.
        let r = base(&idp, sign)
            .before_signing(|part, xml| {
                if part == SignedPart::Assertion {
                    *xml = xml.replace(">alice</saml:NameID>", ">admin@x.test<!---->.evil.test</saml:NameID>");
                }
            })
            .build()?;
        let a = validator(&idp).validate_post(&r.base64(), &[]).await?;
        assert_eq!(a.name_id, "admin@x.test.evil.test", "{sign:?}");
    }
    Ok(())
}

#[tokio::test]
async fn only_response_signed_assertion_edited_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response)
        .build()?
        .mutate(|xml| *xml = xml.replace(">alice</saml:NameID>", ">admin</saml:NameID>"));
    assert_eq!(reject_xml(&validator(&idp), r.xml()).await, SamlError::SignatureInvalid);
    Ok(())
}

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
    // Unsigned Destination / Status / Issuer can only refuse.
    let v = validator(&idp);
    let r = base(&idp, Sign::Assertion).build()?.mutate(|xml| {
        *xml = xml.replace(
            &format!(r#"Destination="{ACS}""#),
            r#"Destination="https://evil.test/acs""#,
        )
    });
    assert_eq!(
        reject_xml(&v, r.xml()).await,
        SamlError::WrongDestination { expected: ACS.into() }
    );
    let r = base(&idp, Sign::Assertion).build()?.mutate(|xml| {
        *xml = xml.replace(
            "urn:oasis:names:tc:SAML:2.0:status:Success",
            "urn:oasis:names:tc:SAML:2.0:status:Requester",
        )
    });
    assert_eq!(reject_xml(&v, r.xml()).await, SamlError::StatusNotSuccess);
    let r = base(&idp, Sign::Assertion)
        .build()?
        .mutate(|xml| *xml = xml.replacen(&format!(">{IDP}</saml:Issuer>"), ">https://evil.test</saml:Issuer>", 1));
    assert_eq!(
        reject_xml(&v, r.xml()).await,
        SamlError::WrongIssuer { expected: IDP.into() }
    );
    // Editing the unsigned Response harmlessly: accepted, and the data comes from the Assertion.
    let r = base(&idp, Sign::Assertion)
        .build()?
        .mutate(|xml| *xml = xml.replacen("<samlp:Response ", r#"<samlp:Response Consent="urn:x" "#, 1));
    let a = v.validate_post(&r.base64(), &[]).await?;
    assert_eq!(a.signed_scope, SignedScope::Assertion);
    assert_eq!(a.name_id, "alice");
    Ok(())
}

// --- signature stripped, wrong key, HMAC --------------------------------------------------------

#[tokio::test]
async fn stripped_signature_is_refused() -> TestResult {
    let idp = idp();
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let r = base(&idp, sign).build()?.strip_signature();
        assert_eq!(
            reject_xml(&validator(&idp), r.xml()).await,
            SamlError::SignatureMissing,
            "{sign:?}"
        );
    }
    let r = base(&idp, Sign::Neither).build()?;
    assert_eq!(reject_xml(&validator(&idp), r.xml()).await, SamlError::SignatureMissing);
    Ok(())
}

#[test]
fn metadata_without_signing_key_is_refused_at_load() {
    let idp = idp();
    let xml = idp.metadata_xml();
    let r = element_range(&xml, "<md:KeyDescriptor", "</md:KeyDescriptor>");
    let without = format!("{}{}", &xml[..r.start], &xml[r.end..]);
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
}

#[tokio::test]
async fn rogue_key_with_certificate_in_key_info_is_refused() -> TestResult {
    let idp = idp();
    let rogue = idp.with_rogue_key()?;
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let r = base(&rogue, sign).build()?;
        assert_eq!(
            reject_xml(&validator(&idp), r.xml()).await,
            SamlError::UntrustedKey,
            "{sign:?}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn hmac_signature_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response).build()?.mutate(|xml| {
        *xml = xml.replace(
            "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        )
    });
    assert_eq!(reject_xml(&validator(&idp), r.xml()).await, SamlError::HmacSignature);
    Ok(())
}

// --- DTD / XXE / entity expansion ---------------------------------------------------------------

#[tokio::test]
async fn doctype_xxe_and_entity_expansion_are_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).build()?;
    let xxe = r
        .xml()
        .replacen(
            "<samlp:Response",
            r#"<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><samlp:Response"#,
            1,
        )
        .replace(">alice</saml:NameID>", ">&x;</saml:NameID>");
    assert_eq!(reject_xml(&validator(&idp), &xxe).await, SamlError::Doctype);
    let laughs = r.xml().replacen(
        "<samlp:Response",
        r#"<!DOCTYPE r [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><samlp:Response"#,
        1,
    );
    assert_eq!(reject_xml(&validator(&idp), &laughs).await, SamlError::Doctype);
    let plain = r
        .xml()
        .replacen("<samlp:Response", "<!DOCTYPE samlp:Response><samlp:Response", 1);
    assert_eq!(reject_xml(&validator(&idp), &plain).await, SamlError::Doctype);
    // An undeclared entity without a DOCTYPE.
    let undeclared = r.xml().replace(">alice</saml:NameID>", ">&x;</saml:NameID>");
    assert!(matches!(
        reject_xml(&validator(&idp), &undeclared).await,
        SamlError::Malformed(_)
    ));
    Ok(())
}

// --- ruby-saml parser-differential shapes -------------------------------------------------------

/// CVE-2024-45409: the Assertion is signed, the Response is not; the attacker edits the assertion
/// and smuggles a `DigestValue` matching the edit into the unsigned Response, hoping the verifier
/// reads the digest from anywhere in the document.
#[tokio::test]
async fn cve_2024_45409_smuggled_digest_value() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let smuggled = r#"<ds:DigestValue xmlns:ds="http://www.w3.org/2000/09/xmldsig#">AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=</ds:DigestValue>"#;
    let edited = r.xml().replace(">alice</saml:NameID>", ">admin</saml:NameID>");
    let in_extensions = insert_before(
        &edited,
        "<samlp:Status>",
        &format!("<samlp:Extensions>{smuggled}</samlp:Extensions>"),
    );
    assert_eq!(
        reject_xml(&validator(&idp), &in_extensions).await,
        SamlError::UnexpectedElement("samlp:Extensions")
    );
    let in_status_detail = edited.replace(
        "</samlp:Status>",
        &format!("<samlp:StatusDetail>{smuggled}</samlp:StatusDetail></samlp:Status>"),
    );
    assert_eq!(
        reject_xml(&validator(&idp), &in_status_detail).await,
        SamlError::SignatureInvalid
    );
    Ok(())
}

/// CVE-2025-25291: REXML and Nokogiri disagree on documents with a DOCTYPE (ATTLIST / entity
/// declarations change what each parser sees, e.g. which SignedInfo). Any DOCTYPE is refused.
#[tokio::test]
async fn cve_2025_25291_doctype_parser_differential() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let doc = r.xml().replacen(
        "<samlp:Response",
        r#"<!DOCTYPE samlp:Response [<!ATTLIST saml:Assertion ID ID #IMPLIED><!-- ]><x> -->]><samlp:Response"#,
        1,
    );
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::Doctype);
    Ok(())
}

/// CVE-2025-25292: namespace confusion: a `ds:` prefix (or `saml:`) bound to another namespace, so
/// a reader matching by prefix/local name sees a second Signature/SignedInfo or Assertion.
#[tokio::test]
async fn cve_2025_25292_namespace_confusion() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Assertion).build()?;
    let (head, signed, tail) = assertion_parts(r.xml());
    // A fake Signature in a foreign namespace with a forged SignedInfo, next to an edited assertion.
    let fake_sig = r#"<ds:Signature xmlns:ds="urn:evil"><ds:SignedInfo/></ds:Signature>"#;
    let doc = format!(
        "{}{}{}",
        insert_before(&head, "<samlp:Status>", fake_sig),
        signed.replace(">alice<", ">admin<"),
        tail
    );
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::UnexpectedElement("a Signature or SignedInfo in a foreign namespace")
    );
    // A look-alike assertion in a foreign namespace beside the signed one.
    let evil = rename_id(&without_first_signature(&signed), r.assertion_id(), "_evil")
        .replacen("<saml:Assertion ", r#"<saml:Assertion xmlns:saml="urn:evil" "#, 1)
        .replacen(r#"xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion""#, "", 1);
    let doc = format!("{head}{evil}{signed}{tail}");
    assert_eq!(reject_xml(&validator(&idp), &doc).await, SamlError::MultipleAssertions);
    Ok(())
}

// --- replay, audience / recipient / destination -------------------------------------------------

#[tokio::test]
async fn replayed_response_is_refused() -> TestResult {
    let idp = idp();
    let v = validator(&idp);
    let r = base(&idp, Sign::Both).build()?;
    v.validate_post(&r.base64(), &[]).await?;
    assert_eq!(v.validate_post(&r.base64(), &[]).await, Err(SamlError::Replayed));
    Ok(())
}

#[tokio::test]
async fn audience_mismatch_is_refused() -> TestResult {
    let idp = idp();
    let r = idp
        .response()
        .destination(ACS)
        .audience("https://other.test/sp")
        .build()?;
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WrongAudience {
            expected: vec![SP.into()]
        }
    );
    let r = idp.response().destination(ACS).build()?; // no AudienceRestriction at all
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WrongAudience {
            expected: vec![SP.into()]
        }
    );
    Ok(())
}

#[tokio::test]
async fn recipient_mismatch_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).recipient("https://evil.test/acs").build()?;
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WrongRecipient { expected: ACS.into() }
    );
    Ok(())
}

#[tokio::test]
async fn destination_mismatch_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both)
        .destination("https://evil.test/acs")
        .recipient(ACS)
        .build()?;
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WrongDestination { expected: ACS.into() }
    );
    Ok(())
}

// --- time window --------------------------------------------------------------------------------

const T: OffsetDateTime = time::macros::datetime!(2030-01-02 03:04:05 UTC);

/// An IdP whose metadata is still valid at `T`.
fn idp_until_2031() -> studio_fed_testkit::saml_idp::SamlIdp {
    idp().with_metadata_valid_until(T + Duration::days(365))
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

async fn at(
    v: &studio_fed_federation::saml::ResponseValidator,
    b64: &str,
    now: OffsetDateTime,
) -> Result<(), SamlError> {
    v.validate_post_at(b64, &[], now).await.map(|_| ())
}

#[tokio::test]
async fn conditions_not_before_in_the_future_is_refused() -> TestResult {
    let idp = idp_until_2031();
    let r = base(&idp, Sign::Both)
        .at(T)
        .not_before(T + Duration::minutes(10))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T).await,
        Err(SamlError::NotYetValid("Conditions NotBefore"))
    );
    Ok(())
}

#[tokio::test]
async fn conditions_not_on_or_after_in_the_past_is_refused() -> TestResult {
    let idp = idp_until_2031();
    let r = base(&idp, Sign::Both)
        .at(T)
        .not_on_or_after(T + Duration::minutes(5))
        .subject_not_on_or_after(T + Duration::hours(1))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T + Duration::minutes(10)).await,
        Err(SamlError::Expired("Conditions NotOnOrAfter"))
    );
    Ok(())
}

#[tokio::test]
async fn subject_confirmation_not_before_in_the_future_is_refused() -> TestResult {
    let idp = idp_until_2031();
    let r = base(&idp, Sign::Both)
        .at(T)
        .subject_not_before(T + Duration::minutes(10))
        .build()?;
    assert_eq!(
        at(&validator(&idp), &r.base64(), T).await,
        Err(SamlError::NotYetValid("SubjectConfirmationData NotBefore"))
    );
    Ok(())
}

#[tokio::test]
async fn subject_confirmation_not_on_or_after_in_the_past_is_refused() -> TestResult {
    let idp = idp_until_2031();
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

// --- InResponseTo, multiple assertions ----------------------------------------------------------

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

#[tokio::test]
async fn multiple_assertions_are_refused() -> TestResult {
    let idp = idp();
    for sign in [Sign::Response, Sign::Both] {
        let r = base(&idp, sign).build()?;
        let (head, signed, tail) = assertion_parts(r.xml());
        let second = rename_id(&signed.replace(">alice<", ">bob<"), r.assertion_id(), "_second");
        let second = if sign == Sign::Both {
            without_first_signature(&second)
        } else {
            second
        };
        let doc = format!("{head}{signed}{second}{tail}");
        assert_eq!(
            reject_xml(&validator(&idp), &doc).await,
            SamlError::MultipleAssertions,
            "{sign:?}"
        );
    }
    Ok(())
}

// --- weak algorithms, transforms ----------------------------------------------------------------

#[tokio::test]
async fn rsa_sha1_is_refused_unless_allowed() -> TestResult {
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

#[tokio::test]
async fn sha1_digest_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both)
        .before_signing(|_, xml| {
            *xml = xml.replace(
                "http://www.w3.org/2001/04/xmlenc#sha256",
                "http://www.w3.org/2000/09/xmldsig#sha1",
            )
        })
        .build()?;
    assert!(r.xml().contains("http://www.w3.org/2000/09/xmldsig#sha1"));
    assert_eq!(
        reject_xml(&validator(&idp), r.xml()).await,
        SamlError::WeakAlgorithm("digest algorithm")
    );
    Ok(())
}

/// Builds a response whose SignedInfo carries `transform` (signed if libxmlsec1 can sign it, else
/// inserted after signing).
fn with_transform(idp: &studio_fed_testkit::saml_idp::SamlIdp, transform: &str) -> String {
    let signed = base(idp, Sign::Response)
        .before_signing(|part, xml| {
            if part == SignedPart::Response {
                *xml = xml.replacen(EXC_C14N_TRANSFORM, &format!("{transform}{EXC_C14N_TRANSFORM}"), 1);
            }
        })
        .build();
    match signed {
        Ok(r) => r.into_xml(),
        Err(_) => base(idp, Sign::Response)
            .build()
            .expect("response")
            .mutate(|xml| *xml = xml.replacen(EXC_C14N_TRANSFORM, &format!("{transform}{EXC_C14N_TRANSFORM}"), 1))
            .into_xml(),
    }
}

#[tokio::test]
async fn xslt_transform_is_refused() -> TestResult {
    let idp = idp();
    let xslt = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xslt-19991116"><xsl:stylesheet xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0"><xsl:template match="/"><xsl:copy-of select="."/></xsl:template></xsl:stylesheet></ds:Transform>"#;
    let doc = with_transform(&idp, xslt);
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::ForbiddenTransform("XSLT")
    );
    Ok(())
}

#[tokio::test]
async fn xpath_and_xpointer_are_refused() -> TestResult {
    let idp = idp();
    let xpath = r#"<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform>"#;
    let doc = with_transform(&idp, xpath);
    assert!(doc.contains("REC-xpath-19991116"));
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::ForbiddenTransform("XPath")
    );
    let filter2 = r#"<ds:Transform Algorithm="http://www.w3.org/2002/06/xmldsig-filter2"><dsig-xpath:XPath xmlns:dsig-xpath="http://www.w3.org/2002/06/xmldsig-filter2" Filter="union">/</dsig-xpath:XPath></ds:Transform>"#;
    let doc = with_transform(&idp, filter2);
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::ForbiddenTransform("XPath Filter 2.0")
    );
    let r = base(&idp, Sign::Response).build()?;
    let doc = r
        .xml()
        .replace(&format!(r##"URI="#{}""##, r.id()), r##"URI="#xpointer(/)""##);
    assert!(matches!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::BadReference(_)
    ));
    let with_comments = r.xml().replace(
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
        r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#WithComments"/>"#,
    );
    assert_eq!(
        reject_xml(&validator(&idp), &with_comments).await,
        SamlError::ForbiddenTransform("c14n with comments")
    );
    Ok(())
}

#[tokio::test]
async fn two_references_or_a_foreign_reference_are_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).build()?;
    // The Response's signature pointing at the Assertion.
    let doc = r.xml().replacen(
        &format!(r##"URI="#{}""##, r.id()),
        &format!(r##"URI="#{}""##, r.assertion_id()),
        1,
    );
    assert!(matches!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::BadReference(_)
    ));
    let reference = element_range(r.xml(), "<ds:Reference ", "</ds:Reference>");
    let doubled = insert_before(r.xml(), "</ds:SignedInfo>", &r.xml()[reference]);
    assert_eq!(
        reject_xml(&validator(&idp), &doubled).await,
        SamlError::BadReference("more than one Reference")
    );
    Ok(())
}

// --- encoding -----------------------------------------------------------------------------------

#[tokio::test]
async fn bad_base64_is_refused() -> TestResult {
    let idp = idp();
    let v = validator(&idp);
    assert!(matches!(
        v.validate_post("not base64!!", &[]).await,
        Err(SamlError::BadEncoding(_))
    ));
    assert!(matches!(v.validate_post("", &[]).await, Err(SamlError::BadEncoding(_))));
    // URL-encoded base64 (a form body passed without decoding).
    let r = base(&idp, Sign::Both).build()?;
    let urlencoded = r.base64().replace('+', "%2B").replace('=', "%3D");
    assert!(matches!(
        v.validate_post(&urlencoded, &[]).await,
        Err(SamlError::BadEncoding(_))
    ));
    // Line-wrapped base64 (some IdPs) is fine.
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
async fn deflated_payload_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both).build()?;
    // A DEFLATE stream made of stored blocks (what HTTP-Redirect encoding would send, uncompressed).
    let data = r.xml().as_bytes();
    let mut deflated = Vec::new();
    let chunks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, chunk) in chunks.iter().enumerate() {
        deflated.push(u8::from(i + 1 == chunks.len()));
        let len = u16::try_from(chunk.len())?;
        deflated.extend_from_slice(&len.to_le_bytes());
        deflated.extend_from_slice(&(!len).to_le_bytes());
        deflated.extend_from_slice(chunk);
    }
    let v = validator(&idp);
    assert_eq!(
        v.validate_post(&STANDARD.encode(&deflated), &[]).await,
        Err(SamlError::DeflatedPayload)
    );
    Ok(())
}

#[tokio::test]
async fn oversized_input_is_refused() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Both)
        .attribute("padding", ["x".repeat(300 * 1024)])
        .build()?;
    let v = validator(&idp);
    assert_eq!(
        v.validate_post(&r.base64(), &[]).await,
        Err(SamlError::TooLarge { max: 256 * 1024 })
    );
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
async fn non_utf8_is_refused() -> TestResult {
    let idp = idp();
    let v = validator(&idp);
    let r = base(&idp, Sign::Both).name_id("élève").build()?;
    // Latin-1 bytes.
    let latin1: Vec<u8> = r
        .xml()
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    assert_eq!(
        v.validate_post(&STANDARD.encode(&latin1), &[]).await,
        Err(SamlError::BadEncoding("the XML is not valid UTF-8"))
    );
    // UTF-16.
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(r.xml().encode_utf16().flat_map(u16::to_le_bytes));
    assert!(matches!(
        v.validate_post(&STANDARD.encode(&utf16), &[]).await,
        Err(SamlError::BadEncoding(_))
    ));
    // A declaration naming another encoding (libxml2 would transcode).
    let declared = r.xml().replacen(r#"encoding="UTF-8""#, r#"encoding="ISO-8859-1""#, 1);
    assert!(matches!(reject_xml(&v, &declared).await, SamlError::Malformed(_)));
    Ok(())
}

#[tokio::test]
async fn encrypted_assertion_is_refused_clearly() -> TestResult {
    let idp = idp();
    let r = base(&idp, Sign::Response).build()?;
    let (head, _, tail) = assertion_parts(r.xml());
    let doc = format!(
        r#"{head}<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>{tail}"#
    );
    assert_eq!(
        reject_xml(&validator(&idp), &doc).await,
        SamlError::EncryptedAssertionUnsupported
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
