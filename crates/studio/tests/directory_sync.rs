//! Directory sync against the local AWS emulator, one emulator per test.

use std::path::PathBuf;

use aws_config::SdkConfig;
use aws_sdk_identitystore::types::{Email, MemberId, Name};
use studio_fed_studio::directory::{
    Directory, GROUP_DESCRIPTION_PREFIX, MARKER_GROUP, SyncAction, SyncOptions, SyncReport, discover_identity_store,
    sync_directory,
};
use studio_fed_testkit::emulator::Emulator;
use studio_fed_testkit::proxy::{Counts, FaultPlan, FaultProxy};

const WRITE: SyncOptions = SyncOptions { dry_run: false };
const DRY_RUN: SyncOptions = SyncOptions { dry_run: true };

fn fixture() -> Directory {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/directory.json");
    Directory::from_path(path).expect("fixture")
}

/// An emulator, a fault proxy (no faults) in front of it, and the identity store id.
async fn setup() -> (Emulator, FaultProxy, SdkConfig, String) {
    let emulator = Emulator::start().await.expect("emulator");
    let upstream = url::Url::parse(emulator.endpoint_url()).expect("url");
    let proxy = FaultProxy::start(upstream, FaultPlan::new()).await.expect("proxy");
    let config = emulator.sdk_config_via(&proxy.endpoint_url());
    let (_, store) = discover_identity_store(&config).await.expect("identity store");
    (emulator, proxy, config, store)
}

/// The identitystore write operations the proxy saw.
fn writes(counts: &Counts) -> Vec<(String, u64)> {
    counts
        .iter()
        .filter(|(op, _)| op.starts_with("identitystore:"))
        .filter(|(op, _)| {
            !["List", "Describe", "Get", "IsMember"]
                .iter()
                .any(|r| op[14..].starts_with(r))
        })
        .map(|(op, c)| (op.to_owned(), c.received))
        .collect()
}

/// UserName -> id, group DisplayName -> id, and (group, UserName) memberships.
struct Store {
    users: Vec<aws_sdk_identitystore::types::User>,
    groups: Vec<aws_sdk_identitystore::types::Group>,
}

async fn read(config: &SdkConfig, store: &str) -> Store {
    let client = aws_sdk_identitystore::Client::new(config);
    let users = client
        .list_users()
        .identity_store_id(store)
        .send()
        .await
        .expect("users");
    let groups = client
        .list_groups()
        .identity_store_id(store)
        .send()
        .await
        .expect("groups");
    Store {
        users: users.users().to_vec(),
        groups: groups.groups().to_vec(),
    }
}

impl Store {
    fn user(&self, name: &str) -> Option<&aws_sdk_identitystore::types::User> {
        self.users.iter().find(|u| u.user_name() == Some(name))
    }
    fn group(&self, name: &str) -> Option<&aws_sdk_identitystore::types::Group> {
        self.groups.iter().find(|g| g.display_name() == Some(name))
    }
    fn user_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.users.iter().filter_map(|u| u.user_name()).collect();
        names.sort();
        names
    }
}

async fn members(config: &SdkConfig, store: &Store, store_id: &str, group: &str) -> Vec<String> {
    let client = aws_sdk_identitystore::Client::new(config);
    let group_id = store.group(group).expect("group").group_id();
    let listed = client
        .list_group_memberships()
        .identity_store_id(store_id)
        .group_id(group_id)
        .send()
        .await
        .expect("memberships");
    let mut names: Vec<String> = listed
        .group_memberships()
        .iter()
        .filter_map(|m| match m.member_id() {
            Some(MemberId::UserId(id)) => store
                .users
                .iter()
                .find(|u| u.user_id() == id)
                .and_then(|u| u.user_name())
                .map(str::to_owned),
            _ => None,
        })
        .collect();
    names.sort();
    names
}

fn action<'a>(report: &'a SyncReport, resource: &str) -> &'a SyncAction {
    &report
        .entries()
        .find(|e| e.resource == resource)
        .unwrap_or_else(|| panic!("{resource} not in the report:\n{report}"))
        .action
}

