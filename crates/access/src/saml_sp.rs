//! The gateway as a SAML service provider: the AuthnRequest of an SP-initiated login, sent with the
//! HTTP-Redirect binding (raw DEFLATE, base64 and URL-encoding, and, when the gateway has a request
//! signing key, an RSA-SHA256 signature over `SAMLRequest=…&SigAlg=…` as SAML Bindings 3.4.4.1
//! specifies), and the SP metadata an identity provider imports.

use std::io::Write as _;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::Compression;
use flate2::write::DeflateEncoder;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use openssl::x509::X509;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};
use url::Url;
use url::form_urlencoded::byte_serialize;

use crate::markup::escape;
use crate::{Error, Refusal};

/// The HTTP-POST binding, where the answer is to go.
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The signature algorithm of signed requests.
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// `IssueInstant`: xs:dateTime in UTC, whole seconds.
const INSTANT: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
/// The settings naming the key and certificate files, for error messages.
const KEY_SETTING: &str = "[saml] request_signing_key_file";
const CERTIFICATE_SETTING: &str = "[saml] request_signing_certificate_file";
/// The smallest RSA key accepted for signing requests.
const MIN_RSA_BITS: u32 = 2048;

/// The key the gateway signs its AuthnRequests with, for an identity provider that wants them
/// signed (`WantAuthnRequestsSigned="true"` in its metadata), and its certificate, which the SP
/// metadata publishes so the identity provider can verify them.
#[derive(Debug)]
pub(crate) struct RequestSigner {
    key: PKey<Private>,
    certificate: X509,
}

impl RequestSigner {
    /// Reads an RSA private key of at least 2048 bits and its certificate from PEM files.
    pub(crate) fn from_pem_files(key_file: &Path, certificate_file: &Path) -> Result<Self, Error> {
        let read = |setting: &str, path: &Path| {
            std::fs::read(path).map_err(|e| Error::Config(format!("cannot read {setting} {}: {e}", path.display())))
        };
        let key = parse_key(&read(KEY_SETTING, key_file)?, &key_file.display().to_string())?;
        let certificate_name = certificate_file.display().to_string();
        let certificate = X509::from_pem(&read(CERTIFICATE_SETTING, certificate_file)?).map_err(|_| {
            Error::Config(format!(
                "{CERTIFICATE_SETTING} {certificate_name} is not a PEM certificate (expected \
                 `-----BEGIN CERTIFICATE-----`)"
            ))
        })?;
        Self::new(key, certificate, &certificate_name)
    }

    /// The key and its certificate, which must hold the key's public half.
    fn new(key: PKey<Private>, certificate: X509, certificate_name: &str) -> Result<Self, Error> {
        let matches = certificate.public_key().is_ok_and(|public| public.public_eq(&key));
        if !matches {
            return Err(Error::Config(format!(
                "{CERTIFICATE_SETTING} {certificate_name} is not the certificate of {KEY_SETTING}: \
                 the identity provider would verify the requests with another key"
            )));
        }
        Ok(Self { key, certificate })
    }

    fn sign(&self, data: &[u8]) -> Result<Vec<u8>, Refusal> {
        Signer::new(MessageDigest::sha256(), &self.key)
            .and_then(|mut signer| {
                signer.update(data)?;
                signer.sign_to_vec()
            })
            .map_err(|e| Refusal::BadRequest(format!("cannot sign the AuthnRequest: {e}")))
    }
}

/// An RSA private key of at least 2048 bits, from PEM text read from `file`.
fn parse_key(pem: &[u8], file: &str) -> Result<PKey<Private>, Error> {
    let key = PKey::private_key_from_pem(pem).map_err(|_| {
        Error::Config(format!(
            "{KEY_SETTING} {file} is not a PEM private key (expected `-----BEGIN PRIVATE KEY-----` or \
             `-----BEGIN RSA PRIVATE KEY-----`)"
        ))
    })?;
    match key.rsa() {
        Ok(rsa) if rsa.size() * 8 >= MIN_RSA_BITS => Ok(key),
        Ok(rsa) => Err(Error::Config(format!(
            "{KEY_SETTING} {file} is a {}-bit RSA key; use one of at least {MIN_RSA_BITS} bits",
            rsa.size() * 8
        ))),
        Err(_) => Err(Error::Config(format!(
            "{KEY_SETTING} {file} is not an RSA key; signed AuthnRequests use RSA-SHA256"
        ))),
    }
}

