"""How slow the emulator is: the delays of AWS's asynchronous and eventually consistent behaviour.

Short by default so that test suites stay fast; a test that proves a client waits sets longer ones
with `POST /_studio/delays` (JSON, any subset of the fields, in seconds) and reads them back with
`GET /_studio/delays`. Each delay is used where the behaviour is modelled:

- `app_deletion`: DeleteApp leaves the app `Deleting` this long before it is `Deleted` (sagemaker_studio.py).
- `role_propagation`: an IAM role this young is not yet usable as a SageMaker execution role
  (role_propagation.py).
- `identity_center`: an Identity Center request (account assignment creation or deletion,
  permission set provisioning) stays `IN_PROGRESS` this long (sso_requests.py).
"""

import dataclasses
import threading


@dataclasses.dataclass
class Delays:
    app_deletion: float = 0.3
    role_propagation: float = 0.3
    identity_center: float = 0.3


_lock = threading.Lock()
_current = Delays()


def current() -> Delays:
    with _lock:
        return dataclasses.replace(_current)


def as_dict() -> dict:
    return dataclasses.asdict(current())


def update(changes: dict) -> tuple[int, dict]:
    """Apply `changes` (field -> seconds); (HTTP status, body) for the endpoint."""
    global _current
    fields = {field.name for field in dataclasses.fields(Delays)}
    if not isinstance(changes, dict):
        return 400, {"error": "the body must be a JSON object of delays in seconds"}
    unknown = sorted(set(changes) - fields)
    if unknown:
        return 400, {"error": f"unknown delays {unknown}; known: {sorted(fields)}"}
    bad = sorted(k for k, v in changes.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0)
    if bad:
        return 400, {"error": f"delays {bad} must be numbers of seconds >= 0"}
    with _lock:
        _current = dataclasses.replace(_current, **{k: float(v) for k, v in changes.items()})
    return 200, as_dict()
