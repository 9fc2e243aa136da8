"""ampctl's table of the claims each chart line creates matches the real charts rendered with ampctl's values."""

from __future__ import annotations

from ampctl.storage.claims import claims
from tests.charts.conftest import Rendered, requires_charts


def _rendered_claims(r: Rendered) -> dict[str, str]:
    found = {
        o["metadata"]["name"]: o["spec"]["resources"]["requests"]["storage"] for o in r.of_kind("PersistentVolumeClaim")
    }
    for sts in r.of_kind("StatefulSet"):
        for vct in sts["spec"].get("volumeClaimTemplates") or []:
            name = f"{vct['metadata']['name']}-{sts['metadata']['name']}-0"
            found[name] = vct["spec"]["resources"]["requests"]["storage"]
    return found


@requires_charts
def test_claims_table_matches_every_rendered_chart(rendered: dict[str, Rendered]) -> None:
    for r in rendered.values():
        if r.case.version.startswith("3."):
            continue
        expected = {c.name: c.size for c in claims(r.case.version, r.case.primary, r.case.federated)}
        assert _rendered_claims(r) == expected, r.case.id
