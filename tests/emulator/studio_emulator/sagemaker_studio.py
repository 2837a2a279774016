"""SageMaker Studio user profiles, spaces and apps, which moto 5.2.5 lacks, and tagging them and domains by ARN.

Teardown order is enforced as on AWS: an app must be deleted before its space or user profile, a
space before its owner, and user profiles and spaces before their domain (ResourceInUse otherwise).
An app takes time to delete: it is `Deleting` for `delays.app_deletion` seconds, then `Deleted`, and
counts as an app of its owner until then.
"""

import itertools
from operator import attrgetter

from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ResourceInUseException, ResourceNotFound, ValidationError
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.responses import SageMakerResponse
from moto.utilities.paginator import paginate

from . import delays, role_propagation, sso_apps
from .lifecycle import GONE, Lifecycle
from .moto_patch import extend_init, graft
from .validation import validated

PAGINATION_MODEL = {
    operation: {
        "input_token": "next_token",
        "limit_key": "max_results",
        "limit_default": 10,
        "unique_attribute": "arn",
    }
    for operation in ("list_user_profiles", "list_spaces", "list_apps")
}
_moto_resource_from_arn = SageMakerModelBackend._get_resource_from_arn


def merge_tags(*tag_lists: list[dict] | None) -> list[dict]:
    """Tags from all lists; a later tag replaces an earlier one of the same key."""
    merged = {tag["Key"]: tag for tags in tag_lists for tag in tags or []}
    return list(merged.values())


class StudioResource:
    """What user profiles, spaces and apps share: ARN, tags, times, status."""

    def __init__(self, arn: str, tags: list[dict] | None):
        self.arn = arn
        self.tags = tags or []
        self.creation_time = self.last_modified_time = utcnow()
        self.lifecycle = Lifecycle("Pending", "InService")


class UserProfile(StudioResource):
    def __init__(self, domain, name, sso_identifier, sso_value, user_settings, tags, efs_uid):
        super().__init__(
            f"arn:aws:sagemaker:{domain.region_name}:{domain.account_id}:user-profile/{domain.id}/{name}", tags
        )
        self.domain_id = domain.id
        self.name = name
        self.sso_identifier = sso_identifier
        self.sso_value = sso_value
        self.user_settings = user_settings
        self.efs_uid = efs_uid

    def describe(self) -> dict:
        return {
            "DomainId": self.domain_id,
            "UserProfileArn": self.arn,
            "UserProfileName": self.name,
            "HomeEfsFileSystemUid": self.efs_uid,
            "Status": self.lifecycle.show(),
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SingleSignOnUserIdentifier": self.sso_identifier,
            "SingleSignOnUserValue": self.sso_value,
            "UserSettings": self.user_settings,
        }

    def summary(self) -> dict:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.name,
            "Status": self.lifecycle.show(),
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
        }


class Space(StudioResource):
    def __init__(self, domain, name, settings, ownership, sharing, display_name, tags, efs_uid):
        super().__init__(f"arn:aws:sagemaker:{domain.region_name}:{domain.account_id}:space/{domain.id}/{name}", tags)
        self.domain_id = domain.id
        self.name = name
        self.settings = settings
        self.ownership = ownership
        self.sharing = sharing
        self.display_name = display_name
        self.efs_uid = efs_uid

    @property
    def owner(self) -> str | None:
        return (self.ownership or {}).get("OwnerUserProfileName")

    def describe(self) -> dict:
        return {
            "DomainId": self.domain_id,
            "SpaceArn": self.arn,
            "SpaceName": self.name,
            "HomeEfsFileSystemUid": self.efs_uid,
            "Status": self.lifecycle.show(),
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SpaceSettings": self.settings,
            "OwnershipSettings": self.ownership,
            "SpaceSharingSettings": self.sharing,
            "SpaceDisplayName": self.display_name,
        }

    def summary(self) -> dict:
        return {
            "DomainId": self.domain_id,
            "SpaceName": self.name,
            "Status": self.lifecycle.show(),
            "CreationTime": self.creation_time,
            "LastModifiedTime": self.last_modified_time,
            "SpaceSettingsSummary": {"AppType": (self.settings or {}).get("AppType")},
            "SpaceSharingSettingsSummary": self.sharing,
            "OwnershipSettingsSummary": self.ownership,
            "SpaceDisplayName": self.display_name,
        }


