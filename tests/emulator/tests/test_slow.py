"""AWS's asynchronous and eventually consistent behaviours, with their delays set per test."""

import json
import time
import urllib.error
import urllib.request
import uuid

import pytest
from helpers import ACCOUNT_ID, VPC_ID, aws_error, wait_for_status

PERMISSION_SET_ARN = r"arn:aws:sso:::permissionSet/ssoins-[a-zA-Z0-9-.]{16}/ps-[a-f0-9]{16}"


@pytest.fixture
def instance_arn(sso_admin):
    return sso_admin.list_instances()["Instances"][0]["InstanceArn"]


@pytest.fixture
def permission_set(sso_admin, instance_arn):
    return sso_admin.create_permission_set(InstanceArn=instance_arn, Name=f"ps-{uuid.uuid4().hex[:8]}")[
        "PermissionSet"
    ]["PermissionSetArn"]


@pytest.fixture
def group(identity_store):
    store, store_id = identity_store
    return store.create_group(IdentityStoreId=store_id, DisplayName=f"g-{uuid.uuid4().hex[:8]}")["GroupId"]


def assignment(instance_arn, permission_set, group) -> dict:
    return {
        "InstanceArn": instance_arn,
        "TargetId": ACCOUNT_ID,
        "TargetType": "AWS_ACCOUNT",
        "PermissionSetArn": permission_set,
        "PrincipalType": "GROUP",
        "PrincipalId": group,
    }


def assigned(sso_admin, instance_arn, permission_set) -> list[str]:
    listed = sso_admin.list_account_assignments(
        InstanceArn=instance_arn, AccountId=ACCOUNT_ID, PermissionSetArn=permission_set
    )["AccountAssignments"]
    return [a["PrincipalId"] for a in listed]


def test_permission_set_arns_have_the_aws_form(permission_set):
    import re

    assert re.fullmatch(PERMISSION_SET_ARN, permission_set), permission_set


def test_delays_can_be_read_and_set(endpoint, set_delays):
    assert set_delays(identity_center=0.5)["identity_center"] == 0.5
    with urllib.request.urlopen(f"{endpoint}/_studio/delays") as response:
        assert json.load(response)["identity_center"] == 0.5
    for bad in ({"nonsense": 1}, {"app_deletion": -1}, {"app_deletion": "soon"}):
        request = urllib.request.Request(f"{endpoint}/_studio/delays", data=json.dumps(bad).encode(), method="POST")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request)
        assert error.value.code == 400


def test_account_assignment_is_in_progress_then_succeeds(sso_admin, instance_arn, permission_set, group, set_delays):
    set_delays(identity_center=0.5)
    status = sso_admin.create_account_assignment(**assignment(instance_arn, permission_set, group))[
        "AccountAssignmentCreationStatus"
    ]
    assert status["Status"] == "IN_PROGRESS"
    assert "FailureReason" not in status
    assert assigned(sso_admin, instance_arn, permission_set) == []  # not yet

    def describe():
        return sso_admin.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=status["RequestId"]
        )["AccountAssignmentCreationStatus"]

    assert describe()["Status"] == "IN_PROGRESS"  # describing does not hurry it
    done = wait_for_status(describe, "SUCCEEDED")
    assert (done["PrincipalId"], done["PermissionSetArn"]) == (group, permission_set)
    assert assigned(sso_admin, instance_arn, permission_set) == [group]

    deletion = sso_admin.delete_account_assignment(**assignment(instance_arn, permission_set, group))[
        "AccountAssignmentDeletionStatus"
    ]
    assert deletion["Status"] == "IN_PROGRESS"
    assert assigned(sso_admin, instance_arn, permission_set) == [group]
    wait_for_status(
        lambda: sso_admin.describe_account_assignment_deletion_status(
            InstanceArn=instance_arn, AccountAssignmentDeletionRequestId=deletion["RequestId"]
        )["AccountAssignmentDeletionStatus"],
        "SUCCEEDED",
    )
    assert assigned(sso_admin, instance_arn, permission_set) == []


