//! Every OIDC ID-token row of the threat table (federation-threats.md),
//! against the testkit OpenID Provider on 127.0.0.1, each expecting its
//! specific error.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod oidc_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use oidc_support::*;
use serde_json::{Value, json};
use studio_fed_federation::oidc::{OidcError, SigningAlgorithm};
use studio_fed_testkit::oidc_op::{MintOptions, SigningAlg, token_hash};

#[tokio::test]
async fn a_valid_token_is_accepted_and_mapped() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "n-ok", |_| {}, MintOptions::new());
    let t = v.validate(&token, "n-ok", None).await.unwrap();
    assert_eq!(t.subject, "alice");
    assert_eq!(t.issuer, op.issuer());
    assert_eq!(t.audiences, vec![op.client_id()]);
    assert_eq!(t.email.as_deref(), Some("alice@studio-fed.test"));
    assert_eq!(t.name.as_deref(), Some("Alice Example"));
    assert_eq!(t.groups, vec!["data-scientists".to_owned()]);
    assert_eq!(t.claim("azp"), Some(&Value::String(op.client_id())));
    assert_eq!(t.raw_token(), token);
    assert!(!format!("{t:?}").contains(&token), "Debug must not print the token");
    // ES256 is in the default allowlist.
    let es = mint(&op, "n-es", |_| {}, MintOptions::new().alg(SigningAlg::Es256));
    v.validate(&es, "n-es", None).await.unwrap();
}

#[tokio::test]
async fn alg_none_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "n", |_| {}, MintOptions::new().alg_none());
    assert_eq!(refused(&v, &token, "n").await, OidcError::UnsignedToken);
}

#[tokio::test]
async fn alg_outside_the_allowlist_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator_with(&op, |b| b.allowed_algorithms([SigningAlgorithm::Rs256])).await;
    let token = mint(&op, "n", |_| {}, MintOptions::new().alg(SigningAlg::Es256));
    assert!(matches!(refused(&v, &token, "n").await, OidcError::AlgorithmNotAllowed { alg, .. } if alg == "ES256"));
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "n", |_| {}, MintOptions::new().hs256_with_public_key());
    assert!(matches!(refused(&v, &token, "n").await, OidcError::AlgorithmNotAllowed { alg, .. } if alg == "HS256"));

    // Even with HS256 enabled (client secret), the public key is not the MAC key.
    let v = validator_with(&op, |b| b.allow_hs256_with_client_secret(op.client_secret().unwrap())).await;
    let token = mint(&op, "n2", |_| {}, MintOptions::new().hs256_with_public_key());
    assert_eq!(refused(&v, &token, "n2").await, OidcError::BadSignature);
    // ... while a token MACed with the configured secret is accepted.
    let good = mint(&op, "n3", |_| {}, MintOptions::new().hs256(op.client_secret().unwrap()));
    v.validate(&good, "n3", None).await.unwrap();
}

#[tokio::test]
async fn a_token_signed_by_a_rogue_key_under_a_published_kid_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "n", |_| {}, MintOptions::new().rogue_key());
    assert_eq!(refused(&v, &token, "n").await, OidcError::BadSignature);
}

#[tokio::test]
async fn unknown_kid_refreshes_the_jwks_once_then_rejects_and_is_rate_limited() {
    let op = start_op(SigningAlg::Rs256).await;
    let clock = TestClock::default();
    let c = clock.clone();
    let v = validator_with(&op, move |b| {
        b.clock(move || c.now()).jwks_refresh_interval(Duration::from_secs(300))
    })
    .await;
    let before = op.request_counts().jwks;

    let token = mint(&op, "n1", |_| {}, MintOptions::new().unknown_kid());
    assert!(
        matches!(refused(&v, &token, "n1").await, OidcError::UnknownKey { kid: Some(k), .. } if k == "kid-not-in-the-jwks")
    );
    assert_eq!(op.request_counts().jwks, before + 1, "exactly one JWKS refresh");

    let token = mint(&op, "n2", |_| {}, MintOptions::new().unknown_kid());
    assert!(matches!(refused(&v, &token, "n2").await, OidcError::UnknownKey { .. }));
    assert_eq!(
        op.request_counts().jwks,
        before + 1,
        "no refetch within the rate-limit window"
    );

    // After the window, an unknown kid may refresh again (once).
    clock.advance(301);
    let claims_token = {
        let mut claims = op.id_token_claims("n3");
        let now = clock.now().unix_timestamp();
        claims["iat"] = json!(now);
        claims["exp"] = json!(now + 600);
        op.mint_id_token(claims, MintOptions::new().unknown_kid()).unwrap()
    };
    assert!(matches!(
        refused(&v, &claims_token, "n3").await,
        OidcError::UnknownKey { .. }
    ));
    assert_eq!(op.request_counts().jwks, before + 2);
}

