//! # studio-fed-studio
//!
//! SageMaker Studio for teams, described declaratively:
//!
//! - [`deployment`]: the deployment file (TOML) and its builder: the
//!   Identity Center instance, the teams with their domains and personas, the
//!   admin group and the guardrails, validated with errors that name the line
//!   and the field;
//! - [`directory`]: users, groups and memberships synced into the IAM Identity
//!   Center identity store from a directory export, for local runs and for
//!   organisations without SCIM provisioning;
//! - [`report`]: the isolation report: after apply, what every user can open,
//!   launch and use, computed by the policy evaluator, with every cross-team
//!   access as an error.
#![forbid(unsafe_code)]

pub mod deployment;
pub mod directory;
pub mod reconcile;
pub mod report;
