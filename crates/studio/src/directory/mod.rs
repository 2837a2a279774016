//! Directory sync: users, groups and memberships from a directory export
//! (JSON shaped like Microsoft Graph output, or CSV shaped like an Entra ID
//! group-members export) synced into the IAM Identity Center identity store.
//!
//! In production, Entra ID's SCIM provisioning fills the identity store; this
//! module is for local runs and for organisations without SCIM.
//!
//! - [`Directory::from_json`], [`Directory::from_csv`], [`Directory::from_path`]
//!   parse a file; errors name the record or line and the field.
//! - [`Directory::effective_members`] flattens nested groups: a group's
//!   effective members are all users reachable through its member groups; a
//!   cycle is an [`Error::Cycle`].
//! - [`sync_directory`] creates, updates and removes users, groups and
//!   memberships — only those studio-fed created (see [`MARKER_GROUP`] and
//!   [`GROUP_DESCRIPTION_PREFIX`]) — and returns a [`SyncReport`];
//!   [`SyncOptions::dry_run`] reports without writing.
//!
//! # Ownership marker
//!
//! The identity store has no tags and its `ExternalIds` cannot be set through
//! the identitystore API, so ownership is recorded in the store itself:
//!
//! - a user the sync creates is added to the marker group [`MARKER_GROUP`]
//!   (`studio-fed-directory-sync`, description [`MARKER_GROUP_DESCRIPTION`]);
//!   a user is managed if and only if it is a member of that group. A group of
//!   that name with another description is refused, never adopted;
//! - a group the sync creates has a description starting with
//!   [`GROUP_DESCRIPTION_PREFIX`] (`[studio-fed directory sync]`), then the
//!   directory's description;
//! - only memberships of managed users in managed groups are added or removed.
//!
//! Anything else, e.g. a user that SCIM or an administrator created with the
//! same `UserName`, is reported as skipped ("not managed by studio-fed") and is
//! never updated or deleted.
//!
//! # JSON shape
//!
//! ```json
//! {"users": [{"id": "u1", "userPrincipalName": "ada@example.com", "displayName": "Ada Lovelace",
//!             "givenName": "Ada", "surname": "Lovelace", "mail": "ada@example.com"}],
//!  "groups": [{"id": "g1", "displayName": "engineers", "description": "Engineering",
//!              "members": [{"@odata.type": "#microsoft.graph.user", "id": "u1"},
//!                          {"@odata.type": "#microsoft.graph.group", "id": "g2"}]}]}
//! ```
//!
//! `mail` and `description` may be missing or null; other fields are required
//! (the identity store requires a display name, a given name and a family name).
//! Unknown fields are ignored, so Graph output can be used as it is.
//!
//! # CSV shape
//!
//! One combined file, a header row then one row per member of a group
//! (RFC 4180 quoting; column order free; unknown columns ignored):
//!
//! ```text
//! id,userPrincipalName,displayName,givenName,surname,mail,objectType,groupDisplayName,groupDescription
//! u1,ada@example.com,Ada Lovelace,Ada,Lovelace,ada@example.com,User,engineers,Engineering
//! ,,platform,,,,Group,engineers,
//! u2,alan@example.com,Alan Turing,Alan,Turing,,User,platform,Platform team
//! ```
//!
//! - `objectType` is `User` (the default when empty) or `Group`.
//! - A `User` row describes a user and, when `groupDisplayName` is set, its
//!   membership of that group; a user in several groups has several rows,
//!   which must agree on the user's attributes.
//! - A `Group` row makes the group named in `displayName` a member of
//!   `groupDisplayName` (a nested group); with an empty `groupDisplayName` it
//!   just declares the group. Groups are identified by their display name.
//! - `groupDescription` (optional column) is the description of
//!   `groupDisplayName`.
//! - The required columns are `userPrincipalName`, `displayName`, `givenName`,
//!   `surname`, `groupDisplayName`; `id`, `mail`, `objectType` and
//!   `groupDescription` may be absent.

