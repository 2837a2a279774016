//! [`sync_directory`]: the identity store made to match a [`Directory`], for
//! the users and groups studio-fed created.
//!
//! # Ownership marker
//!
//! The identity store has no tags, and its `ExternalIds` cannot be set by the
//! identitystore API, so ownership is recorded in the store itself:
//!
//! - **users**: a user the sync creates is made a member of the marker group
//!   [`MARKER_GROUP`] (its description, [`MARKER_GROUP_DESCRIPTION`], says so).
//!   A user is managed if and only if it is a member of that group. The group
//!   is created at the first write; a group of that name with another
//!   description is refused (an error), never adopted.
//! - **groups**: a group the sync creates has a description starting with
//!   [`GROUP_DESCRIPTION_PREFIX`], followed by the directory's description.
//! - **memberships**: the sync adds and removes memberships only of managed
//!   users in managed groups.
//!
//! Anything else — e.g. a user SCIM or an administrator created with the same
//! `UserName` — is reported as skipped ("not managed by studio-fed") and never
//! updated or deleted. If a run fails between CreateUser and adding the user
//! to the marker group, that user stays unmanaged: delete it by hand.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use aws_config::SdkConfig;
use aws_sdk_identitystore::Client;
use aws_sdk_identitystore::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_identitystore::types::{AttributeOperation, Email, MemberId, Name};
use aws_smithy_types::Document;
use serde::Serialize;
use studio_fed_federation::change::FieldChange;
use tracing::Instrument;

use super::{Directory, Error};

/// The display name of the marker group whose members are the users the sync created.
pub const MARKER_GROUP: &str = "studio-fed-directory-sync";
/// The description of [`MARKER_GROUP`].
pub const MARKER_GROUP_DESCRIPTION: &str = "studio-fed directory sync: its members are the users studio-fed created \
     and manages. Do not add or remove members by hand.";
/// The start of the description of every group the sync created.
pub const GROUP_DESCRIPTION_PREFIX: &str = "[studio-fed directory sync]";

/// How [`sync_directory`] runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncOptions {
    /// Report what would change without any write call.
    pub dry_run: bool,
}

/// What the sync did (or would do) to one user, group or membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SyncAction {
    /// Created.
    Created,
    /// Updated: these attributes changed.
    Updated {
        /// The attributes, with their old and new values.
        diff: Vec<FieldChange>,
    },
    /// Removed (deleted, or the membership ended).
    Removed,
    /// Left alone, and why (e.g. `not managed by studio-fed`).
    Skipped {
        /// Why.
        reason: String,
    },
}

impl SyncAction {
    /// True for a created, updated or removed resource (a write), false for a skip.
    pub fn is_write(&self) -> bool {
        !matches!(self, SyncAction::Skipped { .. })
    }
}

impl fmt::Display for SyncAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncAction::Created => f.write_str("created"),
            SyncAction::Removed => f.write_str("removed"),
            SyncAction::Skipped { reason } => write!(f, "skipped: {reason}"),
            SyncAction::Updated { diff } => {
                f.write_str("updated")?;
                for (i, change) in diff.iter().enumerate() {
                    let separator = if i == 0 { ": " } else { "; " };
                    write!(
                        f,
                        "{separator}{} {:?} -> {:?}",
                        change.field, change.before, change.after
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// One reported change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncEntry {
    /// The user's `UserName`, the group's `DisplayName`, or `group / UserName` for a membership.
    pub resource: String,
    /// What was done.
    #[serde(flatten)]
    pub action: SyncAction,
}

/// What [`sync_directory`] did, or would do in a dry run. Unchanged
/// resources are only counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncReport {
    /// The identity store.
    pub identity_store_id: String,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Users created, updated, removed or skipped.
    pub users: Vec<SyncEntry>,
    /// Groups created, updated, removed or skipped.
    pub groups: Vec<SyncEntry>,
    /// Memberships created, removed or skipped.
    pub memberships: Vec<SyncEntry>,
    /// How many users, groups and memberships were already as in the directory.
    pub unchanged: usize,
}

impl SyncReport {
    /// Every entry: users, then groups, then memberships.
    pub fn entries(&self) -> impl Iterator<Item = &SyncEntry> {
        self.users.iter().chain(&self.groups).chain(&self.memberships)
    }

    /// How many resources were (or would be) created, updated or removed.
    pub fn changes(&self) -> usize {
        self.entries().filter(|e| e.action.is_write()).count()
    }

    /// True when the identity store already matched (skips aside).
    pub fn is_noop(&self) -> bool {
        self.changes() == 0
    }
}

impl fmt::Display for SyncReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = if self.dry_run {
            " (dry run: nothing was changed)"
        } else {
            ""
        };
        writeln!(
            f,
            "directory sync of identity store {}{mode}: {} change(s), {} unchanged",
            self.identity_store_id,
            self.changes(),
            self.unchanged
        )?;
        for (kind, entries) in [
            ("user", &self.users),
            ("group", &self.groups),
            ("membership", &self.memberships),
        ] {
            for entry in entries {
                writeln!(f, "  {kind} {}: {}", entry.resource, entry.action)?;
            }
        }
        Ok(())
    }
}

