"""Videoconference providers: Jitsi rooms and tokens, BigBlueButton create and join, fixed links.

BigBlueButton is a real HTTP server on loopback that checks every call's checksum by the API's
own rules (computed here, not with the code under test) and answers as BigBlueButton does.
"""

from __future__ import annotations

import hashlib
import secrets
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest

from meetings.conferencing import providers
from meetings.conferencing.providers import ProviderError, join_url, provider_for
from meetings.core.roles import Role
from meetings.scheduling.models import VcProvider

JITSI_SECRET = "jitsi-app-secret-for-the-tests-0123456789"
BBB_SECRET = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
PERSON = SimpleNamespace(name="Daan Bakker", email="Daan.Bakker@roof.example.nl")

MODERATORS = [Role.CHAIR, Role.SITE_HOST]
NOT_MODERATORS = [Role.SPEAKER, Role.PARTICIPANT, Role.OBSERVER]


def make_meeting(hours: float = 1, starts_in: timedelta = timedelta(minutes=10), vc_room=None):
    start = datetime.now(timezone.utc).replace(microsecond=0) + starts_in
    return SimpleNamespace(id=7, uid="20260630-ops@meetings.example.com", title="Mid-year operation meeting",
                           start_at=start, end_at=start + timedelta(hours=hours),
                           vc_room=vc_room if vc_room is not None else secrets.token_hex(12))


def make_site(provider=None, name="Rotterdam plant", vc_url=None, site_id=3):
    return SimpleNamespace(id=site_id, name=name, vc_provider=provider, vc_url=vc_url)


def query_of(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


# --- Jitsi -------------------------------------------------------------------------------------

@pytest.fixture()
def jitsi(app, monkeypatch):
    """Jitsi with token authentication."""
    monkeypatch.setitem(app.config, "JITSI_BASE_URL", "https://meet.example.com")
    monkeypatch.setitem(app.config, "JITSI_APP_ID", "meetings-app")
    monkeypatch.setitem(app.config, "JITSI_APP_SECRET", JITSI_SECRET)
    return app


def claims_of(url: str) -> dict:
    token = query_of(url)["jwt"]
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}  # prosody requires typ JWT
    return jwt.decode(token, key=JITSI_SECRET, algorithms=["HS256"], audience="jitsi")


def test_without_app_credentials_jitsi_is_a_plain_room_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "JITSI_BASE_URL", "https://meet.jit.si/")
    monkeypatch.setitem(app.config, "JITSI_APP_ID", None)
    monkeypatch.setitem(app.config, "JITSI_APP_SECRET", None)
    meeting = make_meeting()
    assert join_url(meeting, make_site("jitsi"), PERSON, Role.PARTICIPANT) == f"https://meet.jit.si/{meeting.vc_room}"


def test_a_jitsi_token_carries_every_claim_prosody_checks(jitsi):
    meeting = make_meeting(hours=1)
    before = int(time.time())
    url = join_url(meeting, make_site("jitsi"), PERSON, Role.PARTICIPANT)
    after = int(time.time())

    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "meet.example.com", f"/{meeting.vc_room}")
    claims = claims_of(url)
    assert claims["aud"] == "jitsi" and isinstance(claims["aud"], str)
    assert claims["iss"] == "meetings-app"
    assert claims["sub"] == "meet.example.com"
    assert claims["room"] == parts.path.lstrip("/") == meeting.vc_room
    assert before <= claims["iat"] <= after
    assert claims["nbf"] == claims["iat"] - 5 * 60
    # A one-hour meeting ends well within two hours: the token gets the two-hour minimum.
    assert claims["exp"] == claims["iat"] + 2 * 3600
    user = claims["context"]["user"]
    assert user["name"] == "Daan Bakker"
    assert user["email"] == "Daan.Bakker@roof.example.nl"
    assert user["moderator"] == "false"
    assert user["id"].startswith("person-") and "roof" not in user["id"]


