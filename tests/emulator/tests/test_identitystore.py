"""identitystore UpdateUser, UpdateGroup and uniqueness rules (create, update, membership)."""

import uuid

import pytest
from helpers import aws_error

MISSING_ID = "00000000-0000-0000-0000-000000000000"


def _user(identity_store, **overrides):
    client, store_id = identity_store
    user_name = overrides.pop("UserName", f"user-{uuid.uuid4().hex[:8]}@example.com")
    return client.create_user(
        IdentityStoreId=store_id,
        UserName=user_name,
        DisplayName=overrides.pop("DisplayName", "Ada Lovelace"),
        Name={"GivenName": "Ada", "FamilyName": "Lovelace"},
        Emails=[{"Value": user_name, "Type": "work", "Primary": True}],
        **overrides,
    )["UserId"]


def _group(identity_store, display_name=None):
    client, store_id = identity_store
    display_name = display_name or f"group-{uuid.uuid4().hex[:8]}"
    return client.create_group(IdentityStoreId=store_id, DisplayName=display_name, Description="before")["GroupId"]


@pytest.fixture
def user(identity_store):
    return _user(identity_store)


@pytest.fixture
def group(identity_store):
    return _group(identity_store)


def test_update_user_replaces_the_named_attributes(identity_store, user):
    client, store_id = identity_store
    client.update_user(
        IdentityStoreId=store_id,
        UserId=user,
        Operations=[
            {"AttributePath": "displayName", "AttributeValue": "Ada King"},
            {"AttributePath": "name.familyName", "AttributeValue": "King"},
            {"AttributePath": "name.givenName", "AttributeValue": "Augusta"},
            {"AttributePath": "emails", "AttributeValue": [{"value": "ada@example.com", "type": "work", "primary": True}]},
        ],
    )
    described = client.describe_user(IdentityStoreId=store_id, UserId=user)
    assert described["DisplayName"] == "Ada King"
    assert (described["Name"]["GivenName"], described["Name"]["FamilyName"]) == ("Augusta", "King")
    assert described["Emails"] == [{"Value": "ada@example.com", "Type": "work", "Primary": True}]
    listed = client.list_users(IdentityStoreId=store_id)["Users"]
    assert [u["DisplayName"] for u in listed if u["UserId"] == user] == ["Ada King"]


def test_update_user_of_an_unknown_user_is_resource_not_found(identity_store):
    client, store_id = identity_store
    with aws_error("ResourceNotFoundException"):
        client.update_user(
            IdentityStoreId=store_id,
            UserId=MISSING_ID,
            Operations=[{"AttributePath": "displayName", "AttributeValue": "x"}],
        )


def test_update_user_with_an_unknown_attribute_path_is_a_validation_error(identity_store, user):
    client, store_id = identity_store
    with aws_error("ValidationException"):
        client.update_user(
            IdentityStoreId=store_id, UserId=user, Operations=[{"AttributePath": "shoeSize", "AttributeValue": "9"}]
        )
    assert client.describe_user(IdentityStoreId=store_id, UserId=user)["DisplayName"] == "Ada Lovelace"


def test_update_user_without_operations_is_a_validation_error(identity_store, user):
    client, store_id = identity_store
    with aws_error("ValidationException"):
        client.update_user(IdentityStoreId=store_id, UserId=user, Operations=[])


def test_update_user_cannot_remove_a_required_attribute(identity_store, user):
    client, store_id = identity_store
    with aws_error("ValidationException"):
        client.update_user(IdentityStoreId=store_id, UserId=user, Operations=[{"AttributePath": "displayName"}])


def test_update_user_to_a_taken_user_name_is_a_conflict(identity_store, user):
    client, store_id = identity_store
    taken = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    _user(identity_store, UserName=taken)
    with aws_error("ConflictException"):
        client.update_user(
            IdentityStoreId=store_id, UserId=user, Operations=[{"AttributePath": "userName", "AttributeValue": taken}]
        )


def test_create_user_with_a_taken_user_name_is_a_conflict(identity_store):
    taken = f"taken-{uuid.uuid4().hex[:8]}@example.com"
    _user(identity_store, UserName=taken)
    with aws_error("ConflictException"):
        _user(identity_store, UserName=taken)


def test_update_group_replaces_display_name_and_description(identity_store, group):
    client, store_id = identity_store
    name = f"renamed-{uuid.uuid4().hex[:8]}"
    client.update_group(
        IdentityStoreId=store_id,
        GroupId=group,
        Operations=[
            {"AttributePath": "displayName", "AttributeValue": name},
            {"AttributePath": "description", "AttributeValue": "after"},
        ],
    )
    described = client.describe_group(IdentityStoreId=store_id, GroupId=group)
    assert (described["DisplayName"], described["Description"]) == (name, "after")


def test_update_group_of_an_unknown_group_is_resource_not_found(identity_store):
    client, store_id = identity_store
    with aws_error("ResourceNotFoundException"):
        client.update_group(
            IdentityStoreId=store_id,
            GroupId=MISSING_ID,
            Operations=[{"AttributePath": "description", "AttributeValue": "x"}],
        )


def test_update_group_with_an_unknown_attribute_path_is_a_validation_error(identity_store, group):
    client, store_id = identity_store
    with aws_error("ValidationException"):
        client.update_group(
            IdentityStoreId=store_id, GroupId=group, Operations=[{"AttributePath": "colour", "AttributeValue": "red"}]
        )


def test_update_group_to_a_taken_display_name_is_a_conflict(identity_store, group):
    client, store_id = identity_store
    taken = f"taken-{uuid.uuid4().hex[:8]}"
    _group(identity_store, taken)
    with aws_error("ConflictException"):
        client.update_group(
            IdentityStoreId=store_id, GroupId=group, Operations=[{"AttributePath": "displayName", "AttributeValue": taken}]
        )


def test_create_group_with_a_taken_display_name_is_a_conflict(identity_store):
    taken = f"taken-{uuid.uuid4().hex[:8]}"
    _group(identity_store, taken)
    with aws_error("ConflictException"):
        _group(identity_store, taken)


def test_duplicate_group_membership_is_a_conflict(identity_store, user, group):
    client, store_id = identity_store
    client.create_group_membership(IdentityStoreId=store_id, GroupId=group, MemberId={"UserId": user})
    with aws_error("ConflictException"):
        client.create_group_membership(IdentityStoreId=store_id, GroupId=group, MemberId={"UserId": user})