/// Finds the IAM Identity Center instance (sso-admin ListInstances): its
/// `(instance ARN, identity store id)`. Errors when there is none or more than one.
pub async fn discover_identity_store(config: &SdkConfig) -> Result<(String, String), Error> {
    let client = aws_sdk_ssoadmin::Client::new(config);
    let action = "sso:ListInstances";
    let output = client
        .list_instances()
        .send()
        .await
        .map_err(|e| aws_error(action, "the account's IAM Identity Center instances", e))?;
    match output.instances() {
        [instance] => match (instance.instance_arn(), instance.identity_store_id()) {
            (Some(arn), Some(store)) => Ok((arn.to_owned(), store.to_owned())),
            _ => Err(Error::Unexpected {
                action,
                resource: "the IAM Identity Center instance".into(),
                detail: "the answer has no InstanceArn or IdentityStoreId; pass the identity store id explicitly"
                    .into(),
            }),
        },
        instances => Err(Error::Unexpected {
            action,
            resource: "the account's IAM Identity Center instances".into(),
            detail: format!(
                "found {} instances, expected exactly one; enable IAM Identity Center, or pass the identity store id \
                 explicitly",
                instances.len()
            ),
        }),
    }
}

/// A user as listed.
struct StoreUser {
    id: String,
    display_name: String,
    given_name: String,
    family_name: String,
    mail: Option<String>,
}

/// A group as listed.
struct StoreGroup {
    id: String,
    description: String,
}

/// Syncs `directory` into the identity store `identity_store_id`: creates,
/// updates and removes users, groups and (flattened) memberships that
/// studio-fed manages (see the ownership marker in the [module docs](super)), and skips
/// others.
///
/// Reads are paginated listings (ListUsers, ListGroups, ListGroupMemberships).
/// With [`SyncOptions::dry_run`] nothing is written. A second run right after
/// a completed one writes nothing.
pub async fn sync_directory(
    config: &SdkConfig,
    identity_store_id: &str,
    directory: &Directory,
    options: SyncOptions,
) -> Result<SyncReport, Error> {
    let span = tracing::info_span!("sync_directory", identity_store_id, dry_run = options.dry_run);
    async move {
        directory.validate()?;
        let effective = directory.effective_members()?;
        let mut sync = Syncer {
            client: Client::new(config),
            store: identity_store_id.to_owned(),
            dry_run: options.dry_run,
            report: SyncReport {
                identity_store_id: identity_store_id.to_owned(),
                dry_run: options.dry_run,
                ..SyncReport::default()
            },
            marker: None,
        };
        sync.run(directory, &effective).await?;
        tracing::info!(changes = sync.report.changes(), "directory sync done");
        Ok(sync.report)
    }
    .instrument(span)
    .await
}

struct Syncer {
    client: Client,
    store: String,
    dry_run: bool,
    report: SyncReport,
    /// The marker group's id, once known or created.
    marker: Option<String>,
}

/// A stand-in id for a user or group a dry run would create.
const PLANNED: &str = "";

