"""SageMaker domains: moto has them; this makes their ids, URLs, SSO application, EFS volume and
deletion behave as AWS documents."""

from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import Domain, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from . import sso_apps
from .ids import HEX, random_chars
from .moto_patch import extend_init, graft
from .validation import validated


class DomainBackend:
    def create_domain(self, **settings) -> dict:
        domain = Domain(account_id=self.account_id, region_name=self.region_name, **settings)
        domain.id = f"d-{random_chars(12)}"
        domain.arn = f"arn:aws:sagemaker:{self.region_name}:{self.account_id}:domain/{domain.id}"
        domain.url = f"https://{domain.id}.studio.{self.region_name}.sagemaker.aws"
        domain.tags = settings["tags"] or []
        domain.home_efs_file_system_id = f"fs-{random_chars(17, HEX)}"
        self.efs_file_systems[domain.home_efs_file_system_id] = {"domain_id": domain.id, "state": "in-use"}
        if domain.auth_mode == "SSO":
            application_arn = sso_apps.register_application(
                self.account_id, self.region_name, name=f"SageMakerStudio-{domain.id}"
            )
            domain.single_sign_on_managed_application_arn = application_arn
            domain.single_sign_on_managed_application_instance_id = application_arn.rsplit("/", 1)[-1]
        else:
            domain.single_sign_on_managed_application_arn = None
            domain.single_sign_on_managed_application_instance_id = None
        self.domains[domain.id] = domain
        return {"DomainArn": domain.arn, "Url": domain.url}

    def _domain(self, domain_id: str) -> Domain:
        if domain_id not in self.domains:
            raise ResourceNotFound(f"Domain {domain_id} does not exist.")
        return self.domains[domain_id]

    def describe_domain(self, domain_id: str) -> dict:
        return self._domain(domain_id).describe()

    def delete_domain(self, domain_id: str, retention_policy: dict | None) -> None:
        domain = self._domain(domain_id)
        members = [
            resource
            for resources in (self.user_profiles, self.spaces)
            for resource in self._live(resources).values()
            if resource.domain_id == domain_id
        ]
        if members:
            raise ResourceInUseException(
                f"Domain {domain_id} still has user profiles or spaces: delete them before the domain."
            )
        retain = (retention_policy or {}).get("HomeEfsFileSystem", "Retain") == "Retain"
        self.efs_file_systems[domain.home_efs_file_system_id]["state"] = "retained" if retain else "deleted"
        if domain.single_sign_on_managed_application_arn:
            sso_apps.remove_application(
                self.account_id, self.region_name, domain.single_sign_on_managed_application_arn
            )
        self.apps = {arn: app for arn, app in self.apps.items() if app.domain_id != domain_id}
        del self.domains[domain_id]


class DomainResponses:
    create_domain = validated(ValidationError)(SageMakerResponse.create_domain)
    describe_domain = validated(ValidationError)(SageMakerResponse.describe_domain)
    delete_domain = validated(ValidationError)(SageMakerResponse.delete_domain)


def efs_file_systems() -> list[dict]:
    """Every domain's home EFS volume, in state in-use, or retained or deleted after DeleteDomain."""
    return [
        {"file_system_id": fs_id, **record}
        for _, _, backend in sagemaker_backends.iter_backends()
        for fs_id, record in backend.efs_file_systems.items()
    ]


def install() -> None:
    extend_init(SageMakerModelBackend, lambda backend: setattr(backend, "efs_file_systems", {}))
    graft(SageMakerModelBackend, DomainBackend)
    graft(SageMakerResponse, DomainResponses)
