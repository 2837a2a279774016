//! Seed scenario: people sign in with an OIDC identity provider and open
//! SageMaker notebook instances with temporary AWS credentials. studio-fed
//! creates the IAM OIDC provider with a thumbprint computed the way AWS
//! documents it, and a role that trusts it only for the expected audience.
//! Then a real login (authorization code + PKCE) yields an ID token that is
//! validated and exchanged with `AssumeRoleWithWebIdentity`, and the
//! credentials make a SageMaker call.
//!
//! ```sh
//! cargo run --example sagemaker_oidc_provider             # local emulator and IdP (over TLS)
//! cargo run --example sagemaker_oidc_provider -- --target aws \
//!     --issuer https://login.example.com --client-id sagemaker-notebooks [--id-token token.jwt] [--yes]
//! ```

#[path = "common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::sync::Arc;

use aws_credential_types::provider::SharedCredentialsProvider;
use clap::Parser;
use common::{Environment, TargetArgs, step};
use studio_fed::federation::aws::{
    OidcProviderSpec, RolePermissions, TokenSource, WebIdentityCredentials, ensure_oidc_provider,
    ensure_web_identity_role,
};
use studio_fed::federation::oidc::{HttpClient, IdTokenValidator, LoginFlow, thumbprint_for_issuer};
use studio_fed::policy::build::OidcTrust;
use studio_fed::policy::{PolicyDocument, Statement};
use studio_fed_testkit::oidc_op::{OidcProvider, User};
use studio_fed_testkit::tls::TlsChain;

const CLIENT_ID: &str = "sagemaker-notebooks";
const CLIENT_SECRET: &str = "local-example-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:8765/callback";

/// An IAM OIDC provider and web-identity role, proven with a real login.
#[derive(Debug, Parser)]
struct Args {
    #[command(flatten)]
    target: TargetArgs,
    /// The IdP's issuer URL (required with --target aws).
    #[arg(long)]
    issuer: Option<String>,
    /// The OIDC client id that tokens must be issued to.
    #[arg(long, default_value = CLIENT_ID)]
    client_id: String,
    /// A fresh ID token from your IdP for that client (with --target aws).
    #[arg(long)]
    id_token: Option<PathBuf>,
    /// The role's name.
    #[arg(long, default_value = "sagemaker-notebook-users")]
    role_name: String,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    common::exit_code(run(Args::parse()).await)
}

/// What the role may do: find and open notebook instances.
fn notebook_access() -> PolicyDocument {
    PolicyDocument::new([
        Statement::allow()
            .with_sid("OpenNotebookInstances")
            .with_actions([
                "sagemaker:CreatePresignedNotebookInstanceUrl",
                "sagemaker:DescribeNotebookInstance",
            ])
            .with_resources(["arn:aws:sagemaker:*:*:notebook-instance/*"]),
        Statement::allow()
            .with_sid("ListNotebookInstances")
            .with_actions(["sagemaker:ListNotebookInstances"])
            .with_resources(["*"]),
    ])
}

