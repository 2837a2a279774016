"""Constants, the emulator process and assertions shared by the tests."""

import re
import select
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"  # moto's account for any access key it does not know
REGION = "us-east-1"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/studio-execution"
VPC_ID = "vpc-0123456789abcdef0"  # the VPC of the conftest domains
EMULATOR_DIR = Path(__file__).resolve().parents[1]
READY_LINE = re.compile(r"studio-emulator ready on (http://127\.0\.0\.1:(\d+))")


def start_emulator() -> tuple[subprocess.Popen, str]:
    """Start `python -m studio_emulator` on a free port; return it with its first stdout line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "studio_emulator", "--host", "127.0.0.1", "--port", "0"],
        cwd=EMULATOR_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    ready, _, _ = select.select([process.stdout], [], [], 30)
    if not ready:
        process.kill()
        raise RuntimeError("the emulator printed nothing within 30 s")
    return process, process.stdout.readline()


@contextmanager
def aws_error(code: str):
    """Expect the block to fail with the AWS error `code`."""
    with pytest.raises(ClientError) as excinfo:
        yield excinfo
    assert excinfo.value.response["Error"]["Code"] == code, excinfo.value


def wait_until_gone(describe, timeout: float = 5.0) -> None:
    """Call describe() until it fails with ResourceNotFound, as a client waiting for a deletion does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFound", error
            return
        time.sleep(0.1)
    raise AssertionError(f"still there after {timeout} s")


def wait_for_status(describe, status: str, timeout: float = 5.0, key: str = "Status") -> dict:
    """Call describe() until its answer's `key` is `status`; return that answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = describe()
        if answer[key] == status:
            return answer
        time.sleep(0.05)
    raise AssertionError(f"not {status} after {timeout} s: {answer}")