def test_a_jitsi_token_lasts_past_the_end_of_a_long_meeting_but_never_past_twelve_hours(jitsi):
    long_meeting = make_meeting(hours=5)
    claims = claims_of(join_url(long_meeting, make_site("jitsi"), PERSON, Role.CHAIR))
    assert claims["exp"] == int((long_meeting.end_at + timedelta(minutes=30)).timestamp())

    all_day = make_meeting(hours=20)
    claims = claims_of(join_url(all_day, make_site("jitsi"), PERSON, Role.CHAIR))
    assert claims["exp"] == claims["iat"] + 12 * 3600


@pytest.mark.parametrize("role, moderator", [(role, "true") for role in MODERATORS]
                         + [(role, "false") for role in NOT_MODERATORS])
def test_the_chair_and_site_hosts_are_jitsi_moderators(jitsi, role, moderator):
    claims = claims_of(join_url(make_meeting(), make_site("jitsi"), PERSON, role))
    assert claims["context"]["user"]["moderator"] == moderator


def test_a_room_system_joins_jitsi_under_the_site_name(jitsi):
    site = make_site("jitsi", name="Rotterdam plant, room 2")
    user = claims_of(join_url(make_meeting(), site, None, None))["context"]["user"]
    assert user == {"id": f"site-{site.id}", "name": "Rotterdam plant, room 2", "moderator": "false"}


def test_every_site_of_a_meeting_joins_its_one_unguessable_jitsi_room(jitsi):
    meeting, other_meeting = make_meeting(), make_meeting()
    first, second = make_site("jitsi", site_id=3), make_site("jitsi", name="Lyon", site_id=4)
    first_url, second_url = (join_url(meeting, site, PERSON, Role.PARTICIPANT) for site in (first, second))
    assert urlsplit(first_url).path == urlsplit(second_url).path == f"/{meeting.vc_room}"
    assert claims_of(first_url)["room"] == claims_of(second_url)["room"] == meeting.vc_room
    elsewhere = join_url(other_meeting, first, PERSON, Role.PARTICIPANT)
    assert urlsplit(elsewhere).path == f"/{other_meeting.vc_room}" != urlsplit(first_url).path


def test_a_jitsi_tenant_is_the_token_subject(jitsi, monkeypatch):
    monkeypatch.setitem(jitsi.config, "JITSI_BASE_URL", "https://meet.example.com/Operations/")
    meeting = make_meeting()
    url = join_url(meeting, make_site("jitsi"), PERSON, Role.PARTICIPANT)
    assert url.startswith(f"https://meet.example.com/Operations/{meeting.vc_room}?jwt=")
    assert claims_of(url)["sub"] == "operations"


@pytest.mark.parametrize("setting, value, message", [
    ("JITSI_APP_SECRET", None, "both JITSI_APP_ID and JITSI_APP_SECRET"),
    ("JITSI_APP_ID", "", "both JITSI_APP_ID and JITSI_APP_SECRET"),
    ("JITSI_APP_SECRET", "short-secret", "at least 32"),
    ("JITSI_BASE_URL", "meet.example.com", r"JITSI_BASE_URL must be an http\(s\) address"),
])
def test_a_misconfigured_jitsi_is_a_provider_error(jitsi, monkeypatch, setting, value, message):
    monkeypatch.setitem(jitsi.config, setting, value)
    with pytest.raises(ProviderError, match=message):
        join_url(make_meeting(), make_site("jitsi"), PERSON, Role.PARTICIPANT)


@pytest.mark.parametrize("vc_room", ["", "abc", "0123456789abcdef/../other", "0123456789abcdef?x=1"])
def test_a_meeting_without_a_safe_room_name_is_a_provider_error(jitsi, vc_room):
    with pytest.raises(ProviderError, match="vc_room"):
        join_url(make_meeting(vc_room=vc_room), make_site("jitsi"), PERSON, Role.PARTICIPANT)


# --- BigBlueButton -----------------------------------------------------------------------------

_ALGORITHMS = {40: hashlib.sha1, 64: hashlib.sha256, 96: hashlib.sha384, 128: hashlib.sha512}


def bbb_checksum_ok(call: str, raw_query: str, secret: str) -> bool:
    """BigBlueButton's rule: the checksum parameter is cut from the query exactly as sent, then
    sha(call name + that query + shared secret), the algorithm told by the checksum's length."""
    checksum = query_of("?" + raw_query).get("checksum", "")
    query = raw_query.replace("&checksum=" + checksum, "")
    algorithm = _ALGORITHMS.get(len(checksum))
    return bool(algorithm) and algorithm((call + query + secret).encode("utf-8")).hexdigest() == checksum


