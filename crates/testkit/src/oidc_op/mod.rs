//! An OpenID Provider on 127.0.0.1 for tests and examples.
//!
//! [`OidcProvider`] serves discovery, a JWKS, the authorization-code flow with
//! PKCE (S256 only) and userinfo. `/authorize` logs the current [`User`] in
//! without any UI and redirects straight back with a code, so a plain HTTP
//! client that does not follow redirects can read the code from `Location`.
//! Keys are generated at start (RSA-2048 for RS256, P-256 for ES256), can be
//! rotated, and [`OidcProvider::mint_id_token`] makes the tokens a real
//! provider never issues (alg none, key confusion, rogue keys, injected
//! headers) for relying-party negative tests.
//! [`OidcProvider::tamper_next_id_token`] puts such a token in the next token
//! response of a real login, and [`threats`] lists every ID-token attack of the
//! threat model in that form, each with the error code the relying party must
//! answer.
//!
//! ```no_run
//! # async fn demo() -> Result<(), studio_fed_testkit::oidc_op::Error> {
//! use studio_fed_testkit::oidc_op::{OidcProvider, User, pkce_challenge};
//!
//! let op = OidcProvider::builder()
//!     .client("my-app", "my-secret", ["http://127.0.0.1:8080/callback"])
//!     .user(User::new("bob").email("bob@example.test").groups(["admins"]))
//!     .start()
//!     .await?;
//! let verifier = "a-high-entropy-verifier-of-at-least-43-characters";
//! let authorize_url = op.authorize_url("state-1", "nonce-1", &pkce_challenge(verifier));
//! // GET authorize_url without following redirects; Location carries ?code=..&state=state-1
//! # let _ = authorize_url; Ok(()) }
//! ```

mod accounts;
mod flow;
mod jwt;
mod keys;
mod server;
pub mod threats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::oneshot;

pub use accounts::{Client, User};
pub use flow::pkce_challenge;
pub use jwt::{MintOptions, token_hash};
pub use keys::SigningAlg;
pub use server::AccessTokenFormat;

use crate::tls::{TlsChain, TlsServer};
use server::{Settings, Shared, State, Tamper};

/// The `client_id` registered when the builder registers no client.
pub const DEFAULT_CLIENT_ID: &str = "studio-fed-test";
/// The secret of [`DEFAULT_CLIENT_ID`].
pub const DEFAULT_CLIENT_SECRET: &str = "studio-fed-test-secret";
/// The redirect URI of [`DEFAULT_CLIENT_ID`] (nothing needs to listen there:
/// read the code from the `Location` header).
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1/callback";

/// What can go wrong starting or driving the provider.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTPS server could not be started.
    #[error("could not serve the OpenID Provider over TLS: {0}")]
    Tls(#[source] crate::tls::Error),
    /// The listener could not be bound.
    #[error("could not bind the OpenID Provider to 127.0.0.1:0: {0} (is the loopback interface available?)")]
    Bind(#[source] std::io::Error),
    /// OpenSSL failed to generate a key, sign or hash.
    #[error("OpenSSL failed: {0} (check that the system OpenSSL works: `openssl version`)")]
    Crypto(#[from] openssl::error::ErrorStack),
    /// A header or claim set could not be serialized.
    #[error("could not serialize a JWT part: {0}")]
    Json(#[from] serde_json::Error),
    /// A redirect URI is not an absolute URL without fragment.
    #[error(
        "redirect URI `{uri}` of client `{client_id}` is not an absolute URL without a fragment: \
         register something like `http://127.0.0.1:8080/callback`"
    )]
    InvalidRedirectUri {
        /// The client.
        client_id: String,
        /// The rejected URI.
        uri: String,
    },
    /// Two clients share a `client_id`.
    #[error("client `{0}` is registered twice: give each client a distinct client_id")]
    DuplicateClient(String),
}

/// How many requests each endpoint has served (e.g. to check that a relying
/// party refreshes the JWKS once, not on every token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestCounts {
    /// `/.well-known/openid-configuration`.
    pub discovery: usize,
    /// `/jwks`.
    pub jwks: usize,
    /// `/authorize`.
    pub authorize: usize,
    /// `/token`.
    pub token: usize,
    /// `/userinfo`.
    pub userinfo: usize,
}

/// Options for [`OidcProvider`]; start with [`OidcProvider::builder`].
#[derive(Debug, Clone)]
pub struct OidcProviderBuilder {
    clients: Vec<Client>,
    user: User,
    alg: SigningAlg,
    settings: Settings,
    tls: Option<TlsChain>,
}

impl OidcProviderBuilder {
    /// Registers a confidential client (`client_secret_basic` or `client_secret_post`).
    /// Without any registered client, [`DEFAULT_CLIENT_ID`] is registered.
    pub fn client<I, S>(mut self, client_id: impl Into<String>, secret: impl Into<String>, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.clients
            .push(Client::confidential(client_id, secret, redirect_uris));
        self
    }

