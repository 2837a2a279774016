//! IdP metadata: the entity ID, SSO endpoints and signing certificates of a SAML identity provider.

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::SamlError;
use super::xml::{self, Document, ScanError};

const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The largest metadata document accepted (1 MiB).
pub const MAX_METADATA_SIZE: usize = 1024 * 1024;

/// A SingleSignOnService endpoint of the IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoEndpoint {
    /// The binding URI, e.g. `urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST`.
    pub binding: String,
    /// The endpoint URL.
    pub location: String,
}

/// Parsed IdP metadata (one `EntityDescriptor` with an `IDPSSODescriptor`).
///
/// Its signing certificates are the only trust anchors of a
/// [`ResponseValidator`](super::ResponseValidator). Metadata without a signing certificate is
/// refused ([`SamlError::NoSigningCertificate`]): accepting it would mean accepting unsigned
/// responses.
#[derive(Debug, Clone)]
pub struct IdpMetadata {
    entity_id: String,
    sso_endpoints: Vec<SsoEndpoint>,
    signing_certificates: Vec<Vec<u8>>,
    wants_authn_requests_signed: bool,
    valid_until: Option<OffsetDateTime>,
    xml: String,
}

impl IdpMetadata {
    /// Parses a metadata document.
    pub fn from_xml(xml: &str) -> Result<Self, SamlError> {
        if xml.len() > MAX_METADATA_SIZE {
            return Err(SamlError::InvalidMetadata(format!(
                "larger than {MAX_METADATA_SIZE} bytes"
            )));
        }
        let text = xml.strip_prefix('\u{feff}').unwrap_or(xml);
        let doc = match xml::scan(text) {
            Ok(doc) => doc,
            Err(ScanError::Doctype) => return Err(SamlError::Doctype),
            Err(ScanError::Malformed(why)) => {
                return Err(SamlError::InvalidMetadata(format!("not acceptable XML: {why}")));
            }
            Err(ScanError::TooDeep) => return Err(SamlError::InvalidMetadata("nested too deeply".into())),
        };
        let invalid = |why: &str| SamlError::InvalidMetadata(why.to_owned());
        let root = doc.root();
        if !root.is(NS_METADATA, "EntityDescriptor") {
            return Err(invalid("the root element is not an md:EntityDescriptor"));
        }
        let entity_id = root
            .attr("entityID")
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| invalid("no entityID"))?
            .to_owned();
        let idp_descriptors = doc.children_named(0, NS_METADATA, "IDPSSODescriptor");
        if idp_descriptors.is_empty() {
            return Err(invalid("no IDPSSODescriptor"));
        }
        let mut sso_endpoints = Vec::new();
        let mut signing_certificates: Vec<Vec<u8>> = Vec::new();
        let mut wants_authn_requests_signed = false;
        for idp in idp_descriptors {
            wants_authn_requests_signed |= doc.elements[idp]
                .attr("WantAuthnRequestsSigned")
                .is_some_and(|v| matches!(v.trim(), "true" | "1"));
            for service in doc.children_named(idp, NS_METADATA, "SingleSignOnService") {
                let service = &doc.elements[service];
                let (Some(binding), Some(location)) = (service.attr("Binding"), service.attr("Location")) else {
                    return Err(invalid("a SingleSignOnService without Binding or Location"));
                };
                sso_endpoints.push(SsoEndpoint {
                    binding: binding.to_owned(),
                    location: location.to_owned(),
                });
            }
            for key in doc.children_named(idp, NS_METADATA, "KeyDescriptor") {
                if !matches!(doc.elements[key].attr("use"), None | Some("signing")) {
                    continue;
                }
                for der in key_descriptor_certificates(&doc, key)? {
                    if !signing_certificates.contains(&der) {
                        signing_certificates.push(der);
                    }
                }
            }
        }
        if signing_certificates.is_empty() {
            return Err(SamlError::NoSigningCertificate);
        }
        let valid_until = root
            .attr("validUntil")
            .map(|t| parse_datetime(t).map_err(|_| invalid("validUntil is not an xs:dateTime")))
            .transpose()?;
        Ok(Self {
            entity_id,
            sso_endpoints,
            signing_certificates,
            wants_authn_requests_signed,
            valid_until,
            xml: text.to_owned(),
        })
    }

    /// Whether the IdP wants signed AuthnRequests (`WantAuthnRequestsSigned="true"`).
    pub fn wants_authn_requests_signed(&self) -> bool {
        self.wants_authn_requests_signed
    }

    /// Reads and parses a metadata file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, SamlError> {
        let path = path.as_ref();
        let size = std::fs::metadata(path)
            .map_err(|e| SamlError::MetadataFetch(format!("cannot read {}: {e}", path.display())))?
            .len();
        if size > MAX_METADATA_SIZE as u64 {
            return Err(SamlError::InvalidMetadata(format!(
                "larger than {MAX_METADATA_SIZE} bytes"
            )));
        }
        let bytes = std::fs::read(path)
            .map_err(|e| SamlError::MetadataFetch(format!("cannot read {}: {e}", path.display())))?;
        let text = String::from_utf8(bytes).map_err(|_| SamlError::InvalidMetadata("not UTF-8".into()))?;
        Self::from_xml(&text)
    }

    /// Fetches and parses metadata from a URL (HTTPS, or HTTP to a loopback address for tests).
    /// Redirects are not followed and the body is capped at [`MAX_METADATA_SIZE`].
    pub async fn fetch(url: &url::Url) -> Result<Self, SamlError> {
        let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if url.scheme() != "https" && !(url.scheme() == "http" && loopback) {
            return Err(SamlError::MetadataFetch(format!(
                "{url}: metadata must be fetched over https"
            )));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(15))
            .no_proxy()
            .build()
            .map_err(|e| SamlError::MetadataFetch(format!("cannot build an HTTP client: {e}")))?;
        let mut response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| SamlError::MetadataFetch(format!("{url}: {e}")))?;
        if !response.status().is_success() {
            return Err(SamlError::MetadataFetch(format!("{url}: HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SamlError::MetadataFetch(format!("{url}: {e}")))?
        {
            if body.len() + chunk.len() > MAX_METADATA_SIZE {
                return Err(SamlError::InvalidMetadata(format!(
                    "larger than {MAX_METADATA_SIZE} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(body).map_err(|_| SamlError::InvalidMetadata("not UTF-8".into()))?;
        Self::from_xml(&text)
    }

    /// The IdP's entity ID (the expected `Issuer`).
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The SingleSignOnService endpoints.
    pub fn sso_endpoints(&self) -> &[SsoEndpoint] {
        &self.sso_endpoints
    }

    /// The location of the SingleSignOnService with the given binding.
    pub fn sso_location(&self, binding: &str) -> Option<&str> {
        self.sso_endpoints
            .iter()
            .find(|e| e.binding == binding)
            .map(|e| e.location.as_str())
    }

    /// The signing certificates (X.509, DER), never empty.
    pub fn signing_certificates(&self) -> &[Vec<u8>] {
        &self.signing_certificates
    }

    /// The metadata's `validUntil`, if any.
    pub fn valid_until(&self) -> Option<OffsetDateTime> {
        self.valid_until
    }

    /// The metadata document as given (IAM `CreateSAMLProvider` takes it as is).
    pub fn xml(&self) -> &str {
        &self.xml
    }
}

/// The DER of the `ds:X509Certificate`s in a `KeyDescriptor`'s `ds:KeyInfo/ds:X509Data`, each
/// checked to be an X.509 certificate.
fn key_descriptor_certificates(doc: &Document<'_>, key: usize) -> Result<Vec<Vec<u8>>, SamlError> {
    let mut found = Vec::new();
    for key_info in doc.children_named(key, NS_DSIG, "KeyInfo") {
        for data in doc.children_named(key_info, NS_DSIG, "X509Data") {
            for certificate in doc.children_named(data, NS_DSIG, "X509Certificate") {
                let text: String = doc.elements[certificate]
                    .text()
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                let der = STANDARD
                    .decode(text)
                    .map_err(|_| SamlError::InvalidMetadata("a signing certificate is not valid base64".into()))?;
                openssl::x509::X509::from_der(&der).map_err(|_| {
                    SamlError::InvalidMetadata("a signing certificate is not a valid X.509 certificate".into())
                })?;
                found.push(der);
            }
        }
    }
    Ok(found)
}

/// Parses an `xs:dateTime` as SAML uses it: UTC (`Z`, or an offset), or without a time zone,
/// which SAML 2.0 core 1.3.3 says is UTC.
pub(crate) fn parse_datetime(text: &str) -> Result<OffsetDateTime, SamlError> {
    let text = text.trim();
    let bad = || SamlError::Malformed("a time that is not an xs:dateTime");
    let has_zone = text.ends_with(['Z', 'z'])
        || text
            .get(text.len().saturating_sub(6)..)
            .is_some_and(|tail| tail.starts_with(['+', '-']) && tail.as_bytes().get(3) == Some(&b':'));
    if has_zone {
        OffsetDateTime::parse(text, &Rfc3339).map_err(|_| bad())
    } else {
        OffsetDateTime::parse(&format!("{text}Z"), &Rfc3339).map_err(|_| bad())
    }
}
