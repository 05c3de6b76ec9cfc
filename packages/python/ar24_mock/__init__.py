"""Start the AR24 mock from Python tests.

    import ar24_mock

    with ar24_mock.start(auth="plain") as mock:
        requests.post(mock.base_url + "user", data={"token": mock.token, ...})
        mock.emails(to="jeanne@example.fr", kind="cgu")

Settings are the mock's flags (``ar24-mock --help``), underscores for dashes:
``start(auth="plain", notify_delay=60, cgu_preaccepted=True)``. The binary is the
one this package installed, or ``AR24_MOCK_BIN``.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import threading
import time
import urllib.parse
import urllib.request

__all__ = ["Mock", "Partner", "start", "binary"]


def binary():
    """The ar24-mock executable: ``AR24_MOCK_BIN``, else the one installed with this package."""
    explicit = os.environ.get("AR24_MOCK_BIN")
    if explicit:
        return explicit
    scripts = sysconfig.get_path("scripts")
    for candidate in (os.path.join(scripts, "ar24-mock"), shutil.which("ar24-mock")):
        if candidate and os.path.exists(candidate):
            return candidate
    raise FileNotFoundError("no ar24-mock binary: install the ar24-mock wheel or set AR24_MOCK_BIN")


def _flags(settings):
    flags = []
    for name, value in settings.items():
        flag = "--" + name.replace("_", "-")
        if value is True:
            flags.append(flag)
        elif value is not None and value is not False:
            flags += [flag, str(value)]
    return flags


class _Control:
    """Calls to the mock's control plane (``/_mock/``)."""

    def __init__(self, url, control_token=None):
        self.url = url
        self._token = control_token

    def call(self, method, path, body=None, query=None):
        url = self.url + "_mock/" + path + ("?" + urllib.parse.urlencode(query) if query else "")
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("accept", "application/json")
        if data is not None:
            request.add_header("content-type", "application/json")
        if self._token:
            request.add_header("authorization", "Bearer " + self._token)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


class Partner:
    """One partner of a running mock: its credentials, its outbox, its reset."""

    def __init__(self, control, token, private_key):
        self._control = control
        self.url = control.url
        self.base_url = control.url + "api/"
        self.token = token
        self.private_key = private_key

    def emails(self, to=None, kind=None):
        """The emails AR24 sent for this partner, oldest first, filtered by recipient and kind."""
        query = {key: value for key, value in (("to", to), ("kind", kind)) if value}
        return [e for e in self._control.call("GET", "emails", query=query) if e["partner"] == self.token]

    def click(self, link):
        """What a person does with an email's button: follows its link."""
        request = urllib.request.Request(link, data=b"", method="POST", headers={"accept": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def reset(self):
        """Forgets what this partner made (or, with a seed, goes back to its part of it)."""
        self._control.call("POST", "partners/" + urllib.parse.quote(self.token, safe="") + "/reset")


class Mock(Partner):
    """A running mock, as its default partner. Stop it with ``stop()`` or a ``with`` block."""

    def __init__(self, process, url, token, private_key, control_token=None):
        super().__init__(_Control(url, control_token), token, private_key)
        self._process = process

    def emails(self, to=None, kind=None):
        """Every email in the outbox, oldest first, filtered by recipient and kind."""
        query = {key: value for key, value in (("to", to), ("kind", kind)) if value}
        return self._control.call("GET", "emails", query=query)

    def reset(self):
        """Forgets every user, email, letter (or, with a seed, goes back to it); partners stay."""
        self._control.call("POST", "reset")

    def new_partner(self, **settings):
        """A partner of its own (its token and key generated), for a test that runs beside others."""
        made = self._control.call("POST", "partners", body=settings)
        return Partner(self._control, made["token"], made["private_key"])

    def stop(self):
        """Stops the mock and waits for it."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start(timeout=20.0, **settings):
    """Starts a mock on a free port, waits until it is healthy, and answers its handle."""
    settings = dict(settings)
    settings.setdefault("port", 0)
    settings.setdefault("quiet", True)
    command = [binary()] + _flags(settings)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    banner = {}
    deadline = time.monotonic() + timeout
    for line in process.stdout:
        name, _, value = line.strip().partition(" : ")
        banner[name.strip()] = value.strip()
        if "mailbox" in banner:
            break
    if "API base URL" not in banner:
        # No banner: the mock stopped at start (its reason is on stderr).
        process.kill()
        error = process.stderr.read()
        raise RuntimeError("ar24-mock did not start: " + (error.strip() or "no banner"))
    # Keep reading both pipes, so the mock never blocks on a full one.
    for stream in (process.stdout, process.stderr):
        threading.Thread(target=stream.read, daemon=True).start()
    url = banner["API base URL"][: -len("api/")]
    mock = Mock(process, url, banner["token"], banner["private key"], settings.get("control_token"))
    while True:
        try:
            mock._control.call("GET", "health")
            return mock
        except OSError:
            if time.monotonic() > deadline:
                mock.stop()
                raise RuntimeError("ar24-mock did not become healthy within %s s" % timeout)
            time.sleep(0.05)


if __name__ == "__main__":  # pragma: no cover
    os.execv(binary(), [binary()] + sys.argv[1:])
