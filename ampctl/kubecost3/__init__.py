"""Kubecost 3.x (the `kubecost` chart): the fleet shape it records on the shared bucket (the line itself:
ampctl.lines.v3)."""
