"""The one exception tree of leakguard.

    LeakguardError            exit 2 unless a subclass says otherwise
    +-- UsageError            bad command line
    +-- ConfigError           bad config or baseline file
    +-- RuleError             bad rule file (names the file and rule)
    +-- SourceError           path missing, not a git repository, git missing ...

Per-file problems (unreadable, binary, too large) are not exceptions: sources
yield :class:`leakguard.model.Skipped` values and the scan goes on.
"""
from __future__ import annotations


class LeakguardError(Exception):
    exit_code = 2


class UsageError(LeakguardError):
    pass


class ConfigError(LeakguardError):
    pass


class RuleError(LeakguardError):
    pass


class SourceError(LeakguardError):
    pass
