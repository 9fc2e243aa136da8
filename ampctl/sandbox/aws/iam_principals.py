"""IAM's check of the principals a trust policy names, with its eventual consistency.

A role trust policy (CreateRole, UpdateAssumeRolePolicy) that names an IAM role or user which does not exist is
refused: `MalformedPolicyDocument: Invalid principal in policy: "AWS":"<ARN>"` (IAM User Guide, "Troubleshoot IAM
policies", "Invalid principal in policy"; "IAM JSON policy elements: Principal", "IAM role principals": IAM turns
the ARN into the principal's unique id when the policy is saved). A principal created moments ago is not yet seen
everywhere (IAM User Guide, "Troubleshoot general issues", "Changes that I make are not always immediately visible",
troubleshoot_general.html#troubleshoot_general_eventual-consistency; that the refusal is then this same error comes
from public reports, not from AWS's pages: an assumption, and a caller that retries it works either way): for
`Faults.iam_propagation_seconds` after a CreateRole (0, off, by default) a trust naming that role is refused the
same way, so that a test can exercise a caller's retry. moto checks neither.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from ampctl.sandbox.aws.world import AwsWorld

Answer = tuple[int, list[tuple[str, str]], bytes]
_PRINCIPAL = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")
_DOCUMENT_FIELD = {"CreateRole": "AssumeRolePolicyDocument", "UpdateAssumeRolePolicy": "PolicyDocument"}

_LOCK = threading.Lock()
_CREATED: dict[str, float] = {}  # role ARN -> monotonic time of its CreateRole


def _aws_principals(document: Any) -> list[str]:
    found = []
    statements = document.get("Statement") if isinstance(document, dict) else None
    for st in [statements] if isinstance(statements, dict) else statements or []:
        principal = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(principal, dict):
            value = principal.get("AWS", [])
            found += [str(v) for v in (value if isinstance(value, list) else [value])]
    return found


def _exists(aws: AwsWorld, account: str, kind: str, name: str) -> bool:
    iam = aws.client("iam", account=account)
    try:
        iam.get_role(RoleName=name) if kind == "role" else iam.get_user(UserName=name)
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


def _malformed(principal: str) -> Answer:
    from xml.sax.saxutils import escape

    message = f'Invalid principal in policy: "AWS":"{principal}"'
    out = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
        f"<Code>MalformedPolicyDocument</Code><Message>{escape(message)}</Message></Error>"
        "<RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>"
    ).encode()
    return 400, [("Content-Type", "text/xml"), ("Content-Length", str(len(out)))], out


def judge_trust(aws: AwsWorld, action: str, account: str, body: bytes, propagation: float, forward: Any) -> Answer:
    """CreateRole / UpdateAssumeRolePolicy: refused while a named principal is unknown (or too new), else forwarded."""
    form = dict(parse_qsl(body.decode(errors="replace")))
    try:
        document = json.loads(form.get(_DOCUMENT_FIELD[action], "") or "{}")
    except ValueError:
        return forward()  # moto answers a document that is not JSON
    now = time.monotonic()
    for principal in _aws_principals(document):
        match = _PRINCIPAL.match(principal)
        if match is None:
            continue  # an account, root, a wildcard: nothing to look up
        with _LOCK:
            created = _CREATED.get(principal)
        if created is not None and now - created < propagation:
            return _malformed(principal)
        emulated = (aws.config.account, aws.config.workspace_account)  # another account's roles are taken as existing
        if match.group(1) in emulated and not _exists(aws, match.group(1), match.group(2), match.group(3)):
            return _malformed(principal)
    answer = forward()
    found = re.search(rb"<Arn>([^<]+)</Arn>", answer[2])
    if action == "CreateRole" and 200 <= answer[0] < 300 and found:
        with _LOCK:
            _CREATED[found.group(1).decode()] = time.monotonic()
    return answer
