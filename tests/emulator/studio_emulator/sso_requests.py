"""IAM Identity Center's asynchronous writes: account assignments and permission set provisioning.

CreateAccountAssignment, DeleteAccountAssignment and ProvisionPermissionSet "are asynchronous": they
answer a request status (`IN_PROGRESS`) whose outcome, `SUCCEEDED` or `FAILED` with a
`FailureReason`, is read with DescribeAccountAssignmentCreationStatus,
DescribeAccountAssignmentDeletionStatus and DescribePermissionSetProvisioningStatus
(https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_CreateAccountAssignment.html,
https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_AccountAssignmentOperationStatus.html,
https://docs.aws.amazon.com/singlesignon/latest/APIReference/API_PermissionSetProvisioningStatus.html).
Here a request stays IN_PROGRESS for `delays.identity_center` seconds; only then does its effect
show in ListAccountAssignments. It fails when its principal is not in the instance's identity store.

While a request on a permission set is in progress, another write on that permission set answers
ConflictException, which AWS documents as "a conflict with a previous successful write ... A retry
(with appropriate backoff logic) is the recommended response"
(https://docs.aws.amazon.com/singlesignon/latest/APIReference/CommonErrors.html and each operation's
Errors section).

Permission set ARNs have AWS's form, `arn:aws:sso:::permissionSet/ssoins-<16>/ps-<16>` (moto puts
them under `instance/`, which AWS's own pattern refuses).
"""

import json
import uuid

from moto.core.responses import BaseResponse
from moto.core.utils import unix_time
from moto.identitystore.models import identitystore_backends
from moto.ssoadmin.exceptions import ConflictException, ResourceNotFoundException
from moto.ssoadmin.models import PermissionSet, SSOAdminBackend
from moto.ssoadmin.responses import SSOAdminResponse

from . import delays
from .ids import HEX, random_chars
from .lifecycle import Lifecycle
from .moto_patch import extend_init, graft
from .sso_apps import ValidationException
from .validation import validated


def permission_set_arn(instance_arn: str) -> str:
    partition = instance_arn.split(":")[1]
    instance_id = instance_arn.rsplit("/", 1)[-1]
    return f"arn:{partition}:sso:::permissionSet/{instance_id}/ps-{random_chars(16, HEX)}"


class Request:
    """One asynchronous request: IN_PROGRESS, then SUCCEEDED (its effect applied) or FAILED."""

    def __init__(self, kind: str, permission_set_arn: str, fields: dict, effect, failure: str | None):
        self.kind = kind
        self.id = str(uuid.uuid4())
        self.permission_set_arn = permission_set_arn
        self.fields = fields
        self.created_date = unix_time()
        self.failure = failure
        self.lifecycle = Lifecycle("IN_PROGRESS", "FAILED" if failure else "SUCCEEDED", after=delays.current().identity_center)
        self._effect = effect
        self._applied = False

    @property
    def in_progress(self) -> bool:
        return self.lifecycle.current() == "IN_PROGRESS"

    def settle(self) -> None:
        if not self._applied and self.lifecycle.current() == "SUCCEEDED":
            self._applied = True
            self._effect()

    def status(self) -> dict:
        status = {
            "Status": self.lifecycle.current(),
            "RequestId": self.id,
            "PermissionSetArn": self.permission_set_arn,
            "CreatedDate": self.created_date,
            **self.fields,
        }
        if self.failure and status["Status"] == "FAILED":
            status["FailureReason"] = self.failure
        return status


class RequestBackend:
    def settle_requests(self) -> None:
        for request in self.requests.values():
            request.settle()

    def refuse_if_in_flight(self, permission_set_arn: str | None) -> None:
        if any(r.in_progress and r.permission_set_arn == permission_set_arn for r in self.requests.values()):
            raise ConflictException(
                f"A request on permission set {permission_set_arn} is still in progress; retry with backoff."
            )

    def _principal_failure(self, instance_arn: str, principal_type: str, principal_id: str) -> str | None:
        instance = next((i for i in self.instances if i.instance_arn == instance_arn), None)
        if instance is None:
            raise ResourceNotFoundException(f"Instance {instance_arn} does not exist.")
        store = identitystore_backends[self.account_id][self.region_name].identity_stores.get(
            instance.identity_store_id
        )
        members = {} if store is None else (store.users if principal_type == "USER" else store.groups)
        if principal_id not in members:
            return (
                f"The {principal_type.lower()} {principal_id} does not exist in identity store "
                f"{instance.identity_store_id}."
            )
        return None

    def _submit(self, kind: str, permission_set_arn: str, fields: dict, effect, failure=None) -> Request:
        self.refuse_if_in_flight(permission_set_arn)
        request = Request(kind, permission_set_arn, fields, effect, failure)
        self.requests[request.id] = request
        return request

    def request_status(self, kind: str, request_id: str) -> dict:
        request = self.requests.get(request_id)
        if request is None or request.kind != kind:
            raise ResourceNotFoundException(f"Request {request_id} does not exist.")
        return request.status()

    def submit_assignment(self, create: bool, assignment: dict) -> Request:
        self._find_permission_set(assignment["instance_arn"], assignment["permission_set_arn"])
        fields = {
            "TargetId": assignment["target_id"],
            "TargetType": assignment["target_type"],
            "PrincipalType": assignment["principal_type"],
            "PrincipalId": assignment["principal_id"],
        }

        def exists() -> bool:
            try:
                self._find_account(**assignment)
                return True
            except ResourceNotFoundException:
                return False

        if create:
            failure = self._principal_failure(
                assignment["instance_arn"], assignment["principal_type"], assignment["principal_id"]
            )

            def create_it() -> None:
                if not exists():  # assigning twice is no error, and no duplicate
                    self.create_account_assignment(**assignment)

            return self._submit("creation", assignment["permission_set_arn"], fields, create_it, failure)
        self._find_account(**assignment)  # ResourceNotFoundException, as moto answers

        def delete_it() -> None:
            if exists():
                self.account_assignments.remove(self._find_account(**assignment))

        return self._submit("deletion", assignment["permission_set_arn"], fields, delete_it)

    def submit_provisioning(self, instance_arn: str, permission_set_arn: str, target_id: str | None) -> Request:
        self._find_permission_set(instance_arn, permission_set_arn)
        return self._submit(
            "provisioning",
            permission_set_arn,
            {"AccountId": target_id or self.account_id},
            lambda: self.provision_permission_set(instance_arn, permission_set_arn),
        )


