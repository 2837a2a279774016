//! The test SAML IdP's output is verified independently by python-xmlsec
//! (`studio_fed_testkit::xmlsec_py`) and, with the `xmlsec` feature (libxmlsec1: system
//! libraries), by samael's service provider.

use std::error::Error as StdError;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
#[cfg(feature = "xmlsec")]
use samael::crypto::{AllowedSignatureAlgorithm, CertificateDer, Crypto, CryptoProvider as _, ReduceMode};
#[cfg(feature = "xmlsec")]
use samael::metadata::{HTTP_POST_BINDING, HTTP_REDIRECT_BINDING};
#[cfg(feature = "xmlsec")]
use samael::schema::Assertion;
#[cfg(feature = "xmlsec")]
use samael::service_provider::{ServiceProvider, ServiceProviderBuilder};
use studio_fed_testkit::saml_idp::{
    AWS_ROLE_ATTRIBUTE, AWS_ROLE_SESSION_NAME_ATTRIBUTE, KeyType, NAME_ID_PERSISTENT, SamlIdp, Sign,
    SignatureAlgorithm, SignedPart, SignedResponse, SigningKey, sign_enveloped, signature_template,
};
use studio_fed_testkit::xmlsec_py::{Verdict, Verifier};
#[cfg(feature = "xmlsec")]
use time::{Duration, OffsetDateTime};

type TestResult = Result<(), Box<dyn StdError>>;

const IDP: &str = "https://idp.example.test/saml/metadata";
const SP: &str = "https://sp.example.test/saml";
const ACS: &str = "https://sp.example.test/saml/acs";

#[cfg(feature = "xmlsec")]
fn sp(idp: &SamlIdp) -> Result<ServiceProvider, Box<dyn StdError>> {
    sp_with(idp, SP, ACS, true)
}

#[cfg(feature = "xmlsec")]
fn sp_with(
    idp: &SamlIdp,
    entity_id: &str,
    acs: &str,
    idp_initiated: bool,
) -> Result<ServiceProvider, Box<dyn StdError>> {
    Ok(ServiceProviderBuilder::default()
        .entity_id(entity_id.to_owned())
        .acs_url(acs.to_owned())
        .idp_metadata(idp.entity_descriptor()?)
        .allow_idp_initiated(idp_initiated)
        .allowed_signature_algorithms(vec![AllowedSignatureAlgorithm::RsaSha256])
        .build()?)
}

fn standard(idp: &SamlIdp, sign: Sign) -> Result<SignedResponse, Box<dyn StdError>> {
    Ok(idp
        .response()
        .destination(ACS)
        .audience(SP)
        .name_id("alice")
        .name_id_format(NAME_ID_PERSISTENT)
        .attribute(
            AWS_ROLE_ATTRIBUTE,
            ["arn:aws:iam::111122223333:role/Studio,arn:aws:iam::111122223333:saml-provider/Test"],
        )
        .attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE, ["alice"])
        .attribute("groups", ["admins", "data-scientists"])
        .sign(sign)
        .build()?)
}

#[cfg(feature = "xmlsec")]
fn name_id(assertion: &Assertion) -> Option<&str> {
    Some(assertion.subject.as_ref()?.name_id.as_ref()?.value.as_str())
}

#[cfg(feature = "xmlsec")]
fn attribute_values(assertion: &Assertion, name: &str) -> Vec<String> {
    assertion
        .attribute_statements
        .iter()
        .flatten()
        .flat_map(|statement| &statement.attributes)
        .filter(|attribute| attribute.name.as_deref() == Some(name))
        .flat_map(|attribute| &attribute.values)
        .filter_map(|value| value.value.clone())
        .collect()
}

