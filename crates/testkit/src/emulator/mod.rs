//! The local AWS emulator: moto's server mode plus the project's SageMaker
//! Studio and SSO extension (`tests/emulator/`), one server per [`Emulator`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), studio_fed_testkit::emulator::Error> {
//! use studio_fed_testkit::emulator::Emulator;
//!
//! let emulator = Emulator::start().await?;
//! let sagemaker = aws_sdk_sagemaker::Client::new(emulator.sdk_config());
//! # let _ = sagemaker;
//! # Ok(()) }
//! ```

mod delays;
mod process;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use serde::Deserialize;

pub use delays::Delays;
use process::ServerProcess;

use crate::venv::{Layout, Spec};

/// The emulator's environment: `tests/emulator` in `target/studio-fed-emulator`.
const VENV: Spec = Spec {
    purpose: "the local AWS emulator",
    source: "tests/emulator",
    source_var: "STUDIO_FED_EMULATOR_DIR",
    home: "studio-fed-emulator",
    min_python: "3.9",
};

/// The emulator's layout, its environment installed.
fn installed() -> Result<Layout, Error> {
    let layout = Layout::discover(&VENV).map_err(Error::Setup)?;
    layout.ensure().map_err(Error::Setup)?;
    Ok(layout)
}

/// The account moto uses for credentials it does not know.
pub const ACCOUNT_ID: &str = "123456789012";
/// The region the emulator's SDK configuration uses unless told otherwise.
pub const DEFAULT_REGION: &str = "us-east-1";
/// The dummy access key id handed to SDK clients.
pub const ACCESS_KEY_ID: &str = "testing";
/// The dummy secret access key handed to SDK clients.
pub const SECRET_ACCESS_KEY: &str = "testing";

/// Why the emulator could not be used.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Python, its virtual environment or the pinned packages are not available.
    #[error("local AWS emulator setup: {0}")]
    Setup(String),
    /// The server did not start.
    #[error("local AWS emulator did not start: {0}")]
    Start(String),
    /// Talking to the emulator's own endpoints failed.
    #[error("local AWS emulator: {0}")]
    Http(String),
}

/// The emulator's Python environment: the interpreter of its virtual
/// environment and the folder of its sources (`tests/emulator`), e.g. to run
/// the extension's own pytest suite.
#[derive(Debug, Clone)]
pub struct PythonEnvironment {
    /// The virtual environment's `python`.
    pub python: std::path::PathBuf,
    /// The emulator's sources, with its `requirements.txt` and `tests/`.
    pub source_dir: std::path::PathBuf,
}

impl PythonEnvironment {
    /// Installs the pinned environment if needed (once, under `target/`) and
    /// returns it. Blocks while installing.
    pub fn prepare() -> Result<PythonEnvironment, Error> {
        let layout = installed()?;
        Ok(PythonEnvironment {
            python: layout.python(),
            source_dir: layout.source,
        })
    }
}

/// How to start an [`Emulator`].
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    region: String,
    port: u16,
    delays: Option<Delays>,
}

impl EmulatorBuilder {
    /// The region in the SDK configuration (default `us-east-1`).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    /// A fixed port on 127.0.0.1 (default: any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How slow the emulator's asynchronous behaviours are (default: the
    /// emulator's short delays); see [`Delays`].
    pub fn delays(mut self, delays: Delays) -> Self {
        self.delays = Some(delays);
        self
    }

    /// Installs the emulator's Python environment if needed (once, under
    /// `target/`), starts the server and waits until it is ready.
    pub async fn start(self) -> Result<Emulator, Error> {
        let port = self.port;
        let server = tokio::task::spawn_blocking(move || {
            let layout = installed()?;
            ServerProcess::start(&layout, port)
        })
        .await
        .map_err(|e| Error::Start(format!("the start-up task failed: {e}")))??;
        let sdk_config = sdk_config(&server.endpoint, &self.region).await;
        tracing::debug!(endpoint = %server.endpoint, "local AWS emulator ready");
        let emulator = Emulator {
            server,
            region: self.region,
            sdk_config,
            http: reqwest::Client::new(),
        };
        if let Some(delays) = &self.delays {
            emulator.set_delays(delays).await?;
        }
        Ok(emulator)
    }
}

/// A running local AWS emulator on 127.0.0.1. The server stops when this is
/// dropped, also when a test panics; a test process that is killed outright
/// takes the server with it, which watches its parent.
#[derive(Debug)]
pub struct Emulator {
    server: ServerProcess,
    region: String,
    sdk_config: SdkConfig,
    http: reqwest::Client,
}

