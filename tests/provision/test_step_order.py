"""What the helm install waits for: everything its pods use, and not the steps they do not."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import ampctl.provision
from ampctl.plan.step import Step
from ampctl.provision.steps_helm import InstallKubecost

# Made or found for the install's values (workspace), by it (release), or used by nothing the pods read.
# The 2.x accounts a cluster moved to 3.x drops go after the install (their pods use them until then).
NOT_WAITED_FOR = {"workspace", "release", "rules", "fleet-shape", "amp-service-accounts"}


def _provision_steps() -> list[type[Step[object]]]:
    found = []
    for info in pkgutil.iter_modules(ampctl.provision.__path__):
        module = importlib.import_module(f"ampctl.provision.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Step) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_the_install_waits_for_every_step_its_pods_use() -> None:
    given = {name for cls in _provision_steps() for name in cls.gives}
    assert "roles" in given and "secrets" in given  # the walk found the steps
    assert given - NOT_WAITED_FOR == set(InstallKubecost.after)


def test_the_2x_accounts_go_only_after_the_3x_release_is_in() -> None:
    from ampctl.provision.steps_moved import RemoveAmpServiceAccount

    assert "release" in RemoveAmpServiceAccount.after


def test_the_install_does_not_wait_for_the_recording_rules_or_the_shape_tags() -> None:
    assert not {"rules", "fleet-shape"} & set(InstallKubecost.after)
