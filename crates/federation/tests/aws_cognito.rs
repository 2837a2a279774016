//! `ensure_user_pool_with_oidc_idp` against the local AWS emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod aws_common;

use std::collections::BTreeMap;

use studio_fed_federation::aws::{self, AppClientSpec, AttributesRequestMethod, OidcIdpSpec, UserPoolSpec};
use studio_fed_federation::{Change, FieldChange};

fn spec() -> UserPoolSpec {
    UserPoolSpec {
        pool_name: "studio-users".to_owned(),
        custom_attributes: vec!["team".to_owned()],
        provider: OidcIdpSpec {
            name: "Corporate".to_owned(),
            issuer: "https://login.example.com/realms/ml".to_owned(),
            client_id: "cognito".to_owned(),
            client_secret: "s3cret".to_owned(),
            authorize_scopes: vec!["openid".to_owned(), "email".to_owned(), "profile".to_owned()],
            attributes_request_method: AttributesRequestMethod::Get,
            attribute_mapping: BTreeMap::from([
                ("email".to_owned(), "email".to_owned()),
                ("username".to_owned(), "sub".to_owned()),
                ("custom:team".to_owned(), "groups".to_owned()),
            ]),
        },
        app_client: AppClientSpec {
            name: "studio-gateway".to_owned(),
            callback_urls: vec!["https://studio.example.com/callback".to_owned()],
            logout_urls: vec!["https://studio.example.com/".to_owned()],
            allowed_oauth_flows: vec!["code".to_owned()],
            allowed_oauth_scopes: vec!["openid".to_owned(), "email".to_owned()],
            supported_identity_providers: vec!["Corporate".to_owned()],
            generate_secret: true,
        },
        domain: Some("studio-fed-login".to_owned()),
    }
}

#[tokio::test]
async fn creates_then_leaves_alone_then_updates_mapping_details_and_client() {
    let env = aws_common::env().await;
    let spec = spec();
    let first = aws::ensure_user_pool_with_oidc_idp(&env.config, &spec).await.unwrap();
    assert_eq!(first.user_pool.change, Change::Created);
    assert_eq!(first.identity_provider.change, Change::Created);
    assert_eq!(first.identity_provider.resource, "Corporate");
    assert_eq!(first.app_client.change, Change::Created);
    assert_eq!(first.domain.as_ref().unwrap().change, Change::Created);
    let pool_id = first.user_pool.resource.clone();

    env.reset();
    let second = aws::ensure_user_pool_with_oidc_idp(&env.config, &spec).await.unwrap();
    assert_eq!(second.user_pool.resource, pool_id);
    assert_eq!(second.app_client.resource, first.app_client.resource);
    for change in [
        &second.user_pool.change,
        &second.identity_provider.change,
        &second.app_client.change,
        &second.domain.as_ref().unwrap().change,
    ] {
        assert_eq!(change, &Change::Unchanged);
    }
    env.assert_read_only();

    env.reset();
    let mut changed = spec.clone();
    changed
        .provider
        .attribute_mapping
        .insert("given_name".to_owned(), "given_name".to_owned());
    changed.provider.attributes_request_method = AttributesRequestMethod::Post;
    changed.provider.client_secret = "rotated".to_owned();
    changed
        .app_client
        .callback_urls
        .push("http://localhost:8080/callback".to_owned());
    let third = aws::ensure_user_pool_with_oidc_idp(&env.config, &changed)
        .await
        .unwrap();
    assert_eq!(third.user_pool.change, Change::Unchanged);
    assert_eq!(
        third.identity_provider.change,
        Change::Updated {
            diff: vec![
                FieldChange::new("provider_details.attributes_request_method", "GET", "POST"),
                FieldChange::new("provider_details.client_secret", "<redacted>", "<redacted>"),
                FieldChange::new(
                    "attribute_mapping",
                    "{custom:team=groups, email=email, username=sub}",
                    "{custom:team=groups, email=email, given_name=given_name, username=sub}"
                ),
            ]
        }
    );
    assert_eq!(
        third.app_client.change,
        Change::Updated {
            diff: vec![FieldChange::new(
                "callback_urls",
                "[https://studio.example.com/callback]",
                "[http://localhost:8080/callback, https://studio.example.com/callback]"
            )]
        }
    );
    let mut writes = aws_common::writes(&env.proxy.counts());
    writes.sort();
    assert_eq!(
        writes,
        ["cognito-idp:UpdateIdentityProvider", "cognito-idp:UpdateUserPoolClient"]
    );

    let cognito = aws_sdk_cognitoidentityprovider::Client::new(env.emulator.sdk_config());
    let idp = cognito
        .describe_identity_provider()
        .user_pool_id(&pool_id)
        .provider_name("Corporate")
        .send()
        .await
        .unwrap()
        .identity_provider
        .unwrap();
    let details = idp.provider_details().unwrap();
    assert_eq!(details["oidc_issuer"], "https://login.example.com/realms/ml");
    assert_eq!(details["attributes_request_method"], "POST");
    assert_eq!(details["authorize_scopes"], "openid email profile");
    assert_eq!(idp.attribute_mapping().unwrap()["given_name"], "given_name");
}

#[tokio::test]
async fn unknown_attributes_are_refused_before_any_call() {
    let env = aws_common::env().await;
    let mut bad = spec();
    bad.provider
        .attribute_mapping
        .insert("department".to_owned(), "dept".to_owned());
    let e = aws::ensure_user_pool_with_oidc_idp(&env.config, &bad)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, aws::Error::Invalid { what: "attribute mapping key", value, .. } if value == "department"),
        "{e:?}"
    );
    assert!(e.to_string().contains("not a user pool attribute"), "{e}");

    let mut undefined_custom = spec();
    undefined_custom
        .provider
        .attribute_mapping
        .insert("custom:cost_center".to_owned(), "cc".to_owned());
    let e = aws::ensure_user_pool_with_oidc_idp(&env.config, &undefined_custom)
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("the pool defines no custom attribute \"cost_center\""),
        "{e}"
    );

    let mut unknown_idp = spec();
    unknown_idp
        .app_client
        .supported_identity_providers
        .push("Google".to_owned());
    let e = aws::ensure_user_pool_with_oidc_idp(&env.config, &unknown_idp)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("supported identity provider"), "{e}");
    env.assert_nothing_sent();
}

#[tokio::test]
async fn a_new_custom_attribute_is_added_to_an_existing_pool() {
    let env = aws_common::env().await;
    aws::ensure_user_pool_with_oidc_idp(&env.config, &spec()).await.unwrap();
    let mut more = spec();
    more.custom_attributes.push("cost_center".to_owned());
    more.provider
        .attribute_mapping
        .insert("custom:cost_center".to_owned(), "cc".to_owned());
    let outcome = aws::ensure_user_pool_with_oidc_idp(&env.config, &more).await.unwrap();
    assert_eq!(
        outcome.user_pool.change,
        Change::Updated {
            diff: vec![FieldChange::new("custom_attributes", "[team]", "[cost_center, team]")]
        }
    );
    assert!(outcome.identity_provider.change.is_change());
}
