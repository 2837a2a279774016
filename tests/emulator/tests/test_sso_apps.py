"""IAM Identity Center application assignments on the application of an SSO domain."""

import uuid

import pytest
from helpers import aws_error

MISSING_APPLICATION = "arn:aws:sso::123456789012:application/ssoins-0000000000000000/apl-0000000000000000"


@pytest.fixture
def application(sagemaker, sso_domain):
    return sagemaker.describe_domain(DomainId=sso_domain)["SingleSignOnApplicationArn"]


@pytest.fixture
def instance_arn(sso_admin):
    return sso_admin.list_instances()["Instances"][0]["InstanceArn"]


def test_users_and_groups_can_be_assigned_and_unassigned(sso_admin, application):
    user, group = str(uuid.uuid4()), str(uuid.uuid4())
    sso_admin.create_application_assignment(ApplicationArn=application, PrincipalType="USER", PrincipalId=user)
    sso_admin.create_application_assignment(ApplicationArn=application, PrincipalType="GROUP", PrincipalId=group)
    listed = sso_admin.list_application_assignments(ApplicationArn=application)["ApplicationAssignments"]
    assert listed == [
        {"ApplicationArn": application, "PrincipalType": "USER", "PrincipalId": user},
        {"ApplicationArn": application, "PrincipalType": "GROUP", "PrincipalId": group},
    ]
    described = sso_admin.describe_application_assignment(
        ApplicationArn=application, PrincipalType="USER", PrincipalId=user
    )
    assert (described["PrincipalType"], described["PrincipalId"]) == ("USER", user)

    sso_admin.delete_application_assignment(ApplicationArn=application, PrincipalType="USER", PrincipalId=user)
    listed = sso_admin.list_application_assignments(ApplicationArn=application)["ApplicationAssignments"]
    assert [a["PrincipalId"] for a in listed] == [group]
    with aws_error("ResourceNotFoundException"):
        sso_admin.delete_application_assignment(ApplicationArn=application, PrincipalType="USER", PrincipalId=user)
    with aws_error("ResourceNotFoundException"):
        sso_admin.describe_application_assignment(ApplicationArn=application, PrincipalType="USER", PrincipalId=user)


def test_unknown_application_is_resource_not_found(sso_admin):
    principal = {"PrincipalType": "USER", "PrincipalId": str(uuid.uuid4())}
    with aws_error("ResourceNotFoundException"):
        sso_admin.describe_application(ApplicationArn=MISSING_APPLICATION)
    with aws_error("ResourceNotFoundException"):
        sso_admin.create_application_assignment(ApplicationArn=MISSING_APPLICATION, **principal)
    with aws_error("ResourceNotFoundException"):
        sso_admin.list_application_assignments(ApplicationArn=MISSING_APPLICATION)


def test_duplicate_assignment_is_a_conflict(sso_admin, application):
    principal = {"PrincipalType": "GROUP", "PrincipalId": str(uuid.uuid4())}
    sso_admin.create_application_assignment(ApplicationArn=application, **principal)
    with aws_error("ConflictException"):
        sso_admin.create_application_assignment(ApplicationArn=application, **principal)


def test_assignment_input_is_validated(sso_admin, application):
    # PrincipalType: USER | GROUP; PrincipalId: a GUID, optionally prefixed by 10 hex digits and '-'.
    with aws_error("ValidationException"):
        sso_admin.create_application_assignment(
            ApplicationArn=application, PrincipalType="ROLE", PrincipalId=str(uuid.uuid4())
        )
    with aws_error("ValidationException"):
        sso_admin.create_application_assignment(ApplicationArn=application, PrincipalType="USER", PrincipalId="alice")
    sso_admin.create_application_assignment(
        ApplicationArn=application, PrincipalType="USER", PrincipalId=f"0123456789-{uuid.uuid4()}"
    )


def test_assignments_for_a_principal_can_be_filtered_by_application(sagemaker, sso_admin, instance_arn, application):
    other_domain = sagemaker.create_domain(
        DomainName="second-sso", AuthMode="SSO", DefaultUserSettings={}, SubnetIds=["subnet-1"], VpcId="vpc-1"
    )["DomainArn"].rsplit("/", 1)[-1]
    other = sagemaker.describe_domain(DomainId=other_domain)["SingleSignOnApplicationArn"]
    user = str(uuid.uuid4())
    for arn in (application, other):
        sso_admin.create_application_assignment(ApplicationArn=arn, PrincipalType="USER", PrincipalId=user)
    query = {"InstanceArn": instance_arn, "PrincipalType": "USER", "PrincipalId": user}
    everything = sso_admin.list_application_assignments_for_principal(**query)["ApplicationAssignments"]
    assert {a["ApplicationArn"] for a in everything} == {application, other}
    filtered = sso_admin.list_application_assignments_for_principal(**query, Filter={"ApplicationArn": other})
    assert filtered["ApplicationAssignments"] == [
        {"ApplicationArn": other, "PrincipalType": "USER", "PrincipalId": user}
    ]
    as_group = sso_admin.list_application_assignments_for_principal(**{**query, "PrincipalType": "GROUP"})
    assert as_group["ApplicationAssignments"] == []


def test_deleting_the_domain_removes_its_application(sagemaker, sso_admin, sso_domain, application):
    sagemaker.delete_domain(DomainId=sso_domain)
    with aws_error("ResourceNotFoundException"):
        sso_admin.describe_application(ApplicationArn=application)
