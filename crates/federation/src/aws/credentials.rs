//! Temporary credentials from STS: [`WebIdentityCredentials`] (an ID token
//! exchanged with `AssumeRoleWithWebIdentity`, refreshed before expiry) and
//! [`assume_role_with_saml`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError};
use tracing::Instrument;

use super::Error;

/// Credentials are refreshed when they expire within this window (5 minutes).
pub const DEFAULT_REFRESH_WINDOW: Duration = Duration::from_secs(5 * 60);

type TokenFn = dyn Fn() -> Result<String, Box<dyn std::error::Error + Send + Sync>> + Send + Sync;

/// Where the ID token comes from.
#[derive(Clone)]
pub enum TokenSource {
    /// The same token every time.
    Fixed(String),
    /// Called for each exchange, e.g. to read a token file or mint a fresh token.
    Function(Arc<TokenFn>),
}

impl TokenSource {
    /// A source calling `f` for each exchange.
    pub fn function<F>(f: F) -> Self
    where
        F: Fn() -> Result<String, Box<dyn std::error::Error + Send + Sync>> + Send + Sync + 'static,
    {
        TokenSource::Function(Arc::new(f))
    }

    fn token(&self) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
        match self {
            TokenSource::Fixed(token) => Ok(token.clone()),
            TokenSource::Function(f) => f(),
        }
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Fixed(_) => f.write_str("TokenSource::Fixed(<redacted>)"),
            TokenSource::Function(_) => f.write_str("TokenSource::Function(..)"),
        }
    }
}

/// The time used to decide when to refresh: the system clock unless injected (tests).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A credentials provider that exchanges an OIDC ID token for temporary
/// credentials of a role (`sts:AssumeRoleWithWebIdentity`, an unsigned call),
/// caches them, and exchanges again when they expire within the refresh window.
///
/// Plug it into any SDK client:
///
/// ```no_run
/// # async fn demo(base: &aws_config::SdkConfig, id_token: String) {
/// use aws_credential_types::provider::SharedCredentialsProvider;
/// use studio_fed_federation::aws::{TokenSource, WebIdentityCredentials};
///
/// let provider = WebIdentityCredentials::builder(
///     base,
///     "arn:aws:iam::123456789012:role/ml-web-identity",
///     TokenSource::Fixed(id_token),
/// )
/// .session_name("alice")
/// .build();
/// let config = base.to_builder().credentials_provider(SharedCredentialsProvider::new(provider)).build();
/// let sts = aws_sdk_sts::Client::new(&config);
/// # let _ = sts;
/// # }
/// ```
#[derive(Clone)]
pub struct WebIdentityCredentials {
    inner: Arc<Inner>,
}

struct Inner {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    duration: Option<Duration>,
    token: TokenSource,
    refresh_window: Duration,
    clock: Clock,
    cache: tokio::sync::Mutex<Option<Credentials>>,
}

impl fmt::Debug for WebIdentityCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityCredentials")
            .field("role_arn", &self.inner.role_arn)
            .field("session_name", &self.inner.session_name)
            .field("duration", &self.inner.duration)
            .field("refresh_window", &self.inner.refresh_window)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`WebIdentityCredentials`].
pub struct WebIdentityCredentialsBuilder {
    config: SdkConfig,
    role_arn: String,
    token: TokenSource,
    session_name: String,
    duration: Option<Duration>,
    refresh_window: Duration,
    clock: Option<Clock>,
}

impl fmt::Debug for WebIdentityCredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebIdentityCredentialsBuilder")
            .field("role_arn", &self.role_arn)
            .field("token", &self.token)
            .field("session_name", &self.session_name)
            .field("duration", &self.duration)
            .field("refresh_window", &self.refresh_window)
            .finish_non_exhaustive()
    }
}

impl WebIdentityCredentialsBuilder {
    /// The role session name (default `studio-fed`).
    pub fn session_name(mut self, name: impl Into<String>) -> Self {
        self.session_name = name.into();
        self
    }

    /// The credentials' lifetime (`DurationSeconds`, 900 s to the role's
    /// maximum); default: STS's (1 hour).
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Refresh when the credentials expire within this window (default 5 minutes).
    pub fn refresh_window(mut self, window: Duration) -> Self {
        self.refresh_window = window;
        self
    }

    /// The clock deciding when to refresh (default: the system clock).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The provider. Its STS client uses the configuration's region and
    /// endpoint; the exchange itself is not signed.
    pub fn build(self) -> WebIdentityCredentials {
        WebIdentityCredentials {
            inner: Arc::new(Inner {
                sts: aws_sdk_sts::Client::new(&self.config),
                role_arn: self.role_arn,
                session_name: self.session_name,
                duration: self.duration,
                token: self.token,
                refresh_window: self.refresh_window,
                clock: self.clock.unwrap_or_else(|| Arc::new(SystemTime::now)),
                cache: tokio::sync::Mutex::new(None),
            }),
        }
    }
}

impl WebIdentityCredentials {
    /// Settings for credentials of `role_arn` from tokens of `token`, using
    /// `config`'s region and endpoint for STS.
    pub fn builder(
        config: &SdkConfig,
        role_arn: impl Into<String>,
        token: TokenSource,
    ) -> WebIdentityCredentialsBuilder {
        WebIdentityCredentialsBuilder {
            config: config.clone(),
            role_arn: role_arn.into(),
            token,
            session_name: "studio-fed".to_owned(),
            duration: None,
            refresh_window: DEFAULT_REFRESH_WINDOW,
            clock: None,
        }
    }

