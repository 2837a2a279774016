//! IAM OIDC identity providers: [`ensure_oidc_provider`].

use crate::oidc::{HttpClient, thumbprint_for_issuer};
use std::collections::BTreeSet;

use aws_config::SdkConfig;
use aws_sdk_iam::types::Tag;
use tracing::Instrument;

use super::{Error, MANAGED_BY_TAG, MANAGED_BY_VALUE, list};
use crate::change::{Change, Ensured, FieldChange};

/// An IAM OIDC identity provider as it should be.
///
/// ```
/// use studio_fed_federation::aws::OidcProviderSpec;
///
/// let spec = OidcProviderSpec::new("https://login.example.com/realms/ml", ["studio-fed"])
///     .with_thumbprints(["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]);
/// assert_eq!(spec.host_path(), "login.example.com/realms/ml");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcProviderSpec {
    /// The issuer URL, `https://` (IAM stores it without the scheme).
    pub url: String,
    /// The audiences (OAuth client ids) accepted.
    pub client_ids: Vec<String>,
    /// The SHA-1 thumbprints (40 hex digits, at most 5) of the issuer's
    /// certificate chain. `None` computes the thumbprint the way AWS
    /// documents it (see [`crate::oidc::thumbprint_for_issuer`]): the SHA-1 of
    /// the last certificate the issuer's `jwks_uri` host sends.
    pub thumbprints: Option<Vec<String>>,
    /// A root CA (PEM) to trust, besides the system roots, when computing the
    /// thumbprint of an issuer whose TLS chain ends in a private root.
    pub tls_root_pem: Option<Vec<u8>>,
}

impl OidcProviderSpec {
    /// A provider for `url` accepting `client_ids`, with the computed thumbprint.
    pub fn new<I, S>(url: impl Into<String>, client_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        OidcProviderSpec {
            url: url.into(),
            client_ids: client_ids.into_iter().map(Into::into).collect(),
            thumbprints: None,
            tls_root_pem: None,
        }
    }

    /// Trusts this root CA (PEM) when computing the thumbprint (see
    /// [`OidcProviderSpec::tls_root_pem`]).
    pub fn with_tls_root_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.tls_root_pem = Some(pem.into());
        self
    }

    /// Pins these thumbprints (e.g. computed by the caller from the issuer's TLS chain).
    pub fn with_thumbprints<I, S>(mut self, thumbprints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.thumbprints = Some(thumbprints.into_iter().map(Into::into).collect());
        self
    }

    /// The URL as IAM stores it: without `https://` and a trailing `/`.
    pub fn host_path(&self) -> &str {
        self.url
            .strip_prefix("https://")
            .unwrap_or(&self.url)
            .trim_end_matches('/')
    }

    fn validate(&self) -> Result<(BTreeSet<String>, Option<BTreeSet<String>>), Error> {
        let rest = self
            .url
            .strip_prefix("https://")
            .ok_or_else(|| Error::invalid("OIDC provider URL", &self.url, "expected an https:// issuer URL"))?;
        let host = rest.split('/').next().unwrap_or_default();
        if host.is_empty() || rest.contains(char::is_whitespace) || rest.contains(['?', '#']) || self.url.len() > 255 {
            return Err(Error::invalid(
                "OIDC provider URL",
                &self.url,
                "expected an https:// URL with a host, no query, fragment or spaces, at most 255 characters",
            ));
        }
        if self.client_ids.is_empty() || self.client_ids.len() > 100 {
            return Err(Error::invalid(
                "OIDC client ids",
                &list(&self.client_ids),
                "give 1 to 100 client ids (the tokens' aud values)",
            ));
        }
        for id in &self.client_ids {
            if id.is_empty() || id.len() > 255 {
                return Err(Error::invalid("OIDC client id", id, "expected 1 to 255 characters"));
            }
        }
        let thumbprints = match &self.thumbprints {
            None => None,
            Some(prints) => {
                if prints.is_empty() || prints.len() > 5 {
                    return Err(Error::invalid(
                        "OIDC thumbprints",
                        &list(prints),
                        "give 1 to 5 thumbprints, or none to have the thumbprint computed",
                    ));
                }
                for print in prints {
                    if print.len() != 40 || !print.chars().all(|c| c.is_ascii_hexdigit()) {
                        return Err(Error::invalid(
                            "OIDC thumbprint",
                            print,
                            "expected the 40 hex digits of a SHA-1 certificate fingerprint",
                        ));
                    }
                }
                Some(prints.iter().map(|p| p.to_ascii_lowercase()).collect())
            }
        };
        Ok((self.client_ids.iter().cloned().collect(), thumbprints))
    }
}

