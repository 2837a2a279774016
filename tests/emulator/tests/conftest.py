"""A real emulator server for the whole session, and boto3 clients talking to it."""

import json
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config
from helpers import READY_LINE, REGION, ROLE_ARN, start_emulator
from studio_emulator.validation import output_problems

# Every (service, operation) answered successfully during the session, for test_zz_model_coverage.
ANSWERED: set[tuple[str, str]] = set()
# The services the extension serves or reshapes; moto's others keep moto's answers.
CHECKED_SERVICES = {"sagemaker", "sso-admin", "identitystore"}


def check_answer(operation_model, response_dict, **_):
    """Hold every successful JSON answer to the output shape of the AWS model; a test whose
    answer breaks it fails there."""
    service = operation_model.service_model.service_name
    if response_dict["status_code"] >= 300 or service not in CHECKED_SERVICES:
        return
    body = response_dict["body"]
    answer = json.loads(body) if body else {}
    if operation_model.output_shape is not None:
        problems = output_problems(operation_model.output_shape, answer)
        assert not problems, f"{operation_model.name} answered outside the AWS model: {problems}"
    ANSWERED.add((service, operation_model.name))


@pytest.fixture(scope="session")
def endpoint():
    process, line = start_emulator()
    match = READY_LINE.fullmatch(line.strip())
    assert match, f"unexpected first line: {line!r}"
    yield match.group(1)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def client(endpoint):
    """client(service): a boto3 client of the emulator. Client-side validation is off, so the
    server's own validation is what is tested."""

    def make(service: str):
        made = boto3.client(
            service,
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        )
        made.meta.events.register("before-parse.*.*", check_answer)
        return made

    return make


@pytest.fixture(scope="session")
def sagemaker(client):
    return client("sagemaker")


@pytest.fixture(scope="session")
def sso_admin(client):
    return client("sso-admin")


@pytest.fixture(scope="session")
def identity_store(client, sso_admin):
    """The identity store of the account's Identity Center instance: (identitystore client, store id)."""
    store_id = sso_admin.list_instances()["Instances"][0]["IdentityStoreId"]
    return client("identitystore"), store_id


@pytest.fixture(scope="session")
def redeem(endpoint):
    """redeem(token) -> (HTTP status, JSON body) of GET /_studio/redeem."""

    def call(token: str):
        try:
            with urllib.request.urlopen(f"{endpoint}/_studio/redeem?token={token}") as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    return call


@pytest.fixture
def iam_domain(sagemaker):
    """A new IAM-mode domain; its id."""
    response = sagemaker.create_domain(
        DomainName="iam-domain",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE_ARN},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
    )
    return response["DomainArn"].rsplit("/", 1)[-1]


@pytest.fixture
def sso_domain(sagemaker):
    """A new SSO-mode domain; its id."""
    response = sagemaker.create_domain(
        DomainName="sso-domain",
        AuthMode="SSO",
        DefaultUserSettings={"ExecutionRole": ROLE_ARN},
        SubnetIds=["subnet-0123456789abcdef0"],
        VpcId="vpc-0123456789abcdef0",
    )
    return response["DomainArn"].rsplit("/", 1)[-1]


@pytest.fixture
def profile(sagemaker, iam_domain):
    """A user profile 'alice' in iam_domain; (domain id, profile name)."""
    sagemaker.create_user_profile(DomainId=iam_domain, UserProfileName="alice")
    return iam_domain, "alice"


@pytest.fixture
def set_delays(endpoint):
    """set_delays(**seconds): change the emulator's delays (POST /_studio/delays) for one test;
    the defaults come back afterwards."""

    def post(body: dict) -> dict:
        request = urllib.request.Request(
            f"{endpoint}/_studio/delays", data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    with urllib.request.urlopen(f"{endpoint}/_studio/delays") as response:
        defaults = json.load(response)
    yield lambda **seconds: post(seconds)
    post(defaults)
