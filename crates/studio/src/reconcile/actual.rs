//! [`Actual`]: what exists in AWS, read with paginated listings.
//!
//! Reads per plan, for `T` teams, `U` users and `G` groups: identity store
//! `ListUsers` (U/100 pages), `GetGroupId` and `ListGroupMemberships` per
//! group; IAM `GetAccountAuthorizationDetails` (roles and local policies, one
//! or a few pages); SageMaker `ListDomains`, then per domain `DescribeDomain`,
//! `ListTags` and `ListUserProfiles` (profiles/100 pages), and `ListSpaces`
//! and `ListApps` once; sso-admin `ListApplicationAssignments` per SSO
//! domain, and the admin permission set. `DescribeUserProfile` is called only
//! for profiles whose settings the plan cannot know otherwise: see
//! [`PROFILES_TAG`].

use std::collections::{BTreeMap, BTreeSet};

use aws_config::SdkConfig;
use aws_sdk_iam::types::EntityType;
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_sdk_sagemaker::types::UserProfileStatus;
use aws_smithy_types::Document;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use studio_fed_federation::aws::{Error as AwsError, ObservedRole, parse_policy_document};
use studio_fed_policy::PolicyDocument;

use super::desired::{Desired, PERMISSION_SET_DESCRIPTION_PREFIX, owns};
use super::{Error, aws_context};

/// Domain tag recording, after an apply, the fingerprint of the domain's
/// desired profiles and the latest `LastModifiedTime` of its profiles then:
/// `{fingerprint}@{unix millis}`. A profile not modified since, in a domain
/// whose desired fingerprint is unchanged, has the settings that apply gave
/// it, so plan does not describe it. Others are described.
pub const PROFILES_TAG: &str = "studio-fed:profiles";

/// How many reads run at once.
const READ_CONCURRENCY: usize = 8;

/// The identity store's view of users and groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActualDirectory {
    /// The Identity Center instance ARN.
    pub instance_arn: String,
    /// The identity store id.
    pub identity_store_id: String,
    /// User ids by UserName.
    pub users: BTreeMap<String, String>,
    /// Group ids by display name, for the deployment's groups that exist.
    pub groups: BTreeMap<String, String>,
    /// Member UserNames of each of those groups.
    pub members: BTreeMap<String, BTreeSet<String>>,
}

/// A domain as SageMaker describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualDomain {
    /// The domain id.
    pub id: String,
    /// The domain ARN.
    pub arn: String,
    /// The status, e.g. `InService`.
    pub status: String,
    /// `SSO` or `IAM`.
    pub auth_mode: String,
    /// The VPC.
    pub vpc_id: Option<String>,
    /// The subnets.
    pub subnets: Vec<String>,
    /// Security groups of the default user settings.
    pub security_groups: Vec<String>,
    /// `VpcOnly` or `PublicInternetOnly`.
    pub app_network_access_type: String,
    /// The KMS key.
    pub kms_key: Option<String>,
    /// The default JupyterLab instance type.
    pub default_instance_type: Option<String>,
    /// The default execution role.
    pub execution_role_arn: Option<String>,
    /// The Identity Center application of an SSO domain.
    pub sso_application_arn: Option<String>,
    /// The home EFS file system.
    pub home_efs_file_system_id: Option<String>,
    /// The security group SageMaker created for the domain's boundary.
    pub boundary_security_group_id: Option<String>,
    /// The domain's tags.
    pub tags: BTreeMap<String, String>,
}

/// A user profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualProfile {
    /// The domain name.
    pub domain: String,
    /// The profile name.
    pub name: String,
    /// The status, e.g. `InService`.
    pub status: String,
    /// `LastModifiedTime` in unix milliseconds.
    pub last_modified_millis: i64,
    /// Settings, when described.
    pub detail: Option<ProfileDetail>,
}

/// What `DescribeUserProfile` and `ListTags` say about a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDetail {
    /// `SingleSignOnUserValue`.
    pub sso_user: Option<String>,
    /// The execution role.
    pub execution_role_arn: Option<String>,
    /// The tags (only read for profiles plan may delete or tag).
    pub tags: Option<BTreeMap<String, String>>,
}

/// A space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualSpace {
    /// The domain name.
    pub domain: String,
    /// The space name.
    pub name: String,
    /// The owning profile of a private or shared space.
    pub owner: Option<String>,
}

