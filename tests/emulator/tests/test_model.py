"""The operations the Rust code calls that other tests do not, answered as the AWS model says
(conftest's check_answer holds every answer to its output shape), and requests breaking the model
refused as AWS refuses them, also for operations moto itself answers."""

import json

from helpers import ACCOUNT_ID, aws_error

DOMAIN_ID_PATTERN = r"d-[0-9a-f]{10}"


def test_identity_store_lookups_and_memberships(identity_store):
    import re

    store, store_id = identity_store
    assert re.fullmatch(DOMAIN_ID_PATTERN, store_id), store_id
    user = store.create_user(
        IdentityStoreId=store_id, UserName="model-user", DisplayName="M U", Name={"GivenName": "M", "FamilyName": "U"}
    )
    group = store.create_group(IdentityStoreId=store_id, DisplayName="model-group")
    assert user["UserArn"] == f"arn:aws:identitystore:::user/{user['UserId']}"
    assert group["GroupArn"] == f"arn:aws:identitystore:::group/{group['GroupId']}"
    assert user["Revision"] == group["Revision"] == "1"
    membership = store.create_group_membership(
        IdentityStoreId=store_id, GroupId=group["GroupId"], MemberId={"UserId": user["UserId"]}
    )
    assert membership["MembershipArn"].endswith(f"membership/{membership['MembershipId']}")
    found = store.get_group_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "displayName", "AttributeValue": "model-group"}},
    )
    assert found["GroupArn"] == group["GroupArn"]
    found = store.get_user_id(
        IdentityStoreId=store_id,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "model-user"}},
    )
    assert found["UserArn"] == user["UserArn"]
    memberships = store.list_group_memberships(IdentityStoreId=store_id, GroupId=group["GroupId"])
    assert [m["MembershipArn"] for m in memberships["GroupMemberships"]] == [membership["MembershipArn"]]
    assert any(g["GroupId"] == group["GroupId"] for g in store.list_groups(IdentityStoreId=store_id)["Groups"])
    store.update_user(
        IdentityStoreId=store_id,
        UserId=user["UserId"],
        Operations=[{"AttributePath": "displayName", "AttributeValue": "Renamed"}],
    )
    assert store.describe_user(IdentityStoreId=store_id, UserId=user["UserId"])["Revision"] == "2"
    store.delete_group_membership(IdentityStoreId=store_id, MembershipId=membership["MembershipId"])
    store.delete_group(IdentityStoreId=store_id, GroupId=group["GroupId"])
    store.delete_user(IdentityStoreId=store_id, UserId=user["UserId"])


def test_permission_set_life_cycle(sso_admin):
    instance = sso_admin.list_instances()["Instances"][0]["InstanceArn"]
    created = sso_admin.create_permission_set(InstanceArn=instance, Name="model-set")["PermissionSet"]
    assert created["SessionDuration"] == "PT1H"
    arn = created["PermissionSetArn"]
    assert arn in sso_admin.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    sso_admin.update_permission_set(InstanceArn=instance, PermissionSetArn=arn, Description="model", SessionDuration="PT2H")
    described = sso_admin.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]
    assert (described["Description"], described["SessionDuration"]) == ("model", "PT2H")
    sso_admin.update_permission_set(InstanceArn=instance, PermissionSetArn=arn, Description="only this")
    described = sso_admin.describe_permission_set(InstanceArn=instance, PermissionSetArn=arn)["PermissionSet"]
    assert (described["Description"], described["SessionDuration"]) == ("only this", "PT2H")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]})
    sso_admin.put_inline_policy_to_permission_set(InstanceArn=instance, PermissionSetArn=arn, InlinePolicy=policy)
    got = sso_admin.get_inline_policy_for_permission_set(InstanceArn=instance, PermissionSetArn=arn)
    assert json.loads(got["InlinePolicy"]) == json.loads(policy)
    sso_admin.delete_inline_policy_from_permission_set(InstanceArn=instance, PermissionSetArn=arn)
    sso_admin.delete_permission_set(InstanceArn=instance, PermissionSetArn=arn)


def test_sagemaker_deletes_answer_as_modelled(sagemaker, profile):
    domain_id, owner = profile
    key = {"DomainId": domain_id, "UserProfileName": owner, "AppType": "JupyterLab", "AppName": "default"}
    sagemaker.create_app(**key)
    sagemaker.delete_app(**key)
    sagemaker.create_space(DomainId=domain_id, SpaceName="model-space")
    sagemaker.delete_space(DomainId=domain_id, SpaceName="model-space")


def test_requests_breaking_the_model_are_refused_also_where_moto_answers(sso_admin, identity_store, sagemaker):
    instance = sso_admin.list_instances()["Instances"][0]["InstanceArn"]
    with aws_error("ValidationException") as error:  # moto's CreatePermissionSet: Name is 1-32 of [\w+=,.@-]
        sso_admin.create_permission_set(InstanceArn=instance, Name="no spaces allowed here")
    assert "failed to satisfy constraint" in str(error.value)
    with aws_error("ValidationException"):  # InstanceArn pattern
        sso_admin.list_permission_sets(InstanceArn="arn:aws:sso:::instance/nope")
    store, _ = identity_store
    with aws_error("ValidationException"):  # IdentityStoreId pattern
        store.list_users(IdentityStoreId="not-a-store")
    with aws_error("ValidationException"):  # moto's ListDomains: MaxResults 1-100
        sagemaker.list_domains(MaxResults=1000)
    with aws_error("ValidationException"):  # a required member missing
        sso_admin.create_account_assignment(InstanceArn=instance, TargetId=ACCOUNT_ID)
