"""Settings and API keys for tests that drive the app in process (TestClient)."""

from __future__ import annotations

from dataclasses import dataclass

from app.config import Settings, get_settings
from app.models.api_key import Scope


def app_settings(**overrides: object) -> Settings:
    """The configured settings, with rate limits off unless a test asks for them: hundreds of
    requests from one TestClient "address" are the point of several tests, not abuse."""
    values: dict[str, object] = {"rate_limit_anonymous": "", "rate_limit_key": "", **overrides}
    return get_settings().model_copy(update=values)


@dataclass(frozen=True)
class Keys:
    """API keys made with the real key service, as ready-to-send headers."""

    ids: dict[str, str]
    secrets: dict[str, str]

    def __getitem__(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets[who]}"}


KEY_SCOPES = {
    "alice": [Scope.annotate],
    "bob": [Scope.annotate],
    "carol": [Scope.curate],
    "admin": [Scope.admin],
}
