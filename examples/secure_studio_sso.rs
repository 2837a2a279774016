//! SageMaker Studio reachable only through the organisation's single sign-on, and only from the
//! authorised network: an IAM Identity Center custom SAML 2.0 application posts its response to
//! the studio-fed login gateway, which validates it, picks the user's profile and redirects to a
//! short-lived presigned URL.
//!
//! 1. apply an IAM-mode, VpcOnly domain with a user (`examples/secure_studio_sso.toml`);
//! 2. print the gateway role's IAM policy and the SCP that denies `CreatePresignedDomainUrl`
//!    outside the authorised network, with the evaluator's proof;
//! 3. start the gateway (`examples/secure_studio_sso_gateway.toml`) and log in through it with a
//!    signed IdP-initiated response from the local IdP, following the redirect to a URL that
//!    redeems;
//! 4. the same login refused from an unauthorised address, a replayed response refused, a
//!    tampered response refused;
//! 5. tear down.
//!
//! ```sh
//! cargo run --example secure_studio_sso
//! cargo run --example secure_studio_sso -- --target aws [--yes]
//! ```
//!
//! With `--target aws`, the local IdP still signs the logins (register its metadata as the
//! gateway's IdP only in a test account); edit the deployment's VPC, subnet and security-group ids.

#[path = "common/mod.rs"]
mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Parser;
use common::{Environment, TargetArgs, step};
use studio_fed::access::audit::MemoryAudit;
use studio_fed::access::replay::DynamoDbReplayCache;
use studio_fed::access::{Gateway, GatewayConfig, policy, server};
use studio_fed::policy::PolicyDocument;
use studio_fed::policy::eval::{Context, Outcome, PolicySet, Request};
use studio_fed::studio::deployment::Deployment;
use studio_fed::studio::directory::{Directory, SyncOptions, discover_identity_store, sync_directory};
use studio_fed::studio::reconcile::{ApplyOptions, apply, plan, plan_destroy};
use studio_fed_testkit::saml_idp::SamlIdp;

const DEPLOYMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/secure_studio_sso.toml");
const GATEWAY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/secure_studio_sso_gateway.toml");
const DIRECTORY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/secure_studio_sso_directory.json");
/// IAM Identity Center's issuer shape.
const IDP_ENTITY_ID: &str = "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/MDEyMzQ1Njc4OWFi";
/// A workstation on the corporate network, and a laptop elsewhere.
const OFFICE_CLIENT: &str = "10.20.4.17";
const OUTSIDE_CLIENT: &str = "198.51.100.23";

