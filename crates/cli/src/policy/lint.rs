//! `studio-fed policy lint`.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use studio_fed_policy::PolicyDocument;
use studio_fed_policy::lint::{self, PolicyKind, iam_size, scp_size};

use super::{policy_name, read_policy};
use crate::CommandResult;
use crate::output::{Format, print_json};

/// The kind of policy the files hold, which decides the quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Trust policies when a statement has a Principal, managed policies otherwise.
    Auto,
    /// Customer managed policies (6,144 characters without whitespace).
    Managed,
    /// An inline role policy (10,240 characters for all of a role's inline policies).
    Inline,
    /// A role trust policy (2,048 characters by default).
    Trust,
    /// A service control policy (5,120 characters).
    Scp,
}

/// Arguments of `policy lint`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Policy files to check.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// What the files are.
    #[arg(long, value_enum, default_value_t = Kind::Auto)]
    kind: Kind,
}

/// Runs `policy lint`: exit 0 when every file is within its quota, 1 otherwise.
pub fn run(args: Args, format: Format) -> CommandResult {
    let mut reports = Vec::new();
    let mut violations = 0;
    for path in &args.files {
        let document = read_policy(path)?;
        let kind = match args.kind {
            Kind::Auto if has_principal(&document) => PolicyKind::Trust,
            Kind::Auto | Kind::Managed => PolicyKind::Managed,
            Kind::Inline => PolicyKind::Inline,
            Kind::Trust => PolicyKind::Trust,
            Kind::Scp => PolicyKind::Scp,
        };
        let size = if kind == PolicyKind::Scp {
            scp_size(&document)
        } else {
            iam_size(&document)
        };
        let violation = lint::check_document(kind, &policy_name(path), &document);
        violations += usize::from(violation.is_some());
        match format {
            Format::Text => match &violation {
                Some(v) => println!("{}: {v}", path.display()),
                None => println!("{}: ok ({size} characters, {kind:?} policy)", path.display()),
            },
            Format::Json => reports.push(json!({
                "file": path,
                "kind": format!("{kind:?}").to_lowercase(),
                "size": size,
                "violation": violation,
            })),
        }
    }
    if format == Format::Json {
        print_json(&reports)?;
    }
    Ok(if violations == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn has_principal(document: &PolicyDocument) -> bool {
    document.statements.iter().any(|s| s.principals.is_some())
}