impl Syncer {
    async fn run(
        &mut self,
        directory: &Directory,
        effective: &BTreeMap<String, BTreeSet<String>>,
    ) -> Result<(), Error> {
        let users = self.list_users().await?;
        let groups = self.list_groups().await?;
        // Ownership.
        let mut managed_users: BTreeSet<String> = BTreeSet::new();
        if let Some((name, group)) = groups.iter().find(|(name, _)| name.as_str() == MARKER_GROUP) {
            if group.description != MARKER_GROUP_DESCRIPTION {
                return Err(Error::Unexpected {
                    action: "identitystore:ListGroups",
                    resource: format!("group {name:?}"),
                    detail: format!(
                        "a group named {MARKER_GROUP:?} exists that studio-fed did not create (its description \
                         differs); rename or delete it, then run again"
                    ),
                });
            }
            self.marker = Some(group.id.clone());
            managed_users = self.list_members(&group.id, name).await?.into_keys().collect();
        }
        let managed_groups: BTreeMap<&String, &StoreGroup> = groups
            .iter()
            .filter(|(name, g)| name.as_str() != MARKER_GROUP && g.description.starts_with(GROUP_DESCRIPTION_PREFIX))
            .collect();

        // Users: UserName -> id of every managed (existing or created) user in the directory.
        let mut user_ids: BTreeMap<String, String> = BTreeMap::new();
        for user in &directory.users {
            let upn = &user.user_principal_name;
            match users.get(upn) {
                Some(existing) if managed_users.contains(&existing.id) => {
                    let mut diff = Vec::new();
                    let mut operations = Vec::new();
                    for (field, path, before, after) in [
                        ("displayName", "displayName", &existing.display_name, &user.display_name),
                        ("givenName", "name.givenName", &existing.given_name, &user.given_name),
                        ("surname", "name.familyName", &existing.family_name, &user.surname),
                    ] {
                        if before != after {
                            diff.push(FieldChange::new(field, before, after));
                            operations.push(operation(path, Document::String(after.clone()))?);
                        }
                    }
                    if existing.mail != user.mail {
                        diff.push(FieldChange::new(
                            "mail",
                            existing.mail.as_deref().unwrap_or_default(),
                            user.mail.as_deref().unwrap_or_default(),
                        ));
                        operations.push(operation("emails", emails_document(user.mail.as_deref()))?);
                    }
                    if diff.is_empty() {
                        self.report.unchanged += 1;
                    } else {
                        if !self.dry_run {
                            tracing::info!(user = %upn, "updating user");
                            self.client
                                .update_user()
                                .identity_store_id(&self.store)
                                .user_id(&existing.id)
                                .set_operations(Some(operations))
                                .send()
                                .await
                                .map_err(|e| aws_error("identitystore:UpdateUser", &format!("user {upn:?}"), e))?;
                        }
                        push(&mut self.report.users, upn, SyncAction::Updated { diff });
                    }
                    user_ids.insert(upn.clone(), existing.id.clone());
                }
                Some(_) => push(&mut self.report.users, upn, skipped()),
                None => {
                    let id = if self.dry_run {
                        PLANNED.to_owned()
                    } else {
                        tracing::info!(user = %upn, "creating user");
                        let mut request = self
                            .client
                            .create_user()
                            .identity_store_id(&self.store)
                            .user_name(upn)
                            .display_name(&user.display_name)
                            .name(
                                Name::builder()
                                    .given_name(&user.given_name)
                                    .family_name(&user.surname)
                                    .build(),
                            );
                        if let Some(mail) = &user.mail {
                            request = request.emails(Email::builder().value(mail).r#type("work").primary(true).build());
                        }
                        let id = request
                            .send()
                            .await
                            .map_err(|e| aws_error("identitystore:CreateUser", &format!("user {upn:?}"), e))?
                            .user_id()
                            .to_owned();
                        let marker = self.marker_group().await?;
                        self.add_member(&marker, MARKER_GROUP, &id, upn).await?;
                        id
                    };
                    push(&mut self.report.users, upn, SyncAction::Created);
                    user_ids.insert(upn.clone(), id);
                }
            }
        }

        // Groups: DisplayName -> id of every managed (existing or created) group in the directory.
        let mut group_ids: BTreeMap<String, String> = BTreeMap::new();
        for group in &directory.groups {
            let name = &group.display_name;
            let description = managed_description(group.description.as_deref());
            if name == MARKER_GROUP {
                push(
                    &mut self.report.groups,
                    name,
                    SyncAction::Skipped {
                        reason: "the name is reserved for studio-fed's marker group".into(),
                    },
                );
                continue;
            }
            match (groups.get(name), managed_groups.get(name)) {
                (Some(existing), Some(_)) => {
                    if existing.description == description {
                        self.report.unchanged += 1;
                    } else {
                        if !self.dry_run {
                            tracing::info!(group = %name, "updating group");
                            self.client
                                .update_group()
                                .identity_store_id(&self.store)
                                .group_id(&existing.id)
                                .operations(operation("description", Document::String(description.clone()))?)
                                .send()
                                .await
                                .map_err(|e| aws_error("identitystore:UpdateGroup", &format!("group {name:?}"), e))?;
                        }
                        let before = existing
                            .description
                            .strip_prefix(GROUP_DESCRIPTION_PREFIX)
                            .unwrap_or_default();
                        let diff = vec![FieldChange::new(
                            "description",
                            before.trim_start(),
                            group.description.as_deref().unwrap_or_default(),
                        )];
                        push(&mut self.report.groups, name, SyncAction::Updated { diff });
                    }
                    group_ids.insert(name.clone(), existing.id.clone());
                }
                (Some(_), None) => push(&mut self.report.groups, name, skipped()),
                (None, _) => {
                    let id = if self.dry_run {
                        PLANNED.to_owned()
                    } else {
                        tracing::info!(group = %name, "creating group");
                        self.create_group(name, &description).await?
                    };
                    push(&mut self.report.groups, name, SyncAction::Created);
                    group_ids.insert(name.clone(), id);
                }
            }
        }

        // Memberships of the groups in the directory.
        for (name, wanted) in effective {
            let Some(group_id) = group_ids.get(name) else { continue };
            let current = if group_id == PLANNED {
                BTreeMap::new()
            } else {
                self.list_members(group_id, name).await?
            };
            for upn in wanted {
                let resource = format!("{name} / {upn}");
                match user_ids.get(upn) {
                    None => push(
                        &mut self.report.memberships,
                        &resource,
                        SyncAction::Skipped {
                            reason: "the user is not managed by studio-fed".into(),
                        },
                    ),
                    Some(user_id) if current.contains_key(user_id) => self.report.unchanged += 1,
                    Some(user_id) => {
                        if !self.dry_run {
                            self.add_member(group_id, name, user_id, upn).await?;
                        }
                        push(&mut self.report.memberships, &resource, SyncAction::Created);
                    }
                }
            }
            for (user_id, membership_id) in &current {
                let wanted_id = wanted.iter().any(|upn| user_ids.get(upn) == Some(user_id));
                if !wanted_id && managed_users.contains(user_id) {
                    let upn = user_name(&users, user_id);
                    self.remove_member(membership_id, &format!("{name} / {upn}")).await?;
                }
            }
        }

        // Groups gone from the directory, with their memberships.
        for (name, group) in &managed_groups {
            if directory.groups.iter().any(|g| &&g.display_name == name) {
                continue;
            }
            for (user_id, membership_id) in self.list_members(&group.id, name).await? {
                let upn = user_name(&users, &user_id);
                self.remove_member(&membership_id, &format!("{name} / {upn}")).await?;
            }
            if !self.dry_run {
                tracing::info!(group = %name, "deleting group");
                self.client
                    .delete_group()
                    .identity_store_id(&self.store)
                    .group_id(&group.id)
                    .send()
                    .await
                    .map_err(|e| aws_error("identitystore:DeleteGroup", &format!("group {name:?}"), e))?;
            }
            push(&mut self.report.groups, name, SyncAction::Removed);
        }

        // Users gone from the directory (their memberships of managed groups ended above).
        let marker_members = match &self.marker {
            Some(marker) => self.list_members(&marker.clone(), MARKER_GROUP).await?,
            None => BTreeMap::new(),
        };
        for (upn, user) in &users {
            if !managed_users.contains(&user.id) || directory.users.iter().any(|u| &u.user_principal_name == upn) {
                continue;
            }
            if !self.dry_run {
                tracing::info!(user = %upn, "deleting user");
                self.client
                    .delete_user()
                    .identity_store_id(&self.store)
                    .user_id(&user.id)
                    .send()
                    .await
                    .map_err(|e| aws_error("identitystore:DeleteUser", &format!("user {upn:?}"), e))?;
                if let Some(membership_id) = marker_members.get(&user.id) {
                    self.delete_membership(membership_id, &format!("{MARKER_GROUP} / {upn}"))
                        .await?;
                }
            }
            push(&mut self.report.users, upn, SyncAction::Removed);
        }
        Ok(())
    }

    /// Every user by UserName (paginated ListUsers).
    async fn list_users(&self) -> Result<BTreeMap<String, StoreUser>, Error> {
        let mut pages = self
            .client
            .list_users()
            .identity_store_id(&self.store)
            .into_paginator()
            .items()
            .send();
        let mut users = BTreeMap::new();
        while let Some(user) = pages.next().await {
            let user = user.map_err(|e| aws_error("identitystore:ListUsers", &self.resource(), e))?;
            let Some(user_name) = user.user_name() else { continue };
            let name = user.name();
            let mail = user
                .emails()
                .iter()
                .find(|e| e.primary())
                .or_else(|| user.emails().first())
                .and_then(|e| e.value())
                .map(str::to_owned);
            users.insert(
                user_name.to_owned(),
                StoreUser {
                    id: user.user_id().to_owned(),
                    display_name: user.display_name().unwrap_or_default().to_owned(),
                    given_name: name.and_then(|n| n.given_name()).unwrap_or_default().to_owned(),
                    family_name: name.and_then(|n| n.family_name()).unwrap_or_default().to_owned(),
                    mail,
                },
            );
        }
        Ok(users)
    }

    /// Every group by DisplayName (paginated ListGroups).
    async fn list_groups(&self) -> Result<BTreeMap<String, StoreGroup>, Error> {
        let mut pages = self
            .client
            .list_groups()
            .identity_store_id(&self.store)
            .into_paginator()
            .items()
            .send();
        let mut groups = BTreeMap::new();
        while let Some(group) = pages.next().await {
            let group = group.map_err(|e| aws_error("identitystore:ListGroups", &self.resource(), e))?;
            let Some(name) = group.display_name() else { continue };
            groups.insert(
                name.to_owned(),
                StoreGroup {
                    id: group.group_id().to_owned(),
                    description: group.description().unwrap_or_default().to_owned(),
                },
            );
        }
        Ok(groups)
    }

    /// A group's user members: user id -> membership id (paginated ListGroupMemberships).
    async fn list_members(&self, group_id: &str, name: &str) -> Result<BTreeMap<String, String>, Error> {
        let mut pages = self
            .client
            .list_group_memberships()
            .identity_store_id(&self.store)
            .group_id(group_id)
            .into_paginator()
            .items()
            .send();
        let mut members = BTreeMap::new();
        while let Some(membership) = pages.next().await {
            let membership = membership
                .map_err(|e| aws_error("identitystore:ListGroupMemberships", &format!("group {name:?}"), e))?;
            if let Some(MemberId::UserId(user_id)) = membership.member_id() {
                members.insert(user_id.clone(), membership.membership_id().to_owned());
            }
        }
        Ok(members)
    }

    /// The marker group's id, creating the group if needed (never in a dry run).
    async fn marker_group(&mut self) -> Result<String, Error> {
        if let Some(id) = &self.marker {
            return Ok(id.clone());
        }
        tracing::info!(group = MARKER_GROUP, "creating the marker group");
        let id = self.create_group(MARKER_GROUP, MARKER_GROUP_DESCRIPTION).await?;
        self.marker = Some(id.clone());
        Ok(id)
    }

    async fn create_group(&self, name: &str, description: &str) -> Result<String, Error> {
        Ok(self
            .client
            .create_group()
            .identity_store_id(&self.store)
            .display_name(name)
            .description(description)
            .send()
            .await
            .map_err(|e| aws_error("identitystore:CreateGroup", &format!("group {name:?}"), e))?
            .group_id()
            .to_owned())
    }

    async fn add_member(&self, group_id: &str, group: &str, user_id: &str, upn: &str) -> Result<(), Error> {
        tracing::info!(group, user = upn, "adding group membership");
        self.client
            .create_group_membership()
            .identity_store_id(&self.store)
            .group_id(group_id)
            .member_id(MemberId::UserId(user_id.to_owned()))
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    "identitystore:CreateGroupMembership",
                    &format!("membership {group} / {upn}"),
                    e,
                )
            })?;
        Ok(())
    }

    /// Ends a membership of a managed group (unless a dry run) and reports it.
    async fn remove_member(&mut self, membership_id: &str, resource: &str) -> Result<(), Error> {
        if !self.dry_run {
            self.delete_membership(membership_id, resource).await?;
        }
        push(&mut self.report.memberships, resource, SyncAction::Removed);
        Ok(())
    }

    async fn delete_membership(&self, membership_id: &str, resource: &str) -> Result<(), Error> {
        tracing::info!(membership = resource, "removing group membership");
        self.client
            .delete_group_membership()
            .identity_store_id(&self.store)
            .membership_id(membership_id)
            .send()
            .await
            .map_err(|e| {
                aws_error(
                    "identitystore:DeleteGroupMembership",
                    &format!("membership {resource}"),
                    e,
                )
            })?;
        Ok(())
    }

    fn resource(&self) -> String {
        format!("identity store {}", self.store)
    }
}

