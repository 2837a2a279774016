//! Generation of a root CA → intermediate CA → leaf chain with the openssl crate.

use std::fmt::Write as _;
use std::net::IpAddr;

use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName, SubjectKeyIdentifier,
};
use openssl::x509::{X509, X509Builder, X509Name, X509NameBuilder};

use super::Error;

/// The key algorithm of every certificate in a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum KeyType {
    /// RSA, 2048 bits.
    #[default]
    Rsa2048,
    /// ECDSA on NIST P-256.
    EcP256,
}

/// One certificate of a chain, with its private key.
#[derive(Clone)]
pub struct Certificate {
    cert: X509,
    key: PKey<Private>,
    der: Vec<u8>,
    pem: String,
    sha1: String,
}

impl Certificate {
    fn new(cert: X509, key: PKey<Private>) -> Result<Self, Error> {
        let der = cert.to_der()?;
        let pem = String::from_utf8_lossy(&cert.to_pem()?).into_owned();
        let sha1 = sha1_thumbprint(&der)?;
        Ok(Self {
            cert,
            key,
            der,
            pem,
            sha1,
        })
    }

    /// The certificate.
    pub fn x509(&self) -> &X509 {
        &self.cert
    }

    /// The certificate's private key.
    pub fn private_key(&self) -> &PKey<Private> {
        &self.key
    }

    /// The certificate, DER-encoded.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate, PEM-encoded.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// SHA-1 of the DER as 40 lowercase hex digits (the IAM OIDC thumbprint format).
    pub fn sha1_thumbprint(&self) -> &str {
        &self.sha1
    }
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", self.cert.subject_name())
            .finish_non_exhaustive()
    }
}

/// SHA-1 of DER bytes as 40 lowercase hex digits (the IAM OIDC thumbprint format).
pub fn sha1_thumbprint(der: &[u8]) -> Result<String, Error> {
    let digest = hash(MessageDigest::sha1(), der)?;
    Ok(digest.iter().fold(String::with_capacity(40), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    }))
}

/// A root CA, an intermediate CA signed by it, and a leaf server certificate signed by the
/// intermediate. All are valid from one hour ago for 365 days.
///
/// - root: `CA:TRUE` (critical), keyUsage keyCertSign + cRLSign (critical);
/// - intermediate: `CA:TRUE, pathlen:0` (critical), keyUsage keyCertSign + cRLSign (critical);
/// - leaf: `CA:FALSE` (critical), keyUsage digitalSignature (+ keyEncipherment for RSA),
///   extendedKeyUsage serverAuth, subjectAltName `127.0.0.1`, `localhost` and the given names.
#[derive(Clone, Debug)]
pub struct TlsChain {
    root: Certificate,
    intermediate: Certificate,
    leaf: Certificate,
}

impl TlsChain {
    /// Generates an RSA-2048 chain whose leaf also covers `hostnames` (DNS names or IP addresses).
    pub fn generate<I, S>(hostnames: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Self::generate_with(KeyType::Rsa2048, hostnames)
    }

    /// Generates a chain with the given key type whose leaf also covers `hostnames`.
    pub fn generate_with<I, S>(key_type: KeyType, hostnames: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
        for name in hostnames {
            let name = name.as_ref().to_owned();
            if !names.contains(&name) {
                names.push(name);
            }
        }

        let root_key = new_key(key_type)?;
        let root_name = name("studio-fed test root CA")?;
        let mut builder = cert_builder(&root_name, &root_name, &root_key)?;
        builder.append_extension(BasicConstraints::new().critical().ca().build()?)?;
        builder.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(None, None))?;
        builder.append_extension(ski)?;
        builder.sign(&root_key, MessageDigest::sha256())?;
        let root = Certificate::new(builder.build(), root_key)?;

        let intermediate_key = new_key(key_type)?;
        let intermediate_name = name("studio-fed test intermediate CA")?;
        let mut builder = cert_builder(&intermediate_name, root.cert.subject_name(), &intermediate_key)?;
        builder.append_extension(BasicConstraints::new().critical().ca().pathlen(0).build()?)?;
        builder.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
        append_key_identifiers(&mut builder, &root.cert)?;
        builder.sign(&root.key, MessageDigest::sha256())?;
        let intermediate = Certificate::new(builder.build(), intermediate_key)?;

        let leaf_key = new_key(key_type)?;
        let leaf_name = name(names.get(2).map_or("localhost", String::as_str))?;
        let mut builder = cert_builder(&leaf_name, intermediate.cert.subject_name(), &leaf_key)?;
        builder.append_extension(BasicConstraints::new().critical().build()?)?;
        let mut key_usage = KeyUsage::new();
        key_usage.critical().digital_signature();
        if key_type == KeyType::Rsa2048 {
            key_usage.key_encipherment();
        }
        builder.append_extension(key_usage.build()?)?;
        builder.append_extension(ExtendedKeyUsage::new().server_auth().build()?)?;
        let mut san = SubjectAlternativeName::new();
        for name in &names {
            if name.parse::<IpAddr>().is_ok() {
                san.ip(name);
            } else {
                san.dns(name);
            }
        }
        let san = san.build(&builder.x509v3_context(Some(&intermediate.cert), None))?;
        builder.append_extension(san)?;
        append_key_identifiers(&mut builder, &intermediate.cert)?;
        builder.sign(&intermediate.key, MessageDigest::sha256())?;
        let leaf = Certificate::new(builder.build(), leaf_key)?;

