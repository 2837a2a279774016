//! The identity policy of the studio-fed-access login gateway's role, and the
//! network it (and the browsers it redirects) must connect from.
//!
//! The gateway validates a SAML or OIDC login, calls
//! `sagemaker:CreatePresignedDomainUrl` for the user's profile and redirects
//! the browser to the URL. Studio evaluates the IAM policy of the caller of
//! `CreatePresignedDomainUrl` again on every request the browser later makes
//! with that URL, so the network condition of the gateway's policy binds both
//! the gateway's own call and the users' browsers: a [`SourceNetwork`] must
//! cover both.

use ipnet::IpNet;

use super::guardrail::{check_domain_id, cidr_list, is_tag_text};
use super::inputs::{Arn, ArnShape, ROLE_ARN, RoleInputs, check_arn, check_resource_id};
use super::trust::SAGEMAKER_SERVICE;
use super::unique;
use crate::document::{ConditionOperator, Operator, PolicyDocument, Statement};
use crate::error::{Error, Result};

const DYNAMODB_TABLE_ARN: ArnShape = ArnShape {
    service: "dynamodb",
    regional: true,
    resource_prefix: "table/",
    example: "arn:aws:dynamodb:us-east-1:123456789012:table/studio-fed-replay",
};

/// Private IPv4 ranges and IPv6 unique local addresses: never an
/// `aws:SourceIp` (requests through VPC endpoints carry `aws:VpcSourceIp`).
const PRIVATE_RANGES: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// Where requests to open Studio come from: the browsers of the users and the
/// gateway itself.
///
/// - [`SourceNetwork::public`]: public clients, matched on `aws:SourceIp`.
///   List the users' egress CIDRs (office, VPN) *and* the gateway's NAT
///   addresses.
/// - [`SourceNetwork::vpc`]: traffic through interface VPC endpoints (the
///   SageMaker API endpoint the gateway calls and the Studio endpoint the
///   browsers use), matched on `aws:VpcSourceIp`. `aws:VpcSourceIp` only says
///   "a private address in *some* VPC": any VPC with overlapping addressing
///   passes. Pin the endpoints with
///   [`with_vpc_endpoints`](SourceNetwork::with_vpc_endpoints) (`aws:SourceVpce`;
///   list both the API and the Studio endpoint) to close that gap. An endpoint
///   belongs to exactly one VPC, so pinning endpoints also pins the VPC and
///   `aws:SourceVpc` adds nothing.
///
/// Validated where it is used ([`GatewayPolicyBuilder::build`],
/// [`super::Guardrail::presigned_url_from`]).
///
/// ```
/// use studio_fed_policy::build::SourceNetwork;
///
/// let office = SourceNetwork::public(["203.0.113.0/24", "198.51.100.7"]);
/// assert_eq!(office.source_ip_key(), "aws:SourceIp");
/// let private = SourceNetwork::vpc(["10.20.0.0/16"]).with_vpc_endpoints(["vpce-0a1b2c3d4e5f60718"]);
/// assert_eq!(private.source_ip_key(), "aws:VpcSourceIp");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceNetwork {
    vpc: bool,
    cidrs: Vec<String>,
    vpc_endpoints: Vec<String>,
}

impl SourceNetwork {
    /// Public clients whose source address is in `cidrs` (`aws:SourceIp`).
    /// CIDRs or single addresses, IPv4 or IPv6.
    pub fn public<I, S>(cidrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SourceNetwork {
            vpc: false,
            cidrs: cidrs.into_iter().map(Into::into).collect(),
            vpc_endpoints: Vec::new(),
        }
    }

    /// Clients inside a VPC, through interface VPC endpoints, whose private
    /// address is in `cidrs` (`aws:VpcSourceIp`).
    pub fn vpc<I, S>(cidrs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        SourceNetwork {
            vpc: true,
            ..SourceNetwork::public(cidrs)
        }
    }

    /// Adds interface VPC endpoint ids (`vpce-...`) requests must come
    /// through (`aws:SourceVpce`); only for [`SourceNetwork::vpc`].
    pub fn with_vpc_endpoints<I, S>(mut self, endpoint_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.vpc_endpoints.extend(endpoint_ids.into_iter().map(Into::into));
        self
    }

    /// True for a VPC network ([`SourceNetwork::vpc`]).
    pub fn is_vpc(&self) -> bool {
        self.vpc
    }

