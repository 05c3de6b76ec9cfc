import pytest


@pytest.fixture(scope="session")
def ar24_mock_settings():
    # Plain JSON answers keep this example short; strict mode is the default
    # (see the README's "Strict mode in five minutes" for a signing client).
    return {"auth": "plain"}
