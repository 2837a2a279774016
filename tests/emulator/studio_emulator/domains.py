"""SageMaker domains: moto has them; this makes their ids, URLs, status, SSO application, EFS volume,
update (UpdateDomain, which moto lacks) and deletion behave as AWS documents."""

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import Domain, SageMakerModelBackend, sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from . import role_propagation, sso_apps
from .ids import HEX, random_chars
from .lifecycle import Lifecycle
from .moto_patch import extend_init, graft
from .validation import validated


class StudioDomain(Domain):
    """moto's domain, whose status moves on as on AWS: Pending after CreateDomain, Updating after
    UpdateDomain, then InService (CreateDomain and UpdateDomain are asynchronous)."""

    def __init__(self, **settings):
        super().__init__(**settings)
        self.last_modified_time = self.creation_time
        self.lifecycle = Lifecycle("Pending", "InService")

    def describe(self) -> dict:
        return {**super().describe(), "Status": self.lifecycle.show()}

    def summary(self) -> dict:
        return {**super().summary(), "Status": self.lifecycle.show()}


class DomainBackend:
    def create_domain(self, **settings) -> dict:
        role_propagation.check(self.account_id, (settings.get("default_user_settings") or {}).get("ExecutionRole"))
        domain = StudioDomain(account_id=self.account_id, region_name=self.region_name, **settings)
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

    def update_domain(
        self,
        domain_id: str,
        default_user_settings: dict | None,
        domain_settings_for_update: dict | None,
        default_space_settings: dict | None,
        subnet_ids: list[str] | None,
        app_network_access_type: str | None,
        app_security_group_management: str | None,
        vpc_id: str | None = None,
    ) -> Domain:
        """UpdateDomain. A settings structure given replaces the top-level keys it names (as
        UpdateUserProfile does with UserSettings); any other member given replaces the domain's."""
        domain = self._domain(domain_id)
        # AppNetworkAccessType VpcOnly needs VpcId and SubnetIds in the same request ("VpcId and
        # Subnet IDs are required for updating domains to VpcOnly mode"; UpdateDomain's VpcId is
        # "required when the AppNetworkAccessType is set to VpcOnly",
        # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateDomain.html).
        if app_network_access_type == "VpcOnly" and (not vpc_id or not subnet_ids):
            raise ValidationError("VpcId and Subnet IDs are required for updating domains to VpcOnly mode")
        if vpc_id is not None and vpc_id != domain.vpc_id:
            raise ValidationError(f"VpcId {vpc_id} is not the VPC of domain {domain_id}; the VPC cannot be changed.")
        # "This configuration can only be modified if there are no apps in the InService, Pending, or
        # Deleting state", and likewise for removing subnets.
        changes_network = app_network_access_type not in (None, domain.app_network_access_type)
        removes_subnets = subnet_ids is not None and not set(domain.subnet_ids or []) <= set(subnet_ids)
        if (changes_network or removes_subnets) and any(
            app.domain_id == domain_id and app.lifecycle.current() != "Deleted" for app in self.apps.values()
        ):
            raise ResourceInUseException(
                f"Domain {domain_id} has apps: delete them before changing AppNetworkAccessType or removing subnets."
            )
        settings = dict(domain_settings_for_update or {})
        if "RStudioServerProDomainSettingsForUpdate" in settings:
            settings["RStudioServerProDomainSettings"] = settings.pop("RStudioServerProDomainSettingsForUpdate")
        domain.domain_settings = {**(domain.domain_settings or {}), **settings}
        domain.default_user_settings = {**(domain.default_user_settings or {}), **(default_user_settings or {})}
        domain.default_space_settings = {**(domain.default_space_settings or {}), **(default_space_settings or {})}
        domain.subnet_ids = subnet_ids if subnet_ids is not None else domain.subnet_ids
        domain.app_network_access_type = app_network_access_type or domain.app_network_access_type
        domain.app_security_group_management = app_security_group_management or domain.app_security_group_management
        domain.last_modified_time = utcnow()
        domain.lifecycle.begin("Updating", "InService")
        return domain

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

    @validated(ValidationError)
    def update_domain(self) -> ActionResult:
        domain = self.sagemaker_backend.update_domain(
            domain_id=self._get_param("DomainId"),
            default_user_settings=self._get_param("DefaultUserSettings"),
            domain_settings_for_update=self._get_param("DomainSettingsForUpdate"),
            default_space_settings=self._get_param("DefaultSpaceSettings"),
            subnet_ids=self._get_param("SubnetIds"),
            app_network_access_type=self._get_param("AppNetworkAccessType"),
            app_security_group_management=self._get_param("AppSecurityGroupManagement"),
            vpc_id=self._get_param("VpcId"),
        )
        return ActionResult({"DomainArn": domain.arn})


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
