"""SageMaker user profiles: CreateUserProfile, DescribeUserProfile, ListUserProfiles,
UpdateUserProfile, DeleteUserProfile, as the SageMaker API reference documents them."""

import time

from helpers import ACCOUNT_ID, REGION, ROLE_ARN, aws_error, wait_until_gone


def test_user_profile_name_must_match_the_documented_pattern(sagemaker, iam_domain):
    # UserProfileName: pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}, at most 63 characters.
    for bad_name in ["under_score", "-leading-hyphen", "trailing-", "a" * 64]:
        with aws_error("ValidationException"):
            sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName=bad_name)
    sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName="a--b9")


def test_user_profile_in_a_missing_domain_is_resource_not_found(sagemaker):
    with aws_error("ResourceNotFound"):
        sagemaker.create_user_profile(DomainId="d-000000000000", UserProfileName="alice")


def test_missing_user_profile_is_resource_not_found(sagemaker, iam_domain):
    with aws_error("ResourceNotFound"):
        sagemaker.describe_user_profile(DomainId=iam_domain, UserProfileName="nobody")
    with aws_error("ResourceNotFound"):
        sagemaker.update_user_profile(DomainId=iam_domain, UserProfileName="nobody", UserSettings={})
    with aws_error("ResourceNotFound"):
        sagemaker.delete_user_profile(DomainId=iam_domain, UserProfileName="nobody")


def test_duplicate_user_profile_is_resource_in_use(sagemaker, profile):
    domain_id, name = profile
    with aws_error("ResourceInUse"):
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name)
    # "This value is not case sensitive."
    with aws_error("ResourceInUse"):
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName=name.upper())


def test_user_profile_is_pending_then_in_service(sagemaker, iam_domain):
    sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName="shown")
    assert sagemaker.describe_user_profile(DomainId=iam_domain, UserProfileName="shown")["Status"] == "Pending"
    assert sagemaker.describe_user_profile(DomainId=iam_domain, UserProfileName="shown")["Status"] == "InService"

    sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName="waited")
    time.sleep(1.1)
    assert sagemaker.describe_user_profile(DomainId=iam_domain, UserProfileName="waited")["Status"] == "InService"


def test_deleted_user_profile_is_deleting_then_gone(sagemaker, profile):
    domain_id, name = profile
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=name)
    assert sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)["Status"] == "Deleting"
    wait_until_gone(lambda: sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name))
    assert sagemaker.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"] == []


def test_sso_domain_needs_user_name_identifier_and_a_directory_user(sagemaker, sso_domain, identity_store):
    # "If the Domain's AuthMode is IAM Identity Center, this field is required" (both fields);
    # the identifier "Currently, the only supported value is UserName"; the value "must match a
    # valid username of a user in your directory".
    store, store_id = identity_store
    store.create_user(
        IdentityStoreId=store_id, UserName="carol", DisplayName="Carol", Name={"GivenName": "C", "FamilyName": "D"}
    )
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(DomainId=sso_domain, UserProfileName="carol")
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(
            DomainId=sso_domain, UserProfileName="carol", SingleSignOnUserIdentifier="UserName"
        )
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(
            DomainId=sso_domain,
            UserProfileName="carol",
            SingleSignOnUserIdentifier="Email",
            SingleSignOnUserValue="carol",
        )
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(
            DomainId=sso_domain,
            UserProfileName="carol",
            SingleSignOnUserIdentifier="UserName",
            SingleSignOnUserValue="stranger",
        )

    sagemaker.create_user_profile(
        DomainId=sso_domain,
        UserProfileName="carol",
        SingleSignOnUserIdentifier="UserName",
        SingleSignOnUserValue="carol",
    )
    described = sagemaker.describe_user_profile(DomainId=sso_domain, UserProfileName="carol")
    assert (described["SingleSignOnUserIdentifier"], described["SingleSignOnUserValue"]) == ("UserName", "carol")


def test_iam_domain_rejects_single_sign_on_fields(sagemaker, iam_domain):
    # "If the Domain's AuthMode is not IAM Identity Center, this field cannot be specified."
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(
            DomainId=iam_domain, UserProfileName="dave", SingleSignOnUserIdentifier="UserName"
        )
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName="dave", SingleSignOnUserValue="dave")


def test_user_profile_keeps_execution_role_and_tags_under_its_arn(sagemaker, iam_domain):
    arn = sagemaker.create_user_profile(
        DomainId=iam_domain,
        UserProfileName="erin",
        UserSettings={"ExecutionRole": ROLE_ARN},
        Tags=[{"Key": "team", "Value": "ml"}],
    )["UserProfileArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:user-profile/{iam_domain}/erin"
    described = sagemaker.describe_user_profile(DomainId=iam_domain, UserProfileName="erin")
    assert described["UserProfileArn"] == arn
    assert described["UserSettings"]["ExecutionRole"] == ROLE_ARN
    assert described["HomeEfsFileSystemUid"].isdigit()
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]


def test_update_user_profile_changes_its_settings(sagemaker, profile):
    domain_id, name = profile
    other_role = f"arn:aws:iam::{ACCOUNT_ID}:role/other"
    before = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)
    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName=name, UserSettings={"ExecutionRole": other_role})
    after = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)
    assert after["Status"] == "Updating"
    assert after["UserSettings"]["ExecutionRole"] == other_role
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)["Status"] == "InService"


def test_list_user_profiles_filters_and_pages(sagemaker, iam_domain, sso_domain):
    for name in ["lp-one", "lp-two", "lp-three", "other"]:
        sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName=name)
    listed = sagemaker.list_user_profiles(DomainIdEquals=iam_domain, UserProfileNameContains="lp")["UserProfiles"]
    assert [p["UserProfileName"] for p in listed] == ["lp-one", "lp-two", "lp-three"]
    assert set(listed[0]) == {"DomainId", "UserProfileName", "Status", "CreationTime", "LastModifiedTime"}
    assert sagemaker.list_user_profiles(DomainIdEquals=sso_domain)["UserProfiles"] == []

    first = sagemaker.list_user_profiles(DomainIdEquals=iam_domain, MaxResults=3)
    second = sagemaker.list_user_profiles(DomainIdEquals=iam_domain, MaxResults=3, NextToken=first["NextToken"])
    assert [p["UserProfileName"] for p in first["UserProfiles"] + second["UserProfiles"]] == [
        "lp-one",
        "lp-two",
        "lp-three",
        "other",
    ]
    assert "NextToken" not in second
    newest_first = sagemaker.list_user_profiles(DomainIdEquals=iam_domain, SortOrder="Descending")["UserProfiles"]
    assert newest_first[0]["UserProfileName"] == "other"


def test_last_modified_time_moves_only_on_update(sagemaker, profile):
    # LastModifiedTime is the CreationTime until UpdateUserProfile; tagging and the status settling
    # are no modification of the profile.
    domain_id, name = profile

    def times():
        described = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)
        (listed,) = sagemaker.list_user_profiles(DomainIdEquals=domain_id)["UserProfiles"]
        assert (listed["CreationTime"], listed["LastModifiedTime"]) == (
            described["CreationTime"],
            described["LastModifiedTime"],
        )
        return described["Status"], described["CreationTime"], described["LastModifiedTime"]

    status, created, modified = times()
    assert (status, modified) == ("Pending", created)
    arn = sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=name)["UserProfileArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
    assert times() == ("InService", created, created)

    sagemaker.update_user_profile(DomainId=domain_id, UserProfileName=name, UserSettings={"ExecutionRole": ROLE_ARN})
    status, _, updated = times()
    assert status == "Updating" and updated > created
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert times() == ("InService", created, updated)