/// A fresh request ID: `_` and 128 random bits in hex (an XML NCName).
pub(crate) fn request_id() -> Result<String, Refusal> {
    let mut bytes = [0u8; 16];
    openssl::rand::rand_bytes(&mut bytes)
        .map_err(|e| Refusal::BadRequest(format!("cannot generate a SAML request ID: {e}")))?;
    Ok(bytes.iter().fold(String::from("_"), |mut id, b| {
        id.push_str(&format!("{b:02x}"));
        id
    }))
}

/// The AuthnRequest XML: who asks (`issuer`), where the answer goes (`acs`, HTTP-POST binding).
pub(crate) fn authn_request(
    id: &str,
    now: OffsetDateTime,
    destination: &str,
    acs: &str,
    issuer: &str,
) -> Result<String, Refusal> {
    let instant = now
        .to_offset(UtcOffset::UTC)
        .format(INSTANT)
        .map_err(|e| Refusal::BadRequest(format!("cannot format the request time: {e}")))?;
    Ok(format!(
        "<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" \
         xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"{id}\" Version=\"2.0\" \
         IssueInstant=\"{instant}\" Destination=\"{}\" AssertionConsumerServiceURL=\"{}\" \
         ProtocolBinding=\"{HTTP_POST}\"><saml:Issuer>{}</saml:Issuer></samlp:AuthnRequest>",
        escape(destination),
        escape(acs),
        escape(issuer),
    ))
}

/// `destination` with the request `xml` in `SAMLRequest` after the query it already has, signed
/// by `signer` when there is one (then `SigAlg` and `Signature` follow). The signature covers the
/// parameters exactly as they are encoded in the URL.
pub(crate) fn redirect_url(destination: &str, xml: &str, signer: Option<&RequestSigner>) -> Result<Url, Refusal> {
    let mut url = Url::parse(destination).map_err(|e| {
        Refusal::BadRequest(format!(
            "the IdP metadata's SingleSignOnService location {destination:?} is not a URL ({e})"
        ))
    })?;
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    let deflated = encoder
        .write_all(xml.as_bytes())
        .and_then(|()| encoder.finish())
        .map_err(|e| Refusal::BadRequest(format!("cannot compress the AuthnRequest: {e}")))?;
    let encode = |bytes: &[u8]| byte_serialize(bytes).collect::<String>();
    let mut message = format!("SAMLRequest={}", encode(STANDARD.encode(deflated).as_bytes()));
    if let Some(signer) = signer {
        message.push_str(&format!("&SigAlg={}", encode(RSA_SHA256.as_bytes())));
        let signature = signer.sign(message.as_bytes())?;
        message.push_str(&format!("&Signature={}", encode(STANDARD.encode(signature).as_bytes())));
    }
    let query = match url.query() {
        Some(existing) if !existing.is_empty() => format!("{existing}&{message}"),
        _ => message,
    };
    url.set_query(Some(&query));
    Ok(url)
}

