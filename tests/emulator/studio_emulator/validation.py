"""Input validation driven by the AWS service model that botocore ships.

AWS checks every request against the constraints of its API model (required members, lengths,
ranges, patterns, enums) and answers ValidationException with a message like
"1 validation error detected: Value 'x' at 'userProfileName' failed to satisfy constraint: ...".
The same model is in botocore, so the emulator checks the same constraints.
"""

import functools
import json
import re

from moto.core.utils import get_service_model


def validated(error_class):
    """Decorate a moto response method so that its input is checked first; `error_class(message)` is raised."""

    def decorate(handler):
        @functools.wraps(handler)
        def checked(self):
            operation = get_service_model(self.boto3_service_name).operation_model(self._get_action())
            problems: list[str] = []
            _check(operation.input_shape, json.loads(self.body or "{}"), "", problems)
            if problems:
                count = len(problems)
                raise error_class(
                    f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(problems)
                )
            return handler(self)

        checked.validated = True
        return checked

    return decorate


def _check(shape, value, path: str, problems: list[str]) -> None:
    def fail(constraint: str) -> None:
        problems.append(f"Value '{value}' at '{path}' failed to satisfy constraint: Member must {constraint}")

    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            child = f"{path}.{name[0].lower()}{name[1:]}" if path else f"{name[0].lower()}{name[1:]}"
            if value.get(name) is not None:
                _check(member, value[name], child, problems)
            elif name in shape.required_members:
                problems.append(f"Value null at '{child}' failed to satisfy constraint: Member must not be null")
    elif shape.type_name == "list":
        if low is not None and len(value) < low:
            fail(f"have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            fail(f"have length less than or equal to {high}")
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{path}.{index}.member", problems)
    elif shape.type_name == "string":
        if low is not None and len(value) < low:
            fail(f"have length greater than or equal to {low}")
        if high is not None and len(value) > high:
            fail(f"have length less than or equal to {high}")
        if shape.enum and value not in shape.enum:
            fail(f"satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = _compiled(shape.metadata.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            fail(f"satisfy regular expression pattern: {pattern.pattern}")
    elif shape.type_name in ("integer", "long"):
        if low is not None and value < low:
            fail(f"have value greater than or equal to {low}")
        if high is not None and value > high:
            fail(f"have value less than or equal to {high}")


@functools.cache
def _compiled(pattern: str | None):
    """The pattern as a Python regex; None where there is none or it uses Java-only syntax (\\p{L})."""
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None


def output_problems(shape, value, path: str = "") -> list[str]:
    """Where `value` (an answer, as JSON) breaks the output `shape` of the API model: a required
    member missing, a member that is null (AWS omits it instead), a wrong type, or a string outside
    the model's lengths, enum or pattern."""
    problems: list[str] = []
    _check_output(shape, value, path or shape.name, problems)
    return problems


def _check_output(shape, value, path: str, problems: list[str]) -> None:
    if value is None:
        problems.append(f"{path} is null: AWS omits a member it has no value for")
        return
    kind = shape.type_name
    expected = {
        "structure": dict,
        "map": dict,
        "list": list,
        "string": str,
        "boolean": bool,
        "integer": int,
        "long": int,
        "double": (int, float),
        "float": (int, float),
        "timestamp": (int, float, str),
        "blob": str,
    }.get(kind)
    if expected is not None and (not isinstance(value, expected) or (kind in ("integer", "long") and isinstance(value, bool))):
        problems.append(f"{path} is {type(value).__name__} {value!r}, the model says {kind}")
        return
    if kind == "structure":
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}.{name} is missing; the model requires it")
        for name, member in value.items():
            if name in shape.members:
                _check_output(shape.members[name], member, f"{path}.{name}", problems)
            else:
                problems.append(f"{path}.{name} is not a member of {shape.name}")
    elif kind == "list":
        for index, item in enumerate(value):
            _check_output(shape.member, item, f"{path}[{index}]", problems)
    elif kind == "map":
        for key, item in value.items():
            _check_output(shape.value, item, f"{path}[{key!r}]", problems)
    elif kind == "string":
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if (low is not None and len(value) < low) or (high is not None and len(value) > high):
            problems.append(f"{path} {value!r} has length {len(value)}, the model allows {low}..{high}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{path} {value!r} is not one of {shape.enum}")
        pattern = _compiled(shape.metadata.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(f"{path} {value!r} does not match the model's pattern {pattern.pattern}")
