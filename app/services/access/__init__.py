"""Who may write: issuing, listing and revoking API keys, for the CLI and /v1/keys alike.

Verifying a presented secret (hashing, constant-time comparison, the actor it gives) lives in
app/auth.py, which every layer uses; this package holds the key records' own lifecycle.
"""
