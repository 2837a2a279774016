//! The test OpenID Provider: discovery, the code + PKCE flow with signatures
//! verified independently against the JWKS, its refusals, key rotation and
//! the minting of malicious tokens.
#![allow(clippy::unwrap_used, missing_docs)]

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::ecdsa::EcdsaSig;
use openssl::hash::{MessageDigest, hash};
use openssl::nid::Nid;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::sign::{Signer, Verifier};
use serde_json::{Value, json};
use studio_fed_testkit::oidc_op::{
    AccessTokenFormat, Client, MintOptions, OidcProvider, SigningAlg, User, pkce_challenge, token_hash,
};
use url::Url;

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn b64d(segment: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(segment).unwrap()
}

/// The decoded header and claims of a compact JWS, and its raw signature.
fn decode(token: &str) -> (Value, Value, Vec<u8>) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three segments: {token}");
    let header = serde_json::from_slice(&b64d(parts[0])).unwrap();
    let claims = serde_json::from_slice(&b64d(parts[1])).unwrap();
    (header, claims, b64d(parts[2]))
}

/// Verifies a JWS against a JWKS with OpenSSL only (no code shared with the
/// provider): finds the key by kid, checks alg against the key, verifies.
fn verify_with_jwks(token: &str, jwks: &Value) -> Result<Value, String> {
    let (header, claims, signature) = decode(token);
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or("kid not in the JWKS")?;
    let alg = header["alg"].as_str().ok_or("no alg")?;
    if jwk["alg"] != alg {
        return Err(format!("header alg {alg} does not match the key's {}", jwk["alg"]));
    }
    let signing_input = token.rsplit_once('.').unwrap().0.as_bytes();
    let bn = |member: &str| BigNum::from_slice(&b64d(jwk[member].as_str().unwrap())).unwrap();
    let valid = match alg {
        "RS256" => {
            assert_eq!(jwk["kty"], "RSA");
            let key = PKey::from_rsa(Rsa::from_public_components(bn("n"), bn("e")).unwrap()).unwrap();
            let mut verifier = Verifier::new(MessageDigest::sha256(), &key).unwrap();
            verifier.update(signing_input).unwrap();
            verifier.verify(&signature).unwrap_or(false)
        }
        "ES256" => {
            assert_eq!((jwk["kty"].as_str(), jwk["crv"].as_str()), (Some("EC"), Some("P-256")));
            assert_eq!(signature.len(), 64, "ES256 signatures are raw r||s, 64 bytes");
            let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
            let key = EcKey::from_public_key_affine_coordinates(&group, &bn("x"), &bn("y")).unwrap();
            let r = BigNum::from_slice(&signature[..32]).unwrap();
            let s = BigNum::from_slice(&signature[32..]).unwrap();
            let sig = EcdsaSig::from_private_components(r, s).unwrap();
            sig.verify(&hash(MessageDigest::sha256(), signing_input).unwrap(), &key)
                .unwrap()
        }
        other => return Err(format!("unexpected alg {other}")),
    };
    if valid { Ok(claims) } else { Err("bad signature".into()) }
}