    /// The CIDRs.
    pub fn cidrs(&self) -> &[String] {
        &self.cidrs
    }

    /// The VPC endpoint ids, if pinned.
    pub fn vpc_endpoints(&self) -> &[String] {
        &self.vpc_endpoints
    }

    /// The condition key the CIDRs are matched against: `aws:SourceIp` or
    /// `aws:VpcSourceIp`.
    pub fn source_ip_key(&self) -> &'static str {
        if self.vpc { "aws:VpcSourceIp" } else { "aws:SourceIp" }
    }

    /// The network with its CIDRs and endpoints checked and deduplicated.
    pub(super) fn validated(&self) -> Result<SourceNetwork> {
        let cidrs = cidr_list(self.cidrs.iter().cloned())?;
        if cidrs.is_empty() {
            return Err(if self.vpc {
                Error::input("CIDR", "", "give at least one VPC CIDR, e.g. 10.0.0.0/16")
            } else {
                Error::input("CIDR", "", "give at least one CIDR, e.g. 203.0.113.0/24")
            });
        }
        if !self.vpc {
            for cidr in &cidrs {
                if let Some(range) = private_range(cidr) {
                    return Err(Error::input(
                        "CIDR",
                        cidr,
                        format!(
                            "is inside the private range {range}, which is never an aws:SourceIp; for traffic \
                             through VPC endpoints use SourceNetwork::vpc (aws:VpcSourceIp), otherwise give the \
                             public (NAT) addresses"
                        ),
                    ));
                }
            }
        }
        let vpc_endpoints: Vec<String> = unique(self.vpc_endpoints.iter().cloned());
        if !self.vpc && !vpc_endpoints.is_empty() {
            return Err(Error::input(
                "VPC endpoint",
                vpc_endpoints.join(","),
                "VPC endpoints apply to a VPC network; use SourceNetwork::vpc (aws:VpcSourceIp), or drop the \
                 endpoints for public clients",
            ));
        }
        for endpoint in &vpc_endpoints {
            check_resource_id("VPC endpoint", endpoint, "vpce-")?;
        }
        Ok(SourceNetwork {
            vpc: self.vpc,
            cidrs,
            vpc_endpoints,
        })
    }
}

/// The private range a CIDR (or address) lies entirely inside, if any.
fn private_range(cidr: &str) -> Option<&'static str> {
    let net: IpNet = match cidr.parse::<std::net::IpAddr>() {
        Ok(ip) => IpNet::from(ip),
        Err(_) => cidr.parse().ok()?,
    };
    PRIVATE_RANGES
        .into_iter()
        .find(|range| range.parse::<IpNet>().is_ok_and(|range| range.contains(&net)))
}

/// The identity policy of the studio-fed-access gateway's role; build it with
/// [`GatewayPolicy::builder`].
///
/// The policy allows, for the user profiles of the allowed domains only
/// (`arn:{partition}:sagemaker:{region}:{account}:user-profile/{domain}/*`):
///
/// - `AllowPresignedUrlFromNetwork`: `sagemaker:CreatePresignedDomainUrl`
///   with the [`SourceNetwork`]'s condition (`IpAddress aws:SourceIp`, or
///   `IpAddress aws:VpcSourceIp` and `StringEquals aws:SourceVpce` when
///   endpoints are pinned). Requests without the key are not allowed. This is
///   the only network-bound statement: it is what makes the URLs usable only
///   from the network; the others reveal or create no session, and their
///   paths (DynamoDB gateway endpoints, for one) carry other keys.
/// - `AllowReadProfiles`: `sagemaker:DescribeUserProfile` and
///   `sagemaker:ListTags`, to check the profile and its team tag.
/// - With just-in-time profiles ([`GatewayPolicyBuilder::jit_teams`]):
///   `AllowCreateTeamProfiles` (`sagemaker:CreateUserProfile`) and
///   `AllowTagProfilesOnCreate` (`sagemaker:AddTags` while creating only,
///   `sagemaker:TaggingAction = CreateUserProfile`), both only when the
///   request's team tag (`aws:RequestTag/{team tag key}`) is an allowed team
///   and every tag key is allowed (`ForAllValues:StringEquals aws:TagKeys`);
///   and `AllowPassExecutionRoles`: `iam:PassRole` of the given execution
///   roles to `sagemaker.amazonaws.com` only.
/// - With a replay store ([`GatewayPolicyBuilder::replay_table`]):
///   `AllowReplayStorePut`, `dynamodb:PutItem` on that table.
///
/// ```
/// use studio_fed_policy::build::{GatewayPolicy, SourceNetwork};
/// use studio_fed_policy::lint::{self, PolicyKind};
///
/// let policy = GatewayPolicy::builder()
///     .region("eu-west-1")
///     .account("111122223333")
///     .domain("d-abc123def456")
///     .network(SourceNetwork::public(["203.0.113.0/24"]))
///     .jit_teams(["vision"])
///     .jit_execution_roles(["arn:aws:iam::111122223333:role/acme-vision-data-scientist"])
///     .replay_table("arn:aws:dynamodb:eu-west-1:111122223333:table/studio-fed-replay")
///     .build()?;
/// assert!(policy.to_json().contains(r#""IpAddress":{"aws:SourceIp":"203.0.113.0/24"}"#));
/// assert!(lint::check_document(PolicyKind::Managed, "studio-fed-gateway", &policy).is_none());
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GatewayPolicy;

