//! Parsing directory files: JSON and CSV fixtures, nested groups flattened,
//! cycles and parse errors reported with their location and field.

use std::path::PathBuf;

use studio_fed_studio::directory::{Directory, Error};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn members(directory: &Directory, group: &str) -> Vec<String> {
    let effective = directory.effective_members().expect("flattened");
    effective[group].iter().cloned().collect()
}

#[test]
fn json_fixture_is_parsed_and_nested_groups_are_flattened() {
    let directory = Directory::from_path(fixture("directory.json")).expect("parsed");
    assert_eq!(directory.users.len(), 3);
    assert_eq!(directory.users[0].user_principal_name, "ada@example.com");
    assert_eq!(directory.users[0].mail.as_deref(), Some("ada@example.com"));
    assert_eq!(directory.users[1].mail, None);
    assert_eq!(directory.groups.len(), 3);
    assert_eq!(directory.groups[1].description, None);
    assert_eq!(
        members(&directory, "engineers"),
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );
    assert_eq!(
        members(&directory, "platform"),
        ["alan@example.com", "grace@example.com"]
    );
    assert_eq!(members(&directory, "sre"), ["grace@example.com"]);
}

#[test]
fn csv_fixture_is_parsed_like_the_json_one() {
    let csv = Directory::from_path(fixture("directory.csv")).expect("parsed");
    let json = Directory::from_path(fixture("directory.json")).expect("parsed");
    assert_eq!(
        csv.effective_members().expect("flat"),
        json.effective_members().expect("flat")
    );
    assert_eq!(csv.users.len(), 3);
    assert_eq!(csv.users[2].display_name, "Hopper, Grace");
    let engineers = csv
        .groups
        .iter()
        .find(|g| g.display_name == "engineers")
        .expect("group");
    assert_eq!(engineers.description.as_deref(), Some("All engineers"));
    let platform = csv.groups.iter().find(|g| g.display_name == "platform").expect("group");
    assert_eq!(platform.description, None);
}

#[test]
fn a_cycle_of_nested_groups_is_reported() {
    let error = Directory::from_path(fixture("directory_cycle.json")).expect_err("a cycle");
    match &error {
        Error::Cycle { cycle } => assert_eq!(cycle, &["alpha", "beta", "gamma", "alpha"]),
        other => panic!("expected a cycle, got {other}"),
    }
    assert!(error.to_string().contains("alpha -> beta -> gamma -> alpha"), "{error}");
}

#[test]
fn a_csv_parse_error_names_the_line_and_the_field() {
    let error = Directory::from_path(fixture("directory_bad.csv")).expect_err("invalid");
    match &error {
        Error::Parse {
            format,
            location,
            field,
            ..
        } => {
            assert_eq!(
                (*format, location.as_str(), field.as_str()),
                ("CSV", "line 3", "givenName")
            );
        }
        other => panic!("expected a parse error, got {other}"),
    }
    assert!(error.to_string().contains("line 3, field `givenName`"), "{error}");
}

#[test]
fn a_csv_with_a_missing_column_names_the_column() {
    let error = Directory::from_csv("id,userPrincipalName,displayName,givenName,surname\n").expect_err("invalid");
    assert!(
        matches!(&error, Error::Parse { location, field, .. } if location == "line 1" && field == "groupDisplayName"),
        "{error}"
    );
}

#[test]
fn csv_rows_of_one_user_must_agree() {
    let text = "userPrincipalName,displayName,givenName,surname,groupDisplayName\n\
                a@example.com,A,A,One,g1\n\
                a@example.com,A,A,Two,g2\n";
    let error = Directory::from_csv(text).expect_err("conflicting rows");
    assert!(
        matches!(&error, Error::Parse { location, field, .. } if location == "line 3" && field == "surname"),
        "{error}"
    );
}

#[test]
fn a_json_error_names_the_record_and_the_field() {
    let text = r#"{"users": [{"id": "u1", "userPrincipalName": "a@example.com", "displayName": "A",
                   "givenName": "A"}], "groups": []}"#;
    let error = Directory::from_json(text).expect_err("no surname");
    assert!(
        matches!(&error, Error::Parse { location, field, .. } if location == "users[0] (id \"u1\")" && field == "surname"),
        "{error}"
    );
    let error = Directory::from_json("{\"users\": [\n  {\"id\": 5}\n]}").expect_err("not a string");
    assert!(
        matches!(&error, Error::Parse { location, .. } if location.starts_with("line 2")),
        "{error}"
    );
}

#[test]
fn a_member_that_does_not_exist_is_reported() {
    let text = r##"{"users": [], "groups": [{"id": "g", "displayName": "g",
                   "members": [{"@odata.type": "#microsoft.graph.user", "id": "nobody"}]}]}"##;
    let error = Directory::from_json(text).expect_err("unknown member");
    assert!(
        matches!(&error, Error::Parse { field, .. } if field == "members[0].id"),
        "{error}"
    );
}
