//! The deployment file and builder: parsing, validation errors with line,
//! column and field, the example file, and the derived views.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use studio_fed_policy::build::{Activity, Persona};
use studio_fed_studio::deployment::{
    AdminGroup, AppNetworkAccessType, AuthMode, Deployment, DeploymentError, DomainSettings, Guardrails, PersonaSpec,
    TAG_DEPLOYMENT, TAG_TEAM, Team, profile_name,
};

/// A valid deployment; the tests edit single lines (numbers in comments).
const BASE: &str = r#"name = "acme"
region = "eu-west-1"
account = "123456789012"

[[teams]]
name = "vision"
group = "ml-vision"
persona = "data-scientist"

[teams.domain]
vpc_id = "vpc-0a1b2c3d"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]

[[teams.users]]
user_name = "alice@example.com"

[[teams]]
name = "nlp"
group = "ml-nlp"
persona = "mlops"

[teams.domain]
app_network_access_type = "PublicInternetOnly"

[admin]
group = "ml-admins"
"#;

fn example_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/azure_ad_studio.toml")
}

fn edited(old: &str, new: &str) -> String {
    assert!(BASE.contains(old), "{old:?} not in BASE");
    BASE.replacen(old, new, 1)
}

/// Parses `text`, expecting an error at `line:column` on `field`.
fn error_at(text: &str, line: usize, column: usize, field: &str) -> DeploymentError {
    let e = Deployment::from_toml_str(text).expect_err("should be refused");
    assert_eq!(
        (e.line, e.column, e.field.as_str()),
        (Some(line), Some(column), field),
        "{e}"
    );
    assert!(e.to_string().starts_with(&format!("{line}:{column}: {field}: ")), "{e}");
    e
}

fn contains(e: &DeploymentError, text: &str) {
    assert!(e.message.contains(text), "{e}");
}

#[test]
fn base_parses_with_defaults() {
    let d = Deployment::from_toml_str(BASE).unwrap();
    assert_eq!(d.name, "acme");
    assert_eq!(d.teams.len(), 2);
    assert_eq!(d.teams[0].domain.auth_mode, AuthMode::Sso);
    assert_eq!(d.teams[0].domain.app_network_access_type, AppNetworkAccessType::VpcOnly);
    assert_eq!(
        d.teams[1].domain.app_network_access_type,
        AppNetworkAccessType::PublicInternetOnly
    );
    let admin = d.admin.unwrap();
    assert_eq!(admin.permission_set_name, "SageMakerConsoleAdmin");
    assert_eq!(admin.session_duration, "PT1H");
    assert_eq!(d.guardrails, Guardrails::default());
    assert!(d.identity_center.is_none());
}

#[test]
fn example_file_parses() {
    let d = Deployment::from_file(example_path()).unwrap();
    assert_eq!(d.name, "contoso-ml");
    assert_eq!(d.teams.len(), 3);
    for team in &d.teams {
        assert!((3..=5).contains(&team.users.len()), "{}", team.name);
        assert!(team.users.iter().all(|u| u.user_name.ends_with("@contoso.example")));
    }
    assert!(matches!(d.teams[2].default_persona, PersonaSpec::Custom { .. }));
    assert_eq!(d.teams[2].domain.auth_mode, AuthMode::Iam);
    let ic = d.identity_center.as_ref().unwrap();
    assert_eq!(ic.identity_store_id, "d-93670a1b2c");
    assert_eq!(d.admin.as_ref().unwrap().session_duration, "PT4H");
    assert!(d.guardrails.deny_console_for_non_admins);
    let personas: Vec<&str> = d.teams[0].personas().iter().map(|p| p.slug()).collect();
    assert_eq!(personas, ["data-scientist", "mlops"]);
}

// Semantic rules, each broken once.

#[test]
fn team_names_are_unique() {
    let e = error_at(&edited("name = \"nlp\"", "name = \"vision\""), 19, 8, "teams[1].name");
    contains(&e, "already used by teams[0]");
}

