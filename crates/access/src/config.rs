//! The gateway's configuration: a TOML file, overridden by `STUDIO_FED__SECTION__KEY` variables.
//!
//! ```toml
//! [gateway]
//! public_url = "https://studio-login.example.com" # the ACS is {public_url}/saml/acs
//! listen = "0.0.0.0:8080"
//! expires_in_seconds = 30          # CreatePresignedDomainUrl ExpiresInSeconds (5..=300)
//! session_expiration_seconds = 43200
//! region = "eu-west-1"             # default: the standard AWS configuration's
//! account = "111122223333"         # for `studio-fed access policy`
//! # cookie_key: base64 of at least 32 random bytes; set it with STUDIO_FED__GATEWAY__COOKIE_KEY
//!
//! [network]
//! allowed_cidrs = ["203.0.113.0/24", "10.0.0.0/8"]
//! trusted_proxies = ["10.0.1.0/24"]  # only these may set X-Forwarded-For
//! gateway_cidrs = ["198.51.100.10/32"] # the gateway's egress, for its role's policy
//! studio_access = "vpc"              # "public" (aws:SourceIp) or "vpc" (aws:VpcSourceIp)
//! vpc_endpoints = ["vpce-0a1b2c3d4e5f60718"]
//!
//! [profiles]
//! template = "{username}"           # or "{username}-{team}"
//! allowed_domains = ["d-abc123"]    # domains a login may name itself
//! default_domain = "d-abc123"       # when neither the login nor its team names one
//! cache_seconds = 30                # how long a checked profile is trusted
//!
//! [teams.data-science]
//! domain = "d-abc123"
//! execution_role = "arn:aws:iam::111122223333:role/data-science-data-scientist" # for just-in-time profiles
//! persona = "data-scientist"
//! idp_groups = ["6f1c9a4e-2b7d-4e3a-9c81-5d2f0b7a3e64"] # team values meaning this team (default: its name)
//!
//! [jit]
//! enabled = true
//! wait_seconds = 120
//!
//! [saml]
//! metadata_file = "idp-metadata.xml"   # or metadata_url
//! audience = "https://studio-login.example.com/saml"  # default: the ACS URL
//! allow_idp_initiated = true
//! user_attribute = "username"          # "NameID" for the subject
//! domain_attribute = "domain-id"
//! team_attribute = "team"
//!
//! [oidc]
//! issuer = "https://login.example.com"
//! client_id = "studio-gateway"
//! # client_secret: STUDIO_FED__OIDC__CLIENT_SECRET
//! user_claim = "preferred_username"
//! team_claim = "groups"
//!
//! [replay]
//! store = "dynamodb"                   # or "memory" (one instance only)
//! table = "studio-fed-replay"
//!
//! [limits]
//! max_body_bytes = 393216
//! request_timeout_seconds = 15
//! rate_limit_per_minute = 30
//! rate_limit_burst = 10
//! ```
//!
//! Environment variables override the file: `STUDIO_FED__NETWORK__ALLOWED_CIDRS='["10.0.0.0/8"]'`
//! sets `[network] allowed_cidrs`. A value is read as a TOML value when it is one (a number, a
//! boolean, an array) and as a string otherwise. Secrets (`gateway.cookie_key`,
//! `oidc.client_secret`) belong in the environment, not in the file.

use std::collections::BTreeMap;
use std::path::Path;

use ipnet::IpNet;
use serde::Deserialize;
use url::Url;

use crate::Error;

/// The environment variable prefix of overrides.
pub const ENV_PREFIX: &str = "STUDIO_FED__";

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// `[gateway]`: where it runs and the URLs it hands out.
    pub gateway: GatewaySection,
    /// `[network]`: which clients may log in.
    #[serde(default)]
    pub network: NetworkSection,
    /// `[profiles]`: from a login to a profile.
    #[serde(default)]
    pub profiles: ProfilesSection,
    /// `[teams.<name>]`: each team's domain and just-in-time settings.
    #[serde(default)]
    pub teams: BTreeMap<String, TeamSection>,
    /// `[jit]`: just-in-time user profiles.
    #[serde(default)]
    pub jit: JitSection,
    /// `[saml]`: the SAML ACS, if enabled.
    pub saml: Option<SamlSection>,
    /// `[oidc]`: the OIDC login, if enabled.
    pub oidc: Option<OidcSection>,
    /// `[replay]`: where single-use IDs are recorded.
    #[serde(default)]
    pub replay: ReplaySection,
    /// `[limits]`: request size, time and rate limits.
    #[serde(default)]
    pub limits: LimitsSection,
}

