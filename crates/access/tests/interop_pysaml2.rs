//! Interoperability with real SAML identity-provider software: pysaml2 (PyPI, pinned in
//! `tests/interop/pysaml2/requirements.txt`) signs responses through python-xmlsec (the XML
//! Security Library's pinned wheels; `tests/interop/pysaml2/xmlsec_backend.py`), and the
//! gateway's ACS takes them end to end (a 303 to a presigned URL the emulator redeems) in every
//! shape a deployment meets: Response signed, Assertion signed, both, SHA-256, SP-initiated
//! (`/saml/login`, answered by pysaml2 from the AuthnRequest it parsed; signed for a pysaml2 that
//! wants signed requests, which verifies the signature) and IdP-initiated.
//! pysaml2's default SHA-1 is refused unless `[saml] allow_sha1 = true`; the signature-wrapping,
//! signed-scope and comment-injection attacks of `federation-threats.md`, cut into pysaml2's own
//! output (its `ns0:`/`ns1:`/`ns2:` prefixes, `Id` attributes on signatures), are refused.
//!
//! pysaml2 runs from a virtual environment created once under `target/studio-fed-pysaml2/` by
//! `studio_fed_testkit::xmlsec_py`, like the emulator's, from wheels only: no system package, no
//! `xmlsec1` program. Nothing is skipped: without Python's `venv` the tests fail saying what to
//! install.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use studio_fed_access::audit::Outcome;
use studio_fed_testkit::saml_idp::SigningKey;
use studio_fed_testkit::saml_idp::surgery::{
    element_range, insert_before, remove_element, rename_id, replace_all, replace_first, without_declaration,
};
use studio_fed_testkit::saml_idp::threats::COMMENT_INJECTION_FULL_TEXT;
use studio_fed_testkit::xmlsec_py::PythonEnvironment;
use support::*;

const IDP_ENTITY_ID: &str = "https://pysaml2-idp.test/idp";
const IDP_SSO_URL: &str = "https://pysaml2-idp.test/sso";
/// A user of the same team with a profile: a wrapping attack that worked would log in as them.
const EVIL_USER: &str = "mallory";

const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const DIGEST_SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const DIGEST_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";

// --- pysaml2 ---------------------------------------------------------------------------------------

/// The last lines a command printed on stderr.
fn stderr_tail(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = stderr.lines().rev().take(12).collect();
    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// pysaml2's virtual environment (`tests/interop/pysaml2`), created on first use (once per
/// checkout, safe from several test processes at once) and reused while requirements.txt is
/// unchanged.
fn environment() -> &'static PythonEnvironment {
    static ENVIRONMENT: OnceLock<PythonEnvironment> = OnceLock::new();
    ENVIRONMENT.get_or_init(|| PythonEnvironment::prepare().unwrap_or_else(|e| panic!("{e}")))
}

/// Which element pysaml2 signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signed {
    Response,
    Assertion,
    Both,
}

impl Signed {
    fn arg(self) -> &'static str {
        match self {
            Signed::Response => "response",
            Signed::Assertion => "assertion",
            Signed::Both => "both",
        }
    }
}

/// pysaml2's own default algorithms (rsa-sha1, sha1), or rsa-sha256 and sha256 set explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Default,
    Sha256,
}

/// A pysaml2 IdP: its key, certificate and metadata in a directory of its own.
struct Pysaml2 {
    dir: PathBuf,
    /// Set `want_authn_requests_signed`: pysaml2 then says so in its metadata, verifies the
    /// signature of every AuthnRequest and refuses unsigned ones.
    wants_signed_requests: bool,
}

