"""SageMaker spaces and apps, and the teardown order AWS enforces between them, user profiles and
domains: an app goes before its space or user profile, a space before its owner, and user
profiles and spaces before their domain (ResourceInUse otherwise)."""

from helpers import ACCOUNT_ID, REGION, aws_error, wait_for_status, wait_until_gone


def private_space(sagemaker, domain_id, owner, name="notebooks"):
    return sagemaker.create_space(
        DomainId=domain_id,
        SpaceName=name,
        OwnershipSettings={"OwnerUserProfileName": owner},
        SpaceSharingSettings={"SharingType": "Private"},
        SpaceSettings={"AppType": "JupyterLab"},
    )["SpaceArn"]


def test_space_owner_must_exist(sagemaker, iam_domain):
    with aws_error("ResourceNotFound"):
        private_space(sagemaker, iam_domain, owner="nobody")
    with aws_error("ResourceNotFound"):
        private_space(sagemaker, "d-000000000000", owner="nobody")


def test_space_keeps_its_sharing_and_ownership_settings(sagemaker, profile):
    domain_id, owner = profile
    arn = private_space(sagemaker, domain_id, owner)
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:space/{domain_id}/notebooks"
    described = sagemaker.describe_space(DomainId=domain_id, SpaceName="notebooks")
    assert described["OwnershipSettings"] == {"OwnerUserProfileName": owner}
    assert described["SpaceSharingSettings"] == {"SharingType": "Private"}
    assert described["Status"] == "Pending"
    assert sagemaker.describe_space(DomainId=domain_id, SpaceName="notebooks")["Status"] == "InService"

    sagemaker.create_space(DomainId=domain_id, SpaceName="team", SpaceSharingSettings={"SharingType": "Shared"})
    listed = sagemaker.list_spaces(DomainIdEquals=domain_id, SpaceNameContains="team")["Spaces"]
    assert [(s["SpaceName"], s["SpaceSharingSettingsSummary"]["SharingType"]) for s in listed] == [("team", "Shared")]
    # SharingType: "Valid Values: Private | Shared"
    with aws_error("ValidationException"):
        sagemaker.create_space(DomainId=domain_id, SpaceName="odd", SpaceSharingSettings={"SharingType": "Public"})
    with aws_error("ResourceInUse"):
        private_space(sagemaker, domain_id, owner)


def test_apps_run_for_a_user_profile_or_a_space(sagemaker, profile):
    domain_id, owner = profile
    private_space(sagemaker, domain_id, owner)
    user_app = sagemaker.create_app(
        DomainId=domain_id,
        UserProfileName=owner,
        AppType="JupyterServer",
        AppName="default",
        ResourceSpec={"InstanceType": "system"},
    )["AppArn"]
    assert user_app == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:app/{domain_id}/{owner}/jupyterserver/default"
    sagemaker.create_app(
        DomainId=domain_id,
        SpaceName="notebooks",
        AppType="JupyterLab",
        AppName="default",
        ResourceSpec={"InstanceType": "ml.t3.medium"},
    )
    described = sagemaker.describe_app(
        DomainId=domain_id, SpaceName="notebooks", AppType="JupyterLab", AppName="default"
    )
    assert described["ResourceSpec"]["InstanceType"] == "ml.t3.medium"
    assert described["Status"] == "Pending"
    assert (
        sagemaker.list_apps(DomainIdEquals=domain_id, SpaceNameEquals="notebooks")["Apps"][0]["Status"] == "InService"
    )
    listed = sagemaker.list_apps(DomainIdEquals=domain_id, UserProfileNameEquals=owner)["Apps"]
    assert [(a["AppType"], a["AppName"]) for a in listed] == [("JupyterServer", "default")]
    with aws_error("ResourceInUse"):
        sagemaker.create_app(DomainId=domain_id, UserProfileName=owner, AppType="JupyterServer", AppName="default")
    # AppType: only the documented enum; ResourceSpec.InstanceType likewise.
    with aws_error("ValidationException"):
        sagemaker.create_app(DomainId=domain_id, UserProfileName=owner, AppType="Notebook", AppName="x")
    with aws_error("ValidationException"):
        sagemaker.create_app(
            DomainId=domain_id,
            UserProfileName=owner,
            AppType="KernelGateway",
            AppName="x",
            ResourceSpec={"InstanceType": "m5.huge"},
        )


def test_app_needs_exactly_one_existing_owner(sagemaker, profile):
    # "If this value is not set, then SpaceName must be set." (and conversely)
    domain_id, owner = profile
    private_space(sagemaker, domain_id, owner)
    with aws_error("ValidationException"):
        sagemaker.create_app(DomainId=domain_id, AppType="JupyterLab", AppName="default")
    with aws_error("ValidationException"):
        sagemaker.create_app(
            DomainId=domain_id, UserProfileName=owner, SpaceName="notebooks", AppType="JupyterLab", AppName="default"
        )
    with aws_error("ResourceNotFound"):
        sagemaker.create_app(DomainId=domain_id, UserProfileName="nobody", AppType="JupyterServer", AppName="default")
    with aws_error("ResourceNotFound"):
        sagemaker.describe_app(DomainId=domain_id, UserProfileName=owner, AppType="JupyterServer", AppName="none")