/// `[gateway]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// The gateway's public base URL, e.g. `https://studio-login.example.com`.
    pub public_url: Url,
    /// The address `studio-fed serve` listens on.
    #[serde(default = "default_listen")]
    pub listen: String,
    /// `ExpiresInSeconds` of the presigned URL (5 to 300).
    #[serde(default = "default_expires_in")]
    pub expires_in_seconds: i32,
    /// `SessionExpirationDurationInSeconds` of the Studio session (1800 to 43200).
    #[serde(default = "default_session_expiration")]
    pub session_expiration_seconds: i32,
    /// Base64 of the key that signs login cookies (at least 32 bytes). Random per process when
    /// absent, which only works with one instance.
    pub cookie_key: Option<String>,
    /// The AWS region of the domains (default: the standard AWS configuration's).
    pub region: Option<String>,
    /// The AWS account of the domains (used to print the gateway's IAM policy).
    pub account: Option<String>,
}

/// `[network]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// Client networks allowed to log in; empty allows every address.
    #[serde(default)]
    pub allowed_cidrs: Vec<IpNet>,
    /// Proxies whose `X-Forwarded-For` is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// The gateway's own egress addresses (NAT), added to its role's network condition.
    #[serde(default)]
    pub gateway_cidrs: Vec<IpNet>,
    /// How browsers reach Studio: over the internet (`aws:SourceIp`) or through VPC endpoints
    /// (`aws:VpcSourceIp`).
    #[serde(default)]
    pub studio_access: StudioNetwork,
    /// The VPC endpoints (vpce-...) browsers and the gateway use, pinned in the policies.
    #[serde(default)]
    pub vpc_endpoints: Vec<String>,
}

/// How browsers reach Studio, which decides the policies' network condition key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StudioNetwork {
    /// Over the internet: `aws:SourceIp`.
    #[default]
    Public,
    /// Through interface VPC endpoints: `aws:VpcSourceIp` (and `aws:SourceVpce` when pinned).
    Vpc,
}

/// `[profiles]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilesSection {
    /// The profile-name template: `{username}` and `{team}` are replaced.
    #[serde(default = "default_template")]
    pub template: String,
    /// Domains a login may name itself (SAML `domain_attribute`, OIDC `domain_claim`).
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// The domain used when neither the login nor its team names one.
    pub default_domain: Option<String>,
    /// Seconds a profile found with the right team tag is trusted without asking SageMaker again.
    #[serde(default = "default_cache_seconds")]
    pub cache_seconds: u64,
}

impl Default for ProfilesSection {
    fn default() -> Self {
        ProfilesSection {
            template: default_template(),
            allowed_domains: Vec::new(),
            default_domain: None,
            cache_seconds: default_cache_seconds(),
        }
    }
}

/// `[teams.<name>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSection {
    /// The team's Studio domain.
    pub domain: Option<String>,
    /// The execution role of profiles created just in time.
    pub execution_role: Option<String>,
    /// The persona tag of profiles created just in time.
    pub persona: Option<String>,
    /// The values of the team attribute or claim that mean this team, as the identity provider
    /// sends them: Entra ID group object ids, Keycloak group paths (`/ml/vision`), Okta group
    /// names. When empty, the team's own name is the one value; when set, only these values
    /// select the team (not its name). A value may select one team only.
    #[serde(default)]
    pub idp_groups: Vec<String>,
}

impl TeamSection {
    /// The team attribute or claim values that select the team named `name`: its `idp_groups`, or
    /// its name when there are none.
    pub fn team_values<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        if self.idp_groups.is_empty() {
            vec![name]
        } else {
            self.idp_groups.iter().map(String::as_str).collect()
        }
    }
}

/// `[jit]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JitSection {
    /// Create a missing profile on first login (teams with an `execution_role` only).
    #[serde(default)]
    pub enabled: bool,
    /// How long a login waits for a new profile to be InService.
    #[serde(default = "default_jit_wait")]
    pub wait_seconds: u64,
}

