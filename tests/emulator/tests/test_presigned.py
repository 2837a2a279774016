"""CreatePresignedDomainUrl and the single-use, expiring token of the URL it returns."""

import re
import time
from urllib.parse import parse_qs, urlsplit

from helpers import REGION, aws_error

URL = re.compile(r"https://(d-[a-z0-9]{12})\.studio\.([a-z0-9-]+)\.sagemaker\.aws/auth\?token=[A-Za-z0-9_-]+")


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def test_presigned_url_needs_an_existing_domain_and_user_profile(sagemaker, iam_domain):
    with aws_error("ResourceNotFound"):
        sagemaker.create_presigned_domain_url(DomainId="d-000000000000", UserProfileName="alice")
    with aws_error("ResourceNotFound"):
        sagemaker.create_presigned_domain_url(DomainId=iam_domain, UserProfileName="nobody")


def test_presigned_url_points_at_the_domain_studio(sagemaker, profile):
    domain_id, name = profile
    url = sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name)["AuthorizedUrl"]
    assert URL.fullmatch(url).groups() == (domain_id, REGION)


def test_expires_in_seconds_must_be_between_5_and_300(sagemaker, profile):
    domain_id, name = profile
    for bad in [4, 301]:
        with aws_error("ValidationException"):
            sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name, ExpiresInSeconds=bad)
    for good in [5, 300]:
        sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name, ExpiresInSeconds=good)


def test_session_expiration_must_be_between_1800_and_43200(sagemaker, profile, redeem):
    domain_id, name = profile
    for bad in [1799, 43201]:
        with aws_error("ValidationException"):
            sagemaker.create_presigned_domain_url(
                DomainId=domain_id, UserProfileName=name, SessionExpirationDurationInSeconds=bad
            )
    url = sagemaker.create_presigned_domain_url(
        DomainId=domain_id, UserProfileName=name, SessionExpirationDurationInSeconds=1800
    )["AuthorizedUrl"]
    assert redeem(token_of(url))[1]["session_expiration_duration_in_seconds"] == 1800
    default = sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name)["AuthorizedUrl"]
    assert redeem(token_of(default))[1]["session_expiration_duration_in_seconds"] == 43200


def test_presigned_url_honours_space_and_landing_uri(sagemaker, profile, redeem):
    domain_id, name = profile
    with aws_error("ResourceNotFound"):
        sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name, SpaceName="nowhere")
    with aws_error("ValidationException"):
        sagemaker.create_presigned_domain_url(
            DomainId=domain_id, UserProfileName=name, LandingUri="https://example.com"
        )
    sagemaker.create_space(DomainId=domain_id, SpaceName="lab", OwnershipSettings={"OwnerUserProfileName": name})
    url = sagemaker.create_presigned_domain_url(
        DomainId=domain_id, UserProfileName=name, SpaceName="lab", LandingUri="app:JupyterLab:lab/tree"
    )["AuthorizedUrl"]
    status, body = redeem(token_of(url))
    assert status == 200
    assert body == {
        "valid": True,
        "reason": "ok",
        "domain_id": domain_id,
        "user_profile_name": name,
        "space_name": "lab",
        "landing_uri": "app:JupyterLab:lab/tree",
        "session_expiration_duration_in_seconds": 43200,
    }


def test_presigned_url_only_for_iam_domains(sagemaker, sso_domain, identity_store):
    # "This operation can only be called when the authentication mode equals IAM."
    store, store_id = identity_store
    store.create_user(
        IdentityStoreId=store_id, UserName="gina", DisplayName="Gina", Name={"GivenName": "G", "FamilyName": "H"}
    )
    sagemaker.create_user_profile(
        DomainId=sso_domain, UserProfileName="gina", SingleSignOnUserIdentifier="UserName", SingleSignOnUserValue="gina"
    )
    with aws_error("ValidationException"):
        sagemaker.create_presigned_domain_url(DomainId=sso_domain, UserProfileName="gina")


def test_token_can_be_redeemed_once(sagemaker, profile, redeem):
    domain_id, name = profile
    url = sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name)["AuthorizedUrl"]
    assert redeem(token_of(url))[0] == 200
    status, body = redeem(token_of(url))
    assert (status, body["valid"], body["reason"]) == (410, False, "already used")


def test_token_expires_after_expires_in_seconds(sagemaker, profile, redeem):
    domain_id, name = profile
    url = sagemaker.create_presigned_domain_url(DomainId=domain_id, UserProfileName=name, ExpiresInSeconds=5)[
        "AuthorizedUrl"
    ]
    time.sleep(5.1)
    status, body = redeem(token_of(url))
    assert (status, body["valid"], body["reason"]) == (410, False, "expired")


def test_unknown_token_is_refused(redeem):
    status, body = redeem("not-a-token")
    assert (status, body["valid"], body["reason"]) == (403, False, "unknown")
