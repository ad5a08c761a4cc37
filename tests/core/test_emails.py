"""One email grammar (meetings.core.emails) at every door: the directory's API, pages and roster
import, accounts, iCalendar replies and delivery refuse the same addresses with the reason, and
anything the grammar accepts, delivery sends (through the real SMTP server)."""

import string
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from meetings.core.emails import EmailAddressError, is_email, normalize_email
from meetings.invitations import ical
from meetings.outbox.mail import SmtpSession, build_message
from tests import factories
from tests.manage.conftest import sign_in

REFUSED = {
    "张三@example.cn": "must be in ASCII",
    "a..b@example.com": "two dots in a row",
    ".a@example.com": "start or end with a dot",
    "a.@example.com": "start or end with a dot",
    "a@example": "not a domain name",
    "a@[127.0.0.1]": "not a domain name",
    "a@-x.example.com": "not a domain name",
    '"quoted"@example.com': "may hold only",
    "a@b@example.com": "exactly one @",
    ("x" * 65) + "@example.com": "at most 64",
}


@pytest.mark.parametrize("address, reason", REFUSED.items())
def test_the_grammar_says_why(address, reason):
    with pytest.raises(EmailAddressError) as refused:
        normalize_email(address)
    assert reason in refused.value.reason


@pytest.mark.parametrize("address, stored", [
    ("Wang.Wei@Example.COM", "wang.wei@example.com"), (" o'neil+tag@example.co.uk ", "o'neil+tag@example.co.uk"),
    ("x@例子.中国", "x@xn--fsqu00a.xn--fiqs8s"), ("x@XN--FSQU00A.xn--fiqs8s", "x@xn--fsqu00a.xn--fiqs8s"),
])
def test_accepted_addresses_have_one_stored_form(address, stored):
    assert normalize_email(address) == stored


@pytest.mark.parametrize("address, reason", REFUSED.items())
def test_the_directory_api_refuses_them_with_the_reason(api, address, reason):
    created = api.post("/api/people", json={"name": "X", "email": address})
    assert created.status_code == 422
    assert reason in created.json["error"]["fields"]["email"][0]
    person = factories.person("Y", email="y@example.com")
    changed = api.patch(f"/api/people/{person.id}", json={"email": address})
    assert changed.status_code == 422 and reason in changed.json["error"]["fields"]["email"][0]


def test_the_person_page_refuses_them_with_the_reason(client):
    browser = sign_in(client, "emails.page@example.com")
    for address, reason in REFUSED.items():
        page = browser.post("/people/new", {"name": "X", "email": address, "timezone": "Asia/Shanghai",
                                            "language": "en"})
        assert page.status_code == 200 and reason in page.text.replace("&#39;", "'"), address


def test_a_roster_refuses_them_row_by_row(api):
    rows = "".join(f'X,"{address.replace(chr(34), chr(34) * 2)}"\n' for address in REFUSED)
    answer = api.post("/api/people/import?dry_run=1", data=("name,email\n" + rows).encode(),
                      headers={"Content-Type": "text/csv"})
    assert answer.status_code == 422
    errors = answer.json["error"]["fields"]
    for row, reason in enumerate(REFUSED.values(), start=2):
        assert reason in errors[f"row {row}"][0], row


def test_users_create_refuses_them(runner):
    result = runner.invoke(args=["users", "create", "a..b@example.com", "--role", "organizer",
                                 "--password", "s3cret-enough"])
    assert result.exit_code != 0 and "two dots in a row" in result.output


@pytest.mark.parametrize("address, reason", REFUSED.items())
def test_a_calendar_reply_naming_them_is_refused(api, address, reason):
    meeting = factories.meeting(api.user)
    attendee = ical.Attendee(email="placeholder@example.com", name="X", ical_role="REQ-PARTICIPANT",
                             partstat="ACCEPTED")
    body = ical.build_reply(meeting.uid, 0, datetime.now(timezone.utc), attendee, "meetings@example.com")
    body = body.replace(b"placeholder@example.com", address.encode())
    with pytest.raises(ical.CalendarError):
        ical.parse_reply(body)
    answer = api.post("/api/replies", data=body, headers={"Content-Type": "text/calendar"})
    assert answer.status_code == 422 and "not an email address" in answer.json["error"]["message"]


@pytest.mark.parametrize("address, reason", REFUSED.items())
def test_delivery_refuses_them_with_the_reason(address, reason):
    with pytest.raises(ValueError) as refused:
        mail_to(address)
    assert reason in str(refused.value)


def mail_to(address: str):
    return build_message(sender="Operation meetings <meetings@example.com>", recipient=address,
                         recipient_name="Someone", subject="Hello", text="Hello.\n", html="<p>Hello.</p>",
                         message_id="<grammar.1@meetings.example.com>")


ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
_atom = st.text(ATEXT, min_size=1, max_size=8)
_local = st.lists(_atom, min_size=1, max_size=4).map(".".join)
_label = st.from_regex(r"\A[A-Za-z0-9](?:[A-Za-z0-9-]{0,8}[A-Za-z0-9])?\Z") | st.text("例子中国会议测试ü", min_size=1,
                                                                                       max_size=4)
_top = st.text(string.ascii_letters, min_size=2, max_size=6) | st.just("中国")
_domain = st.tuples(st.lists(_label, min_size=1, max_size=3), _top).map(lambda parts: ".".join([*parts[0], parts[1]]))
#: Built from the grammar, and anything at all (kept when the grammar takes it).
ADDRESSES = st.tuples(_local, _domain).map("@".join) | st.text(max_size=40)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.filter_too_much])
@given(address=ADDRESSES)
def test_whatever_the_grammar_accepts_delivery_sends(app, smtp_server, address):
    assume(is_email(address))
    smtp_server.mailbox.clear()
    with SmtpSession() as session:
        session.send(mail_to(address))
    (received,) = smtp_server.mailbox.wait_for(1)
    assert received.rcpt_tos == [normalize_email(address)]