impl Drop for Pysaml2 {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// What pysaml2 should sign, for the service provider `gw`.
struct Login<'a> {
    gw: &'a TestGateway,
    signed: Signed,
    algorithm: Algorithm,
    name_id: &'a str,
    attributes: Vec<(&'a str, String)>,
    /// The query of the gateway's redirect (`SAMLRequest`, and `SigAlg` and `Signature` when
    /// signed), for an SP-initiated login.
    authn_request: Option<&'a str>,
    /// The gateway's own SP metadata file, instead of a minimal one.
    sp_metadata: Option<&'a Path>,
}

impl<'a> Login<'a> {
    /// Both signed, SHA-256, IdP-initiated, [`USER`] in `domain`.
    fn new(gw: &'a TestGateway, domain: &str) -> Self {
        Login {
            gw,
            signed: Signed::Both,
            algorithm: Algorithm::Sha256,
            name_id: USER,
            attributes: vec![("username", USER.to_owned()), ("domain-id", domain.to_owned())],
            authn_request: None,
            sp_metadata: None,
        }
    }

    fn signed(mut self, signed: Signed) -> Self {
        self.signed = signed;
        self
    }

    fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    fn user(mut self, user: &'a str) -> Self {
        self.name_id = user;
        self.attributes[0].1 = user.to_owned();
        self
    }

    fn answering(mut self, redirect_query: &'a str) -> Self {
        self.authn_request = Some(redirect_query);
        self
    }

    fn sp_metadata(mut self, file: &'a Path) -> Self {
        self.sp_metadata = Some(file);
        self
    }
}

impl Pysaml2 {
    /// A fresh IdP: an RSA key and self-signed certificate (OpenSSL), and pysaml2's metadata for it.
    fn start() -> Pysaml2 {
        Self::start_with(false)
    }

    /// A fresh IdP that wants signed AuthnRequests.
    fn wanting_signed_requests() -> Pysaml2 {
        Self::start_with(true)
    }

    fn start_with(wants_signed_requests: bool) -> Pysaml2 {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "studio-fed-pysaml2-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        fs::create_dir_all(&dir).unwrap();
        let idp = Pysaml2 {
            dir,
            wants_signed_requests,
        };
        let key = SigningKey::generate("pysaml2 test IdP").unwrap();
        fs::write(idp.dir.join("key.pem"), key.private_key_pem().unwrap()).unwrap();
        fs::write(idp.dir.join("cert.pem"), key.certificate_pem()).unwrap();
        idp.script("metadata", &[]);
        idp
    }

    fn script(&self, command: &str, args: &[String]) -> String {
        self.try_script(command, args)
            .unwrap_or_else(|stderr| panic!("pysaml2 (tests/interop/pysaml2/idp.py {command}) failed\n{stderr}"))
    }

    /// Runs idp.py: its output, or the end of what it printed on stderr when it failed.
    fn try_script(&self, command: &str, args: &[String]) -> Result<String, String> {
        let mut script = Command::new(&environment().python);
        script
            .arg(environment().source_dir.join("idp.py"))
            .arg(command)
            .arg("--dir")
            .arg(&self.dir)
            .args(["--entity-id", IDP_ENTITY_ID, "--sso-url", IDP_SSO_URL])
            .args(args);
        if self.wants_signed_requests {
            script.arg("--want-signed-requests");
        }
        let output = script
            .output()
            .unwrap_or_else(|e| panic!("cannot run tests/interop/pysaml2/idp.py: {e}"));
        if !output.status.success() {
            return Err(stderr_tail(&output));
        }
        Ok(String::from_utf8(output.stdout).unwrap())
    }

    /// pysaml2's metadata file, for the gateway's `[saml] metadata_file`.
    fn metadata_file(&self) -> String {
        self.dir.join("idp-metadata.xml").display().to_string()
    }

    /// The base64 `SAMLResponse` pysaml2 signs for `login`.
    fn sign(&self, login: &Login<'_>) -> String {
        self.try_sign(login)
            .unwrap_or_else(|stderr| panic!("pysaml2 (tests/interop/pysaml2/idp.py response) failed\n{stderr}"))
    }