def _refusing_while_in_flight(moto_handler):
    """A moto write on a permission set, refused with ConflictException while a request on it runs."""

    def handler(self):
        self.ssoadmin_backend.refuse_if_in_flight(self._get_param("PermissionSetArn"))
        return moto_handler(self)

    return handler


class RequestResponses:
    def call_action(self):
        # Requests whose time has come settle before any sso-admin call is answered.
        self.ssoadmin_backend.settle_requests()
        return BaseResponse.call_action(self)

    def _account_assignment(self) -> dict:
        return {
            "instance_arn": self._get_param("InstanceArn"),
            "target_id": self._get_param("TargetId"),
            "target_type": self._get_param("TargetType"),
            "permission_set_arn": self._get_param("PermissionSetArn"),
            "principal_type": self._get_param("PrincipalType"),
            "principal_id": self._get_param("PrincipalId"),
        }

    @validated(ValidationException)
    def create_account_assignment(self) -> str:
        request = self.ssoadmin_backend.submit_assignment(True, self._account_assignment())
        return json.dumps({"AccountAssignmentCreationStatus": request.status()})

    @validated(ValidationException)
    def delete_account_assignment(self) -> str:
        request = self.ssoadmin_backend.submit_assignment(False, self._account_assignment())
        return json.dumps({"AccountAssignmentDeletionStatus": request.status()})

    @validated(ValidationException)
    def describe_account_assignment_creation_status(self) -> str:
        status = self.ssoadmin_backend.request_status("creation", self._get_param("AccountAssignmentCreationRequestId"))
        return json.dumps({"AccountAssignmentCreationStatus": status})

    @validated(ValidationException)
    def describe_account_assignment_deletion_status(self) -> str:
        status = self.ssoadmin_backend.request_status("deletion", self._get_param("AccountAssignmentDeletionRequestId"))
        return json.dumps({"AccountAssignmentDeletionStatus": status})

    @validated(ValidationException)
    def provision_permission_set(self) -> str:
        request = self.ssoadmin_backend.submit_provisioning(
            self._get_param("InstanceArn"), self._get_param("PermissionSetArn"), self._get_param("TargetId")
        )
        return json.dumps({"PermissionSetProvisioningStatus": request.status()})

    @validated(ValidationException)
    def describe_permission_set_provisioning_status(self) -> str:
        status = self.ssoadmin_backend.request_status("provisioning", self._get_param("ProvisionPermissionSetRequestId"))
        return json.dumps({"PermissionSetProvisioningStatus": status})

    @validated(ValidationException)
    def update_permission_set(self) -> str:
        # UpdatePermissionSet changes the members it is given; the others keep their values (moto
        # resets them, SessionDuration to the number 3600).
        self.ssoadmin_backend.refuse_if_in_flight(self._get_param("PermissionSetArn"))
        permission_set = self.ssoadmin_backend._find_permission_set(
            self._get_param("InstanceArn"), self._get_param("PermissionSetArn")
        )
        for member, attribute in (
            ("Description", "description"),
            ("SessionDuration", "session_duration"),
            ("RelayState", "relay_state"),
        ):
            if self._get_param(member) is not None:
                setattr(permission_set, attribute, self._get_param(member))
        return "{}"

    delete_permission_set = validated(ValidationException)(
        _refusing_while_in_flight(SSOAdminResponse.delete_permission_set)
    )
    put_inline_policy_to_permission_set = validated(ValidationException)(
        _refusing_while_in_flight(SSOAdminResponse.put_inline_policy_to_permission_set)
    )
    delete_inline_policy_from_permission_set = validated(ValidationException)(
        _refusing_while_in_flight(SSOAdminResponse.delete_inline_policy_from_permission_set)
    )


def _add_state(backend: SSOAdminBackend) -> None:
    backend.requests = {}


def _iso_session_duration(init):
    """moto's default SessionDuration is the number 3600; AWS's is the ISO-8601 string PT1H."""

    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if isinstance(self.session_duration, int):
            self.session_duration = f"PT{self.session_duration // 3600}H"

    return wrapped


def install() -> None:
    PermissionSet.generate_id = staticmethod(permission_set_arn)
    PermissionSet.__init__ = _iso_session_duration(PermissionSet.__init__)
    extend_init(SSOAdminBackend, _add_state)
    graft(SSOAdminBackend, RequestBackend)
    graft(SSOAdminResponse, RequestResponses)
