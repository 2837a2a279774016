//! Reading TOML: spanned raw structs, converted to the public types while the
//! span of every field path is recorded, then validated.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use studio_fed_policy::build::Activity;
use toml::Spanned;

use super::validate::{Issue, parent_path};
use super::{
    AdminGroup, AppNetworkAccessType, AuthMode, DEFAULT_PERMISSION_SET_NAME, DEFAULT_SESSION_DURATION, Deployment,
    DeploymentError, DomainSettings, Guardrails, IdentityCenter, PersonaSpec, Team, UserSpec,
};

type S<T> = Spanned<T>;
type List = S<Vec<S<String>>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeployment {
    name: S<String>,
    #[serde(default)]
    region: Option<S<String>>,
    #[serde(default)]
    account: Option<S<String>>,
    #[serde(default)]
    identity_center: Option<S<RawIdentityCenter>>,
    #[serde(default)]
    teams: Option<S<Vec<S<RawTeam>>>>,
    #[serde(default)]
    admin: Option<S<RawAdmin>>,
    #[serde(default)]
    guardrails: Option<S<RawGuardrails>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentityCenter {
    instance_arn: S<String>,
    identity_store_id: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    name: S<String>,
    group: S<String>,
    domain: S<RawDomain>,
    persona: S<RawPersona>,
    #[serde(default)]
    users: Option<S<Vec<S<RawUser>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDomain {
    #[serde(default)]
    auth_mode: Option<S<AuthMode>>,
    #[serde(default)]
    vpc_id: Option<S<String>>,
    #[serde(default)]
    subnets: Option<List>,
    #[serde(default)]
    security_groups: Option<List>,
    #[serde(default)]
    app_network_access_type: Option<S<AppNetworkAccessType>>,
    #[serde(default)]
    kms_key: Option<S<String>>,
    #[serde(default)]
    default_instance_type: Option<S<String>>,
    #[serde(default)]
    allowed_instance_types: Option<List>,
    #[serde(default)]
    s3_buckets: Option<List>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    user_name: S<String>,
    #[serde(default)]
    persona: Option<S<RawPersona>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    group: S<String>,
    #[serde(default)]
    permission_set_name: Option<S<String>>,
    #[serde(default)]
    session_duration: Option<S<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardrails {
    #[serde(default)]
    allowed_instance_types: Option<List>,
    #[serde(default)]
    studio_cidrs: Option<List>,
    #[serde(default)]
    deny_console_for_non_admins: Option<S<bool>>,
    #[serde(default)]
    presigned_url_principals: Option<List>,
}

/// `"data-scientist"`, `"mlops"` or `{ custom = [...] }`.
enum RawPersona {
    Named(String),
    Custom(List),
}

const PERSONA_EXPECTED: &str = "\"data-scientist\", \"mlops\" or { custom = [\"activity\", ...] }";

impl<'de> Deserialize<'de> for RawPersona {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PersonaVisitor;

        impl<'de> Visitor<'de> for PersonaVisitor {
            type Value = RawPersona;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(PERSONA_EXPECTED)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawPersona, E> {
                Ok(RawPersona::Named(value.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPersona, A::Error> {
                let mut custom = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key != "custom" || custom.is_some() {
                        if key == "custom" {
                            return Err(de::Error::duplicate_field("custom"));
                        }
                        return Err(de::Error::unknown_field(&key, &["custom"]));
                    }
                    custom = Some(map.next_value::<List>()?);
                }
                custom
                    .map(RawPersona::Custom)
                    .ok_or_else(|| de::Error::missing_field("custom"))
            }
        }

        deserializer.deserialize_any(PersonaVisitor)
    }
}

/// The spans of the field paths, for locating validation issues.
#[derive(Default)]
struct Spans(HashMap<String, Range<usize>>);

impl Spans {
    fn add<T>(&mut self, path: impl Into<String>, value: &S<T>) {
        self.0.insert(path.into(), value.span());
    }

    fn string(&mut self, path: String, value: S<String>) -> String {
        self.add(path, &value);
        value.into_inner()
    }

    fn opt_string(&mut self, path: String, value: Option<S<String>>) -> Option<String> {
        value.map(|v| self.string(path, v))
    }

    fn list(&mut self, path: String, value: Option<List>) -> Vec<String> {
        let Some(value) = value else {
            return Vec::new();
        };
        self.add(path.clone(), &value);
        value
            .into_inner()
            .into_iter()
            .enumerate()
            .map(|(i, item)| self.string(format!("{path}[{i}]"), item))
            .collect()
    }

    /// The span of `path`, or of its nearest recorded parent.
    fn locate(&self, path: &str) -> Option<usize> {
        let mut path = path;
        loop {
            if let Some(span) = self.0.get(path) {
                return Some(span.start);
            }
            path = parent_path(path)?;
        }
    }
}

/// Parses, converts and validates.
pub(super) fn parse(text: &str) -> Result<Deployment, DeploymentError> {
    let deserializer = toml::Deserializer::parse(text).map_err(|e| {
        DeploymentError::at(
            text,
            e.span().map(|s| s.start),
            String::new(),
            format!("{}; check the TOML syntax", e.message().trim_end()),
        )
    })?;
    let raw: RawDeployment = serde_path_to_error::deserialize(deserializer).map_err(|e| serde_error(text, &e))?;
    let mut spans = Spans::default();
    let deployment = convert(raw, &mut spans).map_err(|issue| located(text, &spans, issue))?;
    super::validate::check(&deployment).map_err(|issue| located(text, &spans, issue))?;
    Ok(deployment)
}

fn located(text: &str, spans: &Spans, issue: Issue) -> DeploymentError {
    DeploymentError::at(text, spans.locate(&issue.field), issue.field, issue.message)
}

/// A serde error: the path from `serde_path_to_error` (without the `Spanned`
/// wrappers), the span from toml, and a hint.
fn serde_error(text: &str, error: &serde_path_to_error::Error<toml::de::Error>) -> DeploymentError {
    let mut field = String::new();
    for segment in error.path().iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            serde_path_to_error::Segment::Map { key } | serde_path_to_error::Segment::Enum { variant: key } => {
                if key.starts_with("$__serde_spanned") {
                    continue;
                }
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(key);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    let inner = error.inner();
    let raw_message = inner.message().trim_end().to_owned();
    let mut message = raw_message.clone();
    if let Some(missing) = backticked(&raw_message, "missing field ") {
        if !field.is_empty() {
            field.push('.');
        }
        field.push_str(&missing);
        message.push_str("; add it");
    } else if raw_message.starts_with("unknown field") || raw_message.starts_with("unknown variant") {
        if let Some(hint) = did_you_mean(&raw_message) {
            message.push_str(&format!("; did you mean `{hint}`?"));
        } else {
            message.push_str("; remove it or fix its name");
        }
    } else if raw_message.starts_with("invalid type") {
        message.push_str("; fix the value's type");
    }
    DeploymentError::at(text, inner.span().map(|s| s.start), field, message)
}

/// The first `` `name` `` after `prefix` at the start of `message`.
fn backticked(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// For `unknown field `x`, expected one of `a`, `b``: the closest expected name, if close.
fn did_you_mean(message: &str) -> Option<String> {
    let (head, expected) = message.split_once(", expected")?;
    let unknown = head.split('`').nth(1)?;
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|candidate| (levenshtein(unknown, candidate), candidate))
        .filter(|(distance, candidate)| *distance <= (candidate.len().max(unknown.len()) / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate.to_owned())
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

fn convert(raw: RawDeployment, spans: &mut Spans) -> Result<Deployment, Issue> {
    let name = spans.string("name".into(), raw.name);
    let region = spans.opt_string("region".into(), raw.region);
    let account = spans.opt_string("account".into(), raw.account);
    let identity_center = raw.identity_center.map(|ic| {
        spans.add("identity_center", &ic);
        let ic = ic.into_inner();
        IdentityCenter {
            instance_arn: spans.string("identity_center.instance_arn".into(), ic.instance_arn),
            identity_store_id: spans.string("identity_center.identity_store_id".into(), ic.identity_store_id),
        }
    });
    let mut teams = Vec::new();
    if let Some(raw_teams) = raw.teams {
        spans.add("teams", &raw_teams);
        for (i, team) in raw_teams.into_inner().into_iter().enumerate() {
            teams.push(convert_team(format!("teams[{i}]"), team, spans)?);
        }
    }
    let admin = raw.admin.map(|admin| {
        spans.add("admin", &admin);
        let admin = admin.into_inner();
        AdminGroup {
            group: spans.string("admin.group".into(), admin.group),
            permission_set_name: spans
                .opt_string("admin.permission_set_name".into(), admin.permission_set_name)
                .unwrap_or_else(|| DEFAULT_PERMISSION_SET_NAME.into()),
            session_duration: spans
                .opt_string("admin.session_duration".into(), admin.session_duration)
                .unwrap_or_else(|| DEFAULT_SESSION_DURATION.into()),
        }
    });
    let guardrails = match raw.guardrails {
        Some(g) => {
            spans.add("guardrails", &g);
            let g = g.into_inner();
            Guardrails {
                allowed_instance_types: spans
                    .list("guardrails.allowed_instance_types".into(), g.allowed_instance_types),
                studio_cidrs: spans.list("guardrails.studio_cidrs".into(), g.studio_cidrs),
                deny_console_for_non_admins: g.deny_console_for_non_admins.is_some_and(|deny| {
                    spans.add("guardrails.deny_console_for_non_admins", &deny);
                    deny.into_inner()
                }),
                presigned_url_principals: spans
                    .list("guardrails.presigned_url_principals".into(), g.presigned_url_principals),
            }
        }
        None => Guardrails::default(),
    };
    Ok(Deployment {
        name,
        region,
        account,
        identity_center,
        teams,
        admin,
        guardrails,
    })
}

fn convert_team(path: String, team: S<RawTeam>, spans: &mut Spans) -> Result<Team, Issue> {
    spans.add(path.clone(), &team);
    let team = team.into_inner();
    let domain_path = format!("{path}.domain");
    spans.add(domain_path.clone(), &team.domain);
    let d = team.domain.into_inner();
    let domain = DomainSettings {
        auth_mode: d.auth_mode.map_or_else(AuthMode::default, |mode| {
            spans.add(format!("{domain_path}.auth_mode"), &mode);
            mode.into_inner()
        }),
        vpc_id: spans.opt_string(format!("{domain_path}.vpc_id"), d.vpc_id),
        subnets: spans.list(format!("{domain_path}.subnets"), d.subnets),
        security_groups: spans.list(format!("{domain_path}.security_groups"), d.security_groups),
        app_network_access_type: d
            .app_network_access_type
            .map_or_else(AppNetworkAccessType::default, |access| {
                spans.add(format!("{domain_path}.app_network_access_type"), &access);
                access.into_inner()
            }),
        kms_key: spans.opt_string(format!("{domain_path}.kms_key"), d.kms_key),
        default_instance_type: spans
            .opt_string(format!("{domain_path}.default_instance_type"), d.default_instance_type),
        allowed_instance_types: spans.list(
            format!("{domain_path}.allowed_instance_types"),
            d.allowed_instance_types,
        ),
        s3_buckets: spans.list(format!("{domain_path}.s3_buckets"), d.s3_buckets),
    };
    let name = spans.string(format!("{path}.name"), team.name);
    let group = spans.string(format!("{path}.group"), team.group);
    let default_persona = convert_persona(format!("{path}.persona"), team.persona, spans)?;
    let mut users = Vec::new();
    if let Some(raw_users) = team.users {
        spans.add(format!("{path}.users"), &raw_users);
        for (j, user) in raw_users.into_inner().into_iter().enumerate() {
            let user_path = format!("{path}.users[{j}]");
            spans.add(user_path.clone(), &user);
            let user = user.into_inner();
            users.push(UserSpec {
                user_name: spans.string(format!("{user_path}.user_name"), user.user_name),
                persona: user
                    .persona
                    .map(|p| convert_persona(format!("{user_path}.persona"), p, spans))
                    .transpose()?,
            });
        }
    }
    Ok(Team {
        name,
        group,
        domain,
        default_persona,
        users,
    })
}

fn convert_persona(path: String, persona: S<RawPersona>, spans: &mut Spans) -> Result<PersonaSpec, Issue> {
    spans.add(path.clone(), &persona);
    match persona.into_inner() {
        RawPersona::Named(name) => match name.as_str() {
            "data-scientist" => Ok(PersonaSpec::DataScientist),
            "mlops" => Ok(PersonaSpec::MlOps),
            other => Err(Issue::new(
                path,
                format!("unknown persona {other:?}; expected {PERSONA_EXPECTED}"),
            )),
        },
        RawPersona::Custom(list) => {
            let custom_path = format!("{path}.custom");
            let names = spans.list(custom_path.clone(), Some(list));
            let mut activities = Vec::new();
            for (k, name) in names.iter().enumerate() {
                let activity = Activity::from_str(name).map_err(|e| Issue::new(format!("{custom_path}[{k}]"), e))?;
                activities.push(activity);
            }
            Ok(PersonaSpec::Custom { activities })
        }
    }
}
