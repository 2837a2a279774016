//! Shared by the gateway's integration tests: the emulator with an IAM-mode domain and profiles,
//! a test IdP, and a gateway served on 127.0.0.1 (stopped when dropped).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_sagemaker::types::{AppNetworkAccessType, AuthMode, Tag, UserSettings};
use studio_fed_access::audit::MemoryAudit;
use studio_fed_access::{Gateway, GatewayConfig, server};
use studio_fed_federation::replay::ReplayCache;
use studio_fed_testkit::emulator::Emulator;
use studio_fed_testkit::saml_idp::{SamlIdp, SignedResponse};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/vision-data-scientist";
pub const USER: &str = "8f3b9c2e-1a2b-4c5d-9e8f-0a1b2c3d4e5f";
pub const IDP: &str = "https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/ABCDEF";

/// Creates an IAM-mode, VpcOnly domain and returns its id.
pub async fn create_domain(sagemaker: &aws_sdk_sagemaker::Client, name: &str) -> String {
    let created = sagemaker
        .create_domain()
        .domain_name(name)
        .auth_mode(AuthMode::Iam)
        .app_network_access_type(AppNetworkAccessType::VpcOnly)
        .vpc_id("vpc-0123456789abcdef0")
        .subnet_ids("subnet-0123456789abcdef0")
        .default_user_settings(
            UserSettings::builder()
                .execution_role(EXECUTION_ROLE)
                .security_groups("sg-0123456789abcdef0")
                .build(),
        )
        .send()
        .await
        .expect("CreateDomain");
    created.domain_arn().unwrap().rsplit('/').next().unwrap().to_owned()
}

/// Creates a profile tagged with `team`, and lets it settle to InService.
pub async fn create_profile(sagemaker: &aws_sdk_sagemaker::Client, domain: &str, name: &str, team: &str) {
    sagemaker
        .create_user_profile()
        .domain_id(domain)
        .user_profile_name(name)
        .tags(Tag::builder().key("studio-fed:team").value(team).build())
        .send()
        .await
        .expect("CreateUserProfile");
    // The emulator's Pending settles once it has been seen.
    sagemaker
        .describe_user_profile()
        .domain_id(domain)
        .user_profile_name(name)
        .send()
        .await
        .expect("DescribeUserProfile");
}

/// A metadata file for `idp` (the gateway reads files).
pub fn metadata_file(idp: &SamlIdp) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "studio-fed-access-test-{}-{}.xml",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::write(&path, idp.metadata_xml()).unwrap();
    path.display().to_string()
}

/// A running gateway.
pub struct TestGateway {
    pub url: String,
    pub gateway: Gateway,
    pub audit: Arc<MemoryAudit>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl TestGateway {
    /// `{url}/saml/acs`.
    pub fn acs(&self) -> String {
        format!("{}/saml/acs", self.url)
    }

    /// Stops it and waits for requests in flight.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
    }
}

impl Drop for TestGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts a gateway for `config` (TOML, `{URL}` replaced by the gateway's own URL).
pub async fn start_gateway(
    config: &str,
    sdk_config: &aws_config::SdkConfig,
    replay: Option<Arc<dyn ReplayCache>>,
) -> TestGateway {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_gateway_on(listener, config, sdk_config, replay).await
}

/// A SAML gateway configuration for one team `vision` in `domain`, clients from 127.0.0.0/8.
pub fn saml_config(metadata_file: &str, domain: &str, extra: &str) -> String {
    format!(
        r#"
[gateway]
public_url = "{{URL}}"
[network]
allowed_cidrs = ["127.0.0.0/8"]
[profiles]
allowed_domains = ["{domain}"]
[teams.vision]
domain = "{domain}"
[saml]
metadata_file = "{metadata_file}"
audience = "{{URL}}/saml/acs/"
allow_idp_initiated = true
user_attribute = "username"
domain_attribute = "domain-id"
[limits]
rate_limit_per_minute = 6000
rate_limit_burst = 1000
{extra}
"#
    )
}

/// The emulator, a domain with the profile of [`USER`] in team `vision`, and a test IdP.
pub struct World {
    pub emulator: Emulator,
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub domain: String,
    pub idp: SamlIdp,
    pub metadata_file: String,
}

pub async fn world() -> World {
    let emulator = Emulator::start().await.expect("emulator");
    let sagemaker = aws_sdk_sagemaker::Client::new(emulator.sdk_config());
    let domain = create_domain(&sagemaker, "vision").await;
    create_profile(&sagemaker, &domain, USER, "vision").await;
    let idp = SamlIdp::new(IDP).unwrap();
    let metadata_file = metadata_file(&idp);
    World {
        emulator,
        sagemaker,
        domain,
        idp,
        metadata_file,
    }
}

/// A signed response shaped like IAM Identity Center's for `user` and `domain`, to `gw`'s ACS
/// (audience: the ACS URL with a trailing slash, as Identity Center sends it).
pub fn identity_center(w: &World, gw: &TestGateway, user: &str, domain: &str) -> SignedResponse {
    w.idp
        .identity_center_style(&gw.acs(), &format!("{}/", gw.acs()), user, domain)
        .build()
        .unwrap()
}

/// An HTTP client that does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// POSTs `SAMLResponse=form_value` to the ACS, with extra headers.
pub async fn post_acs(gateway: &TestGateway, form_value: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let mut request = client().post(gateway.acs()).form(&[("SAMLResponse", form_value)]);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

/// The refusal code of a response.
pub fn error_code(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-studio-fed-error")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Starts a gateway for `config` on a listener the caller already bound (so its URL can be
/// registered elsewhere first, e.g. as a redirect URI at an OpenID Provider it discovers on start).
pub async fn start_gateway_on(
    listener: TcpListener,
    config: &str,
    sdk_config: &aws_config::SdkConfig,
    replay: Option<Arc<dyn ReplayCache>>,
) -> TestGateway {
    let url = format!("http://{}", listener.local_addr().unwrap());
    let config = GatewayConfig::from_toml_with_env(&config.replace("{URL}", &url), []).expect("config");
    let audit = Arc::new(MemoryAudit::new());
    let mut builder = Gateway::builder(config, sdk_config.clone()).audit(audit.clone());
    if let Some(replay) = replay {
        builder = builder.replay_cache(replay);
    }
    let gateway = builder.build().await.expect("gateway");
    let (stop, stopped) = oneshot::channel::<()>();
    let served = gateway.clone();
    let task = tokio::spawn(async move {
        server::serve(listener, served, async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    TestGateway {
        url,
        gateway,
        audit,
        stop: Some(stop),
        task: Some(task),
    }
}
