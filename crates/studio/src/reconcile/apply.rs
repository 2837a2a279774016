//! [`apply`]: a plan's changes, step by step in dependency order, each step
//! with bounded concurrency.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use aws_config::SdkConfig;
use aws_sdk_sagemaker::types::{
    AppInstanceType, AppNetworkAccessType as SmAccess, AppType, AuthMode as SmAuth, JupyterLabAppSettings,
    ResourceSpec, RetentionPolicy, RetentionType, Tag, UserSettings,
};
use aws_sdk_ssoadmin::types::{
    AccountAssignmentOperationStatus, PrincipalType, ProvisionTargetType, StatusValues, TargetType,
};
use futures_util::stream::{self, StreamExt};
use serde::Serialize;
use studio_fed_federation::aws::ensure_role;
use tracing::Instrument;

use super::actual::{PROFILES_TAG, code, list_tags};
use super::change::{Action, PlannedChange, Resource, Step};
use super::desired::{DesiredDomain, owns};
use super::plan::Plan;
use super::progress::{Progress, ProgressMode};
use super::retry::Retry;
use super::wait::{Backoff, Poll};
use super::{Error, aws_context};
use crate::deployment::{AppNetworkAccessType, AuthMode};

/// How [`apply`] runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Changes of one step run at most this many at a time (default 8).
    pub concurrency: usize,
    /// How to wait for resources and Identity Center requests to settle.
    pub backoff: Backoff,
    /// How to retry calls that fail for a passing reason (conflicts, throttling, IAM propagation).
    pub retry: Retry,
    /// Delete the home EFS volume of deleted domains (default: retain it).
    pub delete_efs: bool,
    /// How to show progress.
    pub progress: ProgressMode,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            concurrency: 8,
            backoff: Backoff::default(),
            retry: Retry::default(),
            delete_efs: false,
            progress: ProgressMode::Auto,
        }
    }
}

/// What [`apply`] did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ApplyReport {
    /// The deployment.
    pub deployment: String,
    /// The changes made, in order.
    pub applied: Vec<PlannedChange>,
    /// What was left alone on purpose, e.g. retained EFS volumes and security groups, by id.
    pub retained: Vec<String>,
    /// Deletes skipped because the resource was not tagged as the deployment's.
    pub skipped: Vec<String>,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "applied {} change(s) to {}", self.applied.len(), self.deployment)?;
        for item in &self.retained {
            writeln!(f, "retained: {item}")?;
        }
        for item in &self.skipped {
            writeln!(f, "skipped: {item}")?;
        }
        Ok(())
    }
}

/// Runs the plan's changes. A blocked plan changes nothing. On a failure,
/// the changes of the failed step that completed stay done and later steps
/// do not run: plan and apply again to continue.
pub async fn apply(config: &SdkConfig, plan: &Plan, options: &ApplyOptions) -> Result<ApplyReport, Error> {
    let span = tracing::info_span!("apply", deployment = %plan.deployment, changes = plan.changes.len());
    async move {
        if !plan.blockers.is_empty() {
            return Err(Error::Blocked(plan.blockers.clone()));
        }
        let ctx = Context {
            sm: aws_sdk_sagemaker::Client::new(config),
            sso: aws_sdk_ssoadmin::Client::new(config),
            iam: aws_sdk_iam::Client::new(config),
            config,
            plan,
            options,
            domains: Mutex::new(
                plan.actual
                    .domains
                    .iter()
                    .map(|(name, d)| (name.clone(), (d.id.clone(), d.sso_application_arn.clone())))
                    .collect(),
            ),
            permission_set: Mutex::new(plan.actual.permission_set.as_ref().map(|s| s.arn.clone())),
            report: Mutex::new(ApplyReport {
                deployment: plan.deployment.clone(),
                ..ApplyReport::default()
            }),
        };
        let progress = Progress::new(options.progress);
        let total = plan.changes.len();
        let mut done = 0;
        for step in Step::ALL {
            let changes: Vec<&PlannedChange> = plan.step(step).collect();
            if changes.is_empty() {
                continue;
            }
            let bar = progress.step(step, changes.len());
            // The admin step's changes depend on each other (set, then assignment).
            let concurrency = if step == Step::Admin {
                1
            } else {
                options.concurrency.max(1)
            };
            let mut results = stream::iter(changes)
                .map(|change| {
                    let ctx = &ctx;
                    async move { (change, ctx.run(change).await) }
                })
                .buffered(concurrency);
            let mut first_error = None;
            let mut step_done = 0;
            while let Some((change, result)) = results.next().await {
                match result {
                    Ok(()) => {
                        done += 1;
                        step_done += 1;
                        bar.done(step_done, change);
                        lock(&ctx.report).applied.push(change.clone());
                    }
                    Err(e) => {
                        tracing::warn!(resource = %change.resource, error = %e, "change failed");
                        first_error.get_or_insert(e);
                    }
                }
            }
            bar.finish();
            if let Some(source) = first_error {
                return Err(Error::Partial {
                    done,
                    total,
                    source: Box::new(source),
                });
            }
            if step == Step::Profiles && !plan.destroy {
                ctx.record_watermarks().await.map_err(|source| Error::Partial {
                    done,
                    total,
                    source: Box::new(source),
                })?;
            }
        }
        let report = ctx.report.into_inner().unwrap_or_else(|e| e.into_inner());
        tracing::info!(applied = report.applied.len(), "applied");
        Ok(report)
    }
    .instrument(span)
    .await
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

struct Context<'a> {
    sm: aws_sdk_sagemaker::Client,
    sso: aws_sdk_ssoadmin::Client,
    iam: aws_sdk_iam::Client,
    config: &'a SdkConfig,
    plan: &'a Plan,
    options: &'a ApplyOptions,
    /// Domain name → (id, SSO application ARN), including domains created by this apply.
    domains: Mutex<BTreeMap<String, (String, Option<String>)>>,
    permission_set: Mutex<Option<String>>,
    report: Mutex<ApplyReport>,
}

