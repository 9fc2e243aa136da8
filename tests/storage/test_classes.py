"""The storage verdicts, from the facts as read from a cluster."""

from __future__ import annotations

from ampctl.storage.classes import StorageFacts, judge

GP2 = {"gp2": "kubernetes.io/aws-ebs", "auto": "ebs.csi.eks.amazonaws.com", "efs": "efs.csi.aws.com"}


def facts(**kw: object) -> StorageFacts:
    base: dict = {"classes": GP2, "default": None, "auto_mode": False, "addon": None, "controller_ready": 0}
    return StorageFacts(**{**base, **kw})


def test_verdicts() -> None:
    assert not judge(facts(), None).ok  # no default class
    assert "none runs" in judge(facts(), "gp2").how
    assert judge(facts(addon={"status": "ACTIVE"}), "gp2").how.endswith("(add-on ACTIVE)")
    assert "self-managed kube-system/ebs-csi-controller, 2 ready" in judge(facts(controller_ready=2), "gp2").how
    assert judge(facts(driver_coming=True, coming={"ebs-csi-default-sc": "ebs.csi.aws.com"}), "ebs-csi-default-sc").ok
    assert not judge(facts(), "auto").ok and judge(facts(auto_mode=True), "auto").ok
    assert judge(facts(), "efs").ok and "not checked" in judge(facts(), "efs").how
    assert "does not exist" in judge(facts(), "missing").how
