//! From a validated login to the profile it may open: the domain, the team and the profile name.
//!
//! - The **domain** comes from the login only if it is on `profiles.allowed_domains` (a login
//!   naming another domain is refused, never redirected elsewhere); otherwise from the team's
//!   configured domain, otherwise from `profiles.default_domain`.
//! - The **team** is the configured team that one of the login's team values selects: a value
//!   selects a team by its name, or, when the team lists `idp_groups` (Entra ID group object ids,
//!   Keycloak group paths), by one of those instead. When no team attribute or claim is mapped,
//!   the team is the one team configured for the domain (a mapped one that is absent refuses the
//!   login). A login whose identity provider left its team values out because
//!   the user is in too many groups (Entra ID's groups overage) is refused: it never gets a team
//!   some other way.
//! - The **profile name** is the template with `{username}` and `{team}` replaced, and must be a
//!   valid Studio user profile name.

use std::collections::BTreeMap;

use crate::Refusal;
use crate::config::{GatewayConfig, TeamSection};

/// What a validated login says about the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The user (from the configured attribute or claim).
    pub user: String,
    /// The values of the team attribute or claim (empty when not mapped).
    pub teams: Vec<String>,
    /// The domain the login names, when a domain attribute or claim is mapped and present.
    pub domain: Option<String>,
    /// The team attribute or claim the identity provider left out because the user is in too
    /// many groups, and said so (Entra ID's groups overage); `None` otherwise. Such a login is
    /// refused with [`Refusal::GroupsOverage`].
    pub groups_overage: Option<String>,
}

/// The profile a login may open.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    /// The Studio domain id.
    pub domain: String,
    /// The team (its `studio-fed:team` tag must be on the profile).
    pub team: String,
    /// The user profile name.
    pub profile: String,
}

/// The mapping rules, from the configuration.
#[derive(Debug, Clone)]
pub struct ProfileRules {
    template: String,
    allowed_domains: Vec<String>,
    default_domain: Option<String>,
    teams: BTreeMap<String, TeamSection>,
    /// Team value (a team name or one of its `idp_groups`) → team name.
    selects: BTreeMap<String, String>,
}

impl ProfileRules {
    /// The rules of `config`.
    pub fn new(config: &GatewayConfig) -> Self {
        ProfileRules {
            template: config.profiles.template.clone(),
            allowed_domains: config.profiles.allowed_domains.clone(),
            default_domain: config.profiles.default_domain.clone(),
            teams: config.teams.clone(),
            selects: config
                .teams
                .iter()
                .flat_map(|(name, team)| {
                    team.team_values(name)
                        .into_iter()
                        .map(move |value| (value.to_owned(), name.clone()))
                })
                .collect(),
        }
    }

    /// The team's configuration.
    pub fn team(&self, name: &str) -> Option<&TeamSection> {
        self.teams.get(name)
    }

    /// Decides the profile `identity` may open.
    pub fn target(&self, identity: &Identity) -> Result<Target, Refusal> {
        if let Some(name) = &identity.groups_overage {
            return Err(Refusal::GroupsOverage { name: name.clone() });
        }
        if let Some(domain) = &identity.domain
            && !self.allowed_domains.contains(domain)
        {
            return Err(Refusal::DomainNotAllowed {
                domain: domain.chars().take(64).collect(),
            });
        }
        let mut known: Vec<&str> = identity
            .teams
            .iter()
            .filter_map(|value| self.selects.get(value))
            .map(String::as_str)
            .collect();
        known.sort_unstable();
        known.dedup();
        let team_domain = |team: &str| self.teams.get(team).and_then(|t| t.domain.as_deref());
        let domain = identity
            .domain
            .as_deref()
            .or_else(|| match known.as_slice() {
                [one] => team_domain(one),
                _ => None,
            })
            .or(self.default_domain.as_deref())
            .ok_or_else(|| Refusal::NoDomain("the login names no domain and matches no team with one".into()))?
            .to_owned();
        // The team: among the login's teams, the one whose domain is this domain (or has none).
        let candidates: Vec<&str> = if identity.teams.is_empty() {
            self.teams
                .keys()
                .map(String::as_str)
                .filter(|t| team_domain(t) == Some(domain.as_str()))
                .collect()
        } else {
            known
                .into_iter()
                .filter(|t| team_domain(t).is_none_or(|d| d == domain))
                .collect()
        };
        let team = match candidates.as_slice() {
            [one] => (*one).to_owned(),
            [] => {
                return Err(Refusal::NoDomain(format!(
                    "no configured team of this login uses domain {domain}"
                )));
            }
            _ => {
                return Err(Refusal::NoDomain(format!(
                    "several configured teams of this login use domain {domain}; a login must match one"
                )));
            }
        };
        let profile = self
            .template
            .replace("{username}", &identity.user)
            .replace("{team}", &team);
        if !is_profile_name(&profile) {
            return Err(Refusal::InvalidProfileName {
                name: profile.chars().take(80).collect(),
            });
        }
        Ok(Target { domain, team, profile })
    }
}