fn without_user(directory: &mut Directory, upn: &str) {
    let id = directory
        .users
        .iter()
        .find(|u| u.user_principal_name == upn)
        .expect("user")
        .id
        .clone();
    directory.users.retain(|u| u.id != id);
    for group in &mut directory.groups {
        group.members.retain(|m| m.id != id);
    }
}

#[tokio::test]
async fn first_sync_creates_users_groups_and_flattened_memberships() {
    let (_emulator, _proxy, config, store_id) = setup().await;
    let report = sync_directory(&config, &store_id, &fixture(), WRITE)
        .await
        .expect("sync");
    assert_eq!(report.users.len(), 3, "{report}");
    assert!(report.entries().all(|e| e.action == SyncAction::Created), "{report}");
    assert_eq!(report.memberships.len(), 3 + 2 + 1, "{report}");

    let store = read(&config, &store_id).await;
    assert_eq!(
        store.user_names(),
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );
    let ada = store.user("ada@example.com").expect("ada");
    assert_eq!(ada.display_name(), Some("Ada Lovelace"));
    let name = ada.name().expect("name");
    assert_eq!((name.given_name(), name.family_name()), (Some("Ada"), Some("Lovelace")));
    assert_eq!(ada.emails()[0].value(), Some("ada@example.com"));
    let engineers = store.group("engineers").expect("engineers");
    assert_eq!(
        engineers.description(),
        Some(format!("{GROUP_DESCRIPTION_PREFIX} All engineers").as_str())
    );
    assert_eq!(
        members(&config, &store, &store_id, "engineers").await,
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );
    assert_eq!(
        members(&config, &store, &store_id, "platform").await,
        ["alan@example.com", "grace@example.com"]
    );
    assert_eq!(members(&config, &store, &store_id, "sre").await, ["grace@example.com"]);
    // The marker group records the users the sync created.
    assert_eq!(
        members(&config, &store, &store_id, MARKER_GROUP).await,
        ["ada@example.com", "alan@example.com", "grace@example.com"]
    );
    let json = serde_json::to_value(&report).expect("serializable");
    assert_eq!(json["users"][0]["action"], "created");
}

#[tokio::test]
async fn second_sync_is_a_no_op() {
    let (_emulator, proxy, config, store_id) = setup().await;
    sync_directory(&config, &store_id, &fixture(), WRITE)
        .await
        .expect("first sync");
    proxy.reset_counts();
    let report = sync_directory(&config, &store_id, &fixture(), WRITE)
        .await
        .expect("second sync");
    assert!(report.is_noop(), "{report}");
    assert!(report.entries().next().is_none(), "{report}");
    assert_eq!(report.unchanged, 3 + 3 + 6, "{report}");
    let counts = proxy.counts();
    assert_eq!(writes(&counts), Vec::<(String, u64)>::new());
    assert!(counts.received("identitystore:ListUsers") >= 1);
    assert_eq!(
        counts.received("identitystore:DescribeUser"),
        0,
        "listings, not one describe per user"
    );
}

