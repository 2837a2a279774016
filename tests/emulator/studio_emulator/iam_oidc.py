"""IAM OIDC provider client IDs: AddClientIDToOpenIDConnectProvider and
RemoveClientIDFromOpenIDConnectProvider, which moto lacks.

AWS documents both as idempotent: adding a client ID already registered, or removing one that is
not, succeeds and changes nothing. An unknown provider ARN is NoSuchEntity; a client ID is 1-255
characters, and a provider holds at most 100.
"""

from moto.core.responses import EmptyResult
from moto.iam.exceptions import LimitExceededException, ValidationError
from moto.iam.models import IAMBackend
from moto.iam.responses import IamResponse

from .moto_patch import graft

MAX_CLIENT_IDS = 100


class _Backend:
    def add_client_id_to_open_id_connect_provider(self, arn: str, client_id: str) -> None:
        provider = self.get_open_id_connect_provider(arn)
        if not 1 <= len(client_id) <= 255:
            raise ValidationError("ClientID must be between 1 and 255 characters long.")
        if client_id in provider.client_id_list:
            return
        if len(provider.client_id_list) >= MAX_CLIENT_IDS:
            raise LimitExceededException(f"Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: {MAX_CLIENT_IDS}")
        provider.client_id_list.append(client_id)

    def remove_client_id_from_open_id_connect_provider(self, arn: str, client_id: str) -> None:
        provider = self.get_open_id_connect_provider(arn)
        if client_id in provider.client_id_list:
            provider.client_id_list.remove(client_id)


class _Responses:
    def add_client_id_to_open_id_connect_provider(self):
        self.backend.add_client_id_to_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn"), self._get_param("ClientID")
        )
        return EmptyResult()

    def remove_client_id_from_open_id_connect_provider(self):
        self.backend.remove_client_id_from_open_id_connect_provider(
            self._get_param("OpenIDConnectProviderArn"), self._get_param("ClientID")
        )
        return EmptyResult()


def install() -> None:
    graft(IAMBackend, _Backend)
    graft(IamResponse, _Responses)
