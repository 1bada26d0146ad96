"""The HTTP layer: one router per resource, plus what they share.

Handlers are thin: they declare parameters and responses (which is what the OpenAPI document
is made of), call one service through `deps.Db` (one worker-thread hop, one session) and shape
the HTTP response. `http` holds conditional GETs, ETags and the documented response shapes;
`middleware` request ids, HEAD and NUL refusal; `ratelimit` the rate limits. Nothing outside
this package imports it, except app/main.py, which assembles the application.
"""
