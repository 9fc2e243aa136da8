"""Plan, then apply: steps that check the world with read-only calls, and an executor."""

from ampctl.plan.step import Action, Change, Step

__all__ = ["Action", "Change", "Step"]
