//! The IAM policies a gateway configuration needs: its role's identity policy, and the service
//! control policy that denies `CreatePresignedDomainUrl` outside the authorised network.
//!
//! Studio evaluates the policy of the principal that called `CreatePresignedDomainUrl` on every
//! request the browser later makes, so the role's network condition protects the whole session,
//! not only the gateway's call: its CIDRs are the clients' (`network.allowed_cidrs`) plus the
//! gateway's own egress addresses (`network.gateway_cidrs`).

use studio_fed_policy::PolicyDocument;
use studio_fed_policy::build::{GatewayPolicy, SourceNetwork, scp};
use studio_fed_studio::deployment::{TAG_PERSONA, TAG_TEAM};

use crate::Error;
use crate::config::ReplayStore;
use crate::config::{GatewayConfig, StudioNetwork};
use crate::studio::TAG_CREATED_BY;

/// The network the policies allow `CreatePresignedDomainUrl` from.
pub fn source_network(config: &GatewayConfig) -> SourceNetwork {
    let network = &config.network;
    let cidrs: Vec<String> = network
        .allowed_cidrs
        .iter()
        .chain(&network.gateway_cidrs)
        .map(ToString::to_string)
        .collect();
    match network.studio_access {
        StudioNetwork::Public => SourceNetwork::public(cidrs),
        StudioNetwork::Vpc => SourceNetwork::vpc(cidrs).with_vpc_endpoints(network.vpc_endpoints.clone()),
    }
}

/// The identity policy of the gateway's role: presigned URLs only for the configured domains'
/// profiles and only from the authorised network, reading profiles and their tags, creating
/// team-tagged profiles when just-in-time profiles are on, and the replay table.
pub fn role_policy(config: &GatewayConfig) -> Result<PolicyDocument, Error> {
    let (region, account) = region_account(config)?;
    let mut builder = GatewayPolicy::builder()
        .region(region)
        .account(account)
        .domains(config.domains())
        .network(source_network(config))
        .team_tag_key(TAG_TEAM);
    if config.jit.enabled {
        let teams: Vec<(&String, &String)> = config
            .teams
            .iter()
            .filter_map(|(name, team)| team.execution_role.as_ref().map(|role| (name, role)))
            .collect();
        builder = builder
            .jit_teams(teams.iter().map(|(name, _)| name.as_str()))
            .jit_execution_roles(teams.iter().map(|(_, role)| role.as_str()))
            .jit_tag_keys([TAG_PERSONA, TAG_CREATED_BY]);
    }
    if let (ReplayStore::Dynamodb, Some(table)) = (config.replay.store, &config.replay.table) {
        builder = builder.replay_table(format!("arn:aws:dynamodb:{region}:{account}:table/{table}"));
    }
    builder
        .build()
        .map_err(|e| Error::Config(format!("gateway role policy: {e}")))
}

/// The service control policy: deny `CreatePresignedDomainUrl` to every principal of the account
/// from outside the authorised network.
pub fn service_control_policy(config: &GatewayConfig) -> Result<PolicyDocument, Error> {
    scp::presigned_url_from_network(&source_network(config))
        .map_err(|e| Error::Config(format!("service control policy: {e}")))
}

fn region_account(config: &GatewayConfig) -> Result<(&str, &str), Error> {
    match (&config.gateway.region, &config.gateway.account) {
        (Some(region), Some(account)) => Ok((region, account)),
        _ => Err(Error::Config(
            "[gateway] region and account are needed to write the gateway's IAM policy".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use studio_fed_policy::eval::{Context, Outcome, PolicySet, Request};

    fn config(extra: &str) -> GatewayConfig {
        let text = format!(
            r#"
[gateway]
public_url = "https://login.example.test"
region = "eu-west-1"
account = "111122223333"
[network]
allowed_cidrs = ["203.0.113.0/24"]
gateway_cidrs = ["198.51.100.10/32"]
[profiles]
default_domain = "d-team1"
[saml]
metadata_file = "idp.xml"
{extra}
"#
        );
        GatewayConfig::from_toml_with_env(&text, []).unwrap()
    }

    fn presign(domain: &str, ip: Option<&str>) -> Request {
        let request = Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            format!("arn:aws:sagemaker:eu-west-1:111122223333:user-profile/{domain}/alice"),
        );
        match ip {
            Some(ip) => request.with_context(Context::new().with_strings("aws:SourceIp", [ip])),
            None => request,
        }
    }

    #[test]
    fn the_role_policy_allows_presigned_urls_only_from_the_network_and_for_its_domains() {
        let evaluator = PolicySet::new()
            .identity("gateway", role_policy(&config("")).unwrap())
            .compile();
        let outcome = |r: &Request| evaluator.evaluate(r).outcome;
        assert_eq!(outcome(&presign("d-team1", Some("203.0.113.77"))), Outcome::Allow);
        assert_eq!(outcome(&presign("d-team1", Some("198.51.100.10"))), Outcome::Allow);
        assert_eq!(outcome(&presign("d-team1", Some("192.0.2.1"))), Outcome::ImplicitDeny);
        assert_eq!(outcome(&presign("d-team1", None)), Outcome::ImplicitDeny);
        assert_eq!(
            outcome(&presign("d-other", Some("203.0.113.77"))),
            Outcome::ImplicitDeny
        );
    }

    #[test]
    fn the_scp_denies_everyone_outside_the_network() {
        let allow_all = PolicyDocument::from_json(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .unwrap();
        let scp = service_control_policy(&config("")).unwrap();
        let evaluator = PolicySet::new()
            .identity("admin", allow_all.clone())
            .scp_level([("FullAWSAccess", allow_all), ("guardrails", scp)])
            .compile();
        assert_eq!(
            evaluator.evaluate(&presign("d-any", Some("192.0.2.1"))).outcome,
            Outcome::ExplicitDeny
        );
        assert_eq!(
            evaluator.evaluate(&presign("d-any", Some("203.0.113.7"))).outcome,
            Outcome::Allow
        );
    }

    #[test]
    fn jit_and_the_replay_table_add_their_permissions() {
        let config = config(
            "[teams.vision]\nexecution_role = \"arn:aws:iam::111122223333:role/vision-ds\"\n\
             [jit]\nenabled = true\n[replay]\nstore = \"dynamodb\"\ntable = \"replay\"\n",
        );
        let json = role_policy(&config).unwrap().to_json();
        for expected in [
            "sagemaker:CreateUserProfile",
            "iam:PassRole",
            "vision-ds",
            "dynamodb:PutItem",
            "table/replay",
        ] {
            assert!(json.contains(expected), "{expected} missing in {json}");
        }
    }

    #[test]
    fn region_and_account_are_required() {
        let mut config = config("");
        config.gateway.account = None;
        assert!(
            role_policy(&config)
                .unwrap_err()
                .to_string()
                .contains("region and account")
        );
    }
}