/// A server that counts every request, standing in for an attacker's key URL.
async fn counting_server(body: Value) -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let app = Router::new().fallback(get(move || {
        let counter = counter.clone();
        let body = body.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            axum::Json(body)
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/keys", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (url, hits, task)
}

#[tokio::test]
async fn jku_x5u_and_jwk_headers_are_never_used_or_fetched() {
    let op = start_op(SigningAlg::Rs256).await;
    let (url, hits, task) = counting_server(op.rogue_jwks().unwrap()).await;
    let v = validator(&op).await;

    let jku = mint(&op, "n1", |_| {}, MintOptions::new().rogue_key().jku(url.clone()));
    assert_eq!(refused(&v, &jku, "n1").await, OidcError::BadSignature);
    let x5u = mint(&op, "n2", |_| {}, MintOptions::new().rogue_key().x5u(url.clone()));
    assert_eq!(refused(&v, &x5u, "n2").await, OidcError::BadSignature);
    // A rogue key embedded as `jwk`, with its own kid (plus a jku for good measure).
    let jwk = mint(&op, "n3", |_| {}, MintOptions::new().embed_rogue_jwk().jku(url.clone()));
    assert!(matches!(refused(&v, &jwk, "n3").await, OidcError::UnknownKey { .. }));
    // An unknown kid pointing at the attacker's JWKS: the validator refreshes the issuer's JWKS, not jku.
    let unknown = mint(
        &op,
        "n4",
        |_| {},
        MintOptions::new().rogue_key().kid("attacker-kid").jku(url.clone()),
    );
    assert!(matches!(
        refused(&v, &unknown, "n4").await,
        OidcError::UnknownKey { .. }
    ));

    assert_eq!(hits.load(Ordering::SeqCst), 0, "the jku/x5u URL was fetched");
    task.abort();
}

#[tokio::test]
async fn issuer_must_match_exactly() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let issuer = format!("{}/", op.issuer());
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("iss".into(), json!(issuer));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n").await, OidcError::WrongIssuer { found, .. } if found == issuer));
    let token = mint(
        &op,
        "n2",
        |c| {
            c.remove("iss");
        },
        MintOptions::new(),
    );
    assert_eq!(refused(&v, &token, "n2").await, OidcError::MissingClaim("iss".into()));
}

#[tokio::test]
async fn audience_must_contain_the_client_id() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("aud".into(), json!(["another-app"]));
            c.insert("azp".into(), json!("another-app"));
        },
        MintOptions::new(),
    );
    assert!(matches!(
        refused(&v, &token, "n").await,
        OidcError::WrongAudience { .. }
    ));
    // Our client id plus an untrusted audience is refused too.
    let token = mint(
        &op,
        "n2",
        |c| {
            c.insert("aud".into(), json!([op.client_id(), "untrusted-app"]));
        },
        MintOptions::new(),
    );
    assert!(matches!(
        refused(&v, &token, "n2").await,
        OidcError::WrongAudience { .. }
    ));
}

#[tokio::test]
async fn azp_must_be_the_client_id_when_present_and_is_required_with_several_audiences() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator_with(&op, |b| b.trusted_audiences(["api.studio-fed.test"])).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("azp".into(), json!("another-app"));
        },
        MintOptions::new(),
    );
    assert!(matches!(
        refused(&v, &token, "n").await,
        OidcError::WrongAuthorizedParty { found: Some(azp), .. } if azp == "another-app"
    ));
    let token = mint(
        &op,
        "n2",
        |c| {
            c.insert("aud".into(), json!([op.client_id(), "api.studio-fed.test"]));
            c.remove("azp");
        },
        MintOptions::new(),
    );
    assert!(matches!(
        refused(&v, &token, "n2").await,
        OidcError::WrongAuthorizedParty { found: None, .. }
    ));
    // Both trusted audiences with the right azp: accepted.
    let token = mint(
        &op,
        "n3",
        |c| {
            c.insert("aud".into(), json!([op.client_id(), "api.studio-fed.test"]));
        },
        MintOptions::new(),
    );
    v.validate(&token, "n3", None).await.unwrap();
}

#[tokio::test]
async fn exp_is_required() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.remove("exp");
        },
        MintOptions::new(),
    );
    assert_eq!(refused(&v, &token, "n").await, OidcError::MissingClaim("exp".into()));
}

