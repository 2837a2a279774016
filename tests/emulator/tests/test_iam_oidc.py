"""IAM OIDC provider client IDs, as the IAM API reference documents them."""

import pytest
from helpers import aws_error

URL = "https://login.example.com"
THUMBPRINT = "a" * 40


@pytest.fixture
def provider(client):
    iam = client("iam")
    arn = iam.create_open_id_connect_provider(Url=URL, ClientIDList=["first"], ThumbprintList=[THUMBPRINT])[
        "OpenIDConnectProviderArn"
    ]
    yield iam, arn
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)


def client_ids(iam, arn):
    return iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)["ClientIDList"]


def test_add_client_id_appends_and_is_idempotent(provider):
    iam, arn = provider
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="second")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="second")
    assert client_ids(iam, arn) == ["first", "second"]


def test_remove_client_id_removes_and_is_idempotent(provider):
    iam, arn = provider
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="first")
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="never-added")
    assert client_ids(iam, arn) == []


def test_client_id_calls_on_an_unknown_provider_are_no_such_entity(client):
    iam = client("iam")
    arn = "arn:aws:iam::123456789012:oidc-provider/unknown.example.com"
    with aws_error("NoSuchEntity"):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="x")
    with aws_error("NoSuchEntity"):
        iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="x")


def test_a_provider_holds_at_most_100_client_ids(provider):
    iam, arn = provider
    for i in range(99):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID=f"client-{i}")
    with aws_error("LimitExceeded"):
        iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="one-too-many")
    assert len(client_ids(iam, arn)) == 100


def test_list_policy_versions_leaves_out_the_documents(client):
    # PolicyVersion.Document "is not included in the response to the ListPolicyVersions ... operations".
    iam = client("iam")
    arn = iam.create_policy(
        PolicyName="versions-without-documents",
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}',
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=arn,
        PolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}]}',
        SetAsDefault=True,
    )
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert sorted((v["VersionId"], v["IsDefaultVersion"]) for v in versions) == [("v1", False), ("v2", True)]
    assert all("Document" not in v for v in versions)
    assert "Document" in iam.get_policy_version(PolicyArn=arn, VersionId="v2")["PolicyVersion"]
