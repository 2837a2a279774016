//! The SageMaker side of a login: the profile must exist in the domain and carry the team tag
//! (or be created just in time), then a short-lived presigned URL is created for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::error::ProvideErrorMetadata as _;
use aws_sdk_sagemaker::types::{Tag, UserProfileStatus, UserSettings};
use studio_fed_federation::aws::Error as AwsError;
use studio_fed_studio::deployment::{TAG_PERSONA, TAG_TEAM};

use crate::Refusal;
use crate::config::TeamSection;
use crate::mapping::Target;

/// The tag marking profiles the gateway created just in time.
pub const TAG_CREATED_BY: &str = "studio-fed:created-by";

/// Settings of [`StudioAccess`].
#[derive(Debug, Clone)]
pub struct StudioSettings {
    /// `ExpiresInSeconds` of the presigned URL.
    pub expires_in_seconds: i32,
    /// `SessionExpirationDurationInSeconds`.
    pub session_expiration_seconds: i32,
    /// How long a checked profile is trusted.
    pub cache_ttl: Duration,
    /// Just-in-time profiles: how long to wait for InService (`None`: disabled).
    pub jit_wait: Option<Duration>,
}

/// Checks profiles and creates presigned URLs through the SageMaker API.
#[derive(Debug)]
pub struct StudioAccess {
    client: Client,
    settings: StudioSettings,
    /// Profiles found with the right team tag, and when.
    checked: Mutex<HashMap<Target, Instant>>,
    /// One lock per profile being created, so concurrent first logins create it once.
    creating: Mutex<HashMap<Target, Arc<tokio::sync::Mutex<()>>>>,
}

/// What DescribeUserProfile + ListTags said.
enum Found {
    Missing,
    Profile {
        status: Option<UserProfileStatus>,
        team: Option<String>,
    },
}

impl StudioAccess {
    /// A client of the SageMaker API of `sdk_config`.
    pub fn new(sdk_config: &aws_config::SdkConfig, settings: StudioSettings) -> Self {
        StudioAccess {
            client: Client::new(sdk_config),
            settings,
            checked: Mutex::new(HashMap::new()),
            creating: Mutex::new(HashMap::new()),
        }
    }

    /// Checks (or creates, when `jit` is given) the profile of `target`, then returns a presigned
    /// URL for it.
    #[tracing::instrument(name = "studio_open", skip_all, fields(domain = %target.domain, profile = %target.profile))]
    pub async fn open(&self, target: &Target, jit: Option<&TeamSection>) -> Result<String, Refusal> {
        if !self.recently_checked(target) {
            self.ensure_profile(target, jit).await?;
            if let Ok(mut checked) = self.checked.lock() {
                let ttl = self.settings.cache_ttl;
                checked.retain(|_, at| at.elapsed() < ttl);
                checked.insert(target.clone(), Instant::now());
            }
        }
        self.presigned_url(target).await
    }

    fn recently_checked(&self, target: &Target) -> bool {
        self.checked
            .lock()
            .ok()
            .and_then(|c| c.get(target).copied())
            .is_some_and(|at| at.elapsed() < self.settings.cache_ttl)
    }

    async fn ensure_profile(&self, target: &Target, jit: Option<&TeamSection>) -> Result<(), Refusal> {
        let jit = jit.and_then(|team| Some((team, self.settings.jit_wait?)));
        match (self.find(target).await?, jit) {
            (Found::Profile { status, team }, _) => usable(target, status, team),
            (Found::Missing, None) => Err(Refusal::ProfileNotFound {
                domain: target.domain.clone(),
                profile: target.profile.clone(),
            }),
            (Found::Missing, Some((team, wait))) => {
                let lock = self
                    .creating
                    .lock()
                    .map(|mut m| m.entry(target.clone()).or_default().clone())
                    .unwrap_or_default();
                let result = async {
                    let _guard = lock.clone().lock_owned().await;
                    // Another login may have created it while this one waited for the lock.
                    if let Found::Missing = self.find(target).await? {
                        self.create(target, team).await?;
                    }
                    self.wait_in_service(target, wait).await
                }
                .await;
                // The last login out removes the lock (clones are only taken under the map's lock).
                if let Ok(mut creating) = self.creating.lock()
                    && Arc::strong_count(&lock) == 2
                {
                    creating.remove(target);
                }
                result
            }
        }
    }