#[tokio::test]
async fn an_expired_token_is_rejected_beyond_the_skew_only() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("iat".into(), json!(now() - 300));
            c.insert("exp".into(), json!(now() - 120));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n").await, OidcError::Expired { .. }));
    // 30 s past exp is within the default 60 s skew.
    let token = mint(
        &op,
        "n2",
        |c| {
            c.insert("exp".into(), json!(now() - 30));
        },
        MintOptions::new(),
    );
    v.validate(&token, "n2", None).await.unwrap();
}

#[tokio::test]
async fn nbf_in_the_future_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("nbf".into(), json!(now() + 600));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n").await, OidcError::NotYetValid { .. }));
}

#[tokio::test]
async fn iat_far_in_the_future_or_absurdly_old_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("iat".into(), json!(now() + 3600));
        },
        MintOptions::new(),
    );
    assert!(matches!(
        refused(&v, &token, "n").await,
        OidcError::IssuedInFuture { .. }
    ));
    let token = mint(
        &op,
        "n2",
        |c| {
            c.insert("iat".into(), json!(now() - 30 * 86_400));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n2").await, OidcError::TooOld { .. }));
    let token = mint(
        &op,
        "n3",
        |c| {
            c.insert("iat".into(), json!(1));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n3").await, OidcError::TooOld { .. }));
    let token = mint(
        &op,
        "n4",
        |c| {
            c.insert("iat".into(), json!(-5));
        },
        MintOptions::new(),
    );
    assert!(matches!(refused(&v, &token, "n4").await, OidcError::InvalidClaimType { claim, .. } if claim == "iat"));
}

#[tokio::test]
async fn string_typed_time_claims_are_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    for (i, claim) in ["exp", "iat", "nbf"].into_iter().enumerate() {
        let nonce = format!("n{i}");
        let token = mint(
            &op,
            &nonce,
            |c| {
                c.insert(claim.into(), json!((now() + 60).to_string()));
            },
            MintOptions::new(),
        );
        assert!(
            matches!(refused(&v, &token, &nonce).await, OidcError::InvalidClaimType { claim: c, .. } if c == claim),
            "{claim} as a string"
        );
    }
}

#[tokio::test]
async fn nonce_missing_or_different_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.remove("nonce");
        },
        MintOptions::new(),
    );
    assert_eq!(refused(&v, &token, "n").await, OidcError::MissingClaim("nonce".into()));
    let token = mint(&op, "the-nonce-in-the-token", |_| {}, MintOptions::new());
    assert_eq!(refused(&v, &token, "the-nonce-we-sent").await, OidcError::NonceMismatch);
    // An empty expected nonce never matches.
    let token = mint(&op, "", |_| {}, MintOptions::new());
    assert_eq!(refused(&v, &token, "").await, OidcError::NonceMismatch);
}

#[tokio::test]
async fn a_nonce_is_single_use() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "once", |_| {}, MintOptions::new());
    v.validate(&token, "once", None).await.unwrap();
    assert_eq!(refused(&v, &token, "once").await, OidcError::NonceReused);
    // Another token with the same nonce is a replay too.
    let other = mint(&op, "once", |_| {}, MintOptions::new().alg(SigningAlg::Es256));
    assert_eq!(refused(&v, &other, "once").await, OidcError::NonceReused);
}

#[tokio::test]
async fn a_wrong_at_hash_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("at_hash".into(), json!(token_hash("some-other-access-token")));
        },
        MintOptions::new(),
    );
    assert_eq!(
        v.validate(&token, "n", Some("the-access-token")).await.unwrap_err(),
        OidcError::AccessTokenHashMismatch
    );
    let token = mint(
        &op,
        "n2",
        |c| {
            c.insert("at_hash".into(), json!(token_hash("the-access-token")));
        },
        MintOptions::new(),
    );
    v.validate(&token, "n2", Some("the-access-token")).await.unwrap();
}

#[tokio::test]
async fn a_wrong_or_missing_c_hash_is_rejected_in_the_hybrid_flow() {
    let op = start_op(SigningAlg::Es256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert("c_hash".into(), json!(token_hash("another-code")));
        },
        MintOptions::new(),
    );
    assert_eq!(
        v.validate_hybrid(&token, "n", None, Some("the-code"))
            .await
            .unwrap_err(),
        OidcError::CodeHashMismatch
    );
    let token = mint(&op, "n2", |_| {}, MintOptions::new());
    assert_eq!(
        v.validate_hybrid(&token, "n2", None, Some("the-code"))
            .await
            .unwrap_err(),
        OidcError::MissingClaim("c_hash".into())
    );
    let token = mint(
        &op,
        "n3",
        |c| {
            c.insert("c_hash".into(), json!(token_hash("the-code")));
        },
        MintOptions::new(),
    );
    v.validate_hybrid(&token, "n3", None, Some("the-code")).await.unwrap();
}