    /// The base64 `SAMLResponse` pysaml2 signs for `login`, or why pysaml2 would not.
    fn try_sign(&self, login: &Login<'_>) -> Result<String, String> {
        let mut args = vec![
            "--sp-entity-id".to_owned(),
            format!("{}/", login.gw.acs()),
            "--acs".to_owned(),
            login.gw.acs(),
            "--name-id".to_owned(),
            login.name_id.to_owned(),
            "--sign".to_owned(),
            login.signed.arg().to_owned(),
            "--algorithm".to_owned(),
            match login.algorithm {
                Algorithm::Default => "default",
                Algorithm::Sha256 => "sha256",
            }
            .to_owned(),
        ];
        for (name, value) in &login.attributes {
            args.push("--attribute".to_owned());
            args.push(format!("{name}={value}"));
        }
        if let Some(query) = login.authn_request {
            args.push("--authn-request".to_owned());
            args.push(query.to_owned());
        }
        if let Some(file) = login.sp_metadata {
            args.push("--sp-metadata".to_owned());
            args.push(file.display().to_string());
        }
        Ok(self.try_script("response", &args)?.trim().to_owned())
    }

    /// The XML pysaml2 signs for `login`.
    fn sign_xml(&self, login: &Login<'_>) -> String {
        decode(&self.sign(login))
    }
}

fn decode(form_value: &str) -> String {
    String::from_utf8(STANDARD.decode(form_value).unwrap()).unwrap()
}

fn encode(xml: &str) -> String {
    STANDARD.encode(xml)
}

// --- the gateway -------------------------------------------------------------------------------------

/// The emulator, a domain with the profiles of [`USER`] and [`EVIL_USER`] (team `vision`), pysaml2.
async fn pysaml2_world() -> (World, Pysaml2) {
    let w = world().await;
    create_profile(&w.sagemaker, &w.domain, EVIL_USER, "vision").await;
    (w, Pysaml2::start())
}

/// A gateway trusting pysaml2's metadata; `edit` adjusts the configuration text.
async fn gateway(w: &World, idp: &Pysaml2, edit: impl Fn(String) -> String) -> TestGateway {
    let config = edit(saml_config(&idp.metadata_file(), &w.domain, ""));
    start_gateway(&config, w.emulator.sdk_config(), None).await
}

/// Posts `form_value` (with `headers`) and asserts the login went through: a 303 to a presigned
/// URL that the emulator redeems, and an audit record of [`USER`] allowed.
async fn assert_logs_in(w: &World, gw: &TestGateway, form_value: &str, headers: &[(&str, &str)]) {
    let answer = post_acs(gw, form_value, headers).await;
    assert_eq!(
        answer.status(),
        303,
        "{} {:?}",
        error_code(&answer),
        answer.text().await.unwrap()
    );
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let redemption = w.emulator.redeem(&location).await.unwrap();
    assert!(redemption.valid, "{redemption:?}");
    let event = gw.audit.events().pop().unwrap();
    assert_eq!(event.outcome, Outcome::Allowed);
    assert_eq!(event.user.as_deref(), Some(USER));
    assert_eq!(event.profile.as_deref(), Some(USER));
}

/// The `<{prefix}:Signature` elements' parents, by counting: (Response signed, Assertion signed).
fn signed_elements(xml: &str) -> (bool, bool) {
    let p = Prefixes::of(xml);
    let signature = format!("<{}:Signature ", p.ds);
    let assertion = element_range(xml, &format!("<{}:Assertion ", p.a), &format!("</{}:Assertion>", p.a)).unwrap();
    let in_assertion = xml[assertion.clone()].matches(&signature).count();
    let total = xml.matches(&signature).count();
    (total > in_assertion, in_assertion == 1)
}

// --- accepted shapes -------------------------------------------------------------------------------

#[tokio::test]
async fn a_response_signed_by_pysaml2_logs_in() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let form_value = idp.sign(&Login::new(&gw, &w.domain).signed(Signed::Response));
    assert_eq!(signed_elements(&decode(&form_value)), (true, false));
    assert_logs_in(&w, &gw, &form_value, &[]).await;
}