#[test]
fn team_names_have_the_slug_shape() {
    let e = error_at(&edited("name = \"vision\"", "name = \"Vision\""), 6, 8, "teams[0].name");
    contains(&e, "lowercase letters");
    error_at(
        &edited("name = \"vision\"", "name = \"vision-\""),
        6,
        8,
        "teams[0].name",
    );
}

#[test]
fn groups_are_unique() {
    let e = error_at(
        &edited("group = \"ml-nlp\"", "group = \"ml-vision\""),
        20,
        9,
        "teams[1].group",
    );
    contains(&e, "each team needs its own group");
}

#[test]
fn vpc_only_domains_need_subnets() {
    let text = edited(
        "app_network_access_type = \"PublicInternetOnly\"",
        "auth_mode = \"IAM\"",
    );
    let e = error_at(&text, 23, 1, "teams[1].domain.subnets");
    contains(&e, "a VpcOnly domain needs subnets");
}

#[test]
fn subnets_need_a_vpc() {
    let e = error_at(
        &edited("vpc_id = \"vpc-0a1b2c3d\"", ""),
        10,
        1,
        "teams[0].domain.vpc_id",
    );
    contains(&e, "add vpc_id");
}

#[test]
fn resource_ids_are_checked() {
    let e = error_at(
        &edited("[\"subnet-0a1b2c3d\"]", "[\"subnet-xyz\"]"),
        12,
        12,
        "teams[0].domain.subnets[0]",
    );
    contains(&e, "subnet- followed by 8 or 17 lowercase hex digits");
    error_at(
        &edited("[\"sg-0a1b2c3d\"]", "[\"sg-0A1B2C3D\"]"),
        13,
        20,
        "teams[0].domain.security_groups[0]",
    );
    error_at(
        &edited("\"vpc-0a1b2c3d\"", "\"vpc-123\""),
        11,
        10,
        "teams[0].domain.vpc_id",
    );
}

/// Replaces the blank line 14 (in `teams[0].domain`).
fn domain_line(line: &str) -> String {
    edited("[\"sg-0a1b2c3d\"]\n\n", &format!("[\"sg-0a1b2c3d\"]\n{line}\n"))
}

#[test]
fn kms_key_is_an_arn_in_the_region() {
    let e = error_at(
        &domain_line("kms_key = \"alias/ml\""),
        14,
        11,
        "teams[0].domain.kms_key",
    );
    contains(&e, "expected an ARN");
    let other_region = "kms_key = \"arn:aws:kms:us-east-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666\"";
    let e = error_at(&domain_line(other_region), 14, 11, "teams[0].domain.kms_key");
    contains(&e, "not in the deployment's region eu-west-1");
}

#[test]
fn instance_types_look_like_ml_types() {
    let e = error_at(
        &domain_line("allowed_instance_types = [\"t3.medium\"]"),
        14,
        27,
        "teams[0].domain.allowed_instance_types[0]",
    );
    contains(&e, "ml.t3.medium");
}

#[test]
fn default_instance_type_is_allowed() {
    let text = edited(
        "[\"sg-0a1b2c3d\"]\n\n",
        "[\"sg-0a1b2c3d\"]\nallowed_instance_types = [\"ml.t3.*\"]\ndefault_instance_type = \"ml.m5.large\"\n",
    );
    let e = error_at(&text, 15, 25, "teams[0].domain.default_instance_type");
    contains(&e, "not among the team's allowed_instance_types");
    let text = format!(
        "{}\n[guardrails]\nallowed_instance_types = [\"ml.t3.*\"]\n",
        domain_line("default_instance_type = \"ml.m5.large\"")
    );
    let e = error_at(&text, 14, 25, "teams[0].domain.default_instance_type");
    contains(&e, "denied by guardrails.allowed_instance_types");
}

#[test]
fn s3_buckets_are_checked_by_role_inputs() {
    let e = error_at(
        &domain_line("s3_buckets = [\"ok-bucket\", \"s3://ml-data\"]"),
        14,
        28,
        "teams[0].domain.s3_buckets[1]",
    );
    contains(&e, "without the s3:// or arn: prefix");
}

