//! Seed scenario: an ML team signs in to AWS through its SAML identity
//! provider. studio-fed creates the IAM SAML provider from the IdP's metadata
//! and the team role trusting it, then proves a real signed login works: the
//! response is validated and exchanged for credentials with
//! `AssumeRoleWithSAML`, and those credentials call SageMaker. A tampered
//! response is refused before anything reaches STS.
//!
//! ```sh
//! cargo run --example saml_ml_team                      # local emulator and IdP
//! cargo run --example saml_ml_team -- --target aws \
//!     --metadata idp-metadata.xml [--response saml-response.b64] [--yes]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Parser;
use common::{Environment, TargetArgs, step};
use studio_fed::federation::aws::{RolePermissions, assume_role_with_saml, ensure_saml_provider, ensure_saml_role};
use studio_fed::federation::saml::{IdpMetadata, ResponseValidator};
use studio_fed::federation::{InMemoryReplayCache, ReplayCache};
use studio_fed_testkit::saml_idp::{AWS_ROLE_ATTRIBUTE, AWS_ROLE_SESSION_NAME_ATTRIBUTE, SamlIdp};
use time::format_description::well_known::Rfc3339;

/// AWS's own SAML sign-in endpoint: the audience and recipient of responses for AssumeRoleWithSAML.
const AWS_SAML_ENDPOINT: &str = "https://signin.aws.amazon.com/saml";
const SAGEMAKER_FULL_ACCESS: &str = "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess";

/// A SAML provider and team role, proven with a signed login.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The IdP's metadata XML (required with --target aws).
    #[arg(long)]
    metadata: Option<PathBuf>,
    /// A fresh base64 SAMLResponse from your IdP for the team role (with --target aws).
    #[arg(long)]
    response: Option<PathBuf>,
    /// The IAM SAML provider's name.
    #[arg(long, default_value = "ml-team-idp")]
    provider_name: String,
    /// The team role's name.
    #[arg(long, default_value = "ml-team")]
    role_name: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::exit_code(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), String> {
    let env = Environment::start(&args.target).await?;
    let idp = if env.is_local() {
        Some(SamlIdp::new("https://idp.ml-team.example/metadata").map_err(|e| e.to_string())?)
    } else {
        None
    };
    let metadata_xml = match (&idp, &args.metadata) {
        (_, Some(path)) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        (Some(idp), None) => idp.metadata_xml(),
        (None, None) => return Err("with --target aws, pass --metadata with your IdP's metadata XML".into()),
    };
    let metadata = IdpMetadata::from_xml(&metadata_xml).map_err(|e| e.to_string())?;

    step("IAM SAML provider from the IdP's metadata");
    println!("identity provider: {}", metadata.entity_id());
    env.confirm(&format!(
        "create or update the IAM SAML provider {:?}",
        args.provider_name
    ))?;
    let provider = ensure_saml_provider(&env.sdk_config, &args.provider_name, &metadata_xml)
        .await
        .map_err(|e| e.to_string())?;
    println!("SAML provider {}: {}", provider.arn, provider.change);
    if let Some(valid_until) = provider.expires_at() {
        let valid_until = valid_until.format(&Rfc3339).map_err(|e| e.to_string())?;
        println!("metadata valid until {valid_until}");
    }
    if provider.expires_soon {
        println!("warning: the provider's metadata expires within 30 days: refresh it from the IdP");
    }

    step("Team role trusting the SAML provider (SAML:aud = AWS sign-in)");
    env.confirm(&format!("create or update the IAM role {:?}", args.role_name))?;
    let role = ensure_saml_role(
        &env.sdk_config,
        &args.role_name,
        &provider.arn,
        None,
        RolePermissions::new().with_managed_policy_arn(SAGEMAKER_FULL_ACCESS),
    )
    .await
    .map_err(|e| e.to_string())?;
    println!("role {}: {}", role.resource, role.change);

    let response = match (&idp, &args.response) {
        (_, Some(path)) => std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
        (Some(idp), None) => idp
            .response()
            .destination(AWS_SAML_ENDPOINT)
            .audience(AWS_SAML_ENDPOINT)
            .name_id("alice@ml-team.example")
            .attribute(AWS_ROLE_ATTRIBUTE, [format!("{},{}", role.resource, provider.arn)])
            .attribute(AWS_ROLE_SESSION_NAME_ATTRIBUTE, ["alice@ml-team.example"])
            .build()
            .map_err(|e| e.to_string())?
            .base64(),
        (None, None) => {
            println!("\nno --response given: sign in through your IdP and pass its SAMLResponse to prove the login");
            return Ok(());
        }
    };

    step("Sign in: validate the signed response, then AssumeRoleWithSAML");
    let replay: Arc<dyn ReplayCache> = Arc::new(InMemoryReplayCache::new());
    let validator = ResponseValidator::builder(metadata)
        .audience(AWS_SAML_ENDPOINT)
        .acs_url(AWS_SAML_ENDPOINT)
        .allow_idp_initiated(true)
        .replay_cache(replay)
        .build()
        .map_err(|e| e.to_string())?;
    let assertion = validator
        .validate_post(&response, &[])
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "validated: subject {:?}, issuer {}",
        assertion.name_id, assertion.issuer
    );
    let (role_arn, provider_arn) = assertion
        .aws_roles()
        .into_iter()
        .find(|(role_arn, _)| *role_arn == role.resource)
        .ok_or("the response does not offer the team role")?;
    let credentials = assume_role_with_saml(&env.sdk_config, &role_arn, &provider_arn, &response, None)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "temporary credentials for {role_arn}: access key {}",
        credentials.access_key_id()
    );

    let as_team = env
        .sdk_config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    let domains = aws_sdk_sagemaker::Client::new(&as_team)
        .list_domains()
        .send()
        .await
        .map_err(|e| format!("SageMaker ListDomains with the team's credentials: {e}"))?;
    println!(
        "SageMaker answered the team's credentials: {} domain(s) listed",
        domains.domains().len()
    );

    if let Some(idp) = &idp {
        step("A tampered response is refused before anything reaches STS");
        let tampered = idp
            .response()
            .destination(AWS_SAML_ENDPOINT)
            .audience(AWS_SAML_ENDPOINT)
            .name_id("alice@ml-team.example")
            .attribute(AWS_ROLE_ATTRIBUTE, [format!("{},{}", role.resource, provider.arn)])
            .build()
            .map_err(|e| e.to_string())?
            .mutate(|xml| *xml = xml.replace("alice@ml-team.example", "admin@ml-team.example"));
        match validator.validate_post(&tampered.base64(), &[]).await {
            Err(refused) => println!("refused: {refused}"),
            Ok(_) => return Err("a tampered response was accepted".into()),
        }
    }
    Ok(())
}
