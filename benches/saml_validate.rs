//! SAML validation throughput: complete validations of an IAM Identity
//! Center-shaped response (Response and Assertion both signed, RSA-2048,
//! rsa-sha256, exclusive c14n, about 7 KB) through the HTTP-POST entry point
//! the access gateway uses.
//!
//! ```sh
//! cargo bench --bench saml_validate
//! ```
//!
//! The target is at least 2,000 validations per second on one core. Measured
//! on the 2-core development machine (shared with other builds, so these are
//! lower bounds): about 7,800 validations per second on one core (about
//! 127 µs each; 8,200/s at best). It was about 1,550/s (650 µs) when
//! samael/libxmlsec1 verified every signature, loading each metadata
//! certificate again for every signature (under OpenSSL 3 that load cost more
//! than the RSA verification). The remaining time is mostly the two RSA-2048
//! verifications, scanning, and reading the signed bytes.
#![allow(missing_docs)] // criterion_group! generates an undocumented public function

#[path = "common/mod.rs"]
mod common;

use common::AcceptRepeats;
use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use studio_fed::federation::saml::{IdpMetadata, ResponseValidator};
use studio_fed_testkit::saml_idp::SamlIdp;
use time::OffsetDateTime;

const ACS: &str = "https://studio-gateway.example.com/saml/acs";

fn saml_validate(c: &mut Criterion) {
    let idp = SamlIdp::new("https://portal.sso.eu-west-1.amazonaws.com/saml/assertion/ABCDEF").expect("IdP");
    let now = OffsetDateTime::now_utc();
    let response = idp
        .identity_center_style(
            ACS,
            &format!("{ACS}/"),
            "8f3b9c2e-1a2b-4c5d-9e8f-0a1b2c3d4e5f",
            "d-team0a1b2c3d",
        )
        .at(now)
        .build()
        .expect("signed response");
    let form_value = response.base64();
    let metadata = IdpMetadata::from_xml(&idp.metadata_xml()).expect("metadata");
    let validator = ResponseValidator::builder(metadata)
        .audience(ACS)
        .acs_url(ACS)
        .allow_idp_initiated(true)
        .replay_cache(Arc::new(AcceptRepeats))
        .build()
        .expect("validator");
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
    runtime
        .block_on(validator.validate_post_at(&form_value, &[], now))
        .expect("the benchmark's response is valid");

    let mut group = c.benchmark_group("saml_validate");
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        format!("identity_center_both_signed_{}_bytes", response.xml().len()),
        |b| {
            b.iter(|| {
                runtime
                    .block_on(validator.validate_post_at(black_box(&form_value), &[], now))
                    .expect("valid")
            })
        },
    );
    group.finish();
}

criterion_group!(benches, saml_validate);
criterion_main!(benches);