/// GETs an authorize URL and returns the redirect's query parameters.
async fn authorize(url: &str) -> Vec<(String, String)> {
    let response = http().get(url).send().await.unwrap();
    assert_eq!(
        response.status(),
        302,
        "authorize should redirect: {:?}",
        response.text().await
    );
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location.query_pairs().into_owned().collect()
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

async fn code_for(op: &OidcProvider, nonce: &str) -> String {
    let params = authorize(&op.authorize_url("st", nonce, &pkce_challenge(VERIFIER))).await;
    param(&params, "code").unwrap().to_owned()
}

/// POSTs to the token endpoint with client_secret_basic.
async fn redeem(op: &OidcProvider, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(op.token_endpoint())
        .basic_auth(op.client_id(), op.client_secret())
        .form(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn redeem_code(op: &OidcProvider, code: &str) -> (u16, Value) {
    let redirect_uri = op.redirect_uri();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &redirect_uri),
        ("code_verifier", VERIFIER),
    ];
    redeem(op, &form).await
}

#[tokio::test]
async fn discovery_document_has_the_required_fields() {
    let op = OidcProvider::start().await.unwrap();
    let doc: Value = http()
        .get(op.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let issuer = format!("http://127.0.0.1:{}", op.addr().port());
    assert_eq!(op.issuer(), issuer);
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(doc["authorization_endpoint"], format!("{issuer}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{issuer}/userinfo"));
    assert_eq!(doc["jwks_uri"], op.jwks_uri());
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256", "ES256"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert!(doc["scopes_supported"].as_array().unwrap().contains(&json!("openid")));
    assert!(doc["claims_supported"].as_array().unwrap().contains(&json!("email")));
    assert_eq!(op.request_counts().discovery, 1);
}

#[tokio::test]
async fn jwks_publishes_an_rsa_and_an_ec_signing_key() {
    let op = OidcProvider::start().await.unwrap();
    let response = http().get(op.jwks_uri()).send().await.unwrap();
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let rsa = &keys[0];
    assert_eq!(
        (rsa["kty"].as_str(), rsa["alg"].as_str(), rsa["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    assert_eq!(b64d(rsa["n"].as_str().unwrap()).len(), 256, "RSA-2048 modulus");
    assert_eq!(rsa["e"], "AQAB");
    let ec = &keys[1];
    assert_eq!(
        (ec["kty"].as_str(), ec["alg"].as_str(), ec["crv"].as_str()),
        (Some("EC"), Some("ES256"), Some("P-256"))
    );
    assert_eq!(b64d(ec["x"].as_str().unwrap()).len(), 32);
    assert_eq!(b64d(ec["y"].as_str().unwrap()).len(), 32);
    assert_ne!(rsa["kid"], ec["kid"]);
    assert_eq!(jwks, op.jwks());
    assert!(rsa.get("d").is_none() && ec.get("d").is_none(), "no private parts");
    assert_eq!(op.request_counts().jwks, 1);
}

async fn full_flow(alg: SigningAlg) {
    let op = OidcProvider::builder()
        .client("app", "s3cret", ["http://127.0.0.1:9999/cb"])
        .user(
            User::new("u-42")
                .email("u42@example.test")
                .name("U 42")
                .groups(["a", "b"])
                .claim("dept", json!("ml")),
        )
        .signing_alg(alg)
        .start()
        .await
        .unwrap();
    let params = authorize(&op.authorize_url("state-xyz", "nonce-123", &pkce_challenge(VERIFIER))).await;
    assert_eq!(param(&params, "state"), Some("state-xyz"));
    assert_eq!(param(&params, "iss"), Some(op.issuer()));
    let code = param(&params, "code").unwrap();

    let (status, body) = redeem_code(&op, code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    let id_token = body["id_token"].as_str().unwrap();
    let access_token = body["access_token"].as_str().unwrap();

    let jwks: Value = http().get(op.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let claims = verify_with_jwks(id_token, &jwks).unwrap();
    let (header, _, _) = decode(id_token);
    assert_eq!(header["alg"], alg.as_str());
    assert_eq!(header["typ"], "JWT");
    assert_eq!(header["kid"], op.signing_kid().as_str());

    assert_eq!(claims["iss"], op.issuer());
    assert_eq!(claims["sub"], "u-42");
    assert_eq!(claims["aud"], "app");
    assert_eq!(claims["azp"], "app");
    assert_eq!(claims["nonce"], "nonce-123");
    assert_eq!(claims["email"], "u42@example.test");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "U 42");
    assert_eq!(claims["groups"], json!(["a", "b"]));
    assert_eq!(claims["dept"], "ml");
    let (iat, exp) = (claims["iat"].as_u64().unwrap(), claims["exp"].as_u64().unwrap());
    assert_eq!(exp - iat, 3600);
    assert!(claims["auth_time"].as_u64().unwrap() <= iat);
    // at_hash per OIDC Core 3.1.3.6, computed here independently.
    let digest = hash(MessageDigest::sha256(), access_token.as_bytes()).unwrap();
    assert_eq!(claims["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    assert_eq!(claims["at_hash"], token_hash(access_token));

    // The access token is an RFC 9068 JWT, signed by the same key.
    let (at_header, _, _) = decode(access_token);
    assert_eq!(at_header["typ"], "at+jwt");
    let at_claims = verify_with_jwks(access_token, &jwks).unwrap();
    assert_eq!(
        (at_claims["client_id"].as_str(), at_claims["sub"].as_str()),
        (Some("app"), Some("u-42"))
    );

    let userinfo: Value = http()
        .get(op.userinfo_endpoint())
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo["sub"], "u-42");
    assert_eq!(userinfo["email"], "u42@example.test");
}

#[tokio::test]
async fn code_flow_with_pkce_rs256_verifies_against_the_jwks() {
    full_flow(SigningAlg::Rs256).await;
}

#[tokio::test]
async fn code_flow_with_pkce_es256_verifies_against_the_jwks() {
    full_flow(SigningAlg::Es256).await;
}

#[tokio::test]
async fn client_secret_post_and_public_clients_work_and_wrong_secrets_do_not() {
    let op = OidcProvider::builder()
        .client("conf", "pw", ["http://127.0.0.1/cb"])
        .public_client("spa", ["http://127.0.0.1/spa"])
        .start()
        .await
        .unwrap();
    let code = code_for(&op, "n").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://127.0.0.1/cb"),
        ("code_verifier", VERIFIER),
        ("client_id", "conf"),
        ("client_secret", "pw"),
    ];
    let response = http().post(op.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");

    let code = code_for(&op, "n").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://127.0.0.1/cb"),
        ("code_verifier", VERIFIER),
    ];
    let response = http()
        .post(op.token_endpoint())
        .basic_auth("conf", Some("wrong"))
        .form(&form)
        .send();
    let response = response.await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_client");

    // A public client: client_id in the form, no secret, PKCE.
    let challenge = pkce_challenge(VERIFIER);
    let url = format!(
        "{}?response_type=code&client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%2Fspa&scope=openid&state=s&nonce=n\
         &code_challenge={challenge}&code_challenge_method=S256",
        op.authorization_endpoint()
    );
    let params = authorize(&url).await;
    let code = param(&params, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1/spa"),
        ("code_verifier", VERIFIER),
        ("client_id", "spa"),
    ];
    let response = http().post(op.token_endpoint()).form(&form).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let id_token = response.json::<Value>().await.unwrap()["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(verify_with_jwks(&id_token, &op.jwks()).unwrap()["aud"], "spa");
}

#[tokio::test]
async fn pkce_mismatch_is_rejected_and_burns_the_code() {
    let op = OidcProvider::start().await.unwrap();
    let code = code_for(&op, "n").await;
    let redirect_uri = op.redirect_uri();
    let wrong = "wrong-verifier-wrong-verifier-wrong-verifier-000";
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect_uri),
        ("code_verifier", wrong),
    ];
    let (status, body) = redeem(&op, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    assert!(body["error_description"].as_str().unwrap().contains("PKCE"));

    // A verifier outside RFC 7636's 43-128 unreserved characters is refused as such.
    let code = code_for(&op, "n").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect_uri),
        ("code_verifier", "short"),
    ];
    let (status, body) = redeem(&op, &form).await;
    assert_eq!(status, 400);
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .starts_with("code_verifier must be"),
        "{body}"
    );
    let code = code_for(&op, "n").await;

    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &redirect_uri),
    ];
    let (status, body) = redeem(&op, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "missing verifier: {body}"
    );

    let (status, _) = redeem_code(&op, &code).await;
    assert_eq!(status, 400, "a code is single-use even when the first attempt failed");
}

#[tokio::test]
async fn code_reuse_is_rejected_and_revokes_the_access_token() {
    let op = OidcProvider::start().await.unwrap();
    let code = code_for(&op, "n").await;
    let (status, body) = redeem_code(&op, &code).await;
    assert_eq!(status, 200);
    let access_token = body["access_token"].as_str().unwrap();
    let userinfo = http()
        .get(op.userinfo_endpoint())
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 200);

    let (status, body) = redeem_code(&op, &code).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(body["error_description"], "authorization code already used");
    let userinfo = http()
        .get(op.userinfo_endpoint())
        .bearer_auth(access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
}

#[tokio::test]
async fn expired_codes_and_unknown_codes_are_rejected() {
    let op = OidcProvider::builder().code_ttl(Duration::ZERO).start().await.unwrap();
    let code = code_for(&op, "n").await;
    let (status, body) = redeem_code(&op, &code).await;
    assert_eq!(
        (status, body["error_description"].as_str()),
        (400, Some("authorization code expired"))
    );
    let (status, body) = redeem_code(&op, "no-such-code").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
}

#[tokio::test]
async fn wrong_redirect_uri_is_rejected_at_authorize_and_token() {
    let op = OidcProvider::start().await.unwrap();
    // Not registered exactly (trailing slash): 400, and never a redirect.
    let url = op
        .authorize_url("s", "n", &pkce_challenge(VERIFIER))
        .replace("%2Fcallback", "%2Fcallback%2F");
    let response = http().get(&url).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(!response.headers().contains_key("location"));
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_request");

    let code = code_for(&op, "n").await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", "http://127.0.0.1/other"),
        ("code_verifier", VERIFIER),
    ];
    let (status, body) = redeem(&op, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
}

#[tokio::test]
async fn invalid_authorization_requests_redirect_with_rfc6749_errors() {
    let op = OidcProvider::start().await.unwrap();
    let good = op.authorize_url("s1", "n1", &pkce_challenge(VERIFIER));
    let cases = [
        (
            good.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            good.replace("scope=openid+email+profile", "scope=email"),
            "invalid_scope",
        ),
        (good.replace("&nonce=n1", ""), "invalid_request"),
        (
            good.replace("code_challenge_method=S256", "code_challenge_method=plain"),
            "invalid_request",
        ),
        (good.replace("&code_challenge_method=S256", ""), "invalid_request"),
        (good.replace("code_challenge=", "code_challenge=x"), "invalid_request"),
    ];
    for (url, error) in cases {
        let params = authorize(&url).await;
        assert_eq!(param(&params, "error"), Some(error), "{url}");
        assert_eq!(param(&params, "state"), Some("s1"), "{url}");
        assert!(param(&params, "code").is_none());
    }
    // Without state, the error redirect carries none.
    let params = authorize(&good.replace("&state=s1", "")).await;
    assert_eq!(param(&params, "error"), Some("invalid_request"));
    assert_eq!(param(&params, "state"), None);

    // Unknown client: no redirect.
    let response = http()
        .get(good.replace("client_id=studio-fed-test", "client_id=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);

    op.log_out();
    let params = authorize(&good).await;
    assert_eq!(param(&params, "error"), Some("login_required"));
    op.set_user(User::new("carol"));
    let code = code_for(&op, "n2").await;
    let (_, body) = redeem_code(&op, &code).await;
    let claims = verify_with_jwks(body["id_token"].as_str().unwrap(), &op.jwks()).unwrap();
    assert_eq!((claims["sub"].as_str(), claims.get("email")), (Some("carol"), None));
    assert_eq!(op.request_counts().authorize, 10);
}

#[tokio::test]
async fn authorize_accepts_post() {
    let op = OidcProvider::start().await.unwrap();
    let url = Url::parse(&op.authorize_url("s", "n", &pkce_challenge(VERIFIER))).unwrap();
    let form: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let response = http()
        .post(op.authorization_endpoint())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
}

#[tokio::test]
async fn rotation_publishes_the_new_key_and_keeps_the_old_until_retired() {
    let op = OidcProvider::start().await.unwrap();
    let old_kid = op.signing_kid();
    let old_token = op.mint_id_token(op.id_token_claims("n"), MintOptions::new()).unwrap();

    op.rotate_keys().unwrap();
    let new_kid = op.signing_kid();
    assert_ne!(old_kid, new_kid);
    let jwks: Value = http().get(op.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 4);
    assert!(kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    verify_with_jwks(&old_token, &jwks).unwrap();

    let code = code_for(&op, "n").await;
    let (_, body) = redeem_code(&op, &code).await;
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(decode(id_token).0["kid"], new_kid.as_str());
    verify_with_jwks(id_token, &jwks).unwrap();

    op.retire_old_keys();
    let jwks: Value = http().get(op.jwks_uri()).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2);
    assert!(!kids.contains(&old_kid.as_str()) && kids.contains(&new_kid.as_str()));
    assert_eq!(verify_with_jwks(&old_token, &jwks), Err("kid not in the JWKS".into()));
    verify_with_jwks(id_token, &jwks).unwrap();

    op.set_signing_alg(SigningAlg::Es256);
    assert_eq!(op.signing_alg(), SigningAlg::Es256);
    let token = op.mint_id_token(op.id_token_claims("n"), MintOptions::new()).unwrap();
    assert_eq!(decode(&token).0["alg"], "ES256");
    verify_with_jwks(&token, &jwks).unwrap();
}

#[tokio::test]
async fn opaque_access_tokens_are_supported() {
    let op = OidcProvider::builder()
        .access_token_format(AccessTokenFormat::Opaque)
        .start()
        .await
        .unwrap();
    let code = code_for(&op, "n").await;
    let (_, body) = redeem_code(&op, &code).await;
    let access_token = body["access_token"].as_str().unwrap();
    assert!(!access_token.contains('.'));
    let claims = verify_with_jwks(body["id_token"].as_str().unwrap(), &op.jwks()).unwrap();
    assert_eq!(claims["at_hash"], token_hash(access_token));
}

#[tokio::test]
async fn clients_can_be_added_while_running_and_are_validated() {
    let op = OidcProvider::start().await.unwrap();
    op.add_client(Client::confidential("late", "pw", ["http://127.0.0.1:4000/cb"]))
        .unwrap();
    assert!(op.add_client(Client::public("late", ["http://127.0.0.1/x"])).is_err());
    let err = op.add_client(Client::public("bad", ["not a url"])).unwrap_err();
    assert!(err.to_string().contains("not an absolute URL"), "{err}");
    let err = OidcProvider::builder()
        .client("a", "b", ["http://x/#frag"])
        .start()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("fragment"), "{err}");
}

#[tokio::test]
async fn minted_tokens_are_what_the_options_say() {
    let op = OidcProvider::start().await.unwrap();
    let jwks = op.jwks();
    let claims = op.id_token_claims("n-1");
    assert_eq!(claims["iss"], op.issuer());
    assert_eq!(claims["aud"], op.client_id());
    assert_eq!(claims["nonce"], "n-1");

    // Default: valid.
    let token = op.mint_id_token(claims.clone(), MintOptions::new()).unwrap();
    assert_eq!(verify_with_jwks(&token, &jwks).unwrap(), claims);

    // alg none: empty signature segment, no kid.
    let token = op.mint_id_token(claims.clone(), MintOptions::new().alg_none()).unwrap();
    assert!(token.ends_with('.') && token.matches('.').count() == 2, "{token}");
    let (header, body, signature) = decode(&token);
    assert_eq!(header, json!({"alg": "none", "typ": "JWT"}));
    assert_eq!((body, signature.len()), (claims.clone(), 0));

    // HS256 keyed with the RSA public key PEM: the HMAC verifies with exactly those bytes.
    let token = op
        .mint_id_token(claims.clone(), MintOptions::new().hs256_with_public_key())
        .unwrap();
    let (header, _, signature) = decode(&token);
    assert_eq!(header["alg"], "HS256");
    assert_eq!(header["kid"], jwks["keys"][0]["kid"], "points at the RSA key");
    let pem = op.rsa_public_key_pem().unwrap();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    let hmac_key = PKey::hmac(pem.as_bytes()).unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &hmac_key).unwrap();
    signer.update(token.rsplit_once('.').unwrap().0.as_bytes()).unwrap();
    assert_eq!(signer.sign_to_vec().unwrap(), signature);
    assert!(verify_with_jwks(&token, &jwks).is_err());

    // HS256 with a chosen secret.
    let token = op
        .mint_id_token(claims.clone(), MintOptions::new().hs256("client-secret"))
        .unwrap();
    let (header, _, signature) = decode(&token);
    assert_eq!((header["alg"].as_str(), header.get("kid")), (Some("HS256"), None));
    let hmac_key = PKey::hmac(b"client-secret").unwrap();
    let mut signer = Signer::new(MessageDigest::sha256(), &hmac_key).unwrap();
    signer.update(token.rsplit_once('.').unwrap().0.as_bytes()).unwrap();
    assert_eq!(signer.sign_to_vec().unwrap(), signature);

    // Unknown kid, signed by the real key.
    let token = op
        .mint_id_token(claims.clone(), MintOptions::new().unknown_kid())
        .unwrap();
    assert_eq!(verify_with_jwks(&token, &jwks), Err("kid not in the JWKS".into()));
    let token = op.mint_id_token(claims.clone(), MintOptions::new().no_kid()).unwrap();
    assert!(decode(&token).0.get("kid").is_none());

    // Rogue key: published kid, signature by an unpublished key that the rogue JWKS verifies.
    let rogue_jwks = op.rogue_jwks().unwrap();
    for alg in [SigningAlg::Rs256, SigningAlg::Es256] {
        let token = op
            .mint_id_token(claims.clone(), MintOptions::new().alg(alg).rogue_key())
            .unwrap();
        let (header, _, _) = decode(&token);
        assert_eq!(header["alg"], alg.as_str());
        assert!(
            jwks["keys"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kid"] == header["kid"])
        );
        assert_eq!(verify_with_jwks(&token, &jwks), Err("bad signature".into()));
        let kid = header["kid"].as_str().unwrap();
        let relabelled = json!({"keys": rogue_jwks["keys"].as_array().unwrap().iter()
            .filter(|k| k["alg"] == alg.as_str()).map(|k| { let mut k = k.clone(); k["kid"] = json!(kid); k })
            .collect::<Vec<_>>()});
        verify_with_jwks(&token, &relabelled).unwrap();
    }

    // Embedded rogue JWK, jku, x5u, typ.
    let options = MintOptions::new()
        .embed_rogue_jwk()
        .jku("http://127.0.0.1:9/jwks")
        .x5u("http://127.0.0.1:9/cert");
    let token = op.mint_id_token(claims.clone(), options).unwrap();
    let (header, _, _) = decode(&token);
    assert_eq!(header["jku"], "http://127.0.0.1:9/jwks");
    assert_eq!(header["x5u"], "http://127.0.0.1:9/cert");
    assert_eq!(header["jwk"]["kid"], header["kid"]);
    assert!(rogue_jwks["keys"].as_array().unwrap().contains(&header["jwk"]));
    verify_with_jwks(&token, &json!({"keys": [header["jwk"].clone()]})).unwrap();
    assert!(verify_with_jwks(&token, &jwks).is_err());

    let token = op
        .mint_id_token(claims.clone(), MintOptions::new().typ("at+jwt"))
        .unwrap();
    assert_eq!(decode(&token).0["typ"], "at+jwt");
    verify_with_jwks(&token, &jwks).unwrap();
    let token = op
        .mint_id_token(claims.clone(), MintOptions::new().typ("logout+jwt"))
        .unwrap();
    assert_eq!(decode(&token).0["typ"], "logout+jwt");
    let token = op.mint_id_token(claims.clone(), MintOptions::new().no_typ()).unwrap();
    assert!(decode(&token).0.get("typ").is_none());

    // Arbitrary claims (missing, wrongly typed) go through as given; headers override last.
    let odd = json!({"iss": op.issuer(), "exp": "tomorrow"});
    let token = op
        .mint_id_token(odd.clone(), MintOptions::new().header("alg", json!("RS512")))
        .unwrap();
    let (header, body, _) = decode(&token);
    assert_eq!((header["alg"].as_str(), body), (Some("RS512"), odd));
    let token = op
        .mint_id_token(claims, MintOptions::new().alg(SigningAlg::Es256))
        .unwrap();
    assert_eq!(decode(&token).2.len(), 64);
    verify_with_jwks(&token, &jwks).unwrap();
}

#[tokio::test]
async fn serves_over_tls_with_an_https_issuer() {
    let chain = studio_fed_testkit::tls::TlsChain::generate(["localhost"]).unwrap();
    let op = OidcProvider::builder().tls(chain.clone()).start().await.unwrap();
    assert!(op.issuer().starts_with("https://127.0.0.1:"), "{}", op.issuer());
    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(chain.root_pem().as_bytes()).unwrap()])
        .build()
        .unwrap();
    let discovery: serde_json::Value = client
        .get(op.discovery_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], op.issuer());
    assert_eq!(discovery["jwks_uri"], op.jwks_uri());
    assert!(op.jwks_uri().starts_with("https://"));
}
