//! The worked examples of AWS's public policy-evaluation documentation, each
//! asserting the documented outcome.
//!
//! Every test parses the policy JSON as AWS prints it (placeholders such as
//! `account-id` kept) and names the page and example it comes from. Where a
//! page's table says a `Deny` statement "may be allowed by another
//! statement", the test adds an allow-everything identity policy as that other
//! statement, so "match" shows as an explicit deny and "no match" as an allow.

use studio_fed_policy::PolicyDocument;
use studio_fed_policy::eval::{Context, Evaluator, Outcome, PolicyKind, PolicySet, Request};

fn doc(json: &str) -> PolicyDocument {
    json.parse().expect("the policy as printed in the documentation parses")
}

/// "Another statement" that allows everything.
fn allow_all() -> PolicyDocument {
    doc(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}"#)
}

/// AWS Organizations' default `FullAWSAccess` SCP.
fn full_aws_access() -> PolicyDocument {
    doc(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#)
}

/// An evaluator for one identity policy.
fn only(policy: PolicyDocument) -> Evaluator {
    PolicySet::new().identity("policy", policy).compile()
}

/// An evaluator for a `Deny` policy next to an allow-everything policy.
fn deny_with_allow_all(policy: PolicyDocument) -> Evaluator {
    PolicySet::new()
        .identity("allow-all", allow_all())
        .identity("deny", policy)
        .compile()
}

fn outcome(evaluator: &Evaluator, action: &str, resource: &str, context: Context) -> Outcome {
    evaluator
        .evaluate(&Request::new(action, resource).with_context(context))
        .outcome
}

fn strings(key: &str, values: &[&str]) -> Context {
    Context::new().with_strings(key, values.iter().copied())
}

fn parsed(pairs: &[(&str, &str)]) -> Context {
    let mut context = Context::new();
    for (key, value) in pairs {
        context.insert_parsed(key, value).expect("valid context value");
    }
    context
}

const CARLOS_IDENTITY_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowS3ListRead",
            "Effect": "Allow",
            "Action": [
                "s3:GetBucketLocation",
                "s3:GetAccountPublicAccessBlock",
                "s3:ListAccessPoints",
                "s3:ListAllMyBuckets"
            ],
            "Resource": "arn:aws:s3:::*"
        },
        {
            "Sid": "AllowS3Self",
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::carlossalazar/*",
                "arn:aws:s3:::carlossalazar"
            ]
        },
        {
            "Sid": "DenyS3Logs",
            "Effect": "Deny",
            "Action": "s3:*",
            "Resource": "arn:aws:s3:::*log*"
        }
    ]
}"#;

const CARLOS_BUCKET_POLICY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {
                "AWS": "arn:aws:iam::123456789012:user/carlossalazar"
            },
            "Action": "s3:*",
            "Resource": [
                "arn:aws:s3:::carlossalazar/*",
                "arn:aws:s3:::carlossalazar"
            ]
        }
    ]
}"#;

const CARLOS: &str = "arn:aws:iam::123456789012:user/carlossalazar";

/// IAM User Guide, "Policy evaluation logic", example identity-based and
/// resource-based policy evaluation: Carlos saves a file to the
/// `carlossalazar-logs` bucket and is denied by the `DenyS3Logs` statement.
#[test]
fn policy_evaluation_logic_carlos_is_denied_the_logs_bucket() {
    let evaluator = PolicySet::new()
        .identity("carlossalazar", doc(CARLOS_IDENTITY_POLICY))
        .compile();
    let request = Request::new("s3:PutObject", "arn:aws:s3:::carlossalazar-logs/file.txt").with_principal(CARLOS);
    let decision = evaluator.evaluate(&request);
    assert_eq!(decision.outcome, Outcome::ExplicitDeny);
    assert_eq!(decision.statements.len(), 1);
    assert_eq!(decision.statements[0].sid.as_deref(), Some("DenyS3Logs"));
    assert_eq!(decision.statements[0].index, 2);
}

/// IAM User Guide, "Policy evaluation logic", example identity-based and
/// resource-based policy evaluation: saving the file to the `carlossalazar`
/// bucket is allowed, and both the identity-based policy and the bucket
/// policy (which names only Carlos) allow it.
#[test]
fn policy_evaluation_logic_carlos_is_allowed_his_own_bucket() {
    let identity = only(doc(CARLOS_IDENTITY_POLICY));
    let bucket_policy = only(doc(CARLOS_BUCKET_POLICY));
    let request = Request::new("s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt").with_principal(CARLOS);

    let decision = identity.evaluate(&request);
    assert_eq!(decision.outcome, Outcome::Allow);
    assert_eq!(decision.statements[0].sid.as_deref(), Some("AllowS3Self"));
    assert_eq!(bucket_policy.evaluate(&request).outcome, Outcome::Allow);

    // "This policy specifies that only the carlossalazar user can access the bucket."
    let someone_else = Request::new("s3:PutObject", "arn:aws:s3:::carlossalazar/file.txt")
        .with_principal("arn:aws:iam::123456789012:user/mary");
    assert_eq!(bucket_policy.evaluate(&someone_else).outcome, Outcome::ImplicitDeny);
    // AllowS3ListRead lets Carlos list all buckets.
    assert_eq!(
        outcome(
            &identity,
            "s3:ListAllMyBuckets",
            "arn:aws:s3:::anything",
            Context::new()
        ),
        Outcome::Allow
    );
}

/// IAM User Guide, "Policy evaluation logic", the difference between explicit
/// and implicit denies: `AllowGetList` allows `Get*`/`List*`, other IAM
/// actions are implicitly denied, and `DenyReports` explicitly denies report
/// actions even when another policy allows them.
#[test]
fn policy_evaluation_logic_explicit_and_implicit_denies() {
    let policy = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowGetList",
                "Effect": "Allow",
                "Action": [
                    "iam:Get*",
                    "iam:List*"
                ],
                "Resource": "*"
            },
            {
                "Sid": "DenyReports",
                "Effect": "Deny",
                "Action": "iam:*Report",
                "Resource": "*"
            }
        ]
    }"#);
    let evaluator = only(policy.clone());
    assert_eq!(outcome(&evaluator, "iam:GetUser", "*", Context::new()), Outcome::Allow);
    assert_eq!(
        outcome(&evaluator, "iam:ListRoles", "*", Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "iam:CreatePolicy", "*", Context::new()),
        Outcome::ImplicitDeny
    );
    let report = evaluator.evaluate(&Request::new("iam:GetOrganizationsAccessReport", "*"));
    assert_eq!(report.outcome, Outcome::ExplicitDeny);
    assert_eq!(report.statements[0].sid.as_deref(), Some("DenyReports"));

    let with_reports = PolicySet::new()
        .identity("get-list", policy)
        .identity(
            "reports",
            doc(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:GenerateCredentialReport", "Resource": "*"}}"#),
        )
        .compile();
    assert_eq!(
        outcome(&with_reports, "iam:GenerateCredentialReport", "*", Context::new()),
        Outcome::ExplicitDeny
    );
}

/// IAM User Guide, "Permissions boundaries for IAM entities", the
/// `ShirleyRodriguez` example: with a boundary of S3, CloudWatch and EC2, a
/// permissions policy allowing `iam:CreateUser` does not let her create a user.
#[test]
fn permissions_boundaries_shirley_cannot_create_users() {
    let boundary = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "s3:*",
                    "cloudwatch:*",
                    "ec2:*"
                ],
                "Resource": "*"
            }
        ]
    }"#);
    let create_user = doc(r#"{
      "Version": "2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "iam:CreateUser",
        "Resource": "*"
      }
    }"#);
    let evaluator = PolicySet::new()
        .identity("create-user", create_user.clone())
        .boundary("ShirleyBoundary", boundary.clone())
        .compile();
    let decision = evaluator.evaluate(&Request::new("iam:CreateUser", "arn:aws:iam::111122223333:user/new"));
    assert_eq!(decision.outcome, Outcome::ImplicitDeny);
    assert_eq!(
        decision.reason,
        r#"no Allow in the permissions boundary "ShirleyBoundary""#
    );

    // "To allow Shirley to perform any operations in AWS, you must add a
    // permissions policy with actions in Amazon S3, Amazon CloudWatch, or Amazon EC2."
    let with_s3 = PolicySet::new()
        .identity("create-user", create_user)
        .identity(
            "s3",
            doc(r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}}"#),
        )
        .boundary("ShirleyBoundary", boundary)
        .compile();
    let decision = with_s3.evaluate(&Request::new("s3:ListBucket", "arn:aws:s3:::shirley"));
    assert_eq!(decision.outcome, Outcome::Allow);
    let kinds: Vec<_> = decision.statements.iter().map(|s| s.kind).collect();
    assert_eq!(kinds, [PolicyKind::Identity, PolicyKind::PermissionsBoundary]);
}

const DELEGATED_USER_BOUNDARY: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "CreateOrChangeOnlyWithBoundary",
            "Effect": "Allow",
            "Action": [
                "iam:CreateUser",
                "iam:DeleteUserPolicy",
                "iam:AttachUserPolicy",
                "iam:DetachUserPolicy",
                "iam:PutUserPermissionsBoundary"
            ],
            "Resource": "*",
            "Condition": {"StringEquals":
                {"iam:PermissionsBoundary": "arn:aws:iam::111122223333:policy/XCompanyBoundaries"}}
        },
        {
            "Sid": "CloudWatchAndOtherIAMTasks",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:*",
                "iam:GetUser",
                "iam:ListUsers",
                "iam:DeleteUser",
                "iam:UpdateUser",
                "iam:CreateAccessKey",
                "iam:CreateLoginProfile",
                "iam:GetAccountPasswordPolicy",
                "iam:GetLoginProfile",
                "iam:*Group*",
                "iam:CreatePolicy",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:GetPolicy",
                "iam:GetPolicyVersion",
                "iam:GetUserPolicy",
                "iam:GetRolePolicy",
                "iam:ListPolicies",
                "iam:ListPolicyVersions",
                "iam:ListEntitiesForPolicy",
                "iam:ListUserPolicies",
                "iam:ListAttachedUserPolicies",
                "iam:ListRolePolicies",
                "iam:ListAttachedRolePolicies",
                "iam:PutUserPolicy",
                "iam:SetDefaultPolicyVersion",
                "iam:SimulatePrincipalPolicy",
                "iam:SimulateCustomPolicy" 
            ],
            "Resource": "*"
        },
        {
            "Sid": "NoBoundaryPolicyEdit",
            "Effect": "Deny",
            "Action": [
                "iam:CreatePolicyVersion",
                "iam:DeletePolicy",
                "iam:DeletePolicyVersion",
                "iam:SetDefaultPolicyVersion"
            ],
            "Resource": [
                "arn:aws:iam::123456789012:policy/XCompanyBoundaries",
                "arn:aws:iam::123456789012:policy/DelegatedUserBoundary"
            ]
        },
        {
            "Sid": "NoBoundaryUserDelete",
            "Effect": "Deny",
            "Action": "iam:DeleteUserPermissionsBoundary",
            "Resource": "*"
        }
    ]
}"#;

const DELEGATED_USER_PERMISSIONS: &str = r#"{
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "IAM",
            "Effect": "Allow",
            "Action": "iam:*",
            "Resource": "*"
        },
        {
            "Sid": "CloudWatchLimited",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:GetDashboard",
                "cloudwatch:GetMetricData",
                "cloudwatch:ListDashboards",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics"
            ],
            "Resource": "*"
        },
        {
            "Sid": "S3BucketContents",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": "arn:aws:s3:::ZhangBucket"
        }
    ]
}"#;

/// IAM User Guide, "Permissions boundaries for IAM entities", delegating
/// responsibility to others (María and Zhang): Zhang can create users only
/// with the `XCompanyBoundaries` boundary, cannot delete boundaries, has the
/// CloudWatch actions of his permissions policy and no S3 access at all.
#[test]
fn permissions_boundaries_zhang_creates_users_only_with_the_company_boundary() {
    let evaluator = PolicySet::new()
        .identity("DelegatedUserPermissions", doc(DELEGATED_USER_PERMISSIONS))
        .boundary("DelegatedUserBoundary", doc(DELEGATED_USER_BOUNDARY))
        .compile();
    let nikhil = "arn:aws:iam::111122223333:user/Nikhil";

    // Zhang first forgets the boundary: access denied.
    let decision = evaluator.evaluate(&Request::new("iam:CreateUser", nikhil));
    assert_eq!(decision.outcome, Outcome::ImplicitDeny);
    assert!(decision.reason.contains("DelegatedUserBoundary"), "{}", decision.reason);
    // With XCompanyBoundaries chosen, the user is created.
    let with_boundary = Context::new().with_arn(
        "iam:PermissionsBoundary",
        "arn:aws:iam::111122223333:policy/XCompanyBoundaries",
    );
    assert_eq!(
        outcome(&evaluator, "iam:CreateUser", nikhil, with_boundary),
        Outcome::Allow
    );

    let delete_boundary = evaluator.evaluate(&Request::new("iam:DeleteUserPermissionsBoundary", nikhil));
    assert_eq!(delete_boundary.outcome, Outcome::ExplicitDeny);
    assert_eq!(delete_boundary.statements[0].kind, PolicyKind::PermissionsBoundary);
    assert_eq!(
        delete_boundary.statements[0].sid.as_deref(),
        Some("NoBoundaryUserDelete")
    );

    let cloudwatch = |action: &str| outcome(&evaluator, action, "*", Context::new());
    assert_eq!(cloudwatch("cloudwatch:GetDashboard"), Outcome::Allow);
    assert_eq!(cloudwatch("cloudwatch:PutDashboard"), Outcome::ImplicitDeny);
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", "arn:aws:s3:::ZhangBucket", Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "Permissions boundaries for IAM entities", delegating
/// responsibility to others: Nikhil, created with `IAMFullAccess` and
/// `AmazonS3ReadOnlyAccess` inside the `XCompanyBoundaries` boundary, "can
/// change his own password in IAM but can't create another user", and cannot
/// view the `logs` bucket or manage the `i-1234567890abcdef0` instance.
#[test]
fn permissions_boundaries_nikhil_within_the_company_boundary() {
    let boundary = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ServiceBoundaries",
                "Effect": "Allow",
                "Action": [
                    "s3:*",
                    "cloudwatch:*",
                    "ec2:*",
                    "dynamodb:*"
                ],
                "Resource": "*"
            },
            {
                "Sid": "AllowIAMConsoleForCredentials",
                "Effect": "Allow",
                "Action": [
                    "iam:ListUsers",
                    "iam:GetAccountPasswordPolicy"
                ],
                "Resource": "*"
            },
            {
                "Sid": "AllowManageOwnPasswordAndAccessKeys",
                "Effect": "Allow",
                "Action": [
                    "iam:*AccessKey*",
                    "iam:ChangePassword",
                    "iam:GetUser",
                    "iam:*ServiceSpecificCredential*",
                    "iam:*SigningCertificate*"
                ],
                "Resource": ["arn:aws:iam::*:user/${aws:username}"]
            },
            {
                "Sid": "DenyS3Logs",
                "Effect": "Deny",
                "Action": "s3:*",
                "Resource": [
                    "arn:aws:s3:::logs",
                    "arn:aws:s3:::logs/*"
                ]
            },
            {
                "Sid": "DenyEC2Production",
                "Effect": "Deny",
                "Action": "ec2:*",
                "Resource": "arn:aws:ec2:*:*:instance/i-1234567890abcdef0"
            }
        ]
    }"#);
    // The AWS managed policies Zhang attaches.
    let iam_full_access = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["iam:*", "organizations:DescribeAccount"], "Resource": "*"}]
    }"#);
    let s3_read_only = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "s3:Describe*"], "Resource": "*"}]
    }"#);
    let evaluator = PolicySet::new()
        .identity("IAMFullAccess", iam_full_access)
        .identity("AmazonS3ReadOnlyAccess", s3_read_only)
        .boundary("XCompanyBoundaries", boundary)
        .compile();
    let nikhil = || Context::new().with_string("aws:username", "Nikhil");

    assert_eq!(
        outcome(
            &evaluator,
            "iam:ChangePassword",
            "arn:aws:iam::111122223333:user/Nikhil",
            nikhil()
        ),
        Outcome::Allow
    );
    assert_eq!(
        outcome(
            &evaluator,
            "iam:ChangePassword",
            "arn:aws:iam::111122223333:user/Zhang",
            nikhil()
        ),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(
            &evaluator,
            "iam:CreateUser",
            "arn:aws:iam::111122223333:user/Other",
            nikhil()
        ),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(
            &evaluator,
            "s3:GetObject",
            "arn:aws:s3:::nikhil-bucket/report.csv",
            nikhil()
        ),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "s3:GetObject", "arn:aws:s3:::logs/2024/01/01.log", nikhil()),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(
            &evaluator,
            "ec2:StartInstances",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1234567890abcdef0",
            nikhil()
        ),
        Outcome::ExplicitDeny
    );
}

/// The organization of the Organizations User Guide "SCP evaluation" figures:
/// Root → Production OU → Account B, with an administrator role in Account B.
fn account_b(root: PolicyDocument, production_ou: PolicyDocument, account: PolicyDocument) -> Evaluator {
    PolicySet::new()
        .identity("AdministratorAccess", allow_all())
        .scp_level([("Root", root)])
        .scp_level([("Production OU", production_ou)])
        .scp_level([("Account B", account)])
        .compile()
}

const ACCOUNT_B_ADMIN: &str = "arn:aws:iam::222222222222:role/Admin";

/// AWS Organizations User Guide, "SCP evaluation", how SCPs work with Allow,
/// figure 1: an `Allow` attached at Root, the Production OU and Account B
/// lets principals of Account B act.
#[test]
fn scp_evaluation_allow_at_every_level_allows() {
    let evaluator = account_b(full_aws_access(), full_aws_access(), full_aws_access());
    let request = Request::new("s3:GetObject", "arn:aws:s3:::b/k").with_principal(ACCOUNT_B_ADMIN);
    let decision = evaluator.evaluate(&request);
    assert_eq!(decision.outcome, Outcome::Allow);
    let levels: Vec<_> = decision.statements.iter().filter_map(|s| s.scp_level).collect();
    assert_eq!(levels, [0, 1, 2]);
}

/// AWS Organizations User Guide, "SCP evaluation", how SCPs work with Allow,
/// figure 2: with the `Allow` missing at the Production OU, access in
/// Account B is denied even though Root and Account B allow it.
#[test]
fn scp_evaluation_allow_missing_at_production_ou_denies() {
    let ec2_only =
        doc(r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}"#);
    let evaluator = account_b(full_aws_access(), ec2_only, full_aws_access());
    let request = Request::new("s3:GetObject", "arn:aws:s3:::b/k").with_principal(ACCOUNT_B_ADMIN);
    let decision = evaluator.evaluate(&request);
    assert_eq!(decision.outcome, Outcome::ImplicitDeny);
    assert_eq!(
        decision.reason,
        r#"no Allow in the SCPs of organization level 1 ("Production OU")"#
    );
}

/// AWS Organizations User Guide, "SCP evaluation", how SCPs work with Deny:
/// a `Deny` for a service in an SCP attached to the Production OU denies it
/// in Account B although SCPs at Root and Account B allow it.
#[test]
fn scp_evaluation_deny_at_production_ou_overrides_allows() {
    let deny_s3 = doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "DenyS3", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}
        ]
    }"#);
    let evaluator = account_b(full_aws_access(), deny_s3, full_aws_access());
    let request = Request::new("s3:GetObject", "arn:aws:s3:::b/k").with_principal(ACCOUNT_B_ADMIN);
    let decision = evaluator.evaluate(&request);
    assert_eq!(decision.outcome, Outcome::ExplicitDeny);
    assert_eq!(decision.statements[0].kind, PolicyKind::Scp);
    assert_eq!(decision.statements[0].scp_level, Some(1));
    assert_eq!(
        outcome(&evaluator, "ec2:DescribeInstances", "*", Context::new()),
        Outcome::Allow
    );
}

/// IAM User Guide, "Multivalued context key examples", deny a single policy
/// condition value for a multivalued context key (`ForAllValues:StringNotLike`
/// with `key1*`), every row of the table.
#[test]
fn multivalued_context_key_examples_for_all_values_string_not_like_single_value() {
    let evaluator = deny_with_allow_all(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Sid": "DenyRestrictedTags",
          "Effect": "Deny",
          "Action": [
            "iam:Tag*",
            "iam:UnTag*"
          ],
          "Resource": [
            "*"
          ],
          "Condition": {
            "ForAllValues:StringNotLike": {
              "aws:TagKeys": "key1*"
            }
          }
        }
      ]
    }"#));
    let tag = |keys: &[&str]| outcome(&evaluator, "iam:TagRole", "*", strings("aws:TagKeys", keys));
    assert_eq!(tag(&["key1:legal"]), Outcome::Allow, "no match");
    assert_eq!(tag(&["key1:hr", "key1:personnel"]), Outcome::Allow, "no match");
    assert_eq!(tag(&["key2:audit"]), Outcome::ExplicitDeny, "match");
    assert_eq!(
        outcome(&evaluator, "iam:TagRole", "*", Context::new()),
        Outcome::ExplicitDeny,
        "no aws:TagKeys: match"
    );
}

/// IAM User Guide, "Multivalued context key examples", deny multiple policy
/// condition values for a multivalued context key (`ForAllValues:StringNotLike`
/// with `key1*` and `key2*`), every row of the table.
#[test]
fn multivalued_context_key_examples_for_all_values_string_not_like_multiple_values() {
    let evaluator = deny_with_allow_all(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Sid": "DenyRestrictedTags",
          "Effect": "Deny",
          "Action": [
            "iam:Tag*",
            "iam:UnTag*"
          ],
          "Resource": [
            "*"
          ],
          "Condition": {
            "ForAllValues:StringNotLike": {
              "aws:TagKeys": [
                "key1*",
                "key2*"
              ]
            }
          }
        }
      ]
    }"#));
    let tag = |keys: &[&str]| outcome(&evaluator, "iam:UntagUser", "*", strings("aws:TagKeys", keys));
    assert_eq!(tag(&["key1:legal"]), Outcome::Allow, "no match");
    assert_eq!(tag(&["key1:hr", "key1:personnel"]), Outcome::Allow, "no match");
    assert_eq!(tag(&["key1:hr", "key2:audit"]), Outcome::Allow, "no match");
    assert_eq!(tag(&["key3:legal"]), Outcome::ExplicitDeny, "match");
    assert_eq!(
        outcome(&evaluator, "iam:UntagUser", "*", Context::new()),
        Outcome::ExplicitDeny,
        "no aws:TagKeys: match"
    );
}

/// IAM User Guide, "Multivalued context key examples", deny policy with
/// condition set operator `ForAnyValue` (`webserver` snapshots), every row.
#[test]
fn multivalued_context_key_examples_for_any_value_string_equals() {
    let evaluator = deny_with_allow_all(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Effect": "Deny",
          "Action": [
            "ec2:CreateSnapshot",
            "ec2:CreateSnapshots"
          ],
          "Resource": "arn:aws:ec2:us-west-2::snapshot/*",
          "Condition": {
            "ForAnyValue:StringEquals": {
              "aws:TagKeys": "webserver"
            }
          }
        }
      ]
    }"#));
    let snapshot = "arn:aws:ec2:us-west-2::snapshot/snap-0123456789abcdef0";
    let create = |keys: &[&str]| outcome(&evaluator, "ec2:CreateSnapshot", snapshot, strings("aws:TagKeys", keys));
    assert_eq!(create(&["webserver"]), Outcome::ExplicitDeny, "match");
    assert_eq!(
        create(&["environment", "webserver", "test"]),
        Outcome::ExplicitDeny,
        "match"
    );
    assert_eq!(create(&["environment", "test"]), Outcome::Allow, "no match");
    assert_eq!(
        outcome(&evaluator, "ec2:CreateSnapshot", snapshot, Context::new()),
        Outcome::Allow,
        "no aws:TagKeys: no match"
    );
}

/// IAM User Guide, "Multivalued context key examples", the `ForAllValues`
/// deny policy guarded by `"Null": {"aws:TagKeys": "false"}`, so that a
/// request without tag keys does not evaluate to true.
#[test]
fn multivalued_context_key_examples_for_all_values_with_null_check() {
    let evaluator = deny_with_allow_all(doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyRestrictedTags",
                "Effect": "Deny",
                "Action": ["iam:Tag*", "iam:UnTag*"],
                "Resource": ["*"],
                "Condition": {
                    "Null": {"aws:TagKeys": "false"},
                    "ForAllValues:StringLike": {"aws:TagKeys": ["key1*", "key2*", "key3*"]}
                }
            }
        ]
    }"#));
    let tag = |context: Context| outcome(&evaluator, "iam:TagUser", "*", context);
    assert_eq!(tag(Context::new()), Outcome::Allow, "missing key no longer matches");
    assert_eq!(
        tag(strings("aws:TagKeys", &[])),
        Outcome::Allow,
        "empty set no longer matches"
    );
    assert_eq!(
        tag(strings("aws:TagKeys", &["key1:a", "key3:b"])),
        Outcome::ExplicitDeny
    );
    assert_eq!(tag(strings("aws:TagKeys", &["key1:a", "other"])), Outcome::Allow);
}

/// IAM User Guide, "Creating a condition that tests multiple key values (set
/// operations)" (earlier edition of the multivalued-keys page): the DynamoDB
/// `Thread` table examples with `dynamodb:requestedAttributes`.
#[test]
fn multi_value_conditions_dynamodb_requested_attributes() {
    let get_item = only(doc(r#"{
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Allow",
        "Action": "GetItem",
        "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
        "Condition": {"ForAllValues:StringLike": {"dynamodb:requestedAttributes": [
          "PostDateTime",
          "Message",
          "Tags"
        ]}}
      }]
    }"#));
    let table = "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread";
    let attributes = |names: &[&str]| strings("dynamodb:requestedAttributes", names);
    assert_eq!(
        outcome(&get_item, "GetItem", table, attributes(&["PostDateTime", "Message"])),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&get_item, "GetItem", table, attributes(&["PostDateTime", "UserName"])),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&get_item, "GetItem", table, attributes(&["ID", "Message"])),
        Outcome::ImplicitDeny
    );

    let put_item = deny_with_allow_all(doc(r#"{
      "Version": "2012-10-17",
      "Statement": [{
        "Effect": "Deny",
        "Action": "PutItem",
        "Resource": "arn:aws:dynamodb:REGION:ACCOUNT-ID-WITHOUT-HYPHENS:table/Thread",
        "Condition": {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": [
          "ID",
          "PostDateTime"
        ]}}
      }]
    }"#));
    assert_eq!(
        outcome(&put_item, "PutItem", table, attributes(&["PostDateTime", "Message"])),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(
            &put_item,
            "PutItem",
            table,
            attributes(&["UserName", "Message", "PostDateTime"])
        ),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(&put_item, "PutItem", table, attributes(&["UserName"])),
        Outcome::Allow
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// string condition operator: `aws:PrincipalTag/job-category` must be
/// `iamuser-admin`; every row of the table.
#[test]
fn condition_operators_string_equals_principal_tag() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "iam:*AccessKey*",
        "Resource": "arn:aws:iam::111122223333:user/*",
        "Condition": {
          "StringEquals": {
            "aws:PrincipalTag/job-category": "iamuser-admin"
          }
        }
      }
    }"#));
    let user = "arn:aws:iam::111122223333:user/bob";
    let tagged = |job: &str| strings("aws:PrincipalTag/job-category", &[job]);
    assert_eq!(
        outcome(&evaluator, "iam:CreateAccessKey", user, tagged("iamuser-admin")),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "iam:CreateAccessKey", user, tagged("dev-ops")),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "iam:CreateAccessKey", user, Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// using a policy variable with a string condition operator: each user's S3
/// "home directory" through `${aws:username}` in `s3:prefix` and `Resource`.
#[test]
fn condition_operators_string_like_home_directory_with_aws_username() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Action": [
            "s3:ListAllMyBuckets",
            "s3:GetBucketLocation"
          ],
          "Resource": "arn:aws:s3:::*"
        },
        {
          "Effect": "Allow",
          "Action": "s3:ListBucket",
          "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
          "Condition": {
            "StringLike": {
              "s3:prefix": [
                "",
                "home/",
                "home/${aws:username}/"
              ]
            }
          }
        },
        {
          "Effect": "Allow",
          "Action": "s3:*",
          "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}",
            "arn:aws:s3:::amzn-s3-demo-bucket/home/${aws:username}/*"
          ]
        }
      ]
    }"#));
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket";
    let list = |user: Option<&str>, prefix: &str| {
        let mut context = strings("s3:prefix", &[prefix]);
        if let Some(user) = user {
            context = context.with_string("aws:username", user);
        }
        outcome(&evaluator, "s3:ListBucket", bucket, context)
    };
    assert_eq!(list(Some("martha_rivera"), "home/martha_rivera/"), Outcome::Allow);
    assert_eq!(list(Some("nikki_wolf"), "home/nikki_wolf/"), Outcome::Allow);
    assert_eq!(list(Some("nikki_wolf"), "home/martha_rivera/"), Outcome::ImplicitDeny);
    assert_eq!(
        list(None, "home/martha_rivera/"),
        Outcome::ImplicitDeny,
        "no aws:username: no match"
    );
    assert_eq!(list(None, "home/"), Outcome::Allow);

    let object = "arn:aws:s3:::amzn-s3-demo-bucket/home/martha_rivera/notes.txt";
    let martha = Context::new().with_string("aws:username", "martha_rivera");
    let nikki = Context::new().with_string("aws:username", "nikki_wolf");
    assert_eq!(outcome(&evaluator, "s3:GetObject", object, martha), Outcome::Allow);
    assert_eq!(
        outcome(&evaluator, "s3:GetObject", object, nikki),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "s3:GetObject", object, Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// using `ForAnyValue` with a string condition operator
/// (`StringEqualsIgnoreCase` on `aws:RequestTag/environment`); every row.
#[test]
fn condition_operators_for_any_value_with_string_equals_ignore_case() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "ec2:CreateTags",
        "Resource": "arn:aws:ec2:*:*:instance/*",
        "Condition": {
          "StringEqualsIgnoreCase": {
            "aws:RequestTag/environment": [
              "preprod",
              "storage"
            ]
          },
          "ForAnyValue:StringEquals": {
            "aws:TagKeys": "environment"
          }
        }
      }
    }"#));
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/i-0abcdef1234567890";
    let tag = |tag_keys: Option<&[&str]>, environment: Option<(&str, &str)>| {
        let mut context = Context::new();
        if let Some(keys) = tag_keys {
            context = context.with_strings("aws:TagKeys", keys.iter().copied());
        }
        if let Some((key, value)) = environment {
            context = context.with_string(key, value);
        }
        outcome(&evaluator, "ec2:CreateTags", instance, context)
    };
    let env = "aws:RequestTag/environment";
    assert_eq!(tag(Some(&["environment"]), Some((env, "preprod"))), Outcome::Allow);
    assert_eq!(
        tag(Some(&["environment", "costcenter"]), Some((env, "PreProd"))),
        Outcome::Allow
    );
    assert_eq!(
        tag(Some(&["Environment"]), Some(("aws:RequestTag/Environment", "preprod"))),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        tag(Some(&["costcenter"]), Some((env, "preprod"))),
        Outcome::ImplicitDeny
    );
    assert_eq!(tag(None, Some((env, "storage"))), Outcome::ImplicitDeny);
    assert_eq!(tag(Some(&["environment"]), None), Outcome::ImplicitDeny);
    assert_eq!(tag(None, None), Outcome::ImplicitDeny);
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", numeric
/// condition operators: `s3:max-keys` up to 10.
#[test]
fn condition_operators_numeric_less_than_equals_max_keys() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::amzn-s3-demo-bucket",
        "Condition": {"NumericLessThanEquals": {"s3:max-keys": "10"}}
      }
    }"#));
    let bucket = "arn:aws:s3:::amzn-s3-demo-bucket";
    let list = |max_keys: &str| {
        outcome(
            &evaluator,
            "s3:ListBucket",
            bucket,
            parsed(&[("s3:max-keys", max_keys)]),
        )
    };
    assert_eq!(list("10"), Outcome::Allow);
    assert_eq!(list("2"), Outcome::Allow);
    assert_eq!(list("11"), Outcome::ImplicitDeny);
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", bucket, Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", date
/// condition operators: credentials issued after `2020-01-01T00:00:01Z`; an
/// IAM user with long-term access keys has no `aws:TokenIssueTime` and is denied.
#[test]
fn condition_operators_date_greater_than_token_issue_time() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "iam:*AccessKey*",
        "Resource": "arn:aws:iam::111122223333:user/*",
        "Condition": {
          "DateGreaterThan": {
            "aws:TokenIssueTime": "2020-01-01T00:00:01Z"
          }
        }
      }
    }"#));
    let user = "arn:aws:iam::111122223333:user/bob";
    let issued = |time: &str| {
        outcome(
            &evaluator,
            "iam:ListAccessKeys",
            user,
            parsed(&[("aws:TokenIssueTime", time)]),
        )
    };
    assert_eq!(issued("2020-06-01T08:00:00Z"), Outcome::Allow);
    assert_eq!(issued("2020-01-01T00:00:02Z"), Outcome::Allow);
    assert_eq!(issued("2020-01-01T00:00:01Z"), Outcome::ImplicitDeny);
    assert_eq!(issued("2019-12-31T23:59:59Z"), Outcome::ImplicitDeny);
    assert_eq!(
        outcome(&evaluator, "iam:ListAccessKeys", user, Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// boolean condition operator (`BooleanExample`): deny replication unless over
/// TLS; every row of the table.
#[test]
fn condition_operators_bool_secure_transport() {
    let evaluator = deny_with_allow_all(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Sid": "BooleanExample",
          "Action": "s3:ReplicateObject",
          "Effect": "Deny",
          "Resource": [
            "arn:aws:s3:::amzn-s3-demo-bucket",
            "arn:aws:s3:::amzn-s3-demo-bucket/*"
          ],
          "Condition": {
            "Bool": {
              "aws:SecureTransport": "false"
            }
          }
        }
      ]
    }"#));
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/data.csv";
    let replicate = |context: Context| outcome(&evaluator, "s3:ReplicateObject", object, context);
    assert_eq!(
        replicate(parsed(&[("aws:SecureTransport", "false")])),
        Outcome::ExplicitDeny
    );
    assert_eq!(replicate(parsed(&[("aws:SecureTransport", "true")])), Outcome::Allow);
    assert_eq!(
        replicate(Context::new()),
        Outcome::Allow,
        "no aws:SecureTransport: no match"
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", binary
/// condition operators: `BinaryEquals` compares bytes with the base64 value of
/// the policy. The page prints only the `Condition` block; it is placed in an
/// `Allow` statement here. Every row of the table.
#[test]
fn condition_operators_binary_equals() {
    let evaluator = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "service:Action",
            "Resource": "*",
            "Condition" : {
              "BinaryEquals": {
                "key" : "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
              }
            }
        }
    }"#));
    let call = |context: Context| outcome(&evaluator, "service:Action", "*", context);
    assert_eq!(call(strings("key", &["QmluYXJ5VmFsdWVJbkJhc2U2NA=="])), Outcome::Allow);
    assert_eq!(
        call(Context::new().with_binary("key", b"BinaryValueInBase64".to_vec())),
        Outcome::Allow
    );
    assert_eq!(call(strings("key", &["ASIAIOSFODNN7EXAMPLE"])), Outcome::ImplicitDeny);
    assert_eq!(call(Context::new()), Outcome::ImplicitDeny);
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example IP
/// address condition operator: requests must come from 203.0.113.0/24.
#[test]
fn condition_operators_ip_address_source_ip() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "iam:*AccessKey*",
        "Resource": "arn:aws:iam::111122223333:user/*",
        "Condition": {
          "IpAddress": {
            "aws:SourceIp": "203.0.113.0/24"
          }
        }
      }
    }"#));
    let user = "arn:aws:iam::111122223333:user/bob";
    let from = |ip: &str| outcome(&evaluator, "iam:UpdateAccessKey", user, parsed(&[("aws:SourceIp", ip)]));
    assert_eq!(from("203.0.113.1"), Outcome::Allow);
    assert_eq!(from("198.51.100.1"), Outcome::ImplicitDeny);
    // Through a VPC endpoint the key is absent: "the condition returns false".
    assert_eq!(
        outcome(&evaluator, "iam:UpdateAccessKey", user, Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", mixing
/// IPv4 and IPv6 addresses in one `IpAddress` condition.
#[test]
fn condition_operators_ip_address_ipv4_and_ipv6() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Action": "someservice:*",
        "Resource": "*",
        "Condition": {
          "IpAddress": {
            "aws:SourceIp": [
              "203.0.113.0/24",
              "2001:DB8:1234:5678::/64"
            ]
          }
        }
      }
    }"#));
    let from = |ip: &str| outcome(&evaluator, "someservice:DoThing", "*", parsed(&[("aws:SourceIp", ip)]));
    assert_eq!(from("203.0.113.200"), Outcome::Allow);
    assert_eq!(from("2001:db8:1234:5678:abcd::1"), Outcome::Allow);
    assert_eq!(from("2001:db8:1234:5679::1"), Outcome::ImplicitDeny);
    assert_eq!(from("192.0.2.1"), Outcome::ImplicitDeny);
}

/// IAM User Guide, "AWS: Denies access to AWS based on the source IP": a deny
/// of every action from outside 192.0.2.0/24 and 203.0.113.0/24.
#[test]
fn policy_examples_deny_access_based_on_source_ip() {
    let evaluator = deny_with_allow_all(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "NotIpAddress": {
                    "aws:SourceIp": [
                        "192.0.2.0/24",
                        "203.0.113.0/24"
                    ]
                }
            }
        }
    }"#));
    let from = |ip: &str| outcome(&evaluator, "ec2:RunInstances", "*", parsed(&[("aws:SourceIp", ip)]));
    assert_eq!(from("192.0.2.10"), Outcome::Allow);
    assert_eq!(from("203.0.113.99"), Outcome::Allow);
    assert_eq!(from("198.51.100.7"), Outcome::ExplicitDeny);
    assert_eq!(from("2001:db8::1"), Outcome::ExplicitDeny);
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// ARN condition operator: an SQS queue policy lets Amazon SNS send messages
/// only on behalf of one topic (`aws:SourceArn`); every row of the table.
#[test]
fn condition_operators_arn_equals_source_arn() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Effect": "Allow",
        "Principal": {
          "Service": "sns.amazonaws.com"
        },
        "Action": "SQS:SendMessage",
        "Resource": "arn:aws:sqs:us-east-1:123456789012:QUEUE-ID",
        "Condition": {
          "ArnEquals": {
            "aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:TOPIC-ID"
          }
        }
      }
    }"#));
    let queue = "arn:aws:sqs:us-east-1:123456789012:QUEUE-ID";
    let send = |principal: &str, context: Context| {
        evaluator
            .evaluate(
                &Request::new("sqs:SendMessage", queue)
                    .with_principal(principal)
                    .with_context(context),
            )
            .outcome
    };
    let source = |arn: &str| parsed(&[("aws:SourceArn", arn)]);
    let sns = "sns.amazonaws.com";
    assert_eq!(
        send(sns, source("arn:aws:sns:us-east-1:123456789012:TOPIC-ID")),
        Outcome::Allow
    );
    assert_eq!(
        send(sns, source("arn:aws:sns:us-east-1:777788889999:TOPIC-ID")),
        Outcome::ImplicitDeny
    );
    assert_eq!(send(sns, Context::new()), Outcome::ImplicitDeny);
    assert_eq!(
        send(
            "arn:aws:iam::123456789012:user/someone",
            source("arn:aws:sns:us-east-1:123456789012:TOPIC-ID")
        ),
        Outcome::ImplicitDeny,
        "only the SNS service principal is allowed"
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", example
/// using `ForAllValues` with an ARN condition operator
/// (`logs:LogGeneratingResourceArns`). The table's third row ("…/costcenter"
/// and "…/admin" → no match) contradicts its own `distribution/*` pattern and
/// is left out.
#[test]
fn condition_operators_for_all_values_arn_like() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Effect": "Allow",
          "Principal": "*",
          "Action": "logs:PutDeliverySource",
          "Resource": "arn:aws:logs:us-east-1:123456789012:delivery-source:*",
          "Condition": {
            "ForAllValues:ArnLike": {
              "logs:LogGeneratingResourceArns": [
                "arn:aws:cloudfront::123456789012:distribution/*",
                "arn:aws:cloudfront::123456789012:distribution/support*"
              ]
            }
          }
        }
      ]
    }"#));
    let source = "arn:aws:logs:us-east-1:123456789012:delivery-source:my-source";
    let put = |arns: &[&str]| {
        outcome(
            &evaluator,
            "logs:PutDeliverySource",
            source,
            Context::new().with_arns("logs:LogGeneratingResourceArns", arns.iter().copied()),
        )
    };
    assert_eq!(
        put(&["arn:aws:cloudfront::123456789012:distribution/costcenter"]),
        Outcome::Allow
    );
    assert_eq!(
        put(&[
            "arn:aws:cloudfront::123456789012:distribution/costcenter",
            "arn:aws:cloudfront::123456789012:distribution/support2025"
        ]),
        Outcome::Allow
    );
    assert_eq!(
        put(&["arn:aws:cloudfront::777788889999:distribution/costcenter"]),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "logs:PutDeliverySource", source, Context::new()),
        Outcome::Allow,
        "no key: ForAllValues matches"
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators",
/// `...IfExists` condition operators: `THISPOLICYDOESNOTWORK` fails for
/// resources without `ec2:InstanceType`, while `StringLikeIfExists` passes
/// them; every row of the table.
#[test]
fn condition_operators_if_exists_instance_type() {
    let does_not_work = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": {
        "Sid": "THISPOLICYDOESNOTWORK",
        "Effect": "Allow",
        "Action": "ec2:RunInstances",
        "Resource": "*",
        "Condition": {"StringLike": {"ec2:InstanceType": [
          "t1.*",
          "t2.*",
          "m3.*"
        ]}}
      }
    }"#));
    let image = "arn:aws:ec2:us-east-1::image/ami-0abcdef1234567890";
    assert_eq!(
        outcome(&does_not_work, "ec2:RunInstances", image, Context::new()),
        Outcome::ImplicitDeny
    );

    let works = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Sid": "RunInstance",
          "Effect": "Allow",
          "Action": "ec2:RunInstances",
          "Resource": "*",
          "Condition": {
            "StringLikeIfExists": {
              "ec2:InstanceType": [
                "t1.*",
                "t2.*",
                "m3.*"
              ]
            }
          }
        },
        {
          "Sid": "DescribeActions",
          "Effect": "Allow",
          "Action": [
            "ec2:DescribeImages",
            "ec2:DescribeInstances",
            "ec2:DescribeVpcs",
            "ec2:DescribeKeyPairs",
            "ec2:DescribeSubnets",
            "ec2:DescribeSecurityGroups"
          ],
          "Resource": "*"
        }
      ]
    }"#));
    let instance = "arn:aws:ec2:us-east-1:111122223333:instance/*";
    let run = |resource: &str, context: Context| outcome(&works, "ec2:RunInstances", resource, context);
    assert_eq!(
        run(instance, strings("ec2:InstanceType", &["t1.micro"])),
        Outcome::Allow
    );
    assert_eq!(
        run(instance, strings("ec2:InstanceType", &["m2.micro"])),
        Outcome::ImplicitDeny
    );
    assert_eq!(run(image, Context::new()), Outcome::Allow);
    assert_eq!(outcome(&works, "ec2:DescribeVpcs", "*", Context::new()), Outcome::Allow);
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators", condition
/// operator to check existence of condition keys: `"Null":
/// {"aws:TokenIssueTime": "false"}` requires temporary credentials.
#[test]
fn condition_operators_null_requires_temporary_credentials() {
    let evaluator = only(doc(r#"{
      "Version":"2012-10-17",
      "Statement":{
          "Action":"ec2:*",
          "Effect":"Allow",
          "Resource":"*",
          "Condition":{"Null":{"aws:TokenIssueTime":"false"}}
      }
    }"#));
    let temporary = parsed(&[("aws:TokenIssueTime", "2024-05-01T09:00:00Z")]);
    assert_eq!(
        outcome(&evaluator, "ec2:DescribeInstances", "*", temporary),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "ec2:DescribeInstances", "*", Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: Condition operators" (earlier
/// edition), condition operator to check existence of condition keys:
/// `"Null": {"aws:TokenIssueTime": "true"}` means the user must *not* be using
/// temporary credentials.
#[test]
fn condition_operators_null_forbids_temporary_credentials() {
    let evaluator = only(doc(r#"{
      "Version": "2012-10-17",
      "Statement":{
          "Action":"ec2:*",
          "Effect":"Allow",
          "Resource":"*",
          "Condition":{"Null":{"aws:TokenIssueTime":"true"}}
      }
    }"#));
    let temporary = parsed(&[("aws:TokenIssueTime", "2024-05-01T09:00:00Z")]);
    assert_eq!(
        outcome(&evaluator, "ec2:RunInstances", "*", Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "ec2:RunInstances", "*", temporary),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: NotAction", NotAction with Deny
/// (`DenyAllUsersNotUsingMFA`): everything except IAM is denied without MFA;
/// with MFA the deny has no effect; IAM actions are never denied by it.
#[test]
fn notaction_deny_everything_except_iam_without_mfa() {
    let evaluator = deny_with_allow_all(doc(r#"{
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyAllUsersNotUsingMFA",
            "Effect": "Deny",
            "NotAction": "iam:*",
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
        }]
    }"#));
    let mfa = |present: &str| parsed(&[("aws:MultiFactorAuthPresent", present)]);
    assert_eq!(
        outcome(&evaluator, "s3:ListAllMyBuckets", "*", mfa("false")),
        Outcome::ExplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListAllMyBuckets", "*", Context::new()),
        Outcome::ExplicitDeny,
        "long-term keys: the key is absent, IfExists makes the condition true"
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListAllMyBuckets", "*", mfa("true")),
        Outcome::Allow
    );
    assert_eq!(outcome(&evaluator, "iam:ListUsers", "*", mfa("false")), Outcome::Allow);

    // "this would not grant the user access to any actions"
    let alone = PolicySet::new()
        .identity(
            "deny",
            doc(r#"{"Version": "2012-10-17", "Statement": [{"Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}]}"#),
        )
        .compile();
    assert_eq!(
        outcome(&alone, "iam:ListUsers", "*", mfa("true")),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: NotAction", NotAction with
/// Allow: `"NotAction": "iam:*"` allows every action of every service except
/// IAM, and `"NotAction": "s3:DeleteBucket"` on `arn:aws:s3:::*` allows S3
/// actions on S3 resources except deleting a bucket, but not
/// `ListAllMyBuckets`, which needs the `*` resource.
#[test]
fn notaction_allow_everything_except() {
    let except_iam = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "NotAction": "iam:*",
            "Resource": "*"
        }
    }"#));
    assert_eq!(
        outcome(&except_iam, "ec2:RunInstances", "*", Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&except_iam, "sagemaker:CreateDomain", "*", Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&except_iam, "iam:CreateUser", "*", Context::new()),
        Outcome::ImplicitDeny
    );

    let except_delete_bucket = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "NotAction": "s3:DeleteBucket",
            "Resource": "arn:aws:s3:::*"
        }
    }"#));
    let bucket = "arn:aws:s3:::reports";
    assert_eq!(
        outcome(
            &except_delete_bucket,
            "s3:PutObject",
            "arn:aws:s3:::reports/a",
            Context::new()
        ),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&except_delete_bucket, "s3:DeleteBucket", bucket, Context::new()),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&except_delete_bucket, "s3:ListAllMyBuckets", "*", Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM JSON policy elements: NotResource": members of
/// `HRPayroll` are denied every S3 resource except the `Payroll` folder of
/// `HRBucket` (the policy itself grants nothing).
#[test]
fn notresource_deny_everything_but_hr_payroll() {
    let deny = doc(r#"{
      "Version": "2012-10-17",
      "Statement": {
        "Effect": "Deny",
        "Action": "s3:*",
        "NotResource": [
          "arn:aws:s3:::HRBucket/Payroll",
          "arn:aws:s3:::HRBucket/Payroll/*"
        ]
      }
    }"#);
    let evaluator = deny_with_allow_all(deny.clone());
    let get = |resource: &str| outcome(&evaluator, "s3:GetObject", resource, Context::new());
    assert_eq!(get("arn:aws:s3:::HRBucket/Payroll/2024-05.csv"), Outcome::Allow);
    assert_eq!(get("arn:aws:s3:::HRBucket/Payroll"), Outcome::Allow);
    assert_eq!(get("arn:aws:s3:::HRBucket/Reviews/alice.txt"), Outcome::ExplicitDeny);
    assert_eq!(get("arn:aws:s3:::OtherBucket/file"), Outcome::ExplicitDeny);
    assert_eq!(
        get("arn:aws:s3:::hrbucket/Payroll/x"),
        Outcome::ExplicitDeny,
        "resources are case-sensitive"
    );
    assert_eq!(
        outcome(&evaluator, "ec2:RunInstances", "*", Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(
            &only(deny),
            "s3:GetObject",
            "arn:aws:s3:::HRBucket/Payroll/x",
            Context::new()
        ),
        Outcome::ImplicitDeny,
        "this policy does not grant the user access to any resources"
    );
}

/// IAM User Guide, "AWS: Allows access within specific dates": between
/// 2017-07-01 and 2017-12-31 (UTC) inclusive, with `DateGreaterThan` and
/// `DateLessThan` on `aws:CurrentTime`.
#[test]
fn policy_examples_allow_access_within_specific_dates() {
    let evaluator = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "service-prefix:action-name",
            "Resource": "*",
            "Condition": {
                "DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"},
                "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}
            }
        }
    }"#));
    let at = |time: &str| {
        outcome(
            &evaluator,
            "service-prefix:action-name",
            "*",
            parsed(&[("aws:CurrentTime", time)]),
        )
    };
    assert_eq!(at("2017-09-15T10:30:00Z"), Outcome::Allow);
    assert_eq!(at("2017-12-31T23:59:58Z"), Outcome::Allow);
    assert_eq!(at("2017-06-30T23:59:59Z"), Outcome::ImplicitDeny);
    assert_eq!(at("2018-01-01T00:00:00Z"), Outcome::ImplicitDeny);
    assert_eq!(
        at("1505471400"),
        Outcome::Allow,
        "epoch seconds for 2017-09-15T10:30:00Z"
    );
}

/// IAM User Guide, "IAM policy elements: Variables and tags", resource
/// element: each user of the group creates, uses and deletes only the SQS
/// queue named after them (`${aws:username}-queue`) and can list all queues.
#[test]
fn policy_variables_own_queue_by_user_name() {
    let evaluator = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListForConsole",
                "Effect": "Allow",
                "Action": "sqs:ListQueues",
                "Resource": "*"
            },
            {
                "Sid": "AllQueueActions",
                "Effect": "Allow",
                "Action": "sqs:*",
                "Resource": "arn:aws:sqs:us-east-2:*:${aws:username}-queue"
            }
        ]
    }"#));
    let alice = || Context::new().with_string("aws:username", "alice");
    let queue = |name: &str| format!("arn:aws:sqs:us-east-2:111122223333:{name}");
    assert_eq!(
        outcome(&evaluator, "sqs:SendMessage", &queue("alice-queue"), alice()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "sqs:DeleteQueue", &queue("bob-queue"), alice()),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(
            &evaluator,
            "sqs:SendMessage",
            "arn:aws:sqs:us-west-2:111122223333:alice-queue",
            alice()
        ),
        Outcome::ImplicitDeny
    );
    assert_eq!(outcome(&evaluator, "sqs:ListQueues", "*", alice()), Outcome::Allow);
    assert_eq!(
        outcome(&evaluator, "sqs:SendMessage", &queue("alice-queue"), Context::new()),
        Outcome::ImplicitDeny,
        "a role session has no aws:username"
    );
}

/// IAM User Guide, "IAM policy elements: Variables and tags", note on the
/// `Version` element: without `"Version": "2012-10-17"`, variables like
/// `${aws:username}` are treated as literal strings. The introduction's
/// `mybucket` policy, without and with its `Version`.
#[test]
fn policy_variables_need_version_2012_10_17() {
    let statements = r#"[
        {
          "Action": ["s3:ListBucket"],
          "Effect": "Allow",
          "Resource": ["arn:aws:s3:::mybucket"],
          "Condition": {"StringLike": {"s3:prefix": ["${aws:username}/*"]}}
        },
        {
          "Action": [
            "s3:GetObject",
            "s3:PutObject"
          ],
          "Effect": "Allow",
          "Resource": ["arn:aws:s3:::mybucket/${aws:username}/*"]
        }
      ]"#;
    let with_version = only(doc(&format!(
        r#"{{"Version": "2012-10-17", "Statement": {statements}}}"#
    )));
    let without_version = only(doc(&format!(r#"{{"Statement": {statements}}}"#)));
    let david = || Context::new().with_string("aws:username", "David");
    let object = "arn:aws:s3:::mybucket/David/notes.txt";
    assert_eq!(outcome(&with_version, "s3:GetObject", object, david()), Outcome::Allow);
    assert_eq!(
        outcome(&without_version, "s3:GetObject", object, david()),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(
            &without_version,
            "s3:GetObject",
            "arn:aws:s3:::mybucket/${aws:username}/x",
            david()
        ),
        Outcome::Allow,
        "the variable is literal text"
    );
    let prefix = david().with_string("s3:prefix", "David/reports/");
    assert_eq!(
        outcome(&with_version, "s3:ListBucket", "arn:aws:s3:::mybucket", prefix),
        Outcome::Allow
    );
}

/// IAM User Guide, "IAM policy elements: Variables and tags", specifying
/// default values: principals tagged `team=yellow` reach
/// `amzn-s3-demo-bucket-yellow`; principals without a team tag get the
/// default `company-wide` bucket. The page prints only the `Resource` element;
/// it is placed in an `Allow` statement here.
#[test]
fn policy_variables_default_value() {
    let evaluator = only(doc(r#"{
        "Version": "2012-10-17",
        "Statement": {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource":"arn:aws:s3:::amzn-s3-demo-bucket-${aws:PrincipalTag/team, 'company-wide'}"
        }
    }"#));
    let yellow = || Context::new().with_string("aws:PrincipalTag/team", "yellow");
    let bucket = |suffix: &str| format!("arn:aws:s3:::amzn-s3-demo-bucket-{suffix}");
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", &bucket("yellow"), yellow()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", &bucket("blue"), yellow()),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", &bucket("company-wide"), yellow()),
        Outcome::ImplicitDeny
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", &bucket("company-wide"), Context::new()),
        Outcome::Allow
    );
    assert_eq!(
        outcome(&evaluator, "s3:ListBucket", &bucket("yellow"), Context::new()),
        Outcome::ImplicitDeny
    );
}

/// IAM User Guide, "IAM policy elements: Variables and tags", policy variables
/// with no value: `StringNotEquals` against `${aws:PrincipalTag/Team}` matches
/// when the principal has no `Team` tag, so access is explicitly denied.
#[test]
fn policy_variables_with_no_value() {
    let evaluator = deny_with_allow_all(doc(r#"{
      "Version":"2012-10-17",
      "Statement": [
        {
          "Effect": "Deny",
          "Action": "s3:GetObject",
          "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/*",
          "Condition": {
            "StringNotEquals": {
              "s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"
            }
          }
        }
      ]
    }"#));
    let object = "arn:aws:s3:::amzn-s3-demo-bucket/plans.doc";
    let get = |principal_team: Option<&str>, object_team: &str| {
        let mut context = Context::new().with_string("s3:ExistingObjectTag/Team", object_team);
        if let Some(team) = principal_team {
            context = context.with_string("aws:PrincipalTag/Team", team);
        }
        outcome(&evaluator, "s3:GetObject", object, context)
    };
    assert_eq!(get(Some("red"), "red"), Outcome::Allow);
    assert_eq!(get(Some("red"), "blue"), Outcome::ExplicitDeny);
    assert_eq!(get(None, "red"), Outcome::ExplicitDeny);
}