class FakeBigBlueButton:
    """A BigBlueButton server on 127.0.0.1: checks checksums, keeps the calls, answers XML."""

    def __init__(self, secret: str):
        self.secret = secret
        self.calls: list[SimpleNamespace] = []
        self.create_times: dict[str, str] = {}
        #: ok, failed, not_xml, error_500 or slow.
        self.mode = "ok"
        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def answer(self, path: str, raw_query: str) -> tuple[int, str, str]:
        call = path.rsplit("/", 1)[-1]
        params = query_of("?" + raw_query)
        checksum_ok = bbb_checksum_ok(call, raw_query, self.secret)
        self.calls.append(SimpleNamespace(path=path, call=call, params=params, checksum_ok=checksum_ok))
        if self.mode == "slow":
            self.release.wait(5)
        if self.mode == "error_500":
            return 500, "text/html", "<html><body>Internal Server Error</body></html>"
        if self.mode == "not_xml":
            return 200, "text/html", "<!DOCTYPE html><html><body><p>Welcome to nginx!"
        if not path.startswith("/bigbluebutton/api/"):
            return 404, "text/html", "<html><body>Not Found</body></html>"
        if not checksum_ok:
            return 200, "text/xml", failed("checksumError", "You did not pass the checksum security check")
        if self.mode == "failed":
            return 200, "text/xml", failed("idNotUnique", "A meeting already exists with that meeting ID.")
        meeting_id = params["meetingID"]
        duplicate = meeting_id in self.create_times
        create_time = self.create_times.setdefault(meeting_id, str(int(time.time() * 1000)))
        warning = ("<messageKey>duplicateWarning</messageKey><message>This conference was already in "
                   "existence and may currently be in progress.</message>") if duplicate else "<messageKey/><message/>"
        return 200, "text/xml", (
            "<response><returncode>SUCCESS</returncode>"
            f"<meetingID>{meeting_id}</meetingID>"
            f"<internalMeetingID>{hashlib.sha1(meeting_id.encode()).hexdigest()}-{create_time}</internalMeetingID>"
            f"<parentMeetingID>bbb-none</parentMeetingID><attendeePW>{params['attendeePW']}</attendeePW>"
            f"<moderatorPW>{params['moderatorPW']}</moderatorPW><createTime>{create_time}</createTime>"
            "<voiceBridge>70757</voiceBridge><dialNumber>613-555-1234</dialNumber>"
            "<createDate>Mon Jul 09 17:03:29 UTC 2018</createDate><hasUserJoined>false</hasUserJoined>"
            f"<duration>{params['duration']}</duration><hasBeenForciblyEnded>false</hasBeenForciblyEnded>"
            f"{warning}</response>")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                parts = urlsplit(self.path)
                status, content_type, body = fake.answer(parts.path, parts.query)
                data = body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", f"{content_type};charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (the timeout test)

            def log_message(self, format, *args):
                pass

        return Handler


def failed(key: str, message: str) -> str:
    return (f"<response><returncode>FAILED</returncode><messageKey>{key}</messageKey>"
            f"<message>{message}</message></response>")


@pytest.fixture()
def bbb(app, monkeypatch):
    """A fake BigBlueButton, with BBB_URL as ``bbb-conf --secret`` prints it."""
    for name in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeBigBlueButton(BBB_SECRET)
    fake.start()
    monkeypatch.setitem(app.config, "BBB_URL", f"{fake.base}/bigbluebutton/")
    monkeypatch.setitem(app.config, "BBB_SECRET", BBB_SECRET)
    yield fake
    fake.stop()


