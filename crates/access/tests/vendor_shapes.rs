//! Logins in the shapes real identity providers send (`studio_fed_testkit::vendors`: Entra ID,
//! IAM Identity Center, Okta, Keycloak, Cognito), signed at test time, through the gateway
//! configured with the README's snippet for that provider ("Configuration per identity
//! provider"): each ends in a presigned URL the emulator redeems and an audit record naming the
//! right user and team. Entra ID's groups overage is refused with `groups_overage`, in SAML and
//! in OIDC, instead of being given a team some other way.
//!
//! The snippets are read from README.md as they are; the test only puts its own values in (the
//! gateway's URL, the emulator's domain, the test IdP's metadata, the provider's issuer) through
//! `STUDIO_FED__...` overrides of keys the snippet must have, so a snippet that drifts from what
//! the provider sends fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;

use studio_fed_access::audit::{MemoryAudit, Outcome};
use studio_fed_access::{Gateway, GatewayConfig, server};
use studio_fed_testkit::oidc_op::{Client, OidcProvider};
use studio_fed_testkit::saml_idp::{SamlIdp, SignedResponse};
use studio_fed_testkit::vendors::{IdTokenShape, cognito, entra_id, identity_center, keycloak, okta};
use support::{World, client, create_profile, error_code, metadata_file, world};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use toml::Value;

/// The gateway URL the README's snippets are written for.
const README_PUBLIC_URL: &str = "https://studio-login.acme.example";
/// The client secret the tests register, given to the gateway as the README says secrets are.
const CLIENT_SECRET: &str = "vendor-shapes-client-secret";

/// The TOML block that follows `<!-- gateway-config: {name} -->` in README.md.
fn readme_snippet(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md");
    let readme = std::fs::read_to_string(path).expect("README.md");
    let marker = format!("<!-- gateway-config: {name} -->");
    let (_, after) = readme
        .split_once(&marker)
        .unwrap_or_else(|| panic!("README.md has no {marker}"));
    let after = after.trim_start();
    let body = after
        .strip_prefix("```toml\n")
        .unwrap_or_else(|| panic!("{marker} must be followed by a ```toml block"));
    let (block, _) = body
        .split_once("\n```")
        .unwrap_or_else(|| panic!("the block after {marker} does not end"));
    block.to_owned()
}

/// A README snippet and the test's values for it, given as `STUDIO_FED__...` overrides.
struct Snippet {
    name: &'static str,
    text: String,
    table: toml::Table,
    vars: Vec<(String, String)>,
}

impl Snippet {
    fn load(name: &'static str) -> Self {
        let text = readme_snippet(name);
        let table = text
            .parse()
            .unwrap_or_else(|e| panic!("the README snippet {name} is not TOML: {e}"));
        Snippet {
            name,
            text,
            table,
            vars: Vec::new(),
        }
    }

    fn get(&self, path: &str) -> Option<&Value> {
        let mut keys = path.split('.');
        let first = self.table.get(keys.next()?)?;
        keys.try_fold(first, |value, key| value.get(key))
    }

    fn env(&mut self, path: &str, value: Value) {
        let name = format!("STUDIO_FED__{}", path.replace('.', "__").to_ascii_uppercase());
        self.vars.push((name, value.to_string()));
    }

    /// Puts the test's `value` in place of the snippet's value at `path`, which the snippet must
    /// have; returns the snippet's.
    fn replace(&mut self, path: &str, value: impl Into<Value>) -> Value {
        let readme = self
            .get(path)
            .unwrap_or_else(|| panic!("the README snippet {} has no `{path}`", self.name))
            .clone();
        self.env(path, value.into());
        readme
    }

    /// Sets a value the snippet leaves to the rest of the configuration (`[gateway]`,
    /// `[network]`, secrets).
    fn set(&mut self, path: &str, value: impl Into<Value>) {
        assert!(
            self.get(path).is_none(),
            "the README snippet {} sets `{path}`, which belongs in the common part",
            self.name
        );
        self.env(path, value.into());
    }

    /// Puts the emulator's domain in place of the snippet's (team and allowlist).
    fn use_domain(&mut self, domain: &str) {
        self.replace("teams.vision.domain", domain);
        if self.get("profiles.allowed_domains").is_some() {
            self.replace("profiles.allowed_domains", Value::Array(vec![domain.into()]));
        }
    }
}