fn push(entries: &mut Vec<SyncEntry>, resource: &str, action: SyncAction) {
    entries.push(SyncEntry {
        resource: resource.to_owned(),
        action,
    });
}

fn skipped() -> SyncAction {
    SyncAction::Skipped {
        reason: "not managed by studio-fed".into(),
    }
}

fn user_name(users: &BTreeMap<String, StoreUser>, user_id: &str) -> String {
    users
        .iter()
        .find(|(_, u)| u.id == user_id)
        .map_or_else(|| user_id.to_owned(), |(name, _)| name.clone())
}

/// The stored description of a managed group.
fn managed_description(description: Option<&str>) -> String {
    match description {
        Some(d) if !d.trim().is_empty() => format!("{GROUP_DESCRIPTION_PREFIX} {d}"),
        _ => GROUP_DESCRIPTION_PREFIX.to_owned(),
    }
}

fn emails_document(mail: Option<&str>) -> Document {
    Document::Array(
        mail.map(|m| {
            Document::Object(
                [
                    ("value".to_owned(), Document::String(m.to_owned())),
                    ("type".to_owned(), Document::String("work".to_owned())),
                    ("primary".to_owned(), Document::Bool(true)),
                ]
                .into_iter()
                .collect(),
            )
        })
        .into_iter()
        .collect(),
    )
}

