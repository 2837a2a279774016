//! IAM SAML providers: [`ensure_saml_provider`].

use aws_config::SdkConfig;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tracing::Instrument;

use super::Error;
use super::oidc_provider::managed_by_tag;
use crate::change::{Change, Ensured, FieldChange};

/// IAM's minimum length of a SAML metadata document, in characters.
pub const MIN_METADATA_CHARS: usize = 1_000;
/// IAM's maximum length of a SAML metadata document, in characters.
const MAX_METADATA_CHARS: usize = 10_000_000;
/// How close to its expiry a provider is reported as expiring soon.
pub const EXPIRY_WARNING: time::Duration = time::Duration::days(30);

/// What [`ensure_saml_provider`] did, and when the provider expires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SamlProviderStatus {
    /// The provider ARN.
    pub arn: String,
    /// What was done to it.
    pub change: Change,
    /// `ValidUntil` as IAM reports it (GetSAMLProvider).
    pub valid_until: Option<OffsetDateTime>,
    /// The earliest `validUntil` of the metadata document itself, if it has one.
    pub metadata_valid_until: Option<OffsetDateTime>,
    /// True when the earlier of the two is within [`EXPIRY_WARNING`] (or past):
    /// refresh the IdP metadata and run again.
    pub expires_soon: bool,
}

impl SamlProviderStatus {
    /// The ARN and change as an [`Ensured`].
    pub fn ensured(&self) -> Ensured<String> {
        Ensured {
            resource: self.arn.clone(),
            change: self.change.clone(),
        }
    }