#[tokio::test]
async fn a_changed_user_is_updated_with_the_diff() {
    let (_emulator, proxy, config, store_id) = setup().await;
    let mut directory = fixture();
    sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("first sync");
    directory.users[0].display_name = "Ada King".into();
    directory.users[0].surname = "King".into();
    directory.users[0].mail = Some("ada.king@example.com".into());
    directory.groups[0].description = Some("Everyone who builds".into());
    proxy.reset_counts();
    let report = sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("sync");
    let SyncAction::Updated { diff } = action(&report, "ada@example.com") else {
        panic!("expected an update:\n{report}");
    };
    let fields: Vec<(&str, &str, &str)> = diff
        .iter()
        .map(|c| (c.field.as_str(), c.before.as_str(), c.after.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("displayName", "Ada Lovelace", "Ada King"),
            ("surname", "Lovelace", "King"),
            ("mail", "ada@example.com", "ada.king@example.com")
        ]
    );
    assert!(
        matches!(action(&report, "engineers"), SyncAction::Updated { .. }),
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("displayName \"Ada Lovelace\" -> \"Ada King\""),
        "{report}"
    );
    let counts = proxy.counts();
    assert_eq!(
        writes(&counts),
        [
            ("identitystore:UpdateGroup".to_owned(), 1),
            ("identitystore:UpdateUser".to_owned(), 1)
        ]
    );

    let store = read(&config, &store_id).await;
    let ada = store.user("ada@example.com").expect("ada");
    assert_eq!(ada.display_name(), Some("Ada King"));
    assert_eq!(ada.name().and_then(|n| n.family_name()), Some("King"));
    assert_eq!(ada.emails()[0].value(), Some("ada.king@example.com"));
    assert_eq!(
        store.group("engineers").and_then(|g| g.description()),
        Some(format!("{GROUP_DESCRIPTION_PREFIX} Everyone who builds").as_str())
    );
}

#[tokio::test]
async fn a_user_removed_from_the_file_is_removed_from_groups_and_deleted() {
    let (_emulator, _proxy, config, store_id) = setup().await;
    let mut directory = fixture();
    sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("first sync");
    without_user(&mut directory, "grace@example.com");
    let report = sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("sync");
    assert_eq!(action(&report, "grace@example.com"), &SyncAction::Removed);
    for group in ["engineers", "platform", "sre"] {
        assert_eq!(
            action(&report, &format!("{group} / grace@example.com")),
            &SyncAction::Removed
        );
    }
    let store = read(&config, &store_id).await;
    assert_eq!(store.user_names(), ["ada@example.com", "alan@example.com"]);
    assert_eq!(
        members(&config, &store, &store_id, "engineers").await,
        ["ada@example.com", "alan@example.com"]
    );
    assert!(members(&config, &store, &store_id, "sre").await.is_empty());
    assert_eq!(
        members(&config, &store, &store_id, MARKER_GROUP).await,
        ["ada@example.com", "alan@example.com"]
    );
}

#[tokio::test]
async fn a_group_removed_from_the_file_is_deleted() {
    let (_emulator, _proxy, config, store_id) = setup().await;
    let mut directory = fixture();
    sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("first sync");
    directory.groups.retain(|g| g.display_name != "sre");
    for group in &mut directory.groups {
        group.members.retain(|m| m.id != "g-sre");
    }
    let report = sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("sync");
    assert_eq!(action(&report, "sre"), &SyncAction::Removed);
    assert_eq!(action(&report, "sre / grace@example.com"), &SyncAction::Removed);
    assert_eq!(action(&report, "platform / grace@example.com"), &SyncAction::Removed);
    let store = read(&config, &store_id).await;
    assert!(store.group("sre").is_none());
    assert!(store.group("platform").is_some());
    // Grace stays in the file but is in no group any more: her memberships ended, she was kept.
    assert_eq!(
        members(&config, &store, &store_id, "engineers").await,
        ["ada@example.com", "alan@example.com"]
    );
    assert!(store.user("grace@example.com").is_some());
}

