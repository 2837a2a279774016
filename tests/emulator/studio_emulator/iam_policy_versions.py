"""IAM ListPolicyVersions without the policy documents, as AWS answers it.

"Document: The policy document. ... This element is included in the response to the
GetPolicyVersion operation. It is not included in the response to the ListPolicyVersions or
GetAccountAuthorizationDetails operations." (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyVersion.html)
moto includes it.
"""

from moto.core.responses import ActionResult
from moto.iam.responses import IamResponse


class _Responses:
    def list_policy_versions(self) -> ActionResult:
        versions = self.backend.list_policy_versions(self._get_param("PolicyArn"))
        return ActionResult(
            {
                "Versions": [
                    {"VersionId": v.version_id, "IsDefaultVersion": v.is_default, "CreateDate": v.create_date}
                    for v in versions
                ],
                "IsTruncated": False,
            }
        )


def install() -> None:
    IamResponse.list_policy_versions = _Responses.list_policy_versions
