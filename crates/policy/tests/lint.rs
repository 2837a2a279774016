//! The IAM limits linter: figures, messages, serialization and configurable quotas.
#![allow(clippy::unwrap_used, missing_docs)]

use serde_json::json;
use studio_fed_policy::build::{RolePolicies, SageMakerTrust};
use studio_fed_policy::lint::{self, PolicyKind, Quota, Quotas, Violation, iam_size, scp_size};
use studio_fed_policy::{PolicyDocument, Statement};

/// A document of exactly `size` characters without whitespace.
fn document_of(size: usize) -> PolicyDocument {
    let with = |pad: usize| {
        PolicyDocument::new([Statement::allow()
            .with_actions(["s3:GetObject"])
            .with_resources([format!("arn:aws:s3:::{}", "b".repeat(pad))])])
    };
    let base = iam_size(&with(0));
    let doc = with(size - base);
    assert_eq!(iam_size(&doc), size);
    doc
}

fn trust() -> PolicyDocument {
    SageMakerTrust::new().build().unwrap()
}

#[test]
fn sizes_are_counted_without_whitespace_like_iam() {
    let pretty = document_of(500);
    assert!(pretty.to_json_pretty().len() > 500, "pretty printing adds whitespace");
    // Whitespace inside strings is not counted by IAM either, but counts for SCPs.
    let spaced = PolicyDocument::new([Statement::allow()
        .with_sid("A")
        .with_actions(["s3:GetObject"])
        .with_resources(["*"])
        .with_condition(
            studio_fed_policy::Operator::StringEquals,
            "aws:PrincipalTag/team",
            ["data science"],
        )]);
    assert_eq!(scp_size(&spaced), spaced.to_json().chars().count());
    assert_eq!(iam_size(&spaced), scp_size(&spaced) - 1);
}

#[test]
fn managed_policy_limit_with_figure_and_message() {
    assert!(lint::check_document(PolicyKind::Managed, "p", &document_of(6_144)).is_none());
    let violation = lint::check_document(PolicyKind::Managed, "ds-permissions", &document_of(7_012)).unwrap();
    assert_eq!(
        violation,
        Violation {
            quota: Quota::ManagedPolicySize,
            name: "ds-permissions".into(),
            actual: 7_012,
            limit: 6_144
        }
    );
    assert_eq!(
        violation.to_string(),
        "managed policy \"ds-permissions\" is 7,012 characters without whitespace; the limit is 6,144: split it into \
         several managed policies (statements kept whole) or remove statements"
    );
}

#[test]
fn trust_and_scp_limits() {
    assert!(lint::check_document(PolicyKind::Trust, "r", &document_of(2_048)).is_none());
    let trust = lint::check_document(PolicyKind::Trust, "r", &document_of(2_049)).unwrap();
    assert_eq!(
        (trust.quota, trust.actual, trust.limit),
        (Quota::TrustPolicySize, 2_049, 2_048)
    );
    assert!(
        trust
            .to_string()
            .starts_with("the trust policy of role \"r\" is 2,049 characters without whitespace; the limit is 2,048")
    );
    let raised = Quotas {
        trust_policy_chars: 4_096,
        ..Quotas::default()
    };
    assert!(
        raised
            .check_document(PolicyKind::Trust, "r", &document_of(2_049))
            .is_none()
    );

    assert!(lint::check_document(PolicyKind::Scp, "s", &document_of(5_120)).is_none());
    let scp = lint::check_document(PolicyKind::Scp, "s", &document_of(5_121)).unwrap();
    assert_eq!((scp.quota, scp.actual, scp.limit), (Quota::ScpSize, 5_121, 5_120));
    assert_eq!(
        scp.to_string(),
        "SCP \"s\" is 5,121 characters; the limit is 5,120: split it into several SCPs (at most 5 per root, OU or \
         account) or remove statements"
    );
}

#[test]
fn role_checks_inline_total_count_and_each_document() {
    let fine = RolePolicies::new("r", trust())
        .with_inline_policy("a", document_of(5_120))
        .with_inline_policy("b", document_of(5_120));
    assert!(lint::check_role(&fine).is_empty(), "exactly 10,240 together");

    let mut role = RolePolicies::new("r", document_of(3_000))
        .with_inline_policy("a", document_of(6_000))
        .with_inline_policy("b", document_of(5_000))
        .with_managed_policy("big", document_of(6_500));
    for i in 0..9 {
        role = role.with_attached_policy_arn(format!("arn:aws:iam::123456789012:policy/p{i}"));
    }
    let violations = lint::check_role(&role);
    let summary: Vec<_> = violations
        .iter()
        .map(|v| (v.quota, v.name.as_str(), v.actual, v.limit))
        .collect();
    // One created plus nine attached managed policies: exactly the quota of 10.
    assert_eq!(
        summary,
        [
            (Quota::TrustPolicySize, "r", 3_000, 2_048),
            (Quota::ManagedPolicySize, "big", 6_500, 6_144),
            (Quota::InlinePoliciesSize, "r", 11_000, 10_240),
        ]
    );
    assert_eq!(
        violations[2].to_string(),
        "the inline policies of role \"r\" are 11,000 characters without whitespace together; the limit is 10,240 \
         per role: move statements into managed policies"
    );

    let crowded = role.with_attached_policy_arn("arn:aws:iam::aws:policy/AmazonSageMakerFullAccess");
    let count = lint::check_role(&crowded)
        .into_iter()
        .find(|v| v.quota == Quota::ManagedPoliciesPerRole)
        .unwrap();
    assert_eq!((count.actual, count.limit), (11, 10));
    assert!(
        count
            .to_string()
            .starts_with("role \"r\" has 11 managed policies attached; the limit is 10")
    );
    let raised = Quotas {
        managed_policies_per_role: 20,
        ..Quotas::default()
    };
    assert!(
        raised
            .check_role(&crowded)
            .iter()
            .all(|v| v.quota != Quota::ManagedPoliciesPerRole)
    );
}

#[test]
fn violations_serialize_with_their_message() {
    let violation = lint::check_document(PolicyKind::Managed, "p", &document_of(6_145)).unwrap();
    assert_eq!(
        serde_json::to_value(&violation).unwrap(),
        json!({
            "quota": "managed_policy_size",
            "name": "p",
            "actual": 6_145,
            "limit": 6_144,
            "message": violation.to_string()
        })
    );
}

#[test]
fn default_quotas_are_the_aws_defaults() {
    assert_eq!(
        Quotas::default(),
        Quotas {
            managed_policy_chars: 6_144,
            inline_policies_chars: 10_240,
            trust_policy_chars: 2_048,
            managed_policies_per_role: 10,
            scp_chars: 5_120,
        }
    );
}