def app_arn(domain, owner_name: str, app_type: str, name: str) -> str:
    return (
        f"arn:aws:sagemaker:{domain.region_name}:{domain.account_id}:app/"
        f"{domain.id}/{owner_name}/{app_type.lower()}/{name}"
    )


class App(StudioResource):
    """An app of a user profile or of a space. Deleting it leaves it listed with status Deleted."""

    def __init__(self, domain, user_profile_name, space_name, app_type, name, resource_spec, tags):
        super().__init__(app_arn(domain, user_profile_name or space_name, app_type, name), tags)
        self.domain_id = domain.id
        self.user_profile_name = user_profile_name
        self.space_name = space_name
        self.app_type = app_type
        self.name = name
        self.resource_spec = resource_spec

    def describe(self) -> dict:
        return {**self.summary(), "AppArn": self.arn}

    def summary(self) -> dict:
        return {
            "DomainId": self.domain_id,
            "UserProfileName": self.user_profile_name,
            "SpaceName": self.space_name,
            "AppType": self.app_type,
            "AppName": self.name,
            "Status": self.lifecycle.show(),
            "CreationTime": self.creation_time,
            "ResourceSpec": self.resource_spec,
        }


def _sorted(resources, sort_by: str | None, sort_order: str | None) -> list:
    key = "last_modified_time" if sort_by == "LastModifiedTime" else "creation_time"
    return sorted(resources, key=attrgetter(key), reverse=sort_order == "Descending")