mod csv;
mod sync;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use sync::{
    GROUP_DESCRIPTION_PREFIX, MARKER_GROUP, MARKER_GROUP_DESCRIPTION, SyncAction, SyncEntry, SyncOptions, SyncReport,
    discover_identity_store, sync_directory,
};

/// A user of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryUser {
    /// The directory's object id (Entra ID object id), used by group members.
    pub id: String,
    /// The user principal name; the identity store `UserName`.
    pub user_principal_name: String,
    /// The display name.
    pub display_name: String,
    /// The given name.
    pub given_name: String,
    /// The family name.
    pub surname: String,
    /// The primary work email, if any.
    pub mail: Option<String>,
}

/// What a group member is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MemberKind {
    /// A user (`#microsoft.graph.user`).
    User,
    /// A nested group (`#microsoft.graph.group`).
    Group,
}

/// A direct member of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// User or group.
    pub kind: MemberKind,
    /// The member's directory id.
    pub id: String,
}

/// A group of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryGroup {
    /// The directory's object id, used by parent groups.
    pub id: String,
    /// The display name; the identity store group `DisplayName`.
    pub display_name: String,
    /// The description, if any.
    pub description: Option<String>,
    /// The direct members: users and nested groups.
    pub members: Vec<Member>,
}

/// A directory: users and groups, as read from an export file.
///
/// The fields are public so that a directory can be built or edited in code;
/// [`Directory::validate`] (which the parsers and [`sync_directory`] call)
/// checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// The users.
    pub users: Vec<DirectoryUser>,
    /// The groups.
    pub groups: Vec<DirectoryGroup>,
}

/// Why a directory could not be read, checked or synced.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory file could not be read.
    #[error("cannot read the directory file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The directory file or model is invalid.
    #[error("{format} directory, {location}, field `{field}`: {reason}")]
    Parse {
        /// `JSON`, `CSV` or `directory` (a model built in code).
        format: &'static str,
        /// Where: `line 4`, `line 3 column 7` or `users[2] (id "u3")`.
        location: String,
        /// The field, e.g. `userPrincipalName`.
        field: String,
        /// What is wrong and what is expected.
        reason: String,
    },
    /// Nested groups form a cycle, which cannot be flattened.
    #[error("nested groups form a cycle: {}; remove one of these group memberships", .cycle.join(" -> "))]
    Cycle {
        /// The display names along the cycle, the first repeated at the end.
        cycle: Vec<String>,
    },
    /// An AWS call failed.
    #[error("{action} on {resource} failed: {code}: {message}; {}", sync::hint(.action, .code))]
    Aws {
        /// The API action, which is also the IAM action to allow, e.g. `identitystore:CreateUser`.
        action: &'static str,
        /// The resource the call was about.
        resource: String,
        /// The AWS error code, or the kind of client-side failure.
        code: String,
        /// AWS's message.
        message: String,
        /// The SDK error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The identity store is in a state the sync will not change by itself.
    #[error("{action} on {resource}: {detail}")]
    Unexpected {
        /// The API action.
        action: &'static str,
        /// The resource.
        resource: String,
        /// What is wrong and what to do.
        detail: String,
    },
}

/// The effective (flattened) members of each group: group display name to
/// the user principal names of every user reachable through nested groups.
pub type EffectiveMembers = BTreeMap<String, BTreeSet<String>>;

