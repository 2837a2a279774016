//! `ensure_role`, `ensure_saml_role` and `ensure_web_identity_role` against the local AWS emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod aws_common;

use studio_fed_federation::aws::{self, OidcProviderSpec, RolePermissions, RoleSpec};
use studio_fed_federation::{Change, FieldChange};
use studio_fed_policy::build::{OidcTrust, RolePolicies, SamlTrust};
use studio_fed_policy::{PolicyDocument, Statement};
use studio_fed_testkit::emulator::ACCOUNT_ID;
use studio_fed_testkit::saml_idp::SamlIdp;

/// Stand-ins for `arn:aws:iam::aws:policy/AmazonSageMakerFullAccess` and `...ReadOnly`: moto
/// loads AWS managed policies only when `MOTO_IAM_LOAD_MANAGED_POLICIES` is set, which the
/// emulator does not do, so the test creates existing managed policies of its own.
const FULL: &str = "arn:aws:iam::123456789012:policy/SageMakerFullAccess";
const READ_ONLY: &str = "arn:aws:iam::123456789012:policy/SageMakerReadOnly";

async fn existing_managed_policies(config: &aws_config::SdkConfig) {
    let iam = aws_sdk_iam::Client::new(config);
    for (name, action) in [
        ("SageMakerFullAccess", "sagemaker:*"),
        ("SageMakerReadOnly", "sagemaker:Describe*"),
    ] {
        let doc = PolicyDocument::new([Statement::allow().with_actions([action]).with_resources(["*"])]);
        iam.create_policy()
            .policy_name(name)
            .policy_document(doc.to_json())
            .send()
            .await
            .unwrap();
    }
}

fn s3_read(bucket: &str) -> PolicyDocument {
    PolicyDocument::new([Statement::allow()
        .with_actions(["s3:GetObject"])
        .with_resources([format!("arn:aws:s3:::{bucket}/*")])])
}

/// The JSON IAM's copy of `doc` reads back as.
fn json(doc: &PolicyDocument) -> String {
    PolicyDocument::from_json(&doc.to_json()).unwrap().to_json()
}

async fn saml_provider(config: &aws_config::SdkConfig) -> String {
    let idp = SamlIdp::new("https://idp.example.test/metadata").unwrap();
    aws::ensure_saml_provider(config, "IdentityCenter", &idp.metadata_xml())
        .await
        .unwrap()
        .arn
}

#[tokio::test]
async fn saml_role_created_unchanged_then_trust_and_policies_updated() {
    let env = aws_common::env().await;
    let provider = saml_provider(&env.config).await;
    existing_managed_policies(env.emulator.sdk_config()).await;
    let permissions = RolePermissions::new().with_managed_policy_arn(FULL);

    let first = aws::ensure_saml_role(&env.config, "ml-saml", &provider, None, permissions.clone())
        .await
        .unwrap();
    assert_eq!(first.change, Change::Created);
    assert_eq!(first.resource, format!("arn:aws:iam::{ACCOUNT_ID}:role/ml-saml"));

    env.reset();
    let second = aws::ensure_saml_role(&env.config, "ml-saml", &provider, None, permissions.clone())
        .await
        .unwrap();
    assert_eq!(second.change, Change::Unchanged);
    env.assert_read_only();

    env.reset();
    let regional = "https://eu-west-1.signin.aws.amazon.com/saml";
    let changed = RolePermissions::new()
        .with_managed_policy_arn(READ_ONLY)
        .with_inline_policy("data", s3_read("ml-data"));
    let third = aws::ensure_saml_role(&env.config, "ml-saml", &provider, Some(regional), changed)
        .await
        .unwrap();
    let old_trust = SamlTrust::new(&provider).build().unwrap();
    let new_trust = SamlTrust::new(&provider).with_audience(regional).build().unwrap();
    assert_eq!(
        third.change,
        Change::Updated {
            diff: vec![
                FieldChange::new("trust_policy", json(&old_trust), json(&new_trust)),
                FieldChange::new("managed_policy_arns", format!("[{FULL}]"), format!("[{READ_ONLY}]")),
                FieldChange::new("inline_policy:data", "absent", json(&s3_read("ml-data"))),
            ]
        }
    );
    let mut writes = aws_common::writes(&env.proxy.counts());
    writes.sort();
    assert_eq!(
        writes,
        [
            "iam:AttachRolePolicy",
            "iam:DetachRolePolicy",
            "iam:PutRolePolicy",
            "iam:UpdateAssumeRolePolicy"
        ]
    );

    // Dropping the inline policy deletes it.
    env.reset();
    let fourth = aws::ensure_saml_role(
        &env.config,
        "ml-saml",
        &provider,
        Some(regional),
        RolePermissions::new().with_managed_policy_arn(READ_ONLY),
    )
    .await
    .unwrap();
    assert_eq!(
        fourth.change,
        Change::Updated {
            diff: vec![FieldChange::new("inline_policy:data", "present", "deleted")]
        }
    );
    assert_eq!(aws_common::writes(&env.proxy.counts()), ["iam:DeleteRolePolicy"]);
}

