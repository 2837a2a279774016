//! A SAML 2.0 identity provider for tests.
//!
//! [`SamlIdp`] owns a signing key (RSA-2048 unless given another [`KeyType`]) with a self-signed
//! certificate generated at test time, publishes IdP metadata ([`SamlIdp::metadata_xml`], optionally
//! over HTTP with [`SamlIdp::serve_metadata`]) and signs SAML `Response`s built with
//! [`SamlIdp::response`]. Signatures are real XML-DSig signatures, made here with OpenSSL and an
//! exclusive canonicaliser of its own ([`sign_enveloped`]): enveloped, exclusive c14n, exactly one
//! `Reference` with `URI="#ID"`, so any SAML software can verify them (the test suite checks them
//! with python-xmlsec).
//!
//! Documents that a real IdP would never produce, for negative tests, are built from a normal one:
//! [`SignedResponse::mutate`] edits the XML after signing, [`ResponseBuilder::before_signing`] edits
//! it before signing, [`SignedResponse::strip_signature`] removes the signatures, and
//! [`SamlIdp::with_rogue_key`] / [`ResponseBuilder::sign_with_key`] sign with a key that the
//! metadata does not publish. [`surgery`] cuts and pastes signed documents (signature wrapping and
//! the like), and [`threats`] is a ready-made catalog of every attack of the threat model that is
//! one POST to an assertion consumer service, each with the error code the service provider must
//! answer.
//!
//! ```no_run
//! # fn main() -> Result<(), studio_fed_testkit::saml_idp::Error> {
//! use studio_fed_testkit::saml_idp::{SamlIdp, Sign};
//!
//! let idp = SamlIdp::new("https://idp.example.test/saml")?;
//! let metadata = idp.metadata_xml(); // give this to the service provider
//! let response = idp
//!     .response()
//!     .destination("https://sp.example.test/saml/acs")
//!     .audience("https://sp.example.test/saml")
//!     .name_id("alice")
//!     .attribute("https://aws.amazon.com/SAML/Attributes/RoleSessionName", ["alice"])
//!     .sign(Sign::Both)
//!     .build()?;
//! let form_value = response.base64(); // the SAMLResponse field of the HTTP-POST binding
//! # let _ = (metadata, form_value);
//! # Ok(()) }
//! ```

mod c14n;
mod key;
mod metadata;
mod response;
pub mod surgery;
pub mod threats;
mod xmldsig;

use time::{Duration, OffsetDateTime};

pub use key::{KeyType, SigningKey};
pub use metadata::MetadataServer;
pub use response::{ResponseBuilder, Sign, SignatureAlgorithm, SignedPart, SignedResponse};
pub use xmldsig::{sign_enveloped, signature_template};

/// NameID format `urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified`.
pub const NAME_ID_UNSPECIFIED: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
/// NameID format `urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress`.
pub const NAME_ID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// NameID format `urn:oasis:names:tc:SAML:2.0:nameid-format:persistent`.
pub const NAME_ID_PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// NameID format `urn:oasis:names:tc:SAML:2.0:nameid-format:transient`.
pub const NAME_ID_TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";

/// AWS attribute carrying `role_arn,provider_arn` pairs.
pub const AWS_ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
/// AWS attribute carrying the role session name.
pub const AWS_ROLE_SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";