impl Default for JitSection {
    fn default() -> Self {
        JitSection {
            enabled: false,
            wait_seconds: default_jit_wait(),
        }
    }
}

/// `[saml]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SamlSection {
    /// The IdP metadata file.
    pub metadata_file: Option<String>,
    /// The IdP metadata URL (fetched at start).
    pub metadata_url: Option<Url>,
    /// The SP entity ID the IdP puts in the Audience; defaults to the ACS URL.
    pub audience: Option<String>,
    /// Accept unsolicited (IdP-initiated) responses, as IAM Identity Center sends.
    #[serde(default)]
    pub allow_idp_initiated: bool,
    /// The attribute naming the user (`NameID` for the subject).
    #[serde(default = "default_user_attribute")]
    pub user_attribute: String,
    /// The attribute naming the domain (checked against `profiles.allowed_domains`).
    pub domain_attribute: Option<String>,
    /// The attribute naming the team (its values are matched against `[teams]`).
    pub team_attribute: Option<String>,
    /// Accept SHA-1 signatures and digests (never, unless the IdP cannot do better).
    #[serde(default)]
    pub allow_sha1: bool,
    /// Clock skew tolerated on time checks, in seconds.
    #[serde(default = "default_clock_skew")]
    pub clock_skew_seconds: i64,
    /// A PEM RSA private key (2048 bits or more) to sign the AuthnRequests of `GET /saml/login`
    /// with (HTTP-Redirect binding, RSA-SHA256). Set it when the IdP's metadata says
    /// `WantAuthnRequestsSigned="true"`, together with `request_signing_certificate_file`.
    pub request_signing_key_file: Option<String>,
    /// The PEM certificate of `request_signing_key_file`, published in the SP metadata
    /// (`GET /saml/metadata`) for the IdP to verify the requests with.
    pub request_signing_certificate_file: Option<String>,
}

/// `[oidc]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSection {
    /// The issuer, exactly as in its discovery document.
    pub issuer: String,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret (confidential clients); set it from the environment.
    pub client_secret: Option<String>,
    /// Scopes besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim naming the user.
    #[serde(default = "default_user_claim")]
    pub user_claim: String,
    /// The claim naming the team (a string or an array, e.g. `groups`).
    pub team_claim: Option<String>,
    /// The claim naming the domain (checked against `profiles.allowed_domains`).
    pub domain_claim: Option<String>,
    /// Extra root certificate (PEM file) to trust for the provider's TLS, e.g. a private CA.
    pub ca_file: Option<String>,
}

/// `[replay]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplaySection {
    /// Which store.
    #[serde(default)]
    pub store: ReplayStore,
    /// The DynamoDB table (store `dynamodb`).
    pub table: Option<String>,
}

/// Where single-use identifiers are recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReplayStore {
    /// In this process's memory: correct for one instance only.
    #[default]
    Memory,
    /// A DynamoDB table with a conditional put and TTL: shared by every instance.
    Dynamodb,
}

/// `[limits]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// The largest request body accepted.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// The longest a request may take.
    #[serde(default = "default_timeout")]
    pub request_timeout_seconds: u64,
    /// Logins allowed per client address per minute (0 disables the limit).
    #[serde(default = "default_rate")]
    pub rate_limit_per_minute: u32,
    /// Requests a client may make at once before the rate applies.
    #[serde(default = "default_burst")]
    pub rate_limit_burst: u32,
}

