//! `studio-fed saml verify`, run as a user runs it: the real binary on responses signed by the
//! testkit IdP.

use std::path::PathBuf;
use std::process::{Command, Output};

use studio_fed_testkit::saml_idp::{SamlIdp, Sign};

const IDP: &str = "https://idp.example.test/saml/metadata";
const SP: &str = "https://sp.example.test/saml";
const ACS: &str = "https://sp.example.test/saml/acs";
const ROLE: &str = "arn:aws:iam::111122223333:role/Studio,arn:aws:iam::111122223333:saml-provider/Test";

fn studio_fed(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_studio-fed"))
        .args(args)
        .output()
        .expect("run studio-fed")
}

fn file(test: &str, name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("studio-fed-cli-saml-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write file");
    path
}

fn setup(test: &str, tamper: bool, as_xml: bool) -> (PathBuf, PathBuf) {
    let idp = SamlIdp::new(IDP).expect("idp");
    let response = idp
        .response()
        .destination(ACS)
        .audience(SP)
        .name_id("alice")
        .attribute("https://aws.amazon.com/SAML/Attributes/Role", [ROLE])
        .sign(Sign::Both)
        .build()
        .expect("response");
    let response = if tamper {
        response.mutate(|xml| *xml = xml.replace(">alice</saml:NameID>", ">admin</saml:NameID>"))
    } else {
        response
    };
    let body = if as_xml {
        response.xml().to_owned()
    } else {
        response.base64()
    };
    (
        file(test, "metadata.xml", &idp.metadata_xml()),
        file(test, "response.txt", &body),
    )
}

fn verify(metadata: &std::path::Path, response: &std::path::Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "saml",
        "verify",
        "--metadata",
        metadata.to_str().expect("path"),
        "--audience",
        SP,
        "--acs",
        ACS,
    ];
    args.extend_from_slice(extra);
    args.push(response.to_str().expect("path"));
    studio_fed(&args)
}

#[test]
fn accepts_a_signed_response_and_prints_json() {
    for (test, as_xml) in [("accept-b64", false), ("accept-xml", true)] {
        let (metadata, response) = setup(test, false, as_xml);
        let out = verify(&metadata, &response, &["-o", "json"]);
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["name_id"], "alice");
        assert_eq!(json["issuer"], IDP);
        assert_eq!(
            json["aws_roles"][0]["role_arn"],
            "arn:aws:iam::111122223333:role/Studio"
        );
        assert_eq!(
            json["attributes"]["https://aws.amazon.com/SAML/Attributes/Role"][0],
            ROLE
        );
    }
}

#[test]
fn rejects_a_tampered_response_with_exit_3() {
    let (metadata, response) = setup("tampered", true, false);
    let out = verify(&metadata, &response, &[]);
    assert_eq!(out.status.code(), Some(3));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rejected: the SAML response's signature is invalid"),
        "{stderr}"
    );
    assert!(!stderr.contains("admin"), "{stderr}");
}

#[test]
fn rejects_an_expired_response_at_a_later_now() {
    let (metadata, response) = setup("later", false, false);
    let later = (time::OffsetDateTime::now_utc() + time::Duration::hours(3))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let out = verify(&metadata, &response, &["--now", &later]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expired"));
}

#[test]
fn unreadable_files_and_bad_arguments() {
    let (metadata, response) = setup("errors", false, false);
    let missing = PathBuf::from("/nonexistent/response.txt");
    assert_eq!(verify(&metadata, &missing, &[]).status.code(), Some(1));
    assert_eq!(
        verify(&metadata, &response, &["--now", "yesterday"]).status.code(),
        Some(2)
    );
    assert_eq!(studio_fed(&["saml", "verify"]).status.code(), Some(2));
}
