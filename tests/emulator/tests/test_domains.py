"""SageMaker domains as AWS shapes them, and the error format of AWS's JSON protocol."""

import json
import re
import urllib.error
import urllib.request

from helpers import ACCOUNT_ID, REGION, ROLE_ARN, VPC_ID, aws_error, wait_for_status


def test_domain_id_is_d_and_12_lowercase_alphanumerics(sagemaker, iam_domain):
    assert re.fullmatch(r"d-[a-z0-9]{12}", iam_domain)
    described = sagemaker.describe_domain(DomainId=iam_domain)
    assert described["DomainArn"] == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:domain/{iam_domain}"
    assert described["Url"] == f"https://{iam_domain}.studio.{REGION}.sagemaker.aws"


def test_only_sso_domains_have_a_single_sign_on_application(sagemaker, iam_domain, sso_domain):
    arn = sagemaker.describe_domain(DomainId=sso_domain)["SingleSignOnApplicationArn"]
    assert re.fullmatch(rf"arn:aws:sso::{ACCOUNT_ID}:application/ssoins-[a-z0-9]{{16}}/apl-[a-z0-9]{{16}}", arn)
    assert "SingleSignOnApplicationArn" not in sagemaker.describe_domain(DomainId=iam_domain)


def test_sso_application_is_visible_to_sso_admin(sagemaker, sso_admin, sso_domain):
    arn = sagemaker.describe_domain(DomainId=sso_domain)["SingleSignOnApplicationArn"]
    instance_arn = sso_admin.list_instances()["Instances"][0]["InstanceArn"]
    application = sso_admin.describe_application(ApplicationArn=arn)
    assert (application["InstanceArn"], application["Status"]) == (instance_arn, "ENABLED")
    listed = sso_admin.list_applications(InstanceArn=instance_arn)["Applications"]
    assert arn in [a["ApplicationArn"] for a in listed]


def test_domain_has_a_home_efs_file_system(sagemaker, iam_domain):
    assert re.fullmatch(r"fs-[0-9a-f]{17}", sagemaker.describe_domain(DomainId=iam_domain)["HomeEfsFileSystemId"])


def test_new_domain_is_pending_then_in_service(sagemaker, iam_domain):
    # CreateDomain is asynchronous: the domain is Pending until it is ready.
    assert sagemaker.describe_domain(DomainId=iam_domain)["Status"] == "Pending"
    assert sagemaker.describe_domain(DomainId=iam_domain)["Status"] == "InService"
    described = sagemaker.describe_domain(DomainId=iam_domain)
    assert described["LastModifiedTime"] == described["CreationTime"]


def test_list_domains_reports_the_current_status(sagemaker, iam_domain):
    def listed():
        return next(d for d in sagemaker.list_domains()["Domains"] if d["DomainId"] == iam_domain)

    summary = listed()
    assert set(summary) == {"DomainArn", "DomainId", "DomainName", "Status", "CreationTime", "LastModifiedTime", "Url"}
    assert summary["Status"] == "Pending"
    assert listed()["Status"] == "InService"
    sagemaker.update_domain(DomainId=iam_domain, AppNetworkAccessType="PublicInternetOnly")
    assert listed()["Status"] == "Updating"
    assert listed()["Status"] == "InService"


