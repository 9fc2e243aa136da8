"""Everything ampctl derives from a spec, as pure functions: Helm values (`values`), the objects applied
besides the chart (`objects`), the helm command line (`command`) and the whole render tree (`tree`).
Nothing here talks to AWS, Kubernetes or helm.
"""