#[tokio::test]
async fn an_assertion_signed_by_pysaml2_logs_in() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let form_value = idp.sign(&Login::new(&gw, &w.domain).signed(Signed::Assertion));
    assert_eq!(signed_elements(&decode(&form_value)), (false, true));
    assert_logs_in(&w, &gw, &form_value, &[]).await;
}

#[tokio::test]
async fn a_response_and_assertion_both_signed_by_pysaml2_log_in() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let form_value = idp.sign(&Login::new(&gw, &w.domain).signed(Signed::Both));
    assert_eq!(signed_elements(&decode(&form_value)), (true, true));
    assert_logs_in(&w, &gw, &form_value, &[]).await;
}

#[tokio::test]
async fn pysaml2_set_to_sha256_signs_with_rsa_sha256_and_sha256_digests_which_log_in() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let form_value = idp.sign(&Login::new(&gw, &w.domain).algorithm(Algorithm::Sha256));
    let xml = decode(&form_value);
    assert_eq!(xml.matches(&format!("Algorithm=\"{RSA_SHA256}\"")).count(), 2, "{xml}");
    assert_eq!(
        xml.matches(&format!("Algorithm=\"{DIGEST_SHA256}\"")).count(),
        2,
        "{xml}"
    );
    assert!(!xml.contains(RSA_SHA1) && !xml.contains(DIGEST_SHA1), "{xml}");
    assert_logs_in(&w, &gw, &form_value, &[]).await;
}

/// Only solicited responses: a login must go through its InResponseTo.
fn only_solicited(config: String) -> String {
    config.replace("allow_idp_initiated = true", "allow_idp_initiated = false")
}

/// Starts an SP-initiated login at `gw`: the query of its redirect to pysaml2's SSO URL and the
/// cookie remembering the request.
async fn start_sp_login(gw: &TestGateway) -> (String, String) {
    let started = client().get(format!("{}/saml/login", gw.url)).send().await.unwrap();
    assert_eq!(started.status(), 303);
    let location = url::Url::parse(started.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(
        location.as_str().split('?').next(),
        Some(IDP_SSO_URL),
        "the SSO URL of pysaml2's metadata"
    );
    let cookie = started.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (location.query().unwrap().to_owned(), cookie)
}

#[tokio::test]
async fn an_sp_initiated_login_answered_by_pysaml2_logs_in() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, only_solicited).await;
    let (query, cookie) = start_sp_login(&gw).await;
    assert!(!query.contains("Signature="), "unsigned without a key: {query}");

    // pysaml2 parses the AuthnRequest (HTTP-Redirect binding), checks its issuer and ACS against
    // the SP metadata it was given, and answers it.
    let form_value = idp.sign(&Login::new(&gw, &w.domain).answering(&query));
    let xml = decode(&form_value);
    let saml_request = url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "SAMLRequest")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    let mut request_xml = String::new();
    std::io::Read::read_to_string(
        &mut flate2::read::DeflateDecoder::new(STANDARD.decode(&saml_request).unwrap().as_slice()),
        &mut request_xml,
    )
    .unwrap();
    let request_id = request_xml.split(" ID=\"").nth(1).unwrap().split('"').next().unwrap();
    assert_eq!(
        xml.matches(&format!("InResponseTo=\"{request_id}\"")).count(),
        2,
        "the Response and its SubjectConfirmationData answer the request: {xml}"
    );

    // Without the browser's cookie, the response answers no request the gateway knows.
    let refused = post_acs(&gw, &form_value, &[]).await;
    assert_eq!(
        (refused.status().as_u16(), error_code(&refused)),
        (403, "saml.unknown_in_response_to".into())
    );
    assert_logs_in(&w, &gw, &form_value, &[("cookie", &cookie)]).await;
}