def test_update_domain_merges_settings_and_replaces_the_rest(sagemaker, iam_domain):
    other_role = f"arn:aws:iam::{ACCOUNT_ID}:role/other"
    sagemaker.update_domain(DomainId=iam_domain, DefaultUserSettings={"SecurityGroups": ["sg-0123456789abcdef0"]})
    arn = sagemaker.update_domain(
        DomainId=iam_domain,
        DefaultUserSettings={"ExecutionRole": other_role},
        DomainSettingsForUpdate={
            "SecurityGroupIds": ["sg-0fedcba9876543210"],
            "RStudioServerProDomainSettingsForUpdate": {"DomainExecutionRoleArn": ROLE_ARN},
        },
        DefaultSpaceSettings={"ExecutionRole": ROLE_ARN},
        SubnetIds=["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        VpcId=VPC_ID,
        AppNetworkAccessType="VpcOnly",
        AppSecurityGroupManagement="Service",
    )["DomainArn"]
    assert arn == f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:domain/{iam_domain}"
    described = sagemaker.describe_domain(DomainId=iam_domain)
    assert described["DefaultUserSettings"] == {"ExecutionRole": other_role, "SecurityGroups": ["sg-0123456789abcdef0"]}
    assert described["DomainSettings"] == {
        "SecurityGroupIds": ["sg-0fedcba9876543210"],
        "RStudioServerProDomainSettings": {"DomainExecutionRoleArn": ROLE_ARN},
    }
    assert described["DefaultSpaceSettings"] == {"ExecutionRole": ROLE_ARN}
    assert described["SubnetIds"] == ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"]
    assert (described["AppNetworkAccessType"], described["AppSecurityGroupManagement"]) == ("VpcOnly", "Service")
    # Members left out keep their values.
    sagemaker.update_domain(DomainId=iam_domain)
    assert sagemaker.describe_domain(DomainId=iam_domain)["AppNetworkAccessType"] == "VpcOnly"


def test_updated_domain_is_updating_then_in_service_and_modified(sagemaker, iam_domain):
    before = sagemaker.describe_domain(DomainId=iam_domain)
    sagemaker.update_domain(DomainId=iam_domain, DefaultUserSettings={"ExecutionRole": ROLE_ARN})
    after = sagemaker.describe_domain(DomainId=iam_domain)
    assert after["Status"] == "Updating"
    assert after["LastModifiedTime"] > before["LastModifiedTime"]
    assert after["CreationTime"] == before["CreationTime"]
    assert sagemaker.describe_domain(DomainId=iam_domain)["Status"] == "InService"


def test_update_of_a_missing_domain_is_resource_not_found(sagemaker):
    with aws_error("ResourceNotFound"):
        sagemaker.update_domain(DomainId="d-000000000000", DefaultUserSettings={"ExecutionRole": ROLE_ARN})
    with aws_error("ValidationException"):  # DomainId: pattern d-(-*[a-z0-9]){1,61}
        sagemaker.update_domain(DomainId="not-a-domain")


def test_network_access_and_subnet_removal_wait_for_the_apps_to_go(sagemaker, profile):
    # AppNetworkAccessType "can only be modified if there are no apps in the InService, Pending, or
    # Deleting state"; the same holds for removing subnets.
    domain_id, owner = profile
    key = {"DomainId": domain_id, "UserProfileName": owner, "AppType": "JupyterServer", "AppName": "default"}
    sagemaker.create_app(**key)
    with aws_error("ResourceInUse"):
        sagemaker.update_domain(
            DomainId=domain_id, AppNetworkAccessType="VpcOnly", VpcId=VPC_ID, SubnetIds=["subnet-0123456789abcdef0"]
        )
    with aws_error("ResourceInUse"):
        sagemaker.update_domain(DomainId=domain_id, SubnetIds=["subnet-0fedcba9876543210"])
    # Adding a subnet, or naming the current access type, is no change to either.
    sagemaker.update_domain(
        DomainId=domain_id,
        SubnetIds=["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        AppNetworkAccessType="PublicInternetOnly",
    )
    sagemaker.delete_app(**key)
    wait_for_status(lambda: sagemaker.describe_app(**key), "Deleted")
    sagemaker.update_domain(
        DomainId=domain_id, AppNetworkAccessType="VpcOnly", VpcId=VPC_ID, SubnetIds=["subnet-0fedcba9876543210"]
    )


def test_domain_tags_by_arn(sagemaker):
    # AddTags "adds or overwrites" tags, here those given at CreateDomain; tagging a domain that
    # does not exist fails.
    arn = sagemaker.create_domain(
        DomainName="tagged-domain",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE_ARN},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
        Tags=[{"Key": "team", "Value": "ml"}, {"Key": "stage", "Value": "dev"}],
    )["DomainArn"]
    sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "prod"}])
    sagemaker.delete_tags(ResourceArn=arn, TagKeys=["team"])
    assert sagemaker.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "stage", "Value": "prod"}]
    sagemaker.delete_domain(DomainId=arn.rsplit("/", 1)[-1])
    with aws_error("ValidationException"):
        sagemaker.list_tags(ResourceArn=arn)
    with aws_error("ValidationException"):
        sagemaker.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "prod"}])


def test_deleted_domain_is_gone_and_its_efs_retained_or_deleted(sagemaker, endpoint, iam_domain, sso_domain):
    # RetentionPolicy.HomeEfsFileSystem: "The default is Retain"; Delete deletes the volume.
    file_systems = {d: sagemaker.describe_domain(DomainId=d)["HomeEfsFileSystemId"] for d in (iam_domain, sso_domain)}
    sagemaker.delete_domain(DomainId=iam_domain)
    sagemaker.delete_domain(DomainId=sso_domain, RetentionPolicy={"HomeEfsFileSystem": "Delete"})
    for domain_id in (iam_domain, sso_domain):
        with aws_error("ResourceNotFound"):
            sagemaker.describe_domain(DomainId=domain_id)
        with aws_error("ResourceNotFound"):
            sagemaker.delete_domain(DomainId=domain_id)
    with urllib.request.urlopen(f"{endpoint}/_studio/efs") as response:
        states = {fs["file_system_id"]: fs["state"] for fs in json.load(response)["file_systems"]}
    assert states[file_systems[iam_domain]] == "retained"
    assert states[file_systems[sso_domain]] == "deleted"


def test_errors_use_the_aws_json_1_1_error_shape(endpoint):
    request = urllib.request.Request(
        endpoint,
        data=json.dumps({"DomainId": "d-000000000000"}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "SageMaker.DescribeDomain",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/sagemaker/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        urllib.request.urlopen(request)
        raise AssertionError("expected an error")
    except urllib.error.HTTPError as error:
        assert error.code == 400
        body = json.load(error)
    assert body["__type"] == "ResourceNotFound"
    assert "d-000000000000" in body["Message"]


def test_update_to_vpc_only_needs_the_vpc_and_its_subnets(sagemaker, iam_domain):
    # UpdateDomain's VpcId is "required when the AppNetworkAccessType is set to VpcOnly"; AWS answers
    # "VpcId and Subnet IDs are required for updating domains to VpcOnly mode" without them.
    for missing in ({"SubnetIds": ["subnet-0123456789abcdef0"]}, {"VpcId": VPC_ID}, {}):
        with aws_error("ValidationException") as error:
            sagemaker.update_domain(DomainId=iam_domain, AppNetworkAccessType="VpcOnly", **missing)
        assert "VpcId and Subnet IDs are required" in str(error.value)
    with aws_error("ValidationException"):  # the VPC cannot change
        sagemaker.update_domain(
            DomainId=iam_domain,
            AppNetworkAccessType="VpcOnly",
            VpcId="vpc-0fedcba9876543210",
            SubnetIds=["subnet-0123456789abcdef0"],
        )
    sagemaker.update_domain(
        DomainId=iam_domain, AppNetworkAccessType="VpcOnly", VpcId=VPC_ID, SubnetIds=["subnet-0123456789abcdef0"]
    )
    assert sagemaker.describe_domain(DomainId=iam_domain)["AppNetworkAccessType"] == "VpcOnly"