impl GatewayPolicy {
    /// The tag key that names a profile's team unless another is set: the
    /// one studio-fed's deployments put on every team resource.
    pub const DEFAULT_TEAM_TAG_KEY: &'static str = "studio-fed:team";

    /// A builder with nothing set.
    pub fn builder() -> GatewayPolicyBuilder {
        GatewayPolicyBuilder::default()
    }
}

/// Builds the gateway's identity policy (see [`GatewayPolicy`]);
/// [`GatewayPolicyBuilder::build`] validates everything.
///
/// List setters append; calling one twice adds to the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GatewayPolicyBuilder {
    partition: Option<String>,
    region: Option<String>,
    account: Option<String>,
    domains: Vec<String>,
    network: Option<SourceNetwork>,
    team_tag_key: Option<String>,
    jit_teams: Vec<String>,
    jit_tag_keys: Vec<String>,
    jit_execution_roles: Vec<String>,
    replay_table: Option<String>,
}

impl GatewayPolicyBuilder {
    /// The partition: `aws` (default), `aws-cn` or `aws-us-gov`.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// The region of the Studio domains, e.g. `us-east-1`; required.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The 12-digit account id of the Studio domains; required.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Adds a Studio domain id (`d-...`) whose profiles the gateway may open.
    pub fn domain(self, domain_id: impl Into<String>) -> Self {
        self.domains([domain_id.into()])
    }

    /// Adds Studio domain ids (`d-...`) whose profiles the gateway may open.
    pub fn domains<I, S>(mut self, domain_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.domains.extend(domain_ids.into_iter().map(Into::into));
        self
    }

    /// The network presigned URLs may be created and used from; required.
    pub fn network(mut self, network: SourceNetwork) -> Self {
        self.network = Some(network);
        self
    }

    /// The tag key naming a profile's team
    /// ([`GatewayPolicy::DEFAULT_TEAM_TAG_KEY`] unless set).
    pub fn team_tag_key(mut self, key: impl Into<String>) -> Self {
        self.team_tag_key = Some(key.into());
        self
    }

    /// Enables just-in-time profiles: adds teams (values of the team tag) the
    /// gateway may create user profiles for.
    pub fn jit_teams<I, S>(mut self, teams: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.jit_teams.extend(teams.into_iter().map(Into::into));
        self
    }

    /// Adds tag keys just-in-time profiles may carry besides the team tag
    /// (e.g. `studio-fed:deployment`, `studiouserid`). Needs
    /// [`jit_teams`](Self::jit_teams).
    pub fn jit_tag_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.jit_tag_keys.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Adds execution role ARNs just-in-time profiles may be given
    /// (`iam:PassRole` to SageMaker only); roles of the gateway's account.
    /// Profiles that use their domain's default role need none. Needs
    /// [`jit_teams`](Self::jit_teams).
    pub fn jit_execution_roles<I, S>(mut self, role_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.jit_execution_roles.extend(role_arns.into_iter().map(Into::into));
        self
    }

    /// The DynamoDB table ARN of the login replay store (`dynamodb:PutItem`).
    pub fn replay_table(mut self, table_arn: impl Into<String>) -> Self {
        self.replay_table = Some(table_arn.into());
        self
    }