fn sm_tags(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

impl Context<'_> {
    async fn run(&self, change: &PlannedChange) -> Result<(), Error> {
        let span = tracing::info_span!("change", resource = %change.resource, action = %change.action);
        async move {
            match (&change.resource, &change.action) {
                (Resource::Role { name }, Action::Delete) => self.delete_role(name).await,
                (Resource::Role { name }, _) => self.ensure_role(name).await,
                (Resource::Domain { name }, Action::Create) => self.create_domain(name).await,
                (Resource::Domain { name }, Action::Update { diff }) => {
                    if diff.iter().any(|d| !d.field.starts_with("tags.")) {
                        self.update_domain(name).await?;
                    }
                    Ok(())
                }
                (Resource::Domain { name }, Action::Delete) => self.delete_domain(name).await,
                (Resource::UserProfile { domain, name }, Action::Create) => self.create_profile(domain, name).await,
                (Resource::UserProfile { domain, name }, Action::Update { .. }) => {
                    self.update_profile(domain, name).await
                }
                (Resource::UserProfile { domain, name }, Action::Delete) => self.delete_profile(domain, name).await,
                (Resource::Space { domain, name }, Action::Delete) => self.delete_space(domain, name).await,
                (
                    Resource::App {
                        domain,
                        owner,
                        app_type,
                        name,
                    },
                    Action::Delete,
                ) => self.delete_app(domain, owner, app_type, name).await,
                (Resource::ApplicationAssignment { domain, group }, Action::Create) => {
                    self.assign_application(domain, group, true).await
                }
                (Resource::ApplicationAssignment { domain, group }, Action::Delete) => {
                    self.assign_application(domain, group, false).await
                }
                (Resource::PermissionSet { .. }, Action::Delete) => self.delete_permission_set().await,
                (Resource::PermissionSet { .. }, _) => self.ensure_permission_set().await,
                (Resource::AccountAssignment { group, .. }, Action::Create) => self.assign_account(group, true).await,
                (Resource::AccountAssignment { group, .. }, Action::Delete) => self.assign_account(group, false).await,
                (resource, action) => Err(Error::Config(format!("apply cannot {action} {resource}"))),
            }
        }
        .instrument(span)
        .await
    }

    fn domain_id(&self, name: &str) -> Result<(String, Option<String>), Error> {
        lock(&self.domains)
            .get(name)
            .cloned()
            .ok_or_else(|| Error::Config(format!("domain {name} does not exist; run plan and apply again")))
    }

    fn desired_domain(&self, name: &str) -> Result<&DesiredDomain, Error> {
        self.plan
            .desired
            .domain(name)
            .ok_or_else(|| Error::Config(format!("domain {name} is not in the deployment")))
    }

    // ----- roles

    async fn ensure_role(&self, name: &str) -> Result<(), Error> {
        let role = self
            .plan
            .desired
            .roles
            .iter()
            .find(|r| r.spec.name == name)
            .ok_or_else(|| Error::Config(format!("role {name} is not in the deployment")))?;
        ensure_role(self.config, &role.spec).await?;
        Ok(())
    }

    async fn delete_role(&self, name: &str) -> Result<(), Error> {
        let resource = format!("role {name}");
        let role = match self.iam.get_role().role_name(name).send().await {
            Ok(out) => out.role,
            Err(e) if code(&e) == Some("NoSuchEntity") => return Ok(()),
            Err(e) => return Err(aws_context("iam:GetRole", &resource, e)),
        };
        let tags: BTreeMap<String, String> = role
            .map(|r| {
                r.tags()
                    .iter()
                    .map(|t| (t.key().to_owned(), t.value().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        if !owns(&tags, &self.plan.deployment) {
            lock(&self.report)
                .skipped
                .push(format!("{resource}: not tagged as the deployment's"));
            return Ok(());
        }
        let attached = self
            .iam
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        let mut own_policies = Vec::new();
        for policy in attached {
            let policy = policy.map_err(|e| aws_context("iam:ListAttachedRolePolicies", &resource, e))?;
            let Some(arn) = policy.policy_arn() else { continue };
            self.iam
                .detach_role_policy()
                .role_name(name)
                .policy_arn(arn)
                .send()
                .await
                .map_err(|e| aws_context("iam:DetachRolePolicy", &resource, e))?;
            if !arn.contains(":aws:policy/") && policy.policy_name().is_some_and(|p| p.starts_with(name)) {
                own_policies.push(arn.to_owned());
            }
        }
        let inline = self
            .iam
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .items()
            .send()
            .collect::<Vec<_>>()
            .await;
        for policy_name in inline {
            let policy_name = policy_name.map_err(|e| aws_context("iam:ListRolePolicies", &resource, e))?;
            self.iam
                .delete_role_policy()
                .role_name(name)
                .policy_name(&policy_name)
                .send()
                .await
                .map_err(|e| aws_context("iam:DeleteRolePolicy", &resource, e))?;
        }
        self.iam
            .delete_role()
            .role_name(name)
            .send()
            .await
            .map_err(|e| aws_context("iam:DeleteRole", &resource, e))?;
        for arn in own_policies {
            self.delete_managed_policy(&arn).await?;
        }
        Ok(())
    }

    /// Deletes a customer managed policy the role's persona created, with its versions.
    async fn delete_managed_policy(&self, arn: &str) -> Result<(), Error> {
        let resource = format!("policy {arn}");
        let versions = self
            .iam
            .list_policy_versions()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| aws_context("iam:ListPolicyVersions", &resource, e))?;
        for version in versions.versions() {
            if version.is_default_version() {
                continue;
            }
            if let Some(id) = version.version_id() {
                self.iam
                    .delete_policy_version()
                    .policy_arn(arn)
                    .version_id(id)
                    .send()
                    .await
                    .map_err(|e| aws_context("iam:DeletePolicyVersion", &resource, e))?;
            }
        }
        match self.iam.delete_policy().policy_arn(arn).send().await {
            Ok(_) => Ok(()),
            // Still attached elsewhere: leave it, and say so.
            Err(e) if code(&e) == Some("DeleteConflict") => {
                lock(&self.report)
                    .skipped
                    .push(format!("{resource}: still attached to another role"));
                Ok(())
            }
            Err(e) => Err(aws_context("iam:DeletePolicy", &resource, e)),
        }
    }

    // ----- domains

    fn user_settings(domain: &DesiredDomain) -> UserSettings {
        let mut settings = UserSettings::builder()
            .execution_role(&domain.execution_role_arn)
            .set_security_groups(Some(domain.security_groups.clone()));
        if let Some(instance_type) = &domain.default_instance_type {
            settings = settings.jupyter_lab_app_settings(
                JupyterLabAppSettings::builder()
                    .default_resource_spec(
                        ResourceSpec::builder()
                            .instance_type(AppInstanceType::from(instance_type.as_str()))
                            .build(),
                    )
                    .build(),
            );
        }
        settings.build()
    }

    fn access(domain: &DesiredDomain) -> SmAccess {
        match domain.app_network_access_type {
            AppNetworkAccessType::VpcOnly => SmAccess::VpcOnly,
            AppNetworkAccessType::PublicInternetOnly => SmAccess::PublicInternetOnly,
        }
    }

    async fn create_domain(&self, name: &str) -> Result<(), Error> {
        let want = self.desired_domain(name)?;
        let resource = format!("domain {name}");
        // Retried while its new execution role propagates through IAM.
        let created = self
            .options
            .retry
            .run(&resource, || async {
                self.sm
                    .create_domain()
                    .domain_name(name)
                    .auth_mode(match want.auth_mode {
                        AuthMode::Sso => SmAuth::Sso,
                        AuthMode::Iam => SmAuth::Iam,
                    })
                    .default_user_settings(Self::user_settings(want))
                    .set_subnet_ids(Some(want.subnets.clone()))
                    .set_vpc_id(want.vpc_id.clone())
                    .app_network_access_type(Self::access(want))
                    .set_kms_key_id(want.kms_key.clone())
                    .set_tags(Some(sm_tags(&want.tags)))
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:CreateDomain", &resource, e))
            })
            .await;
        let id = match created {
            Ok(out) => out
                .domain_arn()
                .and_then(|arn| arn.rsplit('/').next())
                .map(str::to_owned)
                .ok_or_else(|| Error::Config(format!("CreateDomain for {resource} returned no ARN")))?,
            // A retry after a lost answer: the domain exists; find it.
            Err(e) if aws_code(&e) == Some("ResourceInUse") => self.find_domain(name).await?,
            Err(e) => return Err(e),
        };
        let application = self.wait_domain(&id, name).await?;
        lock(&self.domains).insert(name.to_owned(), (id, application));
        Ok(())
    }

    async fn find_domain(&self, name: &str) -> Result<String, Error> {
        let mut pages = self.sm.list_domains().into_paginator().items().send();
        while let Some(domain) = pages.next().await {
            let domain = domain.map_err(|e| aws_context("sagemaker:ListDomains", format!("domain {name}"), e))?;
            if domain.domain_name() == Some(name)
                && let Some(id) = domain.domain_id()
            {
                return Ok(id.to_owned());
            }
        }
        Err(Error::Config(format!(
            "domain {name} was reported as existing but is not listed"
        )))
    }

    /// Waits for InService; returns the SSO application ARN.
    async fn wait_domain(&self, id: &str, name: &str) -> Result<Option<String>, Error> {
        let resource = format!("domain {name} ({id})");
        let application = Mutex::new(None);
        self.options
            .backoff
            .wait(&resource, "InService", || async {
                let out = self
                    .sm
                    .describe_domain()
                    .domain_id(id)
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:DescribeDomain", &resource, e))?;
                *lock(&application) = out.single_sign_on_application_arn().map(str::to_owned);
                Ok(match out.status().map(|s| s.as_str()) {
                    Some("InService") => Poll::Done,
                    Some(status @ ("Failed" | "Update_Failed" | "Delete_Failed")) => Poll::Failed(format!(
                        "{status}: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )),
                    status => Poll::Pending(status.unwrap_or("unknown").to_owned()),
                })
            })
            .await?;
        Ok(application.into_inner().unwrap_or_else(|e| e.into_inner()))
    }

    async fn update_domain(&self, name: &str) -> Result<(), Error> {
        let want = self.desired_domain(name)?;
        let (id, _) = self.domain_id(name)?;
        let resource = format!("domain {name}");
        // VpcOnly needs the VPC and its subnets in the same request ("VpcId and
        // Subnet IDs are required for updating domains to VpcOnly mode").
        self.options
            .retry
            .run(&resource, || async {
                self.sm
                    .update_domain()
                    .domain_id(&id)
                    .default_user_settings(Self::user_settings(want))
                    .set_subnet_ids(Some(want.subnets.clone()))
                    .set_vpc_id(want.vpc_id.clone())
                    .app_network_access_type(Self::access(want))
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:UpdateDomain", &resource, e))
            })
            .await?;
        let arn = self
            .plan
            .actual
            .domains
            .get(name)
            .map(|d| d.arn.clone())
            .unwrap_or_default();
        self.sm
            .add_tags()
            .resource_arn(&arn)
            .set_tags(Some(sm_tags(&want.tags)))
            .send()
            .await
            .map_err(|e| aws_context("sagemaker:AddTags", &resource, e))?;
        self.wait_domain(&id, name).await?;
        Ok(())
    }

    async fn delete_domain(&self, name: &str) -> Result<(), Error> {
        let Some(domain) = self.plan.actual.domains.get(name) else {
            return Ok(());
        };
        let resource = format!("domain {name} ({})", domain.id);
        let tags = list_tags(&self.sm, &domain.arn, &resource).await?;
        if !owns(&tags, &self.plan.deployment) {
            lock(&self.report)
                .skipped
                .push(format!("{resource}: not tagged as the deployment's"));
            return Ok(());
        }
        let retention = if self.options.delete_efs {
            RetentionType::Delete
        } else {
            RetentionType::Retain
        };
        let deleted = self
            .options
            .retry
            .run_delete(&resource, || async {
                accepted(
                    self.sm
                        .delete_domain()
                        .domain_id(&domain.id)
                        .retention_policy(
                            RetentionPolicy::builder()
                                .home_efs_file_system(retention.clone())
                                .build(),
                        )
                        .send()
                        .await,
                    "ResourceNotFound",
                    "sagemaker:DeleteDomain",
                    &resource,
                )
            })
            .await?;
        if !deleted {
            return Ok(());
        }
        self.wait_gone(&resource, || async {
            match self.sm.describe_domain().domain_id(&domain.id).send().await {
                Ok(out) => Ok(Some(out.status().map(|s| s.as_str().to_owned()).unwrap_or_default())),
                Err(e) if code(&e) == Some("ResourceNotFound") => Ok(None),
                Err(e) => Err(aws_context("sagemaker:DescribeDomain", &resource, e)),
            }
        })
        .await?;
        let mut report = lock(&self.report);
        if let Some(efs) = &domain.home_efs_file_system_id
            && !self.options.delete_efs
        {
            report.retained.push(format!(
                "EFS {efs} (home of domain {name}; delete it with --delete-efs or by hand)"
            ));
        }
        if let Some(sg) = &domain.boundary_security_group_id {
            report
                .retained
                .push(format!("security group {sg} (created by SageMaker for domain {name})"));
        }
        Ok(())
    }

    /// Polls `status` (None once the resource is gone) until it is gone.
    async fn wait_gone<F, Fut>(&self, resource: &str, mut status: F) -> Result<(), Error>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<Option<String>, Error>>,
    {
        self.options
            .backoff
            .wait(resource, "deleted", || {
                let next = status();
                async move {
                    Ok(match next.await? {
                        None => Poll::Done,
                        Some(s) if s == "Deleted" => Poll::Done,
                        Some(s) if s.ends_with("Failed") => Poll::Failed(s),
                        Some(s) => Poll::Pending(s),
                    })
                }
            })
            .await
    }

    // ----- profiles, spaces, apps

    async fn create_profile(&self, domain: &str, name: &str) -> Result<(), Error> {
        let want = self
            .plan
            .desired
            .profiles_in(domain)
            .find(|p| p.name == name)
            .ok_or_else(|| Error::Config(format!("user profile {domain}/{name} is not in the deployment")))?;
        let desired_domain = self.desired_domain(domain)?;
        let (id, _) = self.domain_id(domain)?;
        let resource = format!("user profile {domain}/{name}");
        let sso = desired_domain.auth_mode == AuthMode::Sso;
        // ResourceInUse: a retry after a lost answer; the profile exists.
        self.options
            .retry
            .run(&resource, || async {
                accepted(
                    self.sm
                        .create_user_profile()
                        .domain_id(&id)
                        .user_profile_name(name)
                        .user_settings(UserSettings::builder().execution_role(&want.execution_role_arn).build())
                        .set_tags(Some(sm_tags(&want.tags)))
                        .set_single_sign_on_user_identifier(sso.then(|| "UserName".to_owned()))
                        .set_single_sign_on_user_value(sso.then(|| want.user_name.clone()))
                        .send()
                        .await,
                    "ResourceInUse",
                    "sagemaker:CreateUserProfile",
                    &resource,
                )
            })
            .await?;
        self.wait_profile(&id, name, &resource).await
    }

    async fn update_profile(&self, domain: &str, name: &str) -> Result<(), Error> {
        let want = self
            .plan
            .desired
            .profiles_in(domain)
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::Config(format!("user profile {domain}/{name} is not in the deployment")))?;
        let (id, _) = self.domain_id(domain)?;
        let resource = format!("user profile {domain}/{name}");
        let out = self
            .options
            .retry
            .run(&resource, || async {
                self.sm
                    .update_user_profile()
                    .domain_id(&id)
                    .user_profile_name(name)
                    .user_settings(UserSettings::builder().execution_role(&want.execution_role_arn).build())
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:UpdateUserProfile", &resource, e))
            })
            .await?;
        if let Some(arn) = out.user_profile_arn() {
            self.sm
                .add_tags()
                .resource_arn(arn)
                .set_tags(Some(sm_tags(&want.tags)))
                .send()
                .await
                .map_err(|e| aws_context("sagemaker:AddTags", &resource, e))?;
        }
        self.wait_profile(&id, name, &resource).await
    }

    async fn wait_profile(&self, domain_id: &str, name: &str, resource: &str) -> Result<(), Error> {
        self.options
            .backoff
            .wait(resource, "InService", || async {
                let out = self
                    .sm
                    .describe_user_profile()
                    .domain_id(domain_id)
                    .user_profile_name(name)
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:DescribeUserProfile", resource, e))?;
                Ok(match out.status().map(|s| s.as_str()) {
                    Some("InService") => Poll::Done,
                    Some(status) if status.ends_with("Failed") => Poll::Failed(format!(
                        "{status}: {}",
                        out.failure_reason().unwrap_or("no reason given")
                    )),
                    status => Poll::Pending(status.unwrap_or("unknown").to_owned()),
                })
            })
            .await
    }

    async fn delete_profile(&self, domain: &str, name: &str) -> Result<(), Error> {
        let (id, _) = self.domain_id(domain)?;
        let resource = format!("user profile {domain}/{name}");
        let arn = match self
            .sm
            .describe_user_profile()
            .domain_id(&id)
            .user_profile_name(name)
            .send()
            .await
        {
            Ok(out) => out.user_profile_arn().unwrap_or_default().to_owned(),
            Err(e) if code(&e) == Some("ResourceNotFound") => return Ok(()),
            Err(e) => return Err(aws_context("sagemaker:DescribeUserProfile", &resource, e)),
        };
        if !owns(&list_tags(&self.sm, &arn, &resource).await?, &self.plan.deployment) {
            lock(&self.report)
                .skipped
                .push(format!("{resource}: not tagged as the deployment's"));
            return Ok(());
        }
        let deleted = self
            .options
            .retry
            .run_delete(&resource, || async {
                accepted(
                    self.sm
                        .delete_user_profile()
                        .domain_id(&id)
                        .user_profile_name(name)
                        .send()
                        .await,
                    "ResourceNotFound",
                    "sagemaker:DeleteUserProfile",
                    &resource,
                )
            })
            .await?;
        if !deleted {
            return Ok(());
        }
        self.wait_gone(&resource, || async {
            match self
                .sm
                .describe_user_profile()
                .domain_id(&id)
                .user_profile_name(name)
                .send()
                .await
            {
                Ok(out) => Ok(Some(out.status().map(|s| s.as_str().to_owned()).unwrap_or_default())),
                Err(e) if code(&e) == Some("ResourceNotFound") => Ok(None),
                Err(e) => Err(aws_context("sagemaker:DescribeUserProfile", &resource, e)),
            }
        })
        .await
    }

    async fn delete_space(&self, domain: &str, name: &str) -> Result<(), Error> {
        let (id, _) = self.domain_id(domain)?;
        let resource = format!("space {domain}/{name}");
        let deleted = self
            .options
            .retry
            .run_delete(&resource, || async {
                accepted(
                    self.sm.delete_space().domain_id(&id).space_name(name).send().await,
                    "ResourceNotFound",
                    "sagemaker:DeleteSpace",
                    &resource,
                )
            })
            .await?;
        if !deleted {
            return Ok(());
        }
        self.wait_gone(&resource, || async {
            match self.sm.describe_space().domain_id(&id).space_name(name).send().await {
                Ok(out) => Ok(Some(out.status().map(|s| s.as_str().to_owned()).unwrap_or_default())),
                Err(e) if code(&e) == Some("ResourceNotFound") => Ok(None),
                Err(e) => Err(aws_context("sagemaker:DescribeSpace", &resource, e)),
            }
        })
        .await
    }

    async fn delete_app(&self, domain: &str, owner: &str, app_type: &str, name: &str) -> Result<(), Error> {
        let (id, _) = self.domain_id(domain)?;
        let resource = format!("app {domain}/{owner}/{app_type}/{name}");
        let app = self
            .plan
            .actual
            .apps
            .iter()
            .find(|a| {
                a.domain == domain
                    && a.name == name
                    && a.app_type == app_type
                    && a.profile.as_deref().or(a.space.as_deref()) == Some(owner)
            })
            .cloned();
        let deleting = app.as_ref().is_some_and(|a| a.deleting);
        let (profile, space) = app
            .map(|a| (a.profile, a.space))
            .unwrap_or((Some(owner.to_owned()), None));
        // An app already being deleted (say by an interrupted destroy) is only waited for.
        if !deleting {
            let delete = self
                .options
                .retry
                .run(&resource, || async {
                    accepted(
                        self.sm
                            .delete_app()
                            .domain_id(&id)
                            .set_user_profile_name(profile.clone())
                            .set_space_name(space.clone())
                            .app_type(AppType::from(app_type))
                            .app_name(name)
                            .send()
                            .await,
                        "ResourceNotFound",
                        "sagemaker:DeleteApp",
                        &resource,
                    )
                })
                .await?;
            if !delete {
                return Ok(());
            }
        }
        self.wait_gone(&resource, || async {
            let out = self
                .sm
                .describe_app()
                .domain_id(&id)
                .set_user_profile_name(profile.clone())
                .set_space_name(space.clone())
                .app_type(AppType::from(app_type))
                .app_name(name)
                .send()
                .await;
            match out {
                Ok(out) => Ok(Some(out.status().map(|s| s.as_str().to_owned()).unwrap_or_default())),
                Err(e) if code(&e) == Some("ResourceNotFound") => Ok(None),
                Err(e) => Err(aws_context("sagemaker:DescribeApp", &resource, e)),
            }
        })
        .await
    }

    /// Records each desired domain's profile fingerprint and latest profile change (see [`PROFILES_TAG`]).
    async fn record_watermarks(&self) -> Result<(), Error> {
        for want in &self.plan.desired.domains {
            let touched = self.plan.changes.iter().any(|c| match &c.resource {
                Resource::UserProfile { domain, .. } => *domain == want.name,
                Resource::Domain { name } => {
                    *name == want.name
                        && matches!(&c.action, Action::Update { diff } if diff.iter().any(|d| d.field.starts_with("tags.")))
                }
                _ => false,
            });
            if !touched {
                continue;
            }
            let (id, _) = self.domain_id(&want.name)?;
            let resource = format!("domain {}", want.name);
            let mut latest = 0_i64;
            let mut pages = self
                .sm
                .list_user_profiles()
                .domain_id_equals(&id)
                .max_results(100)
                .into_paginator()
                .items()
                .send();
            while let Some(profile) = pages.next().await {
                let profile = profile.map_err(|e| aws_context("sagemaker:ListUserProfiles", &resource, e))?;
                if let Some(millis) = profile.last_modified_time().and_then(|t| t.to_millis().ok()) {
                    latest = latest.max(millis);
                }
            }
            let arn = match self.plan.actual.domains.get(&want.name) {
                Some(d) => d.arn.clone(),
                None => self
                    .sm
                    .describe_domain()
                    .domain_id(&id)
                    .send()
                    .await
                    .map_err(|e| aws_context("sagemaker:DescribeDomain", &resource, e))?
                    .domain_arn()
                    .unwrap_or_default()
                    .to_owned(),
            };
            let value = format!("{}@{latest}", self.plan.desired.profiles_fingerprint(&want.name));
            let tag = Tag::builder().key(PROFILES_TAG).value(value).build();
            self.sm
                .add_tags()
                .resource_arn(arn)
                .tags(tag)
                .send()
                .await
                .map_err(|e| aws_context("sagemaker:AddTags", &resource, e))?;
        }
        Ok(())
    }

    // ----- Identity Center

    /// The identity store id of `group`: a deployment group's display name, or
    /// the id itself for a group plan found assigned but does not know by name.
    fn group_id(&self, group: &str) -> Result<String, Error> {
        if let Some(id) = self.plan.actual.directory.groups.get(group) {
            return Ok(id.clone());
        }
        if self.plan.actual.app_assignments.values().any(|ids| ids.contains(group)) {
            return Ok(group.to_owned());
        }
        Err(Error::Config(format!("group {group:?} is not in the identity store")))
    }

    /// Assigns `group` to the application of `domain`, or removes the assignment.
    async fn assign_application(&self, domain: &str, group: &str, create: bool) -> Result<(), Error> {
        let (_, application) = self.domain_id(domain)?;
        let application = application.ok_or_else(|| {
            Error::Config(format!(
                "domain {domain} has no SingleSignOnApplicationArn: is it in SSO mode?"
            ))
        })?;
        let resource = format!("application of domain {domain}");
        let principal = self.group_id(group)?;
        self.options
            .retry
            .run(&resource, || async {
                let answer = if create {
                    // ConflictException: already assigned.
                    accepted(
                        self.sso
                            .create_application_assignment()
                            .application_arn(&application)
                            .principal_id(&principal)
                            .principal_type(PrincipalType::Group)
                            .send()
                            .await,
                        "ConflictException",
                        "sso:CreateApplicationAssignment",
                        &resource,
                    )
                } else {
                    accepted(
                        self.sso
                            .delete_application_assignment()
                            .application_arn(&application)
                            .principal_id(&principal)
                            .principal_type(PrincipalType::Group)
                            .send()
                            .await,
                        "ResourceNotFoundException",
                        "sso:DeleteApplicationAssignment",
                        &resource,
                    )
                };
                answer.map(|_| ())
            })
            .await
    }

    fn instance_arn(&self) -> &str {
        &self.plan.actual.directory.instance_arn
    }

    async fn ensure_permission_set(&self) -> Result<(), Error> {
        let Some(admin) = &self.plan.desired.admin else {
            return Ok(());
        };
        let resource = format!("permission set {}", admin.permission_set_name);
        let retry = &self.options.retry;
        let existing = lock(&self.permission_set).clone();
        let arn = match existing {
            Some(arn) => {
                retry
                    .run(&resource, || async {
                        self.sso
                            .update_permission_set()
                            .instance_arn(self.instance_arn())
                            .permission_set_arn(&arn)
                            .description(&admin.description)
                            .session_duration(&admin.session_duration)
                            .send()
                            .await
                            .map_err(|e| aws_context("sso:UpdatePermissionSet", &resource, e))
                    })
                    .await?;
                arn
            }
            None => {
                let out = retry
                    .run(&resource, || async {
                        self.sso
                            .create_permission_set()
                            .instance_arn(self.instance_arn())
                            .name(&admin.permission_set_name)
                            .description(&admin.description)
                            .session_duration(&admin.session_duration)
                            .send()
                            .await
                            .map_err(|e| aws_context("sso:CreatePermissionSet", &resource, e))
                    })
                    .await?;
                out.permission_set()
                    .and_then(|p| p.permission_set_arn())
                    .map(str::to_owned)
                    .ok_or_else(|| Error::Config(format!("CreatePermissionSet for {resource} returned no ARN")))?
            }
        };
        *lock(&self.permission_set) = Some(arn.clone());
        retry
            .run(&resource, || async {
                self.sso
                    .put_inline_policy_to_permission_set()
                    .instance_arn(self.instance_arn())
                    .permission_set_arn(&arn)
                    .inline_policy(admin.inline_policy.to_json())
                    .send()
                    .await
                    .map_err(|e| aws_context("sso:PutInlinePolicyToPermissionSet", &resource, e))
            })
            .await?;
        if self.plan.actual.permission_set.is_some() {
            let out = retry
                .run(&resource, || async {
                    self.sso
                        .provision_permission_set()
                        .instance_arn(self.instance_arn())
                        .permission_set_arn(&arn)
                        .target_type(ProvisionTargetType::AllProvisionedAccounts)
                        .send()
                        .await
                        .map_err(|e| aws_context("sso:ProvisionPermissionSet", &resource, e))
                })
                .await?;
            let request = out
                .permission_set_provisioning_status()
                .and_then(|s| s.request_id())
                .ok_or_else(|| {
                    Error::Config(format!("ProvisionPermissionSet for {resource} returned no request id"))
                })?;
            self.wait_request(&resource, IdentityCenterRequest::Provisioning(request))
                .await?;
        }
        Ok(())
    }

    async fn assign_account(&self, group: &str, create: bool) -> Result<(), Error> {
        let arn = lock(&self.permission_set)
            .clone()
            .ok_or_else(|| Error::Config("the admin permission set does not exist".to_owned()))?;
        let resource = format!("account assignment of group {group}");
        let principal = self.group_id(group)?;
        let account = &self.plan.desired.account;
        let request = self
            .options
            .retry
            .run(&resource, || async {
                if create {
                    self.sso
                        .create_account_assignment()
                        .instance_arn(self.instance_arn())
                        .target_id(account)
                        .target_type(TargetType::AwsAccount)
                        .permission_set_arn(&arn)
                        .principal_type(PrincipalType::Group)
                        .principal_id(&principal)
                        .send()
                        .await
                        .map(|out| {
                            out.account_assignment_creation_status()
                                .and_then(|s| s.request_id())
                                .map(|id| IdentityCenterRequest::Creation(id.to_owned()))
                        })
                        .map_err(|e| aws_context("sso:CreateAccountAssignment", &resource, e))
                } else {
                    match self
                        .sso
                        .delete_account_assignment()
                        .instance_arn(self.instance_arn())
                        .target_id(account)
                        .target_type(TargetType::AwsAccount)
                        .permission_set_arn(&arn)
                        .principal_type(PrincipalType::Group)
                        .principal_id(&principal)
                        .send()
                        .await
                    {
                        Ok(out) => Ok(out
                            .account_assignment_deletion_status()
                            .and_then(|s| s.request_id())
                            .map(|id| IdentityCenterRequest::Deletion(id.to_owned()))),
                        // Already gone.
                        Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(None),
                        Err(e) => Err(aws_context("sso:DeleteAccountAssignment", &resource, e)),
                    }
                }
            })
            .await?;
        match request {
            Some(request) => self.wait_request(&resource, request.as_ref()).await,
            None if create => Err(Error::Config(format!(
                "CreateAccountAssignment for {resource} returned no request id"
            ))),
            None => Ok(()),
        }
    }

    /// Waits for an asynchronous Identity Center request to succeed; its
    /// `FAILED` status is [`Error::Failed`] with AWS's `FailureReason`.
    async fn wait_request(&self, resource: &str, request: IdentityCenterRequest<&str>) -> Result<(), Error> {
        self.options
            .backoff
            .wait(resource, "SUCCEEDED", || async {
                let instance = self.instance_arn();
                Ok(match request {
                    IdentityCenterRequest::Creation(id) => assignment_poll(
                        self.sso
                            .describe_account_assignment_creation_status()
                            .instance_arn(instance)
                            .account_assignment_creation_request_id(id)
                            .send()
                            .await
                            .map_err(|e| aws_context("sso:DescribeAccountAssignmentCreationStatus", resource, e))?
                            .account_assignment_creation_status(),
                    ),
                    IdentityCenterRequest::Deletion(id) => assignment_poll(
                        self.sso
                            .describe_account_assignment_deletion_status()
                            .instance_arn(instance)
                            .account_assignment_deletion_request_id(id)
                            .send()
                            .await
                            .map_err(|e| aws_context("sso:DescribeAccountAssignmentDeletionStatus", resource, e))?
                            .account_assignment_deletion_status(),
                    ),
                    IdentityCenterRequest::Provisioning(id) => {
                        let out = self
                            .sso
                            .describe_permission_set_provisioning_status()
                            .instance_arn(instance)
                            .provision_permission_set_request_id(id)
                            .send()
                            .await
                            .map_err(|e| aws_context("sso:DescribePermissionSetProvisioningStatus", resource, e))?;
                        let status = out.permission_set_provisioning_status();
                        request_poll(status.and_then(|s| s.status()), status.and_then(|s| s.failure_reason()))
                    }
                })
            })
            .await
    }

    async fn delete_permission_set(&self) -> Result<(), Error> {
        let Some(arn) = lock(&self.permission_set).clone() else {
            return Ok(());
        };
        let resource = "the admin permission set";
        self.options
            .retry
            .run(resource, || async {
                accepted(
                    self.sso
                        .delete_permission_set()
                        .instance_arn(self.instance_arn())
                        .permission_set_arn(&arn)
                        .send()
                        .await,
                    "ResourceNotFoundException",
                    "sso:DeletePermissionSet",
                    resource,
                )
            })
            .await?;
        *lock(&self.permission_set) = None;
        Ok(())
    }
}

/// An asynchronous Identity Center request, by its request id.
#[derive(Debug, Clone, Copy)]
enum IdentityCenterRequest<S> {
    /// CreateAccountAssignment.
    Creation(S),
    /// DeleteAccountAssignment.
    Deletion(S),
    /// ProvisionPermissionSet.
    Provisioning(S),
}

impl IdentityCenterRequest<String> {
    fn as_ref(&self) -> IdentityCenterRequest<&str> {
        match self {
            IdentityCenterRequest::Creation(id) => IdentityCenterRequest::Creation(id),
            IdentityCenterRequest::Deletion(id) => IdentityCenterRequest::Deletion(id),
            IdentityCenterRequest::Provisioning(id) => IdentityCenterRequest::Provisioning(id),
        }
    }
}

/// A write's answer: `true` when accepted, `false` when AWS answered
/// `done_code`, saying it was done already (e.g. `ResourceNotFound` for a delete).
fn accepted<O, E>(
    answer: Result<O, aws_sdk_sagemaker::error::SdkError<E, aws_sdk_sagemaker::config::http::HttpResponse>>,
    done_code: &str,
    action: &'static str,
    resource: &str,
) -> Result<bool, Error>
where
    E: aws_sdk_sagemaker::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match answer {
        Ok(_) => Ok(true),
        Err(e) if code(&e) == Some(done_code) => Ok(false),
        Err(e) => Err(aws_context(action, resource, e)),
    }
}

/// What an Identity Center request status says: done, failed with AWS's reason, or still moving.
fn request_poll(status: Option<&StatusValues>, reason: Option<&str>) -> Poll {
    match status {
        Some(StatusValues::Succeeded) => Poll::Done,
        Some(StatusValues::Failed) => Poll::Failed(reason.unwrap_or("no reason given").to_owned()),
        other => Poll::Pending(other.map_or("unknown", |s| s.as_str()).to_owned()),
    }
}

/// [`request_poll`] of an account assignment's creation or deletion status.
fn assignment_poll(status: Option<&AccountAssignmentOperationStatus>) -> Poll {
    request_poll(status.and_then(|s| s.status()), status.and_then(|s| s.failure_reason()))
}

/// The AWS error code of an apply error, if it has one.
fn aws_code(err: &Error) -> Option<&str> {
    match err {
        Error::Aws(e) => e.code(),
        _ => None,
    }
}
