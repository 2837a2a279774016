//! Seed scenario: an ML workload's users sign in through a Cognito user pool
//! that federates the organisation's OIDC identity provider. studio-fed
//! creates the user pool `ml-user-pool`, the OIDC identity provider with its
//! attribute mapping and an app client, then reads the provider back from
//! Cognito and checks it matches what was asked. A second run changes nothing.
//!
//! ```sh
//! cargo run --example cognito_ml_workload                 # local emulator and IdP
//! COGNITO_IDP_CLIENT_SECRET=... cargo run --example cognito_ml_workload -- --target aws \
//!     --issuer https://login.example.com --client-id cognito-ml [--yes]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::collections::BTreeMap;

use clap::Parser;
use common::{Environment, TargetArgs, step};
use studio_fed::federation::aws::{
    AppClientSpec, AttributesRequestMethod, OidcIdpSpec, UserPoolOutcome, UserPoolSpec, ensure_user_pool_with_oidc_idp,
};
use studio_fed_testkit::oidc_op::OidcProvider;
use studio_fed_testkit::tls::TlsChain;

const PROVIDER_NAME: &str = "Corporate";
const LOCAL_CLIENT_ID: &str = "cognito-ml";
const LOCAL_CLIENT_SECRET: &str = "local-example-secret";

/// A Cognito user pool federating an OIDC IdP, read back and checked.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The IdP's issuer URL (required with --target aws).
    #[arg(long)]
    issuer: Option<String>,
    /// The client id registered at the IdP for Cognito.
    #[arg(long, default_value = LOCAL_CLIENT_ID)]
    client_id: String,
    /// The user pool's name.
    #[arg(long, default_value = "ml-user-pool")]
    pool_name: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::exit_code(run(Args::parse()).await)
}

async fn run(args: Args) -> Result<(), String> {
    let env = Environment::start(&args.target).await?;
    let op = if env.is_local() {
        Some(
            OidcProvider::builder()
                .client(
                    LOCAL_CLIENT_ID,
                    LOCAL_CLIENT_SECRET,
                    ["https://ml.example.com/callback"],
                )
                // Cognito accepts only https issuers.
                .tls(TlsChain::generate(["localhost"]).map_err(|e| e.to_string())?)
                .start()
                .await
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let issuer = match (&op, &args.issuer) {
        (_, Some(issuer)) => issuer.clone(),
        (Some(op), None) => op.issuer().to_owned(),
        (None, None) => return Err("with --target aws, pass --issuer with your IdP's issuer URL".into()),
    };
    // A secret is not a command-line argument: it comes from the environment.
    let client_secret = match (&op, std::env::var("COGNITO_IDP_CLIENT_SECRET").ok()) {
        (_, Some(secret)) => secret,
        (Some(_), None) => LOCAL_CLIENT_SECRET.to_owned(),
        (None, None) => return Err("with --target aws, set COGNITO_IDP_CLIENT_SECRET".into()),
    };

    let spec = UserPoolSpec {
        pool_name: args.pool_name.clone(),
        custom_attributes: Vec::new(),
        provider: OidcIdpSpec {
            name: PROVIDER_NAME.to_owned(),
            issuer: issuer.clone(),
            client_id: args.client_id.clone(),
            client_secret,
            authorize_scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
            attributes_request_method: AttributesRequestMethod::Get,
            attribute_mapping: BTreeMap::from([
                ("email".to_owned(), "email".to_owned()),
                ("username".to_owned(), "sub".to_owned()),
            ]),
        },
        app_client: AppClientSpec {
            name: "ml-workbench".to_owned(),
            callback_urls: vec!["https://ml.example.com/callback".to_owned()],
            logout_urls: vec!["https://ml.example.com/signed-out".to_owned()],
            allowed_oauth_flows: vec!["code".to_owned()],
            allowed_oauth_scopes: ["openid", "email", "profile"].map(String::from).to_vec(),
            supported_identity_providers: vec![PROVIDER_NAME.to_owned()],
            generate_secret: false,
        },
        domain: None,
    };

    step("User pool with the OIDC identity provider and an app client");
    env.confirm(&format!("create or update the Cognito user pool {:?}", spec.pool_name))?;
    let outcome = ensure_user_pool_with_oidc_idp(&env.sdk_config, &spec)
        .await
        .map_err(|e| e.to_string())?;
    print_outcome(&outcome);

    step("The provider read back from Cognito");
    let cognito = aws_sdk_cognitoidentityprovider::Client::new(&env.sdk_config);
    let described = cognito
        .describe_identity_provider()
        .user_pool_id(&outcome.user_pool.resource)
        .provider_name(PROVIDER_NAME)
        .send()
        .await
        .map_err(|e| format!("DescribeIdentityProvider: {e}"))?;
    let provider = described
        .identity_provider()
        .ok_or("Cognito returned no identity provider")?;
    let details = provider.provider_details().cloned().unwrap_or_default();
    let mapping = provider.attribute_mapping().cloned().unwrap_or_default();
    println!(
        "provider {:?} of pool {}",
        provider.provider_name().unwrap_or_default(),
        outcome.user_pool.resource
    );
    println!(
        "  oidc_issuer          {}",
        details.get("oidc_issuer").map_or("-", String::as_str)
    );
    println!(
        "  client_id            {}",
        details.get("client_id").map_or("-", String::as_str)
    );
    println!(
        "  authorize_scopes     {}",
        details.get("authorize_scopes").map_or("-", String::as_str)
    );
    println!(
        "  attributes_request_method {}",
        details.get("attributes_request_method").map_or("-", String::as_str)
    );
    println!("  attribute mapping    {mapping:?}");
    let expected = [
        ("oidc_issuer", issuer.as_str()),
        ("client_id", args.client_id.as_str()),
        ("authorize_scopes", "openid email profile"),
        ("attributes_request_method", "GET"),
    ];
    let mismatches: Vec<&str> = expected
        .iter()
        .filter(|(key, value)| details.get(*key).map(String::as_str) != Some(*value))
        .map(|(key, _)| *key)
        .collect();
    let mapping_matches = mapping.get("email").map(String::as_str) == Some("email")
        && mapping.get("username").map(String::as_str) == Some("sub");
    if !mismatches.is_empty() || !mapping_matches {
        return Err(format!(
            "the provider read back differs from the spec: {mismatches:?}, mapping matches: {mapping_matches}"
        ));
    }
    println!("the provider read back matches the spec");

    step("Running again changes nothing");
    let again = ensure_user_pool_with_oidc_idp(&env.sdk_config, &spec)
        .await
        .map_err(|e| e.to_string())?;
    print_outcome(&again);
    if again.user_pool.change.is_change()
        || again.identity_provider.change.is_change()
        || again.app_client.change.is_change()
    {
        return Err("the second run was not a no-op".into());
    }
    Ok(())
}

fn print_outcome(outcome: &UserPoolOutcome) {
    println!("user pool {}: {}", outcome.user_pool.resource, outcome.user_pool.change);
    println!(
        "identity provider {}: {}",
        outcome.identity_provider.resource, outcome.identity_provider.change
    );
    println!(
        "app client {}: {}",
        outcome.app_client.resource, outcome.app_client.change
    );
}