async fn run(args: Args) -> Result<(), String> {
    let env = Environment::start(&args.target).await?;
    // Locally: an OpenID Provider on 127.0.0.1 over TLS, with a root CA of its own.
    let local = if env.is_local() {
        let chain = TlsChain::generate(["localhost"]).map_err(|e| e.to_string())?;
        let op = OidcProvider::builder()
            .client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
            .user(User::new("alice").email("alice@ml-team.example").name("Alice"))
            .tls(chain.clone())
            .start()
            .await
            .map_err(|e| e.to_string())?;
        Some((op, chain))
    } else {
        None
    };
    let issuer = match (&local, &args.issuer) {
        (_, Some(issuer)) => issuer.clone(),
        (Some((op, _)), None) => op.issuer().to_owned(),
        (None, None) => return Err("with --target aws, pass --issuer with your IdP's issuer URL".into()),
    };
    let root_pem = local.as_ref().map(|(_, chain)| chain.root_pem().as_bytes().to_vec());
    let mut http = HttpClient::builder();
    if let Some(pem) = &root_pem {
        http = http.extra_root_pem(pem.clone());
    }
    let http = http.build().map_err(|e| e.to_string())?;

    step("Thumbprint of the issuer's JWKS host (last certificate the server sends)");
    let thumbprint = thumbprint_for_issuer(&issuer, &http, root_pem.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    println!("issuer {issuer}: thumbprint {thumbprint}");

    step("IAM OIDC provider");
    env.confirm(&format!("create or update the IAM OIDC provider for {issuer}"))?;
    let spec = OidcProviderSpec::new(&issuer, [args.client_id.as_str()]).with_thumbprints([thumbprint]);
    let provider = ensure_oidc_provider(&env.sdk_config, &spec)
        .await
        .map_err(|e| e.to_string())?;
    println!("OIDC provider {}: {}", provider.resource, provider.change);

    step("Role trusting the provider for the expected audience only");
    env.confirm(&format!("create or update the IAM role {:?}", args.role_name))?;
    let trust = OidcTrust::new(&provider.resource, &issuer).with_client_id(&args.client_id);
    let permissions = RolePermissions::new().with_inline_policy("open-notebooks", notebook_access());
    let role = ensure_web_identity_role(&env.sdk_config, &args.role_name, &trust, permissions)
        .await
        .map_err(|e| e.to_string())?;
    println!("role {}: {}", role.resource, role.change);

    let id_token = match (&local, &args.id_token) {
        (_, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .trim()
            .to_owned(),
        (Some((op, chain)), None) => {
            step("Sign in: authorization code + PKCE, ID token validated");
            let validator = IdTokenValidator::builder(op.issuer(), CLIENT_ID)
                .discover(&http)
                .await
                .map_err(|e| e.to_string())?;
            let flow = LoginFlow::new(Arc::new(validator), http.clone(), Some(CLIENT_SECRET.to_owned()));
            let (authorize_url, pending) = flow
                .begin(REDIRECT_URI, &["email", "profile"])
                .map_err(|e| e.to_string())?;
            let callback = follow_login(&authorize_url, chain).await?;
            let login = flow.complete(&pending, &callback).await.map_err(|e| e.to_string())?;
            println!(
                "signed in as {} ({})",
                login.id_token.subject,
                login.id_token.email.as_deref().unwrap_or("no email")
            );
            login.id_token.raw_token().to_owned()
        }
        (None, None) => {
            println!("\nno --id-token given: sign in with your IdP and pass an ID token to prove the role works");
            return Ok(());
        }
    };

    step("AssumeRoleWithWebIdentity, then a SageMaker call with the credentials");
    let credentials = WebIdentityCredentials::builder(&env.sdk_config, &role.resource, TokenSource::Fixed(id_token))
        .session_name("alice")
        .build();
    let as_user = env
        .sdk_config
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build();
    let notebooks = aws_sdk_sagemaker::Client::new(&as_user)
        .list_notebook_instances()
        .send()
        .await
        .map_err(|e| format!("SageMaker ListNotebookInstances with the web-identity credentials: {e}"))?;
    println!(
        "SageMaker answered the web-identity credentials: {} notebook instance(s) listed",
        notebooks.notebook_instances().len()
    );
    Ok(())
}

/// Plays the browser: opens the authorization URL (the local IdP signs the
/// user in without a form) and returns the query of the redirect back to us.
async fn follow_login(authorize_url: &url::Url, chain: &TlsChain) -> Result<String, String> {
    let root = reqwest::Certificate::from_pem(chain.root_pem().as_bytes()).map_err(|e| e.to_string())?;
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_certs_only([root])
        .build()
        .map_err(|e| e.to_string())?;
    let response = browser
        .get(authorize_url.clone())
        .send()
        .await
        .map_err(|e| format!("authorization request: {e}"))?;
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .ok_or_else(|| format!("the IdP answered {} instead of redirecting back", response.status()))?;
    let callback = url::Url::parse(location).map_err(|e| format!("redirect {location:?}: {e}"))?;
    Ok(callback.query().unwrap_or_default().to_owned())
}
