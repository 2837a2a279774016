//! The IdP's signing key and its self-signed certificate.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder};

use super::Error;

/// An RSA-2048 private key and a self-signed X.509 certificate for it (valid from one day ago for
/// two years). Cloning shares the key.
#[derive(Clone)]
pub struct SigningKey {
    key: PKey<Private>,
    cert: X509,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl SigningKey {
    /// Generates a key and a self-signed certificate with the given subject common name.
    pub fn generate(common_name: &str) -> Result<Self, Error> {
        let key = PKey::from_rsa(Rsa::generate(2048)?)?;

        let mut name = X509NameBuilder::new()?;
        name.append_entry_by_text("O", "studio-fed tests")?;
        name.append_entry_by_text("CN", common_name)?;
        let name = name.build();

        let mut builder = X509::builder()?;
        builder.set_version(2)?;
        let serial = random_serial()?;
        builder.set_serial_number(&serial)?;
        builder.set_subject_name(&name)?;
        builder.set_issuer_name(&name)?;
        builder.set_pubkey(&key)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let not_before = Asn1Time::from_unix(now - 86_400)?;
        let not_after = Asn1Time::days_from_now(730)?;
        builder.set_not_before(&not_before)?;
        builder.set_not_after(&not_after)?;
        builder.append_extension(BasicConstraints::new().critical().build()?)?;
        builder.append_extension(KeyUsage::new().critical().digital_signature().build()?)?;
        let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None))?;
        builder.append_extension(ski)?;
        builder.sign(&key, MessageDigest::sha256())?;
        let cert = builder.build();

        let cert_der = cert.to_der()?;
        let cert_pem = String::from_utf8_lossy(&cert.to_pem()?).into_owned();
        Ok(Self {
            key,
            cert,
            cert_der,
            cert_pem,
        })
    }

    /// The private key.
    pub fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The private key as PKCS#8 PEM (for other SAML software, e.g. pysaml2).
    pub fn private_key_pem(&self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.key.private_key_to_pem_pkcs8()?).into_owned())
    }

    /// The certificate.
    pub fn certificate(&self) -> &X509 {
        &self.cert
    }

    /// The certificate, DER-encoded.
    pub fn certificate_der(&self) -> &[u8] {
        &self.cert_der
    }

    /// The certificate, PEM-encoded.
    pub fn certificate_pem(&self) -> &str {
        &self.cert_pem
    }

    /// The certificate as the base64 text of a `ds:X509Certificate` element (one line).
    pub fn certificate_base64(&self) -> String {
        STANDARD.encode(&self.cert_der)
    }

    /// The private key as DER, the form libxmlsec1 loads for signing.
    pub(super) fn private_key_der(&self) -> Result<Vec<u8>, Error> {
        Ok(self.key.private_key_to_der()?)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("subject", self.cert.subject_name())
            .finish_non_exhaustive()
    }
}

/// A random positive 127-bit certificate serial number.
fn random_serial() -> Result<Asn1Integer, Error> {
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    serial.add_word(1)?;
    Ok(serial.to_asn1_integer()?)
}