class StudioBackend:
    def _live(self, resources: dict) -> dict:
        """`resources`, without those whose deletion has completed."""
        for key in [key for key, resource in resources.items() if resource.lifecycle.current() is GONE]:
            del resources[key]
        return resources

    # User profiles: keyed by (domain id, lower-cased name), as AWS treats the name case-insensitively.

    def _user_profile(self, domain_id: str, name: str) -> UserProfile:
        self._domain(domain_id)
        profile = self._live(self.user_profiles).get((domain_id, name.lower()))
        if profile is None:
            raise ResourceNotFound(f"User profile {name} does not exist in domain {domain_id}.")
        return profile

    def create_user_profile(self, domain_id, name, sso_identifier, sso_value, user_settings, tags) -> UserProfile:
        domain = self._domain(domain_id)
        role_propagation.check(domain.account_id, (user_settings or {}).get("ExecutionRole"))
        if domain.auth_mode == "SSO":
            if sso_identifier is None or sso_value is None:
                raise ValidationError(
                    "SingleSignOnUserIdentifier and SingleSignOnUserValue are required in a domain whose AuthMode is SSO."
                )
            if not sso_apps.directory_has_user(domain.account_id, domain.region_name, sso_value):
                raise ValidationError(f"SingleSignOnUserValue {sso_value} is not a user name in the directory.")
        elif sso_identifier is not None or sso_value is not None:
            raise ValidationError(
                "SingleSignOnUserIdentifier and SingleSignOnUserValue cannot be specified in a domain whose AuthMode is IAM."
            )
        key = (domain_id, name.lower())
        if key in self._live(self.user_profiles):
            raise ResourceInUseException(f"User profile {name} already exists in domain {domain_id}.")
        profile = UserProfile(domain, name, sso_identifier, sso_value, user_settings, tags, str(next(self.efs_uids)))
        self.user_profiles[key] = profile
        return profile

    def update_user_profile(self, domain_id: str, name: str, user_settings: dict | None) -> UserProfile:
        profile = self._user_profile(domain_id, name)
        profile.user_settings = {**(profile.user_settings or {}), **(user_settings or {})}
        profile.last_modified_time = utcnow()
        profile.lifecycle.begin("Updating", "InService")
        return profile

    def delete_user_profile(self, domain_id: str, name: str) -> None:
        profile = self._user_profile(domain_id, name)
        apps = self._apps_of(domain_id, user_profile_name=profile.name)
        spaces = [s for s in self._live(self.spaces).values() if s.domain_id == domain_id and s.owner == profile.name]
        if apps or spaces:
            raise ResourceInUseException(
                f"User profile {name} still has apps or owns spaces: delete them before the user profile."
            )
        profile.lifecycle.begin("Deleting", GONE)

    @paginate(PAGINATION_MODEL)
    def list_user_profiles(self, domain_id, name_contains, sort_by, sort_order) -> list[UserProfile]:
        profiles = [
            p
            for p in self._live(self.user_profiles).values()
            if domain_id in (None, p.domain_id) and (name_contains or "").lower() in p.name.lower()
        ]
        return _sorted(profiles, sort_by, sort_order)

    # Spaces

    def _space(self, domain_id: str, name: str) -> Space:
        self._domain(domain_id)
        space = self._live(self.spaces).get((domain_id, name))
        if space is None:
            raise ResourceNotFound(f"Space {name} does not exist in domain {domain_id}.")
        return space

    def create_space(self, domain_id, name, settings, ownership, sharing, display_name, tags) -> Space:
        domain = self._domain(domain_id)
        if ownership:
            self._user_profile(domain_id, ownership["OwnerUserProfileName"])
        if (domain_id, name) in self._live(self.spaces):
            raise ResourceInUseException(f"Space {name} already exists in domain {domain_id}.")
        space = Space(domain, name, settings, ownership, sharing, display_name, tags, str(next(self.efs_uids)))
        self.spaces[(domain_id, name)] = space
        return space

    def delete_space(self, domain_id: str, name: str) -> None:
        space = self._space(domain_id, name)
        if self._apps_of(domain_id, space_name=name):
            raise ResourceInUseException(f"Space {name} still has apps: delete them before the space.")
        space.lifecycle.begin("Deleting", GONE)

    @paginate(PAGINATION_MODEL)
    def list_spaces(self, domain_id, name_contains, sort_by, sort_order) -> list[Space]:
        spaces = [
            s
            for s in self._live(self.spaces).values()
            if domain_id in (None, s.domain_id) and (name_contains or "") in s.name
        ]
        return _sorted(spaces, sort_by, sort_order)

    # Apps: keyed by ARN; a Deleted app stays listed until an app of the same ARN replaces it.

    def _apps_of(self, domain_id: str, user_profile_name=None, space_name=None) -> list[App]:
        """The apps of that user profile or space that are not Deleted."""
        return [
            app
            for app in self.apps.values()
            if (app.domain_id, app.user_profile_name, app.space_name) == (domain_id, user_profile_name, space_name)
            and app.lifecycle.current() != "Deleted"
        ]

    def _app_owner(self, domain_id, user_profile_name, space_name) -> UserProfile | Space:
        if (user_profile_name is None) == (space_name is None):
            raise ValidationError("Exactly one of UserProfileName and SpaceName must be specified.")
        if user_profile_name is not None:
            return self._user_profile(domain_id, user_profile_name)
        return self._space(domain_id, space_name)

    def _app(self, domain_id, user_profile_name, space_name, app_type, name) -> App:
        """The app, even when Deleted."""
        owner = self._app_owner(domain_id, user_profile_name, space_name)
        app = self.apps.get(app_arn(self._domain(domain_id), owner.name, app_type, name))
        if app is None:
            raise ResourceNotFound(f"App {app_type} {name} of {owner.name} does not exist.")
        return app

    def create_app(self, domain_id, user_profile_name, space_name, app_type, name, resource_spec, tags) -> App:
        domain = self._domain(domain_id)
        owner = self._app_owner(domain_id, user_profile_name, space_name)
        existing = self.apps.get(app_arn(domain, owner.name, app_type, name))
        if existing is not None and existing.lifecycle.current() != "Deleted":
            raise ResourceInUseException(f"App {existing.arn} already exists.")
        if isinstance(owner, UserProfile):
            app = App(
                domain, owner.name, None, app_type, name, resource_spec, merge_tags(domain.tags, owner.tags, tags)
            )
        else:
            app = App(domain, None, owner.name, app_type, name, resource_spec, merge_tags(domain.tags, tags))
        self.apps[app.arn] = app
        return app

    def delete_app(self, domain_id, user_profile_name, space_name, app_type, name) -> None:
        app = self._app(domain_id, user_profile_name, space_name, app_type, name)
        if app.lifecycle.current() == "Deleted":
            raise ResourceNotFound(f"App {app.arn} has already been deleted.")
        # DeleteApp is asynchronous: the app is Deleting (AppStatus: Deleted | Deleting | Failed |
        # InService | Pending), and DeleteSpace / DeleteUserProfile answer ResourceInUse until it is
        # Deleted (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeleteApp.html,
        # https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-running-stop.html).
        app.lifecycle.begin("Deleting", "Deleted", after=delays.current().app_deletion)

    @paginate(PAGINATION_MODEL)
    def list_apps(self, domain_id, user_profile_name, space_name, sort_order) -> list[App]:
        if user_profile_name is not None and space_name is not None:
            raise ValidationError("UserProfileNameEquals and SpaceNameEquals cannot both be specified.")
        apps = [
            app
            for app in self.apps.values()
            if domain_id in (None, app.domain_id)
            and user_profile_name in (None, app.user_profile_name)
            and space_name in (None, app.space_name)
        ]
        return _sorted(apps, "CreationTime", sort_order)

    # Tags (AddTags, ListTags, DeleteTags) for Studio resources and domains; AddTags replaces tags of
    # the same key.

    def _get_resource_from_arn(self, arn: str):
        resource_type = arn.split(":")[-1].split("/")[0]
        resources = {
            "domain": self.domains,
            "user-profile": self.user_profiles,
            "space": self.spaces,
            "app": self.apps,
        }.get(resource_type)
        if resources is None:
            return _moto_resource_from_arn(self, arn)
        for resource in self._live(resources).values():
            if resource.arn == arn:
                return resource
        raise ValidationError(f"Could not find {resource_type} {arn}.")

    def add_tags(self, arn: str, tags: list[dict]) -> list[dict]:
        resource = self._get_resource_from_arn(arn)
        resource.tags = merge_tags(resource.tags, tags)
        return resource.tags


