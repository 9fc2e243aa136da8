"""`ampctl status`: read-only state of every cluster of a fleet, gathered concurrently."""
