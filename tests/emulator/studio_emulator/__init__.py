"""moto's server mode, extended with the SageMaker Studio and IAM Identity Center APIs moto lacks."""

from . import domains, presigned, sagemaker_studio, sso_apps


def install() -> None:
    """Patch moto; call once, before the server starts."""
    domains.install()
    sagemaker_studio.install()
    presigned.install()
    sso_apps.install()
