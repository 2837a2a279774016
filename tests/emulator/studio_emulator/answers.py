"""Answers shaped like AWS's: a member without a value is left out, never `null`.

AWS's JSON protocols omit a member that has no value (the API models mark few members required, and
the SDKs read `null` as a value); moto often writes `null` instead. Every JSON answer of the services
the Rust code calls has its nulls removed before it is sent.
"""

import json

from moto.identitystore.responses import IdentityStoreResponse
from moto.sagemaker.responses import SageMakerResponse
from moto.ssoadmin.responses import SSOAdminResponse


def without_nulls(value):
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(v) for v in value if v is not None]
    return value


def _omitting_nulls(call_action):
    def wrapped(self):
        status, headers, body = call_action(self)
        if isinstance(body, (str, bytes)) and body[:1] in ("{", b"{"):
            try:
                body = json.dumps(without_nulls(json.loads(body)))
            except ValueError:
                pass
        return status, headers, body

    return wrapped


def install() -> None:
    """Call after every other module has installed its call_action changes."""
    for response_class in (SSOAdminResponse, IdentityStoreResponse, SageMakerResponse):
        response_class.call_action = _omitting_nulls(response_class.call_action)
