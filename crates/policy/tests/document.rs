//! Reading every policy shape AWS accepts, writing canonical JSON, and naming
//! the place of every error.
#![allow(clippy::unwrap_used)] // test helpers panic with the parse error

use proptest::prelude::*;
use studio_fed_policy::{
    Actions, ConditionOperator, Effect, Error, Operator, PolicyDocument, Principal, PrincipalKind, Principals,
    Resources, SetQualifier, Statement, Version,
};

fn parse(text: &str) -> PolicyDocument {
    text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"))
}

fn error_of(text: &str) -> (String, String) {
    match text.parse::<PolicyDocument>() {
        Err(Error::Invalid { path, message }) => (path, message),
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn single_statement_object_and_single_values_are_read_as_lists() {
    let doc = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
    );
    assert_eq!(doc.version, Some(Version::V2012_10_17));
    assert_eq!(doc.statements.len(), 1);
    assert_eq!(doc.statements[0].actions, Actions::Action(vec!["s3:GetObject".into()]));
    assert_eq!(
        doc.statements[0].resources,
        Some(Resources::Resource(vec!["arn:aws:s3:::b/*".into()]))
    );
}

#[test]
fn every_principal_shape_is_read() {
    let doc = parse(
        r#"{"Statement":[
            {"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","444455556666"]},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"Service":"sagemaker.amazonaws.com"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/AzureAD"},"Action":"sts:AssumeRoleWithSAML"},
            {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":"*","Resource":"*"}
        ]}"#,
    );
    assert_eq!(doc.version, None, "a missing Version stays missing");
    assert_eq!(
        doc.statements[0].principals,
        Some(Principals::Principal(Principal::Any))
    );
    assert_eq!(
        doc.statements[1].principals,
        Some(Principals::Principal(Principal::aws("*")))
    );
    assert_eq!(
        doc.statements[2].principals,
        Some(Principals::Principal(Principal::of(
            PrincipalKind::Aws,
            ["arn:aws:iam::111122223333:root", "444455556666"]
        )))
    );
    assert_eq!(
        doc.statements[3].principals,
        Some(Principals::Principal(Principal::service("sagemaker.amazonaws.com")))
    );
    assert_eq!(
        doc.statements[4].principals,
        Some(Principals::Principal(Principal::federated(
            "arn:aws:iam::111122223333:saml-provider/AzureAD"
        )))
    );
    assert!(matches!(
        doc.statements[5].principals,
        Some(Principals::NotPrincipal(_))
    ));
    assert_eq!(doc.statements[5].effect, Effect::Deny);
}

#[test]
fn condition_values_may_be_strings_numbers_booleans_or_arrays() {
    let doc = parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/x",
            "Condition":{
              "Bool":{"aws:SecureTransport":false},
              "NumericLessThan":{"s3:max-keys":10},
              "ForAnyValue:StringNotLikeIfExists":{"sagemaker:InstanceTypes":["ml.t3.*","system"]},
              "Null":{"aws:TokenIssueTime":"true"}
            }}}"#,
    );
    let statement = &doc.statements[0];
    assert_eq!(statement.actions, Actions::NotAction(vec!["iam:*".into()]));
    let condition = &statement.condition;
    assert_eq!(
        condition.get(Operator::Bool, "aws:SecureTransport"),
        Some(&["false".to_owned()][..])
    );
    assert_eq!(
        condition.get(Operator::NumericLessThan, "s3:max-keys"),
        Some(&["10".to_owned()][..])
    );
    let op = ConditionOperator::for_any_value(Operator::StringNotLike).if_exists();
    assert_eq!(op.qualifier, Some(SetQualifier::ForAnyValue));
    assert_eq!(
        condition.get(op, "sagemaker:InstanceTypes"),
        Some(&["ml.t3.*".to_owned(), "system".to_owned()][..])
    );
}

#[test]
fn canonical_json_has_fixed_order_and_is_stable() {
    let doc = parse(
        r#"{"Statement":[{"Condition":{"StringLike":{"b":"2"},"StringEquals":{"z":"1","a":["x","y"]}},
            "Resource":["r1","r2"],"Action":["a:B"],"Effect":"Allow","Sid":"S1"}],"Version":"2012-10-17"}"#,
    );
    let expected = r#"{"Version":"2012-10-17","Statement":[{"Sid":"S1","Effect":"Allow","Action":"a:B","Resource":["r1","r2"],"Condition":{"StringEquals":{"a":["x","y"],"z":"1"},"StringLike":{"b":"2"}}}]}"#;
    assert_eq!(doc.to_json(), expected);
    assert_eq!(parse(expected).to_json(), expected, "writing is a fixed point");
    assert_eq!(
        serde_json::to_string(&doc).unwrap(),
        expected,
        "Serialize writes the same"
    );
}

#[test]
fn serde_deserialize_reads_the_same_as_from_json() {
    let text = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
    let via_serde: PolicyDocument = serde_json::from_str(text).unwrap();
    assert_eq!(via_serde, parse(text));
}