#[tokio::test]
async fn an_idp_wanting_signed_authn_requests_verifies_the_gateways_signature_and_refuses_others() {
    let w = world().await;
    let idp = Pysaml2::wanting_signed_requests();
    let metadata = fs::read_to_string(idp.metadata_file()).unwrap();
    assert!(metadata.contains(r#"WantAuthnRequestsSigned="true""#), "{metadata}");

    // Without a signing key the gateway starts no login the IdP would refuse, and says why.
    let unsigned = gateway(&w, &idp, only_solicited).await;
    let answer = client()
        .get(format!("{}/saml/login", unsigned.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (400, "bad_request".into())
    );
    assert!(answer.headers().get("location").is_none());
    let page = answer.text().await.unwrap();
    assert!(page.contains("request_signing_key_file"), "{page}");

    // With one, the gateway's metadata publishes its certificate; pysaml2 reads the metadata,
    // verifies the request's signature with that certificate, and answers.
    let key = SigningKey::generate("studio-fed gateway requests").unwrap();
    let key_file = idp.dir.join("gateway-key.pem");
    let certificate_file = idp.dir.join("gateway-cert.pem");
    fs::write(&key_file, key.private_key_pem().unwrap()).unwrap();
    fs::write(&certificate_file, key.certificate_pem()).unwrap();
    let setting = format!(
        "[saml]\nrequest_signing_key_file = \"{}\"\nrequest_signing_certificate_file = \"{}\"\n",
        key_file.display(),
        certificate_file.display()
    );
    let gw = gateway(&w, &idp, |c| only_solicited(c).replace("[saml]\n", &setting)).await;
    let sp_metadata = client().get(format!("{}/saml/metadata", gw.url)).send().await.unwrap();
    assert_eq!(sp_metadata.status(), 200);
    assert_eq!(sp_metadata.headers()["content-type"], "application/samlmetadata+xml");
    let sp_metadata_file = idp.dir.join("gateway-metadata.xml");
    fs::write(&sp_metadata_file, sp_metadata.text().await.unwrap()).unwrap();

    let (query, cookie) = start_sp_login(&gw).await;
    let (signed_part, _) = query.split_once("&Signature=").unwrap();
    assert!(
        signed_part.ends_with("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"),
        "{query}"
    );
    let login = Login::new(&gw, &w.domain).sp_metadata(&sp_metadata_file);
    let form_value = idp.sign(&login.answering(&query));
    assert_logs_in(&w, &gw, &form_value, &[("cookie", &cookie)]).await;

    // pysaml2 refuses the request unsigned, or with another request's signature.
    let (other_query, _) = start_sp_login(&gw).await;
    let (_, other_signature) = other_query.split_once("&Signature=").unwrap();
    let without_signature = signed_part.split("&SigAlg=").next().unwrap().to_owned();
    let swapped = format!("{signed_part}&Signature={other_signature}");
    for (case, bad) in [("unsigned", without_signature), ("swapped signature", swapped)] {
        let login = Login::new(&gw, &w.domain).sp_metadata(&sp_metadata_file);
        let error = idp.try_sign(&login.answering(&bad)).unwrap_err();
        assert!(error.contains("Request was not signed correctly"), "{case}: {error}");
    }
}

#[tokio::test]
async fn an_idp_initiated_response_from_pysaml2_logs_in_when_idp_initiated_login_is_allowed() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let form_value = idp.sign(&Login::new(&gw, &w.domain));
    assert!(!decode(&form_value).contains("InResponseTo"));
    assert_logs_in(&w, &gw, &form_value, &[]).await;

    let strict = gateway(&w, &idp, |c| {
        c.replace("allow_idp_initiated = true", "allow_idp_initiated = false")
    })
    .await;
    let answer = post_acs(&strict, &idp.sign(&Login::new(&strict, &w.domain)), &[]).await;
    assert_eq!(
        (answer.status().as_u16(), error_code(&answer)),
        (403, "saml.unsolicited_response".into())
    );
}

#[tokio::test]
async fn pysaml2_default_sha1_is_refused_unless_sha1_is_allowed() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    for signed in [Signed::Response, Signed::Assertion, Signed::Both] {
        let form_value = idp.sign(&Login::new(&gw, &w.domain).signed(signed).algorithm(Algorithm::Default));
        let xml = decode(&form_value);
        assert!(
            xml.contains(&format!("Algorithm=\"{RSA_SHA1}\"")) && xml.contains(&format!("Algorithm=\"{DIGEST_SHA1}\"")),
            "pysaml2's defaults are rsa-sha1 and sha1: {xml}"
        );
        let answer = post_acs(&gw, &form_value, &[]).await;
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (403, "saml.weak_algorithm".into()),
            "{signed:?}"
        );
    }

    let allowing = gateway(&w, &idp, |c| {
        c.replace(
            "allow_idp_initiated = true",
            "allow_idp_initiated = true\nallow_sha1 = true",
        )
    })
    .await;
    for signed in [Signed::Response, Signed::Assertion, Signed::Both] {
        let form_value = idp.sign(
            &Login::new(&allowing, &w.domain)
                .signed(signed)
                .algorithm(Algorithm::Default),
        );
        assert_logs_in(&w, &allowing, &form_value, &[]).await;
    }
}

