"""Random identifiers shaped like AWS's."""

import secrets
import string

LOWER_ALNUM = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"


def random_chars(length: int, alphabet: str = LOWER_ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))
