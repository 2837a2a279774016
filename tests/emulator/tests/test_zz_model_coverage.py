"""Last of the suite (by name): every operation the extension serves, and every SageMaker, IAM
Identity Center and identity store operation the Rust code calls, was answered during the session
and held to the AWS model by conftest's check_answer."""

import inspect

from conftest import ANSWERED
from moto.core.utils import camelcase_to_underscores, get_service_model
from studio_emulator.domains import DomainResponses
from studio_emulator.identitystore_updates import IdentityStoreUpdateResponses
from studio_emulator.presigned import PresignedResponses
from studio_emulator.sagemaker_studio import StudioResponses
from studio_emulator.sso_apps import ApplicationResponses
from studio_emulator.sso_requests import RequestResponses

EXTENSION = {
    "sagemaker": (StudioResponses, DomainResponses, PresignedResponses),
    "sso-admin": (ApplicationResponses, RequestResponses),
    "identitystore": (IdentityStoreUpdateResponses,),
}

# What crates/ calls of these services besides the extension's own operations (moto answers them).
CALLED_BY_RUST = {
    ("sagemaker", "ListTags"),
    ("sagemaker", "AddTags"),
    ("sso-admin", "ListInstances"),
    ("sso-admin", "CreatePermissionSet"),
    ("sso-admin", "DescribePermissionSet"),
    ("sso-admin", "ListPermissionSets"),
    ("sso-admin", "GetInlinePolicyForPermissionSet"),
    ("sso-admin", "ListAccountAssignments"),
    ("identitystore", "CreateUser"),
    ("identitystore", "CreateGroup"),
    ("identitystore", "CreateGroupMembership"),
    ("identitystore", "DeleteGroupMembership"),
    ("identitystore", "DeleteGroup"),
    ("identitystore", "DeleteUser"),
    ("identitystore", "GetGroupId"),
    ("identitystore", "ListUsers"),
    ("identitystore", "ListGroups"),
    ("identitystore", "ListGroupMemberships"),
}


def served() -> set[tuple[str, str]]:
    operations = set()
    for service, classes in EXTENSION.items():
        model = get_service_model(service)
        by_method = {camelcase_to_underscores(op): op for op in model.operation_names}
        for response_class in classes:
            for name, value in vars(response_class).items():
                if (inspect.isfunction(value) or callable(value)) and name in by_method:
                    operations.add((service, by_method[name]))
    return operations


def test_every_served_and_called_operation_was_answered_as_the_model_says():
    expected = served() | CALLED_BY_RUST
    assert len(expected) > 40, sorted(expected)
    missing = sorted(expected - ANSWERED)
    assert not missing, f"never exercised by the suite: {missing}"
