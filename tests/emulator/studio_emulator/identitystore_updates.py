"""identitystore UpdateUser and UpdateGroup, which moto 5.2.5 lacks, and a duplicate group membership.

As the AWS API reference documents them: `Operations` is a list of 1–100 `{AttributePath, AttributeValue}`;
a path names a user or group attribute (`displayName`, `name.givenName`, `emails`, `description`, ...,
matched without regard to case); an operation without `AttributeValue` removes the attribute. An unknown
user or group is `ResourceNotFoundException`, an unknown path or removing a required attribute is
`ValidationException`, and a `UserName` or group `DisplayName` another user or group already has is
`ConflictException` (reason `UNIQUENESS_CONSTRAINT_VIOLATION`), as on create (which moto checks itself).
CreateGroupMembership of a user who already is a member is `ConflictException` too.
"""

import json
from typing import Any

from moto.identitystore.exceptions import ConflictException, ResourceNotFoundException, ValidationException
from moto.identitystore.models import IdentityStoreBackend, Name
from moto.identitystore.responses import IdentityStoreResponse

from .moto_patch import graft

# lower-cased AttributePath -> User field (or "name.<Name field>")
USER_PATHS = {
    "username": "UserName",
    "displayname": "DisplayName",
    "nickname": "NickName",
    "profileurl": "ProfileUrl",
    "usertype": "UserType",
    "title": "Title",
    "preferredlanguage": "PreferredLanguage",
    "locale": "Locale",
    "timezone": "Timezone",
    "emails": "Emails",
    "addresses": "Addresses",
    "phonenumbers": "PhoneNumbers",
    "name.formatted": "name.Formatted",
    "name.familyname": "name.FamilyName",
    "name.givenname": "name.GivenName",
    "name.middlename": "name.MiddleName",
    "name.honorificprefix": "name.HonorificPrefix",
    "name.honorificsuffix": "name.HonorificSuffix",
}
REQUIRED_USER_FIELDS = {"UserName", "DisplayName", "name.GivenName", "name.FamilyName"}
GROUP_PATHS = {"displayname": "DisplayName", "description": "Description"}
LIST_FIELDS = {"Emails", "Addresses", "PhoneNumbers"}


def _operations(operations: Any, paths: dict[str, str]) -> list[tuple[str, Any]]:
    """Check `Operations`; return (field, value) pairs, value None for a removal."""
    if not isinstance(operations, list) or not 1 <= len(operations) <= 100:
        raise ValidationException(message="Operations must be a list of 1 to 100 AttributeOperation objects")
    checked = []
    for operation in operations:
        path = (operation or {}).get("AttributePath")
        if not isinstance(path, str) or path.lower() not in paths:
            raise ValidationException(message=f"Invalid attribute path {path!r}: the attribute is not supported")
        checked.append((paths[path.lower()], operation.get("AttributeValue")))
    return checked


def _capitalized(items: Any, field: str) -> list[dict[str, Any]]:
    """Emails, Addresses or PhoneNumbers as CreateUser stores them (`Value`, `Type`, `Primary`, ...)."""
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValidationException(message=f"The value of {field} must be a list of objects")
    return [{key[:1].upper() + key[1:]: value for key, value in item.items()} for item in items]


class IdentityStoreUpdates:
    def update_user(self, identity_store_id: str, user_id: str, operations: Any) -> None:
        store = self._IdentityStoreBackend__get_identity_store(identity_store_id)
        if user_id not in store.users:
            raise ResourceNotFoundException(message="USER not found.", resource_type="USER")
        user = store.users[user_id]
        fields = user._asdict()
        name = user.Name._asdict() if user.Name else {}
        for field, value in _operations(operations, USER_PATHS):
            if value is None and field in REQUIRED_USER_FIELDS:
                raise ValidationException(message=f"{field}: The attribute {field} is required")
            if field.startswith("name."):
                name[field[len("name.") :]] = value
            elif field in LIST_FIELDS:
                fields[field] = [] if value is None else _capitalized(value, field)
            else:
                if value is not None and not isinstance(value, str):
                    raise ValidationException(message=f"The value of {field} must be a string")
                fields[field] = value
        if fields["UserName"] != user.UserName and any(
            other.UserName == fields["UserName"] for other in store.users.values() if other.UserId != user_id
        ):
            raise ConflictException(message="Duplicate UserName", reason="UNIQUENESS_CONSTRAINT_VIOLATION")
        fields["Name"] = Name.from_dict({k: v for k, v in name.items() if v is not None})
        store.users[user_id] = user._replace(**fields)

    def update_group(self, identity_store_id: str, group_id: str, operations: Any) -> None:
        store = self._IdentityStoreBackend__get_identity_store(identity_store_id)
        if group_id not in store.groups:
            raise ResourceNotFoundException(message="GROUP not found.", resource_type="GROUP")
        group = store.groups[group_id]
        fields = {}
        for field, value in _operations(operations, GROUP_PATHS):
            if value is None and field == "DisplayName":
                raise ValidationException(message="displayName: The attribute displayName is required")
            if value is not None and not isinstance(value, str):
                raise ValidationException(message=f"The value of {field} must be a string")
            fields[field] = value
        display_name = fields.get("DisplayName", group.DisplayName)
        if display_name != group.DisplayName and any(
            other.DisplayName == display_name for other in store.groups.values() if other.GroupId != group_id
        ):
            raise ConflictException(message="Duplicate GroupDisplayName", reason="UNIQUENESS_CONSTRAINT_VIOLATION")
        store.groups[group_id] = group._replace(**fields)


class IdentityStoreUpdateResponses:
    def update_user(self) -> str:
        self.identitystore_backend.update_user(
            self._get_param("IdentityStoreId"), self._get_param("UserId"), self._get_param("Operations")
        )
        # The model's UpdateUserResponse names the user (identitystore_answers adds UserArn, Revision).
        return json.dumps({"IdentityStoreId": self._get_param("IdentityStoreId"), "UserId": self._get_param("UserId")})

    def update_group(self) -> str:
        self.identitystore_backend.update_group(
            self._get_param("IdentityStoreId"), self._get_param("GroupId"), self._get_param("Operations")
        )
        return json.dumps({"IdentityStoreId": self._get_param("IdentityStoreId"), "GroupId": self._get_param("GroupId")})


def install() -> None:
    graft(IdentityStoreBackend, IdentityStoreUpdates)
    graft(IdentityStoreResponse, IdentityStoreUpdateResponses)

    moto_create_group_membership = IdentityStoreBackend.create_group_membership

    def create_group_membership(self, identity_store_id: str, group_id: str, member_id: dict[str, str]):
        store = self._IdentityStoreBackend__get_identity_store(identity_store_id)
        if any(
            m["GroupId"] == group_id and m["MemberId"].get("UserId") == (member_id or {}).get("UserId")
            for m in store.group_memberships.values()
        ):
            raise ConflictException(message="Member is already in the group", reason="UNIQUENESS_CONSTRAINT_VIOLATION")
        return moto_create_group_membership(self, identity_store_id, group_id, member_id)

    IdentityStoreBackend.create_group_membership = create_group_membership