def test_assigning_a_principal_that_does_not_exist_fails_with_a_reason(sso_admin, instance_arn, permission_set):
    missing = str(uuid.uuid4())
    status = sso_admin.create_account_assignment(**assignment(instance_arn, permission_set, missing))[
        "AccountAssignmentCreationStatus"
    ]
    failed = wait_for_status(
        lambda: sso_admin.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId=status["RequestId"]
        )["AccountAssignmentCreationStatus"],
        "FAILED",
    )
    assert missing in failed["FailureReason"]
    assert assigned(sso_admin, instance_arn, permission_set) == []


def test_a_second_write_on_a_permission_set_in_flight_is_a_conflict(
    sso_admin, instance_arn, permission_set, group, set_delays
):
    set_delays(identity_center=1.0)
    provisioning = sso_admin.provision_permission_set(
        InstanceArn=instance_arn, PermissionSetArn=permission_set, TargetType="ALL_PROVISIONED_ACCOUNTS"
    )["PermissionSetProvisioningStatus"]
    assert provisioning["Status"] == "IN_PROGRESS"
    with aws_error("ConflictException"):
        sso_admin.create_account_assignment(**assignment(instance_arn, permission_set, group))
    with aws_error("ConflictException"):
        sso_admin.put_inline_policy_to_permission_set(
            InstanceArn=instance_arn, PermissionSetArn=permission_set, InlinePolicy='{"Version":"2012-10-17"}'
        )
    with aws_error("ConflictException"):
        sso_admin.update_permission_set(InstanceArn=instance_arn, PermissionSetArn=permission_set, Description="x")
    wait_for_status(
        lambda: sso_admin.describe_permission_set_provisioning_status(
            InstanceArn=instance_arn, ProvisionPermissionSetRequestId=provisioning["RequestId"]
        )["PermissionSetProvisioningStatus"],
        "SUCCEEDED",
    )
    sso_admin.create_account_assignment(**assignment(instance_arn, permission_set, group))


def test_unknown_request_ids_are_not_found(sso_admin, instance_arn):
    with aws_error("ResourceNotFoundException"):
        sso_admin.describe_permission_set_provisioning_status(
            InstanceArn=instance_arn, ProvisionPermissionSetRequestId=str(uuid.uuid4())
        )
    with aws_error("ValidationException"):  # RequestId: fixed length 36
        sso_admin.describe_account_assignment_creation_status(
            InstanceArn=instance_arn, AccountAssignmentCreationRequestId="not-a-request"
        )


def test_a_role_created_a_moment_ago_is_not_yet_usable_by_sagemaker(client, sagemaker, set_delays):
    set_delays(role_propagation=1.0)
    role = client("iam").create_role(
        RoleName=f"fresh-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )["Role"]["Arn"]
    domain = {
        "DomainName": "fresh-role",
        "AuthMode": "IAM",
        "DefaultUserSettings": {"ExecutionRole": role},
        "SubnetIds": ["subnet-0123456789abcdef0"],
        "VpcId": VPC_ID,
    }
    with aws_error("ValidationException") as error:
        sagemaker.create_domain(**domain)
    assert role in str(error.value)
    time.sleep(1.0)
    domain_id = sagemaker.create_domain(**domain)["DomainArn"].rsplit("/", 1)[-1]
    set_delays(role_propagation=60)  # the role is now a minute "young" again for profiles
    with aws_error("ValidationException"):
        sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="p", UserSettings={"ExecutionRole": role})
    set_delays(role_propagation=0)
    sagemaker.create_user_profile(DomainId=domain_id, UserProfileName="p", UserSettings={"ExecutionRole": role})


def test_an_app_is_deleting_for_the_configured_time(sagemaker, profile, set_delays):
    set_delays(app_deletion=1.0)
    domain_id, owner = profile
    key = {"DomainId": domain_id, "UserProfileName": owner, "AppType": "JupyterLab", "AppName": "default"}
    sagemaker.create_app(**key)
    started = time.monotonic()
    sagemaker.delete_app(**key)
    for _ in range(3):  # being looked at does not hurry it
        assert sagemaker.describe_app(**key)["Status"] == "Deleting"
    with aws_error("ResourceInUse"):
        sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)
    wait_for_status(lambda: sagemaker.describe_app(**key), "Deleted")
    assert time.monotonic() - started >= 1.0
    sagemaker.delete_user_profile(DomainId=domain_id, UserProfileName=owner)