impl Default for LimitsSection {
    fn default() -> Self {
        LimitsSection {
            max_body_bytes: default_max_body(),
            request_timeout_seconds: default_timeout(),
            rate_limit_per_minute: default_rate(),
            rate_limit_burst: default_burst(),
        }
    }
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_expires_in() -> i32 {
    30
}
fn default_session_expiration() -> i32 {
    43_200
}
fn default_template() -> String {
    "{username}".into()
}
fn default_cache_seconds() -> u64 {
    30
}
fn default_jit_wait() -> u64 {
    120
}
fn default_user_attribute() -> String {
    "username".into()
}
fn default_clock_skew() -> i64 {
    60
}
fn default_scopes() -> Vec<String> {
    vec!["email".into(), "profile".into()]
}
fn default_user_claim() -> String {
    "preferred_username".into()
}
fn default_max_body() -> usize {
    384 * 1024
}
fn default_timeout() -> u64 {
    15
}
fn default_rate() -> u32 {
    30
}
fn default_burst() -> u32 {
    10
}

impl GatewayConfig {
    /// Reads `path`, applies the `STUDIO_FED__*` variables of the process environment, validates.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
            path: path.display().to_string(),
            source,
        })?;
        let mut config = Self::from_toml_with_env(&text, std::env::vars())
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        // Relative files are relative to the configuration file.
        if let Some(dir) = path.parent() {
            for (_, file) in config.files_mut() {
                *file = relative_to(dir, file);
            }
        }
        Ok(config)
    }

    /// The files the configuration names, as (`section.key`, path): the IdP metadata, the
    /// AuthnRequest signing key and certificate, the OIDC provider's CA. [`load`](Self::load)
    /// resolves a relative path against the configuration file's folder.
    pub fn files(&self) -> Vec<(&'static str, String)> {
        let mut config = self.clone();
        config
            .files_mut()
            .into_iter()
            .map(|(setting, file)| (setting, file.clone()))
            .collect()
    }

    fn files_mut(&mut self) -> Vec<(&'static str, &mut String)> {
        let mut files = Vec::new();
        if let Some(saml) = self.saml.as_mut() {
            files.extend([
                ("saml.metadata_file", saml.metadata_file.as_mut()),
                ("saml.request_signing_key_file", saml.request_signing_key_file.as_mut()),
                (
                    "saml.request_signing_certificate_file",
                    saml.request_signing_certificate_file.as_mut(),
                ),
            ]);
        }
        if let Some(oidc) = self.oidc.as_mut() {
            files.push(("oidc.ca_file", oidc.ca_file.as_mut()));
        }
        files
            .into_iter()
            .filter_map(|(setting, file)| Some((setting, file?)))
            .collect()
    }

    /// Parses TOML text, applies `STUDIO_FED__SECTION__KEY` overrides from `vars`, validates.
    pub fn from_toml_with_env(text: &str, vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, Error> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| Error::Config(e.to_string()))?;
        for (name, value) in vars {
            let Some(path) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let keys: Vec<String> = path.split("__").map(str::to_ascii_lowercase).collect();
            if keys.iter().any(String::is_empty) {
                return Err(Error::Config(format!(
                    "environment variable {name} must be {ENV_PREFIX}SECTION__KEY"
                )));
            }
            set_path(&mut table, &keys, parse_env_value(&value))
                .map_err(|e| Error::Config(format!("environment variable {name}: {e}")))?;
        }
        let config: GatewayConfig = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| Error::Config(e.message().to_owned()))?;
        config.validate()?;
        Ok(config)
    }

    /// `{public_url}/saml/acs`.
    pub fn acs_url(&self) -> String {
        self.url("saml/acs")
    }

    /// `{public_url}/oidc/callback`.
    pub fn oidc_callback_url(&self) -> String {
        self.url("oidc/callback")
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.gateway.public_url.as_str().trim_end_matches('/'))
    }

    /// Every domain a login can reach: team domains, the default and the allowlist.
    pub fn domains(&self) -> Vec<String> {
        let mut domains: Vec<String> = self
            .teams
            .values()
            .filter_map(|t| t.domain.clone())
            .chain(self.profiles.default_domain.clone())
            .chain(self.profiles.allowed_domains.iter().cloned())
            .collect();
        domains.sort();
        domains.dedup();
        domains
    }

    fn validate(&self) -> Result<(), Error> {
        let fail = |what: String| Err(Error::Config(what));
        let g = &self.gateway;
        if !matches!(g.public_url.scheme(), "https" | "http") {
            return fail(format!("gateway.public_url {} must be an http(s) URL", g.public_url));
        }
        if !(5..=300).contains(&g.expires_in_seconds) {
            return fail(format!(
                "gateway.expires_in_seconds is {}; CreatePresignedDomainUrl accepts 5 to 300",
                g.expires_in_seconds
            ));
        }
        if !(1800..=43_200).contains(&g.session_expiration_seconds) {
            return fail(format!(
                "gateway.session_expiration_seconds is {}; Studio accepts 1800 to 43200",
                g.session_expiration_seconds
            ));
        }
        if g.account
            .as_deref()
            .is_some_and(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
        {
            return fail(format!(
                "gateway.account {:?} must be a 12-digit AWS account id",
                g.account
            ));
        }
        if self.saml.is_none() && self.oidc.is_none() {
            return fail("neither [saml] nor [oidc] is configured: enable at least one login".into());
        }
        for domain in self.domains() {
            if !is_domain_id(&domain) {
                return fail(format!("{domain:?} is not a Studio domain id (d-[a-z0-9]+)"));
            }
        }
        if self.domains().is_empty() {
            return fail("no Studio domain is configured: set profiles.default_domain or a team's domain".into());
        }
        let names_domain = self.saml.as_ref().is_some_and(|s| s.domain_attribute.is_some())
            || self.oidc.as_ref().is_some_and(|o| o.domain_claim.is_some());
        if names_domain && self.profiles.allowed_domains.is_empty() {
            return fail(
                "the login may name its domain (saml.domain_attribute or oidc.domain_claim) but \
                 profiles.allowed_domains is empty: list the domains logins may ask for"
                    .into(),
            );
        }
        let template = &self.profiles.template;
        if !template.contains("{username}") {
            return fail(format!("profiles.template {template:?} must contain {{username}}"));
        }
        if template
            .replace("{username}", "")
            .replace("{team}", "")
            .contains(['{', '}'])
        {
            return fail(format!(
                "profiles.template {template:?} may only use {{username}} and {{team}}"
            ));
        }
        let mut selects: BTreeMap<&str, &str> = BTreeMap::new();
        for (team, section) in &self.teams {
            for value in section.team_values(team) {
                if value.trim().is_empty() {
                    return fail(format!("teams.{team}.idp_groups has an empty value"));
                }
                if let Some(other) = selects.insert(value, team) {
                    return fail(format!(
                        "the team value {value:?} selects both teams {other:?} and {team:?}; give each \
                         team distinct idp_groups"
                    ));
                }
            }
        }
        if self.jit.enabled && !self.teams.values().any(|t| t.execution_role.is_some()) {
            return fail("jit.enabled is true but no team has an execution_role for new profiles".into());
        }
        if let Some(saml) = &self.saml
            && saml.metadata_file.is_some() == saml.metadata_url.is_some()
        {
            return fail("[saml] needs exactly one of metadata_file and metadata_url".into());
        }
        if self.replay.store == ReplayStore::Dynamodb && self.replay.table.as_deref().is_none_or(str::is_empty) {
            return fail("replay.store is dynamodb but replay.table is not set".into());
        }
        if self.limits.max_body_bytes < 4096 || self.limits.request_timeout_seconds == 0 {
            return fail("limits.max_body_bytes must be at least 4096 and request_timeout_seconds above 0".into());
        }
        Ok(())
    }
}

