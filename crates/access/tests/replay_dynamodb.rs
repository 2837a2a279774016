//! Single use across instances: two gateways behind one public URL share the emulator's DynamoDB
//! through `DynamoDbReplayCache`, so a SAML response accepted by one is refused by the other, also
//! when both receive it at once; the store configured in TOML is the same; and a store that cannot
//! be reached refuses every login (fail closed).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::sync::Arc;

use aws_sdk_dynamodb::types::{BillingMode, KeyType, ScalarAttributeType, TableStatus, TimeToLiveStatus};
use studio_fed_access::audit::Outcome;
use studio_fed_access::replay::DynamoDbReplayCache;
use studio_fed_federation::replay::ReplayCache;
use support::*;

const TABLE: &str = "studio-fed-replay";

/// The shared store, its table created.
async fn shared_store(w: &World, table: &str) -> Arc<dyn ReplayCache> {
    let cache = DynamoDbReplayCache::new(w.emulator.sdk_config(), table);
    cache.ensure_table().await.expect("ensure_table");
    Arc::new(cache)
}

/// Two instances with the same configuration, behind the first one's URL (its ACS is the one in
/// every response). Each still listens on its own port.
async fn two_instances(w: &World, extra: &str, replay: Option<Arc<dyn ReplayCache>>) -> (TestGateway, TestGateway) {
    let config = saml_config(&w.metadata_file, &w.domain, extra);
    let first = start_gateway(&config, w.emulator.sdk_config(), replay.clone()).await;
    let second = start_gateway(&config.replace("{URL}", &first.url), w.emulator.sdk_config(), replay).await;
    assert_ne!(first.acs(), second.acs());
    assert_eq!(first.gateway.config().acs_url(), second.gateway.config().acs_url());
    (first, second)
}

fn dynamodb(w: &World) -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::new(w.emulator.sdk_config())
}

async fn items(w: &World, table: &str) -> Vec<String> {
    let scan = dynamodb(w).scan().table_name(table).send().await.unwrap();
    scan.items()
        .iter()
        .map(|item| item["id"].as_s().unwrap().clone())
        .collect()
}

/// (status, refusal code) of an answer; a 303's Location is redeemed at the emulator.
async fn outcome(w: &World, answer: reqwest::Response) -> (u16, String) {
    let status = answer.status().as_u16();
    if status == 303 {
        let location = answer.headers()["location"].to_str().unwrap();
        let redemption = w.emulator.redeem(location).await.unwrap();
        assert!(redemption.valid, "{redemption:?}");
    }
    (status, error_code(&answer))
}

fn accepted() -> (u16, String) {
    (303, String::new())
}

fn replayed() -> (u16, String) {
    (403, "saml.replayed".into())
}

#[tokio::test]
async fn ensure_table_creates_the_table_once_and_is_idempotent() {
    let w = world().await;
    let cache = DynamoDbReplayCache::new(w.emulator.sdk_config(), TABLE);
    cache.ensure_table().await.expect("creates the table");
    cache.ensure_table().await.expect("the table exists: nothing to do");
    // Two instances starting at once.
    let (a, b) = tokio::join!(cache.ensure_table(), cache.ensure_table());
    a.unwrap();
    b.unwrap();

    let ddb = dynamodb(&w);
    let tables = ddb.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), [TABLE]);
    let table = ddb.describe_table().table_name(TABLE).send().await.unwrap();
    let table = table.table().unwrap();
    assert_eq!(table.table_status(), Some(&TableStatus::Active));
    let key = table.key_schema();
    assert_eq!(key.len(), 1);
    assert_eq!((key[0].attribute_name(), key[0].key_type()), ("id", &KeyType::Hash));
    let attribute = &table.attribute_definitions()[0];
    assert_eq!(
        (attribute.attribute_name(), attribute.attribute_type()),
        ("id", &ScalarAttributeType::S)
    );
    assert_eq!(
        table.billing_mode_summary().and_then(|b| b.billing_mode()),
        Some(&BillingMode::PayPerRequest)
    );
    let ttl = ddb.describe_time_to_live().table_name(TABLE).send().await.unwrap();
    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(ttl.attribute_name(), Some("expires_at"));
    assert_eq!(ttl.time_to_live_status(), Some(&TimeToLiveStatus::Enabled));
}

