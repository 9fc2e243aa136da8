"""`ampctl doctor`: read-only checks of a Kubecost-on-AMP install, and a diagnosis that combines them."""
