"""Kubecost 3.x (the `kubecost` chart): its chart line, and the fleet shape it records on the shared bucket."""