impl Directory {
    /// Reads a directory file: `.csv` as CSV, anything else as JSON.
    pub fn from_path(path: impl AsRef<Path>) -> Result<Directory, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.display().to_string(),
            source,
        })?;
        let is_csv = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv {
            Directory::from_csv(&text)
        } else {
            Directory::from_json(&text)
        }
    }

    /// Parses and validates the JSON shape (see the [module docs](self)).
    pub fn from_json(text: &str) -> Result<Directory, Error> {
        let raw: RawDirectory = serde_json::from_str(text).map_err(|e| Error::Parse {
            format: "JSON",
            location: format!("line {} column {}", e.line(), e.column()),
            field: json_error_field(&e.to_string()),
            reason: e.to_string(),
        })?;
        let mut directory = Directory::default();
        for (index, user) in raw.users.into_iter().enumerate() {
            let at = |field: &str, reason: &str| Error::Parse {
                format: "JSON",
                location: format!("users[{index}] (id {:?})", user.id.clone().unwrap_or_default()),
                field: field.to_owned(),
                reason: reason.to_owned(),
            };
            let required = |value: &Option<String>, field: &str| {
                value
                    .clone()
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| at(field, "missing or empty; it is required"))
            };
            directory.users.push(DirectoryUser {
                id: required(&user.id, "id")?,
                user_principal_name: required(&user.user_principal_name, "userPrincipalName")?,
                display_name: required(&user.display_name, "displayName")?,
                given_name: required(&user.given_name, "givenName")?,
                surname: required(&user.surname, "surname")?,
                mail: user.mail.filter(|m| !m.trim().is_empty()),
            });
        }
        for (index, group) in raw.groups.into_iter().enumerate() {
            let location = format!("groups[{index}] (id {:?})", group.id.clone().unwrap_or_default());
            let at = |field: &str, reason: String| Error::Parse {
                format: "JSON",
                location: location.clone(),
                field: field.to_owned(),
                reason,
            };
            let id = group
                .id
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| at("id", "missing or empty; it is required".into()))?;
            let display_name = group
                .display_name
                .filter(|v| !v.trim().is_empty())
                .ok_or_else(|| at("displayName", "missing or empty; it is required".into()))?;
            let mut members = Vec::new();
            for (m, member) in group.members.into_iter().enumerate() {
                let kind = match member.odata_type.as_deref() {
                    Some("#microsoft.graph.user") => MemberKind::User,
                    Some("#microsoft.graph.group") => MemberKind::Group,
                    other => {
                        return Err(at(
                            &format!("members[{m}].@odata.type"),
                            format!("{other:?} is not `#microsoft.graph.user` or `#microsoft.graph.group`"),
                        ));
                    }
                };
                let member_id = member
                    .id
                    .filter(|v| !v.trim().is_empty())
                    .ok_or_else(|| at(&format!("members[{m}].id"), "missing or empty; it is required".into()))?;
                members.push(Member { kind, id: member_id });
            }
            directory.groups.push(DirectoryGroup {
                id,
                display_name,
                description: group.description.filter(|d| !d.trim().is_empty()),
                members,
            });
        }
        directory.validate_as("JSON")?;
        Ok(directory)
    }

    /// Parses and validates the CSV shape (see the [module docs](self)).
    pub fn from_csv(text: &str) -> Result<Directory, Error> {
        let directory = csv::parse(text)?;
        directory.validate_as("CSV")?;
        Ok(directory)
    }

    /// Checks the directory: unique ids, user principal names and group
    /// display names, members that exist, and no cycle of nested groups.
    pub fn validate(&self) -> Result<(), Error> {
        self.validate_as("directory")
    }

    fn validate_as(&self, format: &'static str) -> Result<(), Error> {
        let error = |location: String, field: &str, reason: String| Error::Parse {
            format,
            location,
            field: field.to_owned(),
            reason,
        };
        let mut user_ids = BTreeSet::new();
        let mut names = BTreeSet::new();
        for (i, user) in self.users.iter().enumerate() {
            let location = format!("users[{i}] (id {:?})", user.id);
            if !user_ids.insert(user.id.as_str()) {
                return Err(error(location, "id", "another user has the same id".into()));
            }
            if !names.insert(user.user_principal_name.as_str()) {
                return Err(error(
                    location,
                    "userPrincipalName",
                    format!("{:?} is used by another user", user.user_principal_name),
                ));
            }
        }
        let mut group_ids = BTreeSet::new();
        let mut group_names = BTreeSet::new();
        for (i, group) in self.groups.iter().enumerate() {
            let location = format!("groups[{i}] (id {:?})", group.id);
            if !group_ids.insert(group.id.as_str()) {
                return Err(error(location, "id", "another group has the same id".into()));
            }
            if !group_names.insert(group.display_name.as_str()) {
                return Err(error(
                    location,
                    "displayName",
                    format!("{:?} is used by another group", group.display_name),
                ));
            }
        }
        for (i, group) in self.groups.iter().enumerate() {
            for (m, member) in group.members.iter().enumerate() {
                let known = match member.kind {
                    MemberKind::User => user_ids.contains(member.id.as_str()),
                    MemberKind::Group => group_ids.contains(member.id.as_str()),
                };
                if !known {
                    return Err(error(
                        format!("groups[{i}] (id {:?})", group.id),
                        &format!("members[{m}].id"),
                        format!("no {:?} with id {:?} in the directory", member.kind, member.id),
                    ));
                }
            }
        }
        self.effective_members().map(|_| ())
    }

    /// Flattens nested groups: for each group (by display name), the user
    /// principal names of its direct members and of every user reachable
    /// through its member groups. A cycle of nested groups is an
    /// [`Error::Cycle`]; unknown member ids are ignored here (see
    /// [`Directory::validate`]).
    pub fn effective_members(&self) -> Result<EffectiveMembers, Error> {
        let groups: HashMap<&str, &DirectoryGroup> = self.groups.iter().map(|g| (g.id.as_str(), g)).collect();
        let users: HashMap<&str, &str> = self
            .users
            .iter()
            .map(|u| (u.id.as_str(), u.user_principal_name.as_str()))
            .collect();
        let mut done: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for group in &self.groups {
            let mut path = Vec::new();
            flatten(group, &groups, &users, &mut done, &mut path)?;
        }
        Ok(self
            .groups
            .iter()
            .map(|g| {
                (
                    g.display_name.clone(),
                    done.get(g.id.as_str()).cloned().unwrap_or_default(),
                )
            })
            .collect())
    }
}