#[test]
fn misspelled_operator_names_statement_and_operator() {
    let (path, message) = error_of(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},
            {"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqual":{"aws:username":"bob"}}}]}"#,
    );
    assert_eq!(path, "Statement[1].Condition.StringEqual");
    assert!(message.contains("did you mean \"StringEquals\""), "{message}");
}

#[test]
fn misspelled_effect_names_the_place() {
    let (path, message) = error_of(r#"{"Statement":{"Effect":"Alow","Action":"*"}}"#);
    assert_eq!(path, "Statement.Effect");
    assert!(
        message.contains("\"Alow\"") && message.contains("\"Allow\" or \"Deny\""),
        "{message}"
    );
}

#[test]
fn unknown_elements_are_errors_with_suggestions() {
    let (path, message) = error_of(r#"{"Version":"2012-10-17","Statment":[]}"#);
    assert_eq!(path, "Statment");
    assert!(message.contains("did you mean \"Statement\""), "{message}");

    let (path, _) = error_of(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resources":"*"}]}"#);
    assert_eq!(path, "Statement[0].Resources");
}

#[test]
fn structural_mistakes_are_named() {
    let cases = [
        (r#"{"Statement":{"Effect":"Allow","Resource":"*"}}"#, "Statement"),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}}"#,
            "Statement",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":["s3:Get",7]}}"#,
            "Statement.Action[1]",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Principal":{"Aws":"x"}}}"#,
            "Statement.Principal.Aws",
        ),
        (
            r#"{"Statement":{"Effect":"Allow","Action":"*","Condition":{"Bool":{"k":null}}}}"#,
            "Statement.Condition.Bool.k",
        ),
        (r#"{"Version":"2013-01-01","Statement":[]}"#, "Version"),
        (r#"{"Version":"2012-10-17"}"#, "Statement"),
    ];
    for (text, expected_path) in cases {
        let (path, _) = error_of(text);
        assert_eq!(path, expected_path, "{text}");
    }
}

#[test]
fn non_json_is_a_json_error() {
    assert!(matches!("{not json".parse::<PolicyDocument>(), Err(Error::Json(_))));
}

// ---- parse → write → parse is the identity ----

fn name() -> impl Strategy<Value = String> {
    "[A-Za-z0-9:/*?._${}-]{1,24}"
}

fn operator() -> impl Strategy<Value = ConditionOperator> {
    (
        proptest::sample::select(Operator::ALL.to_vec()),
        proptest::option::of(prop_oneof![
            Just(SetQualifier::ForAllValues),
            Just(SetQualifier::ForAnyValue)
        ]),
        any::<bool>(),
    )
        .prop_map(|(operator, qualifier, if_exists)| {
            if operator == Operator::Null {
                ConditionOperator::new(operator)
            } else {
                ConditionOperator {
                    operator,
                    qualifier,
                    if_exists,
                }
            }
        })
}

fn principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        Just(Principal::Any),
        proptest::collection::btree_map(
            proptest::sample::select(PrincipalKind::ALL.to_vec()),
            proptest::collection::vec(name(), 1..3),
            1..3
        )
        .prop_map(Principal::Map),
    ]
}

fn statement() -> impl Strategy<Value = Statement> {
    (
        proptest::option::of("[A-Za-z0-9]{1,12}"),
        any::<bool>(),
        proptest::option::of((any::<bool>(), principal())),
        (any::<bool>(), proptest::collection::vec(name(), 1..4)),
        proptest::option::of((any::<bool>(), proptest::collection::vec(name(), 1..4))),
        proptest::collection::vec((operator(), name(), proptest::collection::vec(name(), 1..3)), 0..4),
    )
        .prop_map(
            |(sid, allow, principal, (not_action, actions), resources, conditions)| {
                let mut s = if allow { Statement::allow() } else { Statement::deny() };
                s.sid = sid;
                s = match principal {
                    Some((false, p)) => s.with_principal(p),
                    Some((true, p)) => s.with_not_principal(p),
                    None => s,
                };
                s = if not_action {
                    s.with_not_actions(actions)
                } else {
                    s.with_actions(actions)
                };
                s = match resources {
                    Some((false, r)) => s.with_resources(r),
                    Some((true, r)) => s.with_not_resources(r),
                    None => s,
                };
                for (op, key, values) in conditions {
                    s = s.with_condition(op, key, values);
                }
                s
            },
        )
}

fn document() -> impl Strategy<Value = PolicyDocument> {
    (
        proptest::option::of(prop_oneof![Just(Version::V2012_10_17), Just(Version::V2008_10_17)]),
        proptest::option::of("[a-z0-9-]{1,10}"),
        proptest::collection::vec(statement(), 1..5),
    )
        .prop_map(|(version, id, statements)| PolicyDocument {
            version,
            id,
            statements,
        })
}

proptest! {
    #[test]
    fn parse_write_parse_is_identity(doc in document()) {
        let written = doc.to_json();
        let reparsed = PolicyDocument::from_json(&written).unwrap();
        prop_assert_eq!(&reparsed, &doc);
        prop_assert_eq!(reparsed.to_json(), written);
        let pretty = PolicyDocument::from_json(&doc.to_json_pretty()).unwrap();
        prop_assert_eq!(pretty, doc);
    }
}
