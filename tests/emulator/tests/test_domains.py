"""SageMaker domains as AWS shapes them, and the error format of AWS's JSON protocol."""

import json
import re
import urllib.error
import urllib.request

from helpers import ACCOUNT_ID, REGION, ROLE_ARN, aws_error


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
