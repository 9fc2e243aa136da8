"""The Kubecost chart lines ampctl supports, one module each (v1: 1.x, v2: 2.x, v29: 2.9, v3: 3.x), each defining
`LINE` (ampctl.lines.base.Line). Which released version belongs to which line: the version table in ampctl.versions.
"""