    /// Registers a public client (no secret; PKCE only).
    pub fn public_client<I, S>(mut self, client_id: impl Into<String>, redirect_uris: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.clients.push(Client::public(client_id, redirect_uris));
        self
    }

    /// The user logged in at `/authorize` (default: [`User::default`], `alice`).
    pub fn user(mut self, user: User) -> Self {
        self.user = user;
        self
    }

    /// The algorithm ID and access tokens are signed with (default RS256).
    pub fn signing_alg(mut self, alg: SigningAlg) -> Self {
        self.alg = alg;
        self
    }

    /// How long an authorization code can be redeemed (default 60 s).
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.settings.code_ttl = ttl;
        self
    }

    /// Lifetime of ID and access tokens, `exp - iat` and `expires_in` (default 3600 s).
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.settings.token_ttl = ttl;
        self
    }

    /// Opaque or JWT access tokens (default JWT, `typ: at+jwt`).
    pub fn access_token_format(mut self, format: AccessTokenFormat) -> Self {
        self.settings.access_token_format = format;
        self
    }

    /// Serves over HTTPS with `chain` (leaf and intermediate sent, as a real
    /// IdP does), so the issuer is `https://127.0.0.1:PORT`: what IAM OIDC
    /// providers and thumbprints need. Clients must trust `chain.root_pem()`.
    pub fn tls(mut self, chain: TlsChain) -> Self {
        self.tls = Some(chain);
        self
    }

    /// Generates the keys and serves on `127.0.0.1:0`.
    pub async fn start(self) -> Result<OidcProvider, Error> {
        let mut clients = self.clients;
        if clients.is_empty() {
            clients.push(Client::confidential(
                DEFAULT_CLIENT_ID,
                DEFAULT_CLIENT_SECRET,
                [DEFAULT_REDIRECT_URI],
            ));
        }
        for (i, client) in clients.iter().enumerate() {
            validate_client(client)?;
            if clients[..i].iter().any(|c| c.id == client.id) {
                return Err(Error::DuplicateClient(client.id.clone()));
            }
        }
        let keys = keys::KeySet::generate(self.alg)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(Error::Bind)?;
        let addr = listener.local_addr().map_err(Error::Bind)?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let issuer = format!("{scheme}://{addr}");
        let shared = Arc::new(Shared::new(issuer, State::new(keys, self.user, clients, self.settings)));

        let app = server::router(shared.clone());
        if let Some(chain) = &self.tls {
            let tls = TlsServer::serve_on(listener, chain, app).await.map_err(Error::Tls)?;
            tracing::debug!(issuer = %shared.issuer, "test OpenID Provider started over TLS");
            return Ok(OidcProvider {
                shared,
                addr,
                shutdown: None,
                _tls: Some(tls),
            });
        }
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(error) = serve.await {
                tracing::warn!(%error, "test OpenID Provider stopped with an error");
            }
        });
        tracing::debug!(issuer = %shared.issuer, "test OpenID Provider started");
        Ok(OidcProvider {
            shared,
            addr,
            shutdown: Some(shutdown),
            _tls: None,
        })
    }
}

fn validate_client(client: &Client) -> Result<(), Error> {
    for uri in &client.redirect_uris {
        let valid = url::Url::parse(uri).is_ok_and(|u| u.fragment().is_none() && u.has_host());
        if !valid {
            return Err(Error::InvalidRedirectUri {
                client_id: client.id.clone(),
                uri: uri.clone(),
            });
        }
    }
    Ok(())
}