    async fn find(&self, target: &Target) -> Result<Found, Refusal> {
        let resource = format!("user profile {}/{}", target.domain, target.profile);
        let profile = match self
            .client
            .describe_user_profile()
            .domain_id(&target.domain)
            .user_profile_name(&target.profile)
            .send()
            .await
        {
            Ok(p) => p,
            Err(e) if e.code() == Some("ResourceNotFound") => return Ok(Found::Missing),
            Err(e) => return Err(AwsError::aws("sagemaker:DescribeUserProfile", resource, e).into()),
        };
        // The profile was looked up in this domain: it belongs to it (checked again for safety).
        if profile.domain_id() != Some(target.domain.as_str()) {
            return Ok(Found::Missing);
        }
        let arn = profile
            .user_profile_arn()
            .ok_or_else(|| AwsError::unexpected("sagemaker:DescribeUserProfile", &resource, "no UserProfileArn"))?;
        let tags = self
            .client
            .list_tags()
            .resource_arn(arn)
            .max_results(100)
            .send()
            .await
            .map_err(|e| AwsError::aws("sagemaker:ListTags", &resource, e))?;
        let team = tags
            .tags()
            .iter()
            .find(|t| t.key() == Some(TAG_TEAM))
            .and_then(|t| t.value().map(str::to_owned));
        Ok(Found::Profile {
            status: profile.status().cloned(),
            team,
        })
    }

    async fn create(&self, target: &Target, team: &TeamSection) -> Result<(), Refusal> {
        let resource = format!("user profile {}/{}", target.domain, target.profile);
        let tag = |k: &str, v: &str| Tag::builder().key(k).value(v).build();
        let mut tags = vec![tag(TAG_TEAM, &target.team), tag(TAG_CREATED_BY, "studio-fed-access")];
        if let Some(persona) = &team.persona {
            tags.push(tag(TAG_PERSONA, persona));
        }
        tracing::info!(team = %target.team, "creating the user profile just in time");
        match self
            .client
            .create_user_profile()
            .domain_id(&target.domain)
            .user_profile_name(&target.profile)
            .set_user_settings(
                team.execution_role
                    .as_ref()
                    .map(|role| UserSettings::builder().execution_role(role).build()),
            )
            .set_tags(Some(tags))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            // Another gateway instance created it first.
            Err(e) if e.code() == Some("ResourceInUse") => Ok(()),
            Err(e) => Err(AwsError::aws("sagemaker:CreateUserProfile", resource, e).into()),
        }
    }

    async fn wait_in_service(&self, target: &Target, wait: Duration) -> Result<(), Refusal> {
        let start = Instant::now();
        let mut pause = Duration::from_millis(200);
        loop {
            let last = match self.find(target).await? {
                Found::Profile { status, team } => match usable(target, status, team) {
                    Ok(()) => return Ok(()),
                    Err(Refusal::ProfileNotReady { status, .. }) if status == "Pending" => status,
                    Err(other) => return Err(other),
                },
                Found::Missing => "missing".to_owned(),
            };
            if start.elapsed() + pause > wait {
                return Err(Refusal::ProfileNotReady {
                    domain: target.domain.clone(),
                    profile: target.profile.clone(),
                    status: format!("still {last} after {} s", wait.as_secs()),
                });
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_secs(5));
        }
    }

    async fn presigned_url(&self, target: &Target) -> Result<String, Refusal> {
        let resource = format!("user profile {}/{}", target.domain, target.profile);
        let answer = self
            .client
            .create_presigned_domain_url()
            .domain_id(&target.domain)
            .user_profile_name(&target.profile)
            .expires_in_seconds(self.settings.expires_in_seconds)
            .session_expiration_duration_in_seconds(self.settings.session_expiration_seconds)
            .send()
            .await
            .map_err(|e| AwsError::aws("sagemaker:CreatePresignedDomainUrl", &resource, e))?;
        answer.authorized_url().map(str::to_owned).ok_or_else(|| {
            AwsError::unexpected("sagemaker:CreatePresignedDomainUrl", resource, "no AuthorizedUrl").into()
        })
    }
}

/// The profile may be opened: the team tag matches and it is InService (or being updated).
fn usable(target: &Target, status: Option<UserProfileStatus>, team: Option<String>) -> Result<(), Refusal> {
    if team.as_deref() != Some(target.team.as_str()) {
        return Err(Refusal::WrongTeam {
            domain: target.domain.clone(),
            profile: target.profile.clone(),
            team: target.team.clone(),
        });
    }
    match status {
        Some(UserProfileStatus::InService | UserProfileStatus::Updating) => Ok(()),
        other => Err(Refusal::ProfileNotReady {
            domain: target.domain.clone(),
            profile: target.profile.clone(),
            status: other.map_or_else(|| "of unknown status".to_owned(), |s| s.as_str().to_owned()),
        }),
    }
}