impl Emulator {
    /// Starts an emulator with the default settings.
    pub async fn start() -> Result<Emulator, Error> {
        Emulator::builder().start().await
    }

    /// Settings for an emulator.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            region: DEFAULT_REGION.to_owned(),
            port: 0,
            delays: None,
        }
    }

    /// `http://127.0.0.1:PORT`, the value for `AWS_ENDPOINT_URL`.
    pub fn endpoint_url(&self) -> &str {
        &self.server.endpoint
    }

    /// The region of [`Emulator::sdk_config`].
    pub fn region(&self) -> &str {
        &self.region
    }

    /// An SDK configuration for this emulator: dummy credentials, the region
    /// and the endpoint. Pass it to any `aws-sdk-*` client's `new`.
    pub fn sdk_config(&self) -> &SdkConfig {
        &self.sdk_config
    }

    /// The same SDK configuration with another endpoint, e.g. a
    /// [`FaultProxy`](crate::proxy::FaultProxy) in front of this emulator.
    pub fn sdk_config_via(&self, endpoint_url: &str) -> SdkConfig {
        self.sdk_config.to_builder().endpoint_url(endpoint_url).build()
    }

    /// Changes how slow the emulator's asynchronous behaviours are from now
    /// on; the delays left `None` keep their values.
    pub async fn set_delays(&self, delays: &Delays) -> Result<(), Error> {
        let response = self
            .http
            .post(format!("{}/_studio/delays", self.endpoint_url()))
            .json(&delays.to_json())
            .send()
            .await
            .map_err(|e| Error::Http(format!("setting the delays failed: {e}")))?;
        if !response.status().is_success() {
            let body = response.text().await.unwrap_or_default();
            return Err(Error::Http(format!("the emulator refused the delays: {body}")));
        }
        Ok(())
    }

    /// Every domain's home EFS volume as the emulator records it (in use,
    /// retained or deleted after DeleteDomain).
    pub async fn efs_file_systems(&self) -> Result<Vec<EfsFileSystem>, Error> {
        #[derive(Deserialize)]
        struct Answer {
            file_systems: Vec<EfsFileSystem>,
        }
        let answer: Answer = self
            .http
            .get(format!("{}/_studio/efs", self.endpoint_url()))
            .send()
            .await
            .map_err(|e| Error::Http(format!("reading the EFS volumes failed: {e}")))?
            .json()
            .await
            .map_err(|e| Error::Http(format!("the EFS answer is not the expected JSON: {e}")))?;
        Ok(answer.file_systems)
    }

    /// Redeems a `CreatePresignedDomainUrl` URL the way a browser would open
    /// it: the answer says whether it was valid, unexpired and unused. A URL
    /// can be redeemed once.
    pub async fn redeem(&self, authorized_url: &str) -> Result<Redemption, Error> {
        let url = url::Url::parse(authorized_url).map_err(|e| Error::Http(format!("{authorized_url:?}: {e}")))?;
        let token = url
            .query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| Error::Http(format!("{authorized_url:?} has no token parameter")))?;
        let mut redeem = url::Url::parse(&format!("{}/_studio/redeem", self.endpoint_url()))
            .map_err(|e| Error::Http(format!("bad emulator endpoint: {e}")))?;
        redeem.query_pairs_mut().append_pair("token", &token);
        let response = self
            .http
            .get(redeem)
            .send()
            .await
            .map_err(|e| Error::Http(format!("redeem request failed: {e}")))?;
        response
            .json()
            .await
            .map_err(|e| Error::Http(format!("redeem answer is not the expected JSON: {e}")))
    }
}

/// A domain's home EFS volume in the emulator.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct EfsFileSystem {
    /// `fs-` and 17 hex digits.
    pub file_system_id: String,
    /// The domain it is the home of.
    pub domain_id: String,
    /// `in-use`, or after DeleteDomain `retained` or `deleted`.
    pub state: String,
}

/// The emulator's verdict on a presigned Studio URL.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Redemption {
    /// True when the URL was valid, unexpired and not used before.
    pub valid: bool,
    /// `ok`, `unknown`, `expired` or `already used`.
    pub reason: String,
    /// The domain the URL opens.
    pub domain_id: Option<String>,
    /// The user profile the URL signs in as.
    pub user_profile_name: Option<String>,
    /// The space the URL opens, if one was asked for.
    pub space_name: Option<String>,
    /// The landing URI, if one was asked for.
    pub landing_uri: Option<String>,
}

async fn sdk_config(endpoint: &str, region: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "studio-fed-testkit",
        ))
        .load()
        .await
}
