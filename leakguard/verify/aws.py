"""The AWS verifier: STS GetCallerIdentity, signed with the found key pair.

GetCallerIdentity needs no permission and changes nothing; it answers with the
account id and the ARN of the key's owner. botocore honours
``AWS_ENDPOINT_URL_STS`` / ``AWS_ENDPOINT_URL`` (so tests point it at a local
moto server). The found key pair is passed explicitly: no profile, environment
credential or session token of the user's is ever mixed in.
"""
from __future__ import annotations

import os

from leakguard.model import Verification
from leakguard.verify.http import VerifyUnavailable

_INACTIVE = {
    "InvalidClientTokenId": "the key id is unknown to AWS (deleted or never valid)",
    "SignatureDoesNotMatch": "the key id exists but this secret does not match it",
    "ExpiredToken": "the credentials have expired",
    "InvalidAccessKeyId": "the key id is unknown to AWS",
    "AccessDenied": "AWS refused the credentials",
}
_THROTTLED = {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}


def check(key_id: str, secret_key: str, timeout: float) -> Verification:
    try:
        import botocore.config
        import botocore.exceptions
        import botocore.session
    except ImportError:
        return Verification("unknown", "AWS verification needs botocore: install leakguard with its aws extra")
    if key_id.startswith("ASIA"):
        return Verification("unknown", "temporary (ASIA) keys need their session token, which was not found")
    session = botocore.session.Session()
    session.set_config_variable("credentials_file", os.devnull)  # never read the user's profiles
    cfg = botocore.config.Config(connect_timeout=timeout, read_timeout=timeout, retries={"max_attempts": 1})
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    client = session.create_client("sts", region_name=region, aws_access_key_id=key_id,
                                   aws_secret_access_key=secret_key, aws_session_token=None, config=cfg)
    try:
        ident = client.get_caller_identity()
    except botocore.exceptions.ClientError as e:
        code = str(e.response.get("Error", {}).get("Code", ""))
        if code in _INACTIVE:
            if code == "SignatureDoesNotMatch":
                return Verification("unknown", _INACTIVE[code], verifier="aws-sts")
            return Verification("inactive", _INACTIVE[code], verifier="aws-sts")
        if code in _THROTTLED:
            raise VerifyUnavailable("rate-limited (AWS throttling)") from None
        return Verification("unknown", f"unexpected AWS answer ({code or 'no code'})", verifier="aws-sts")
    except (botocore.exceptions.ConnectTimeoutError, botocore.exceptions.ReadTimeoutError):
        raise VerifyUnavailable("timeout", retry=False) from None
    except botocore.exceptions.BotoCoreError as e:
        raise VerifyUnavailable(f"network error ({type(e).__name__})") from None
    finally:
        client.close()
    identity = tuple((k, str(ident[v])) for k, v in (("account", "Account"), ("arn", "Arn"), ("user_id", "UserId"))
                     if ident.get(v))
    return Verification("active", "STS GetCallerIdentity succeeded", identity, "aws-sts")
