"""IAM Identity Center (sso-admin) applications and application assignments, which moto 5.2.5 lacks.

The applications are the ones SageMaker creates for its SSO domains; they are registered with the
account's Identity Center instance so that users and groups can be assigned to them.
"""

import json

from moto.core.exceptions import JsonRESTError
from moto.core.utils import unix_time
from moto.identitystore.models import identitystore_backends
from moto.ssoadmin.exceptions import ConflictException, ResourceNotFoundException
from moto.ssoadmin.models import SSOAdminBackend, ssoadmin_backends
from moto.ssoadmin.responses import SSOAdminResponse
from moto.utilities.paginator import paginate

from .ids import random_chars
from .moto_patch import extend_init, graft
from .validation import validated

SAGEMAKER_PROVIDER_ARN = "arn:aws:sso::aws:applicationProvider/sagemaker"

_ASSIGNMENT_PAGES = {
    "input_token": "next_token",
    "limit_key": "max_results",
    "limit_default": 100,
    "unique_attribute": ["ApplicationArn", "PrincipalType", "PrincipalId"],
}
PAGINATION_MODEL = {
    "list_applications": {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 100,
        "unique_attribute": "ApplicationArn",
    },
    "list_application_assignments": _ASSIGNMENT_PAGES,
    "list_application_assignments_for_principal": _ASSIGNMENT_PAGES,
}


class ValidationException(JsonRESTError):
    code = 400

    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def register_application(account_id: str, region: str, name: str) -> str:
    """Create an application on the account's Identity Center instance; return its ARN."""
    backend = ssoadmin_backends[account_id][region]
    instance = backend.instances[0]
    instance_id = instance.instance_arn.rsplit("/", 1)[-1]
    arn = f"arn:aws:sso::{account_id}:application/{instance_id}/apl-{random_chars(16)}"
    backend.applications[arn] = {
        "ApplicationArn": arn,
        "ApplicationProviderArn": SAGEMAKER_PROVIDER_ARN,
        "Name": name,
        "ApplicationAccount": account_id,
        "InstanceArn": instance.instance_arn,
        "Status": "ENABLED",
        "CreatedDate": unix_time(),
        "CreatedFrom": region,
    }
    return arn


def remove_application(account_id: str, region: str, arn: str) -> None:
    backend = ssoadmin_backends[account_id][region]
    del backend.applications[arn]
    backend.application_assignments = [a for a in backend.application_assignments if a["ApplicationArn"] != arn]


def directory_has_user(account_id: str, region: str, user_name: str) -> bool:
    """Whether the identity store of the account's Identity Center instance has a user of that UserName."""
    store_id = ssoadmin_backends[account_id][region].instances[0].identity_store_id
    store = identitystore_backends[account_id][region].identity_stores.get(store_id)
    return store is not None and any(user.UserName == user_name for user in store.users.values())


class ApplicationBackend:
    def describe_application(self, application_arn: str) -> dict:
        if application_arn not in self.applications:
            raise ResourceNotFoundException(f"Application {application_arn} does not exist.")
        return self.applications[application_arn]

    @paginate(PAGINATION_MODEL)
    def list_applications(self, instance_arn: str, account: str | None, provider: str | None) -> list[dict]:
        return [
            app
            for app in self.applications.values()
            if app["InstanceArn"] == instance_arn
            and account in (None, app["ApplicationAccount"])
            and provider in (None, app["ApplicationProviderArn"])
        ]

    def create_application_assignment(self, assignment: dict) -> None:
        self.describe_application(assignment["ApplicationArn"])
        if assignment in self.application_assignments:
            raise ConflictException(
                f"{assignment['PrincipalType']} {assignment['PrincipalId']} is already assigned to "
                f"application {assignment['ApplicationArn']}."
            )
        self.application_assignments.append(assignment)

    def describe_application_assignment(self, assignment: dict) -> dict:
        self.describe_application(assignment["ApplicationArn"])
        if assignment not in self.application_assignments:
            raise ResourceNotFoundException(
                f"{assignment['PrincipalType']} {assignment['PrincipalId']} is not assigned to "
                f"application {assignment['ApplicationArn']}."
            )
        return assignment

    def delete_application_assignment(self, assignment: dict) -> None:
        self.application_assignments.remove(self.describe_application_assignment(assignment))

    @paginate(PAGINATION_MODEL)
    def list_application_assignments(self, application_arn: str) -> list[dict]:
        self.describe_application(application_arn)
        return [a for a in self.application_assignments if a["ApplicationArn"] == application_arn]

    @paginate(PAGINATION_MODEL)
    def list_application_assignments_for_principal(
        self, instance_arn: str, principal_type: str, principal_id: str, application_arn: str | None
    ) -> list[dict]:
        return [
            a
            for a in self.application_assignments
            if self.applications[a["ApplicationArn"]]["InstanceArn"] == instance_arn
            and (a["PrincipalType"], a["PrincipalId"]) == (principal_type, principal_id)
            and application_arn in (None, a["ApplicationArn"])
        ]


class ApplicationResponses:
    def _assignment(self) -> dict:
        return {
            "ApplicationArn": self._get_param("ApplicationArn"),
            "PrincipalType": self._get_param("PrincipalType"),
            "PrincipalId": self._get_param("PrincipalId"),
        }

    @validated(ValidationException)
    def describe_application(self) -> str:
        return json.dumps(self.ssoadmin_backend.describe_application(self._get_param("ApplicationArn")))

    @validated(ValidationException)
    def list_applications(self) -> str:
        filters = self._get_param("Filter") or {}
        applications, next_token = self.ssoadmin_backend.list_applications(
            instance_arn=self._get_param("InstanceArn"),
            account=filters.get("ApplicationAccount"),
            provider=filters.get("ApplicationProvider"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps({"Applications": applications, "NextToken": next_token})

    @validated(ValidationException)
    def create_application_assignment(self) -> str:
        self.ssoadmin_backend.create_application_assignment(self._assignment())
        return "{}"

    @validated(ValidationException)
    def describe_application_assignment(self) -> str:
        return json.dumps(self.ssoadmin_backend.describe_application_assignment(self._assignment()))

    @validated(ValidationException)
    def delete_application_assignment(self) -> str:
        self.ssoadmin_backend.delete_application_assignment(self._assignment())
        return "{}"

    @validated(ValidationException)
    def list_application_assignments(self) -> str:
        assignments, next_token = self.ssoadmin_backend.list_application_assignments(
            application_arn=self._get_param("ApplicationArn"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps({"ApplicationAssignments": assignments, "NextToken": next_token})

    @validated(ValidationException)
    def list_application_assignments_for_principal(self) -> str:
        assignments, next_token = self.ssoadmin_backend.list_application_assignments_for_principal(
            instance_arn=self._get_param("InstanceArn"),
            principal_type=self._get_param("PrincipalType"),
            principal_id=self._get_param("PrincipalId"),
            application_arn=(self._get_param("Filter") or {}).get("ApplicationArn"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return json.dumps({"ApplicationAssignments": assignments, "NextToken": next_token})


def _add_state(backend: SSOAdminBackend) -> None:
    backend.applications = {}
    backend.application_assignments = []


def install() -> None:
    extend_init(SSOAdminBackend, _add_state)
    graft(SSOAdminBackend, ApplicationBackend)
    graft(SSOAdminResponse, ApplicationResponses)
