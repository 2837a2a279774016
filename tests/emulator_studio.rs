//! The local AWS emulator behind the real `aws-sdk-sagemaker` code paths: Studio
//! domains, user profiles and presigned URLs that a test can redeem.

use aws_sdk_sagemaker::types::{AuthMode, UserSettings};
use studio_fed_testkit::emulator::{ACCOUNT_ID, Emulator};

const EXECUTION_ROLE: &str = "arn:aws:iam::123456789012:role/studio-execution";

async fn create_domain(sagemaker: &aws_sdk_sagemaker::Client, name: &str, auth: AuthMode) -> String {
    let created = sagemaker
        .create_domain()
        .domain_name(name)
        .auth_mode(auth)
        .vpc_id("vpc-0123456789abcdef0")
        .subnet_ids("subnet-0123456789abcdef0")
        .default_user_settings(UserSettings::builder().execution_role(EXECUTION_ROLE).build())
        .send()
        .await
        .expect("CreateDomain");
    let arn = created.domain_arn().expect("domain ARN");
    arn.rsplit('/').next().expect("domain id").to_owned()
}

#[tokio::test]
async fn sso_domain_profile_and_iam_domain_presigned_url_redeem_once() {
    let emulator = Emulator::start().await.expect("emulator");
    let sagemaker = aws_sdk_sagemaker::Client::new(emulator.sdk_config());

    // An SSO domain gets an Identity Center application; its profiles name a directory user.
    let sso_domain = create_domain(&sagemaker, "team-a", AuthMode::Sso).await;
    assert!(sso_domain.starts_with("d-") && sso_domain.len() == 14, "{sso_domain}");
    let described = sagemaker
        .describe_domain()
        .domain_id(&sso_domain)
        .send()
        .await
        .expect("DescribeDomain");
    assert!(
        described
            .single_sign_on_application_arn()
            .is_some_and(|a| a.starts_with("arn:aws:sso::"))
    );
    assert!(
        described
            .home_efs_file_system_id()
            .is_some_and(|id| id.starts_with("fs-"))
    );

    let sso_admin = aws_sdk_ssoadmin::Client::new(emulator.sdk_config());
    let instances = sso_admin.list_instances().send().await.expect("ListInstances");
    let store_id = instances.instances()[0]
        .identity_store_id()
        .expect("identity store")
        .to_owned();
    let identity_store = aws_sdk_identitystore::Client::new(emulator.sdk_config());
    identity_store
        .create_user()
        .identity_store_id(&store_id)
        .user_name("alice")
        .display_name("Alice")
        .name(
            aws_sdk_identitystore::types::Name::builder()
                .given_name("Alice")
                .family_name("Doe")
                .build(),
        )
        .send()
        .await
        .expect("CreateUser");
    let profile = sagemaker
        .create_user_profile()
        .domain_id(&sso_domain)
        .user_profile_name("alice")
        .single_sign_on_user_identifier("UserName")
        .single_sign_on_user_value("alice")
        .user_settings(UserSettings::builder().execution_role(EXECUTION_ROLE).build())
        .send()
        .await
        .expect("CreateUserProfile");
    assert_eq!(
        profile.user_profile_arn(),
        Some(format!("arn:aws:sagemaker:us-east-1:{ACCOUNT_ID}:user-profile/{sso_domain}/alice").as_str())
    );

    // As AWS documents, presigned URLs exist only for IAM-mode domains.
    let refused = sagemaker
        .create_presigned_domain_url()
        .domain_id(&sso_domain)
        .user_profile_name("alice")
        .send()
        .await
        .expect_err("SSO domains have no presigned URLs");
    assert_eq!(refused.into_service_error().meta().code(), Some("ValidationException"));

    // An IAM-mode domain: a presigned URL that opens Studio once.
    let iam_domain = create_domain(&sagemaker, "team-b", AuthMode::Iam).await;
    sagemaker
        .create_user_profile()
        .domain_id(&iam_domain)
        .user_profile_name("bob")
        .send()
        .await
        .expect("CreateUserProfile");
    let url = sagemaker
        .create_presigned_domain_url()
        .domain_id(&iam_domain)
        .user_profile_name("bob")
        .expires_in_seconds(30)
        .send()
        .await
        .expect("CreatePresignedDomainUrl")
        .authorized_url()
        .expect("AuthorizedUrl")
        .to_owned();
    assert!(
        url.starts_with(&format!(
            "https://{iam_domain}.studio.us-east-1.sagemaker.aws/auth?token="
        )),
        "{url}"
    );
    let first = emulator.redeem(&url).await.expect("redeem");
    assert!(first.valid, "{first:?}");
    assert_eq!(first.domain_id.as_deref(), Some(iam_domain.as_str()));
    assert_eq!(first.user_profile_name.as_deref(), Some("bob"));
    let second = emulator.redeem(&url).await.expect("redeem again");
    assert!(!second.valid);
    assert_eq!(second.reason, "already used");
}

#[tokio::test]
async fn unknown_profile_has_no_presigned_url() {
    let emulator = Emulator::start().await.expect("emulator");
    let sagemaker = aws_sdk_sagemaker::Client::new(emulator.sdk_config());
    let domain = create_domain(&sagemaker, "team-c", AuthMode::Iam).await;
    let error = sagemaker
        .create_presigned_domain_url()
        .domain_id(&domain)
        .user_profile_name("nobody")
        .send()
        .await
        .expect_err("no such profile");
    assert!(error.into_service_error().is_resource_not_found());
}
