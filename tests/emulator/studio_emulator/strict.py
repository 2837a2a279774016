"""Every request of the JSON services the Rust code uses is checked against the AWS model.

The extension's own operations are decorated with `validated` where they are defined; this does the
same for the operations moto itself answers in SageMaker, IAM Identity Center (sso-admin) and the
identity store, so that a request breaking a model constraint is refused as AWS refuses it
(ValidationException, "1 validation error detected: ...").
"""

from moto.core.utils import camelcase_to_underscores, get_service_model
from moto.identitystore.responses import IdentityStoreResponse
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse
from moto.ssoadmin.responses import SSOAdminResponse

from .sso_apps import ValidationException
from .validation import validated

_SERVICES = (
    ("sagemaker", SageMakerResponse, ValidationError),
    ("sso-admin", SSOAdminResponse, ValidationException),
    ("identitystore", IdentityStoreResponse, ValidationException),
)


def install() -> None:
    """Call after the modules that add or replace operations."""
    for service, response_class, error_class in _SERVICES:
        for operation in get_service_model(service).operation_names:
            name = camelcase_to_underscores(operation)
            handler = getattr(response_class, name, None)
            if callable(handler) and not getattr(handler, "validated", False):
                setattr(response_class, name, validated(error_class)(handler))
