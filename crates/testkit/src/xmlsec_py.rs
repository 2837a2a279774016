//! The XML Security Library from Python, as an independent judge of XML signatures: python-xmlsec
//! (whose wheels bundle libxmlsec1, libxml2 and OpenSSL) in the pinned virtual environment of
//! `tests/interop/pysaml2`, which also runs pysaml2 as an identity provider. Nothing outside
//! that environment is needed: no `xmlsec1` program, no system libxmlsec1 or libxml2.
//!
//! ```no_run
//! # fn demo(cert_pem: &str, signed_response: &str) -> Result<(), studio_fed_testkit::xmlsec_py::Error> {
//! use studio_fed_testkit::xmlsec_py::{Verdict, Verifier};
//!
//! let verifier = Verifier::new()?;
//! assert_eq!(verifier.verify(cert_pem, signed_response, None)?, Verdict::Verified);
//! # Ok(()) }
//! ```

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::venv::{Layout, Spec, stderr_tail};

/// The environment: `tests/interop/pysaml2` in `target/studio-fed-pysaml2`.
const VENV: Spec = Spec {
    purpose: "the SAML interop peers (pysaml2, python-xmlsec)",
    source: "tests/interop/pysaml2",
    source_var: "STUDIO_FED_PYSAML2_DIR",
    home: "studio-fed-pysaml2",
    min_python: "3.10",
};

/// The SAML elements whose `ID` attribute a signature's `Reference URI="#…"` may name.
const ID_NODES: [&str; 2] = [
    "urn:oasis:names:tc:SAML:2.0:protocol:Response",
    "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
];

/// Why a check could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Python, its virtual environment or the pinned packages are not available.
    #[error("python-xmlsec setup: {0}")]
    Setup(String),
    /// The verifier could not judge the document (unreadable input, no such node or signature,
    /// an unresolvable reference) or did not run.
    #[error("python-xmlsec could not check the signature: {0}")]
    Check(String),
}

/// The virtual environment of `tests/interop/pysaml2`: pysaml2, python-xmlsec and lxml, pinned.
#[derive(Debug, Clone)]
pub struct PythonEnvironment {
    /// The virtual environment's `python`.
    pub python: PathBuf,
    /// `tests/interop/pysaml2`, with `idp.py` and `verify.py`.
    pub source_dir: PathBuf,
}

impl PythonEnvironment {
    /// Installs the pinned environment if needed (once, under `target/`, from wheels only) and
    /// returns it. Blocks while installing.
    pub fn prepare() -> Result<PythonEnvironment, Error> {
        let layout = Layout::discover(&VENV).map_err(Error::Setup)?;
        layout.ensure().map_err(Error::Setup)?;
        Ok(PythonEnvironment {
            python: layout.python(),
            source_dir: layout.source,
        })
    }
}

/// What the verifier found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The signature verifies with the certificate's public key.
    Verified,
    /// The signature does not verify (a digest or the signature value differs); the verifier's
    /// explanation.
    Invalid(String),
}

/// Verifies enveloped SAML signatures as `xmlsec1 --verify` does, with `verify.py`.
#[derive(Debug, Clone)]
pub struct Verifier {
    environment: PythonEnvironment,
}

impl Verifier {
    /// A verifier, its environment installed if needed (see [`PythonEnvironment::prepare`]).
    pub fn new() -> Result<Verifier, Error> {
        Ok(Verifier {
            environment: PythonEnvironment::prepare()?,
        })
    }

    /// Verifies the first `Signature` in `xml`, or with `node_id` the first one at or under the
    /// element with that `ID`, with the public key of the PEM certificate `cert_pem` (never a key
    /// the document carries). The `ID` attributes of SAML `Response` and `Assertion` elements
    /// are registered as XML IDs, as `xmlsec1 --id-attr:ID …` does.
    pub fn verify(&self, cert_pem: &str, xml: &str, node_id: Option<&str>) -> Result<Verdict, Error> {
        let dir = ScratchDir::new()?;
        let cert = dir.write("cert.pem", cert_pem)?;
        let doc = dir.write("document.xml", xml)?;
        let mut command = Command::new(&self.environment.python);
        command
            .arg(self.environment.source_dir.join("verify.py"))
            .arg("--cert")
            .arg(&cert);
        for node in ID_NODES {
            command.args(["--id-attr", "ID", node]);
        }
        if let Some(id) = node_id {
            command.args(["--node-id", id]);
        }
        let output = command
            .arg(&doc)
            .output()
            .map_err(|e| Error::Check(format!("cannot run {}: {e}", self.environment.python.display())))?;
        let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        match output.status.code() {
            Some(0) if stdout.starts_with("OK:") => Ok(Verdict::Verified),
            Some(1) if stdout.starts_with("INVALID:") => Ok(Verdict::Invalid(stdout)),
            _ => Err(Error::Check(format!(
                "verify.py ended with {}: {stdout}\n{}",
                output.status,
                stderr_tail(&output)
            ))),
        }
    }
}

/// A fresh folder under the system's temporary directory, removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new() -> Result<ScratchDir, Error> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "studio-fed-xmlsec-py-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir(&dir).map_err(|e| Error::Check(format!("cannot create {}: {e}", dir.display())))?;
        Ok(ScratchDir(dir))
    }

    fn write(&self, name: &str, contents: &str) -> Result<PathBuf, Error> {
        let path = self.0.join(name);
        std::fs::write(&path, contents).map_err(|e| Error::Check(format!("cannot write {}: {e}", path.display())))?;
        Ok(path)
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