#[tokio::test]
async fn users_and_groups_studio_fed_did_not_create_are_skipped_and_never_touched() {
    let (_emulator, proxy, config, store_id) = setup().await;
    let client = aws_sdk_identitystore::Client::new(&config);
    let alan_id = client
        .create_user()
        .identity_store_id(&store_id)
        .user_name("alan@example.com")
        .display_name("Alan (SCIM)")
        .name(Name::builder().given_name("Alan").family_name("Scim").build())
        .emails(Email::builder().value("alan@scim.example.com").primary(true).build())
        .send()
        .await
        .expect("user")
        .user_id()
        .to_owned();
    let sre_id = client
        .create_group()
        .identity_store_id(&store_id)
        .display_name("sre")
        .description("made by hand")
        .send()
        .await
        .expect("group")
        .group_id()
        .to_owned();

    let report = sync_directory(&config, &store_id, &fixture(), WRITE)
        .await
        .expect("sync");
    let skipped = SyncAction::Skipped {
        reason: "not managed by studio-fed".into(),
    };
    assert_eq!(action(&report, "alan@example.com"), &skipped, "{report}");
    assert_eq!(action(&report, "sre"), &skipped, "{report}");
    assert!(matches!(
        action(&report, "engineers / alan@example.com"),
        SyncAction::Skipped { .. }
    ));
    assert!(
        report
            .to_string()
            .contains("user alan@example.com: skipped: not managed by studio-fed"),
        "{report}"
    );

    // Now drop both from the file: still never modified nor deleted.
    let mut directory = fixture();
    without_user(&mut directory, "alan@example.com");
    directory.groups.retain(|g| g.display_name != "sre");
    for group in &mut directory.groups {
        group.members.retain(|m| m.id != "g-sre");
    }
    proxy.reset_counts();
    let report = sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("sync");
    assert!(
        report
            .entries()
            .all(|e| !e.resource.starts_with("alan@") && e.resource != "sre"),
        "{report}"
    );
    let counts = proxy.counts();
    assert_eq!(counts.received("identitystore:DeleteUser"), 0);
    assert_eq!(counts.received("identitystore:DeleteGroup"), 0);
    assert_eq!(counts.received("identitystore:UpdateUser"), 0);

    let alan = client
        .describe_user()
        .identity_store_id(&store_id)
        .user_id(&alan_id)
        .send()
        .await
        .expect("alan is still there");
    assert_eq!(alan.display_name(), Some("Alan (SCIM)"));
    let sre = client
        .describe_group()
        .identity_store_id(&store_id)
        .group_id(&sre_id)
        .send()
        .await
        .expect("sre is still there");
    assert_eq!(sre.description(), Some("made by hand"));
}

#[tokio::test]
async fn a_dry_run_reports_the_changes_and_writes_nothing() {
    let (_emulator, proxy, config, store_id) = setup().await;
    let report = sync_directory(&config, &store_id, &fixture(), DRY_RUN)
        .await
        .expect("dry run");
    assert!(report.dry_run);
    assert_eq!(report.changes(), 3 + 3 + 6, "{report}");
    assert!(report.to_string().contains("dry run: nothing was changed"), "{report}");
    assert_eq!(writes(&proxy.counts()), Vec::<(String, u64)>::new());
    assert!(read(&config, &store_id).await.users.is_empty());

    // Also after a real sync and a change.
    let mut directory = fixture();
    sync_directory(&config, &store_id, &directory, WRITE)
        .await
        .expect("sync");
    directory.users[1].given_name = "Alan M.".into();
    without_user(&mut directory, "grace@example.com");
    proxy.reset_counts();
    let report = sync_directory(&config, &store_id, &directory, DRY_RUN)
        .await
        .expect("dry run");
    assert!(
        matches!(action(&report, "alan@example.com"), SyncAction::Updated { .. }),
        "{report}"
    );
    assert_eq!(action(&report, "grace@example.com"), &SyncAction::Removed);
    assert_eq!(writes(&proxy.counts()), Vec::<(String, u64)>::new());
    assert_eq!(read(&config, &store_id).await.users.len(), 3);
}

#[tokio::test]
async fn a_marker_group_studio_fed_did_not_create_is_refused() {
    let (_emulator, proxy, config, store_id) = setup().await;
    aws_sdk_identitystore::Client::new(&config)
        .create_group()
        .identity_store_id(&store_id)
        .display_name(MARKER_GROUP)
        .description("someone else's group")
        .send()
        .await
        .expect("group");
    proxy.reset_counts();
    let error = sync_directory(&config, &store_id, &fixture(), WRITE)
        .await
        .expect_err("refused");
    let message = error.to_string();
    assert!(
        message.contains(MARKER_GROUP) && message.contains("rename or delete it"),
        "{message}"
    );
    assert_eq!(writes(&proxy.counts()), Vec::<(String, u64)>::new());
}