    /// The earlier of [`valid_until`](Self::valid_until) and
    /// [`metadata_valid_until`](Self::metadata_valid_until).
    pub fn expires_at(&self) -> Option<OffsetDateTime> {
        match (self.valid_until, self.metadata_valid_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The earliest `validUntil` attribute in SAML metadata (EntityDescriptor or
/// any role descriptor), if any.
///
/// ```
/// let xml = r#"<EntityDescriptor validUntil="2030-01-02T03:04:05Z" entityID="x"/>"#;
/// let t = studio_fed_federation::aws::metadata_valid_until(xml).unwrap();
/// assert_eq!(t.year(), 2030);
/// ```
pub fn metadata_valid_until(metadata_xml: &str) -> Option<OffsetDateTime> {
    let mut earliest: Option<OffsetDateTime> = None;
    let mut rest = metadata_xml;
    while let Some(at) = rest.find("validUntil=") {
        rest = &rest[at + "validUntil=".len()..];
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            continue;
        };
        let value = &rest[1..];
        let Some(end) = value.find(quote) else {
            break;
        };
        if let Ok(t) = OffsetDateTime::parse(&value[..end], &Rfc3339) {
            earliest = Some(earliest.map_or(t, |e| e.min(t)));
        }
        rest = &value[end..];
    }
    earliest
}

/// Creates the IAM SAML provider `name` with this metadata, or updates its
/// metadata (UpdateSAMLProvider) when the document differs. Metadata shorter
/// than [`MIN_METADATA_CHARS`] is refused before anything is sent.
///
/// The result carries IAM's `ValidUntil`, the metadata's own `validUntil`, and
/// `expires_soon` (also logged with `tracing::warn!`) when either is within 30 days.
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig, xml: &str) -> Result<(), studio_fed_federation::aws::Error> {
/// let status = studio_fed_federation::aws::ensure_saml_provider(config, "IdentityCenter", xml).await?;
/// if status.expires_soon {
///     eprintln!("{} expires at {:?}", status.arn, status.expires_at());
/// }
/// # Ok(()) }
/// ```
pub async fn ensure_saml_provider(
    config: &SdkConfig,
    name: &str,
    metadata_xml: &str,
) -> Result<SamlProviderStatus, Error> {
    let span = tracing::info_span!("ensure_saml_provider", name);
    async move {
        validate(name, metadata_xml)?;
        let iam = aws_sdk_iam::Client::new(config);
        let listed = iam
            .list_saml_providers()
            .send()
            .await
            .map_err(|e| Error::aws("iam:ListSAMLProviders", name, e))?;
        let suffix = format!(":saml-provider/{name}");
        let existing = listed
            .saml_provider_list()
            .iter()
            .filter_map(|p| p.arn())
            .find(|arn| arn.ends_with(&suffix))
            .map(str::to_owned);

        let (arn, change) = match existing {
            None => {
                let created = iam
                    .create_saml_provider()
                    .name(name)
                    .saml_metadata_document(metadata_xml)
                    .tags(managed_by_tag()?)
                    .send()
                    .await
                    .map_err(|e| Error::aws("iam:CreateSAMLProvider", name, e))?;
                let arn = created
                    .saml_provider_arn()
                    .ok_or_else(|| Error::unexpected("iam:CreateSAMLProvider", name, "the answer has no provider ARN"))?
                    .to_owned();
                tracing::info!(%arn, "created IAM SAML provider");
                (arn, Change::Created)
            }
            Some(arn) => {
                let current = get(&iam, &arn).await?;
                let have = current
                    .saml_metadata_document()
                    .map(super::policy_text::percent_decode_if_encoded_xml)
                    .unwrap_or_default();
                if have.trim() == metadata_xml.trim() {
                    (arn, Change::Unchanged)
                } else {
                    iam.update_saml_provider()
                        .saml_provider_arn(&arn)
                        .saml_metadata_document(metadata_xml)
                        .send()
                        .await
                        .map_err(|e| Error::aws("iam:UpdateSAMLProvider", &arn, e))?;
                    let diff = vec![FieldChange::new(
                        "metadata_document",
                        describe_metadata(&have),
                        describe_metadata(metadata_xml),
                    )];
                    tracing::info!(%arn, "updated IAM SAML provider metadata");
                    (arn, Change::from_diff(diff))
                }
            }
        };

        let current = get(&iam, &arn).await?;
        let valid_until = current
            .valid_until()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t.secs()).ok());
        let metadata_valid_until = metadata_valid_until(metadata_xml);
        let mut status = SamlProviderStatus {
            arn,
            change,
            valid_until,
            metadata_valid_until,
            expires_soon: false,
        };
        if let Some(expiry) = status.expires_at() {
            let left = expiry - OffsetDateTime::now_utc();
            if left < EXPIRY_WARNING {
                status.expires_soon = true;
                tracing::warn!(
                    arn = %status.arn,
                    expires = %expiry.format(&Rfc3339).unwrap_or_default(),
                    days_left = left.whole_days(),
                    "SAML provider metadata expires within 30 days: refresh the IdP metadata and run again"
                );
            }
        }
        Ok(status)
    }
    .instrument(span)
    .await
}

async fn get(
    iam: &aws_sdk_iam::Client,
    arn: &str,
) -> Result<aws_sdk_iam::operation::get_saml_provider::GetSamlProviderOutput, Error> {
    iam.get_saml_provider()
        .saml_provider_arn(arn)
        .send()
        .await
        .map_err(|e| Error::aws("iam:GetSAMLProvider", arn, e))
}

fn validate(name: &str, metadata_xml: &str) -> Result<(), Error> {
    let name_ok = !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !name_ok {
        return Err(Error::invalid(
            "SAML provider name",
            name,
            "expected 1 to 128 letters, digits, '.', '_' or '-'",
        ));
    }
    let chars = metadata_xml.chars().count();
    if chars < MIN_METADATA_CHARS {
        return Err(Error::invalid(
            "SAML metadata",
            metadata_xml,
            format!(
                "the document is {chars} characters; IAM requires at least {MIN_METADATA_CHARS}: \
                 pass the IdP's complete metadata XML (EntityDescriptor with its signing certificate)"
            ),
        ));
    }
    if chars > MAX_METADATA_CHARS {
        return Err(Error::invalid(
            "SAML metadata",
            "",
            format!("the document is {chars} characters; IAM accepts at most {MAX_METADATA_CHARS}"),
        ));
    }
    if !metadata_xml.contains("EntityDescriptor") {
        return Err(Error::invalid(
            "SAML metadata",
            metadata_xml,
            "this is not SAML metadata (no EntityDescriptor): pass the IdP's metadata XML",
        ));
    }
    Ok(())
}

/// A short description of a metadata document for diffs: its size, a hash and its validUntil.
fn describe_metadata(xml: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in xml.trim().bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    let until = metadata_valid_until(xml)
        .and_then(|t| t.format(&Rfc3339).ok())
        .map(|t| format!(", validUntil {t}"))
        .unwrap_or_default();
    format!("{} characters, fnv1a {hash:016x}{until}", xml.trim().chars().count())
}