#[tokio::test]
async fn web_identity_role_trust_follows_client_ids_and_subjects() {
    let env = aws_common::env().await;
    let issuer = "https://login.example.com/realms/ml";
    let provider = aws::ensure_oidc_provider(
        &env.config,
        &OidcProviderSpec::new(issuer, ["studio-fed"]).with_thumbprints(["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]),
    )
    .await
    .unwrap()
    .resource;
    let trust = OidcTrust::new(&provider, issuer).with_client_id("studio-fed");
    let first = aws::ensure_web_identity_role(&env.config, "ml-web", &trust, RolePermissions::new())
        .await
        .unwrap();
    assert_eq!(first.change, Change::Created);

    env.reset();
    let again = aws::ensure_web_identity_role(&env.config, "ml-web", &trust, RolePermissions::new())
        .await
        .unwrap();
    assert_eq!(again.change, Change::Unchanged);
    env.assert_read_only();

    env.reset();
    let narrowed = trust.clone().with_subject("ml-*");
    let third = aws::ensure_web_identity_role(
        &env.config,
        "ml-web",
        &narrowed,
        RolePermissions::new()
            .with_max_session_duration(7_200)
            .with_tag("team", "ml"),
    )
    .await
    .unwrap();
    assert_eq!(
        third.change,
        Change::Updated {
            diff: vec![
                FieldChange::new(
                    "trust_policy",
                    json(&trust.build().unwrap()),
                    json(&narrowed.build().unwrap())
                ),
                FieldChange::new("max_session_duration", 3600, 7200),
                FieldChange::new("tags", "{}", r#"{"team": "ml"}"#),
            ]
        }
    );
    let iam = aws_sdk_iam::Client::new(env.emulator.sdk_config());
    let role = iam.get_role().role_name("ml-web").send().await.unwrap().role.unwrap();
    assert_eq!(role.max_session_duration(), Some(7_200));
    let doc = PolicyDocument::from_json(&url_decode(role.assume_role_policy_document().unwrap())).unwrap();
    assert_eq!(
        doc,
        PolicyDocument::from_json(&narrowed.build().unwrap().to_json()).unwrap()
    );
}

fn url_decode(text: &str) -> String {
    if text.starts_with('{') {
        return text.to_owned();
    }
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .unwrap()
        .1
        .into_owned()
}

#[tokio::test]
async fn customer_managed_policies_get_new_versions_and_old_ones_are_pruned() {
    let env = aws_common::env().await;
    let trust = SamlTrust::new(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/IdentityCenter"))
        .build()
        .unwrap();
    let persona = RolePolicies::new("ml-persona", trust).with_managed_policy("ml-persona-data", s3_read("v0"));
    let spec = RoleSpec::from_role_policies(&persona);
    assert_eq!(
        aws::ensure_role(&env.config, &spec).await.unwrap().change,
        Change::Created
    );
    env.reset();
    assert_eq!(
        aws::ensure_role(&env.config, &spec).await.unwrap().change,
        Change::Unchanged
    );
    env.assert_read_only();

    let mut previous = s3_read("v0");
    for i in 1..=6 {
        let doc = s3_read(&format!("v{i}"));
        let mut spec = spec.clone();
        spec.permissions.customer_managed[0].document = doc.clone();
        let ensured = aws::ensure_role(&env.config, &spec).await.unwrap();
        assert_eq!(
            ensured.change,
            Change::Updated {
                diff: vec![FieldChange::new(
                    "customer_managed:ml-persona-data",
                    json(&previous),
                    json(&doc)
                )]
            },
            "update {i}"
        );
        previous = doc;
    }
    let iam = aws_sdk_iam::Client::new(env.emulator.sdk_config());
    let arn = format!("arn:aws:iam::{ACCOUNT_ID}:policy/ml-persona-data");
    let versions = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
    let mut ids: Vec<&str> = versions.versions().iter().filter_map(|v| v.version_id()).collect();
    ids.sort();
    assert_eq!(ids, ["v3", "v4", "v5", "v6", "v7"], "the oldest versions were deleted");
    let attached = iam
        .list_attached_role_policies()
        .role_name("ml-persona")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 1);
    assert_eq!(attached.attached_policies()[0].policy_arn(), Some(arn.as_str()));
}

#[tokio::test]
async fn over_quota_and_bad_names_are_refused_before_any_call() {
    let env = aws_common::env().await;
    let trust = SamlTrust::new(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/IdentityCenter"))
        .build()
        .unwrap();
    let huge = PolicyDocument::new((0..400).map(|i| {
        Statement::allow()
            .with_actions(["s3:GetObject"])
            .with_resources([format!("arn:aws:s3:::bucket-number-{i}/*")])
    }));
    let spec = RoleSpec::new("too-big", trust.clone())
        .with_permissions(RolePermissions::new().with_inline_policy("big", huge));
    let e = aws::ensure_role(&env.config, &spec).await.unwrap_err();
    assert!(matches!(e, aws::Error::OverQuota { .. }), "{e:?}");
    assert!(e.to_string().contains("the limit is 10,240 per role"), "{e}");

    let e = aws::ensure_role(&env.config, &RoleSpec::new("bad name", trust.clone()))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("invalid role name"), "{e}");

    let mut spec = RoleSpec::new("short", trust);
    spec.permissions.max_session_duration = Some(60);
    let e = aws::ensure_role(&env.config, &spec).await.unwrap_err();
    assert!(e.to_string().contains("max session duration"), "{e}");
    env.assert_nothing_sent();
}

#[tokio::test]
async fn aws_errors_name_the_action_the_resource_and_the_code() {
    let env = aws_common::env().await;
    let trust = SamlTrust::new(format!("arn:aws:iam::{ACCOUNT_ID}:saml-provider/IdentityCenter"))
        .build()
        .unwrap();
    let missing = format!("arn:aws:iam::{ACCOUNT_ID}:policy/DoesNotExist");
    let spec = RoleSpec::new("ml-missing-policy", trust)
        .with_permissions(RolePermissions::new().with_managed_policy_arn(&missing));
    let e = aws::ensure_role(&env.config, &spec).await.unwrap_err();
    assert_eq!(e.code(), Some("NoSuchEntity"), "{e:?}");
    let text = e.to_string();
    assert!(
        text.starts_with(&format!(
            "iam:AttachRolePolicy on role ml-missing-policy (policy {missing}) failed: NoSuchEntity: "
        )),
        "{text}"
    );
    assert!(text.contains("does not exist: create it first"), "{text}");
}
