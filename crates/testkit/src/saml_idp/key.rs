//! The IdP's signing key and its self-signed certificate.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{Id, PKey, Private};
use openssl::rsa::{Padding, Rsa};
use openssl::sign::Signer;
use openssl::x509::extension::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use openssl::x509::{X509, X509NameBuilder};

use super::Error;

/// The type of a [`SigningKey`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA, 2048 bits (what identity providers use by default).
    Rsa2048,
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
}

/// A private key and a self-signed X.509 certificate for it (valid from one day ago for two
/// years). Cloning shares the key.
#[derive(Clone)]
pub struct SigningKey {
    key: PKey<Private>,
    cert: X509,
    cert_der: Vec<u8>,
    cert_pem: String,
}

impl SigningKey {
    /// Generates an RSA-2048 key and a self-signed certificate with the given subject common name.
    pub fn generate(common_name: &str) -> Result<Self, Error> {
        Self::generate_of(KeyType::Rsa2048, common_name)
    }

    /// Generates a key of `key_type` and a self-signed certificate with the given subject common
    /// name.
    pub fn generate_of(key_type: KeyType, common_name: &str) -> Result<Self, Error> {
        let ec = |curve| -> Result<PKey<Private>, Error> {
            let group = EcGroup::from_curve_name(curve)?;
            Ok(PKey::from_ec_key(EcKey::generate(&group)?)?)
        };
        let key = match key_type {
            KeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048)?)?,
            KeyType::EcdsaP256 => ec(Nid::X9_62_PRIME256V1)?,
            KeyType::EcdsaP384 => ec(Nid::SECP384R1)?,
        };

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

    /// Signs `data` as an XML-DSig `SignatureValue` with `digest`: RSASSA-PKCS1-v1_5 for an RSA
    /// key, `r || s` (each padded to the curve's size, RFC 4050) for an EC key.
    pub(super) fn sign(&self, digest: MessageDigest, data: &[u8]) -> Result<Vec<u8>, Error> {
        let mut signer = Signer::new(digest, &self.key)?;
        if self.key.id() == Id::RSA {
            signer.set_rsa_padding(Padding::PKCS1)?;
        }
        let signature = signer.sign_oneshot_to_vec(data)?;
        if self.key.id() != Id::EC {
            return Ok(signature);
        }
        let ec = self.key.ec_key()?;
        let size = i32::try_from(ec.group().degree().div_ceil(8))
            .map_err(|_| Error::Signing("the EC key's curve is too large".into()))?;
        let signature = EcdsaSig::from_der(&signature)?;
        let mut raw = signature.r().to_vec_padded(size)?;
        raw.extend(signature.s().to_vec_padded(size)?);
        Ok(raw)
    }

    /// Whether this is an EC key (an `ecdsa-*` signature method) rather than RSA.
    pub fn is_ec(&self) -> bool {
        self.key.id() == Id::EC
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