def test_deleted_app_stays_listed_as_deleted(sagemaker, profile):
    domain_id, owner = profile
    key = {"DomainId": domain_id, "UserProfileName": owner, "AppType": "JupyterServer", "AppName": "default"}
    sagemaker.create_app(**key)
    sagemaker.delete_app(**key)
    assert sagemaker.describe_app(**key)["Status"] == "Deleting"
    wait_for_status(lambda: sagemaker.describe_app(**key), "Deleted")
    assert [a["Status"] for a in sagemaker.list_apps(DomainIdEquals=domain_id)["Apps"]] == ["Deleted"]
    sagemaker.create_app(**key)  # the name can be used again
    assert sagemaker.describe_app(**key)["Status"] in ("Pending", "InService")


def test_space_cannot_be_deleted_while_it_has_apps(sagemaker, profile):
    domain_id, owner = profile
    private_space(sagemaker, domain_id, owner)
    key = {"DomainId": domain_id, "SpaceName": "notebooks", "AppType": "JupyterLab", "AppName": "default"}
    sagemaker.create_app(**key)
    with aws_error("ResourceInUse"):
        sagemaker.delete_space(DomainId=domain_id, SpaceName="notebooks")
    sagemaker.delete_app(**key)
    with aws_error("ResourceInUse"):  # the app is still Deleting
        sagemaker.delete_space(DomainId=domain_id, SpaceName="notebooks")
    wait_for_status(lambda: sagemaker.describe_app(**key), "Deleted")
    sagemaker.delete_space(DomainId=domain_id, SpaceName="notebooks")
    wait_until_gone(lambda: sagemaker.describe_space(DomainId=domain_id, SpaceName="notebooks"))


def test_user_profile_cannot_be_deleted_while_it_has_apps_or_spaces(sagemaker, profile):
    domain_id, owner = profile
    key = {"DomainId": domain_id, "UserProfileName": owner, "AppType": "JupyterServer", "AppName": "default"}
    sagemaker.create_app(**key)
    private_space(sagemaker, domain_id, owner)
    with aws_error("ResourceInUse"):
        sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)
    sagemaker.delete_app(**key)
    wait_for_status(lambda: sagemaker.describe_app(**key), "Deleted")
    with aws_error("ResourceInUse"):  # the space is still there
        sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)
    sagemaker.delete_space(DomainId=domain_id, SpaceName="notebooks")
    wait_until_gone(lambda: sagemaker.describe_space(DomainId=domain_id, SpaceName="notebooks"))
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)


def test_domain_cannot_be_deleted_while_it_has_user_profiles_or_spaces(sagemaker, profile):
    domain_id, owner = profile
    sagemaker.create_space(DomainId=domain_id, SpaceName="team", SpaceSharingSettings={"SharingType": "Shared"})
    with aws_error("ResourceInUse"):
        sagemaker.delete_domain(DomainId=domain_id)
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)
    wait_until_gone(lambda: sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=owner))
    with aws_error("ResourceInUse"):
        sagemaker.delete_domain(DomainId=domain_id)
    sagemaker.delete_space(DomainId=domain_id, SpaceName="team")
    wait_until_gone(lambda: sagemaker.describe_space(DomainId=domain_id, SpaceName="team"))
    sagemaker.delete_domain(DomainId=domain_id)


def test_app_takes_the_tags_of_its_domain_and_user_profile(sagemaker, iam_domain):
    # "Tags that you specify for the Domain/User Profile are also added to all Apps that the
    # Domain/User Profile launches."
    domain_arn = sagemaker.describe_domain(DomainId=iam_domain)["DomainArn"]
    sagemaker.add_tags(
        ResourceArn=domain_arn, Tags=[{"Key": "cost-center", "Value": "42"}, {"Key": "owner", "Value": "domain"}]
    )
    sagemaker.create_user_profile(
        DomainId=iam_domain, UserProfileName="frank", Tags=[{"Key": "owner", "Value": "frank"}]
    )
    app_arn = sagemaker.create_app(
        DomainId=iam_domain,
        UserProfileName="frank",
        AppType="JupyterServer",
        AppName="default",
        Tags=[{"Key": "app", "Value": "yes"}],
    )["AppArn"]
    tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=app_arn)["Tags"]}
    assert tags == {"cost-center": "42", "owner": "frank", "app": "yes"}


def test_tags_by_arn_for_domains_user_profiles_and_spaces(sagemaker, profile):
    # AddTags "adds or overwrites" tags; DeleteTags removes them by key.
    domain_id, owner = profile
    arns = [
        sagemaker.describe_domain(DomainId=domain_id)["DomainArn"],
        sagemaker.describe_user_profile(DomainId=domain_id, UserProfileName=owner)["UserProfileArn"],
        private_space(sagemaker, domain_id, owner),
    ]
    for arn in arns:
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "a", "Value": "3"}])
        sagemaker.delete_tags(ResourceArn=arn, TagKeys=["b"])
        assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "a", "Value": "3"}], arn