#[tokio::test]
async fn a_response_used_at_one_instance_is_refused_at_the_other() {
    let w = world().await;
    let store = shared_store(&w, TABLE).await;
    let (first, second) = two_instances(&w, "", Some(store)).await;

    // Accepted by the first, replayed to the second.
    let response = identity_center(&w, &first, USER, &w.domain);
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        replayed()
    );
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        replayed()
    );

    // And the other way round.
    let response = identity_center(&w, &first, USER, &w.domain);
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        replayed()
    );

    assert_eq!(
        first.audit.events().iter().map(|e| e.outcome).collect::<Vec<_>>(),
        [Outcome::Allowed, Outcome::Refused, Outcome::Refused]
    );
    assert_eq!(
        second.audit.events().iter().map(|e| e.outcome).collect::<Vec<_>>(),
        [Outcome::Refused, Outcome::Allowed]
    );

    // One item per used response, holding a hash, never the assertion ID itself.
    let ids = items(&w, TABLE).await;
    assert_eq!(ids.len(), 2, "{ids:?}");
    for id in &ids {
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()), "{id}");
    }
    assert!(
        !ids.iter()
            .any(|id| id == response.assertion_id() || id == response.id())
    );
}

#[tokio::test]
async fn without_a_shared_store_each_instance_accepts_the_same_response() {
    // The control for the test above: with each instance's own memory store, a response used
    // at one instance opens Studio a second time at the other.
    let w = world().await;
    let (first, second) = two_instances(&w, "", None).await;
    let response = identity_center(&w, &first, USER, &w.domain);
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        replayed()
    );
}

#[tokio::test]
async fn the_same_response_posted_to_both_instances_at_once_is_accepted_once() {
    let w = world().await;
    let store = shared_store(&w, TABLE).await;
    let (first, second) = two_instances(&w, "", Some(store)).await;
    for round in 0..5 {
        let form = identity_center(&w, &first, USER, &w.domain).base64();
        let (a, b) = tokio::join!(post_acs(&first, &form, &[]), post_acs(&second, &form, &[]));
        let (a, b) = (outcome(&w, a).await, outcome(&w, b).await);
        let mut outcomes = [a, b];
        outcomes.sort();
        assert_eq!(outcomes, [accepted(), replayed()], "round {round}");
    }
    assert_eq!(items(&w, TABLE).await.len(), 5);
}

#[tokio::test]
async fn the_dynamodb_store_configured_in_toml_is_shared() {
    let w = world().await;
    let table = "studio-fed-replay-configured";
    DynamoDbReplayCache::new(w.emulator.sdk_config(), table)
        .ensure_table()
        .await
        .unwrap();
    let replay = format!("[replay]\nstore = \"dynamodb\"\ntable = \"{table}\"\n");
    let (first, second) = two_instances(&w, &replay, None).await;

    let response = identity_center(&w, &first, USER, &w.domain);
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        items(&w, table).await.len(),
        1,
        "the use is recorded in the configured table"
    );
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        replayed()
    );

    let form = identity_center(&w, &first, USER, &w.domain).base64();
    let (a, b) = tokio::join!(post_acs(&first, &form, &[]), post_acs(&second, &form, &[]));
    let mut outcomes = [outcome(&w, a).await, outcome(&w, b).await];
    outcomes.sort();
    assert_eq!(outcomes, [accepted(), replayed()]);
    assert_eq!(items(&w, table).await.len(), 2);
}

#[tokio::test]
async fn a_missing_table_refuses_every_login() {
    let w = world().await;
    let table = "studio-fed-replay-missing";
    let replay = format!("[replay]\nstore = \"dynamodb\"\ntable = \"{table}\"\n");
    let (first, second) = two_instances(&w, &replay, None).await;

    for gw in [&first, &second] {
        let response = identity_center(&w, &first, USER, &w.domain);
        let answer = post_acs(gw, &response.base64(), &[]).await;
        assert!(answer.headers().get("location").is_none());
        assert_eq!(
            (answer.status().as_u16(), error_code(&answer)),
            (503, "saml.replay_cache_unavailable".into())
        );
        let page = answer.text().await.unwrap();
        assert!(page.contains("replay cache is unavailable"), "{page}");
        assert!(!page.contains(response.assertion_id()), "{page}");
        let event = gw.audit.events().pop().unwrap();
        assert_eq!(event.outcome, Outcome::Refused);
        assert_eq!(event.code.as_deref(), Some("saml.replay_cache_unavailable"));
    }

    // The same gateways work once the table exists: it was the table that was missing.
    DynamoDbReplayCache::new(w.emulator.sdk_config(), table)
        .ensure_table()
        .await
        .unwrap();
    let response = identity_center(&w, &first, USER, &w.domain);
    assert_eq!(
        outcome(&w, post_acs(&first, &response.base64(), &[]).await).await,
        accepted()
    );
    assert_eq!(
        outcome(&w, post_acs(&second, &response.base64(), &[]).await).await,
        replayed()
    );
}
