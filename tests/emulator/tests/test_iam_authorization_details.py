"""IAM GetAccountAuthorizationDetails, as the IAM API reference documents it."""

import json
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import pytest
from helpers import ACCOUNT_ID, aws_error

LISTS = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
READ = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
WRITE = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}


@pytest.fixture(scope="module")
def iam(client):
    """IAM with role 'gaad-role' (path /studio/, tagged, an inline policy, a local and an AWS managed
    policy attached) and local policy 'gaad-policy' (two versions, the second the default)."""
    iam = client("iam")
    iam.create_role(
        RoleName="gaad-role",
        Path="/studio/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    iam.put_role_policy(RoleName="gaad-role", PolicyName="gaad-inline", PolicyDocument=json.dumps(READ))
    policy_arn = iam.create_policy(PolicyName="gaad-policy", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=json.dumps(WRITE), SetAsDefault=True)
    iam.attach_role_policy(RoleName="gaad-role", PolicyArn=policy_arn)
    iam.attach_role_policy(RoleName="gaad-role", PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")
    return iam


def all_pages(iam, **params) -> list[dict]:
    pages = [iam.get_account_authorization_details(**params)]
    while pages[-1]["IsTruncated"]:
        pages.append(iam.get_account_authorization_details(**params, Marker=pages[-1]["Marker"]))
    return pages


def test_roles_and_local_policies_have_their_documented_members(iam):
    details = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
    assert (details["UserDetailList"], details["GroupDetailList"]) == ([], [])
    (role,) = [r for r in details["RoleDetailList"] if r["RoleName"] == "gaad-role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/studio/gaad-role"
    assert role["Path"] == "/studio/"
    assert role["AssumeRolePolicyDocument"] == TRUST  # boto3 URL-decodes and parses policy documents
    assert role["RolePolicyList"] == [{"PolicyName": "gaad-inline", "PolicyDocument": READ}]
    assert role["AttachedManagedPolicies"] == [
        {"PolicyName": "gaad-policy", "PolicyArn": f"arn:aws:iam::{ACCOUNT_ID}:policy/gaad-policy"},
        {"PolicyName": "AmazonSageMakerFullAccess", "PolicyArn": "arn:aws:iam::aws:policy/AmazonSageMakerFullAccess"},
    ]
    assert role["Tags"] == [{"Key": "team", "Value": "ml"}]

    # LocalManagedPolicy: the customer managed policies only, not the AWS managed ones.
    assert all(":aws:policy/" not in p["Arn"] for p in details["Policies"])
    (policy,) = [p for p in details["Policies"] if p["PolicyName"] == "gaad-policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:policy/gaad-policy"
    assert policy["PolicyId"] and policy["DefaultVersionId"] == "v2"
    assert (policy["AttachmentCount"], policy["PermissionsBoundaryUsageCount"]) == (1, 0)
    versions = [(v["VersionId"], v["Document"], v["IsDefaultVersion"]) for v in policy["PolicyVersionList"]]
    assert versions == [("v1", READ, False), ("v2", WRITE, True)]


def test_every_policy_document_is_url_encoded(iam, endpoint):
    # "Policies returned by this operation are URL-encoded compliant with RFC 3986": the trust policy
    # too. boto3 decodes them, so this reads the raw XML, as aws-sdk-rust does.
    request = urllib.request.Request(
        endpoint,
        data=urllib.parse.urlencode(
            {
                "Action": "GetAccountAuthorizationDetails",
                "Version": "2010-05-08",
                "Filter.member.1": "Role",
                "Filter.member.2": "LocalManagedPolicy",
            }
        ).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request) as response:
        root = ET.fromstring(response.read())
    documents = [
        element.text
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] in ("AssumeRolePolicyDocument", "PolicyDocument", "Document")
    ]
    assert len(documents) >= 4  # trust policy, inline policy, two versions
    for document in documents:
        assert document.startswith("%7B"), document
        assert json.loads(urllib.parse.unquote(document))["Version"] == "2012-10-17"


def test_pages_of_max_items_cover_everything_once(iam):
    # MaxItems counts the entities of all lists together; IsTruncated and Marker lead to the rest.
    whole = iam.get_account_authorization_details(Filter=["Role", "LocalManagedPolicy"])
    assert whole["IsTruncated"] is False and "Marker" not in whole
    pages = all_pages(iam, Filter=["Role", "LocalManagedPolicy"], MaxItems=1)
    assert [sum(len(page[key]) for key in LISTS) for page in pages] == [1] * len(pages)
    assert "Marker" not in pages[-1]
    for key in LISTS:
        assert [entity for page in pages for entity in page[key]] == whole[key]

    # Without a filter, every entity; a page holds at most 100 by default.
    pages = all_pages(iam)
    assert all(sum(len(page[key]) for key in LISTS) == 100 for page in pages[:-1])
    assert any(p["Arn"].endswith(":aws:policy/AmazonSageMakerFullAccess") for page in pages for p in page["Policies"])


def test_max_items_is_1_to_1000(iam):
    for max_items in (0, 1001):
        with aws_error("ValidationError"):
            iam.get_account_authorization_details(MaxItems=max_items)