// --- attacks on pysaml2's output -------------------------------------------------------------------

/// The namespace prefixes a document uses (pysaml2: `ns0`, `ns1`, `ns2`).
struct Prefixes {
    /// SAML protocol (`Response`, `Status`).
    p: String,
    /// SAML assertion (`Assertion`, `NameID`, `Issuer`).
    a: String,
    /// XML-DSig (`Signature`).
    ds: String,
}

impl Prefixes {
    fn of(xml: &str) -> Prefixes {
        let prefix = |ns: &str| -> String {
            let declaration = xml
                .find(&format!("=\"{ns}\""))
                .unwrap_or_else(|| panic!("{ns} is not declared"));
            let start = xml[..declaration].rfind("xmlns:").unwrap() + "xmlns:".len();
            xml[start..declaration].to_owned()
        };
        Prefixes {
            p: prefix(NS_PROTOCOL),
            a: prefix(NS_ASSERTION),
            ds: prefix(NS_DSIG),
        }
    }
}

/// One of pysaml2's responses, cut apart.
struct Parts {
    xml: String,
    p: Prefixes,
    response_id: String,
    assertion_id: String,
}

impl Parts {
    fn of(xml: String) -> Parts {
        let p = Prefixes::of(&xml);
        let id_after = |marker: &str| -> String {
            let start = xml.find(marker).unwrap_or_else(|| panic!("no {marker}"));
            let rest = &xml[start..];
            let id = rest.split(" ID=\"").nth(1).unwrap();
            id[..id.find('"').unwrap()].to_owned()
        };
        let response_id = id_after(&format!("<{}:Response ", p.p));
        let assertion_id = id_after(&format!("<{}:Assertion ", p.a));
        Parts {
            xml,
            p,
            response_id,
            assertion_id,
        }
    }

    fn signature_open(&self) -> String {
        format!("<{}:Signature ", self.p.ds)
    }

    fn signature_close(&self) -> String {
        format!("</{}:Signature>", self.p.ds)
    }

    fn assertion_close(&self) -> String {
        format!("</{}:Assertion>", self.p.a)
    }

    /// `xml` without its first signature.
    fn unsigned(&self, xml: &str) -> String {
        remove_element(xml, &self.signature_open(), &self.signature_close()).unwrap()
    }

    /// (before the assertion, the assertion, after it).
    fn assertion_parts(&self) -> (&str, &str, &str) {
        let range = element_range(&self.xml, &format!("<{}:Assertion ", self.p.a), &self.assertion_close()).unwrap();
        (
            &self.xml[..range.start],
            &self.xml[range.clone()],
            &self.xml[range.end..],
        )
    }

    /// `xml` logging in [`EVIL_USER`] instead of [`USER`] (NameID and the `username` attribute).
    fn edit_subject(&self, xml: &str) -> String {
        let name_id = replace_all(
            xml,
            &format!(">{USER}</{}:NameID>", self.p.a),
            &format!(">{EVIL_USER}</{}:NameID>", self.p.a),
        )
        .unwrap();
        replace_all(
            &name_id,
            &format!(">{USER}</{}:AttributeValue>", self.p.a),
            &format!(">{EVIL_USER}</{}:AttributeValue>", self.p.a),
        )
        .unwrap()
    }
}