fn operation(path: &str, value: Document) -> Result<AttributeOperation, Error> {
    AttributeOperation::builder()
        .attribute_path(path)
        .attribute_value(value)
        .build()
        .map_err(|e| Error::Unexpected {
            action: "identitystore:UpdateUser",
            resource: format!("attribute {path}"),
            detail: format!("cannot build the attribute operation: {e}"),
        })
}

fn aws_error<E, R>(action: &'static str, resource: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: fmt::Debug + Send + Sync + 'static,
{
    let (code, message) = match &error {
        SdkError::ServiceError(service) => (
            service.err().code().unwrap_or("Unknown").to_owned(),
            service.err().message().unwrap_or_default().to_owned(),
        ),
        other => (
            "ClientError".to_owned(),
            aws_sdk_identitystore::error::DisplayErrorContext(other).to_string(),
        ),
    };
    Error::Aws {
        action,
        resource: resource.to_owned(),
        code,
        message,
        source: Box::new(error),
    }
}

/// What to do about an AWS error `code` of `action`.
pub(super) fn hint(action: &str, code: &str) -> String {
    match code {
        "AccessDeniedException" | "AccessDenied" => format!("allow `{action}` to the caller's role, then run again"),
        "ResourceNotFoundException" => {
            "check the identity store id (see discover_identity_store); if someone changed the store meanwhile, run \
             again"
                .to_owned()
        }
        "ConflictException" => {
            "the identity store changed meanwhile or a name is taken by a resource studio-fed does not manage; \
             run again, or rename the conflicting user or group"
                .to_owned()
        }
        "ThrottlingException" => "the identity store is throttling; wait a moment and run again".to_owned(),
        "ValidationException" => "a value in the directory file is not accepted; fix it and run again".to_owned(),
        _ => "check the credentials, the region and the identity store id, then run again".to_owned(),
    }
}
