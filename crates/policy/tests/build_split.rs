//! Splitting at the managed-policy boundary: a policy of exactly the limit
//! stays whole, one character more splits.
#![allow(clippy::unwrap_used, missing_docs)]

use studio_fed_policy::build::split::split_managed;
use studio_fed_policy::lint::{Quotas, iam_size};
use studio_fed_policy::{PolicyDocument, Statement};

/// A statement whose resource is padded to `pad` characters.
fn padded(sid: &str, pad: usize) -> Statement {
    Statement::allow()
        .with_sid(sid)
        .with_actions(["s3:GetObject"])
        .with_resources([format!("arn:aws:s3:::{}", "b".repeat(pad))])
}

/// Two statements whose document is exactly `target` characters without whitespace.
fn two_statements_of_total(target: usize) -> Vec<Statement> {
    let first = padded("First", 100);
    let probe = vec![first.clone(), padded("Second", 0)];
    let base = iam_size(&PolicyDocument::new(probe));
    let statements = vec![first, padded("Second", target - base)];
    assert_eq!(iam_size(&PolicyDocument::new(statements.clone())), target);
    statements
}

#[test]
fn exactly_the_limit_is_one_policy() {
    let statements = two_statements_of_total(6_144);
    let policies = split_managed("ds", statements.clone(), &Quotas::default()).unwrap();
    assert_eq!(policies.len(), 1);
    assert_eq!(policies[0].name, "ds", "a single policy keeps its name");
    assert_eq!(policies[0].document.statements, statements);
    assert_eq!(iam_size(&policies[0].document), 6_144);
}

#[test]
fn one_character_more_splits_into_two() {
    let statements = two_statements_of_total(6_145);
    let policies = split_managed("ds", statements.clone(), &Quotas::default()).unwrap();
    let names: Vec<_> = policies.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["ds-1", "ds-2"]);
    assert_eq!(policies[0].document.statements, statements[..1]);
    assert_eq!(policies[1].document.statements, statements[1..]);
}

#[test]
fn a_single_statement_over_the_limit_is_an_error() {
    let empty = iam_size(&PolicyDocument::new([]));
    let fits = padded("Big", 0);
    let own = iam_size(&PolicyDocument::new([fits])) - empty;
    // Exactly the limit on its own: fine.
    let at_limit = padded("Big", 6_144 - empty - own);
    assert_eq!(iam_size(&PolicyDocument::new([at_limit.clone()])), 6_144);
    assert_eq!(
        split_managed("ds", vec![at_limit], &Quotas::default()).unwrap().len(),
        1
    );
    // One more: an error naming the statement, its size and the limit.
    let over = padded("Big", 6_145 - empty - own);
    let e = split_managed("ds", vec![padded("Small", 1), over], &Quotas::default())
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "invalid policy \"ds\": statement 2 (Sid \"Big\") alone makes a policy of 6,145 characters without \
         whitespace; a managed policy holds at most 6,144: split the statement's actions or resources"
    );
}

#[test]
fn more_policies_than_the_role_quota_is_an_error() {
    // Each statement fills most of a policy: eleven need eleven policies.
    let statements: Vec<Statement> = (0..11).map(|i| padded(&format!("S{i}"), 4_000)).collect();
    let e = split_managed("ds", statements.clone(), &Quotas::default())
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("invalid policy \"ds\": needs 11 managed policies"), "{e}");
    assert!(e.contains("more than the 10 a role may have attached"), "{e}");
    let raised = Quotas {
        managed_policies_per_role: 20,
        ..Quotas::default()
    };
    assert_eq!(split_managed("ds", statements, &raised).unwrap().len(), 11);
}
