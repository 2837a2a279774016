"""IAM eventual consistency: a role created a moment ago is not yet usable by SageMaker.

"Because IAM is eventually consistent, ... changes that you make [are not] immediately visible" and
a new role can fail to be assumed for a few seconds
(https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency).
SageMaker then refuses CreateDomain and CreateUserProfile with a ValidationException about the
execution role, as it does for a role it cannot assume ("Could not assume role ... Please ensure
that the role exists and allows principal 'sagemaker.amazonaws.com' to assume the role."). The
emulator refuses a role younger than `delays.role_propagation` seconds; roles it does not know (the
tests' made-up ARNs) are let through, as before.
"""

from moto.core.utils import utcnow
from moto.iam.models import iam_backends
from moto.sagemaker.exceptions import ValidationError

from . import delays


def check(account_id: str, role_arn: str | None) -> None:
    """Raise ValidationError if `role_arn` names an IAM role too young to be assumed yet."""
    if not role_arn or not role_arn.startswith("arn:"):
        return
    partition = role_arn.split(":")[1]
    try:
        roles = iam_backends[account_id][partition].roles.values()
    except KeyError:
        return
    role = next((r for r in roles if r.arn == role_arn), None)
    if role is None:
        return
    age = (utcnow() - role.create_date).total_seconds()
    if age < delays.current().role_propagation:
        raise ValidationError(
            f"Could not assume role {role_arn}. Please ensure that the role exists and allows principal "
            "'sagemaker.amazonaws.com' to assume the role."
        )
