//! `studio-fed saml verify`: validate a SAML Response the way the access gateway does.
//!
//! Exit codes: 0 accepted, 3 rejected (the reason on stderr), 1 unreadable files, 2 usage.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use clap::Subcommand;
use serde_json::json;
use studio_fed_federation::InMemoryReplayCache;
use studio_fed_federation::saml::{IdpMetadata, ResponseValidator, SamlError, SignedScope};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::CliError;
use crate::output::{Format, print_json};
use crate::{CommandResult, EXIT_DENIED};

/// The `saml` subcommands.
#[derive(Debug, Subcommand)]
pub enum SamlCommand {
    /// Validate a SAML Response (base64 or XML) against IdP metadata; exits 0 when accepted and 3
    /// when rejected.
    Verify(VerifyArgs),
}

/// Arguments of `saml verify`.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// The IdP metadata file (its signing certificates are the only trusted keys).
    #[arg(long)]
    metadata: PathBuf,
    /// The accepted audience (SP entity ID); repeat for several.
    #[arg(long, required = true)]
    audience: Vec<String>,
    /// The ACS URL (Destination and Recipient must equal it).
    #[arg(long)]
    acs: String,
    /// Validate at this instant (RFC 3339) instead of now.
    #[arg(long)]
    now: Option<String>,
    /// Accept RSA-SHA1 signatures and SHA-1 digests.
    #[arg(long)]
    allow_sha1: bool,
    /// The file holding the SAMLResponse: base64 (the form value) or the XML itself.
    response_file: PathBuf,
}

/// Runs a `saml` subcommand.
pub fn run(command: SamlCommand, format: Format) -> CommandResult {
    match command {
        SamlCommand::Verify(args) => verify(args, format),
    }
}

fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read(path)
        .map_err(|source| CliError::Read {
            path: path.to_owned(),
            source,
        })
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

fn verify(args: VerifyArgs, format: Format) -> CommandResult {
    let now = match &args.now {
        Some(text) => OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|e| CliError::Usage(format!("--now {text:?} is not an RFC 3339 date-time: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let metadata_text = read(&args.metadata)?;
    let response = std::fs::read(&args.response_file).map_err(|source| CliError::Read {
        path: args.response_file.clone(),
        source,
    })?;
    let metadata = match IdpMetadata::from_xml(&metadata_text) {
        Ok(m) => m,
        Err(error) => {
            // Unusable metadata is a configuration problem, not a rejected response.
            eprintln!("error: {}: {error}", args.metadata.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut builder = ResponseValidator::builder(metadata)
        .acs_url(args.acs.clone())
        .allow_sha1(args.allow_sha1)
        .allow_idp_initiated(true)
        .replay_cache(Arc::new(InMemoryReplayCache::new()));
    for audience in &args.audience {
        builder = builder.audience(audience.clone());
    }
    let validator = builder.build().map_err(|e| CliError::Usage(e.to_string()))?;

    // XML if it starts with '<' (after a BOM / whitespace), otherwise the base64 form value.
    let trimmed = response
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&response)
        .trim_ascii_start();
    let result = if trimmed.starts_with(b"<") {
        match std::str::from_utf8(trimmed) {
            Ok(xml) => block_on(validator.validate_xml_at(xml, &[], now)),
            Err(_) => Err(SamlError::BadEncoding("the XML is not valid UTF-8")),
        }
    } else {
        match std::str::from_utf8(trimmed) {
            Ok(b64) => block_on(validator.validate_post_at(b64, &[], now)),
            Err(_) => Err(SamlError::BadEncoding("the SAMLResponse is not valid base64")),
        }
    };
    let assertion = match result {
        Ok(a) => a,
        Err(error) => return Ok(rejected(&error.to_string())),
    };
    let roles: Vec<_> = assertion
        .aws_roles()
        .into_iter()
        .map(|(role, provider)| json!({ "role_arn": role, "provider_arn": provider }))
        .collect();
    let not_on_or_after = assertion
        .not_on_or_after
        .format(&Rfc3339)
        .map_err(|e| CliError::Usage(format!("cannot format a date: {e}")))?;
    let value = json!({
        "accepted": true,
        "issuer": assertion.issuer,
        "name_id": assertion.name_id,
        "name_id_format": assertion.name_id_format,
        "session_index": assertion.session_index,
        "assertion_id": assertion.assertion_id,
        "not_on_or_after": not_on_or_after,
        "signed": match assertion.signed_scope {
            SignedScope::Response => "response",
            SignedScope::Assertion => "assertion",
        },
        "attributes": assertion.attributes,
        "aws_roles": roles,
        "role_session_name": assertion.role_session_name(),
    });
    // The result is always JSON (the subject and attributes are structured); `--output` only
    // chooses pretty (text) or compact (json) layout.
    match format {
        Format::Text => print_json(&value)?,
        Format::Json => println!("{}", serde_json::to_string(&value)?),
    }
    Ok(ExitCode::SUCCESS)
}

fn rejected(reason: &str) -> ExitCode {
    eprintln!("rejected: {reason}");
    ExitCode::from(EXIT_DENIED)
}

/// Runs a future to completion on this thread (the in-memory replay cache never waits).
fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(ThreadWaker(std::thread::current())));
    let mut context = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut context) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}