    /// Validates the inputs and builds the policy. The first problem found
    /// is returned, naming the field and the value and saying what to do.
    pub fn build(self) -> Result<PolicyDocument> {
        let mut inputs = RoleInputs::builder();
        if let Some(partition) = self.partition {
            inputs = inputs.partition(partition);
        }
        let Some(region) = self.region else {
            return Err(Error::input(
                "region",
                "",
                "the gateway policy needs the region of the Studio domains; set it with .region(\"us-east-1\")",
            ));
        };
        let Some(account) = self.account else {
            return Err(Error::input(
                "account",
                "",
                "the gateway policy needs the account of the Studio domains; set it with .account(\"123456789012\")",
            ));
        };
        let inputs = inputs.region(region).account(&account).build()?;
        let partition = inputs.partition();

        let domains = unique(self.domains);
        if domains.is_empty() {
            return Err(Error::input(
                "domain id",
                "",
                "give at least one Studio domain id the gateway may open profiles of, e.g. .domain(\"d-xxxxxxxxxxxx\")",
            ));
        }
        for domain in &domains {
            check_domain_id(domain)?;
        }
        let profiles: Vec<String> = domains
            .iter()
            .map(|domain| inputs.arn("sagemaker", &format!("user-profile/{domain}/*")))
            .collect();

        let network = self
            .network
            .ok_or_else(|| {
                Error::input(
                    "source network",
                    "",
                    "set the network the browsers and the gateway connect from with \
                     .network(SourceNetwork::public([...])) or .network(SourceNetwork::vpc([...]))",
                )
            })?
            .validated()?;

        let mut presigned = Statement::allow()
            .with_sid("AllowPresignedUrlFromNetwork")
            .with_actions(["sagemaker:CreatePresignedDomainUrl"])
            .with_resources(profiles.iter().cloned())
            .with_condition(Operator::IpAddress, network.source_ip_key(), network.cidrs());
        if !network.vpc_endpoints().is_empty() {
            presigned = presigned.with_condition(Operator::StringEquals, "aws:SourceVpce", network.vpc_endpoints());
        }
        let mut statements = vec![
            presigned,
            Statement::allow()
                .with_sid("AllowReadProfiles")
                .with_actions(["sagemaker:DescribeUserProfile", "sagemaker:ListTags"])
                .with_resources(profiles.iter().cloned()),
        ];

        let team_key = self
            .team_tag_key
            .unwrap_or_else(|| GatewayPolicy::DEFAULT_TEAM_TAG_KEY.to_owned());
        check_tag_key("team tag key", &team_key)?;
        statements.extend(jit_statements(
            &profiles,
            &team_key,
            Jit {
                teams: unique(self.jit_teams),
                tag_keys: unique(self.jit_tag_keys),
                execution_roles: unique(self.jit_execution_roles),
            },
            partition,
            &account,
        )?);

        if let Some(table) = self.replay_table {
            check_table_arn(&table, partition)?;
            statements.push(
                Statement::allow()
                    .with_sid("AllowReplayStorePut")
                    .with_actions(["dynamodb:PutItem"])
                    .with_resources([table]),
            );
        }
        Ok(PolicyDocument::new(statements))
    }
}

/// The just-in-time profile inputs.
struct Jit {
    teams: Vec<String>,
    tag_keys: Vec<String>,
    execution_roles: Vec<String>,
}

