"""Resource statuses that move on by themselves, as AWS's do.

A transient status (Pending, Updating, Deleting) settles as soon as a caller has been shown it
once, or after SETTLE_SECONDS, whichever comes first: callers can observe it, and polling stays fast.
A lifecycle begun with `after=` seconds settles only once that time has passed, however often it is
shown: the slow behaviours (an app deleting, an Identity Center request in progress) use it.
"""

import time

SETTLE_SECONDS = 1.0
GONE = None  # the status a deleted resource settles to: it no longer exists


class Lifecycle:
    def __init__(self, status: str, settles_to: str | None, after: float | None = None):
        self.begin(status, settles_to, after)

    def begin(self, status: str, settles_to: str | None, after: float | None = None) -> None:
        self._status = status
        self._settles_to = settles_to
        self._since = time.monotonic()
        self._shown = False
        self._after = after

    @property
    def settled(self) -> bool:
        return self.current() == self._settles_to

    def current(self) -> str | None:
        """The status now, without counting as shown to a caller."""
        elapsed = time.monotonic() - self._since
        if self._after is not None:
            due = elapsed >= self._after
        else:
            due = self._shown or elapsed >= SETTLE_SECONDS
        if self._status != self._settles_to and due:
            self._status = self._settles_to
        return self._status

    def show(self) -> str | None:
        """The status now, as reported to a caller."""
        status = self.current()
        self._shown = True
        return status
