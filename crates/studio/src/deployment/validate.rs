//! The semantic rules, shared by the TOML reader and the builder.

use std::collections::HashMap;
use std::fmt;

use studio_fed_policy::build::{Guardrail, RoleInputs};

use super::views::{DEPLOYMENT_NAME_MAX, TEAM_NAME_MAX, glob_match};
use super::{AppNetworkAccessType, Deployment, PersonaSpec, Team};

/// A rule broken at a field path.
#[derive(Debug)]
pub(crate) struct Issue {
    pub field: String,
    pub message: String,
}

impl Issue {
    pub(crate) fn new(field: impl Into<String>, message: impl fmt::Display) -> Self {
        Issue {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

type Check = Result<(), Issue>;

/// `teams[1].domain` for `teams[1].domain.subnets`, `teams[1]` for
/// `teams[1].domain`, `teams` for `teams[1]`; `None` at the top.
pub(crate) fn parent_path(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    if path.ends_with(']') {
        return path.rfind('[').map(|i| &path[..i]);
    }
    Some(path.rfind('.').map_or("", |i| &path[..i]))
}

/// Checks every rule, in document order; the first broken one is returned.
pub(crate) fn check(d: &Deployment) -> Check {
    check_slug("name", &d.name, DEPLOYMENT_NAME_MAX, "deployment name")?;
    let mut base = RoleInputs::builder();
    if let Some(region) = &d.region {
        base = base.region(region);
    }
    if let Some(account) = &d.account {
        base = base.account(account);
    }
    if let Err(e) = base.build() {
        let field = if d
            .region
            .as_deref()
            .is_some_and(|r| RoleInputs::builder().region(r).build().is_err())
        {
            "region"
        } else {
            "account"
        };
        return Err(Issue::new(field, e));
    }
    if let Some(ic) = &d.identity_center {
        check_instance_arn(&ic.instance_arn)?;
        check_identity_store_id(&ic.identity_store_id)?;
    }
    if d.teams.is_empty() {
        return Err(Issue::new("teams", "no team; add at least one [[teams]] table"));
    }
    let mut team_names: HashMap<&str, usize> = HashMap::new();
    let mut groups: HashMap<&str, usize> = HashMap::new();
    let mut user_teams: HashMap<&str, (usize, &str)> = HashMap::new();
    for (i, team) in d.teams.iter().enumerate() {
        let path = format!("teams[{i}]");
        check_team(&path, team, d)?;
        if let Some(first) = team_names.insert(&team.name, i) {
            return Err(Issue::new(
                format!("{path}.name"),
                format!(
                    "team name {:?} is already used by teams[{first}]; team names must be unique",
                    team.name
                ),
            ));
        }
        if let Some(first) = groups.insert(&team.group, i) {
            return Err(Issue::new(
                format!("{path}.group"),
                format!(
                    "group {:?} is already the group of teams[{first}] ({}); each team needs its own group",
                    team.group, d.teams[first].name
                ),
            ));
        }
        for (j, user) in team.users.iter().enumerate() {
            if let Some((first, first_team)) = user_teams.insert(&user.user_name, (i, &team.name)) {
                return Err(Issue::new(
                    format!("{path}.users[{j}].user_name"),
                    format!(
                        "user {:?} is already in teams[{first}] ({first_team}); a user belongs to at most one team \
                         because each team's domain is isolated",
                        user.user_name
                    ),
                ));
            }
        }
    }
    if let Some(admin) = &d.admin {
        if admin.group.trim().is_empty() {
            return Err(Issue::new(
                "admin.group",
                "is empty; give the admin group's display name",
            ));
        }
        if let Some(i) = groups.get(admin.group.as_str()) {
            return Err(Issue::new(
                "admin.group",
                format!(
                    "group {:?} is also the group of teams[{i}]; use a separate admin group",
                    admin.group
                ),
            ));
        }
        let name_ok = (1..=32).contains(&admin.permission_set_name.len())
            && admin
                .permission_set_name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
        if !name_ok {
            return Err(Issue::new(
                "admin.permission_set_name",
                format!(
                    "{:?} is not a permission set name; use 1-32 letters, digits or + = , . @ _ -",
                    admin.permission_set_name
                ),
            ));
        }
        if session_minutes(&admin.session_duration).is_none_or(|m| !(60..=720).contains(&m)) {
            return Err(Issue::new(
                "admin.session_duration",
                format!(
                    "{:?} is not an ISO-8601 duration between PT1H and PT12H; write e.g. PT4H or PT1H30M",
                    admin.session_duration
                ),
            ));
        }
    }
    check_guardrails(d)
}

fn check_team(path: &str, team: &Team, d: &Deployment) -> Check {
    check_slug(&format!("{path}.name"), &team.name, TEAM_NAME_MAX, "team name")?;
    if team.group.trim().is_empty() {
        return Err(Issue::new(
            format!("{path}.group"),
            "is empty; give the Identity Center group's display name",
        ));
    }
    let dom = &team.domain;
    let dpath = format!("{path}.domain");
    if let Some(vpc) = &dom.vpc_id {
        check_id(&format!("{dpath}.vpc_id"), vpc, "vpc-")?;
    }
    for (k, subnet) in dom.subnets.iter().enumerate() {
        check_id(&format!("{dpath}.subnets[{k}]"), subnet, "subnet-")?;
    }
    for (k, sg) in dom.security_groups.iter().enumerate() {
        check_id(&format!("{dpath}.security_groups[{k}]"), sg, "sg-")?;
    }
    if dom.app_network_access_type == AppNetworkAccessType::VpcOnly {
        if dom.subnets.is_empty() {
            return Err(Issue::new(
                format!("{dpath}.subnets"),
                "a VpcOnly domain needs subnets; add subnets = [\"subnet-...\"] or set app_network_access_type = \
                 \"PublicInternetOnly\"",
            ));
        }
        if dom.security_groups.is_empty() {
            return Err(Issue::new(
                format!("{dpath}.security_groups"),
                "a VpcOnly domain needs security groups; add security_groups = [\"sg-...\"]",
            ));
        }
    }
    if !dom.subnets.is_empty() && dom.vpc_id.is_none() {
        return Err(Issue::new(
            format!("{dpath}.vpc_id"),
            "subnets are given without their VPC; add vpc_id = \"vpc-...\"",
        ));
    }
    if dom.subnets.is_empty() && dom.vpc_id.is_some() {
        return Err(Issue::new(
            format!("{dpath}.subnets"),
            "vpc_id is given without subnets; add the domain's subnets",
        ));
    }
    if dom.subnets.is_empty() != dom.security_groups.is_empty() {
        let missing = if dom.subnets.is_empty() {
            "subnets"
        } else {
            "security_groups"
        };
        return Err(Issue::new(
            format!("{dpath}.{missing}"),
            "subnets and security groups come together; give both or neither",
        ));
    }
    if let Some(key) = &dom.kms_key {
        let field = format!("{dpath}.kms_key");
        RoleInputs::builder()
            .data_kms_keys([key])
            .volume_kms_keys([key])
            .build()
            .map_err(|e| Issue::new(&field, e))?;
        if let Some(region) = &d.region
            && key.split(':').nth(3) != Some(region.as_str())
        {
            return Err(Issue::new(
                &field,
                format!("the KMS key is not in the deployment's region {region}; use a key of that region"),
            ));
        }
    }
    for (k, pattern) in dom.allowed_instance_types.iter().enumerate() {
        Guardrail::instance_types([pattern])
            .map_err(|e| Issue::new(format!("{dpath}.allowed_instance_types[{k}]"), e))?;
    }
    if let Some(default) = &dom.default_instance_type {
        let field = format!("{dpath}.default_instance_type");
        if default.contains(['*', '?']) || Guardrail::instance_types([default]).is_err() {
            return Err(Issue::new(
                &field,
                format!("{default:?} is not an instance type; write e.g. ml.t3.medium (no wildcards)"),
            ));
        }
        if !dom.allowed_instance_types.is_empty() && !dom.allowed_instance_types.iter().any(|p| glob_match(p, default))
        {
            return Err(Issue::new(
                &field,
                format!("{default:?} is not among the team's allowed_instance_types; add it there or pick one of them"),
            ));
        }
        let global = &d.guardrails.allowed_instance_types;
        if !global.is_empty() && !global.iter().any(|p| glob_match(p, default)) {
            return Err(Issue::new(
                &field,
                format!("{default:?} is denied by guardrails.allowed_instance_types; pick an allowed type"),
            ));
        }
    }
    for (k, bucket) in dom.s3_buckets.iter().enumerate() {
        RoleInputs::builder()
            .s3_bucket(bucket)
            .build()
            .map_err(|e| Issue::new(format!("{dpath}.s3_buckets[{k}]"), e))?;
    }
    let mut custom: Option<(String, &PersonaSpec)> = None;
    let personas = std::iter::once((format!("{path}.persona"), &team.default_persona)).chain(
        team.users
            .iter()
            .enumerate()
            .filter_map(|(j, u)| u.persona.as_ref().map(|p| (format!("{path}.users[{j}].persona"), p))),
    );
    for (ppath, persona) in personas {
        if let PersonaSpec::Custom { activities } = persona {
            if activities.is_empty() {
                return Err(Issue::new(
                    format!("{ppath}.custom"),
                    "a custom persona needs at least one activity, e.g. \"run-studio-apps\"",
                ));
            }
            match &custom {
                Some((first, first_persona)) if *first_persona != persona => {
                    return Err(Issue::new(
                        ppath,
                        format!(
                            "a team has one custom role, but this custom persona differs from {first}; use the same \
                             activities"
                        ),
                    ));
                }
                Some(_) => {}
                None => custom = Some((ppath, persona)),
            }
        }
    }
    let mut user_names: HashMap<&str, usize> = HashMap::new();
    let mut profiles: HashMap<String, usize> = HashMap::new();
    for (j, user) in team.users.iter().enumerate() {
        let field = format!("{path}.users[{j}].user_name");
        let name = &user.user_name;
        if name.is_empty() || name.chars().count() > 128 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Issue::new(
                &field,
                format!("{name:?} is not an Identity Center UserName; use 1-128 characters without spaces"),
            ));
        }
        if let Some(first) = user_names.insert(name, j) {
            return Err(Issue::new(
                &field,
                format!("user {name:?} is already listed as {path}.users[{first}]; list each user once"),
            ));
        }
        let profile = user.profile_name();
        if profile.is_empty() {
            return Err(Issue::new(
                &field,
                format!("{name:?} has no letter or digit, so it gives no user profile name"),
            ));
        }
        if let Some(first) = profiles.insert(profile.clone(), j) {
            return Err(Issue::new(
                &field,
                format!(
                    "{name:?} maps to the user profile name {profile:?} like {path}.users[{first}] ({:?}); profile \
                     names must be unique in a domain",
                    team.users[first].user_name
                ),
            ));
        }
    }
    Ok(())
}

fn check_guardrails(d: &Deployment) -> Check {
    let g = &d.guardrails;
    for (k, pattern) in g.allowed_instance_types.iter().enumerate() {
        Guardrail::instance_types([pattern])
            .map_err(|e| Issue::new(format!("guardrails.allowed_instance_types[{k}]"), e))?;
    }
    for (k, cidr) in g.studio_cidrs.iter().enumerate() {
        Guardrail::studio_from_cidrs([cidr]).map_err(|e| Issue::new(format!("guardrails.studio_cidrs[{k}]"), e))?;
    }
    if g.deny_console_for_non_admins && d.admin.is_none() {
        return Err(Issue::new(
            "guardrails.deny_console_for_non_admins",
            "denies the console to everyone but the admins, but there is no [admin] group; add one or set it to \
             false",
        ));
    }
    let mut principals: HashMap<&str, usize> = HashMap::new();
    for (k, arn) in g.presigned_url_principals.iter().enumerate() {
        let field = format!("guardrails.presigned_url_principals[{k}]");
        check_presigned_url_principal(&field, arn, d.partition(), d.account.as_deref())?;
        if let Some(first) = principals.insert(arn, k) {
            return Err(Issue::new(
                field,
                format!(
                    "{arn:?} is already listed as guardrails.presigned_url_principals[{first}]; list each role once"
                ),
            ));
        }
    }
    Ok(())
}

/// An IAM role ARN (no wildcards) in `partition` and, when known, `account`:
/// `CreatePresignedDomainUrl` is called by a role of the domains' account.
pub(crate) fn check_presigned_url_principal(field: &str, arn: &str, partition: &str, account: Option<&str>) -> Check {
    Guardrail::presigned_url_allowlist()
        .principals([arn])
        .build()
        .map_err(|e| Issue::new(field, e))?;
    // A valid role ARN: arn:{partition}:iam::{account}:role/...
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    if parts.get(1) != Some(&partition) {
        return Err(Issue::new(
            field,
            format!(
                "{arn:?} is not in the deployment's partition {partition}; give the role ARN as \
                 arn:{partition}:iam::ACCOUNT:role/NAME"
            ),
        ));
    }
    if let Some(account) = account
        && parts.get(4) != Some(&account)
    {
        return Err(Issue::new(
            field,
            format!(
                "{arn:?} is not in the deployment's account {account}; presigned URLs for its domains are created \
                 by roles of that account, so give a role of account {account}"
            ),
        ));
    }
    Ok(())
}

/// Lowercase letters, digits and `-`, starting with a letter, not ending with
/// `-`, at most `max` characters.
fn check_slug(field: &str, value: &str, max: usize, what: &str) -> Check {
    let ok = (1..=max).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && !value.ends_with('-')
        && value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Issue::new(
            field,
            format!(
                "{value:?} is not a valid {what}; use 1-{max} lowercase letters, digits or -, starting with a letter \
                 and not ending with -"
            ),
        ))
    }
}