/// `^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`: what CreateUserProfile accepts.
pub fn is_profile_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(extra: &str) -> ProfileRules {
        rules_with(extra, &[])
    }

    /// The rules with `extra` in `[profiles]` and `vars` as environment overrides.
    fn rules_with(extra: &str, vars: &[(&str, &str)]) -> ProfileRules {
        let text = format!(
            r#"
[gateway]
public_url = "https://login.example.test"
[profiles]
allowed_domains = ["d-team1", "d-team2"]
{extra}
[teams.vision]
domain = "d-team1"
[teams.nlp]
domain = "d-team2"
[oidc]
issuer = "https://idp.example.test"
client_id = "gw"
domain_claim = "domain"
"#
        );
        let vars = vars.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        ProfileRules::new(&GatewayConfig::from_toml_with_env(&text, vars).unwrap())
    }

    fn identity(user: &str, teams: &[&str], domain: Option<&str>) -> Identity {
        Identity {
            user: user.into(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
            domain: domain.map(str::to_owned),
            groups_overage: None,
        }
    }

    #[test]
    fn the_domain_of_the_login_is_used_only_from_the_allowlist() {
        let r = rules("");
        let t = r.target(&identity("alice", &[], Some("d-team2"))).unwrap();
        assert_eq!(
            (t.domain.as_str(), t.team.as_str(), t.profile.as_str()),
            ("d-team2", "nlp", "alice")
        );
        assert!(matches!(
            r.target(&identity("alice", &[], Some("d-attacker"))),
            Err(Refusal::DomainNotAllowed { .. })
        ));
    }

    #[test]
    fn the_team_attribute_chooses_the_domain() {
        let r = rules(r#"template = "{username}-{team}""#);
        let t = r.target(&identity("alice", &["all-staff", "vision"], None)).unwrap();
        assert_eq!((t.domain.as_str(), t.profile.as_str()), ("d-team1", "alice-vision"));
        // A login in a team of another domain than the one it names is refused.
        assert!(matches!(
            r.target(&identity("alice", &["vision"], Some("d-team2"))),
            Err(Refusal::NoDomain(_))
        ));
        // Two teams and no domain: ambiguous.
        assert!(r.target(&identity("alice", &["vision", "nlp"], None)).is_err());
    }

    #[test]
    fn idp_group_values_select_their_team_and_only_they_do() {
        let r = rules_with(
            r#"template = "{username}-{team}""#,
            &[(
                "STUDIO_FED__TEAMS__VISION__IDP_GROUPS",
                r#"["/ml/vision", "6f1c9a4e-2b7d-4e3a-9c81-5d2f0b7a3e64"]"#,
            )],
        );
        let t = r
            .target(&identity("alice", &["/all-staff", "/ml/vision"], None))
            .unwrap();
        assert_eq!((t.team.as_str(), t.profile.as_str()), ("vision", "alice-vision"));
        // Two values of the same team are one team.
        let both = ["6f1c9a4e-2b7d-4e3a-9c81-5d2f0b7a3e64", "/ml/vision"];
        assert_eq!(r.target(&identity("alice", &both, None)).unwrap().team, "vision");
        // With idp_groups, the team's name no longer selects it; other teams keep their name.
        assert!(matches!(
            r.target(&identity("alice", &["vision"], None)),
            Err(Refusal::NoDomain(_))
        ));
        assert_eq!(r.target(&identity("alice", &["nlp"], None)).unwrap().team, "nlp");
        // Values are compared exactly: no prefix or case folding.
        assert!(
            r.target(&identity("alice", &["/ML/vision", "ml/vision"], None))
                .is_err()
        );
    }

    #[test]
    fn a_groups_overage_is_refused_even_when_a_team_could_be_guessed() {
        let r = rules(r#"default_domain = "d-team1""#);
        let mut login = identity("alice", &[], Some("d-team1"));
        assert_eq!(r.target(&login).unwrap().team, "vision");
        login.groups_overage = Some("groups".into());
        let refusal = r.target(&login).unwrap_err();
        assert_eq!(
            (refusal.code(), refusal.status().as_u16()),
            ("groups_overage".to_owned(), 403)
        );
    }

    #[test]
    fn the_default_domain_is_the_last_resort() {
        let r = rules(r#"default_domain = "d-team1""#);
        assert_eq!(r.target(&identity("bob", &[], None)).unwrap().team, "vision");
        assert!(matches!(
            rules("").target(&identity("bob", &[], None)),
            Err(Refusal::NoDomain(_))
        ));
    }

    #[test]
    fn profile_names_must_be_valid() {
        let r = rules("");
        for user in ["alice@example.com", "-alice", "a--", "", &"a".repeat(64)] {
            assert!(
                matches!(
                    r.target(&identity(user, &[], Some("d-team1"))),
                    Err(Refusal::InvalidProfileName { .. })
                ),
                "{user}"
            );
        }
        assert!(is_profile_name("8f3b9c2e-1a2b-4c5d-9e8f-0a1b2c3d4e5f"));
        assert!(is_profile_name("a--b"));
    }
}
