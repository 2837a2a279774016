//! Builders for every policy studio-fed emits.
//!
//! - [`RoleInputs`]: the validated inputs (account, region, buckets, pass
//!   roles, VPC, KMS keys, ...), SageMaker Role Manager's placeholders.
//! - Trust policies: [`SamlTrust`], [`OidcTrust`] and [`SageMakerTrust`].
//! - [`Activity`]: Role Manager's ML activities, each a list of statements,
//!   with the VPC and KMS variants applied from the inputs.
//! - [`Persona`]: preset activity lists that make a role ([`RolePolicies`]),
//!   split across managed policies by [`split::split_managed`] when needed.
//! - [`Guardrail`]: instance-type allowlists, network restrictions on opening
//!   Studio, own-profile-only access, VPC-only domains, admin-only presigned
//!   URLs (with extra principals such as a login gateway:
//!   [`PresignedUrlAllowlist`]), presigned URLs from a [`SourceNetwork`] only;
//!   [`scp`] turns the `Deny` ones into service control policies.
//! - [`GatewayPolicy`]: the identity policy of the studio-fed-access login
//!   gateway's role (presigned URLs from a [`SourceNetwork`], profile checks,
//!   just-in-time profiles, the replay store).
//!
//! Check the results with [`crate::lint`] before sending them to AWS.
//!
//! ```
//! use studio_fed_policy::build::{Guardrail, Persona, RoleInputs};
//! use studio_fed_policy::lint;
//!
//! let inputs = RoleInputs::builder()
//!     .region("us-east-1")
//!     .account("123456789012")
//!     .s3_bucket("ml-data/team-a")
//!     .pass_role("arn:aws:iam::123456789012:role/ml-compute")
//!     .subnets(["subnet-0a1b2c3d"])
//!     .security_groups(["sg-0a1b2c3d"])
//!     .data_kms_keys(["arn:aws:kms:us-east-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666"])
//!     .volume_kms_keys(["arn:aws:kms:us-east-1:123456789012:key/7777aaaa-88bb-99cc-00dd-1111eeee2222"])
//!     .build()?;
//! let guardrails = Guardrail::combined(&[
//!     Guardrail::instance_types(["ml.t3.*", "ml.m5.*", "ml.g5.xlarge"])?,
//!     Guardrail::vpc_only_domains(),
//! ]);
//! let role = Persona::DataScientist
//!     .role("data-scientist", &inputs)?
//!     .with_managed_policy("data-scientist-guardrails", guardrails);
//! assert!(lint::check_role(&role).is_empty());
//! # Ok::<(), studio_fed_policy::Error>(())
//! ```

mod activity;
mod gateway;
mod guardrail;
mod inputs;
mod persona;
mod role;
pub mod scp;
pub mod split;
mod trust;

pub use activity::Activity;
pub use gateway::{GatewayPolicy, GatewayPolicyBuilder, SourceNetwork};
pub use guardrail::{
    Guardrail, PROFILE_FROM_IAM_USER, PROFILE_FROM_SESSION_TAG, PROFILE_FROM_STUDIO_SESSION, PresignedUrlAllowlist,
    STUDIO_USER_TAG,
};
pub use inputs::{RoleInputs, RoleInputsBuilder, S3Location};
pub use persona::Persona;
pub use role::{NamedPolicy, RolePolicies};
pub use trust::{OidcTrust, SAGEMAKER_SERVICE, SageMakerTrust, SamlTrust};

/// The distinct values, each at its first position.
pub(crate) fn unique<T: PartialEq>(values: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for value in values {
        if !out.contains(&value) {
            out.push(value);
        }
    }
    out
}