#[test]
fn cidrs_parse() {
    let text = format!("{BASE}[guardrails]\nstudio_cidrs = [\"10.0.0.1/8\"]\n");
    let e = error_at(&text, 29, 17, "guardrails.studio_cidrs[0]");
    contains(&e, "did you mean 10.0.0.0/8?");
}

#[test]
fn users_are_unique_in_a_team() {
    let two = |second: &str| {
        edited(
            "user_name = \"alice@example.com\"\n\n",
            &format!("user_name = \"alice@example.com\"\n[[teams.users]]\nuser_name = \"{second}\"\n"),
        )
    };
    let e = error_at(&two("alice@example.com"), 18, 13, "teams[0].users[1].user_name");
    contains(&e, "already listed as teams[0].users[0]");
    let e = error_at(&two("alice.example.com"), 18, 13, "teams[0].users[1].user_name");
    contains(&e, "maps to the user profile name \"alice-example-com\"");
}

#[test]
fn a_user_is_in_at_most_one_team() {
    let text = edited(
        "\"PublicInternetOnly\"\n",
        "\"PublicInternetOnly\"\n[[teams.users]]\nuser_name = \"alice@example.com\"\n",
    );
    let e = error_at(&text, 26, 13, "teams[1].users[0].user_name");
    contains(&e, "already in teams[0] (vision)");
}

#[test]
fn persona_activities_are_valid() {
    let text = edited(
        "persona = \"data-scientist\"",
        "persona = { custom = [\"manage-ml-jobs\", \"fly\"] }",
    );
    let e = error_at(&text, 8, 41, "teams[0].persona.custom[1]");
    contains(&e, "unknown activity");
    let e = error_at(
        &edited("persona = \"data-scientist\"", "persona = \"data-sci\""),
        8,
        11,
        "teams[0].persona",
    );
    contains(&e, "unknown persona \"data-sci\"");
    error_at(
        &edited("persona = \"data-scientist\"", "persona = { custom = [] }"),
        8,
        22,
        "teams[0].persona.custom",
    );
}

#[test]
fn admin_group_is_not_a_team_group() {
    let e = error_at(
        &edited("group = \"ml-admins\"", "group = \"ml-nlp\""),
        27,
        9,
        "admin.group",
    );
    contains(&e, "use a separate admin group");
}

#[test]
fn admin_session_duration_is_checked() {
    let text = format!("{BASE}session_duration = \"PT13H\"\n");
    error_at(&text, 28, 20, "admin.session_duration");
}

#[test]
fn deny_console_needs_an_admin_group() {
    let text = edited(
        "[admin]\ngroup = \"ml-admins\"\n",
        "[guardrails]\ndeny_console_for_non_admins = true\n",
    );
    let e = error_at(&text, 27, 31, "guardrails.deny_console_for_non_admins");
    contains(&e, "no [admin] group");
}

#[test]
fn presigned_url_principals_are_roles_of_the_account() {
    let principals = |list: &str| format!("{BASE}\n[guardrails]\npresigned_url_principals = [{list}]\n");
    let gateway = "\"arn:aws:iam::123456789012:role/studio-fed-gateway\"";
    let d = Deployment::from_toml_str(&principals(gateway)).unwrap();
    assert_eq!(
        d.guardrails.presigned_url_principals,
        ["arn:aws:iam::123456789012:role/studio-fed-gateway"]
    );
    let e = error_at(
        &principals("\"arn:aws:iam::444455556666:role/studio-fed-gateway\""),
        30,
        29,
        "guardrails.presigned_url_principals[0]",
    );
    contains(&e, "not in the deployment's account 123456789012");
    let e = error_at(
        &principals(&format!("{gateway}, \"arn:aws:iam::123456789012:user/gateway\"")),
        30,
        82,
        "guardrails.presigned_url_principals[1]",
    );
    contains(&e, "expected an ARN of the form arn:partition:iam::account:role/");
    let e = error_at(
        &principals("\"arn:aws:iam::123456789012:role/studio-fed-*\""),
        30,
        29,
        "guardrails.presigned_url_principals[0]",
    );
    contains(&e, "invalid presigned URL principal");
    let e = error_at(
        &principals(&format!("{gateway}, {gateway}")),
        30,
        82,
        "guardrails.presigned_url_principals[1]",
    );
    contains(&e, "already listed as guardrails.presigned_url_principals[0]");
    let e = error_at(
        &principals("\"arn:aws-cn:iam::123456789012:role/studio-fed-gateway\""),
        30,
        29,
        "guardrails.presigned_url_principals[0]",
    );
    contains(&e, "not in the deployment's partition aws");
    let e = error_at(&principals("3"), 30, 29, "guardrails.presigned_url_principals[0]");
    contains(&e, "fix the value's type");
}

