"""The one-pass trigger in front of the managed-reference count agrees with the
plain check it replaced, and the count is unchanged."""
from __future__ import annotations

import pytest

from leakguard.remediation import managed

CASES = [
    b"",
    b"ssm",
    b"classmethod\n" * 50,  # 'ssm' inside a word: no trigger
    b"@classmethod\ndef f(cls): pass\n",
    b"x = '{{resolve:ssm:/app/db}}'\n",
    b"password: ${ssm:/prod/db/password}\n",
    b"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf\n",
    b"see /aws/reference/secretsmanager/app\n",
    b"spring.config.import=aws-parameterstore:/config/app/\n",
    b"SecretsManager in prose, not lower case\n",
    b"_ssm suffix\n",
    b"9ssm after a digit\n",
    b"classmethod" * 2000 + b"\n" + b'data "aws_ssm_parameter" "db" {}\n',
    b'"valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/db"\n',
]


def _plain(data: bytes) -> bool:
    return b"secretsmanager" in data or b"parameterstore" in data or managed._has_ssm(data)


@pytest.mark.parametrize("data", CASES)
def test_trigger_agrees_with_the_plain_check(data: bytes) -> None:
    assert managed.mentions_service(data) == _plain(data)


def test_counts() -> None:
    assert managed.count_managed_references(CASES[4] + CASES[5] + CASES[6] + CASES[12]) == 4
    assert managed.count_managed_references(CASES[2]) == 0
    assert managed.count_managed_references(CASES[13]) == 1
