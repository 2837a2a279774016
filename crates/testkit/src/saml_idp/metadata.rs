//! The IdP metadata document and a small HTTP server publishing it.

use std::net::SocketAddr;

use axum::Router;
use axum::http::header;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use super::xmldsig::{DSIG_NS, XML_DECLARATION, escape, xs_datetime};
use super::{Error, NAME_ID_EMAIL, NAME_ID_PERSISTENT, NAME_ID_TRANSIENT, NAME_ID_UNSPECIFIED, SamlIdp};

const METADATA_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const PROTOCOL_NS: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";

/// Renders the metadata: one `IDPSSODescriptor` with a signing `KeyDescriptor`, the supported
/// NameID formats and SingleSignOnService endpoints for the HTTP-Redirect and HTTP-POST bindings.
pub(super) fn metadata_xml(idp: &SamlIdp) -> String {
    let sso = escape(&idp.sso_url);
    let name_id_formats: String = [
        NAME_ID_UNSPECIFIED,
        NAME_ID_EMAIL,
        NAME_ID_PERSISTENT,
        NAME_ID_TRANSIENT,
    ]
    .iter()
    .map(|format| format!("    <md:NameIDFormat>{format}</md:NameIDFormat>\n"))
    .collect();
    format!(
        concat!(
            "{decl}\n",
            r#"<md:EntityDescriptor xmlns:md="{md}" xmlns:ds="{ds}" entityID="{entity_id}" validUntil="{valid_until}">"#,
            "\n",
            r#"  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="{protocol}">"#,
            "\n",
            r#"    <md:KeyDescriptor use="signing">"#,
            "\n",
            r#"      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"#,
            "\n",
            "    </md:KeyDescriptor>\n",
            "{name_id_formats}",
            r#"    <md:SingleSignOnService Binding="{redirect}" Location="{sso}"/>"#,
            "\n",
            r#"    <md:SingleSignOnService Binding="{post}" Location="{sso}"/>"#,
            "\n",
            "  </md:IDPSSODescriptor>\n",
            "</md:EntityDescriptor>\n",
        ),
        decl = XML_DECLARATION,
        md = METADATA_NS,
        ds = DSIG_NS,
        entity_id = escape(&idp.entity_id),
        valid_until = xs_datetime(idp.metadata_valid_until),
        protocol = PROTOCOL_NS,
        cert = idp.key.certificate_base64(),
        name_id_formats = name_id_formats,
        redirect = HTTP_REDIRECT,
        post = HTTP_POST,
        sso = sso,
    )
}

/// The metadata served over HTTP on 127.0.0.1; the server stops when this is dropped.
#[derive(Debug)]
pub struct MetadataServer {
    addr: SocketAddr,
    url: Url,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MetadataServer {
    pub(super) async fn start(metadata: String) -> Result<Self, Error> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let url = Url::parse(&format!("http://{addr}/metadata"))?;
        let router = Router::new().route(
            "/metadata",
            get(move || {
                let metadata = metadata.clone();
                async move { ([(header::CONTENT_TYPE, "application/samlmetadata+xml")], metadata) }
            }),
        );
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(async move {
                    let _ = stopped.await;
                })
                .await;
            if let Err(error) = served {
                tracing::warn!(%error, "SAML metadata server failed");
            }
        });
        Ok(Self {
            addr,
            url,
            shutdown: Some(shutdown),
        })
    }

    /// The metadata URL, `http://127.0.0.1:<port>/metadata`.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The server's socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for MetadataServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}
