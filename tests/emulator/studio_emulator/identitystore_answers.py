"""Identity store answers with the members and formats the current AWS model requires.

moto 5.2.5 leaves out `UserArn`, `GroupArn`, `MembershipArn` and `Revision`, which the identitystore
model (as botocore ships it) marks required in CreateUser, DescribeUser, GetUserId, ListUsers,
UpdateUser, the same group operations, and the membership operations; the SDKs then read `""`. Their
forms follow the model's patterns: `arn:aws:identitystore:::user/<id>` (likewise `group/`,
`membership/`), and `Revision` a decimal counter that UpdateUser and UpdateGroup raise
(https://docs.aws.amazon.com/singlesignon/latest/IdentityStoreAPIReference/API_CreateUser.html).
Identity store ids are `d-` and 10 hex digits, as the model's pattern `d-[0-9a-f]{10}` says (moto
uses any lowercase letters).
"""

import json

from moto.core.utils import get_service_model
from moto.identitystore.models import IdentityStoreBackend
from moto.identitystore.responses import IdentityStoreResponse
from moto.ssoadmin.models import Instance

from .ids import HEX, random_chars

# Revision of each user and group id that was updated (absent: "1").
_revisions: dict[str, int] = {}

# Which member an ARN member is made from, and the ARN's resource type.
_ARNS = {"UserArn": ("UserId", "user"), "GroupArn": ("GroupId", "group"), "MembershipArn": ("MembershipId", "membership")}


def _complete(shape, value, partition: str) -> None:
    """Add the required ARN and Revision members to `value` (an answer) where the model wants them."""
    if shape is None:
        return
    if shape.type_name == "structure" and isinstance(value, dict):
        for name in shape.required_members:
            if name in value:
                continue
            if name in _ARNS and _ARNS[name][0] in value:
                source, kind = _ARNS[name]
                value[name] = f"arn:{partition}:identitystore:::{kind}/{value[source]}"
            elif name == "Revision":
                entity = value.get("UserId") or value.get("GroupId")
                value[name] = str(_revisions.get(entity, 1))
        for name, member in shape.members.items():
            if name in value:
                _complete(member, value[name], partition)
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            _complete(shape.member, item, partition)


def _completing(call_action):
    def wrapped(self):
        status, headers, body = call_action(self)
        if isinstance(body, str) and body.startswith("{") and int(headers.get("status", status) or 200) < 300:
            operation = get_service_model("identitystore").operation_model(self._get_action())
            answer = json.loads(body)
            _complete(operation.output_shape, answer, "aws")
            body = json.dumps(answer)
        return status, headers, body

    return wrapped


def _bumping(update):
    """UpdateUser / UpdateGroup, raising the entity's Revision."""

    def wrapped(self, identity_store_id, entity_id, operations):
        result = update(self, identity_store_id, entity_id, operations)
        _revisions[entity_id] = _revisions.get(entity_id, 1) + 1
        return result

    return wrapped


def install() -> None:
    """Call after identitystore_updates (whose UpdateUser / UpdateGroup it wraps)."""
    moto_instance_init = Instance.__init__

    def instance_init(self, *args, **kwargs):
        moto_instance_init(self, *args, **kwargs)
        self.identity_store_id = f"d-{random_chars(10, HEX)}"

    Instance.__init__ = instance_init
    IdentityStoreResponse.call_action = _completing(IdentityStoreResponse.call_action)
    IdentityStoreBackend.update_user = _bumping(IdentityStoreBackend.update_user)
    IdentityStoreBackend.update_group = _bumping(IdentityStoreBackend.update_group)