/// `prefix` followed by 8 or 17 lowercase hex digits.
fn check_id(field: &str, value: &str, prefix: &str) -> Check {
    let ok = value.strip_prefix(prefix).is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(Issue::new(
            field,
            format!("{value:?} is not an id; expected {prefix} followed by 8 or 17 lowercase hex digits"),
        ))
    }
}

fn check_instance_arn(value: &str) -> Check {
    let ok = value.split_once(":sso:::instance/").is_some_and(|(head, id)| {
        head.strip_prefix("arn:").is_some_and(|p| p.starts_with("aws"))
            && id.strip_prefix("ssoins-").is_some_and(|rest| {
                (16..=64).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
    });
    if ok {
        Ok(())
    } else {
        Err(Issue::new(
            "identity_center.instance_arn",
            format!(
                "{value:?} is not an Identity Center instance ARN; expected e.g. \
                 arn:aws:sso:::instance/ssoins-0123456789abcdef, or remove [identity_center] to discover it"
            ),
        ))
    }
}

fn check_identity_store_id(value: &str) -> Check {
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let short = value.strip_prefix("d-").is_some_and(|rest| hex(rest, 10));
    let parts: Vec<&str> = value.split('-').collect();
    let uuid = parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| hex(p, n));
    if short || uuid {
        Ok(())
    } else {
        Err(Issue::new(
            "identity_center.identity_store_id",
            format!("{value:?} is not an identity store id; expected e.g. d-0123456789"),
        ))
    }
}

/// Minutes of an ISO-8601 `PT#H#M` duration.
fn session_minutes(text: &str) -> Option<u32> {
    let mut rest = text.strip_prefix("PT")?;
    if rest.is_empty() {
        return None;
    }
    let mut minutes = 0u32;
    for (unit, factor) in [('H', 60), ('M', 1)] {
        if let Some(i) = rest.find(unit) {
            let n: u32 = rest[..i].parse().ok()?;
            minutes = minutes.checked_add(n.checked_mul(factor)?)?;
            rest = &rest[i + 1..];
        }
    }
    rest.is_empty().then_some(minutes)
}