/// `d-` followed by lowercase letters and digits.
pub fn is_domain_id(value: &str) -> bool {
    value
        .strip_prefix("d-")
        .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

fn relative_to(dir: &Path, file: &str) -> String {
    if Path::new(file).is_absolute() || dir.as_os_str().is_empty() {
        file.to_owned()
    } else {
        dir.join(file).display().to_string()
    }
}

fn parse_env_value(value: &str) -> toml::Value {
    format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(value.to_owned()))
}

/// Sets `keys` (a section path and a key) in `table`, creating the sections on the way.
pub(crate) fn set_path(table: &mut toml::Table, keys: &[String], value: toml::Value) -> Result<(), String> {
    match keys {
        [] => Err("empty key".into()),
        [last] => {
            table.insert(last.clone(), value);
            Ok(())
        }
        [first, rest @ ..] => match table
            .entry(first.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
        {
            toml::Value::Table(inner) => set_path(inner, rest, value),
            _ => Err(format!("`{first}` is not a table")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
[gateway]
public_url = "https://login.example.test/"
[network]
allowed_cidrs = ["203.0.113.0/24"]
[profiles]
default_domain = "d-abc123"
[saml]
metadata_file = "idp.xml"
"#;

    fn load(text: &str, vars: &[(&str, &str)]) -> Result<GatewayConfig, Error> {
        GatewayConfig::from_toml_with_env(text, vars.iter().map(|(k, v)| (k.to_string(), v.to_string())))
    }

    #[test]
    fn defaults_and_urls() {
        let config = load(BASE, &[]).unwrap();
        assert_eq!(config.acs_url(), "https://login.example.test/saml/acs");
        assert_eq!(config.gateway.expires_in_seconds, 30);
        assert_eq!(config.limits.rate_limit_per_minute, 30);
        assert_eq!(config.replay.store, ReplayStore::Memory);
        assert_eq!(config.domains(), ["d-abc123"]);
    }

    #[test]
    fn environment_overrides_the_file() {
        let config = load(
            BASE,
            &[
                (
                    "STUDIO_FED__NETWORK__ALLOWED_CIDRS",
                    r#"["10.0.0.0/8", "192.0.2.0/24"]"#,
                ),
                ("STUDIO_FED__GATEWAY__EXPIRES_IN_SECONDS", "60"),
                ("STUDIO_FED__GATEWAY__COOKIE_KEY", "c2VjcmV0"),
                ("STUDIO_FED__REPLAY__STORE", "dynamodb"),
                ("STUDIO_FED__REPLAY__TABLE", "replay"),
                ("UNRELATED", "x"),
            ],
        )
        .unwrap();
        assert_eq!(config.network.allowed_cidrs.len(), 2);
        assert_eq!(config.gateway.expires_in_seconds, 60);
        assert_eq!(config.gateway.cookie_key.as_deref(), Some("c2VjcmV0"));
        assert_eq!(config.replay.store, ReplayStore::Dynamodb);
    }

    #[test]
    fn idp_groups_replace_the_team_name() {
        let config = load(
            BASE,
            &[
                (
                    "STUDIO_FED__TEAMS__VISION__IDP_GROUPS",
                    r#"["/ml/vision", "/ml/vision-interns"]"#,
                ),
                ("STUDIO_FED__TEAMS__NLP__DOMAIN", "d-abc123"),
            ],
        )
        .unwrap();
        assert_eq!(
            config.teams["vision"].team_values("vision"),
            ["/ml/vision", "/ml/vision-interns"]
        );
        assert_eq!(config.teams["nlp"].team_values("nlp"), ["nlp"]);
    }

    /// A configuration text, environment variables, and what the error must say.
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);

    #[test]
    fn mistakes_are_named() {
        let cases: &[Case] = &[
            (BASE, &[("STUDIO_FED__GATEWAY__EXPIRES_IN_SECONDS", "900")], "5 to 300"),
            (
                BASE,
                &[("STUDIO_FED__NETWORK__ALLOWED_CIDRS", r#"["10.0.0.0/33"]"#)],
                "invalid",
            ),
            (BASE, &[("STUDIO_FED__PROFILES__TEMPLATE", "{user}")], "{username}"),
            (
                BASE,
                &[("STUDIO_FED__PROFILES__DEFAULT_DOMAIN", "abc")],
                "not a Studio domain id",
            ),
            (BASE, &[("STUDIO_FED__REPLAY__STORE", "dynamodb")], "replay.table"),
            (
                BASE,
                &[("STUDIO_FED__SAML__DOMAIN_ATTRIBUTE", "domain-id")],
                "allowed_domains",
            ),
            (BASE, &[("STUDIO_FED__JIT__ENABLED", "true")], "execution_role"),
            (BASE, &[("STUDIO_FED__GATEWAY__LISTN", "x")], "unknown field `listn`"),
            (
                BASE,
                &[
                    ("STUDIO_FED__TEAMS__VISION__IDP_GROUPS", r#"["/ml/vision"]"#),
                    ("STUDIO_FED__TEAMS__NLP__IDP_GROUPS", r#"["/ml/nlp", "/ml/vision"]"#),
                ],
                "selects both teams",
            ),
            (
                BASE,
                &[
                    ("STUDIO_FED__TEAMS__VISION__DOMAIN", "d-abc123"),
                    ("STUDIO_FED__TEAMS__NLP__IDP_GROUPS", r#"["vision"]"#),
                ],
                "selects both teams",
            ),
            (
                BASE,
                &[("STUDIO_FED__TEAMS__VISION__IDP_GROUPS", r#"[" "]"#)],
                "empty value",
            ),
            (
                "[gateway]\npublic_url = \"https://x.test\"\n[profiles]\ndefault_domain = \"d-a\"\n",
                &[],
                "[oidc]",
            ),
        ];
        for (text, vars, expected) in cases {
            let error = load(text, vars).unwrap_err().to_string();
            assert!(error.contains(expected), "{vars:?}: {error}");
        }
    }
}