/// Studio through the SSO login gateway only, from the authorised network only.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The deployment file.
    #[arg(long, default_value = DEPLOYMENT)]
    deployment: PathBuf,
    /// The gateway configuration.
    #[arg(long, default_value = GATEWAY)]
    gateway: PathBuf,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::exit_code(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), String> {
    let env = Environment::start(&args.target).await?;
    let mut deployment = Deployment::from_file(&args.deployment).map_err(|e| e.to_string())?;
    let sdk_config = env.sdk_config_in(deployment.region.as_deref());

    step("1. Apply an IAM-mode, VpcOnly Studio domain with one user");
    if env.is_local() {
        // Identity Center's directory, standing in for the organisation's.
        let (_, store) = discover_identity_store(&sdk_config).await.map_err(|e| e.to_string())?;
        deployment.identity_center = None;
        let directory = Directory::from_path(DIRECTORY).map_err(|e| e.to_string())?;
        sync_directory(&sdk_config, &store, &directory, SyncOptions::default())
            .await
            .map_err(|e| e.to_string())?;
    }
    let first = plan(&sdk_config, &deployment).await.map_err(|e| e.to_string())?;
    print!("{first}");
    if !first.blockers.is_empty() {
        return Err("the plan is blocked".into());
    }
    env.confirm(&format!("apply {} change(s)", first.changes.len()))?;
    let report = apply(&sdk_config, &first, &ApplyOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    print!("{report}");
    let applied = plan(&sdk_config, &deployment).await.map_err(|e| e.to_string())?;
    let observed = applied.observed();
    let (domain_name, domain_id) = observed
        .domain_ids
        .iter()
        .next()
        .ok_or("the domain was not found after apply")?;
    let profile = applied
        .desired
        .profiles_in(domain_name)
        .next()
        .ok_or("the deployment has no profile")?
        .name
        .clone();
    println!("domain {domain_name} = {domain_id}, user profile {profile}");

    // The gateway's configuration file, with this run's domain id, IdP metadata and replay table
    // given the way a deployment would: environment variables.
    let idp = SamlIdp::new(IDP_ENTITY_ID).map_err(|e| e.to_string())?;
    let metadata = std::env::temp_dir().join(format!("studio-fed-example-idp-{}.xml", std::process::id()));
    std::fs::write(&metadata, idp.metadata_xml()).map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&args.gateway).map_err(|e| format!("{}: {e}", args.gateway.display()))?;
    let overrides = [
        ("STUDIO_FED__TEAMS__RESEARCH__DOMAIN", format!("{domain_id:?}")),
        ("STUDIO_FED__PROFILES__ALLOWED_DOMAINS", format!("[{domain_id:?}]")),
        ("STUDIO_FED__SAML__METADATA_FILE", metadata.display().to_string()),
    ];
    let config = GatewayConfig::from_toml_with_env(&text, overrides.map(|(k, v)| (k.to_owned(), v)))
        .map_err(|e| e.to_string())?;

    step("2. The gateway role's policy and the organisation's SCP");
    let role_policy = policy::role_policy(&config).map_err(|e| e.to_string())?;
    let scp = policy::service_control_policy(&config).map_err(|e| e.to_string())?;
    println!("IAM policy of the gateway's role:\n{}", role_policy.to_json_pretty());
    println!("\nService control policy:\n{}", scp.to_json_pretty());
    prove_network_policy(&config, domain_id, &profile, role_policy, scp)?;

    step("3. Log in through the gateway with a signed IdP-initiated response");
    let gateway_table = config.replay.table.clone();
    let replay = DynamoDbReplayCache::new(&sdk_config, gateway_table.clone().unwrap_or_default());
    replay.ensure_table().await.map_err(|e| e.to_string())?;
    let acs = config.acs_url();
    let audience = config
        .saml
        .as_ref()
        .and_then(|s| s.audience.clone())
        .unwrap_or(acs.clone());
    let audit = Arc::new(MemoryAudit::new());
    let gateway = Gateway::builder(config, sdk_config.clone())
        .audit(audit.clone())
        .build()
        .await
        .map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&metadata);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(server::serve(listener, gateway, async {
        let _ = stopped.await;
    }));
    println!("gateway on http://{addr} (behind the load balancer stand-in at 127.0.0.1), ACS {acs}");

    let sign = || {
        idp.identity_center_style(&acs, &audience, &profile, domain_id)
            .build()
            .map_err(|e| e.to_string())
    };
    let login = sign()?;
    let answer = post_acs(addr, &login.base64(), OFFICE_CLIENT).await?;
    let location = match (answer.status().as_u16(), answer.headers().get("location")) {
        (303, Some(location)) => location.to_str().map_err(|e| e.to_string())?.to_owned(),
        (status, _) => {
            return Err(format!(
                "the login from {OFFICE_CLIENT} was refused: {status} {}",
                code(&answer)
            ));
        }
    };
    let shown = location.split_once('?').map_or(location.as_str(), |(base, _)| base);
    println!("from {OFFICE_CLIENT}: 303 See Other to {shown}?token=...");
    match &env.emulator {
        Some(emulator) => {
            let redemption = emulator.redeem(&location).await.map_err(|e| e.to_string())?;
            if !redemption.valid || redemption.user_profile_name.as_deref() != Some(profile.as_str()) {
                return Err(format!("the presigned URL did not open Studio: {}", redemption.reason));
            }
            println!("followed the redirect: Studio opened as {profile}");
        }
        None => println!("(open the URL within 30 s from the corporate network)"),
    }

    step("4. What the gateway refuses");
    let outside = post_acs(addr, &sign()?.base64(), OUTSIDE_CLIENT).await?;
    expect_refused(
        &outside,
        "network_denied",
        &format!("the same login from {OUTSIDE_CLIENT}"),
    )?;
    let replayed = post_acs(addr, &login.base64(), OFFICE_CLIENT).await?;
    expect_refused(&replayed, "saml.replayed", "the first response posted again")?;
    let tampered = sign()?.mutate(|xml| *xml = xml.replace(&format!(">{profile}<"), ">admin<"));
    let tampered = post_acs(addr, &tampered.base64(), OFFICE_CLIENT).await?;
    expect_refused(&tampered, "saml.signature_invalid", "a response whose user was edited")?;
    println!("\naudit log:");
    for event in audit.events() {
        println!("  {}", serde_json::to_string(&event).map_err(|e| e.to_string())?);
    }
    let _ = stop.send(());
    served.await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;

    step("5. Tear down");
    let teardown = plan_destroy(&sdk_config, &deployment)
        .await
        .map_err(|e| e.to_string())?;
    print!("{teardown}");
    env.confirm(&format!("delete {} resource(s)", teardown.changes.len()))?;
    let report = apply(&sdk_config, &teardown, &ApplyOptions::default())
        .await
        .map_err(|e| e.to_string())?;
    print!("{report}");
    let left = plan_destroy(&sdk_config, &deployment)
        .await
        .map_err(|e| e.to_string())?;
    if !left.is_noop() {
        return Err(format!("{} resource(s) are left after destroy", left.changes.len()));
    }
    let table = gateway_table.unwrap_or_default();
    aws_sdk_dynamodb::Client::new(&sdk_config)
        .delete_table()
        .table_name(&table)
        .send()
        .await
        .map_err(|e| format!("DeleteTable {table}: {e}"))?;
    println!("nothing of {} is left; replay table {table} deleted", deployment.name);
    Ok(())
}

