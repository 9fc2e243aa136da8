"""The sandbox's AWS: moto behind SigV4 checks, IAM evaluation and fault injection.

Import from the defining submodules (`emulator`, `middleware`, `iam_eval`, `sigv4`, …); this
package imports none of them.
"""
