"""The wheel's fixture, as a partner's test suite uses it: create a user, make
them ready to send, send a letter, and read the recipient's notification."""

import json
import urllib.parse
import urllib.request


def call(partner, method, route, **params):
    query = urllib.parse.urlencode({"token": partner.token, **params})
    if method == "GET":
        request = urllib.request.Request(partner.base_url + route + "?" + query)
    else:
        request = urllib.request.Request(partner.base_url + route, data=query.encode(), method=method)
    with urllib.request.urlopen(request) as response:
        answer = json.loads(response.read())
    assert answer["status"] == "SUCCESS", answer
    return answer.get("result")


def test_a_user_sends_a_letter_and_the_recipient_is_notified(ar24_mock):
    user = call(ar24_mock, "POST", "user", firstname="Jeanne", lastname="Martin", email="jeanne@example.fr",
                gender="F", statut="particulier", address1="12 rue de Rivoli", zipcode="75004",
                city="Paris", country="FR", confirmed=1)
    call(ar24_mock, "POST", "user/request_cgu", id_user=user["id"])
    ar24_mock.click(ar24_mock.emails(to="jeanne@example.fr", kind="cgu")[-1]["link"])
    link = call(ar24_mock, "POST", "user/payment_request", id_user=user["id"], get_link=1)["link"]
    ar24_mock.click(link)
    letter = call(ar24_mock, "POST", "mail", id_user=user["id"], to_email="paul@example.fr", dest_statut="particulier",
                  to_firstname="Paul", to_lastname="Durand", content="Mise en demeure")
    notified = ar24_mock.emails(to="paul@example.fr", kind="letter")
    assert len(notified) == 1 and "Martin Jeanne" in notified[0]["body"]
    assert call(ar24_mock, "GET", "mail", id=letter["id"])["status"] == "ev"


def test_each_test_has_its_own_partner_so_the_same_address_is_free_again(ar24_mock):
    # The previous test's partner was reset: this partner sees nobody, and the address is free.
    assert call(ar24_mock, "GET", "user/list")["users"] == []
    call(ar24_mock, "POST", "user", firstname="Jeanne", lastname="Martin", email="jeanne@example.fr",
         gender="F", statut="particulier", address1="12 rue de Rivoli", zipcode="75004",
         city="Paris", country="FR")


def test_start_answers_a_handle_that_stops_with_its_block():
    import ar24_mock

    with ar24_mock.start(auth="plain", notify_delay=60) as mock:
        assert mock.base_url.startswith("http://127.0.0.1:") and mock.base_url.endswith("/api/")
        assert (mock.token, mock.private_key) == ("ar24-mock-token", "ar24-mock-private-key")
        assert mock.emails() == []
    assert mock._process.poll() is not None, "stopped at the end of the block"


def test_a_locked_mock_is_driven_with_its_control_token():
    import urllib.error

    import ar24_mock

    with ar24_mock.start(auth="plain", control_token="s3cret") as mock:
        assert mock.emails() == [], "the handle sends the token"
        try:
            urllib.request.urlopen(mock.url + "_mock/emails")
            raise AssertionError("a call without the token is refused")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