#[test]
fn identity_center_ids_are_checked() {
    let text = format!(
        "{BASE}\n[identity_center]\ninstance_arn = \"arn:aws:sso:::instance/ssoins-6987a5b1c2d3e4f5\"\nidentity_store_id = \"93670a1b2c\"\n"
    );
    error_at(&text, 31, 21, "identity_center.identity_store_id");
}

// Syntax and type errors.

#[test]
fn unknown_fields_suggest_the_known_one() {
    let e = error_at(&edited("subnets = [", "subnet = ["), 12, 1, "teams[0].domain.subnet");
    contains(&e, "unknown field `subnet`");
    contains(&e, "did you mean `subnets`?");
    let e = error_at(&edited("region =", "regoin ="), 2, 1, "regoin");
    contains(&e, "did you mean `region`?");
}

#[test]
fn type_errors_name_the_line_and_field() {
    let e = error_at(
        &edited("[\"subnet-0a1b2c3d\"]", "\"subnet-0a1b2c3d\""),
        12,
        11,
        "teams[0].domain.subnets",
    );
    contains(&e, "expected a sequence");
    let e = error_at(
        &edited(
            "app_network_access_type = \"PublicInternetOnly\"",
            "app_network_access_type = \"Public\"",
        ),
        24,
        27,
        "teams[1].domain.app_network_access_type",
    );
    contains(&e, "unknown variant `Public`");
}

#[test]
fn missing_fields_are_named() {
    let e = error_at(&edited("group = \"ml-vision\"", ""), 5, 1, "teams[0].group");
    contains(&e, "missing field `group`");
}

#[test]
fn syntax_errors_have_a_line() {
    let e = Deployment::from_toml_str("name = \"acme\"\n[[teams]\n").unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
}

#[test]
fn no_teams_is_an_error() {
    let e = Deployment::from_toml_str("name = \"acme\"\n").unwrap_err();
    assert_eq!(e.field, "teams");
    assert!(e.message.contains("add at least one [[teams]]"), "{e}");
}

#[test]
fn file_errors_name_the_file() {
    let path = std::env::temp_dir().join(format!("studio-fed-deployment-{}.toml", std::process::id()));
    std::fs::write(&path, edited("name = \"nlp\"", "name = \"vision\"")).unwrap();
    let e = Deployment::from_file(&path).unwrap_err();
    std::fs::remove_file(&path).unwrap();
    assert!(
        e.to_string()
            .starts_with(&format!("{}:19:8: teams[1].name: ", path.display())),
        "{e}"
    );
}

// The builder.

fn small_toml() -> &'static str {
    r#"name = "acme"
region = "eu-west-1"
account = "123456789012"

[[teams]]
name = "vision"
group = "ml-vision"
persona = "data-scientist"

[teams.domain]
vpc_id = "vpc-0a1b2c3d"
subnets = ["subnet-0a1b2c3d"]
security_groups = ["sg-0a1b2c3d"]
kms_key = "arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666"
default_instance_type = "ml.t3.medium"
allowed_instance_types = ["ml.t3.*"]
s3_buckets = ["ml-data/vision"]

[[teams.users]]
user_name = "alice@example.com"

[[teams.users]]
user_name = "bob@example.com"
persona = { custom = ["run-studio-apps", "manage-ml-jobs"] }

[admin]
group = "ml-admins"

