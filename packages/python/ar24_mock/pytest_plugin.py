"""pytest fixtures for the AR24 mock (registered through the ``pytest11`` entry point).

- ``ar24_mock``: a partner of its own for each test (token and private key),
  reset after the test: tests do not see each other's users, emails or letters,
  and can run in parallel (pytest-xdist: one mock per worker).
- ``ar24_mock_server``: the one mock of the session (its default partner).
- ``ar24_mock_settings``: the mock's settings; override it in a ``conftest.py``::

      @pytest.fixture(scope="session")
      def ar24_mock_settings():
          return {"auth": "plain"}
"""

import pytest

import ar24_mock as _ar24_mock


@pytest.fixture(scope="session")
def ar24_mock_settings():
    """The mock's settings (its flags, underscores for dashes). Default: none."""
    return {}


@pytest.fixture(scope="session")
def ar24_mock_server(ar24_mock_settings):
    """One mock for the whole session."""
    mock = _ar24_mock.start(**ar24_mock_settings)
    yield mock
    mock.stop()


@pytest.fixture
def ar24_mock(ar24_mock_server):
    """A partner of its own for this test, reset after it."""
    partner = ar24_mock_server.new_partner(name="pytest")
    yield partner
    partner.reset()
