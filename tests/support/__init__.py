"""What the tests share, importable as `tests.support.<module>`: expected values of the seeded
essay and problem-checking helpers (api), curation keys and helpers (curation), settings and API
keys for in-process clients (clients), the real console script (cli) and a real uvicorn server
on loopback (server). Fixtures live in tests/conftest.py."""