class StudioResponses:
    def _app_key(self) -> dict:
        return {
            "domain_id": self._get_param("DomainId"),
            "user_profile_name": self._get_param("UserProfileName"),
            "space_name": self._get_param("SpaceName"),
            "app_type": self._get_param("AppType"),
            "name": self._get_param("AppName"),
        }

    @validated(ValidationError)
    def create_user_profile(self) -> ActionResult:
        profile = self.sagemaker_backend.create_user_profile(
            domain_id=self._get_param("DomainId"),
            name=self._get_param("UserProfileName"),
            sso_identifier=self._get_param("SingleSignOnUserIdentifier"),
            sso_value=self._get_param("SingleSignOnUserValue"),
            user_settings=self._get_param("UserSettings"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"UserProfileArn": profile.arn})

    @validated(ValidationError)
    def describe_user_profile(self) -> ActionResult:
        backend = self.sagemaker_backend
        profile = backend._user_profile(self._get_param("DomainId"), self._get_param("UserProfileName"))
        return ActionResult(profile.describe())

    @validated(ValidationError)
    def update_user_profile(self) -> ActionResult:
        profile = self.sagemaker_backend.update_user_profile(
            self._get_param("DomainId"), self._get_param("UserProfileName"), self._get_param("UserSettings")
        )
        return ActionResult({"UserProfileArn": profile.arn})

    @validated(ValidationError)
    def delete_user_profile(self) -> ActionResult:
        self.sagemaker_backend.delete_user_profile(self._get_param("DomainId"), self._get_param("UserProfileName"))
        return EmptyResult()

    @validated(ValidationError)
    def list_user_profiles(self) -> ActionResult:
        profiles, next_token = self.sagemaker_backend.list_user_profiles(
            domain_id=self._get_param("DomainIdEquals"),
            name_contains=self._get_param("UserProfileNameContains"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return ActionResult({"UserProfiles": [p.summary() for p in profiles], "NextToken": next_token})

    @validated(ValidationError)
    def create_space(self) -> ActionResult:
        space = self.sagemaker_backend.create_space(
            domain_id=self._get_param("DomainId"),
            name=self._get_param("SpaceName"),
            settings=self._get_param("SpaceSettings"),
            ownership=self._get_param("OwnershipSettings"),
            sharing=self._get_param("SpaceSharingSettings"),
            display_name=self._get_param("SpaceDisplayName"),
            tags=self._get_param("Tags"),
        )
        return ActionResult({"SpaceArn": space.arn})

    @validated(ValidationError)
    def describe_space(self) -> ActionResult:
        space = self.sagemaker_backend._space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return ActionResult(space.describe())

    @validated(ValidationError)
    def delete_space(self) -> ActionResult:
        self.sagemaker_backend.delete_space(self._get_param("DomainId"), self._get_param("SpaceName"))
        return EmptyResult()

    @validated(ValidationError)
    def list_spaces(self) -> ActionResult:
        spaces, next_token = self.sagemaker_backend.list_spaces(
            domain_id=self._get_param("DomainIdEquals"),
            name_contains=self._get_param("SpaceNameContains"),
            sort_by=self._get_param("SortBy"),
            sort_order=self._get_param("SortOrder"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return ActionResult({"Spaces": [s.summary() for s in spaces], "NextToken": next_token})

    @validated(ValidationError)
    def create_app(self) -> ActionResult:
        app = self.sagemaker_backend.create_app(
            **self._app_key(), resource_spec=self._get_param("ResourceSpec"), tags=self._get_param("Tags")
        )
        return ActionResult({"AppArn": app.arn})

    @validated(ValidationError)
    def describe_app(self) -> ActionResult:
        return ActionResult(self.sagemaker_backend._app(**self._app_key()).describe())

    @validated(ValidationError)
    def delete_app(self) -> ActionResult:
        self.sagemaker_backend.delete_app(**self._app_key())
        return EmptyResult()

    @validated(ValidationError)
    def list_apps(self) -> ActionResult:
        apps, next_token = self.sagemaker_backend.list_apps(
            domain_id=self._get_param("DomainIdEquals"),
            user_profile_name=self._get_param("UserProfileNameEquals"),
            space_name=self._get_param("SpaceNameEquals"),
            sort_order=self._get_param("SortOrder"),
            max_results=self._get_param("MaxResults"),
            next_token=self._get_param("NextToken"),
        )
        return ActionResult({"Apps": [a.summary() for a in apps], "NextToken": next_token})


def _add_state(backend: SageMakerModelBackend) -> None:
    backend.user_profiles = {}
    backend.spaces = {}
    backend.apps = {}
    backend.efs_uids = itertools.count(200001)


def install() -> None:
    extend_init(SageMakerModelBackend, _add_state)
    graft(SageMakerModelBackend, StudioBackend)
    graft(SageMakerResponse, StudioResponses)
