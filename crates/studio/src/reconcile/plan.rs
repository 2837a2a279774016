//! [`plan`] and [`plan_destroy`]: the actual state read, compared with the
//! desired state, as an ordered list of typed changes. Nothing is written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_config::SdkConfig;
use serde::Serialize;
use studio_fed_federation::aws::parse_policy_document;
use studio_fed_federation::change::FieldChange;
use tracing::Instrument;

use super::actual::{Actual, ActualDomain, PROFILES_TAG, permission_set_owned, read_directory};
use super::change::{Action, PlannedChange, Resource, Step};
use super::desired::{Desired, DesiredDomain, owns};
use super::{Error, aws_context};
use crate::deployment::{AppNetworkAccessType, AuthMode, Deployment, TAG_DEPLOYMENT};
use crate::report::{Observed, ObservedProfile};

/// A plan: the changes that make AWS match the deployment, in order, and
/// what stops it from being applied.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The deployment's name.
    pub deployment: String,
    /// True for a destroy plan.
    pub destroy: bool,
    /// The changes, in the order apply runs them (by [`Step`]).
    pub changes: Vec<PlannedChange>,
    /// Why the plan cannot be applied as it is (e.g. a name taken by a
    /// resource the deployment did not create); apply refuses a blocked plan.
    pub blockers: Vec<String>,
    /// What apply leaves alone and the user may want to know.
    pub warnings: Vec<String>,
    /// What the plan was computed for.
    #[serde(skip)]
    pub desired: Desired,
    /// What the plan was computed from.
    #[serde(skip)]
    pub actual: Actual,
}

