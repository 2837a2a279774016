"""moto's server mode, extended with the SageMaker Studio, IAM Identity Center and IAM APIs moto lacks."""

from . import (
    answers,
    domains,
    iam_authorization_details,
    iam_oidc,
    iam_policy_versions,
    identitystore_answers,
    identitystore_updates,
    presigned,
    sagemaker_studio,
    sso_apps,
    sso_requests,
    strict,
)


def install() -> None:
    """Patch moto; call once, before the server starts."""
    domains.install()
    iam_oidc.install()
    iam_policy_versions.install()
    iam_authorization_details.install()
    sagemaker_studio.install()
    presigned.install()
    sso_apps.install()
    sso_requests.install()
    identitystore_updates.install()
    identitystore_answers.install()
    strict.install()
    answers.install()