[guardrails]
allowed_instance_types = ["ml.t3.*"]
studio_cidrs = ["203.0.113.0/24"]
deny_console_for_non_admins = true
presigned_url_principals = ["arn:aws:iam::123456789012:role/studio-fed-gateway"]
"#
}

fn small_builder() -> Deployment {
    let team = Team::builder("vision")
        .group("ml-vision")
        .persona(PersonaSpec::DataScientist)
        .domain(
            DomainSettings::default()
                .vpc("vpc-0a1b2c3d", ["subnet-0a1b2c3d"], ["sg-0a1b2c3d"])
                .kms_key("arn:aws:kms:eu-west-1:123456789012:key/1111aaaa-22bb-33cc-44dd-5555eeee6666")
                .default_instance_type("ml.t3.medium")
                .allowed_instance_types(["ml.t3.*"])
                .s3_buckets(["ml-data/vision"]),
        )
        .user("alice@example.com")
        .user_with_persona(
            "bob@example.com",
            PersonaSpec::Custom {
                activities: vec![Activity::RunStudioApps, Activity::ManageMlJobs],
            },
        )
        .build()
        .unwrap();
    Deployment::builder("acme")
        .region("eu-west-1")
        .account("123456789012")
        .team(team)
        .admin(AdminGroup::new("ml-admins"))
        .guardrails(Guardrails {
            allowed_instance_types: vec!["ml.t3.*".into()],
            studio_cidrs: vec!["203.0.113.0/24".into()],
            deny_console_for_non_admins: true,
            presigned_url_principals: vec!["arn:aws:iam::123456789012:role/studio-fed-gateway".into()],
        })
        .build()
        .unwrap()
}

#[test]
fn builder_equals_toml() {
    assert_eq!(small_builder(), Deployment::from_toml_str(small_toml()).unwrap());
}

#[test]
fn builder_validates_with_field_paths() {
    let team = |name: &str| {
        Team::builder(name)
            .group(format!("g-{name}"))
            .persona(PersonaSpec::MlOps)
            .domain(DomainSettings::default().app_network_access_type(AppNetworkAccessType::PublicInternetOnly))
            .build()
            .unwrap()
    };
    let e = Deployment::builder("acme")
        .team(team("a"))
        .team(team("a"))
        .build()
        .unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (None, "teams[1].name"));
    assert!(e.to_string().starts_with("teams[1].name: "), "{e}");
    let e = Deployment::builder("acme")
        .team(
            Team::builder("a")
                .group("g")
                .persona(PersonaSpec::MlOps)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap_err();
    assert_eq!(e.field, "teams[0].domain.subnets");
    let e = Team::builder("a").persona(PersonaSpec::MlOps).build().unwrap_err();
    assert!(e.to_string().contains("group: is required"), "{e}");
}

// Derived views.

#[test]
fn role_inputs_of_a_team() {
    let d = small_builder();
    let team = &d.teams[0];
    let inputs = team.role_inputs(&d).unwrap();
    assert_eq!(inputs.region(), Some("eu-west-1"));
    assert_eq!(inputs.account(), Some("123456789012"));
    assert_eq!(inputs.s3_locations()[0].bucket(), "ml-data");
    assert_eq!(inputs.s3_locations()[0].prefix(), Some("vision"));
    assert_eq!(inputs.subnets(), ["subnet-0a1b2c3d"]);
    assert_eq!(inputs.security_groups(), ["sg-0a1b2c3d"]);
    let key = team.domain.kms_key.as_deref().unwrap();
    assert_eq!(inputs.data_kms_keys(), [key]);
    assert_eq!(inputs.volume_kms_keys(), [key]);
    assert_eq!(
        inputs.pass_roles(),
        ["arn:aws:iam::123456789012:role/acme-vision-compute"]
    );
    for persona in team.personas() {
        let role = persona.persona().role(&team.role_name(&d, persona), &inputs).unwrap();
        assert!(studio_fed_policy::lint::check_role(&role).is_empty());
    }
    let mut no_account = d.clone();
    no_account.account = None;
    assert!(team.role_inputs(&no_account).unwrap().pass_roles().is_empty());
}