#[tokio::test]
async fn an_access_token_presented_as_an_id_token_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(&op, "n", |_| {}, MintOptions::new().typ("at+jwt"));
    assert_eq!(
        refused(&v, &token, "n").await,
        OidcError::WrongTokenType("at+jwt".into())
    );
    let token = mint(&op, "n2", |_| {}, MintOptions::new().typ("application/at+jwt"));
    assert!(matches!(refused(&v, &token, "n2").await, OidcError::WrongTokenType(_)));
}

#[tokio::test]
async fn a_logout_token_presented_as_an_id_token_is_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let token = mint(
        &op,
        "n",
        |c| {
            c.insert(
                "events".into(),
                json!({"http://schemas.openid.net/event/backchannel-logout": {}}),
            );
        },
        MintOptions::new().typ("logout+jwt"),
    );
    assert_eq!(
        refused(&v, &token, "n").await,
        OidcError::WrongTokenType("logout+jwt".into())
    );
}

#[tokio::test]
async fn malformed_tokens_are_rejected() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    for bad in ["", "a.b", "a.b.c.d.e", "!!.!!.!!"] {
        assert!(
            matches!(refused(&v, bad, "n").await, OidcError::Malformed(_)),
            "{bad:?}"
        );
    }
    let token = mint(&op, "n", |_| {}, MintOptions::new());
    let stripped = format!("{}.", token.rsplit_once('.').unwrap().0);
    assert_eq!(refused(&v, &stripped, "n").await, OidcError::UnsignedToken);
}

#[tokio::test]
async fn a_key_the_provider_retired_is_refused_once_the_cached_jwks_is_too_old() {
    let op = start_op(SigningAlg::Rs256).await;
    let clock = TestClock::default();
    let c = clock.clone();
    let v = validator_with(&op, move |b| {
        b.clock(move || c.now())
            .jwks_max_age(Duration::from_secs(3600))
            .max_token_age(Duration::from_secs(4 * 3600))
    })
    .await;
    // Tokens signed by the key that is about to be retired, valid for hours.
    let old_key_token = |nonce: &str| {
        mint(
            &op,
            nonce,
            |claims| {
                claims.insert("exp".into(), json!(now() + 3 * 3600));
            },
            MintOptions::new(),
        )
    };
    let first = old_key_token("n1");
    let second = old_key_token("n2");
    op.rotate_keys().unwrap();
    op.retire_old_keys();
    let before = op.request_counts().jwks;

    // Within the JWKS's maximum age the cached (old) key still verifies, without a fetch.
    v.validate(&first, "n1", None).await.expect("cached key");
    assert_eq!(op.request_counts().jwks, before);

    // Past it, the JWKS is fetched again: the retired key is gone.
    clock.advance(3601);
    assert!(matches!(refused(&v, &second, "n2").await, OidcError::UnknownKey { .. }));
    assert!(op.request_counts().jwks > before, "the stale JWKS was refetched");
}

/// Every entry of the testkit's ID-token threat catalog, minted from the claims the OP would issue
/// and validated directly (with an access token, so `at_hash` is checked): refused with the entry's
/// code. Reports every failing entry by name.
#[tokio::test]
async fn every_id_token_threat_is_refused_by_the_validator() {
    let op = start_op(SigningAlg::Rs256).await;
    let v = validator(&op).await;
    let mut failures = Vec::new();
    for (i, threat) in studio_fed_testkit::oidc_op::threats::catalog().into_iter().enumerate() {
        let nonce = format!("catalog-{i}");
        let mut claims = op.id_token_claims(&nonce);
        claims["at_hash"] = json!(token_hash("the-access-token"));
        (threat.edit)(claims.as_object_mut().unwrap());
        let token = op.mint_id_token(claims, threat.options.clone()).unwrap();
        match v.validate(&token, &nonce, Some("the-access-token")).await {
            Ok(_) => failures.push(format!("{}: accepted", threat.name)),
            Err(error) if error.code() != threat.expected_code => failures.push(format!(
                "{}: {} ({error}), expected {}",
                threat.name,
                error.code(),
                threat.expected_code
            )),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
