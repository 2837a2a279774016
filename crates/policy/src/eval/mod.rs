//! A local IAM policy evaluator that follows AWS's documented evaluation logic.
//!
//! Build a [`PolicySet`] (identity policies, a permissions boundary, SCPs by
//! organization level, session policies), [`compile`](PolicySet::compile) it
//! once into an [`Evaluator`], then [`evaluate`](Evaluator::evaluate) as many
//! [`Request`]s as needed. Each [`Decision`] says whether the request is
//! explicitly denied, allowed or implicitly denied, which statements decided
//! it, and why.
//!
//! ```
//! use std::net::Ipv4Addr;
//! use studio_fed_policy::PolicyDocument;
//! use studio_fed_policy::eval::{Context, Outcome, PolicySet, Request};
//!
//! let persona: PolicyDocument = r#"{
//!     "Version": "2012-10-17",
//!     "Statement": {
//!         "Sid": "OpenOwnStudio",
//!         "Effect": "Allow",
//!         "Action": "sagemaker:CreatePresignedDomainUrl",
//!         "Resource": "arn:aws:sagemaker:*:*:user-profile/${sagemaker:DomainId}/${sagemaker:UserProfileName}",
//!         "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
//!     }
//! }"#
//! .parse()?;
//! let evaluator = PolicySet::new().identity("data-scientist", persona).compile();
//!
//! let request = Request::new(
//!     "sagemaker:CreatePresignedDomainUrl",
//!     "arn:aws:sagemaker:us-east-1:111122223333:user-profile/d-abc/alice",
//! )
//! .with_context(
//!     Context::new()
//!         .with_string("sagemaker:DomainId", "d-abc")
//!         .with_string("sagemaker:UserProfileName", "alice")
//!         .with_ip("aws:SourceIp", Ipv4Addr::new(203, 0, 113, 7).into()),
//! );
//! let decision = evaluator.evaluate(&request);
//! assert_eq!(decision.outcome, Outcome::Allow);
//! assert_eq!(decision.statements[0].sid.as_deref(), Some("OpenOwnStudio"));
//! # Ok::<(), studio_fed_policy::Error>(())
//! ```
//!
//! # Semantics
//!
//! - An applicable `Deny` in any policy is an explicit deny. Otherwise the
//!   request needs an applicable `Allow` in the identity policies, in the SCPs
//!   of every organization level (when levels are given), in the permissions
//!   boundary (when set) and in a session policy (when set).
//! - Actions match case-insensitively and resources case-sensitively, with
//!   `*` and `?` wildcards (a `*` spans `:` and `/`); `NotAction` and
//!   `NotResource` match everything not listed; a statement without
//!   `Resource` matches any resource.
//! - `Principal` / `NotPrincipal` are matched against
//!   [`Request::with_principal`]: `"*"` matches anyone, an account id or
//!   `arn:aws:iam::ACCOUNT:root` any principal of that account, anything else
//!   exactly.
//! - Conditions follow the IAM condition operators, `...IfExists`, `Null` and
//!   the `ForAllValues` / `ForAnyValue` set operators (see [`Context`] for
//!   the request side).
//! - Policy variables (`${aws:username}`, `${aws:PrincipalTag/team, 'default'}`,
//!   `${*}`, `${?}`, `${$}`) are read in `Resource` and in string, ARN and
//!   `Bool` condition values of `2012-10-17` documents; a variable whose key is
//!   absent or multivalued, with no default, makes that value match nothing.
//!
//! Resource-based policies are not combined with identity policies; a
//! resource or trust policy can be evaluated on its own as an identity policy
//! of a [`PolicySet`], its `Principal` matched against the request.

mod compile;
mod condition;
mod context;
mod decision;
mod evaluate;
mod parse;
mod pattern;
mod request;

pub use compile::{Evaluator, PolicySet};
pub use context::{Context, ContextValue};
pub use decision::{DecidingStatement, Decision, Outcome, PolicyKind};
pub use request::Request;