#[test]
fn persona_of_a_user() {
    let d = Deployment::from_file(example_path()).unwrap();
    let vision = &d.teams[0];
    assert_eq!(vision.persona_of("alice@contoso.example"), &PersonaSpec::DataScientist);
    assert_eq!(vision.persona_of("dana@contoso.example"), &PersonaSpec::MlOps);
    assert_eq!(
        vision.persona_of("not-listed@contoso.example"),
        &PersonaSpec::DataScientist
    );
    assert_eq!(PersonaSpec::MlOps.persona(), Persona::MlOps);
    let analytics = &d.teams[2];
    let Persona::Custom(activities) = analytics.persona_of("ivan@contoso.example").persona() else {
        panic!("custom expected");
    };
    assert_eq!(activities[0], Activity::RunStudioApps);
    assert_eq!(
        d.team_of("ivan@contoso.example").map(|t| t.name.as_str()),
        Some("analytics")
    );
    assert!(d.team_of("nobody@contoso.example").is_none());
}

#[test]
fn guardrails_from_the_section() {
    let d = Deployment::from_file(example_path()).unwrap();
    let guardrails = d.guardrail_list().unwrap();
    assert_eq!(guardrails.len(), 3);
    let text = serde_json::to_string(&studio_fed_policy::build::Guardrail::combined(&guardrails)).unwrap();
    assert!(text.contains("ml.g5.2xlarge"), "{text}");
    assert!(text.contains("203.0.113.0/24"), "{text}");
    assert!(
        text.contains(
            "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_SageMakerConsoleAdmin_*"
        ),
        "{text}"
    );
    assert!(
        Deployment::from_toml_str(BASE)
            .unwrap()
            .guardrail_list()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn names_and_tags() {
    let d = Deployment::from_file(example_path()).unwrap();
    let vision = &d.teams[0];
    assert_eq!(vision.domain_name(&d), "contoso-ml-vision");
    assert_eq!(
        vision.role_name(&d, &PersonaSpec::DataScientist),
        "contoso-ml-vision-data-scientist"
    );
    assert_eq!(vision.compute_role_name(&d), "contoso-ml-vision-compute");
    assert_eq!(
        vision.tags(&d),
        [
            (TAG_DEPLOYMENT, "contoso-ml".to_owned()),
            (TAG_TEAM, "vision".to_owned())
        ]
    );
    assert_eq!(TAG_DEPLOYMENT, "studio-fed:deployment");
    assert_eq!(vision.users[1].profile_name(), "bob-martin-contoso-example");
    assert_eq!(profile_name("--Ünïcode..name@x--"), "n-code-name-x");
    assert_eq!(profile_name(&"a".repeat(70)).len(), 63);
    assert_eq!(profile_name("@@@"), "");
    let longest = "a".repeat(16);
    let team = "t".repeat(31);
    assert!(format!("{longest}-{team}-data-scientist").len() <= 64);
}

#[test]
fn user_names_are_identity_center_user_names() {
    let e = error_at(
        &edited("\"alice@example.com\"", "\"alice smith\""),
        16,
        13,
        "teams[0].users[0].user_name",
    );
    contains(&e, "without spaces");
    let e = error_at(
        &edited("\"alice@example.com\"", "\"@@\""),
        16,
        13,
        "teams[0].users[0].user_name",
    );
    contains(&e, "no user profile name");
}

#[test]
fn a_team_has_one_custom_persona() {
    let text = edited(
        "persona = \"data-scientist\"",
        "persona = { custom = [\"manage-ml-jobs\"] }",
    );
    let text = text.replacen(
        "user_name = \"alice@example.com\"\n",
        "user_name = \"alice@example.com\"\npersona = { custom = [\"manage-models\"] }\n",
        1,
    );
    let e = error_at(&text, 17, 11, "teams[0].users[0].persona");
    contains(&e, "differs from teams[0].persona");
}

#[test]
fn missing_top_level_name() {
    let e = Deployment::from_toml_str("region = \"eu-west-1\"\n").unwrap_err();
    assert_eq!(e.field, "name", "{e}");
    assert!(e.message.contains("missing field `name`"), "{e}");
}