/// Errors of the test identity provider.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Key or certificate generation failed.
    #[error("OpenSSL error: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// The document could not be signed: it is not well formed, or its signature template asks
    /// for something the signer does not do (it says which).
    #[error("XML signing failed: {0}")]
    Signing(String),
    /// The metadata document could not be parsed by samael.
    #[cfg(feature = "xmlsec")]
    #[error("IdP metadata does not parse: {0}")]
    Metadata(#[from] samael::metadata::de::DeError),
    /// The metadata HTTP server could not start.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A URL could not be built.
    #[error("invalid URL: {0}")]
    Url(#[from] url::ParseError),
    /// A [`surgery`] helper did not find what it was to cut or paste at: the document is not
    /// shaped as the attack expects (e.g. the emitted XML changed).
    #[error("XML surgery failed: {0}")]
    Surgery(String),
}

/// A SAML 2.0 identity provider: an entity ID, a signing key and certificate, and SSO endpoints.
///
/// Cloning is cheap and keeps the same key.
#[derive(Clone, Debug)]
pub struct SamlIdp {
    entity_id: String,
    sso_url: String,
    key: SigningKey,
    metadata_valid_until: OffsetDateTime,
}

impl SamlIdp {
    /// Creates an IdP with a fresh RSA-2048 key and self-signed certificate.
    ///
    /// The SSO endpoints default to `https://idp.example.test/sso` (nothing is served there: tests
    /// talk to the service provider directly) and the metadata is valid for 365 days.
    pub fn new(entity_id: impl Into<String>) -> Result<Self, Error> {
        let entity_id = entity_id.into();
        let key = SigningKey::generate("studio-fed test SAML IdP")?;
        Ok(Self {
            entity_id,
            sso_url: "https://idp.example.test/sso".to_owned(),
            key,
            metadata_valid_until: OffsetDateTime::now_utc() + Duration::days(365),
        })
    }

    /// Sets the `Location` published for the SingleSignOnService endpoints.
    pub fn with_sso_url(mut self, sso_url: impl Into<String>) -> Self {
        self.sso_url = sso_url.into();
        self
    }

    /// Sets the metadata's `validUntil`.
    pub fn with_metadata_valid_until(mut self, valid_until: OffsetDateTime) -> Self {
        self.metadata_valid_until = valid_until;
        self
    }

    /// Uses the given signing key instead of the generated one (e.g. to share a key between IdPs).
    pub fn with_signing_key(mut self, key: SigningKey) -> Self {
        self.key = key;
        self
    }

    /// Returns an impostor: the same entity ID and endpoints, but a fresh key and certificate that
    /// this IdP's metadata does not publish. Its responses embed the rogue certificate in
    /// `KeyInfo`; a service provider that trusts only the metadata must reject them.
    pub fn with_rogue_key(&self) -> Result<Self, Error> {
        let rogue = SigningKey::generate("studio-fed rogue SAML IdP")?;
        Ok(self.clone().with_signing_key(rogue))
    }

    /// The IdP's entity ID (the `Issuer` of its responses).
    pub fn entity_id(&self) -> &str {
        &self.entity_id
    }

    /// The SingleSignOnService location published in the metadata.
    pub fn sso_url(&self) -> &str {
        &self.sso_url
    }

    /// The signing key and certificate.
    pub fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The signing certificate, DER-encoded.
    pub fn certificate_der(&self) -> &[u8] {
        self.key.certificate_der()
    }

    /// The signing certificate, PEM-encoded.
    pub fn certificate_pem(&self) -> &str {
        self.key.certificate_pem()
    }

    /// The IdP metadata (`EntityDescriptor` with one `IDPSSODescriptor`).
    pub fn metadata_xml(&self) -> String {
        metadata::metadata_xml(self)
    }

    /// The metadata parsed by samael, ready for `ServiceProviderBuilder::idp_metadata` (with the
    /// `xmlsec` feature).
    #[cfg(feature = "xmlsec")]
    pub fn entity_descriptor(&self) -> Result<samael::metadata::EntityDescriptor, Error> {
        Ok(samael::metadata::de::from_str(&self.metadata_xml())?)
    }

    /// Serves the metadata at `http://127.0.0.1:<port>/metadata` until the returned guard is
    /// dropped. Must be called within a Tokio runtime.
    pub async fn serve_metadata(&self) -> Result<MetadataServer, Error> {
        MetadataServer::start(self.metadata_xml()).await
    }

    /// Starts a response: see [`ResponseBuilder`] for the defaults.
    pub fn response(&self) -> ResponseBuilder<'_> {
        ResponseBuilder::new(self)
    }

    /// An IdP-initiated response shaped like IAM Identity Center's: Response and Assertion both
    /// signed (rsa-sha256, exclusive c14n), `Destination` = `Recipient` = `acs_url`, the given
    /// `audience` (Identity Center's may differ from the ACS URL by a trailing slash), NotBefore
    /// 5 minutes before IssueInstant, NotOnOrAfter 1 hour after, NameID = `username`, and the
    /// attributes `username` and `domain-id`. The builder can still be adjusted (e.g. `at`).
    pub fn identity_center_style(
        &self,
        acs_url: &str,
        audience: &str,
        username: &str,
        domain_id: &str,
    ) -> ResponseBuilder<'_> {
        self.response()
            .destination(acs_url)
            .audience(audience)
            .name_id(username)
            .name_id_format(NAME_ID_UNSPECIFIED)
            .attribute("username", [username])
            .attribute("domain-id", [domain_id])
            .sign(Sign::Both)
            .algorithm(SignatureAlgorithm::RsaSha256)
    }
}
