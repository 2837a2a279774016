"""Resource statuses that move on by themselves, as AWS's do.

A transient status (Pending, Updating, Deleting) settles as soon as a caller has been shown it
once, or after SETTLE_SECONDS, whichever comes first: callers can observe it, and polling stays fast.
"""

import time

SETTLE_SECONDS = 1.0
GONE = None  # the status a deleted resource settles to: it no longer exists


class Lifecycle:
    def __init__(self, status: str, settles_to: str | None):
        self.begin(status, settles_to)

    def begin(self, status: str, settles_to: str | None) -> None:
        self._status = status
        self._settles_to = settles_to
        self._since = time.monotonic()
        self._shown = False

    def current(self) -> str | None:
        """The status now, without counting as shown to a caller."""
        due = self._shown or time.monotonic() - self._since >= SETTLE_SECONDS
        if self._status != self._settles_to and due:
            self._status = self._settles_to
        return self._status

    def show(self) -> str | None:
        """The status now, as reported to a caller."""
        status = self.current()
        self._shown = True
        return status