def check_join_url(fake: FakeBigBlueButton, url: str) -> dict[str, str]:
    """The join URL's parameters, once its address and checksum are checked independently."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == fake.base
    assert parts.path == "/bigbluebutton/api/join"
    assert bbb_checksum_ok("join", parts.query, BBB_SECRET)
    params = query_of(url)
    assert len(params["checksum"]) == 64  # sha256
    return params


def test_joining_bbb_creates_the_meeting_conference_and_signs_a_join_url(bbb):
    meeting, site = make_meeting(hours=2), make_site("bbb")
    url = join_url(meeting, site, PERSON, Role.PARTICIPANT)

    [create] = bbb.calls
    assert create.path == "/bigbluebutton/api/create"
    assert create.checksum_ok
    assert len(create.params["checksum"]) == 64
    assert create.params["meetingID"] == meeting.vc_room
    assert create.params["name"] == "Mid-year operation meeting"
    # From now to the end (2 h 10 min away), plus 30 minutes.
    assert 159 <= int(create.params["duration"]) <= 160
    assert create.params["record"] == "false"
    assert len(create.params["attendeePW"]) == len(create.params["moderatorPW"]) == 32
    assert create.params["attendeePW"] != create.params["moderatorPW"]

    params = check_join_url(bbb, url)
    assert params["fullName"] == "Daan Bakker"
    assert params["meetingID"] == meeting.vc_room
    assert params["role"] == "VIEWER"
    assert params["createTime"] == bbb.create_times[meeting.vc_room]
    assert params["userID"].startswith("person-") and "roof" not in params["userID"]
    assert params["redirect"] == "true"
    assert "password" not in params


def test_bbb_create_is_idempotent_across_joins(bbb):
    meeting, site = make_meeting(), make_site("bbb")
    first = check_join_url(bbb, join_url(meeting, site, PERSON, Role.PARTICIPANT))
    chair = SimpleNamespace(name="Li Wei", email="li.wei@hq.example.com")
    second = check_join_url(bbb, join_url(meeting, site, chair, Role.CHAIR))

    assert [call.call for call in bbb.calls] == ["create", "create"]
    assert all(call.checksum_ok for call in bbb.calls)
    one, two = (call.params for call in bbb.calls)
    assert one["meetingID"] == two["meetingID"] == meeting.vc_room
    assert (one["attendeePW"], one["moderatorPW"]) == (two["attendeePW"], two["moderatorPW"])
    assert first["createTime"] == second["createTime"] == bbb.create_times[meeting.vc_room]
    assert first["userID"] != second["userID"]
    assert second["role"] == "MODERATOR"


@pytest.mark.parametrize("role, bbb_role", [(role, "MODERATOR") for role in MODERATORS]
                         + [(role, "VIEWER") for role in NOT_MODERATORS])
def test_the_chair_and_site_hosts_are_bbb_moderators(bbb, role, bbb_role):
    params = check_join_url(bbb, join_url(make_meeting(), make_site("bbb"), PERSON, role))
    assert params["role"] == bbb_role


def test_a_room_system_joins_bbb_as_a_viewer_under_the_site_name(bbb):
    site = make_site("bbb", name="Lyon boardroom")
    params = check_join_url(bbb, join_url(make_meeting(), site, None, None))
    assert (params["fullName"], params["role"], params["userID"]) == ("Lyon boardroom", "VIEWER", f"site-{site.id}")


@pytest.mark.parametrize("path", ["/bigbluebutton", "/bigbluebutton/", "/bigbluebutton/api", "/bigbluebutton/api/"])
def test_bbb_url_may_name_the_server_or_its_api(bbb, app, monkeypatch, path):
    monkeypatch.setitem(app.config, "BBB_URL", bbb.base + path)
    url = join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)
    assert bbb.calls[0].path == "/bigbluebutton/api/create" and bbb.calls[0].checksum_ok
    check_join_url(bbb, url)


def test_a_long_bbb_meeting_name_is_cut_to_what_bigbluebutton_takes(bbb):
    meeting = make_meeting()
    meeting.title = "Quarterly operation review of the northern European production plants"
    join_url(meeting, make_site("bbb"), PERSON, Role.PARTICIPANT)
    name = bbb.calls[0].params["name"]
    assert len(name) <= 64 and name.endswith("…") and name.startswith("Quarterly operation review")


def test_bbb_refusing_create_is_a_provider_error(bbb):
    bbb.mode = "failed"
    with pytest.raises(ProviderError, match="refused create .*idNotUnique"):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)


def test_a_wrong_bbb_secret_is_a_provider_error_that_says_so(bbb, app, monkeypatch):
    monkeypatch.setitem(app.config, "BBB_SECRET", "not-the-secret")
    with pytest.raises(ProviderError, match="checksumError.*Check BBB_SECRET"):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)
    assert not bbb.calls[0].checksum_ok


@pytest.mark.parametrize("mode, message", [("not_xml", "not XML"), ("error_500", "HTTP 500")])
def test_a_bbb_answer_that_is_not_its_api_is_a_provider_error(bbb, mode, message):
    bbb.mode = mode
    with pytest.raises(ProviderError, match=message):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)


def test_a_bbb_server_that_is_down_is_a_provider_error(app, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "BBB_URL", f"http://127.0.0.1:{port}/bigbluebutton/api")
    monkeypatch.setitem(app.config, "BBB_SECRET", BBB_SECRET)
    with pytest.raises(ProviderError, match="cannot be reached"):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)


def test_a_bbb_server_that_does_not_answer_in_time_is_a_provider_error(bbb, monkeypatch):
    monkeypatch.setattr(providers, "BBB_TIMEOUT_SECONDS", 0.2)
    bbb.mode = "slow"
    started = time.monotonic()
    with pytest.raises(ProviderError):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("setting", ["BBB_URL", "BBB_SECRET"])
def test_bbb_without_its_settings_is_a_provider_error(bbb, app, monkeypatch, setting):
    monkeypatch.setitem(app.config, setting, None)
    with pytest.raises(ProviderError, match=f"{setting} is not set"):
        join_url(make_meeting(), make_site("bbb"), PERSON, Role.PARTICIPANT)
    assert bbb.calls == []


# --- Fixed links and choosing the provider -----------------------------------------------------

def test_a_fixed_link_is_returned_as_given(app):
    link = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0?context=%7b%7d"
    site = make_site("url", vc_url=link)
    assert join_url(make_meeting(), site, PERSON, Role.CHAIR) == link
    assert join_url(make_meeting(), site, None, None) == link


@pytest.mark.parametrize("vc_url", [None, "", "javascript:alert(1)", "teams.microsoft.com/l/meetup"])
def test_a_missing_or_unusable_fixed_link_is_a_provider_error(app, vc_url):
    with pytest.raises(ProviderError, match="fixed link"):
        join_url(make_meeting(), make_site("url", vc_url=vc_url), PERSON, Role.PARTICIPANT)


@pytest.mark.parametrize("site_provider, default, expected", [
    ("bbb", "jitsi", providers.BigBlueButtonProvider),
    (VcProvider.URL, "jitsi", providers.UrlProvider),
    (VcProvider.JITSI, "bbb", providers.JitsiProvider),
    (None, "url", providers.UrlProvider),
    (None, "jitsi", providers.JitsiProvider),
    (None, "bbb", providers.BigBlueButtonProvider),
])
def test_a_site_uses_its_own_provider_else_the_app_default(app, monkeypatch, site_provider, default, expected):
    monkeypatch.setitem(app.config, "VC_PROVIDER", default)
    assert isinstance(provider_for(make_site(site_provider)), expected)


def test_join_url_goes_through_the_chosen_provider(app, monkeypatch):
    monkeypatch.setitem(app.config, "VC_PROVIDER", "url")
    site = make_site(None, vc_url="https://zoom.example.com/j/123456789")
    assert join_url(make_meeting(), site, PERSON, Role.OBSERVER) == "https://zoom.example.com/j/123456789"


@pytest.mark.parametrize("site_provider, default", [("zoom", "jitsi"), (None, "teams"), (None, "")])
def test_an_unknown_provider_is_a_provider_error(app, monkeypatch, site_provider, default):
    monkeypatch.setitem(app.config, "VC_PROVIDER", default)
    with pytest.raises(ProviderError, match="provider"):
        provider_for(make_site(site_provider))


def test_no_site_at_all_is_a_provider_error(app):
    with pytest.raises(ProviderError, match="No site"):
        join_url(make_meeting(), None, PERSON, Role.PARTICIPANT)