/// An app that is not deleted (it may be being deleted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualApp {
    /// The domain name.
    pub domain: String,
    /// The owning profile, if any.
    pub profile: Option<String>,
    /// The owning space, if any.
    pub space: Option<String>,
    /// The app type.
    pub app_type: String,
    /// The app name.
    pub name: String,
    /// True while it is being deleted.
    pub deleting: bool,
}

/// The admin permission set as Identity Center has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActualPermissionSet {
    /// Its ARN.
    pub arn: String,
    /// Its description.
    pub description: String,
    /// Its session duration.
    pub session_duration: String,
    /// Its inline policy.
    pub inline_policy: Option<PolicyDocument>,
    /// Group ids it is assigned to on the account.
    pub assigned_groups: BTreeSet<String>,
}

/// Everything plan compares with [`Desired`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actual {
    /// Users and groups.
    pub directory: ActualDirectory,
    /// Roles named as desired or tagged with the deployment, by name.
    pub roles: BTreeMap<String, ObservedRole>,
    /// Domains named as desired or tagged with the deployment, by name.
    pub domains: BTreeMap<String, ActualDomain>,
    /// Profiles of those domains, by (domain name, profile name).
    pub profiles: BTreeMap<(String, String), ActualProfile>,
    /// Spaces of those domains.
    pub spaces: Vec<ActualSpace>,
    /// Apps of those domains.
    pub apps: Vec<ActualApp>,
    /// Group ids assigned to each SSO domain's application, by domain name.
    pub app_assignments: BTreeMap<String, BTreeSet<String>>,
    /// User ids assigned one by one to each SSO domain's application, by
    /// domain name (the deployment assigns groups only).
    pub app_user_assignments: BTreeMap<String, BTreeSet<String>>,
    /// The admin permission set, when it exists.
    pub permission_set: Option<ActualPermissionSet>,
}

/// [`aws_context`] as a `map_err` function.
pub(crate) fn aws<E>(
    action: &'static str,
    resource: impl Into<String>,
) -> impl FnOnce(aws_sdk_sagemaker::error::SdkError<E, aws_sdk_sagemaker::config::http::HttpResponse>) -> Error
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let resource = resource.into();
    move |e| aws_context(action, resource, e)
}

/// The AWS error code of an SDK error, if it has one.
pub(crate) fn code<E: aws_sdk_sagemaker::error::ProvideErrorMetadata, R>(
    e: &aws_sdk_sagemaker::error::SdkError<E, R>,
) -> Option<&str> {
    e.as_service_error().and_then(|s| s.code())
}

/// Tags from a SageMaker tag list.
fn sagemaker_tags(tags: &[aws_sdk_sagemaker::types::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| Some((t.key()?.to_owned(), t.value()?.to_owned())))
        .collect()
}

impl Actual {
    /// Reads what exists for `desired`.
    pub async fn read(config: &SdkConfig, desired: &Desired, directory: ActualDirectory) -> Result<Actual, Error> {
        let mut actual = Actual {
            directory,
            roles: read_roles(config, desired).await?,
            domains: BTreeMap::new(),
            profiles: BTreeMap::new(),
            spaces: Vec::new(),
            apps: Vec::new(),
            app_assignments: BTreeMap::new(),
            app_user_assignments: BTreeMap::new(),
            permission_set: None,
        };
        actual.domains = read_domains(config, desired).await?;
        actual.read_profiles(config, desired).await?;
        actual.read_spaces_and_apps(config).await?;
        (actual.app_assignments, actual.app_user_assignments) = read_app_assignments(config, &actual.domains).await?;
        if let Some(admin) = &desired.admin {
            actual.permission_set = read_permission_set(
                config,
                &actual.directory.instance_arn,
                &desired.account,
                &admin.permission_set_name,
            )
            .await?;
        }
        Ok(actual)
    }

    /// The domain name of a domain id among the read domains.
    fn domain_name_of(&self, id: &str) -> Option<String> {
        self.domains
            .iter()
            .find(|(_, d)| d.id == id)
            .map(|(name, _)| name.clone())
    }

