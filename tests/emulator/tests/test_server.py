"""The entry point, and every service the Rust tests use answering on the one port."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from helpers import ACCOUNT_ID, EMULATOR_DIR, READY_LINE, start_emulator


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_prints_one_ready_line_and_exits_cleanly_on_signal(signum):
    process, line = start_emulator()
    match = READY_LINE.fullmatch(line.rstrip("\n"))
    assert match, line
    with socket.create_connection(("127.0.0.1", int(match.group(2))), timeout=5):
        pass
    process.send_signal(signum)
    assert process.wait(timeout=10) == 0
    assert process.stdout.read() == ""  # nothing after the ready line


def test_all_services_answer_on_one_port(client, identity_store):
    store, store_id = identity_store
    user_id = store.create_user(
        IdentityStoreId=store_id,
        UserName="one-port",
        DisplayName="One Port",
        Name={"GivenName": "O", "FamilyName": "P"},
    )["UserId"]
    assert store.describe_user(IdentityStoreId=store_id, UserId=user_id)["UserName"] == "one-port"
    assert client("sso-admin").list_instances()["Instances"][0]["IdentityStoreId"] == store_id
    assert "Domains" in client("sagemaker").list_domains()
    assert (
        client("iam").create_role(RoleName="one-port", AssumeRolePolicyDocument="{}")["Role"]["RoleName"] == "one-port"
    )
    assert client("sts").get_caller_identity()["Account"] == ACCOUNT_ID
    assert client("cognito-idp").create_user_pool(PoolName="one-port")["UserPool"]["Name"] == "one-port"
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName="one-port",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert "one-port" in dynamodb.list_tables()["TableNames"]


def test_exit_with_parent_stops_when_the_parent_dies(tmp_path):
    # A shell starts the emulator in the background and is then killed: the emulator must follow.
    pidfile = tmp_path / "pid"
    shell = subprocess.Popen(
        ["bash", "-c", f'{sys.executable} -m studio_emulator --port 0 --exit-with-parent & echo $! > {pidfile}; wait'],
        cwd=EMULATOR_DIR,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while not (pidfile.exists() and pidfile.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    emulator_pid = int(pidfile.read_text())
    time.sleep(2)  # let it start serving
    shell.kill()
    shell.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(emulator_pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(emulator_pid, signal.SIGKILL)
    raise AssertionError("the emulator outlived its parent")


def test_aws_managed_policies_exist_as_in_an_aws_account(client):
    policy = client("iam").get_policy(PolicyArn="arn:aws:iam::aws:policy/AmazonSageMakerFullAccess")["Policy"]
    assert policy["PolicyName"] == "AmazonSageMakerFullAccess"
