//! `ensure_oidc_provider` against the local AWS emulator.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod aws_common;

use aws_common::writes;

use studio_fed_federation::aws::{self, OidcProviderSpec};
use studio_fed_federation::{Change, FieldChange};
use studio_fed_testkit::emulator::ACCOUNT_ID;
use studio_fed_testkit::oidc_op::OidcProvider;
use studio_fed_testkit::tls::TlsChain;

const URL: &str = "https://login.example.com/realms/ml";
const PRINT_A: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";
const PRINT_B: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn creates_then_leaves_alone_then_updates_thumbprints() {
    let env = aws_common::env().await;
    let spec = OidcProviderSpec::new(URL, ["studio-fed", "cli"]).with_thumbprints([PRINT_A]);

    let first = aws::ensure_oidc_provider(&env.config, &spec).await.unwrap();
    assert_eq!(first.change, Change::Created);
    assert_eq!(
        first.resource,
        format!("arn:aws:iam::{ACCOUNT_ID}:oidc-provider/login.example.com/realms/ml")
    );
    assert_eq!(env.proxy.counts().received("iam:CreateOpenIDConnectProvider"), 1);

    env.reset();
    let second = aws::ensure_oidc_provider(&env.config, &spec).await.unwrap();
    assert_eq!(second.change, Change::Unchanged);
    assert_eq!(second.resource, first.resource);
    env.assert_read_only();

    // A trailing slash is the same provider.
    env.reset();
    let slash = OidcProviderSpec::new(format!("{URL}/"), ["cli", "studio-fed"]).with_thumbprints([PRINT_A]);
    assert_eq!(
        aws::ensure_oidc_provider(&env.config, &slash).await.unwrap().change,
        Change::Unchanged
    );
    env.assert_read_only();

    env.reset();
    let changed = OidcProviderSpec::new(URL, ["studio-fed", "cli"]).with_thumbprints([PRINT_B]);
    let third = aws::ensure_oidc_provider(&env.config, &changed).await.unwrap();
    assert_eq!(
        third.change,
        Change::Updated {
            diff: vec![FieldChange::new(
                "thumbprints",
                format!("[{PRINT_A}]"),
                format!("[{PRINT_B}]")
            )]
        }
    );
    let counts = env.proxy.counts();
    assert_eq!(writes(&counts), ["iam:UpdateOpenIDConnectProviderThumbprint"]);

    let iam = aws_sdk_iam::Client::new(env.emulator.sdk_config());
    let stored = iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&first.resource)
        .send()
        .await
        .unwrap();
    let mut ids = stored.client_id_list().to_vec();
    ids.sort();
    assert_eq!(ids, ["cli", "studio-fed"]);
    assert_eq!(stored.thumbprint_list(), [PRINT_B]);
    assert!(
        stored
            .tags()
            .iter()
            .any(|t| t.key() == "managed-by" && t.value() == "studio-fed"),
        "{:?}",
        stored.tags()
    );
}

#[tokio::test]
async fn without_thumbprints_the_issuers_is_computed_from_its_tls_chain() {
    let env = aws_common::env().await;
    let chain = TlsChain::generate(["localhost"]).unwrap();
    let op = OidcProvider::builder().tls(chain.clone()).start().await.unwrap();
    let spec = OidcProviderSpec::new(op.issuer(), ["studio-fed"]).with_tls_root_pem(chain.root_pem().as_bytes());

    let created = aws::ensure_oidc_provider(&env.config, &spec).await.unwrap();
    assert_eq!(created.change, Change::Created);
    let stored = aws_sdk_iam::Client::new(env.emulator.sdk_config())
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&created.resource)
        .send()
        .await
        .unwrap();
    assert_eq!(stored.thumbprint_list(), [chain.expected_thumbprint()]);

    env.reset();
    let again = aws::ensure_oidc_provider(&env.config, &spec).await.unwrap();
    assert_eq!(again.change, Change::Unchanged);
    env.assert_read_only();
}

#[tokio::test]
async fn an_issuer_whose_chain_is_not_trusted_gets_no_thumbprint_and_nothing_is_sent() {
    let env = aws_common::env().await;
    let op = OidcProvider::builder()
        .tls(TlsChain::generate(["localhost"]).unwrap())
        .start()
        .await
        .unwrap();
    let error = aws::ensure_oidc_provider(&env.config, &OidcProviderSpec::new(op.issuer(), ["studio-fed"]))
        .await
        .expect_err("the issuer's private root is not trusted");
    assert!(error.to_string().contains("cannot compute its thumbprint"), "{error}");
    assert_eq!(env.proxy.counts().total(), 0);
}

#[tokio::test]
async fn bad_inputs_are_refused_before_any_call() {
    let env = aws_common::env().await;
    let cases = [
        (
            OidcProviderSpec::new("http://login.example.com", ["a"]),
            "expected an https:// issuer URL",
        ),
        (
            OidcProviderSpec::new(URL, Vec::<String>::new()),
            "give 1 to 100 client ids",
        ),
        (
            OidcProviderSpec::new(URL, ["a"]).with_thumbprints(["not-a-thumbprint"]),
            "40 hex digits",
        ),
    ];
    for (spec, expected) in cases {
        let e = aws::ensure_oidc_provider(&env.config, &spec).await.unwrap_err();
        assert!(matches!(e, aws::Error::Invalid { .. }), "{e:?}");
        assert!(e.to_string().contains(expected), "{e}");
    }
    env.assert_nothing_sent();
}

#[tokio::test]
async fn client_ids_are_added_and_removed() {
    let env = aws_common::env().await;
    let spec = OidcProviderSpec::new(URL, ["studio-fed", "cli"]).with_thumbprints([PRINT_A]);
    aws::ensure_oidc_provider(&env.config, &spec).await.unwrap();
    env.reset();
    let changed = OidcProviderSpec::new(URL, ["studio-fed", "notebooks"]).with_thumbprints([PRINT_A]);
    let ensured = aws::ensure_oidc_provider(&env.config, &changed).await.unwrap();
    assert_eq!(
        ensured.change,
        Change::Updated {
            diff: vec![FieldChange::new(
                "client_ids",
                "[cli, studio-fed]",
                "[notebooks, studio-fed]"
            )]
        }
    );
    let counts = env.proxy.counts();
    assert_eq!(counts.received("iam:AddClientIDToOpenIDConnectProvider"), 1);
    assert_eq!(counts.received("iam:RemoveClientIDFromOpenIDConnectProvider"), 1);
}

#[tokio::test]
async fn more_client_ids_than_iam_allows_are_refused_before_anything_is_sent() {
    // IAM allows 100 client ids per provider.
    let env = aws_common::env().await;
    let hundred: Vec<String> = (0..100).map(|i| format!("client-{i:03}")).collect();
    aws::ensure_oidc_provider(
        &env.config,
        &OidcProviderSpec::new(URL, hundred.clone()).with_thumbprints([PRINT_A]),
    )
    .await
    .unwrap();
    env.reset();
    let mut one_more = hundred;
    one_more.push("client-100".into());
    let error = aws::ensure_oidc_provider(&env.config, &OidcProviderSpec::new(URL, one_more))
        .await
        .expect_err("the 101st client id exceeds IAM's quota");
    assert!(error.to_string().contains("give 1 to 100 client ids"), "{error}");
    assert_eq!(env.proxy.counts().total(), 0, "nothing was sent");
}