/// Creates the IAM OIDC provider for `spec.url`, or brings an existing one in
/// line: client ids added or removed, thumbprints replaced. Without pinned
/// thumbprints, the issuer's is computed over TLS first.
/// Returns the provider ARN. New providers are tagged `managed-by=studio-fed`.
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig) -> Result<(), studio_fed_federation::aws::Error> {
/// use studio_fed_federation::aws::{OidcProviderSpec, ensure_oidc_provider};
///
/// let spec = OidcProviderSpec::new("https://login.example.com", ["studio-fed"]);
/// let ensured = ensure_oidc_provider(config, &spec).await?;
/// println!("{}: {}", ensured.resource, ensured.change);
/// # Ok(()) }
/// ```
pub async fn ensure_oidc_provider(config: &SdkConfig, spec: &OidcProviderSpec) -> Result<Ensured<String>, Error> {
    let span = tracing::info_span!("ensure_oidc_provider", url = %spec.url);
    async move {
        let (client_ids, thumbprints) = spec.validate()?;
        let thumbprints = match thumbprints {
            Some(pinned) => pinned,
            None => BTreeSet::from([computed_thumbprint(spec).await?]),
        };
        let iam = aws_sdk_iam::Client::new(config);
        let wanted = spec.host_path();
        let suffix = format!(":oidc-provider/{wanted}");
        let listed = iam
            .list_open_id_connect_providers()
            .send()
            .await
            .map_err(|e| Error::aws("iam:ListOpenIDConnectProviders", &spec.url, e))?;
        let existing = listed
            .open_id_connect_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|arn| arn.ends_with(&suffix))
            .map(str::to_owned);

        let Some(arn) = existing else {
            let mut create = iam
                .create_open_id_connect_provider()
                .url(format!("https://{wanted}"))
                .set_client_id_list(Some(client_ids.iter().cloned().collect()))
                .tags(managed_by_tag()?);
            create = create.set_thumbprint_list(Some(thumbprints.iter().cloned().collect()));
            let created = create
                .send()
                .await
                .map_err(|e| Error::aws("iam:CreateOpenIDConnectProvider", &spec.url, e))?;
            let arn = created
                .open_id_connect_provider_arn()
                .ok_or_else(|| {
                    Error::unexpected(
                        "iam:CreateOpenIDConnectProvider",
                        &spec.url,
                        "the answer has no provider ARN",
                    )
                })?
                .to_owned();
            tracing::info!(%arn, "created IAM OIDC provider");
            return Ok(Ensured {
                resource: arn,
                change: Change::Created,
            });
        };

        let current = iam
            .get_open_id_connect_provider()
            .open_id_connect_provider_arn(&arn)
            .send()
            .await
            .map_err(|e| Error::aws("iam:GetOpenIDConnectProvider", &arn, e))?;
        let have_ids: BTreeSet<String> = current.client_id_list().iter().cloned().collect();
        let have_prints: BTreeSet<String> = current
            .thumbprint_list()
            .iter()
            .map(|p| p.to_ascii_lowercase())
            .collect();

        let mut diff = Vec::new();
        if have_ids != client_ids {
            for id in client_ids.difference(&have_ids) {
                iam.add_client_id_to_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:AddClientIDToOpenIDConnectProvider", &arn, e))?;
            }
            for id in have_ids.difference(&client_ids) {
                iam.remove_client_id_from_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
                    .client_id(id)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:RemoveClientIDFromOpenIDConnectProvider", &arn, e))?;
            }
            diff.push(FieldChange::new("client_ids", set(&have_ids), set(&client_ids)));
        }
        if thumbprints != have_prints {
            iam.update_open_id_connect_provider_thumbprint()
                .open_id_connect_provider_arn(&arn)
                .set_thumbprint_list(Some(thumbprints.iter().cloned().collect()))
                .send()
                .await
                .map_err(|e| Error::aws("iam:UpdateOpenIDConnectProviderThumbprint", &arn, e))?;
            diff.push(FieldChange::new("thumbprints", set(&have_prints), set(&thumbprints)));
        }
        let change = Change::from_diff(diff);
        tracing::info!(%arn, %change, "ensured IAM OIDC provider");
        Ok(Ensured { resource: arn, change })
    }
    .instrument(span)
    .await
}

pub(crate) fn set(items: &BTreeSet<String>) -> String {
    list(&items.iter().collect::<Vec<_>>())
}

pub(crate) fn managed_by_tag() -> Result<Tag, Error> {
    Tag::builder()
        .key(MANAGED_BY_TAG)
        .value(MANAGED_BY_VALUE)
        .build()
        .map_err(|e| Error::invalid("tag", MANAGED_BY_TAG, e.to_string()))
}

/// The thumbprint of `spec.url` as AWS documents it.
async fn computed_thumbprint(spec: &OidcProviderSpec) -> Result<String, Error> {
    let mut http = HttpClient::builder();
    if let Some(pem) = &spec.tls_root_pem {
        http = http.extra_root_pem(pem.clone());
    }
    let unreachable = |e: crate::oidc::OidcError| {
        Error::invalid(
            "OIDC issuer",
            &spec.url,
            format!(
                "cannot compute its thumbprint ({e}): check the issuer is reachable over TLS, or pass \
                 thumbprints with OidcProviderSpec::with_thumbprints"
            ),
        )
    };
    let http = http.build().map_err(unreachable)?;
    thumbprint_for_issuer(&spec.url, &http, spec.tls_root_pem.as_deref())
        .await
        .map_err(unreachable)
}