#[cfg(feature = "xmlsec")]
fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn metadata_is_long_enough_for_iam() -> TestResult {
    let xml = SamlIdp::new(IDP)?.metadata_xml();
    assert!(
        xml.len() >= 1000,
        "IAM CreateSAMLProvider needs >= 1000 characters, got {}",
        xml.len()
    );
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn metadata_is_realistic_and_parses_with_samael() -> TestResult {
    let idp = SamlIdp::new(IDP)?.with_sso_url("https://idp.example.test/sso");

    let descriptor = idp.entity_descriptor()?;
    assert_eq!(descriptor.entity_id.as_deref(), Some(IDP));
    assert!(descriptor.valid_until.is_some());
    let sso = descriptor.idp_sso_descriptors.as_deref().unwrap_or_default();
    assert_eq!(sso.len(), 1);
    let bindings: Vec<_> = sso[0]
        .single_sign_on_services
        .iter()
        .map(|s| s.binding.as_str())
        .collect();
    assert_eq!(bindings, [HTTP_REDIRECT_BINDING, HTTP_POST_BINDING]);
    assert!(
        sso[0]
            .single_sign_on_services
            .iter()
            .all(|s| s.location == "https://idp.example.test/sso")
    );
    assert!(!sso[0].name_id_formats.is_empty());

    let certs = sp(&idp)?.idp_signing_certs()?.unwrap_or_default();
    assert_eq!(certs, [CertificateDer::from(idp.certificate_der().to_vec())]);
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn samael_accepts_each_signing_layout() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let sp = sp(&idp)?;
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let response = standard(&idp, sign)?;
        let expected_signatures = if sign == Sign::Both { 2 } else { 1 };
        assert_eq!(count(response.xml(), "<ds:Signature "), expected_signatures, "{sign:?}");
        assert_eq!(count(response.xml(), "<ds:Reference "), expected_signatures, "{sign:?}");
        assert_eq!(
            count(response.xml(), &format!(r##"URI="#{}""##, response.id())),
            usize::from(sign != Sign::Assertion)
        );
        assert_eq!(
            count(response.xml(), &format!(r##"URI="#{}""##, response.assertion_id())),
            usize::from(sign != Sign::Response)
        );
        assert!(
            !response.xml().contains("sha1"),
            "{sign:?}: rsa-sha256 and sha256 digests only"
        );

        for mode in [ReduceMode::PreDigest, ReduceMode::ValidateAndMarkNoAncestors] {
            let assertion = sp
                .parse_base64_response_with_mode(&response.base64(), None, mode)
                .map_err(|e| format!("{sign:?} {mode:?}: {e}"))?;
            assert_eq!(assertion.id, response.assertion_id());
            assert_eq!(name_id(&assertion), Some("alice"));
            assert_eq!(attribute_values(&assertion, AWS_ROLE_SESSION_NAME_ATTRIBUTE), ["alice"]);
            assert_eq!(attribute_values(&assertion, "groups"), ["admins", "data-scientists"]);
        }
    }
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn samael_rejects_tampered_rogue_and_unsigned_responses() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let sp = sp(&idp)?;
    for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
        let tampered =
            standard(&idp, sign)?.mutate(|xml| *xml = xml.replace(">alice</saml:NameID>", ">admin</saml:NameID>"));
        assert!(tampered.xml().contains(">admin</saml:NameID>"));
        assert!(
            sp.parse_base64_response(&tampered.base64(), None).is_err(),
            "{sign:?} tampered"
        );

        let rogue_idp = idp.with_rogue_key()?;
        let rogue = standard(&rogue_idp, sign)?;
        assert!(rogue.xml().contains(&rogue_idp.signing_key().certificate_base64()));
        assert!(
            sp.parse_base64_response(&rogue.base64(), None).is_err(),
            "{sign:?} rogue key"
        );

        let stripped = standard(&idp, sign)?.strip_signature();
        assert!(!stripped.xml().contains("Signature"));
        assert!(
            sp.parse_base64_response(&stripped.base64(), None).is_err(),
            "{sign:?} stripped"
        );
    }

    // sign_with_key: same effect through the builder.
    let other = idp.with_rogue_key()?;
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .sign_with_key(other.signing_key())
        .build()?;
    assert!(sp.parse_base64_response(&response.base64(), None).is_err());
    assert!(
        sp_with(&other, SP, ACS, true)?
            .parse_base64_response(&response.base64(), None)
            .is_ok()
    );
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn overridden_fields_are_rejected_by_samael() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let sp = sp(&idp)?;
    let base = || idp.response().destination(ACS).audience(SP);
    assert!(sp.parse_base64_response(&base().build()?.base64(), None).is_ok());

    let cases = [
        ("unsigned", base().sign(Sign::Neither).build()?),
        ("issuer", base().issuer("https://evil.example.test").build()?),
        ("recipient", base().recipient("https://evil.example.test/acs").build()?),
        (
            "destination",
            idp.response()
                .destination("https://evil.example.test/acs")
                .recipient(ACS)
                .audience(SP)
                .build()?,
        ),
        (
            "audience",
            idp.response()
                .destination(ACS)
                .audience("https://evil.example.test")
                .build()?,
        ),
        (
            "status",
            base()
                .status_code("urn:oasis:names:tc:SAML:2.0:status:Requester")
                .build()?,
        ),
        (
            "expired subject confirmation",
            base()
                .subject_not_on_or_after(OffsetDateTime::now_utc() - Duration::minutes(10))
                .build()?,
        ),
    ];
    for (case, response) in cases {
        assert!(
            sp.parse_base64_response(&response.base64(), None).is_err(),
            "{case} accepted"
        );
    }
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn rsa_sha1_is_a_valid_signature_that_an_allowlist_rejects() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .algorithm(SignatureAlgorithm::RsaSha1)
        .build()?;
    assert_eq!(count(response.xml(), "http://www.w3.org/2000/09/xmldsig#rsa-sha1"), 2);
    assert_eq!(count(response.xml(), "http://www.w3.org/2000/09/xmldsig#sha1"), 2);
    assert!(sp(&idp)?.parse_base64_response(&response.base64(), None).is_err());

    let permissive = ServiceProviderBuilder::default()
        .entity_id(SP.to_owned())
        .acs_url(ACS.to_owned())
        .idp_metadata(idp.entity_descriptor()?)
        .allow_idp_initiated(true)
        .build()?;
    assert!(permissive.parse_base64_response(&response.base64(), None).is_ok());
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn sp_initiated_response_carries_in_response_to() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let sp = sp_with(&idp, SP, ACS, false)?;
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .in_response_to("_request-1")
        .build()?;
    assert_eq!(count(response.xml(), r#"InResponseTo="_request-1""#), 2);
    assert!(
        sp.parse_base64_response(&response.base64(), Some(&["_request-1"]))
            .is_ok()
    );
    assert!(sp.parse_base64_response(&response.base64(), Some(&["_other"])).is_err());

    let unsolicited = idp.response().destination(ACS).audience(SP).build()?;
    assert!(!unsolicited.xml().contains("InResponseTo"));
    assert!(
        sp.parse_base64_response(&unsolicited.base64(), Some(&["_request-1"]))
            .is_err()
    );
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn identity_center_style_response() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let audience = format!("{ACS}/"); // differs from the ACS URL by a trailing slash
    let at = OffsetDateTime::now_utc();
    let response = idp
        .identity_center_style(ACS, &audience, "alice", "d-1234567890")
        .at(at)
        .build()?;
    let xml = response.xml();

    assert!((4_000..10_000).contains(&xml.len()), "size {}", xml.len());
    assert_eq!(count(xml, "<ds:Signature "), 2);
    assert_eq!(count(xml, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"), 2);
    assert_eq!(
        count(
            xml,
            r#"<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#
        ),
        2
    );
    assert!(xml.contains(&format!(r#"Destination="{ACS}""#)));
    assert!(xml.contains(&format!(r#"Recipient="{ACS}""#)));
    assert!(xml.contains(&format!("<saml:Audience>{audience}</saml:Audience>")));
    assert!(!xml.contains("InResponseTo"));
    // The signed Assertion is inside the signed Response, whose signature comes first.
    let response_sig = xml
        .find(&format!(r##"URI="#{}""##, response.id()))
        .unwrap_or(usize::MAX);
    let assertion_sig = xml
        .find(&format!(r##"URI="#{}""##, response.assertion_id()))
        .unwrap_or(0);
    assert!(response_sig < assertion_sig);

    let sp = sp_with(&idp, &audience, ACS, true)?;
    let assertion = sp.parse_base64_response(&response.base64(), None)?;
    assert_eq!(attribute_values(&assertion, "username"), ["alice"]);
    assert_eq!(attribute_values(&assertion, "domain-id"), ["d-1234567890"]);
    let conditions = assertion.conditions.as_ref().ok_or("no conditions")?;
    let (not_before, not_on_or_after) = (
        conditions.not_before.ok_or("no NotBefore")?,
        conditions.not_on_or_after.ok_or("no NotOnOrAfter")?,
    );
    assert_eq!((assertion.issue_instant - not_before).num_seconds(), 300);
    assert_eq!((not_on_or_after - assertion.issue_instant).num_seconds(), 3600);
    let confirmation = assertion
        .subject
        .as_ref()
        .and_then(|s| s.subject_confirmations.as_ref())
        .and_then(|c| c.first())
        .and_then(|c| c.subject_confirmation_data.as_ref())
        .ok_or("no SubjectConfirmationData")?;
    assert_eq!(confirmation.not_on_or_after, Some(not_on_or_after));
    assert_eq!(confirmation.recipient.as_deref(), Some(ACS));
    assert_eq!(response.issue_instant(), at);
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn clock_and_time_window_are_injectable() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let sp = sp(&idp)?;
    let at = time::macros::datetime!(2030-01-02 03:04:05.678 UTC);
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .at(at)
        .not_before(at - Duration::minutes(1))
        .not_on_or_after(at + Duration::minutes(10))
        .subject_not_before(at - Duration::seconds(30))
        .subject_not_on_or_after(at + Duration::minutes(2))
        .build()?;
    let xml = response.xml();
    assert_eq!(count(xml, r#"IssueInstant="2030-01-02T03:04:05.678Z""#), 2);
    assert!(
        xml.contains(
            r#"<saml:Conditions NotBefore="2030-01-02T03:03:05.678Z" NotOnOrAfter="2030-01-02T03:14:05.678Z">"#
        )
    );
    assert!(xml.contains(
        r#"<saml:SubjectConfirmationData NotBefore="2030-01-02T03:03:35.678Z" NotOnOrAfter="2030-01-02T03:06:05.678Z""#
    ));
    assert_eq!(response.not_on_or_after(), at + Duration::minutes(10));
    // Issued in the future for samael's clock: rejected although the signature is valid.
    assert!(sp.parse_base64_response(&response.base64(), None).is_err());

    let stale = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .at(OffsetDateTime::now_utc() - Duration::hours(2))
        .build()?;
    assert!(sp.parse_base64_response(&stale.base64(), None).is_err());
    Ok(())
}

#[cfg(feature = "xmlsec")]
#[test]
fn inserted_values_are_escaped() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let tricky = r#"a<b>&"c"'d' ]]> é"#;
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .name_id(tricky)
        .attribute("x", [tricky])
        .session_index(tricky)
        .build()?;
    let assertion = sp(&idp)?.parse_base64_response(&response.base64(), None)?;
    assert_eq!(name_id(&assertion), Some(tricky));
    assert_eq!(attribute_values(&assertion, "x"), [tricky]);
    assert_eq!(response.session_index(), tricky);
    Ok(())
}

#[test]
fn responses_have_fresh_ids_and_base64_round_trips() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let a = standard(&idp, Sign::Both)?;
    let b = standard(&idp, Sign::Both)?;
    let ids = [
        a.id(),
        a.assertion_id(),
        b.id(),
        b.assertion_id(),
        a.session_index(),
        b.session_index(),
    ];
    for (i, x) in ids.iter().enumerate() {
        assert!(x.starts_with('_'));
        assert!(ids[i + 1..].iter().all(|y| y != x), "duplicate id {x}");
    }
    assert_eq!(STANDARD.decode(a.base64())?, a.xml().as_bytes());
    assert!(a.xml().starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#));
    Ok(())
}

#[test]
fn before_signing_hook_sees_assertion_then_response() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let mut seen = Vec::new();
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .before_signing(|part, xml| {
            seen.push(part);
            if part == SignedPart::Assertion {
                // Signed content a real IdP would not emit: a comment inside the NameID.
                *xml = xml.replace(">user</saml:NameID>", ">admin@x.test<!---->.evil.test</saml:NameID>");
            }
        })
        .build()?;
    assert_eq!(seen, [SignedPart::Assertion, SignedPart::Response]);
    assert!(response.xml().contains("admin@x.test<!---->.evil.test"));
    #[cfg(feature = "xmlsec")]
    {
        let reduced = Crypto::reduce_xml_to_signed(
            response.xml(),
            &[CertificateDer::from(idp.certificate_der().to_vec())],
            ReduceMode::PreDigest,
        )?;
        assert!(reduced.contains(&format!(r#"ID="{}""#, response.id())));
    }
    Ok(())
}

// --- python-xmlsec: an independent verifier --------------------------------------------------

#[test]
fn python_xmlsec_verifies_the_signatures() -> TestResult {
    let verifier = Verifier::new()?;
    let algorithms = [
        (KeyType::Rsa2048, SignatureAlgorithm::RsaSha256),
        (KeyType::Rsa2048, SignatureAlgorithm::RsaSha384),
        (KeyType::Rsa2048, SignatureAlgorithm::RsaSha512),
        (KeyType::Rsa2048, SignatureAlgorithm::RsaSha1),
        (KeyType::EcdsaP256, SignatureAlgorithm::EcdsaSha256),
        (KeyType::EcdsaP384, SignatureAlgorithm::EcdsaSha384),
        (KeyType::EcdsaP256, SignatureAlgorithm::EcdsaSha1),
    ];
    for (key_type, algorithm) in algorithms {
        let idp = SamlIdp::new(IDP)?.with_signing_key(SigningKey::generate_of(key_type, "test IdP")?);
        for sign in [Sign::Response, Sign::Assertion, Sign::Both] {
            let response = idp
                .response()
                .destination(ACS)
                .audience(SP)
                .name_id("alice")
                .sign(sign)
                .algorithm(algorithm)
                .build()?;
            // Without a node ID the verifier checks the first signature: the Response's when it has one.
            let verdict = verifier.verify(idp.certificate_pem(), response.xml(), None)?;
            assert_eq!(verdict, Verdict::Verified, "{sign:?} {algorithm:?}");
            if sign != Sign::Response {
                let verdict = verifier.verify(idp.certificate_pem(), response.xml(), Some(response.assertion_id()))?;
                assert_eq!(verdict, Verdict::Verified, "{sign:?} {algorithm:?} assertion");
            }

            let tampered = response.mutate(|xml| *xml = xml.replace(">alice<", ">admin<"));
            let verdict = verifier.verify(idp.certificate_pem(), tampered.xml(), None)?;
            assert!(
                matches!(verdict, Verdict::Invalid(_)),
                "{sign:?} {algorithm:?}: tampered document verified"
            );
        }
    }

    let idp = SamlIdp::new(IDP)?;
    let rogue = standard(&idp.with_rogue_key()?, Sign::Both)?;
    let verdict = verifier.verify(idp.certificate_pem(), rogue.xml(), None)?;
    assert!(
        matches!(verdict, Verdict::Invalid(_)),
        "rogue key verified against the IdP certificate"
    );
    Ok(())
}

/// The signer's exclusive canonicalisation on documents that exercise it (namespaces declared,
/// unused, rebound, undeclared; attribute order across namespaces; escapes; CDATA, comments and
/// character references; whitespace; `InclusiveNamespaces`), checked by python-xmlsec.
#[test]
fn python_xmlsec_verifies_signatures_over_canonicalisation_edge_cases() -> TestResult {
    const DOCUMENT: &str = concat!(
        // A samlp:Response, so that the verifier registers its ID.
        r#"<r:Response xmlns:r="urn:oasis:names:tc:SAML:2.0:protocol" xmlns="urn:default" xmlns:unused="urn:unused""#,
        r#" ID="_root" b="2" a="1" r:z="x">"#,
        "{sig}",
        r#"<child attr="tab&#9;nl&#10;cr&#13;q&quot;lt&lt;gt&gt;amp&amp;" other='a"b'>"#,
        "text &amp; &lt; &gt; &#13; \u{e9} \u{2713}<![CDATA[ <cdata> & ]]><!-- comment --><?pi x?>after</child>",
        r#"<plain xmlns=""><deeper/><r:back/></plain><r:empty/><d><n xmlns=""><deep/></n></d>"#,
        r#"<other xmlns:r="urn:r2"><r:x r:y="1"/></other>"#,
        r#"<x xml:lang="en" xmlns:b="urn:b" b:attr="v" r:attr="w" attr="u" xmlns:a="urn:a" a:attr="t"/>"#,
        "\r\n  <ws>  </ws>\n</r:Response>",
    );
    let verifier = Verifier::new()?;
    let idp = SamlIdp::new(IDP)?;
    for (uri, prefixes) in [("#_root", None), ("", None), ("#_root", Some("#default unused r"))] {
        let template = signature_template(uri, SignatureAlgorithm::RsaSha256, prefixes, None);
        let signed = sign_enveloped(&DOCUMENT.replace("{sig}", &template), idp.signing_key())?;
        let verdict = verifier.verify(idp.certificate_pem(), &signed, None)?;
        assert_eq!(verdict, Verdict::Verified, "{uri:?} {prefixes:?}: {signed}");
        let tampered = signed.replace(">after<", ">afteR<");
        let verdict = verifier.verify(idp.certificate_pem(), &tampered, None)?;
        assert!(matches!(verdict, Verdict::Invalid(_)), "{uri:?} {prefixes:?}");
    }
    Ok(())
}

#[tokio::test]
async fn metadata_is_served_over_http_until_dropped() -> TestResult {
    let idp = SamlIdp::new(IDP)?;
    let server = idp.serve_metadata().await?;
    assert_eq!(server.url().host_str(), Some("127.0.0.1"));
    let client = reqwest::Client::builder().no_proxy().build()?;
    let response = client.get(server.url().clone()).send().await?;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers().get("content-type").map(|v| v.as_bytes()),
        Some(&b"application/samlmetadata+xml"[..])
    );
    assert_eq!(response.text().await?, idp.metadata_xml());

    let addr = server.addr();
    drop(server);
    let mut closed = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(closed, "metadata server still accepting after drop");
    Ok(())
}