    /// The role whose credentials these are.
    pub fn role_arn(&self) -> &str {
        &self.inner.role_arn
    }

    /// Cached credentials while they are valid beyond the refresh window;
    /// otherwise a new exchange.
    pub async fn credentials(&self) -> Result<Credentials, Error> {
        let inner = &self.inner;
        let mut cache = inner.cache.lock().await;
        let now = (inner.clock)();
        if let Some(cached) = cache.as_ref() {
            let fresh = cached.expiry().is_none_or(|expiry| now + inner.refresh_window < expiry);
            if fresh {
                return Ok(cached.clone());
            }
            tracing::debug!(role_arn = %inner.role_arn, "web identity credentials expire soon: refreshing");
        }
        let credentials = self.exchange().await?;
        *cache = Some(credentials.clone());
        Ok(credentials)
    }

    async fn exchange(&self) -> Result<Credentials, Error> {
        let inner = &self.inner;
        let span = tracing::info_span!("assume_role_with_web_identity", role_arn = %inner.role_arn);
        async move {
            let token = inner.token.token().map_err(|e| Error::Credentials {
                role_arn: inner.role_arn.clone(),
                detail: format!("the ID token source failed: {e}"),
            })?;
            let mut request = inner
                .sts
                .assume_role_with_web_identity()
                .role_arn(&inner.role_arn)
                .role_session_name(&inner.session_name)
                .web_identity_token(token);
            if let Some(duration) = inner.duration {
                request = request.duration_seconds(duration_seconds(&inner.role_arn, duration)?);
            }
            let out = request
                .send()
                .await
                .map_err(|e| Error::aws("sts:AssumeRoleWithWebIdentity", &inner.role_arn, e))?;
            let credentials = convert(&inner.role_arn, out.credentials(), "WebIdentityCredentials")?;
            tracing::info!(expires = ?credentials.expiry(), "exchanged an ID token for role credentials");
            Ok(credentials)
        }
        .instrument(span)
        .await
    }
}

impl ProvideCredentials for WebIdentityCredentials {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            self.credentials().await.map_err(CredentialsError::provider_error)
        })
    }
}

/// Exchanges a SAML response (base64, as posted by the IdP; validate it first
/// with [`crate::saml`]) for temporary credentials of `role_arn`, trusted
/// through the SAML provider `principal_arn` (`sts:AssumeRoleWithSAML`, unsigned).
///
/// ```no_run
/// # async fn demo(config: &aws_config::SdkConfig, response: &str) -> Result<(), studio_fed_federation::aws::Error> {
/// let credentials = studio_fed_federation::aws::assume_role_with_saml(
///     config,
///     "arn:aws:iam::123456789012:role/ml-saml",
///     "arn:aws:iam::123456789012:saml-provider/IdentityCenter",
///     response,
///     None,
/// )
/// .await?;
/// # let _ = credentials;
/// # Ok(()) }
/// ```
pub async fn assume_role_with_saml(
    config: &SdkConfig,
    role_arn: &str,
    principal_arn: &str,
    saml_response_base64: &str,
    duration: Option<Duration>,
) -> Result<Credentials, Error> {
    let span = tracing::info_span!("assume_role_with_saml", role_arn, principal_arn);
    async move {
        if saml_response_base64.trim().is_empty() || saml_response_base64.trim_start().starts_with('<') {
            return Err(Error::invalid(
                "SAML response",
                saml_response_base64,
                "expected the base64-encoded SAMLResponse as posted by the IdP",
            ));
        }
        let sts = aws_sdk_sts::Client::new(config);
        let mut request = sts
            .assume_role_with_saml()
            .role_arn(role_arn)
            .principal_arn(principal_arn)
            .saml_assertion(saml_response_base64.trim());
        if let Some(duration) = duration {
            request = request.duration_seconds(duration_seconds(role_arn, duration)?);
        }
        let out = request
            .send()
            .await
            .map_err(|e| Error::aws("sts:AssumeRoleWithSAML", role_arn, e))?;
        convert(role_arn, out.credentials(), "AssumeRoleWithSAML")
    }
    .instrument(span)
    .await
}

fn duration_seconds(role_arn: &str, duration: Duration) -> Result<i32, Error> {
    let seconds = duration.as_secs();
    if !(900..=43_200).contains(&seconds) {
        return Err(Error::invalid(
            "session duration",
            &format!("{seconds} s"),
            format!("STS accepts 900 to 43200 seconds (and at most the maximum session duration of {role_arn})"),
        ));
    }
    i32::try_from(seconds).map_err(|_| Error::invalid("session duration", &seconds.to_string(), "too long"))
}

fn convert(
    role_arn: &str,
    credentials: Option<&aws_sdk_sts::types::Credentials>,
    provider_name: &'static str,
) -> Result<Credentials, Error> {
    let c = credentials.ok_or_else(|| Error::Credentials {
        role_arn: role_arn.to_owned(),
        detail: "STS answered without credentials".to_owned(),
    })?;
    let expiry = SystemTime::try_from(*c.expiration()).map_err(|e| Error::Credentials {
        role_arn: role_arn.to_owned(),
        detail: format!("STS returned an unusable expiration: {e}"),
    })?;
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_owned()),
        Some(expiry),
        provider_name,
    ))
}
