"""IAM GetAccountAuthorizationDetails as the IAM API reference documents it. moto 5.2.5's ignores
MaxItems and Marker, leaves PolicyName, PolicyId and PermissionsBoundaryUsageCount out of Policies,
and returns roles' trust policies as plain JSON where AWS URL-encodes every policy document
("Policies returned by this operation are URL-encoded compliant with RFC 3986").

Pagination counts the entities of all four lists together: users, then groups, roles and managed
policies. MaxItems is 1-1000 (default 100); Marker is where the next page starts.
"""

from urllib.parse import quote

from moto.core.responses import ActionResult
from moto.iam.exceptions import ValidationError
from moto.iam.responses import IamResponse

from .moto_patch import graft

DEFAULT_MAX_ITEMS = 100


def role_detail(role) -> dict:
    """A RoleDetail: moto's role, with its trust policy URL-encoded like its inline policies."""
    return {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.id,
        "Arn": role.arn,
        "CreateDate": role.create_date,
        "AssumeRolePolicyDocument": quote(role.assume_role_policy_document),
        "InstanceProfileList": role.instance_profile_list,
        "RolePolicyList": role.role_policy_list,
        "AttachedManagedPolicies": role.attached_managed_policies,
        "PermissionsBoundary": role.permissions_boundary,
        "Tags": role.tags,
        "RoleLastUsed": role.role_last_used,
    }


def policy_detail(policy, roles) -> dict:
    """A ManagedPolicyDetail; its PolicyVersionList documents are URL-encoded by moto already."""
    return {
        "PolicyName": policy.name,
        "PolicyId": policy.id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": policy.attachment_count,
        "PermissionsBoundaryUsageCount": sum(role.permissions_boundary_arn == policy.arn for role in roles),
        "IsAttachable": policy.is_attachable,
        "Description": policy.description or None,
        "CreateDate": policy.create_date,
        "UpdateDate": policy.update_date,
        "PolicyVersionList": policy.policy_version_list,
    }


class _Responses:
    def get_account_authorization_details(self) -> ActionResult:
        max_items = self._get_int_param("MaxItems", DEFAULT_MAX_ITEMS)
        if not 1 <= max_items <= 1000:
            bound = "greater than or equal to 1" if max_items < 1 else "less than or equal to 1000"
            raise ValidationError(
                f"1 validation error detected: Value '{max_items}' at 'maxItems' failed to satisfy "
                f"constraint: Member must have value {bound}"
            )
        marker = self._get_param("Marker")
        if marker is not None and not marker.isdigit():
            raise ValidationError(f"Invalid Marker: {marker}")
        start = int(marker or 0)

        details = self.backend.get_account_authorization_details(self._get_param("Filter", []))
        roles = list(self.backend.roles.values())
        entities = [
            *(("UserDetailList", user) for user in details["users"]),
            *(("GroupDetailList", group) for group in details["groups"]),
            *(("RoleDetailList", role_detail(role)) for role in details["roles"]),
            *(("Policies", policy_detail(policy, roles)) for policy in details["managed_policies"]),
        ]
        result = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}
        for key, entity in entities[start : start + max_items]:
            result[key].append(entity)
        end = start + max_items
        result["IsTruncated"] = end < len(entities)
        result["Marker"] = str(end) if end < len(entities) else None
        return ActionResult(result)


def install() -> None:
    graft(IamResponse, _Responses)