        Ok(Self {
            root,
            intermediate,
            leaf,
        })
    }

    /// The self-signed root CA (what clients trust; the server never sends it).
    pub fn root(&self) -> &Certificate {
        &self.root
    }

    /// The intermediate CA (the last certificate the server sends).
    pub fn intermediate(&self) -> &Certificate {
        &self.intermediate
    }

    /// The leaf server certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.leaf
    }

    /// The root CA in PEM, for clients to trust.
    pub fn root_pem(&self) -> &str {
        self.root.pem()
    }

    /// The root CA in DER.
    pub fn root_der(&self) -> &[u8] {
        self.root.der()
    }

    /// What the server sends: leaf then intermediate, PEM-encoded.
    pub fn chain_pem(&self) -> String {
        format!("{}{}", self.leaf.pem(), self.intermediate.pem())
    }

    /// The leaf's private key as PKCS#8 PEM.
    pub fn leaf_key_pem(&self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.leaf.key.private_key_to_pem_pkcs8()?).into_owned())
    }

    /// The IAM OIDC thumbprint of a server presenting this chain: SHA-1 of the intermediate's
    /// DER, 40 lowercase hex digits.
    pub fn expected_thumbprint(&self) -> &str {
        self.intermediate.sha1_thumbprint()
    }
}

fn new_key(key_type: KeyType) -> Result<PKey<Private>, Error> {
    Ok(match key_type {
        KeyType::Rsa2048 => PKey::from_rsa(Rsa::generate(2048)?)?,
        KeyType::EcP256 => {
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1)?;
            PKey::from_ec_key(EcKey::generate(&group)?)?
        }
    })
}

fn name(common_name: &str) -> Result<X509Name, Error> {
    let mut name = X509NameBuilder::new()?;
    name.append_entry_by_text("O", "studio-fed tests")?;
    name.append_entry_by_text("CN", common_name)?;
    Ok(name.build())
}

/// A v3 certificate builder with subject, issuer, public key, random serial and validity set.
fn cert_builder(
    subject: &openssl::x509::X509NameRef,
    issuer: &openssl::x509::X509NameRef,
    key: &PKey<Private>,
) -> Result<X509Builder, Error> {
    let mut builder = X509::builder()?;
    builder.set_version(2)?;
    let serial = random_serial()?;
    builder.set_serial_number(&serial)?;
    builder.set_subject_name(subject)?;
    builder.set_issuer_name(issuer)?;
    builder.set_pubkey(key)?;
    let not_before = Asn1Time::from_unix(time::OffsetDateTime::now_utc().unix_timestamp() - 3600)?;
    let not_after = Asn1Time::days_from_now(365)?;
    builder.set_not_before(&not_before)?;
    builder.set_not_after(&not_after)?;
    Ok(builder)
}

fn append_key_identifiers(builder: &mut X509Builder, issuer: &X509) -> Result<(), Error> {
    let ski = SubjectKeyIdentifier::new().build(&builder.x509v3_context(Some(issuer), None))?;
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&builder.x509v3_context(Some(issuer), None))?;
    builder.append_extension(ski)?;
    builder.append_extension(aki)?;
    Ok(())
}

/// A random positive 127-bit serial number.
fn random_serial() -> Result<Asn1Integer, Error> {
    let mut serial = BigNum::new()?;
    serial.rand(127, MsbOption::MAYBE_ZERO, false)?;
    serial.add_word(1)?;
    Ok(serial.to_asn1_integer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_is_lowercase_hex_sha1() -> Result<(), Error> {
        assert_eq!(sha1_thumbprint(b"abc")?, "a9993e364706816aba3e25717850c26c9cd0d89d");
        Ok(())
    }

    #[test]
    fn chain_links_and_extensions() -> Result<(), Error> {
        for key_type in [KeyType::Rsa2048, KeyType::EcP256] {
            let chain = TlsChain::generate_with(key_type, ["oidc.example.test", "10.1.2.3", "localhost"])?;
            let (root, intermediate, leaf) = (chain.root().x509(), chain.intermediate().x509(), chain.leaf().x509());
            let (root_key, intermediate_key) = (root.public_key()?, intermediate.public_key()?);
            assert!(root.verify(&root_key)?);
            assert!(intermediate.verify(&root_key)?);
            assert!(leaf.verify(&intermediate_key)?);
            assert_eq!(intermediate.issued(leaf), openssl::x509::X509VerifyResult::OK);
            assert_eq!(root.issued(intermediate), openssl::x509::X509VerifyResult::OK);

            let sans = leaf.subject_alt_names().ok_or_else(openssl::error::ErrorStack::get)?;
            let dns: Vec<_> = sans.iter().filter_map(|n| n.dnsname()).collect();
            let ips: Vec<_> = sans.iter().filter_map(|n| n.ipaddress()).collect();
            assert_eq!(dns, ["localhost", "oidc.example.test"]);
            assert_eq!(ips, [&[127u8, 0, 0, 1][..], &[10, 1, 2, 3][..]]);

            let thumbprint = chain.expected_thumbprint();
            assert_eq!(thumbprint, sha1_thumbprint(chain.intermediate().der())?);
            assert_eq!(thumbprint.len(), 40);
            assert!(thumbprint.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
            assert!(chain.chain_pem().starts_with(chain.leaf().pem()));
        }
        Ok(())
    }
}
