//! The fault-injection proxy in front of the emulator: the real SDK's standard
//! retries ride out throttling, and the proxy's per-operation counts are exact.

use studio_fed_testkit::emulator::Emulator;
use studio_fed_testkit::proxy::{FaultPlan, FaultProxy};

const CALLS: usize = 20;

#[tokio::test]
async fn standard_retries_succeed_under_30_percent_throttling_with_exact_counts() {
    let emulator = Emulator::start().await.expect("emulator");
    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint URL");
    let proxy = FaultProxy::start(upstream, FaultPlan::new().throttle(0.3).seed(7))
        .await
        .expect("proxy");
    // The default SDK configuration: standard retry mode, 3 attempts.
    let sagemaker = aws_sdk_sagemaker::Client::new(&emulator.sdk_config_via(&proxy.endpoint_url()));

    for _ in 0..CALLS {
        sagemaker
            .list_domains()
            .send()
            .await
            .expect("ListDomains despite throttling");
    }

    let counts = proxy.counts();
    let operation = "sagemaker:ListDomains";
    let list = counts.operation(operation);
    assert_eq!(
        list.forwarded, CALLS as u64,
        "every call reached the emulator exactly once"
    );
    assert!(
        list.throttled > 0,
        "30% throttling over {CALLS} calls throttled some: {list:?}"
    );
    assert_eq!(list.received, list.forwarded + list.throttled, "{list:?}");
    assert_eq!(
        counts.total(),
        list.received,
        "no other operation was called: {counts:?}"
    );

    // With faults off, one call is one request.
    proxy.set_plan(FaultPlan::new()).expect("plan");
    proxy.reset_counts();
    sagemaker.list_domains().send().await.expect("ListDomains");
    assert_eq!(proxy.counts().received(operation), 1);
}

#[tokio::test]
async fn throttling_beyond_the_retry_budget_surfaces_as_a_throttling_error() {
    let emulator = Emulator::start().await.expect("emulator");
    let upstream = url::Url::parse(emulator.endpoint_url()).expect("endpoint URL");
    let proxy = FaultProxy::start(upstream, FaultPlan::new().throttle(1.0))
        .await
        .expect("proxy");
    let sagemaker = aws_sdk_sagemaker::Client::new(&emulator.sdk_config_via(&proxy.endpoint_url()));

    let error = sagemaker.list_domains().send().await.expect_err("always throttled");
    let error = error.into_service_error();
    assert_eq!(
        aws_sdk_sagemaker::error::ProvideErrorMetadata::code(&error),
        Some("ThrottlingException")
    );
    let counts = proxy.counts();
    assert_eq!(
        counts.received("sagemaker:ListDomains"),
        3,
        "the standard mode's 3 attempts"
    );
    assert_eq!(counts.forwarded("sagemaker:ListDomains"), 0);
}