    async fn read_profiles(&mut self, config: &SdkConfig, desired: &Desired) -> Result<(), Error> {
        let client = aws_sdk_sagemaker::Client::new(config);
        let listed: Vec<Vec<ActualProfile>> = stream::iter(self.domains.iter())
            .map(|(name, domain)| {
                let client = client.clone();
                async move {
                    let mut pages = client
                        .list_user_profiles()
                        .domain_id_equals(&domain.id)
                        .max_results(100)
                        .into_paginator()
                        .items()
                        .send();
                    let mut out = Vec::new();
                    while let Some(item) = pages.next().await {
                        let item = item.map_err(aws("sagemaker:ListUserProfiles", format!("domain {name}")))?;
                        if item.status() == Some(&UserProfileStatus::Deleting) {
                            continue;
                        }
                        out.push(ActualProfile {
                            domain: name.clone(),
                            name: item.user_profile_name().unwrap_or_default().to_owned(),
                            status: item.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                            last_modified_millis: item
                                .last_modified_time()
                                .and_then(|t| t.to_millis().ok())
                                .unwrap_or(i64::MAX),
                            detail: None,
                        });
                    }
                    Ok::<_, Error>(out)
                }
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        for profile in listed.into_iter().flatten() {
            self.profiles
                .insert((profile.domain.clone(), profile.name.clone()), profile);
        }

        // Which profiles need a describe (and which their tags).
        let mut to_describe: Vec<(String, String, bool)> = Vec::new();
        for ((domain_name, name), profile) in &self.profiles {
            let wanted = desired
                .profiles_in(domain_name)
                .any(|p| p.name.eq_ignore_ascii_case(name));
            if !wanted {
                to_describe.push((domain_name.clone(), name.clone(), true));
                continue;
            }
            let watermark = self
                .domains
                .get(domain_name)
                .and_then(|d| d.tags.get(PROFILES_TAG))
                .and_then(|v| v.split_once('@'))
                .filter(|(fingerprint, _)| *fingerprint == desired.profiles_fingerprint(domain_name))
                .and_then(|(_, millis)| millis.parse::<i64>().ok());
            let known = profile.status == "InService" && watermark.is_some_and(|w| profile.last_modified_millis <= w);
            if !known {
                to_describe.push((domain_name.clone(), name.clone(), false));
            }
        }
        let details: Vec<((String, String), ProfileDetail)> = stream::iter(to_describe)
            .map(|(domain_name, name, with_tags)| {
                let client = client.clone();
                let domain_id = self.domains[&domain_name].id.clone();
                async move {
                    let resource = format!("user profile {domain_name}/{name}");
                    let out = client
                        .describe_user_profile()
                        .domain_id(&domain_id)
                        .user_profile_name(&name)
                        .send()
                        .await
                        .map_err(aws("sagemaker:DescribeUserProfile", &resource))?;
                    let tags = match (with_tags, out.user_profile_arn()) {
                        (true, Some(arn)) => Some(list_tags(&client, arn, &resource).await?),
                        _ => None,
                    };
                    let detail = ProfileDetail {
                        sso_user: out.single_sign_on_user_value().map(str::to_owned),
                        execution_role_arn: out.user_settings().and_then(|s| s.execution_role()).map(str::to_owned),
                        tags,
                    };
                    Ok::<_, Error>(((domain_name, name), detail))
                }
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        for (key, detail) in details {
            if let Some(profile) = self.profiles.get_mut(&key) {
                profile.detail = Some(detail);
            }
        }
        Ok(())
    }

    async fn read_spaces_and_apps(&mut self, config: &SdkConfig) -> Result<(), Error> {
        let client = aws_sdk_sagemaker::Client::new(config);
        let mut spaces = client.list_spaces().max_results(100).into_paginator().items().send();
        while let Some(space) = spaces.next().await {
            let space = space.map_err(aws("sagemaker:ListSpaces", "the account's spaces"))?;
            let Some(domain) = space.domain_id().and_then(|id| self.domain_name_of(id)) else {
                continue;
            };
            if space.status().is_some_and(|s| s.as_str() == "Deleting") {
                continue;
            }
            self.spaces.push(ActualSpace {
                domain,
                name: space.space_name().unwrap_or_default().to_owned(),
                owner: space
                    .ownership_settings_summary()
                    .and_then(|o| o.owner_user_profile_name())
                    .map(str::to_owned),
            });
        }
        let mut apps = client.list_apps().max_results(100).into_paginator().items().send();
        while let Some(app) = apps.next().await {
            let app = app.map_err(aws("sagemaker:ListApps", "the account's apps"))?;
            let Some(domain) = app.domain_id().and_then(|id| self.domain_name_of(id)) else {
                continue;
            };
            // A Deleting app is kept: its owner cannot be deleted until it is gone.
            if app.status().is_some_and(|s| matches!(s.as_str(), "Deleted" | "Failed")) {
                continue;
            }
            self.apps.push(ActualApp {
                domain,
                profile: app.user_profile_name().map(str::to_owned),
                space: app.space_name().map(str::to_owned),
                app_type: app.app_type().map(|t| t.as_str().to_owned()).unwrap_or_default(),
                name: app.app_name().unwrap_or_default().to_owned(),
                deleting: app.status().is_some_and(|s| s.as_str() == "Deleting"),
            });
        }
        Ok(())
    }
}

/// The identity store's users, and the deployment's groups with their members.
pub async fn read_directory(
    config: &SdkConfig,
    instance_arn: &str,
    identity_store_id: &str,
    group_names: &BTreeSet<String>,
) -> Result<ActualDirectory, Error> {
    let client = aws_sdk_identitystore::Client::new(config);
    let store = format!("identity store {identity_store_id}");
    let mut users = BTreeMap::new();
    let mut pages = client
        .list_users()
        .identity_store_id(identity_store_id)
        .max_results(100)
        .into_paginator()
        .items()
        .send();
    while let Some(user) = pages.next().await {
        let user = user.map_err(aws("identitystore:ListUsers", &store))?;
        if let Some(name) = user.user_name() {
            users.insert(name.to_owned(), user.user_id().to_owned());
        }
    }
    let names_by_id: BTreeMap<&str, &str> = users.iter().map(|(n, id)| (id.as_str(), n.as_str())).collect();
    let mut groups = BTreeMap::new();
    let mut members = BTreeMap::new();
    for group in group_names {
        let attribute = UniqueAttribute::builder()
            .attribute_path("displayName")
            .attribute_value(Document::String(group.clone()))
            .build()
            .map_err(|e| Error::Aws(AwsError::unexpected("identitystore:GetGroupId", group, e.to_string())))?;
        let id = match client
            .get_group_id()
            .identity_store_id(identity_store_id)
            .alternate_identifier(AlternateIdentifier::UniqueAttribute(attribute))
            .send()
            .await
        {
            Ok(out) => out.group_id().to_owned(),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => continue,
            Err(e) => return Err(aws("identitystore:GetGroupId", format!("group {group}"))(e)),
        };
        let mut pages = client
            .list_group_memberships()
            .identity_store_id(identity_store_id)
            .group_id(&id)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        let mut names = BTreeSet::new();
        while let Some(membership) = pages.next().await {
            let membership = membership.map_err(aws("identitystore:ListGroupMemberships", format!("group {group}")))?;
            if let Some(MemberId::UserId(user_id)) = membership.member_id()
                && let Some(name) = names_by_id.get(user_id.as_str())
            {
                names.insert((*name).to_owned());
            }
        }
        groups.insert(group.clone(), id);
        members.insert(group.clone(), names);
    }
    Ok(ActualDirectory {
        instance_arn: instance_arn.to_owned(),
        identity_store_id: identity_store_id.to_owned(),
        users,
        groups,
        members,
    })
}

/// Roles named as desired or tagged with the deployment, with their policies.
async fn read_roles(config: &SdkConfig, desired: &Desired) -> Result<BTreeMap<String, ObservedRole>, Error> {
    let client = aws_sdk_iam::Client::new(config);
    let mut pages = client
        .get_account_authorization_details()
        .filter(EntityType::Role)
        .filter(EntityType::LocalManagedPolicy)
        .into_paginator()
        .send();
    let mut role_details = Vec::new();
    let mut local: BTreeMap<String, (String, PolicyDocument)> = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("iam:GetAccountAuthorizationDetails", "the account's roles"))?;
        for policy in page.policies() {
            let (Some(name), Some(arn)) = (policy.policy_name(), policy.arn()) else {
                continue;
            };
            let document = policy
                .policy_version_list()
                .iter()
                .find(|v| v.is_default_version())
                .and_then(|v| v.document());
            if let Some(text) = document {
                let document = parse_policy_document(&format!("policy {name}"), "default version", text)?;
                local.insert(arn.to_owned(), (name.to_owned(), document));
            }
        }
        role_details.extend(page.role_detail_list().iter().cloned());
    }
    let wanted: BTreeSet<&str> = desired.roles.iter().map(|r| r.spec.name.as_str()).collect();
    let mut roles = BTreeMap::new();
    for role in role_details {
        let (Some(name), Some(arn)) = (role.role_name(), role.arn()) else {
            continue;
        };
        let tags: BTreeMap<String, String> = role
            .tags()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        if !wanted.contains(name) && !owns(&tags, &desired.deployment) {
            continue;
        }
        let resource = format!("role {name}");
        let trust_policy = match role.assume_role_policy_document() {
            Some(text) => parse_policy_document(&resource, "trust policy", text)?,
            None => PolicyDocument::new(Vec::new()),
        };
        let mut inline_policies = BTreeMap::new();
        for policy in role.role_policy_list() {
            if let (Some(policy_name), Some(text)) = (policy.policy_name(), policy.policy_document()) {
                let what = format!("inline policy {policy_name}");
                inline_policies.insert(policy_name.to_owned(), parse_policy_document(&resource, &what, text)?);
            }
        }
        let attached_policy_arns: BTreeSet<String> = role
            .attached_managed_policies()
            .iter()
            .filter_map(|p| p.policy_arn().map(str::to_owned))
            .collect();
        let customer_managed = attached_policy_arns
            .iter()
            .filter_map(|arn| local.get(arn).cloned())
            .collect();
        roles.insert(
            name.to_owned(),
            ObservedRole {
                arn: arn.to_owned(),
                trust_policy,
                max_session_duration: 3_600,
                tags,
                attached_policy_arns,
                inline_policies,
                customer_managed,
            },
        );
    }
    Ok(roles)
}

/// Domains named as desired, or named `{deployment}-*` and tagged with the deployment.
async fn read_domains(config: &SdkConfig, desired: &Desired) -> Result<BTreeMap<String, ActualDomain>, Error> {
    let client = aws_sdk_sagemaker::Client::new(config);
    let mut listed = Vec::new();
    let mut pages = client.list_domains().max_results(100).into_paginator().items().send();
    let prefix = format!("{}-", desired.deployment);
    while let Some(domain) = pages.next().await {
        let domain = domain.map_err(aws("sagemaker:ListDomains", "the account's domains"))?;
        let (Some(id), Some(name)) = (domain.domain_id(), domain.domain_name()) else {
            continue;
        };
        if domain.status().is_some_and(|s| s.as_str() == "Deleting") {
            continue;
        }
        if desired.domain(name).is_some() || name.starts_with(&prefix) {
            listed.push((id.to_owned(), name.to_owned()));
        }
    }
    let described: Vec<Option<(String, ActualDomain)>> = stream::iter(listed)
        .map(|(id, name)| {
            let client = client.clone();
            async move {
                let resource = format!("domain {name}");
                let out = match client.describe_domain().domain_id(&id).send().await {
                    Ok(out) => out,
                    Err(e) if code(&e) == Some("ResourceNotFound") => return Ok(None),
                    Err(e) => return Err(aws("sagemaker:DescribeDomain", &resource)(e)),
                };
                let arn = out.domain_arn().unwrap_or_default().to_owned();
                let tags = list_tags(&client, &arn, &resource).await?;
                if desired.domain(&name).is_none() && !owns(&tags, &desired.deployment) {
                    return Ok(None);
                }
                let settings = out.default_user_settings();
                Ok::<_, Error>(Some((
                    name,
                    ActualDomain {
                        id,
                        arn,
                        status: out.status().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        auth_mode: out.auth_mode().map(|s| s.as_str().to_owned()).unwrap_or_default(),
                        vpc_id: out.vpc_id().map(str::to_owned),
                        subnets: out.subnet_ids().to_vec(),
                        security_groups: settings.map(|s| s.security_groups().to_vec()).unwrap_or_default(),
                        app_network_access_type: out
                            .app_network_access_type()
                            .map(|s| s.as_str().to_owned())
                            .unwrap_or_else(|| "PublicInternetOnly".to_owned()),
                        kms_key: out.kms_key_id().map(str::to_owned),
                        default_instance_type: settings
                            .and_then(|s| s.jupyter_lab_app_settings())
                            .and_then(|j| j.default_resource_spec())
                            .and_then(|r| r.instance_type())
                            .map(|t| t.as_str().to_owned()),
                        execution_role_arn: settings.and_then(|s| s.execution_role()).map(str::to_owned),
                        sso_application_arn: out.single_sign_on_application_arn().map(str::to_owned),
                        home_efs_file_system_id: out.home_efs_file_system_id().map(str::to_owned),
                        boundary_security_group_id: out.security_group_id_for_domain_boundary().map(str::to_owned),
                        tags,
                    },
                )))
            }
        })
        .buffer_unordered(READ_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(described.into_iter().flatten().collect())
}

/// All tags of a SageMaker resource.
pub(crate) async fn list_tags(
    client: &aws_sdk_sagemaker::Client,
    arn: &str,
    resource: &str,
) -> Result<BTreeMap<String, String>, Error> {
    let mut tags = BTreeMap::new();
    let mut pages = client.list_tags().resource_arn(arn).into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(aws("sagemaker:ListTags", resource))?;
        tags.extend(sagemaker_tags(page.tags()));
    }
    Ok(tags)
}

/// Group ids and user ids assigned to each SSO domain's application.
async fn read_app_assignments(
    config: &SdkConfig,
    domains: &BTreeMap<String, ActualDomain>,
) -> Result<(BTreeMap<String, BTreeSet<String>>, BTreeMap<String, BTreeSet<String>>), Error> {
    let client = aws_sdk_ssoadmin::Client::new(config);
    let mut out = BTreeMap::new();
    let mut users_out = BTreeMap::new();
    for (name, domain) in domains {
        let Some(application) = &domain.sso_application_arn else {
            continue;
        };
        let mut pages = client
            .list_application_assignments()
            .application_arn(application)
            .max_results(100)
            .into_paginator()
            .items()
            .send();
        let mut groups = BTreeSet::new();
        let mut users = BTreeSet::new();
        while let Some(assignment) = pages.next().await {
            let assignment = assignment.map_err(aws("sso:ListApplicationAssignments", format!("domain {name}")))?;
            let id = assignment.principal_id().to_owned();
            match assignment.principal_type().as_str() {
                "GROUP" => groups.insert(id),
                _ => users.insert(id),
            };
        }
        out.insert(name.clone(), groups);
        users_out.insert(name.clone(), users);
    }
    Ok((out, users_out))
}

/// The permission set of that name, if it exists; an error if it exists but is not the deployment's.
async fn read_permission_set(
    config: &SdkConfig,
    instance_arn: &str,
    account: &str,
    name: &str,
) -> Result<Option<ActualPermissionSet>, Error> {
    let client = aws_sdk_ssoadmin::Client::new(config);
    let resource = format!("permission set {name}");
    let mut arns = client
        .list_permission_sets()
        .instance_arn(instance_arn)
        .into_paginator()
        .items()
        .send();
    while let Some(arn) = arns.next().await {
        let arn = arn.map_err(aws("sso:ListPermissionSets", &resource))?;
        let out = client
            .describe_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(&arn)
            .send()
            .await
            .map_err(aws("sso:DescribePermissionSet", &resource))?;
        let Some(set) = out.permission_set() else { continue };
        if set.name() != Some(name) {
            continue;
        }
        let description = set.description().unwrap_or_default().to_owned();
        let inline = client
            .get_inline_policy_for_permission_set()
            .instance_arn(instance_arn)
            .permission_set_arn(&arn)
            .send()
            .await
            .map_err(aws("sso:GetInlinePolicyForPermissionSet", &resource))?;
        let inline_policy = match inline.inline_policy() {
            Some(text) if !text.is_empty() => Some(parse_policy_document(&resource, "inline policy", text)?),
            _ => None,
        };
        let mut assignments = client
            .list_account_assignments()
            .instance_arn(instance_arn)
            .account_id(account)
            .permission_set_arn(&arn)
            .into_paginator()
            .items()
            .send();
        let mut assigned_groups = BTreeSet::new();
        while let Some(assignment) = assignments.next().await {
            let assignment = assignment.map_err(aws("sso:ListAccountAssignments", &resource))?;
            if assignment.principal_type().is_some_and(|t| t.as_str() == "GROUP")
                && let Some(id) = assignment.principal_id()
            {
                assigned_groups.insert(id.to_owned());
            }
        }
        return Ok(Some(ActualPermissionSet {
            arn,
            description,
            session_duration: set.session_duration().unwrap_or("PT1H").to_owned(),
            inline_policy,
            assigned_groups,
        }));
    }
    Ok(None)
}

/// True when a permission set description marks it as `deployment`'s.
pub(crate) fn permission_set_owned(description: &str, deployment: &str) -> bool {
    description.starts_with(&format!("{PERMISSION_SET_DESCRIPTION_PREFIX} {deployment}]"))
}