/// A gateway serving a README snippet on 127.0.0.1 (stopped when dropped).
struct VendorGateway {
    url: String,
    config: GatewayConfig,
    audit: Arc<MemoryAudit>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for VendorGateway {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl VendorGateway {
    /// Serves `snippet` with the common settings of the tests: the gateway's own URL (also put
    /// in place of `{URL}` in the overrides), clients from 127.0.0.0/8.
    async fn start(mut snippet: Snippet, w: &World) -> VendorGateway {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        for (_, value) in &mut snippet.vars {
            *value = value.replace("{URL}", &url);
        }
        snippet.set("gateway.public_url", url.as_str());
        snippet.set("network.allowed_cidrs", Value::Array(vec!["127.0.0.0/8".into()]));
        let config = GatewayConfig::from_toml_with_env(&snippet.text, snippet.vars.clone())
            .unwrap_or_else(|e| panic!("the README snippet {}: {e}", snippet.name));
        let audit = Arc::new(MemoryAudit::new());
        let gateway = Gateway::builder(config.clone(), w.emulator.sdk_config().clone())
            .audit(audit.clone())
            .build()
            .await
            .unwrap_or_else(|e| panic!("the README snippet {}: {e}", snippet.name));
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            server::serve(listener, gateway, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
        VendorGateway {
            url,
            config,
            audit,
            stop: Some(stop),
        }
    }

    /// The ACS URL and the audience the IdP must be configured with: what the gateway expects.
    fn saml_endpoints(&self) -> (String, String) {
        let acs = self.config.acs_url();
        let audience = self.config.saml.as_ref().and_then(|s| s.audience.clone());
        (acs.clone(), audience.unwrap_or(acs))
    }

    async fn post_acs(&self, response: &SignedResponse) -> reqwest::Response {
        client()
            .post(self.config.acs_url())
            .form(&[("SAMLResponse", response.base64())])
            .send()
            .await
            .unwrap()
    }

    /// `/oidc/login`, the provider's `/authorize`, then the callback with the login cookie.
    async fn oidc_login(&self) -> reqwest::Response {
        let login = client().get(format!("{}/oidc/login", self.url)).send().await.unwrap();
        assert_eq!(login.status(), 303, "{}", error_code(&login));
        let cookie = login.headers()["set-cookie"].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let authorize = login.headers()["location"].to_str().unwrap();
        let at_provider = client().get(authorize).send().await.unwrap();
        assert!(at_provider.status().is_redirection(), "{}", at_provider.status());
        let callback = at_provider.headers()["location"].to_str().unwrap();
        client().get(callback).header("cookie", cookie).send().await.unwrap()
    }

    /// The last audit record is an admission of `user` in team `vision` of `w`'s domain, and
    /// `answer` is a redirect to a URL that opens that profile once.
    async fn assert_admitted(&self, w: &World, answer: reqwest::Response, method: &str, user: &str) {
        assert_eq!(
            answer.status(),
            303,
            "{}: {}",
            error_code(&answer),
            answer.text().await.unwrap_or_default()
        );
        let location = answer.headers()["location"].to_str().unwrap();
        let redemption = w.emulator.redeem(location).await.unwrap();
        assert!(redemption.valid, "{redemption:?}");
        assert_eq!(redemption.domain_id.as_deref(), Some(w.domain.as_str()));
        assert_eq!(redemption.user_profile_name.as_deref(), Some(user));
        let event = self.audit.events().pop().unwrap();
        assert_eq!(
            (
                event.method,
                event.outcome,
                event.user.as_deref(),
                event.team.as_deref(),
                event.domain.as_deref()
            ),
            (
                method,
                Outcome::Allowed,
                Some(user),
                Some("vision"),
                Some(w.domain.as_str())
            )
        );
    }

    /// `answer` and the last audit record are a `groups_overage` refusal of `user`, with no team.
    async fn assert_overage(&self, answer: reqwest::Response, user: &str) {
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (403, "groups_overage".into())
        );
        let page = answer.text().await.unwrap();
        assert!(
            page.contains("groups assigned to the application") && page.contains("app roles"),
            "the refusal says what to do: {page}"
        );
        let event = self.audit.events().pop().unwrap();
        assert_eq!(
            (
                event.outcome,
                event.code.as_deref(),
                event.user.as_deref(),
                event.team.as_deref()
            ),
            (Outcome::Refused, Some("groups_overage"), Some(user), None)
        );
    }
}

/// A world and a gateway serving the README's `name` snippet with `idp`'s metadata and the
/// world's domain.
async fn saml_vendor(name: &'static str, idp: &SamlIdp) -> (World, VendorGateway) {
    let w = world().await;
    let mut snippet = Snippet::load(name);
    snippet.replace("saml.metadata_file", metadata_file(idp));
    if let Some(Value::String(audience)) = snippet.get("saml.audience").cloned() {
        assert!(audience.starts_with(README_PUBLIC_URL), "{audience}");
        // The README's audience, on the test gateway ({URL} is filled in once it is known).
        snippet.replace("saml.audience", audience.replacen(README_PUBLIC_URL, "{URL}", 1));
    }
    snippet.use_domain(&w.domain);
    let gw = VendorGateway::start(snippet, &w).await;
    (w, gw)
}

/// A world, an OpenID Provider, and a gateway serving the README's `name` snippet with the
/// provider's issuer and the world's domain; the snippet's client is registered at the provider.
/// Returns the snippet's issuer and client id too.
async fn oidc_vendor(name: &'static str) -> (World, OidcProvider, VendorGateway, String, String) {
    let w = world().await;
    let op = OidcProvider::start().await.unwrap();
    let mut snippet = Snippet::load(name);
    let issuer = snippet.replace("oidc.issuer", op.issuer());
    snippet.set("oidc.client_secret", CLIENT_SECRET);
    snippet.use_domain(&w.domain);
    let gw = VendorGateway::start(snippet, &w).await;
    let oidc = gw.config.oidc.as_ref().unwrap();
    op.add_client(Client::confidential(
        &oidc.client_id,
        CLIENT_SECRET,
        [gw.config.oidc_callback_url()],
    ))
    .unwrap();
    let client_id = oidc.client_id.clone();
    (w, op, gw, issuer.as_str().unwrap().to_owned(), client_id)
}

/// Logs in at `op` with an ID token of `shape`, and checks the provider used it.
async fn login_with(gw: &VendorGateway, op: &OidcProvider, shape: &IdTokenShape) -> reqwest::Response {
    shape.issue_next(op);
    let answer = gw.oidc_login().await;
    assert_eq!(
        op.pending_tampering(),
        0,
        "the login did not use the vendor-shaped ID token"
    );
    answer
}

#[tokio::test]
async fn entra_id_saml_with_group_object_ids() {
    let idp = entra_id::saml_idp(entra_id::TENANT_ID).unwrap();
    let (w, gw) = saml_vendor("entra-saml", &idp).await;
    let alice = entra_id::EntraUser::default();
    create_profile(&w.sagemaker, &w.domain, &alice.object_id, "vision").await;
    let (acs, entity_id) = gw.saml_endpoints();
    let response = alice.saml_response(&idp, &acs, &entity_id).build().unwrap();
    gw.assert_admitted(&w, gw.post_acs(&response).await, "saml", &alice.object_id)
        .await;
}

#[tokio::test]
async fn entra_id_saml_groups_overage_is_refused_not_guessed() {
    let idp = entra_id::saml_idp(entra_id::TENANT_ID).unwrap();
    let (w, gw) = saml_vendor("entra-saml", &idp).await;
    create_profile(
        &w.sagemaker,
        &w.domain,
        &entra_id::EntraUser::default().object_id,
        "vision",
    )
    .await;
    let (acs, entity_id) = gw.saml_endpoints();
    // 150 groups: Entra ID still sends them all.
    let at_limit = entra_id::EntraUser::default().with_extra_groups(entra_id::SAML_GROUPS_LIMIT - 2);
    let response = at_limit.saml_response(&idp, &acs, &entity_id).build().unwrap();
    gw.assert_admitted(&w, gw.post_acs(&response).await, "saml", &at_limit.object_id)
        .await;
    // 151: groups.link instead of the groups. Refused as what it is, and never given a team.
    let over = at_limit.with_extra_groups(1);
    let response = over.saml_response(&idp, &acs, &entity_id).build().unwrap();
    assert!(response.xml().contains(entra_id::GROUPS_LINK) && !response.xml().contains(entra_id::GROUPS));
    gw.assert_overage(gw.post_acs(&response).await, &over.object_id).await;
}

#[tokio::test]
async fn entra_id_saml_app_roles_choose_the_team_even_in_a_groups_overage() {
    let idp = entra_id::saml_idp(entra_id::TENANT_ID).unwrap();
    let (w, gw) = saml_vendor("entra-saml-app-roles", &idp).await;
    let (acs, entity_id) = gw.saml_endpoints();
    // 300 groups, so Entra ID sends groups.link instead; the app role still comes.
    let alice = entra_id::EntraUser::default()
        .with_extra_groups(300)
        .with_app_roles(&["vision"]);
    create_profile(&w.sagemaker, &w.domain, &alice.object_id, "vision").await;
    let response = alice.saml_response(&idp, &acs, &entity_id).build().unwrap();
    assert!(response.xml().contains(entra_id::GROUPS_LINK));
    gw.assert_admitted(&w, gw.post_acs(&response).await, "saml", &alice.object_id)
        .await;
    // A user without an app role has no team, whatever the number of groups: the role is missing,
    // not held back by an overage.
    let bob = entra_id::EntraUser {
        object_id: "0b8f4f3e-8d55-4a39-9d2e-3f5b0c6a7e21".to_owned(),
        ..entra_id::EntraUser::default()
    };
    create_profile(&w.sagemaker, &w.domain, &bob.object_id, "vision").await;
    for bob in [bob.clone(), bob.with_extra_groups(300)] {
        let answer = gw
            .post_acs(&bob.saml_response(&idp, &acs, &entity_id).build().unwrap())
            .await;
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (403, "missing_attribute".into()),
            "{} groups",
            bob.groups.len()
        );
    }
}

#[tokio::test]
async fn entra_id_oidc_with_group_object_ids_and_its_overage() {
    let (w, op, gw, issuer, client_id) = oidc_vendor("entra-oidc").await;
    assert_eq!(
        (issuer.as_str(), client_id.as_str()),
        (entra_id::issuer(entra_id::TENANT_ID).as_str(), entra_id::CLIENT_ID)
    );
    let at_limit = entra_id::EntraUser::default().with_extra_groups(entra_id::JWT_GROUPS_LIMIT - 2);
    create_profile(&w.sagemaker, &w.domain, &at_limit.object_id, "vision").await;
    let answer = login_with(&gw, &op, &at_limit.id_token()).await;
    gw.assert_admitted(&w, answer, "oidc", &at_limit.object_id).await;
    // 201 groups: `_claim_names` / `_claim_sources` instead of `groups`.
    let over = at_limit.clone().with_extra_groups(1).id_token();
    assert!(over.claim("groups").is_none() && over.claim("_claim_names").is_some());
    let answer = login_with(&gw, &op, &over).await;
    gw.assert_overage(answer, &at_limit.object_id).await;
}

#[tokio::test]
async fn iam_identity_center_saml_with_ad_guid_and_domain_id() {
    let idp = identity_center::saml_idp().unwrap();
    let (w, gw) = saml_vendor("identity-center", &idp).await;
    let user = identity_center::IdentityCenterUser::default();
    create_profile(&w.sagemaker, &w.domain, &user.ad_guid, "vision").await;
    let (acs, audience) = gw.saml_endpoints();
    assert_eq!(
        audience,
        format!("{acs}/"),
        "Identity Center's audience has a trailing slash"
    );
    let response = user.saml_response(&idp, &acs, &audience, &w.domain).build().unwrap();
    gw.assert_admitted(&w, gw.post_acs(&response).await, "saml", &user.ad_guid)
        .await;
}

#[tokio::test]
async fn okta_saml_with_email_name_id_and_group_statement() {
    let idp = okta::saml_idp().unwrap();
    let (w, gw) = saml_vendor("okta", &idp).await;
    let alice = okta::OktaUser::default();
    create_profile(&w.sagemaker, &w.domain, &alice.username, "vision").await;
    let (acs, audience) = gw.saml_endpoints();
    let response = alice.saml_response(&idp, &acs, &audience).build().unwrap();
    gw.assert_admitted(&w, gw.post_acs(&response).await, "saml", &alice.username)
        .await;
}

#[tokio::test]
async fn keycloak_oidc_with_full_group_paths() {
    let (w, op, gw, issuer, _) = oidc_vendor("keycloak").await;
    assert_eq!(issuer, keycloak::issuer("https://keycloak.acme.example", "acme"));
    let alice = keycloak::KeycloakUser::default();
    create_profile(&w.sagemaker, &w.domain, &alice.username, "vision").await;
    let answer = login_with(&gw, &op, &alice.id_token()).await;
    gw.assert_admitted(&w, answer, "oidc", &alice.username).await;
    // The group's name alone, or its path in another branch, is not the team.
    for groups in [vec!["vision"], vec!["/vision", "/all-staff"]] {
        let other = keycloak::KeycloakUser {
            groups: groups.into_iter().map(str::to_owned).collect(),
            ..alice.clone()
        };
        let answer = login_with(&gw, &op, &other.id_token()).await;
        assert_eq!(error_code(&answer), "no_domain");
    }
}

#[tokio::test]
async fn cognito_oidc_with_user_pool_groups() {
    let (w, op, gw, issuer, client_id) = oidc_vendor("cognito").await;
    assert_eq!(
        (issuer.as_str(), client_id.as_str()),
        (
            cognito::issuer("eu-west-1", cognito::USER_POOL_ID).as_str(),
            cognito::CLIENT_ID
        )
    );
    let alice = cognito::CognitoUser::default();
    create_profile(&w.sagemaker, &w.domain, &alice.username, "vision").await;
    let answer = login_with(&gw, &op, &alice.id_token()).await;
    gw.assert_admitted(&w, answer, "oidc", &alice.username).await;
}