/// The just-in-time statements: none without teams.
fn jit_statements(
    profiles: &[String],
    team_key: &str,
    jit: Jit,
    partition: &str,
    account: &str,
) -> Result<Vec<Statement>> {
    if jit.teams.is_empty() {
        if let Some(given) = jit.tag_keys.first().or(jit.execution_roles.first()) {
            return Err(Error::input(
                "just-in-time teams",
                given.as_str(),
                "just-in-time tag keys and execution roles need the teams profiles may be created for; set \
                 .jit_teams([...]) or drop them",
            ));
        }
        return Ok(Vec::new());
    }
    for team in &jit.teams {
        if !is_tag_text(team) {
            return Err(Error::input(
                "just-in-time team",
                team,
                "expected a team tag value such as vision (1-128 letters, digits or : / _ - . @ + =)",
            ));
        }
    }
    for key in &jit.tag_keys {
        check_tag_key("just-in-time tag key", key)?;
    }
    for role in &jit.execution_roles {
        check_arn("execution role", role, &ROLE_ARN, Some(partition))?;
        if Arn::parse(role).is_some_and(|arn| arn.account != account) {
            return Err(Error::input(
                "execution role",
                role,
                format!("is not in the gateway's account {account}; SageMaker only accepts roles of its own account"),
            ));
        }
    }
    let tag_keys = unique(std::iter::once(team_key.to_owned()).chain(jit.tag_keys));
    let request_tag = format!("aws:RequestTag/{team_key}");
    let only_keys = ConditionOperator::for_all_values(Operator::StringEquals);
    let mut out = vec![
        Statement::allow()
            .with_sid("AllowCreateTeamProfiles")
            .with_actions(["sagemaker:CreateUserProfile"])
            .with_resources(profiles.iter().cloned())
            .with_condition(Operator::StringEquals, request_tag.clone(), jit.teams.iter().cloned())
            .with_condition(only_keys, "aws:TagKeys", tag_keys.iter().cloned()),
        // Tags given to CreateUserProfile also need AddTags; on create only,
        // so the gateway cannot retag existing profiles into a team.
        Statement::allow()
            .with_sid("AllowTagProfilesOnCreate")
            .with_actions(["sagemaker:AddTags"])
            .with_resources(profiles.iter().cloned())
            .with_condition(Operator::StringEquals, "sagemaker:TaggingAction", ["CreateUserProfile"])
            .with_condition(Operator::StringEquals, request_tag, jit.teams.iter().cloned())
            .with_condition(only_keys, "aws:TagKeys", tag_keys),
    ];
    if !jit.execution_roles.is_empty() {
        out.push(
            Statement::allow()
                .with_sid("AllowPassExecutionRoles")
                .with_actions(["iam:PassRole"])
                .with_resources(jit.execution_roles)
                .with_condition(Operator::StringEquals, "iam:PassedToService", [SAGEMAKER_SERVICE]),
        );
    }
    Ok(out)
}

fn check_tag_key(field: &'static str, key: &str) -> Result<()> {
    if !is_tag_text(key) {
        return Err(Error::input(
            field,
            key,
            "expected a tag key such as studio-fed:team (1-128 letters, digits or : / _ - . @ + =)",
        ));
    }
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err(Error::input(
            field,
            key,
            "tag keys starting with aws: are reserved by AWS; use another prefix",
        ));
    }
    Ok(())
}

