"""The sign-in page, signing out, and where signing in sends people next."""

import pytest

from meetings.accounts.views import safe_next_url
from tests.accounts.helpers import PASSWORD, Browser, csrf_token, log_in, make_user, page_csrf_token


@pytest.fixture()
def user(app):
    return make_user()


@pytest.fixture()
def client(app):
    """A browser: each request in its own app context, as on a server (see `Browser`)."""
    return Browser(app)


def sign_out(client):
    token = page_csrf_token(client.get("/").text)
    return client.post("/logout", data={"csrf_token": token})


def test_the_sign_in_page_has_a_form_with_a_csrf_token(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert "<form" in page.text and 'name="email"' in page.text and 'name="password"' in page.text
    assert csrf_token(client)


def test_signing_in_goes_to_the_dashboard(client, user):
    response = log_in(client, "ALICE@example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert "alice@example.com" in dashboard.text


def test_a_page_that_needs_a_login_comes_back_after_it(client, user):
    response = client.get("/meetings/1")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    token = csrf_token(client, login_url)
    response = client.post(login_url, data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/meetings/1"


@pytest.mark.parametrize("email, password", [
    ("alice@example.com", "wrong password"),
    ("alice@example.com", PASSWORD.upper()),
    ("bob@example.com", PASSWORD),
])
def test_wrong_credentials_are_refused(client, user, email, password):
    response = log_in(client, email, password)
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert client.get("/").status_code == 302


def test_an_empty_form_shows_the_form_again(client, user):
    response = log_in(client, "", "")
    assert response.status_code == 200
    assert 'name="password"' in response.text
    assert client.get("/").status_code == 302


def test_an_inactive_user_cannot_sign_in(client):
    make_user(active=False)
    response = log_in(client)
    assert response.status_code == 401
    assert "Wrong email or password." in response.text
    assert client.get("/").status_code == 302


def test_signing_in_needs_the_csrf_token(client, user):
    client.get("/login")
    response = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD})
    assert response.status_code == 400
    response = client.post("/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_the_sign_in_page_sends_a_signed_in_user_on(client, user):
    log_in(client)
    assert client.get("/login").headers["Location"] == "/"
    assert client.get("/login?next=/meetings/7").headers["Location"] == "/meetings/7"
    assert client.get("/login?next=//evil.example.com").headers["Location"] == "/"


def test_sign_out_is_a_post(client, user):
    log_in(client)
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200


def test_sign_out_needs_the_csrf_token(client, user):
    log_in(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200


def test_sign_out_ends_the_session_and_a_copied_cookie_stops_working(app, client, user):
    log_in(client)
    copied = client.get_cookie("session").value
    assert client.get("/").status_code == 200

    response = sign_out(client)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302

    thief = Browser(app)
    thief.set_cookie("session", copied)
    response = thief.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_sign_out_ends_the_users_other_sessions_too(app, client, user):
    other_browser = Browser(app)
    log_in(client)
    log_in(other_browser)
    assert other_browser.get("/").status_code == 200
    assert sign_out(client).status_code == 302
    assert other_browser.get("/").status_code == 302


def test_signing_in_again_after_sign_out_works(client, user):
    log_in(client)
    assert sign_out(client).status_code == 302
    assert log_in(client).status_code == 302
    assert client.get("/").status_code == 200


UNSAFE_NEXT = [
    "//evil.example.com",
    "///evil.example.com",
    "/\\evil.example.com",
    "\\\\evil.example.com",
    "https://evil.example.com",
    "https://evil.example.com/meetings/1",
    "http:evil.example.com",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "evil.example.com",
    "meetings/1",
    "/%0d%0aSet-Cookie:%20a=b",
    "/meetings/1%0D%0ALocation:%20https://evil.example.com",
    "/%250d%250aSet-Cookie:%20a=b",
    "/%2f%2fevil.example.com",
    "/%5cevil.example.com",
    "/\r\nSet-Cookie: a=b",
    "/\n/evil.example.com",
    "/\t/evil.example.com",
    "\t//evil.example.com",
    "/\x00",
    "/\x7f/evil.example.com",
    "/\x85/evil.example.com",
    " //evil.example.com",
    "https://[evil",
    "",
    None,
]

SAFE_NEXT = ["/", "/meetings/1", "/meetings/1?tab=agenda", "/meetings/1#agenda", "/search?q=50%25"]


@pytest.mark.parametrize("target", UNSAFE_NEXT)
def test_safe_next_url_sends_anything_off_site_to_the_dashboard(app, target):
    with app.test_request_context():
        assert safe_next_url(target) == "/"


@pytest.mark.parametrize("target", SAFE_NEXT)
def test_safe_next_url_lets_paths_of_this_app_through(app, target):
    with app.test_request_context():
        assert safe_next_url(target) == target


@pytest.mark.parametrize("query", [
    "?next=//evil.example.com",
    "?next=/%5Cevil.example.com",
    "?next=https://evil.example.com",
    "?next=javascript:alert(1)",
    "?next=/%0d%0aSet-Cookie:%20a=b",
    "?next=/%250d%250aSet-Cookie:%20a=b",
    "?next=/%09/evil.example.com",
])
def test_signing_in_never_sends_people_off_site(client, user, query):
    response = log_in(client, query=query)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_signing_in_follows_a_path_of_this_app(client, user):
    assert log_in(client, query="?next=/meetings/1").headers["Location"] == "/meetings/1"


def test_signing_in_starts_a_fresh_session(client, user):
    # A CSRF token read before signing in (say, by a page that planted it) is no good after it.
    before = csrf_token(client)
    client.post("/login", data={"email": "alice@example.com", "password": PASSWORD, "csrf_token": before})
    assert client.get("/").status_code == 200
    assert client.post("/logout", data={"csrf_token": before}).status_code == 400
    assert client.get("/").status_code == 200
