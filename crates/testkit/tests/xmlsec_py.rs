//! The python-xmlsec environment of `tests/interop/pysaml2`: its own unittest suite (pysaml2's
//! crypto backend on python-xmlsec, and `verify.py`), run as part of `cargo test`, and the
//! verifier's answer when it cannot judge a document.

use std::error::Error as StdError;
use std::process::Command;

use studio_fed_testkit::saml_idp::{SamlIdp, Sign};
use studio_fed_testkit::xmlsec_py::{Error, PythonEnvironment, Verdict, Verifier};

type TestResult = Result<(), Box<dyn StdError>>;

#[test]
fn backend_unittest_suite_passes() -> TestResult {
    let environment = PythonEnvironment::prepare()?;
    let output = Command::new(&environment.python)
        .args(["-m", "unittest", "-v"])
        .current_dir(&environment.source_dir)
        .output()?;
    // unittest reports on stderr: the last line is "OK" or "FAILED (...)".
    let stderr = String::from_utf8_lossy(&output.stderr);
    let ran = stderr.lines().find(|l| l.starts_with("Ran ")).unwrap_or_default();
    println!("unittest: {ran}");
    assert!(
        output.status.success(),
        "the pysaml2 backend's unittest suite failed:\n{stderr}"
    );
    assert!(stderr.trim_end().ends_with("OK"), "{stderr}");
    assert!(!ran.starts_with("Ran 0 "), "no test ran:\n{stderr}");
    Ok(())
}

#[test]
fn a_document_the_verifier_cannot_judge_is_an_error_not_a_verdict() -> TestResult {
    let idp = SamlIdp::new("https://idp.example.test/saml/metadata")?;
    let response = idp
        .response()
        .destination("https://sp.example.test/saml/acs")
        .audience("https://sp.example.test/saml")
        .name_id("alice")
        .sign(Sign::Both)
        .build()?;
    let verifier = Verifier::new()?;
    assert_eq!(
        verifier.verify(idp.certificate_pem(), response.xml(), None)?,
        Verdict::Verified
    );

    let no_such_node = verifier.verify(idp.certificate_pem(), response.xml(), Some("no-such-id"));
    assert!(
        matches!(&no_such_node, Err(Error::Check(m)) if m.contains("no-such-id")),
        "{no_such_node:?}"
    );
    let not_a_certificate = verifier.verify("not a certificate", response.xml(), None);
    assert!(
        matches!(not_a_certificate, Err(Error::Check(_))),
        "{not_a_certificate:?}"
    );
    Ok(())
}