fn check_table_arn(value: &str, partition: &str) -> Result<()> {
    const FIELD: &str = "replay table";
    check_arn(FIELD, value, &DYNAMODB_TABLE_ARN, Some(partition))?;
    let name = Arn::parse(value)
        .and_then(|arn| arn.resource.strip_prefix(DYNAMODB_TABLE_ARN.resource_prefix))
        .unwrap_or_default();
    let ok = (3..=255).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(Error::input(
            FIELD,
            value,
            format!(
                "expected a DynamoDB table ARN such as {} (a table, not an index or stream; 3-255 letters, digits, \
                 _ - or .)",
                DYNAMODB_TABLE_ARN.example
            ),
        ))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::IpAddr;

    use super::*;
    use crate::eval::{Context, Evaluator, Outcome, PolicySet, Request};
    use crate::lint::{self, PolicyKind};

    const ACCOUNT: &str = "111122223333";
    const DOMAIN: &str = "d-abc123def456";
    const OTHER_DOMAIN: &str = "d-zzz999";
    const ROLE: &str = "arn:aws:iam::111122223333:role/acme-vision-data-scientist";
    const TABLE: &str = "arn:aws:dynamodb:eu-west-1:111122223333:table/studio-fed-replay";

    fn base() -> GatewayPolicyBuilder {
        GatewayPolicy::builder()
            .region("eu-west-1")
            .account(ACCOUNT)
            .domain(DOMAIN)
            .network(SourceNetwork::public(["203.0.113.0/24"]))
    }

    fn full() -> PolicyDocument {
        base()
            .jit_teams(["vision", "nlp"])
            .jit_tag_keys(["studio-fed:deployment"])
            .jit_execution_roles([ROLE])
            .replay_table(TABLE)
            .build()
            .unwrap()
    }

    fn evaluator(policy: PolicyDocument) -> Evaluator {
        PolicySet::new().identity("studio-fed-gateway", policy).compile()
    }

    fn profile(domain: &str, name: &str) -> String {
        format!("arn:aws:sagemaker:eu-west-1:{ACCOUNT}:user-profile/{domain}/{name}")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn presigned(domain: &str, context: Context) -> Request {
        Request::new("sagemaker:CreatePresignedDomainUrl", profile(domain, "alice")).with_context(context)
    }

    fn err(builder: GatewayPolicyBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn presigned_urls_only_from_inside_the_cidrs_for_allowed_domains() {
        let eval = evaluator(full());
        let inside = || Context::new().with_ip("aws:SourceIp", ip("203.0.113.7"));
        let decision = eval.evaluate(&presigned(DOMAIN, inside()));
        assert_eq!(decision.outcome, Outcome::Allow, "{}", decision.reason);
        assert_eq!(
            decision.statements[0].sid.as_deref(),
            Some("AllowPresignedUrlFromNetwork")
        );
        let outside = Context::new().with_ip("aws:SourceIp", ip("198.51.100.7"));
        assert_eq!(
            eval.evaluate(&presigned(DOMAIN, outside)).outcome,
            Outcome::ImplicitDeny
        );
        assert_eq!(
            eval.evaluate(&presigned(OTHER_DOMAIN, inside())).outcome,
            Outcome::ImplicitDeny
        );
        assert_eq!(
            eval.evaluate(&presigned(DOMAIN, Context::new())).outcome,
            Outcome::ImplicitDeny,
            "no source IP"
        );
        let through_vpc = Context::new().with_ip("aws:VpcSourceIp", ip("203.0.113.7"));
        assert_eq!(
            eval.evaluate(&presigned(DOMAIN, through_vpc)).outcome,
            Outcome::ImplicitDeny,
            "the public policy does not match aws:VpcSourceIp"
        );
        // Another account's or region's profile in a domain with the same id.
        let elsewhere = Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            format!("arn:aws:sagemaker:us-east-1:{ACCOUNT}:user-profile/{DOMAIN}/alice"),
        )
        .with_context(inside());
        assert_eq!(eval.evaluate(&elsewhere).outcome, Outcome::ImplicitDeny);
    }

    #[test]
    fn vpc_network_needs_the_vpc_address_and_the_pinned_endpoint() {
        let policy = base()
            .network(SourceNetwork::vpc(["10.20.0.0/16"]).with_vpc_endpoints(["vpce-0a1b2c3d4e5f60718"]))
            .build()
            .unwrap();
        let eval = evaluator(policy);
        let context = |endpoint: &str| {
            Context::new()
                .with_ip("aws:VpcSourceIp", ip("10.20.3.4"))
                .with_string("aws:SourceVpce", endpoint)
        };
        assert_eq!(
            eval.evaluate(&presigned(DOMAIN, context("vpce-0a1b2c3d4e5f60718")))
                .outcome,
            Outcome::Allow
        );
        assert_eq!(
            eval.evaluate(&presigned(DOMAIN, context("vpce-99999999"))).outcome,
            Outcome::ImplicitDeny,
            "another VPC with overlapping addresses"
        );
        let public = Context::new().with_ip("aws:SourceIp", ip("10.20.3.4"));
        assert_eq!(eval.evaluate(&presigned(DOMAIN, public)).outcome, Outcome::ImplicitDeny);
    }

    #[test]
    fn the_gateway_reads_profiles_and_tags_of_allowed_domains() {
        let eval = evaluator(base().build().unwrap());
        for action in ["sagemaker:DescribeUserProfile", "sagemaker:ListTags"] {
            let own = Request::new(action, profile(DOMAIN, "alice"));
            assert_eq!(eval.evaluate(&own).outcome, Outcome::Allow, "{action}");
            let other = Request::new(action, profile(OTHER_DOMAIN, "alice"));
            assert_eq!(eval.evaluate(&other).outcome, Outcome::ImplicitDeny, "{action}");
        }
        let create = Request::new("sagemaker:CreateUserProfile", profile(DOMAIN, "alice"))
            .with_context(Context::new().with_string("aws:RequestTag/studio-fed:team", "vision"));
        assert_eq!(
            eval.evaluate(&create).outcome,
            Outcome::ImplicitDeny,
            "no JIT without teams"
        );
    }

    #[test]
    fn jit_profiles_only_with_an_allowed_team_tag() {
        let eval = evaluator(full());
        let create = |domain: &str, tags: &[(&str, &str)]| {
            let mut context = Context::new().with_strings("aws:TagKeys", tags.iter().map(|(k, _)| *k));
            for (key, value) in tags {
                context = context.with_string(&format!("aws:RequestTag/{key}"), *value);
            }
            Request::new("sagemaker:CreateUserProfile", profile(domain, "carol")).with_context(context)
        };
        let team = ("studio-fed:team", "vision");
        let deployment = ("studio-fed:deployment", "acme");
        assert_eq!(eval.evaluate(&create(DOMAIN, &[team])).outcome, Outcome::Allow);
        assert_eq!(
            eval.evaluate(&create(DOMAIN, &[team, deployment])).outcome,
            Outcome::Allow
        );
        for (why, request) in [
            ("another team", create(DOMAIN, &[("studio-fed:team", "finance")])),
            ("no tags", create(DOMAIN, &[])),
            ("no team tag", create(DOMAIN, &[deployment])),
            ("an extra tag key", create(DOMAIN, &[team, ("owner", "mallory")])),
            ("another domain", create(OTHER_DOMAIN, &[team])),
        ] {
            assert_eq!(eval.evaluate(&request).outcome, Outcome::ImplicitDeny, "{why}");
        }

        let tag = |tagging_action: Option<&str>| {
            let mut context = Context::new()
                .with_strings("aws:TagKeys", ["studio-fed:team"])
                .with_string("aws:RequestTag/studio-fed:team", "vision");
            if let Some(action) = tagging_action {
                context = context.with_string("sagemaker:TaggingAction", action);
            }
            Request::new("sagemaker:AddTags", profile(DOMAIN, "carol")).with_context(context)
        };
        assert_eq!(eval.evaluate(&tag(Some("CreateUserProfile"))).outcome, Outcome::Allow);
        assert_eq!(
            eval.evaluate(&tag(None)).outcome,
            Outcome::ImplicitDeny,
            "retagging an existing profile"
        );

        let pass = |role: &str, service: &str| {
            Request::new("iam:PassRole", role).with_context(Context::new().with_string("iam:PassedToService", service))
        };
        assert_eq!(eval.evaluate(&pass(ROLE, SAGEMAKER_SERVICE)).outcome, Outcome::Allow);
        assert_eq!(
            eval.evaluate(&pass(ROLE, "ec2.amazonaws.com")).outcome,
            Outcome::ImplicitDeny
        );
        assert_eq!(
            eval.evaluate(&pass("arn:aws:iam::111122223333:role/admin", SAGEMAKER_SERVICE))
                .outcome,
            Outcome::ImplicitDeny
        );
    }

    #[test]
    fn replay_store_put_only_on_its_table() {
        let eval = evaluator(full());
        assert_eq!(
            eval.evaluate(&Request::new("dynamodb:PutItem", TABLE)).outcome,
            Outcome::Allow
        );
        assert_eq!(
            eval.evaluate(&Request::new("dynamodb:GetItem", TABLE)).outcome,
            Outcome::ImplicitDeny
        );
        let other = "arn:aws:dynamodb:eu-west-1:111122223333:table/other";
        assert_eq!(
            eval.evaluate(&Request::new("dynamodb:PutItem", other)).outcome,
            Outcome::ImplicitDeny
        );
    }

    #[test]
    fn documents_pass_the_linter_and_use_the_partition() {
        let policy = full();
        assert!(lint::check_document(PolicyKind::Managed, "studio-fed-gateway", &policy).is_none());
        assert!(lint::check_document(PolicyKind::Inline, "studio-fed-gateway", &policy).is_none());
        let sids: Vec<&str> = policy.statements.iter().filter_map(|s| s.sid.as_deref()).collect();
        assert_eq!(
            sids,
            [
                "AllowPresignedUrlFromNetwork",
                "AllowReadProfiles",
                "AllowCreateTeamProfiles",
                "AllowTagProfilesOnCreate",
                "AllowPassExecutionRoles",
                "AllowReplayStorePut"
            ]
        );
        let gov = GatewayPolicy::builder()
            .partition("aws-us-gov")
            .region("us-gov-west-1")
            .account(ACCOUNT)
            .domains([DOMAIN, OTHER_DOMAIN, DOMAIN])
            .network(SourceNetwork::public(["2001:db8::/32"]))
            .build()
            .unwrap();
        assert_eq!(
            gov.statements[0].resources.as_ref().unwrap().patterns(),
            [
                format!("arn:aws-us-gov:sagemaker:us-gov-west-1:{ACCOUNT}:user-profile/{DOMAIN}/*"),
                format!("arn:aws-us-gov:sagemaker:us-gov-west-1:{ACCOUNT}:user-profile/{OTHER_DOMAIN}/*"),
            ]
        );
        assert_eq!(gov.to_json().parse::<PolicyDocument>().unwrap(), gov);
    }

    #[test]
    fn inputs_are_validated_with_what_to_do() {
        let e = err(GatewayPolicy::builder()
            .account(ACCOUNT)
            .domain(DOMAIN)
            .network(SourceNetwork::public(["203.0.113.0/24"])));
        assert!(e.contains("set it with .region("), "{e}");
        let e = err(base().account("1234"));
        assert_eq!(e, "invalid account \"1234\": expected a 12-digit AWS account id");
        let e = err(GatewayPolicy::builder()
            .region("eu-west-1")
            .account(ACCOUNT)
            .network(SourceNetwork::public(["203.0.113.0/24"])));
        assert!(e.contains("give at least one Studio domain id"), "{e}");
        let e = err(base().domain("domain-1"));
        assert!(e.starts_with("invalid domain id \"domain-1\""), "{e}");
        let e = err(base().domain("d-ABC"));
        assert!(e.starts_with("invalid domain id \"d-ABC\""), "{e}");
        let e = err(GatewayPolicy::builder()
            .region("eu-west-1")
            .account(ACCOUNT)
            .domain(DOMAIN));
        assert!(e.contains(".network(SourceNetwork::public"), "{e}");
        let e = err(base().network(SourceNetwork::public(Vec::<String>::new())));
        assert!(e.contains("give at least one CIDR"), "{e}");
        let e = err(base().network(SourceNetwork::public(["203.0.113.7/24"])));
        assert!(e.contains("did you mean 203.0.113.0/24?"), "{e}");
        let e = err(base().network(SourceNetwork::public(["not-a-cidr"])));
        assert!(e.starts_with("invalid CIDR \"not-a-cidr\""), "{e}");
        let e = err(base().network(SourceNetwork::public(["10.1.0.0/16"])));
        assert!(e.contains("use SourceNetwork::vpc"), "{e}");
        let e = err(base().network(SourceNetwork::public(["203.0.113.0/24"]).with_vpc_endpoints(["vpce-0a1b2c3d"])));
        assert!(e.contains("VPC endpoints apply to a VPC network"), "{e}");
        let e = err(base().network(SourceNetwork::vpc(["10.0.0.0/16"]).with_vpc_endpoints(["vpc-0a1b2c3d"])));
        assert!(e.starts_with("invalid VPC endpoint \"vpc-0a1b2c3d\""), "{e}");
        let e = err(base().jit_execution_roles([ROLE]));
        assert!(e.contains("set .jit_teams([...])"), "{e}");
        let e = err(base()
            .jit_teams(["vision"])
            .jit_execution_roles(["arn:aws:iam::444455556666:role/x"]));
        assert!(e.contains("not in the gateway's account 111122223333"), "{e}");
        let e = err(base()
            .jit_teams(["vision"])
            .jit_execution_roles(["arn:aws:iam::111122223333:user/x"]));
        assert!(e.starts_with("invalid execution role"), "{e}");
        let e = err(base().jit_teams(["vision team"]));
        assert!(e.starts_with("invalid just-in-time team \"vision team\""), "{e}");
        let e = err(base()
            .jit_teams(["vision"])
            .jit_tag_keys(["aws:cloudformation:stack-name"]));
        assert!(e.contains("reserved by AWS"), "{e}");
        let e = err(base().replay_table("arn:aws:dynamodb:eu-west-1:111122223333:table/replay/index/by-user"));
        assert!(e.contains("not an index or stream"), "{e}");
        let e = err(base().replay_table("arn:aws-cn:dynamodb:cn-north-1:111122223333:table/replay"));
        assert!(e.contains("partition \"aws-cn\""), "{e}");
    }
}