/// Depth-first flattening with the current path on a stack to detect cycles;
/// each group is expanded once (memoised in `done`).
fn flatten<'a>(
    group: &'a DirectoryGroup,
    groups: &HashMap<&'a str, &'a DirectoryGroup>,
    users: &HashMap<&'a str, &'a str>,
    done: &mut HashMap<&'a str, BTreeSet<String>>,
    path: &mut Vec<&'a DirectoryGroup>,
) -> Result<(), Error> {
    if done.contains_key(group.id.as_str()) {
        return Ok(());
    }
    if let Some(start) = path.iter().position(|g| g.id == group.id) {
        let mut cycle: Vec<String> = path[start..].iter().map(|g| g.display_name.clone()).collect();
        cycle.push(group.display_name.clone());
        return Err(Error::Cycle { cycle });
    }
    path.push(group);
    let mut members = BTreeSet::new();
    for member in &group.members {
        match member.kind {
            MemberKind::User => {
                if let Some(upn) = users.get(member.id.as_str()) {
                    members.insert((*upn).to_owned());
                }
            }
            MemberKind::Group => {
                if let Some(child) = groups.get(member.id.as_str()) {
                    flatten(child, groups, users, done, path)?;
                    if let Some(nested) = done.get(child.id.as_str()) {
                        members.extend(nested.iter().cloned());
                    }
                }
            }
        }
    }
    path.pop();
    done.insert(group.id.as_str(), members);
    Ok(())
}

/// The field a serde_json error names (`missing field `x``, `unknown variant`...), or `-`.
fn json_error_field(message: &str) -> String {
    message
        .split('`')
        .nth(1)
        .filter(|_| message.starts_with("missing field"))
        .unwrap_or("-")
        .to_owned()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDirectory {
    #[serde(default)]
    users: Vec<RawUser>,
    #[serde(default)]
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUser {
    id: Option<String>,
    user_principal_name: Option<String>,
    display_name: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    mail: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawGroup {
    id: Option<String>,
    display_name: Option<String>,
    description: Option<String>,
    #[serde(default)]
    members: Vec<RawMember>,
}

#[derive(Deserialize)]
struct RawMember {
    #[serde(rename = "@odata.type")]
    odata_type: Option<String>,
    id: Option<String>,
}