/// The SP metadata of the gateway: its entity ID, its ACS (HTTP-POST binding), and, when it signs
/// its AuthnRequests, `AuthnRequestsSigned="true"` and the signing certificate.
pub(crate) fn metadata(entity_id: &str, acs: &str, signer: Option<&RequestSigner>) -> Result<String, Refusal> {
    let key_descriptor = match signer {
        Some(signer) => {
            let der = signer
                .certificate
                .to_der()
                .map_err(|e| Refusal::BadRequest(format!("cannot encode the request signing certificate: {e}")))?;
            format!(
                "\n    <md:KeyDescriptor use=\"signing\"><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\">\
                 <ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>\
                 </md:KeyDescriptor>",
                STANDARD.encode(der)
            )
        }
        None => String::new(),
    };
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"{}\">\n  \
         <md:SPSSODescriptor AuthnRequestsSigned=\"{}\" \
         protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">{key_descriptor}\n    \
         <md:AssertionConsumerService Binding=\"{HTTP_POST}\" Location=\"{}\" index=\"0\" isDefault=\"true\"/>\n  \
         </md:SPSSODescriptor>\n</md:EntityDescriptor>\n",
        escape(entity_id),
        signer.is_some(),
        escape(acs),
    ))
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use openssl::rsa::Rsa;
    use openssl::sign::Verifier;
    use studio_fed_testkit::saml_idp::SigningKey;

    use super::*;

    fn inflate(form_value: &str) -> String {
        let deflated = STANDARD.decode(form_value).unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(deflated.as_slice())
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    fn sample_request() -> String {
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        authn_request(
            "_0123",
            now,
            "https://idp.test/sso?tenant=a&b",
            "https://gw.test/saml/acs",
            "https://gw.test/saml/acs/",
        )
        .unwrap()
    }

    /// A signer from a test key pair, and that key pair.
    fn signer() -> (RequestSigner, SigningKey) {
        let pair = SigningKey::generate("gateway requests").unwrap();
        let key = parse_key(pair.private_key_pem().unwrap().as_bytes(), "key.pem").unwrap();
        let certificate = X509::from_pem(pair.certificate_pem().as_bytes()).unwrap();
        (RequestSigner::new(key, certificate, "cert.pem").unwrap(), pair)
    }

    fn rsa_key_pem(bits: u32) -> Vec<u8> {
        PKey::from_rsa(Rsa::generate(bits).unwrap())
            .unwrap()
            .private_key_to_pem_pkcs8()
            .unwrap()
    }

    #[test]
    fn the_request_is_deflated_base64_and_url_encoded_after_the_existing_query() {
        let xml = sample_request();
        assert!(xml.contains(r#"IssueInstant="2027-01-15T08:00:00Z""#), "{xml}");
        assert!(
            xml.contains(r#"Destination="https://idp.test/sso?tenant=a&amp;b""#),
            "{xml}"
        );
        assert!(
            xml.contains("<saml:Issuer>https://gw.test/saml/acs/</saml:Issuer>"),
            "{xml}"
        );
        let url = redirect_url("https://idp.test/sso?tenant=a", &xml, None).unwrap();
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs.len(), 2, "no signature without a key: {url}");
        assert_eq!(pairs[0], ("tenant".into(), "a".into()));
        assert_eq!(pairs[1].0, "SAMLRequest");
        assert_eq!(inflate(&pairs[1].1), xml);
        assert!(redirect_url("not a url", &xml, None).is_err());
    }

    #[test]
    fn a_signed_request_carries_an_rsa_sha256_signature_over_the_encoded_parameters() {
        let (signer, pair) = signer();
        let xml = sample_request();
        let url = redirect_url("https://idp.test/sso?tenant=a", &xml, Some(&signer)).unwrap();
        let query = url.query().unwrap();
        // The signed octets are the binding's parameters as they appear in the URL, in order.
        let (signed, signature) = query
            .strip_prefix("tenant=a&")
            .and_then(|rest| rest.split_once("&Signature="))
            .unwrap();
        assert!(signed.starts_with("SAMLRequest="), "{signed}");
        assert!(
            signed.ends_with("&SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256"),
            "{signed}"
        );
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(inflate(&pairs[1].1), xml);
        let signature: String = url::form_urlencoded::parse(format!("s={signature}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .collect();
        let signature = STANDARD.decode(signature).unwrap();
        let public = X509::from_pem(pair.certificate_pem().as_bytes())
            .unwrap()
            .public_key()
            .unwrap();
        let verify = |data: &[u8]| {
            let mut verifier = Verifier::new(MessageDigest::sha256(), &public).unwrap();
            verifier.update(data).unwrap();
            verifier.verify(&signature).unwrap()
        };
        assert!(verify(signed.as_bytes()));
        // It covers the request: another request's parameters do not verify.
        assert!(!verify(signed.replacen("SAMLRequest=", "SAMLRequest=x", 1).as_bytes()));
    }

    #[test]
    fn signing_keys_must_be_rsa_of_2048_bits_with_their_own_certificate() {
        let error = |pem: &[u8]| parse_key(pem, "key.pem").unwrap_err().to_string();
        // PKCS#8 and PKCS#1 RSA keys of 2048 bits are taken.
        let key = parse_key(&rsa_key_pem(2048), "key.pem").unwrap();
        assert!(parse_key(&key.rsa().unwrap().private_key_to_pem().unwrap(), "key.pem").is_ok());

        let short = error(&rsa_key_pem(1024));
        assert!(
            short.contains("key.pem is a 1024-bit RSA key") && short.contains("2048"),
            "{short}"
        );

        let group = openssl::ec::EcGroup::from_curve_name(openssl::nid::Nid::X9_62_PRIME256V1).unwrap();
        let ec = PKey::from_ec_key(openssl::ec::EcKey::generate(&group).unwrap()).unwrap();
        let not_rsa = error(&ec.private_key_to_pem_pkcs8().unwrap());
        assert!(not_rsa.contains("not an RSA key"), "{not_rsa}");

        let not_a_key = error(b"-----BEGIN CERTIFICATE-----\n");
        assert!(not_a_key.contains("key.pem is not a PEM private key"), "{not_a_key}");

        // The certificate must be the key's.
        let other = SigningKey::generate("another key").unwrap();
        let certificate = X509::from_pem(other.certificate_pem().as_bytes()).unwrap();
        let mismatch = RequestSigner::new(key, certificate, "cert.pem")
            .unwrap_err()
            .to_string();
        assert!(
            mismatch.contains("cert.pem is not the certificate of [saml] request_signing_key_file"),
            "{mismatch}"
        );

        let missing = RequestSigner::from_pem_files(Path::new("/nonexistent/key.pem"), Path::new("/nonexistent/c.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("cannot read [saml] request_signing_key_file /nonexistent/key.pem"),
            "{missing}"
        );
    }

    #[test]
    fn the_metadata_names_the_acs_and_publishes_the_signing_certificate_when_requests_are_signed() {
        let unsigned = metadata("https://gw.test/?a&b", "https://gw.test/saml/acs", None).unwrap();
        assert!(
            unsigned.contains(r#"entityID="https://gw.test/?a&amp;b""#),
            "{unsigned}"
        );
        assert!(unsigned.contains(r#"AuthnRequestsSigned="false""#), "{unsigned}");
        assert!(
            unsigned.contains(
                r#"<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://gw.test/saml/acs""#
            ),
            "{unsigned}"
        );
        assert!(!unsigned.contains("KeyDescriptor"), "{unsigned}");

        let (signer, pair) = signer();
        let signed = metadata("https://gw.test/", "https://gw.test/saml/acs", Some(&signer)).unwrap();
        assert!(signed.contains(r#"AuthnRequestsSigned="true""#), "{signed}");
        let published = signed
            .split("<ds:X509Certificate>")
            .nth(1)
            .and_then(|rest| rest.split("</ds:X509Certificate>").next())
            .unwrap();
        assert_eq!(STANDARD.decode(published).unwrap(), pair.certificate_der());
        assert!(signed.contains(r#"<md:KeyDescriptor use="signing">"#), "{signed}");
    }

    #[test]
    fn request_ids_are_fresh_ncnames() {
        let (a, b) = (request_id().unwrap(), request_id().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 33);
        assert!(a.starts_with('_') && a[1..].bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