/// The evaluator shows the role may open the team's profile only from the network, and the SCP
/// denies everyone else's presigned URLs from outside it.
fn prove_network_policy(
    config: &GatewayConfig,
    domain_id: &str,
    profile: &str,
    role_policy: PolicyDocument,
    scp: PolicyDocument,
) -> Result<(), String> {
    let region = config.gateway.region.as_deref().unwrap_or("eu-west-1");
    let account = config.gateway.account.as_deref().unwrap_or("123456789012");
    let endpoint = config.network.vpc_endpoints.first().cloned().unwrap_or_default();
    let allow_all = PolicyDocument::from_json(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .map_err(|e| e.to_string())?;
    let gateway = PolicySet::new()
        .identity("gateway", role_policy)
        .scp_level([("FullAWSAccess", allow_all.clone()), ("studio-network", scp.clone())])
        .compile();
    let admin = PolicySet::new()
        .identity("AdministratorAccess", allow_all.clone())
        .scp_level([("FullAWSAccess", allow_all), ("studio-network", scp)])
        .compile();
    let key = policy::source_network(config).source_ip_key();
    let request = |ip: &str| {
        Request::new(
            "sagemaker:CreatePresignedDomainUrl",
            format!("arn:aws:sagemaker:{region}:{account}:user-profile/{domain_id}/{profile}"),
        )
        .with_context(
            Context::new()
                .with_strings(key, [ip])
                .with_strings("aws:SourceVpce", [endpoint.as_str()]),
        )
    };
    let checks = [
        ("gateway role", &gateway, OFFICE_CLIENT, Outcome::Allow),
        ("gateway role", &gateway, OUTSIDE_CLIENT, Outcome::ExplicitDeny),
        ("an administrator", &admin, OUTSIDE_CLIENT, Outcome::ExplicitDeny),
    ];
    println!();
    for (who, evaluator, ip, expected) in checks {
        let decision = evaluator.evaluate(&request(ip));
        println!(
            "CreatePresignedDomainUrl by {who:<16} from {ip:<14} {key}: {:?}",
            decision.outcome
        );
        if decision.outcome != expected {
            return Err(format!("expected {expected:?} for {who} from {ip}: {decision}"));
        }
    }
    Ok(())
}

/// POSTs a SAMLResponse to the gateway as the load balancer forwards a browser's post from
/// `client`.
async fn post_acs(addr: SocketAddr, form_value: &str, client: &str) -> Result<reqwest::Response, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?
        .post(format!("http://{addr}/saml/acs"))
        .header("x-forwarded-for", client)
        .form(&[("SAMLResponse", form_value)])
        .send()
        .await
        .map_err(|e| e.to_string())
}

fn code(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-studio-fed-error")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn expect_refused(response: &reqwest::Response, expected: &str, what: &str) -> Result<(), String> {
    let (status, code) = (response.status(), code(response));
    if !status.is_client_error() || code != expected {
        return Err(format!("{what}: expected a refusal {expected}, got {status} {code}"));
    }
    println!("{what}: {} refused ({code})", status.as_u16());
    Ok(())
}