impl Plan {
    /// True when there is nothing to change.
    pub fn is_noop(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes of one step.
    pub fn step(&self, step: Step) -> impl Iterator<Item = &PlannedChange> {
        self.changes.iter().filter(move |c| c.step == step)
    }

    /// What the isolation report needs, from the state the plan read.
    pub fn observed(&self) -> Observed {
        let group_names: BTreeMap<&String, &String> = self
            .actual
            .directory
            .groups
            .iter()
            .map(|(name, id)| (id, name))
            .collect();
        let mut profiles: BTreeMap<String, Vec<ObservedProfile>> = BTreeMap::new();
        for ((domain, name), profile) in &self.actual.profiles {
            let wanted = self
                .desired
                .profiles_in(domain)
                .find(|p| p.name.eq_ignore_ascii_case(name));
            // A profile plan did not describe has the settings apply gave it.
            let (sso_user, role, tags) = match (&profile.detail, wanted) {
                (Some(d), _) => (d.sso_user.clone(), d.execution_role_arn.clone(), d.tags.clone()),
                (None, Some(w)) => (
                    self.desired
                        .domain(domain)
                        .filter(|d| d.auth_mode == AuthMode::Sso)
                        .map(|_| w.user_name.clone()),
                    Some(w.execution_role_arn.clone()),
                    Some(w.tags.clone()),
                ),
                (None, None) => (None, None, None),
            };
            profiles.entry(domain.clone()).or_default().push(ObservedProfile {
                name: name.clone(),
                sso_user,
                execution_role_arn: role,
                tags: tags.or_else(|| wanted.map(|w| w.tags.clone())).unwrap_or_default(),
            });
        }
        Observed {
            group_members: self.actual.directory.members.clone(),
            domain_ids: self
                .actual
                .domains
                .iter()
                .map(|(name, d)| (name.clone(), d.id.clone()))
                .collect(),
            app_assignments: self
                .actual
                .app_assignments
                .iter()
                .map(|(domain, ids)| {
                    let names = ids.iter().filter_map(|id| group_names.get(id).map(|n| (*n).clone()));
                    (domain.clone(), names.collect())
                })
                .collect(),
            profiles,
            permission_sets: match (&self.desired.admin, &self.actual.permission_set) {
                (Some(admin), Some(set)) => set
                    .assigned_groups
                    .iter()
                    .filter_map(|id| group_names.get(id))
                    .map(|group| {
                        let policy = set.inline_policy.clone().unwrap_or_else(|| admin.inline_policy.clone());
                        ((*group).clone(), vec![(admin.permission_set_name.clone(), policy)])
                    })
                    .collect(),
                _ => BTreeMap::new(),
            },
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.destroy { "destroy plan" } else { "plan" };
        if self.changes.is_empty() {
            writeln!(f, "{what} for {}: no changes", self.deployment)?;
        } else {
            writeln!(f, "{what} for {}: {} change(s)", self.deployment, self.changes.len())?;
        }
        let mut step = None;
        for change in &self.changes {
            if step != Some(change.step) {
                step = Some(change.step);
                writeln!(f, "  {}:", change.step.label())?;
            }
            writeln!(f, "    {change}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "warning: {warning}")?;
        }
        for blocker in &self.blockers {
            writeln!(f, "blocked: {blocker}")?;
        }
        Ok(())
    }
}

/// The account and region `deployment` runs in: its own, else the caller's
/// account (STS `GetCallerIdentity`) and the configured region.
async fn account_and_region(config: &SdkConfig, deployment: &Deployment) -> Result<(String, String), Error> {
    let region = match (&deployment.region, config.region()) {
        (Some(region), _) => region.clone(),
        (None, Some(region)) => region.to_string(),
        (None, None) => {
            return Err(Error::Config(
                "no region: set `region` in the deployment file, or AWS_REGION".to_owned(),
            ));
        }
    };
    let account = match &deployment.account {
        Some(account) => account.clone(),
        None => aws_sdk_sts::Client::new(config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| aws_context("sts:GetCallerIdentity", "the caller", e))?
            .account()
            .map(str::to_owned)
            .ok_or_else(|| Error::Config("STS GetCallerIdentity returned no account".to_owned()))?,
    };
    Ok((account, region))
}

/// Reads the actual state for `deployment`.
async fn read(config: &SdkConfig, deployment: &Deployment) -> Result<(Desired, Actual), Error> {
    deployment.validate()?;
    let (account, region) = account_and_region(config, deployment).await?;
    let desired = Desired::new(deployment, &account, &region)?;
    let (instance_arn, store) = match &deployment.identity_center {
        Some(ic) => (ic.instance_arn.clone(), ic.identity_store_id.clone()),
        None => crate::directory::discover_identity_store(config).await?,
    };
    let mut groups: BTreeSet<String> = desired.domains.iter().map(|d| d.group.clone()).collect();
    if let Some(admin) = &desired.admin {
        groups.insert(admin.group.clone());
    }
    let directory = read_directory(config, &instance_arn, &store, &groups).await?;
    let actual = Actual::read(config, &desired, directory).await?;
    Ok((desired, actual))
}

/// The plan that makes AWS match `deployment`. Reads only.
pub async fn plan(config: &SdkConfig, deployment: &Deployment) -> Result<Plan, Error> {
    let span = tracing::info_span!("plan", deployment = %deployment.name);
    async move {
        let (desired, actual) = read(config, deployment).await?;
        let mut plan = Plan {
            deployment: desired.deployment.clone(),
            destroy: false,
            changes: Vec::new(),
            blockers: Vec::new(),
            warnings: Vec::new(),
            desired,
            actual,
        };
        plan_roles(&mut plan)?;
        plan_domains(&mut plan);
        plan_profiles(&mut plan);
        plan_assignments(&mut plan);
        plan_admin(&mut plan);
        plan.changes.sort_by_key(|c| c.step);
        tracing::info!(changes = plan.changes.len(), blockers = plan.blockers.len(), "planned");
        Ok(plan)
    }
    .instrument(span)
    .await
}

/// The plan that deletes everything `deployment` created: apps, spaces,
/// profiles, assignments, the permission set, domains and roles, each only
/// when tagged (or described) as the deployment's. Reads only.
pub async fn plan_destroy(config: &SdkConfig, deployment: &Deployment) -> Result<Plan, Error> {
    let span = tracing::info_span!("plan_destroy", deployment = %deployment.name);
    async move {
        let (desired, actual) = read(config, deployment).await?;
        let mut plan = Plan {
            deployment: desired.deployment.clone(),
            destroy: true,
            changes: Vec::new(),
            blockers: Vec::new(),
            warnings: Vec::new(),
            desired,
            actual,
        };
        let owned_domains: BTreeSet<String> = plan
            .actual
            .domains
            .iter()
            .filter(|(name, d)| {
                let ours = owns(&d.tags, &plan.deployment);
                if !ours {
                    plan.warnings.push(format!(
                        "domain {name} ({}) is not tagged {TAG_DEPLOYMENT}={}: left alone",
                        d.id, plan.deployment
                    ));
                }
                ours
            })
            .map(|(name, _)| name.clone())
            .collect();
        for domain in &owned_domains {
            delete_with_contents(&mut plan, domain, None);
            plan.push(
                Step::DeleteDomains,
                Resource::Domain { name: domain.clone() },
                Action::Delete,
            );
        }
        if let Some(admin) = plan.desired.admin.clone()
            && let Some(set) = plan.actual.permission_set.clone()
        {
            if permission_set_owned(&set.description, &plan.deployment) {
                if let Some(id) = plan.actual.directory.groups.get(&admin.group)
                    && set.assigned_groups.contains(id)
                {
                    plan.push(
                        Step::Admin,
                        Resource::AccountAssignment {
                            permission_set: admin.permission_set_name.clone(),
                            group: admin.group.clone(),
                        },
                        Action::Delete,
                    );
                }
                plan.push(
                    Step::Admin,
                    Resource::PermissionSet {
                        name: admin.permission_set_name.clone(),
                    },
                    Action::Delete,
                );
            } else {
                plan.warnings.push(format!(
                    "permission set {} was not created by this deployment (its description differs): left alone",
                    admin.permission_set_name
                ));
            }
        }
        let roles: Vec<(String, bool)> = plan
            .actual
            .roles
            .iter()
            .map(|(name, role)| (name.clone(), owns(&role.tags, &plan.deployment)))
            .collect();
        for (name, ours) in roles {
            if ours {
                plan.push(Step::DeleteRoles, Resource::Role { name }, Action::Delete);
            } else {
                plan.warnings.push(format!(
                    "role {name} is not tagged {TAG_DEPLOYMENT}={}: left alone",
                    plan.deployment
                ));
            }
        }
        plan.changes.sort_by_key(|c| c.step);
        Ok(plan)
    }
    .instrument(span)
    .await
}

impl Plan {
    fn push(&mut self, step: Step, resource: Resource, action: Action) {
        self.changes.push(PlannedChange { step, resource, action });
    }
}

fn plan_roles(plan: &mut Plan) -> Result<(), Error> {
    let desired = plan.desired.roles.clone();
    for role in &desired {
        let name = role.spec.name.clone();
        let step = if role.compute { Step::ComputeRoles } else { Step::Roles };
        match plan.actual.roles.get(&name) {
            None => plan.push(step, Resource::Role { name }, Action::Create),
            Some(observed) if !owns(&observed.tags, &plan.deployment) => plan.blockers.push(format!(
                "role {name} exists and is not tagged {TAG_DEPLOYMENT}={}: it was not created by this deployment; \
                 delete or rename it, or choose another deployment name",
                plan.deployment
            )),
            Some(observed) => {
                let diff = role.spec.diff(observed)?;
                if !diff.is_empty() {
                    plan.push(step, Resource::Role { name }, Action::Update { diff });
                }
            }
        }
    }
    let wanted: BTreeSet<String> = desired.iter().map(|r| r.spec.name.clone()).collect();
    let stale: Vec<String> = plan
        .actual
        .roles
        .iter()
        .filter(|(name, role)| !wanted.contains(*name) && owns(&role.tags, &plan.deployment))
        .map(|(name, _)| name.clone())
        .collect();
    for name in stale {
        plan.push(Step::DeleteRoles, Resource::Role { name }, Action::Delete);
    }
    Ok(())
}

/// The fields of a domain that differ; `Err` lists those AWS cannot change.
fn domain_diff(want: &DesiredDomain, have: &ActualDomain) -> (Vec<FieldChange>, Vec<String>) {
    let mut diff = Vec::new();
    let mut immutable = Vec::new();
    let auth = match want.auth_mode {
        AuthMode::Sso => "SSO",
        AuthMode::Iam => "IAM",
    };
    if have.auth_mode != auth {
        immutable.push(format!("auth_mode {} -> {auth}", have.auth_mode));
    }
    if have.vpc_id != want.vpc_id {
        immutable.push(format!("vpc_id {:?} -> {:?}", have.vpc_id, want.vpc_id));
    }
    if have.kms_key != want.kms_key {
        immutable.push(format!("kms_key {:?} -> {:?}", have.kms_key, want.kms_key));
    }
    let access = match want.app_network_access_type {
        AppNetworkAccessType::VpcOnly => "VpcOnly",
        AppNetworkAccessType::PublicInternetOnly => "PublicInternetOnly",
    };
    let mut field = |name: &str, before: String, after: String| {
        if before != after {
            diff.push(FieldChange::new(name, before, after));
        }
    };
    field(
        "app_network_access_type",
        have.app_network_access_type.clone(),
        access.to_owned(),
    );
    field("subnets", sorted(&have.subnets), sorted(&want.subnets));
    field(
        "security_groups",
        sorted(&have.security_groups),
        sorted(&want.security_groups),
    );
    field(
        "default_instance_type",
        have.default_instance_type.clone().unwrap_or_else(|| "none".to_owned()),
        want.default_instance_type.clone().unwrap_or_else(|| "none".to_owned()),
    );
    field(
        "execution_role",
        have.execution_role_arn.clone().unwrap_or_else(|| "none".to_owned()),
        want.execution_role_arn.clone(),
    );
    let missing: BTreeMap<&String, &String> = want.tags.iter().filter(|(k, v)| have.tags.get(*k) != Some(v)).collect();
    if !missing.is_empty() {
        diff.push(FieldChange::new("tags", "", format!("{missing:?}")));
    }
    (diff, immutable)
}

fn sorted(items: &[String]) -> String {
    let set: BTreeSet<&String> = items.iter().collect();
    format!("{set:?}")
}

fn plan_domains(plan: &mut Plan) {
    let desired = plan.desired.domains.clone();
    for want in &desired {
        let name = want.name.clone();
        match plan.actual.domains.get(&name) {
            None => plan.push(Step::Domains, Resource::Domain { name }, Action::Create),
            Some(have) if !owns(&have.tags, &plan.deployment) => plan.blockers.push(format!(
                "domain {name} ({}) exists and is not tagged {TAG_DEPLOYMENT}={}: it was not created by this \
                 deployment; rename the team or delete that domain",
                have.id, plan.deployment
            )),
            Some(have) => {
                let (diff, immutable) = domain_diff(want, have);
                if !immutable.is_empty() {
                    plan.blockers.push(format!(
                        "domain {name} ({}): {} cannot be changed on an existing domain; revert the deployment \
                         file, or destroy the team's domain first (its home EFS is retained)",
                        have.id,
                        immutable.join(", ")
                    ));
                }
                if !diff.is_empty() {
                    plan.push(Step::Domains, Resource::Domain { name }, Action::Update { diff });
                }
            }
        }
        if want.auth_mode == AuthMode::Sso && !plan.actual.directory.groups.contains_key(&want.group) {
            plan.blockers.push(format!(
                "group {:?} of team {} is not in the identity store: provision it (SCIM) or sync the directory",
                want.group, want.team
            ));
        }
    }
    let stale: Vec<String> = plan
        .actual
        .domains
        .iter()
        .filter(|(name, d)| plan.desired.domain(name).is_none() && owns(&d.tags, &plan.deployment))
        .map(|(name, _)| name.clone())
        .collect();
    for name in stale {
        delete_with_contents(plan, &name, None);
        plan.push(Step::DeleteDomains, Resource::Domain { name }, Action::Delete);
    }
}

/// Deletes of a domain's apps, spaces and profiles, or, with `profile`, of
/// that profile and the apps and spaces it owns. App assignments go with the
/// domain's application.
fn delete_with_contents(plan: &mut Plan, domain: &str, profile: Option<&str>) {
    let owned = |owner: Option<&str>| profile.is_none() || owner == profile;
    let apps: Vec<Resource> = plan
        .actual
        .apps
        .iter()
        .filter(|a| a.domain == domain && owned(a.profile.as_deref()))
        .map(app_resource)
        .collect();
    let spaces: Vec<String> = plan
        .actual
        .spaces
        .iter()
        .filter(|s| s.domain == domain && owned(s.owner.as_deref()))
        .map(|s| s.name.clone())
        .collect();
    let profiles: Vec<String> = plan
        .actual
        .profiles
        .keys()
        .filter(|(d, name)| d == domain && profile.is_none_or(|p| p == name))
        .map(|(_, name)| name.clone())
        .collect();
    for app in apps {
        plan.push(Step::DeleteApps, app, Action::Delete);
    }
    for name in spaces {
        let domain = domain.to_owned();
        plan.push(Step::DeleteSpaces, Resource::Space { domain, name }, Action::Delete);
    }
    for name in profiles {
        let domain = domain.to_owned();
        plan.push(Step::Profiles, Resource::UserProfile { domain, name }, Action::Delete);
    }
}

fn app_resource(app: &super::actual::ActualApp) -> Resource {
    Resource::App {
        domain: app.domain.clone(),
        owner: app.profile.clone().or_else(|| app.space.clone()).unwrap_or_default(),
        app_type: app.app_type.clone(),
        name: app.name.clone(),
    }
}

fn plan_profiles(plan: &mut Plan) {
    let desired = plan.desired.profiles.clone();
    for want in &desired {
        let Some(domain) = plan.desired.domain(&want.domain) else {
            continue;
        };
        if domain.auth_mode == AuthMode::Sso && !plan.actual.directory.users.contains_key(&want.user_name) {
            plan.blockers.push(format!(
                "user {:?} of team {} is not in the identity store, so its SSO profile cannot be created: \
                 provision the user (SCIM) or sync the directory",
                want.user_name, want.team
            ));
            continue;
        }
        if let Some(members) = plan.actual.directory.members.get(&domain.group)
            && !members.contains(&want.user_name)
        {
            plan.warnings.push(format!(
                "user {:?} is listed in team {} but is not a member of its group {:?}: they cannot open Studio \
                 through Identity Center until they are",
                want.user_name, want.team, domain.group
            ));
        }
        let resource = Resource::UserProfile {
            domain: want.domain.clone(),
            name: want.name.clone(),
        };
        let have = plan
            .actual
            .profiles
            .iter()
            .find(|((d, n), _)| d == &want.domain && n.eq_ignore_ascii_case(&want.name))
            .map(|(_, p)| p.clone());
        match have {
            None => plan.push(Step::Profiles, resource, Action::Create),
            Some(have) => {
                let mut diff = Vec::new();
                if let Some(detail) = &have.detail {
                    let role = detail.execution_role_arn.clone().unwrap_or_else(|| "none".to_owned());
                    if role != want.execution_role_arn {
                        diff.push(FieldChange::new("execution_role", role, &want.execution_role_arn));
                    }
                    let want_sso = (domain.auth_mode == AuthMode::Sso).then(|| want.user_name.clone());
                    if detail.sso_user != want_sso {
                        plan.blockers.push(format!(
                            "user profile {}/{} belongs to SSO user {:?}, not {:?}: SageMaker cannot change it; \
                             delete the profile by hand or rename the user",
                            want.domain, want.name, detail.sso_user, want_sso
                        ));
                    }
                }
                // Pending and Updating settle by themselves; a failed profile is updated again.
                if have.status.ends_with("Failed") {
                    diff.push(FieldChange::new("status", &have.status, "InService"));
                }
                if !diff.is_empty() {
                    plan.push(Step::Profiles, resource, Action::Update { diff });
                }
            }
        }
    }
    // Profiles of the deployment's domains that no user asks for.
    let stale: Vec<(String, String, bool)> = plan
        .actual
        .profiles
        .iter()
        .filter(|((domain, name), _)| {
            plan.desired.domain(domain).is_some()
                && !plan
                    .desired
                    .profiles_in(domain)
                    .any(|p| p.name.eq_ignore_ascii_case(name))
        })
        .map(|((domain, name), p)| {
            let ours = p
                .detail
                .as_ref()
                .and_then(|d| d.tags.as_ref())
                .is_some_and(|tags| owns(tags, &plan.deployment));
            (domain.clone(), name.clone(), ours)
        })
        .collect();
    for (domain, name, ours) in stale {
        if !ours {
            plan.warnings.push(format!(
                "user profile {domain}/{name} is not tagged {TAG_DEPLOYMENT}={}: left alone",
                plan.deployment
            ));
            continue;
        }
        delete_with_contents(plan, &domain, Some(&name));
    }
    // Watermarks to record: domains whose profiles plan had to describe.
    let domains: Vec<(String, String)> = plan
        .desired
        .domains
        .iter()
        .filter_map(|d| {
            plan.actual
                .domains
                .get(&d.name)
                .map(|a| (d.name.clone(), a.tags.clone()))
        })
        .map(|(name, tags)| (name, tags.get(PROFILES_TAG).cloned().unwrap_or_default()))
        .collect();
    for (name, tag) in domains {
        let fingerprint = plan.desired.profiles_fingerprint(&name);
        let described = plan
            .actual
            .profiles
            .iter()
            .any(|((d, _), p)| d == &name && p.detail.is_some());
        let stale_fingerprint = tag.split_once('@').map(|(f, _)| f) != Some(fingerprint.as_str());
        let profile_changes = plan
            .changes
            .iter()
            .any(|c| matches!(&c.resource, Resource::UserProfile { domain, .. } if *domain == name));
        if (described || stale_fingerprint) && !profile_changes {
            let resource = Resource::Domain { name: name.clone() };
            let diff = vec![FieldChange::new(
                format!("tags.{PROFILES_TAG}"),
                if tag.is_empty() { "none".to_owned() } else { tag },
                format!("{fingerprint}@<latest profile change>"),
            )];
            match plan.changes.iter_mut().find(|c| c.resource == resource) {
                Some(PlannedChange {
                    action: Action::Update { diff: existing },
                    ..
                }) => existing.extend(diff),
                Some(_) => {}
                None => plan.push(Step::Profiles, resource, Action::Update { diff }),
            }
        }
    }
}

/// Assignments of the teams' groups to their SSO domains' applications; the
/// deployment's domains' other group assignments are removed, and user-level
/// assignments (which the deployment never makes) are reported, not touched.
fn plan_assignments(plan: &mut Plan) {
    let desired = plan.desired.domains.clone();
    let names: BTreeMap<String, String> = plan
        .actual
        .directory
        .groups
        .iter()
        .map(|(name, id)| (id.clone(), name.clone()))
        .collect();
    for want in desired.iter().filter(|d| d.auth_mode == AuthMode::Sso) {
        let owned = plan
            .actual
            .domains
            .get(&want.name)
            .is_some_and(|d| owns(&d.tags, &plan.deployment));
        let wanted_id = plan.actual.directory.groups.get(&want.group).cloned();
        let stale: Vec<String> = plan
            .actual
            .app_assignments
            .get(&want.name)
            .into_iter()
            .flatten()
            .filter(|id| owned && Some(*id) != wanted_id.as_ref())
            .map(|id| names.get(id).cloned().unwrap_or_else(|| id.clone()))
            .collect();
        for group in stale {
            plan.push(
                Step::Assignments,
                Resource::ApplicationAssignment {
                    domain: want.name.clone(),
                    group,
                },
                Action::Delete,
            );
        }
        let users: Vec<String> = plan
            .actual
            .app_user_assignments
            .get(&want.name)
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        for user in users {
            plan.warnings.push(format!(
                "user {user} is assigned to the application of domain {} by hand, not through team group {:?}: \
                 left alone; remove that assignment in Identity Center if it is not wanted",
                want.name, want.group
            ));
        }
        let Some(group_id) = wanted_id.as_ref() else {
            continue;
        };
        let assigned = plan
            .actual
            .app_assignments
            .get(&want.name)
            .is_some_and(|groups| groups.contains(group_id));
        if !assigned {
            plan.push(
                Step::Assignments,
                Resource::ApplicationAssignment {
                    domain: want.name.clone(),
                    group: want.group.clone(),
                },
                Action::Create,
            );
        }
    }
}

fn plan_admin(plan: &mut Plan) {
    let Some(admin) = plan.desired.admin.clone() else {
        return;
    };
    let Some(group_id) = plan.actual.directory.groups.get(&admin.group).cloned() else {
        plan.blockers.push(format!(
            "admin group {:?} is not in the identity store: provision it (SCIM) or sync the directory",
            admin.group
        ));
        return;
    };
    let resource = Resource::PermissionSet {
        name: admin.permission_set_name.clone(),
    };
    match plan.actual.permission_set.clone() {
        None => plan.push(Step::Admin, resource, Action::Create),
        Some(set) if !permission_set_owned(&set.description, &plan.deployment) => {
            plan.blockers.push(format!(
                "permission set {} exists and was not created by this deployment (its description does not start \
                 with \"{} {}]\"): rename [admin].permission_set_name",
                admin.permission_set_name,
                super::desired::PERMISSION_SET_DESCRIPTION_PREFIX,
                plan.deployment
            ));
            return;
        }
        Some(set) => {
            let mut diff = Vec::new();
            if set.session_duration != admin.session_duration {
                diff.push(FieldChange::new(
                    "session_duration",
                    &set.session_duration,
                    &admin.session_duration,
                ));
            }
            if set.description != admin.description {
                diff.push(FieldChange::new("description", &set.description, &admin.description));
            }
            // Compared as IAM returns documents: our JSON parsed back.
            let wanted = parse_policy_document("permission set", "inline policy", &admin.inline_policy.to_json()).ok();
            if set.inline_policy != wanted {
                diff.push(FieldChange::new(
                    "inline_policy",
                    set.inline_policy
                        .as_ref()
                        .map_or_else(|| "none".to_owned(), |p| p.to_json()),
                    admin.inline_policy.to_json(),
                ));
            }
            if !diff.is_empty() {
                plan.push(Step::Admin, resource, Action::Update { diff });
            }
            if set.assigned_groups.contains(&group_id) {
                return;
            }
        }
    }
    plan.push(
        Step::Admin,
        Resource::AccountAssignment {
            permission_set: admin.permission_set_name.clone(),
            group: admin.group.clone(),
        },
        Action::Create,
    );
}
