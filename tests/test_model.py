"""The values that cross process boundaries (leakguard git's workers send findings back)."""
from __future__ import annotations

import dataclasses
import pickle

from leakguard.model import Finding, Location, Origin, Remediation


def _every_field_set() -> Finding:
    """A finding whose every field differs from its default."""
    return Finding(
        rule_id="rule", description="desc", severity="high",
        origins=(Origin("commit", "a/b.py", "c0ffee", "Ann", "ann@example.org", "2024-01-02T03:04:05+00:00"),
                 Origin("file", "x")),
        location=Location(3, 4, 5, 6, 70, 80), secret="s3cr3t-value", secret_hash="ab" * 32,
        fingerprint="cd" * 32, entropy=3.25, line_text="token = s3cr3t-value", key="TOKEN", tags=("t1", "t2"),
        remediation=Remediation("store", "secretsmanager", "app/token", "why", "os.environ['TOKEN']", "python",
                                "aws secretsmanager create-secret ...", "revoke it first", (("k", "v"),)),
        occurrences=7, present_at_head=False, removed_in=Origin("commit", "a/b.py", "beef"), status="accepted",
        confidence="medium", decoded="base64", key_path="data.TOKEN", companions=(("id", "AKIA"),))


def test_a_finding_survives_pickling_field_for_field() -> None:
    f = _every_field_set()
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        g = pickle.loads(pickle.dumps(f, protocol))
        assert type(g) is Finding
        for name in (x.name for x in dataclasses.fields(Finding)):
            assert getattr(g, name) == getattr(f, name), name
        assert g == f


def test_origins_and_locations_survive_pickling() -> None:
    o, loc = Origin("staged", "p", None, None, None, None), Location(1, 2, 1, 9, 0, 7)
    assert pickle.loads(pickle.dumps((o, loc))) == (o, loc)
