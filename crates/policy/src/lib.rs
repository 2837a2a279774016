//! # studio-fed-policy
//!
//! Typed AWS IAM policy documents, the policies studio-fed emits for SageMaker
//! Studio (trust policies, Role Manager activities and personas, guardrails and
//! service control policies), an IAM limits linter, and a local policy
//! evaluator that proves who can do what.
//!
//! ```
//! use studio_fed_policy::PolicyDocument;
//!
//! let policy: PolicyDocument = r#"{
//!     "Version": "2012-10-17",
//!     "Statement": {
//!         "Effect": "Allow",
//!         "Action": ["s3:GetObject", "s3:PutObject"],
//!         "Resource": "arn:aws:s3:::ml-data/*",
//!         "Condition": {"Bool": {"aws:SecureTransport": true}}
//!     }
//! }"#
//! .parse()?;
//! assert_eq!(policy.statements.len(), 1);
//! # Ok::<(), studio_fed_policy::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod build;
pub mod document;
mod error;
pub mod eval;
pub mod lint;

pub use document::{
    Actions, Condition, ConditionOperator, Effect, Operator, PolicyDocument, Principal, PrincipalKind, Principals,
    Resources, SetQualifier, Statement, Version,
};
pub use error::{Error, Result};