#[tokio::test]
async fn signature_wrapping_and_signed_scope_edits_of_pysaml2_responses_are_refused() {
    let (w, idp) = pysaml2_world().await;
    let gw = gateway(&w, &idp, |c| c).await;
    let mut attacks: Vec<(&str, String, &str)> = Vec::new();

    // XSW1/XSW2: the signed Response copied, the copy edited (new IDs), the original kept.
    let r = Parts::of(idp.sign_xml(&Login::new(&gw, &w.domain).signed(Signed::Response)));
    let body = without_declaration(&r.xml);
    let original = r.unsigned(body);
    let evil = r.edit_subject(&rename_id(
        &rename_id(body, &r.response_id, "_evilresp"),
        &r.assertion_id,
        "_evilassert",
    ));
    attacks.push((
        "xsw1_original_response_inside_signature",
        insert_before(&evil, &r.signature_close(), &original).unwrap(),
        "signature_wrapping",
    ));
    attacks.push((
        "xsw2_original_response_before_signature",
        insert_before(&evil, &r.signature_open(), &original).unwrap(),
        "signature_wrapping",
    ));
    let evil_same_assertion_id = r.edit_subject(&rename_id(body, &r.response_id, "_evilresp"));
    attacks.push((
        "xsw1_copy_keeps_the_assertion_id",
        insert_before(&evil_same_assertion_id, &r.signature_close(), &original).unwrap(),
        "duplicate_id",
    ));
    // Only the Response signed: the assertion inside it edited.
    attacks.push((
        "response_signed_assertion_edited",
        r.edit_subject(&r.xml),
        "signature_invalid",
    ));

    // XSW3..XSW8: the signed Assertion copied, the copy edited.
    let r = Parts::of(idp.sign_xml(&Login::new(&gw, &w.domain).signed(Signed::Assertion)));
    let (head, signed, tail) = r.assertion_parts();
    let original = r.unsigned(signed);
    let evil_unsigned = r.edit_subject(&rename_id(&original, &r.assertion_id, "_evil"));
    let evil_signed = r.edit_subject(&rename_id(signed, &r.assertion_id, "_evil"));
    let response_close = format!("</{}:Response>", r.p.p);
    let status_open = format!("<{}:Status>", r.p.p);
    attacks.push((
        "xsw3_evil_assertion_before_signed_assertion",
        format!("{head}{evil_unsigned}{signed}{tail}"),
        "multiple_assertions",
    ));
    let wrapper = replace_first(
        &evil_unsigned,
        &r.assertion_close(),
        &format!("{signed}{}", r.assertion_close()),
    )
    .unwrap();
    attacks.push((
        "xsw4_evil_assertion_wraps_signed_assertion",
        format!("{head}{wrapper}{tail}"),
        "multiple_assertions",
    ));
    attacks.push((
        "xsw5_evil_copy_keeps_signature_original_appended",
        insert_before(&format!("{head}{evil_signed}{tail}"), &response_close, &original).unwrap(),
        "multiple_assertions",
    ));
    attacks.push((
        "xsw6_original_assertion_inside_signature_of_evil_copy",
        format!(
            "{head}{}{tail}",
            insert_before(&evil_signed, &r.signature_close(), &original).unwrap()
        ),
        "multiple_assertions",
    ));
    let head_with_extensions = insert_before(
        head,
        &status_open,
        &format!("<{p}:Extensions>{signed}</{p}:Extensions>", p = r.p.p),
    )
    .unwrap();
    attacks.push((
        "xsw7_signed_assertion_in_extensions",
        format!("{head_with_extensions}{evil_unsigned}{tail}"),
        "multiple_assertions",
    ));
    attacks.push((
        "xsw7_only_assertion_in_extensions",
        format!("{head_with_extensions}{tail}"),
        "signature_wrapping",
    ));
    let object = format!("<{ds}:Object>{original}</{ds}:Object>", ds = r.p.ds);
    attacks.push((
        "xsw8_original_assertion_in_signature_object",
        format!(
            "{head}{}{tail}",
            insert_before(&evil_signed, &r.signature_close(), &object).unwrap()
        ),
        "multiple_assertions",
    ));
    attacks.push((
        "duplicate_ids",
        replace_first(
            &r.xml,
            &status_open,
            &format!("<{}:Status ID=\"{}\">", r.p.p, r.assertion_id),
        )
        .unwrap(),
        "duplicate_id",
    ));
    // Only the Assertion signed: the unsigned Response's fields edited.
    attacks.push((
        "assertion_signed_unsigned_destination_edited",
        replace_all(
            &r.xml,
            &format!("Destination=\"{}\"", gw.acs()),
            "Destination=\"https://evil.test/acs\"",
        )
        .unwrap(),
        "wrong_destination",
    ));
    attacks.push((
        "assertion_signed_unsigned_status_edited",
        replace_all(
            &r.xml,
            "urn:oasis:names:tc:SAML:2.0:status:Success",
            "urn:oasis:names:tc:SAML:2.0:status:Requester",
        )
        .unwrap(),
        "status_not_success",
    ));
    attacks.push((
        "assertion_signed_unsigned_issuer_edited",
        replace_first(
            &r.xml,
            &format!(">{IDP_ENTITY_ID}</{}:Issuer>", r.p.a),
            &format!(">https://evil.test</{}:Issuer>", r.p.a),
        )
        .unwrap(),
        "wrong_issuer",
    ));

    // The unmodified responses log in: the refusals below are the attacks'.
    assert_logs_in(&w, &gw, &encode(&r.xml), &[]).await;
    let mut failures = Vec::new();
    for (name, xml, expected) in &attacks {
        let answer = post_acs(&gw, &encode(xml), &[]).await;
        let (status, code) = (answer.status(), error_code(&answer));
        if !status.is_client_error() || code != format!("saml.{expected}") {
            failures.push(format!("{name}: {status} {code}, expected 4xx saml.{expected}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let allowed: Vec<_> = gw
        .audit
        .events()
        .into_iter()
        .filter(|e| e.outcome == Outcome::Allowed)
        .map(|e| e.user)
        .collect();
    assert_eq!(
        allowed,
        [Some(USER.to_owned())],
        "only the unmodified response logged in"
    );
}

#[tokio::test]
async fn comments_injected_into_pysaml2_responses_never_truncate_the_user() {
    let (w, idp) = pysaml2_world().await;
    let by_attribute = gateway(&w, &idp, |c| c).await;
    let by_name_id = gateway(&w, &idp, |c| {
        c.replace("user_attribute = \"username\"", "user_attribute = \"NameID\"")
    })
    .await;
    // admin@x.test<!---->.evil.test: a parser keeping the first text node reads admin@x.test.
    let (head, tail) = COMMENT_INJECTION_FULL_TEXT.split_at("admin@x.test".len());
    for gw in [&by_attribute, &by_name_id] {
        for signed in [Signed::Response, Signed::Assertion, Signed::Both] {
            let xml = idp.sign_xml(
                &Login::new(gw, &w.domain)
                    .signed(signed)
                    .user(COMMENT_INJECTION_FULL_TEXT),
            );
            let full = format!(">{COMMENT_INJECTION_FULL_TEXT}<");
            assert_eq!(xml.matches(&full).count(), 2, "NameID and username: {xml}");
            let injected = xml.replace(&full, &format!(">{head}<!---->{tail}<"));
            let answer = post_acs(gw, &encode(&injected), &[]).await;
            // The full text is not a profile name, so the login is refused; what matters is which
            // user the gateway saw.
            assert_eq!(error_code(&answer), "invalid_profile_name", "{signed:?}");
            let event = gw.audit.events().pop().unwrap();
            assert_eq!(event.user.as_deref(), Some(COMMENT_INJECTION_FULL_TEXT), "{signed:?}");
        }
    }
}