/// A running test OpenID Provider; stops when dropped.
pub struct OidcProvider {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    /// The HTTPS server when serving over TLS; stops when dropped.
    _tls: Option<TlsServer>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider")
            .field("issuer", &self.shared.issuer)
            .finish_non_exhaustive()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl OidcProvider {
    /// Starts a provider with the defaults: client [`DEFAULT_CLIENT_ID`], user
    /// `alice`, RS256.
    pub async fn start() -> Result<OidcProvider, Error> {
        Self::builder().start().await
    }

    /// Options: clients, user, algorithm, lifetimes.
    pub fn builder() -> OidcProviderBuilder {
        OidcProviderBuilder {
            clients: Vec::new(),
            user: User::default(),
            alg: SigningAlg::Rs256,
            settings: Settings {
                code_ttl: Duration::from_secs(60),
                token_ttl: Duration::from_secs(3600),
                access_token_format: AccessTokenFormat::Jwt,
            },
            tls: None,
        }
    }

    /// The issuer, exactly `http://127.0.0.1:PORT` (no trailing slash).
    pub fn issuer(&self) -> &str {
        &self.shared.issuer
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `{issuer}/.well-known/openid-configuration`.
    pub fn discovery_url(&self) -> String {
        format!("{}{}", self.issuer(), server::DISCOVERY_PATH)
    }

    /// `{issuer}/jwks`.
    pub fn jwks_uri(&self) -> String {
        format!("{}{}", self.issuer(), server::JWKS_PATH)
    }

    /// `{issuer}/authorize`.
    pub fn authorization_endpoint(&self) -> String {
        format!("{}{}", self.issuer(), server::AUTHORIZE_PATH)
    }

    /// `{issuer}/token`.
    pub fn token_endpoint(&self) -> String {
        format!("{}{}", self.issuer(), server::TOKEN_PATH)
    }

    /// `{issuer}/userinfo`.
    pub fn userinfo_endpoint(&self) -> String {
        format!("{}{}", self.issuer(), server::USERINFO_PATH)
    }

    /// The first registered client.
    pub fn client(&self) -> Client {
        let state = self.shared.lock();
        state
            .clients
            .first()
            .cloned()
            .unwrap_or_else(|| Client::public("", [""; 0]))
    }

    /// The first registered client's id.
    pub fn client_id(&self) -> String {
        self.client().id
    }

    /// The first registered client's secret (`None` for a public client).
    pub fn client_secret(&self) -> Option<String> {
        self.client().secret
    }

    /// The first registered client's first redirect URI.
    pub fn redirect_uri(&self) -> String {
        self.client().redirect_uris.first().cloned().unwrap_or_default()
    }

    /// Registers another client while running (e.g. once the relying party's
    /// callback port is known).
    pub fn add_client(&self, client: Client) -> Result<(), Error> {
        validate_client(&client)?;
        let mut state = self.shared.lock();
        if state.clients.iter().any(|c| c.id == client.id) {
            return Err(Error::DuplicateClient(client.id));
        }
        state.clients.push(client);
        Ok(())
    }

    /// The user the next `/authorize` requests log in.
    pub fn set_user(&self, user: User) {
        self.shared.lock().user = Some(user);
    }

    /// Logs the user out: `/authorize` then redirects with `error=login_required`
    /// until [`OidcProvider::set_user`].
    pub fn log_out(&self) {
        self.shared.lock().user = None;
    }

    /// The algorithm of the tokens issued from now on.
    pub fn set_signing_alg(&self, alg: SigningAlg) {
        self.shared.lock().keys.set_alg(alg);
    }

    /// The algorithm tokens are signed with now.
    pub fn signing_alg(&self) -> SigningAlg {
        self.shared.lock().keys.alg()
    }

    /// The `kid` of the key tokens are signed with now.
    pub fn signing_kid(&self) -> String {
        self.shared.lock().keys.signing_key().kid.clone()
    }

    /// Generates new keys (new kids) and signs with them from now on; the old
    /// keys stay in the JWKS until [`OidcProvider::retire_old_keys`].
    pub fn rotate_keys(&self) -> Result<(), Error> {
        self.shared.lock().keys.rotate()?;
        Ok(())
    }

    /// Removes every key but the current ones from the JWKS.
    pub fn retire_old_keys(&self) {
        self.shared.lock().keys.retire_old();
    }

    /// The JWKS as served now (`{"keys": [...]}`).
    pub fn jwks(&self) -> Value {
        self.shared.lock().keys.jwks()
    }

    /// The current RSA public key as SubjectPublicKeyInfo PEM: the HMAC secret
    /// of [`MintOptions::hs256_with_public_key`].
    pub fn rsa_public_key_pem(&self) -> Result<String, Error> {
        let pem = self
            .shared
            .lock()
            .keys
            .current_key(SigningAlg::Rs256)
            .public_key_pem()?;
        Ok(String::from_utf8_lossy(&pem).into_owned())
    }

    /// The public JWKS of the rogue (never published) keys used by
    /// [`MintOptions::rogue_key`], e.g. to serve at an attacker's `jku` URL.
    pub fn rogue_jwks(&self) -> Result<Value, Error> {
        let mut state = self.shared.lock();
        Ok(rogue_keys(&mut state)?.jwks())
    }

    /// Valid ID-token claims for the first client and the current user (or
    /// the default user when logged out), with the given nonce and no
    /// `at_hash`: edit them and pass them to [`OidcProvider::mint_id_token`].
    pub fn id_token_claims(&self, nonce: &str) -> Value {
        let client_id = self.client_id();
        let state = self.shared.lock();
        let user = state.user.clone().unwrap_or_default();
        let now = server::now();
        let claims = server::id_token_claims(
            self.issuer(),
            &client_id,
            &user,
            nonce,
            now,
            state.settings.token_ttl,
            None,
        );
        Value::Object(claims)
    }

    /// Signs any claims (any JSON, even a non-object) as a JWT shaped by
    /// `options`: a valid token with the defaults, or one a real provider
    /// never issues (see [`MintOptions`]).
    pub fn mint_id_token(&self, claims: Value, options: MintOptions) -> Result<String, Error> {
        mint(&mut self.shared.lock(), &claims, &options)
    }

    /// Makes the token endpoint misbehave once: the `id_token` of the next successful token
    /// response carries the claims the provider would have issued (for the user, client, nonce
    /// of the login, with `at_hash` of the access token), edited by `edit`, minted as `options`
    /// says (alg none, HS256 with the public key, a rogue key, an unknown kid, another `typ`,
    /// extra headers...). The rest of the response (access token, expiry) is unchanged.
    ///
    /// Calls queue up: each successful token response uses the oldest queued change (this or
    /// [`OidcProvider::access_token_as_next_id_token`] / [`OidcProvider::next_id_token_verbatim`]);
    /// refused token requests consume none. A relying party must refuse the login.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), studio_fed_testkit::oidc_op::Error> {
    /// use serde_json::json;
    /// use studio_fed_testkit::oidc_op::{MintOptions, OidcProvider};
    ///
    /// let op = OidcProvider::start().await?;
    /// // The next login's ID token is for another audience, and unsigned.
    /// op.tamper_next_id_token(|claims| { claims.insert("aud".into(), json!("another-app")); }, MintOptions::new());
    /// op.tamper_next_id_token(|_| {}, MintOptions::new().alg_none());
    /// # Ok(()) }
    /// ```
    pub fn tamper_next_id_token(
        &self,
        edit: impl FnOnce(&mut Map<String, Value>) + Send + 'static,
        options: MintOptions,
    ) {
        self.shared.lock().tampering.push_back(Tamper::Claims {
            edit: Box::new(edit),
            options,
        });
    }

    /// Queues (like [`OidcProvider::tamper_next_id_token`]) a token response whose `id_token` is
    /// its own access token: a signed JWT with `typ: at+jwt` (or an opaque string with
    /// [`AccessTokenFormat::Opaque`]), the "access token presented as an ID token" attack.
    pub fn access_token_as_next_id_token(&self) {
        self.shared.lock().tampering.push_back(Tamper::AccessToken);
    }

    /// Queues (like [`OidcProvider::tamper_next_id_token`]) a token response whose `id_token` is
    /// `token`, verbatim (e.g. a logout token minted with [`OidcProvider::mint_id_token`], a token
    /// of another login, or garbage).
    pub fn next_id_token_verbatim(&self, token: impl Into<String>) {
        self.shared.lock().tampering.push_back(Tamper::Verbatim(token.into()));
    }

    /// How many queued token-response changes are still to be used.
    pub fn pending_tampering(&self) -> usize {
        self.shared.lock().tampering.len()
    }

    /// Drops every queued token-response change: token responses are genuine again.
    pub fn clear_tampering(&self) {
        self.shared.lock().tampering.clear();
    }

    /// The authorization URL for the first client and its first redirect URI,
    /// `scope=openid email profile`, PKCE S256.
    pub fn authorize_url(&self, state: &str, nonce: &str, code_challenge: &str) -> String {
        let client = self.client();
        let redirect_uri = client.redirect_uris.first().cloned().unwrap_or_default();
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", &client.id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", "openid email profile")
            .append_pair("state", state)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256")
            .finish();
        format!("{}?{query}", self.authorization_endpoint())
    }

    /// How many requests each endpoint has served so far.
    pub fn request_counts(&self) -> RequestCounts {
        let c = &self.shared.counters;
        RequestCounts {
            discovery: c.discovery.load(Ordering::Relaxed),
            jwks: c.jwks.load(Ordering::Relaxed),
            authorize: c.authorize.load(Ordering::Relaxed),
            token: c.token.load(Ordering::Relaxed),
            userinfo: c.userinfo.load(Ordering::Relaxed),
        }
    }
}

/// Mints `claims` as `options` says with the provider's keys (see [`OidcProvider::mint_id_token`]).
fn mint(state: &mut State, claims: &Value, options: &MintOptions) -> Result<String, Error> {
    let alg = options.alg.unwrap_or(state.keys.alg());
    let rogue = rogue_keys(state)?.current_key(alg).clone();
    let published = state.keys.current_key(alg);
    jwt::mint(
        claims,
        options,
        jwt::MintKeys {
            published,
            rogue: &rogue,
        },
    )
}

/// The rogue keys, generated on first use.
fn rogue_keys(state: &mut State) -> Result<&keys::KeySet, Error> {
    match &mut state.rogue {
        Some(rogue) => Ok(rogue),
        empty @ None => Ok(empty.insert(keys::KeySet::generate(SigningAlg::Rs256)?)),
    }
}
