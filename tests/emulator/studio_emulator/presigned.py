"""CreatePresignedDomainUrl, and redeeming the single-use token in the URL it returns.

AWS's presigned URL signs the user in once, within ExpiresInSeconds. Here the token in the URL is
redeemed with GET /_studio/redeem?token=... (see server.py), whatever host the URL names.
"""

import re
import secrets
import threading
import time
from dataclasses import asdict, dataclass

from moto.core.responses import ActionResult
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.responses import SageMakerResponse

from .moto_patch import graft
from .validation import validated

DEFAULT_EXPIRES_IN_SECONDS = 300
DEFAULT_SESSION_EXPIRATION_DURATION_IN_SECONDS = 43200
LANDING_URI = re.compile(r"studio::.*|app:(JupyterServer|JupyterLab|RStudioServerPro|CodeEditor|Canvas):.*")


@dataclass
class Grant:
    domain_id: str
    user_profile_name: str
    space_name: str | None
    landing_uri: str | None
    session_expiration_duration_in_seconds: int


@dataclass
class _Token:
    grant: Grant
    expires_at: float  # time.monotonic()
    used: bool = False


_tokens: dict[str, _Token] = {}
_tokens_lock = threading.Lock()


def redeem(token: str) -> tuple[int, dict]:
    """Use up a token: HTTP status and body for GET /_studio/redeem."""
    with _tokens_lock:
        entry = _tokens.get(token)
        if entry is None:
            return 403, {"valid": False, "reason": "unknown", **dict.fromkeys(Grant.__dataclass_fields__)}
        if entry.used:
            return 410, {"valid": False, "reason": "already used", **asdict(entry.grant)}
        if time.monotonic() >= entry.expires_at:
            return 410, {"valid": False, "reason": "expired", **asdict(entry.grant)}
        entry.used = True
        return 200, {"valid": True, "reason": "ok", **asdict(entry.grant)}


class PresignedResponses:
    @validated(ValidationError)
    def create_presigned_domain_url(self) -> ActionResult:
        backend = self.sagemaker_backend
        domain = backend._domain(self._get_param("DomainId"))
        profile = backend._user_profile(domain.id, self._get_param("UserProfileName"))
        if domain.auth_mode != "IAM":
            raise ValidationError("CreatePresignedDomainUrl can only be called when the domain's AuthMode is IAM.")
        space_name = self._get_param("SpaceName")
        if space_name is not None:
            backend._space(domain.id, space_name)
        landing_uri = self._get_param("LandingUri")
        if landing_uri is not None and not LANDING_URI.fullmatch(landing_uri):
            raise ValidationError(
                f"LandingUri {landing_uri} is not one of studio::<path> or app:<JupyterServer|JupyterLab|"
                "RStudioServerPro|CodeEditor|Canvas>:<path>."
            )
        grant = Grant(
            domain_id=domain.id,
            user_profile_name=profile.name,
            space_name=space_name,
            landing_uri=landing_uri,
            session_expiration_duration_in_seconds=self._get_param(
                "SessionExpirationDurationInSeconds", DEFAULT_SESSION_EXPIRATION_DURATION_IN_SECONDS
            ),
        )
        expires_in = self._get_param("ExpiresInSeconds", DEFAULT_EXPIRES_IN_SECONDS)
        token = secrets.token_urlsafe(32)
        with _tokens_lock:
            _tokens[token] = _Token(grant, expires_at=time.monotonic() + expires_in)
        return ActionResult(
            {"AuthorizedUrl": f"https://{domain.id}.studio.{domain.region_name}.sagemaker.aws/auth?token={token}"}
        )


def install() -> None:
    graft(SageMakerResponse, PresignedResponses)
