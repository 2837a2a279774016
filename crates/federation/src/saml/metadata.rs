//! IdP metadata: the entity ID, SSO endpoints and signing certificates of a SAML identity provider.

use std::path::Path;
use std::time::Duration;

use samael::metadata::EntityDescriptor;
use time::OffsetDateTime;

use super::SamlError;
use super::xml::{self, ScanError};

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
        match xml::scan(text) {
            Ok(_) => {}
            Err(ScanError::Doctype) => return Err(SamlError::Doctype),
            Err(ScanError::Malformed(why)) => {
                return Err(SamlError::InvalidMetadata(format!("not acceptable XML: {why}")));
            }
            Err(ScanError::TooDeep) => return Err(SamlError::InvalidMetadata("nested too deeply".into())),
        }
        let descriptor: EntityDescriptor = samael::metadata::de::from_str(text)
            .map_err(|e| SamlError::InvalidMetadata(format!("not a SAML EntityDescriptor ({e})")))?;
        let entity_id = descriptor
            .entity_id
            .clone()
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| SamlError::InvalidMetadata("no entityID".into()))?;
        let idp_descriptors = descriptor.idp_sso_descriptors.as_deref().unwrap_or_default();
        if idp_descriptors.is_empty() {
            return Err(SamlError::InvalidMetadata("no IDPSSODescriptor".into()));
        }
        let mut sso_endpoints = Vec::new();
        let mut signing_certificates: Vec<Vec<u8>> = Vec::new();
        let wants_authn_requests_signed = idp_descriptors
            .iter()
            .any(|idp| idp.want_authn_requests_signed == Some(true));
        for idp in idp_descriptors {
            sso_endpoints.extend(idp.single_sign_on_services.iter().map(|s| SsoEndpoint {
                binding: s.binding.clone(),
                location: s.location.clone(),
            }));
            for key in &idp.key_descriptors {
                if !matches!(key.key_use.as_deref(), None | Some("signing")) {
                    continue;
                }
                let certificates = key.key_info.x509_data.iter().flat_map(|d| &d.certificates);
                for certificate in certificates {
                    let der = samael::crypto::decode_x509_cert(certificate)
                        .map_err(|_| SamlError::InvalidMetadata("a signing certificate is not valid base64".into()))?;
                    openssl::x509::X509::from_der(der.der_data()).map_err(|_| {
                        SamlError::InvalidMetadata("a signing certificate is not a valid X.509 certificate".into())
                    })?;
                    let der = der.der_data().to_vec();
                    if !signing_certificates.contains(&der) {
                        signing_certificates.push(der);
                    }
                }
            }
        }
        if signing_certificates.is_empty() {
            return Err(SamlError::NoSigningCertificate);
        }
        let valid_until = descriptor
            .valid_until
            .map(|t| chrono_to_time(t.timestamp(), t.timestamp_subsec_nanos()))
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

/// Converts a chrono timestamp (seconds + nanoseconds) without depending on chrono.
pub(crate) fn chrono_to_time(seconds: i64, nanos: u32) -> Result<OffsetDateTime, SamlError> {
    let t = OffsetDateTime::from_unix_timestamp(seconds)
        .map_err(|_| SamlError::Malformed("a timestamp is out of range"))?;
    Ok(t + time::Duration::nanoseconds(i64::from(nanos)))
}
