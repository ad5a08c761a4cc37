"""One email on the wire and one SMTP session per batch, against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import shutil
import socket
import ssl
import subprocess
import time
from datetime import datetime, timedelta, timezone
from email import policy
from email.header import decode_header, make_header

import flask_mail
import pytest
from aiosmtpd.controller import Controller

from meetings.extensions import mail
from meetings.outbox.mail import (
    EmailMessage,
    InlineImage,
    PermanentDeliveryError,
    SmtpSession,
    TemporaryDeliveryError,
    build_message,
)
from tests.conftest import Mailbox, _free_port, make_test_app

SENDER = "运营会议 <meetings@example.com>"
CALENDAR = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//meetings//tests//EN\r\n"
    "METHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:meeting-42@meetings.example.com\r\n"
    "SEQUENCE:3\r\n"
    "DTSTAMP:20240601T010000Z\r\n"
    "DTSTART;TZID=Asia/Shanghai:20240715T090000\r\n"
    "SUMMARY:2024年年中经营会议\r\n"
    "DESCRIPTION:议程：总经理报告、各企业汇报、讨论。入会链接见 https://meetings.exa\r\n"
    " mple.com/join/abc\r\n"
    "ATTENDEE;CN=张建国;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mai\r\n"
    " lto:zhang.jianguo@example.com\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
).encode("utf-8")


def calendar(method: str = "REQUEST") -> bytes:
    return CALENDAR.replace(b"METHOD:REQUEST", f"METHOD:{method}".encode())


def invite(**overrides) -> EmailMessage:
    fields = dict(
        sender=SENDER, recipient="zhang.jianguo@example.com", recipient_name="张建国",
        subject="会议邀请：2024年年中经营会议", text="张建国，您好：\n请于7月15日参加会议。\n",
        html="<p>张建国，您好：</p><p>请于7月15日参加会议。</p>", calendar=calendar(),
        message_id="<invite.42.17.3@meetings.example.com>",
        date=datetime(2024, 6, 1, 9, 30, tzinfo=timezone(timedelta(hours=8))),
    )
    fields.update(overrides)
    return build_message(**fields)


def deliver(message: EmailMessage, smtp):
    with SmtpSession() as session:
        session.send(message)
    (received,) = smtp.mailbox.wait_for(1)
    return received


def legacy_decoded(raw: bytes, name: str) -> str:
    """A header decoded by RFC 2047's rules. policy.default puts a space between adjacent
    encoded words in a display name (python/cpython#128110), which RFC 2047 §6.2 forbids."""
    return str(make_header(decode_header(email.message_from_bytes(raw, policy=policy.compat32)[name])))


def parse(message):
    """What a mail client reads from the bytes we send."""
    return email.message_from_bytes(message.as_bytes(), policy=policy.default)


def leaf_parts(message):
    return [part for part in message.walk() if not part.is_multipart()]


def longest_line(raw: bytes) -> int:
    return max(len(line) for line in raw.split(b"\r\n"))


class CountingMailbox(Mailbox):
    """The suite's mailbox, also counting sessions (one EHLO each) and client ports; it can
    refuse the sender (MAIL FROM) as well as the data."""

    def __init__(self):
        super().__init__()
        self.ehlos = 0
        self.peers: set = set()
        self.refuse_sender_with: str | None = None

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender_with:
            return self.refuse_sender_with
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.ehlos += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.peers.add(session.peer)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture(scope="module")
def mail_app(database_url, smtp_server):
    """An app whose mail goes to the suite's SMTP server. Not the ``app`` fixture: nothing here
    touches the database, so these tests do not depend on its tables."""
    return make_test_app(database_url, smtp_server.port)


@pytest.fixture()
def mail_context(mail_app):
    with mail_app.app_context():
        yield mail_app


@pytest.fixture()
def counting_server(database_url):
    """A second SMTP server that counts connections, and an app context whose mail points at it."""
    mailbox = CountingMailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        with make_test_app(database_url, controller.port).app_context():
            yield mailbox
    finally:
        controller.stop()


@pytest.fixture()
def app_without_server(database_url):
    """An app context whose MAIL_PORT is a closed port on loopback."""
    with make_test_app(database_url, _free_port()).app_context():
        yield


# --- the message --------------------------------------------------------------------------


def test_an_invite_has_the_mime_tree_that_calendar_clients_need(mail_context, smtp):
    message = invite()

    received = deliver(message, smtp)

    parsed = received.message
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/html", "text/calendar",
        "application/ics"]
    inline, attached = leaf_parts(parsed)[2:]
    assert inline.get_param("method") == "REQUEST"
    assert inline.get_content_charset() == "utf-8"
    assert inline.get_content_disposition() is None
    assert inline.get_payload(decode=True) == CALENDAR
    assert attached.get_content_disposition() == "attachment"
    assert attached.get_filename() == "invite.ics"
    assert attached.get_param("name") == "invite.ics"
    assert attached.get_payload(decode=True) == CALENDAR
    for part in leaf_parts(parsed):
        assert part["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    for part in leaf_parts(parsed)[:2]:
        assert part.get_content_charset() == "utf-8"
    assert parsed["Content-Class"] == "urn:content-classes:calendarmessage"


def test_headers_decode_back_and_the_envelope_matches_to(mail_context, smtp):
    message = invite(reply_to="秘书处 <office@example.com>")

    received = deliver(message, smtp)

    parsed = received.message
    (to,) = parsed["To"].addresses
    assert (to.display_name, to.addr_spec) == ("张建国", "zhang.jianguo@example.com")
    (sender,) = parsed["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("运营会议", "meetings@example.com")
    assert parsed["Reply-To"].addresses[0].display_name == "秘书处"
    assert parsed["Subject"] == "会议邀请：2024年年中经营会议"
    assert parsed["Message-ID"] == "<invite.42.17.3@meetings.example.com>"
    assert parsed["MIME-Version"] == "1.0"
    assert parsed["Date"].datetime == datetime(2024, 6, 1, 1, 30, tzinfo=timezone.utc)
    assert received.rcpt_tos == ["zhang.jianguo@example.com"]
    assert received.mail_from == "meetings@example.com"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == (
        "张建国，您好：\n请于7月15日参加会议。\n")
    assert parsed.get_body(("html",)).get_content().strip() == (
        "<p>张建国，您好：</p><p>请于7月15日参加会议。</p>")


def test_a_long_chinese_name_is_split_into_encoded_words_that_join_back(mail_context, smtp):
    name = "中国石油天然气集团有限公司华北分公司经营管理部副主任 张建国"
    received = deliver(invite(recipient_name=name, subject=name * 3), smtp)

    assert received.raw.count(b"=?utf-8?") > 2
    assert legacy_decoded(received.raw, "To") == f"{name} <zhang.jianguo@example.com>"
    assert received.message["Subject"] == name * 3
    assert longest_line(received.raw) <= 78


def test_as_bytes_is_what_goes_on_the_wire(mail_context, smtp):
    message = invite()

    received = deliver(message, smtp)

    assert received.raw == message.as_bytes() == invite().as_bytes()
    received.raw.decode("ascii")  # 7-bit clean: no part was sent as 8bit


def test_a_5000_character_html_line_is_folded_by_the_transfer_encoding(mail_context, smtp):
    html = "<p>" + "经营数据" * 600 + "x" * 2600 + "</p>"
    message = invite(html=html, text="t" * 5000)

    received = deliver(message, smtp)

    assert longest_line(received.raw) <= 998
    assert received.message.get_body(("html",)).get_content().strip() == html
    assert received.message.get_body(("plain",)).get_content().strip() == "t" * 5000


def test_flask_mails_own_message_with_that_line_is_refused(mail_context, smtp):
    # Why EmailMessage exists (DESIGN.md §6): stock Flask-Mail sends UTF-8 as 8bit, unfolded.
    stock = flask_mail.Message(subject="x", sender="meetings@example.com",
                               recipients=["zhang.jianguo@example.com"], body="正文",
                               html="<p>" + "经营数据" * 1500 + "</p>")
    assert b"Content-Transfer-Encoding: 8bit" in stock.as_bytes()

    with SmtpSession() as session, pytest.raises(PermanentDeliveryError) as refused:
        session.send(stock)

    assert refused.value.code == 500 and "too long" in refused.value.reply
    assert smtp.messages == []


def test_without_a_calendar_the_message_is_text_and_html(mail_context, smtp):
    received = deliver(invite(calendar=None), smtp)

    parsed = received.message
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/alternative", "text/plain", "text/html"]
    assert "Content-Class" not in parsed


def test_without_html_nothing_else_is_dropped(mail_context, smtp):
    plain = deliver(invite(calendar=None, html=None), smtp).message
    smtp.mailbox.clear()
    with_calendar = deliver(invite(html=None), smtp).message

    assert plain.get_content_type() == "text/plain"
    assert plain.get_content_charset() == "utf-8"
    assert plain["Content-Transfer-Encoding"] in ("base64", "quoted-printable")
    assert plain.get_content().replace("\r\n", "\n") == "张建国，您好：\n请于7月15日参加会议。\n"
    assert [part.get_content_type() for part in with_calendar.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "text/calendar",
        "application/ics"]


def test_mostly_ascii_text_goes_quoted_printable_and_chinese_text_base64():
    message = invite(text="Dear colleague, please join us.\n", html="<p>请参加会议。</p>")
    plain, html = leaf_parts(parse(message))[:2]

    assert plain["Content-Transfer-Encoding"] == "quoted-printable"
    assert html["Content-Transfer-Encoding"] == "base64"


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL", "PUBLISH"])
def test_the_calendar_part_carries_the_calendars_method(method):
    parsed = parse(invite(calendar=calendar(method)))

    inline = leaf_parts(parsed)[2]
    assert inline.get_param("method") == method
    assert ("Content-Class" in parsed) == (method != "PUBLISH")


def test_a_method_that_contradicts_the_calendar_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        invite(method="CANCEL")
    with pytest.raises(ValueError, match="only meaningful with a calendar"):
        invite(calendar=None, method="REQUEST")
    with pytest.raises(ValueError, match="exactly one METHOD"):
        invite(calendar=CALENDAR.replace(b"METHOD:REQUEST\r\n", b""))
    with pytest.raises(ValueError, match="UTF-8"):
        invite(calendar=CALENDAR.replace("张建国".encode(), "张建国".encode("gb18030")))


@pytest.mark.parametrize("overrides", [
    {"message_id": "invite-42@meetings.example.com"},
    {"message_id": "<invite 42@meetings.example.com>"},
    {"date": datetime(2024, 6, 1, 9, 30)},
    {"recipient": "张@example.com"},
    {"recipient": "not-an-address"},
    {"recipient": "a@example.com, b@example.com"},
    {"sender": "a@example.com, b@example.com"},
    {"attachment_name": "../invite.ics"},
])
def test_malformed_input_is_refused(overrides):
    with pytest.raises(ValueError):
        invite(**overrides)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010100000000376ef9240000000a49444154789c6360"
                    "0000000200010d0a2db40000000049454e44ae426082") * 40  # long enough to need many lines
CODE = InlineImage("checkin-qr@meetings.example.com", PNG, "image/png", "checkin.png")


def test_inline_images_travel_with_the_html_in_multipart_related(mail_context, smtp):
    message = invite(html='<p>入场码</p><img src="cid:checkin-qr@meetings.example.com" alt="">', images=(CODE,))

    received = deliver(message, smtp)

    parsed = received.message
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related", "text/html",
        "image/png", "text/calendar", "application/ics"]
    related = next(part for part in parsed.walk() if part.get_content_type() == "multipart/related")
    html, image = related.iter_parts()
    assert "cid:checkin-qr@meetings.example.com" in html.get_content()
    assert image["Content-ID"] == "<checkin-qr@meetings.example.com>"
    assert image.get_content_disposition() == "inline" and image.get_filename() == "checkin.png"
    assert image["Content-Transfer-Encoding"] == "base64"
    assert image.get_payload(decode=True) == PNG
    assert parsed.get_body(("html",)).get_content() == html.get_content()
    assert received.raw == message.as_bytes()
    received.raw.decode("ascii")
    assert longest_line(received.raw) <= 78
    calendar_only = next(part for part in parsed.walk() if part.get_content_type() == "text/calendar")
    assert calendar_only.get_param("method") == "REQUEST"


def test_without_a_calendar_inline_images_still_go_with_the_html(mail_context, smtp):
    parsed = deliver(invite(calendar=None, images=(CODE,)), smtp).message
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/alternative", "text/plain", "multipart/related", "text/html", "image/png"]


@pytest.mark.parametrize("images, html", [
    ((CODE,), None),
    ((InlineImage("no-at-sign", PNG),), "<p>x</p>"),
    ((InlineImage("a@b>\r\nBcc: x@evil.example", PNG),), "<p>x</p>"),
    ((InlineImage("a@b", PNG, "text/html"),), "<p>x</p>"),
    ((InlineImage("a@b", PNG, filename="../x.png"),), "<p>x</p>"),
    ((InlineImage("a@b", b""),), "<p>x</p>"),
    ((CODE, CODE), "<p>x</p>"),
])
def test_malformed_inline_images_are_refused(images, html):
    with pytest.raises(ValueError):
        invite(html=html, images=images)
@pytest.mark.parametrize("name", ["张建国", "José Müller", " ".join(["参会人"] * 5), "张" * 40, " ".join(["Ünïcödé"] * 12)])
def test_a_display_name_reads_back_as_it_was_whatever_its_length(name):
    raw = invite(recipient_name=name).as_bytes()
    assert legacy_decoded(raw, "To") == f"{name} <zhang.jianguo@example.com>"
    assert max(len(line) for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n")) <= 78


@pytest.mark.parametrize("address", [
    "zhang.jianguo@example.com", "A.B+tag@Sub.Example.COM", "o'neil@example.co.uk", "x@a-b.example",
    "first.last@" + "a" * 63 + ".example", "first.last@" + "a" * 64 + ".example", "a..b@example.com",
    ".a@example.com", "a@-example.com", "a@example", "a@xn--fsq.example", "a b@example.com",
])
def test_delivery_reads_addresses_by_the_one_grammar(address):
    from meetings.core.emails import EmailAddressError, normalize_email
    from meetings.outbox.mail import _mailbox

    try:
        expected = normalize_email(address)
    except EmailAddressError:
        with pytest.raises(ValueError):
            _mailbox(address, "recipient", bare=True)
    else:
        assert _mailbox(address, "recipient", bare=True).addr_spec == expected


# --- header injection ---------------------------------------------------------------------


INJECTED = "\r\nBcc: evil@attacker.example\r\nX-Injected: yes"


@pytest.mark.parametrize("field", ["sender", "recipient", "reply_to"])
def test_line_breaks_in_an_address_raise(field):
    value = {"sender": SENDER, "recipient": "zhang.jianguo@example.com",
             "reply_to": "office@example.com"}[field]
    with pytest.raises(ValueError, match="line breaks"):
        invite(**{field: value + INJECTED})


@pytest.mark.parametrize("headers", [
    {"X-Meetings-Key": "invite:42" + INJECTED},
    {"X-Meetings-Key": "invite:42\nBcc: evil@attacker.example"},
    {"X-Meetings-Key\r\nBcc": "evil@attacker.example"},
    {"X Key": "value"},
    {"Bcc": "evil@attacker.example"},
    {"Content-Type": "text/html"},
    {"message-id": "<other@attacker.example>"},
])
def test_extra_headers_that_would_add_or_replace_a_header_raise(headers):
    with pytest.raises(ValueError):
        invite(headers=headers)


def test_line_breaks_in_the_subject_and_names_are_folded_into_spaces(mail_context, smtp):
    message = invite(subject="会议邀请" + INJECTED, recipient_name="张建国" + INJECTED + "\u2028x",
                     headers={"X-Meetings-Key": "invite:42:3"})

    received = deliver(message, smtp)

    parsed = received.message
    assert "Bcc" not in parsed and "X-Injected" not in parsed
    assert parsed["Subject"] == "会议邀请 Bcc: evil@attacker.example X-Injected: yes"
    (to,) = parsed["To"].addresses
    assert to.addr_spec == "zhang.jianguo@example.com"
    assert legacy_decoded(received.raw, "To") == (
        "张建国 Bcc: evil@attacker.example X-Injected: yes x <zhang.jianguo@example.com>")
    assert parsed["X-Meetings-Key"] == "invite:42:3"
    assert received.rcpt_tos == ["zhang.jianguo@example.com"]


def test_a_display_name_cannot_smuggle_in_a_second_address(mail_context, smtp):
    message = invite(recipient_name="Evil <evil@attacker.example>, Other")

    received = deliver(message, smtp)

    (to,) = received.message["To"].addresses
    assert to.addr_spec == "zhang.jianguo@example.com"
    assert received.rcpt_tos == ["zhang.jianguo@example.com"]


def test_a_header_broken_after_building_is_not_sent(mail_context, smtp):
    message = invite()
    message.extra_headers["X-Meetings-Key"] = "x" + INJECTED

    with SmtpSession() as session, pytest.raises(PermanentDeliveryError):
        session.send(message)

    assert session.sent == 0
    assert smtp.messages == []


# --- the session --------------------------------------------------------------------------


def test_a_batch_uses_one_connection(counting_server):
    messages = [invite(recipient=f"person{n}@example.com", recipient_name=f"参会人{n}",
                       message_id=f"<invite.{n}.0@meetings.example.com>") for n in range(20)]

    with mail.record_messages() as dispatched, SmtpSession() as session:
        for message in messages:
            session.send(message)
        assert session.alive

    received = counting_server.wait_for(20)
    assert counting_server.ehlos == 1
    assert len(counting_server.peers) == 1
    assert session.sent == 20 and dispatched == messages
    assert [mail.rcpt_tos for mail in received] == [[m.recipient] for m in messages]
    assert [mail.message["To"].addresses[0].addr_spec for mail in received] == [
        m.recipient for m in messages]
    assert not session.alive  # closed on leaving the block


def test_a_4xx_reply_is_temporary_and_keeps_the_connection(mail_context, smtp):
    with SmtpSession() as session:
        smtp.mailbox.refuse_with = "451 4.3.0 try later"
        with pytest.raises(TemporaryDeliveryError) as refused:
            session.send(invite())
        assert (refused.value.code, refused.value.reply) == (451, "4.3.0 try later")
        assert session.alive

        smtp.mailbox.refuse_with = None
        session.send(invite())

    assert len(smtp.mailbox.wait_for(1)) == 1


def test_a_5xx_reply_is_permanent_and_keeps_the_connection(mail_context, smtp):
    with SmtpSession() as session:
        smtp.mailbox.refuse_with = "550 5.1.1 no such user"
        with pytest.raises(PermanentDeliveryError) as refused:
            session.send(invite())
        assert refused.value.code == 550
        assert "no such user" in str(refused.value)
        assert session.alive

        smtp.mailbox.refuse_with = None
        session.send(invite())

    assert len(smtp.mailbox.wait_for(1)) == 1


@pytest.mark.parametrize("reply", ["530 5.7.0 Authentication required",
                                   "553 5.7.1 Sender address rejected", "451 4.3.0 try later"])
def test_a_refused_sender_is_temporary_and_ends_the_session(counting_server, reply):
    counting_server.refuse_sender_with = reply

    with SmtpSession() as session:
        with pytest.raises(TemporaryDeliveryError, match="Sender meetings@example.com refused"):
            session.send(invite())
        assert not session.alive  # the rest of the batch would be refused too

    assert counting_server.received == []


def test_a_421_reply_ends_the_session(mail_context, smtp):
    smtp.mailbox.refuse_with = "421 4.3.2 shutting down"

    with SmtpSession() as session:
        with pytest.raises(TemporaryDeliveryError):
            session.send(invite())
        assert not session.alive
        with pytest.raises(TemporaryDeliveryError, match="closed"):
            session.send(invite())


def test_a_server_that_is_down_is_temporary_and_the_session_dead(app_without_server):
    with SmtpSession() as session:
        with pytest.raises(TemporaryDeliveryError, match="Cannot open"):
            session.send(invite())
        assert not session.alive
        with pytest.raises(TemporaryDeliveryError):
            session.send(invite())


def test_a_server_that_never_answers_times_out(database_url):
    with socket.socket() as silent:  # accepts connections (the backlog) and never says a word
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        port = silent.getsockname()[1]
        with make_test_app(database_url, port).app_context():
            started = time.monotonic()
            with SmtpSession(timeout=0.5) as session:
                with pytest.raises(TemporaryDeliveryError, match="Timeout|timed out"):
                    session.send(invite())
                assert not session.alive
    assert time.monotonic() - started < 5


def test_the_session_ignores_testing_and_suppress_send(mail_context, smtp):
    assert mail_context.testing and mail_context.extensions["mail"].suppress  # Flask-Mail itself would not send

    deliver(invite(), smtp)

    assert len(smtp.messages) == 1


def test_flask_mails_connection_sends_the_same_bytes(database_url, smtp):
    with make_test_app(database_url, smtp.port, MAIL_SUPPRESS_SEND=False).app_context():
        message = invite()
        with mail.connect() as connection:
            connection.send(message)

    (received,) = smtp.mailbox.wait_for(1)
    assert received.raw == message.as_bytes()
    assert received.rcpt_tos == ["zhang.jianguo@example.com"]


@pytest.fixture()
def starttls_server(tmp_path, database_url):
    """An SMTP server that requires STARTTLS, with a self-signed certificate for 127.0.0.1."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=_free_port(),
                            tls_context=context, require_starttls=True)
    controller.start()
    try:
        with make_test_app(database_url, controller.port, MAIL_USE_TLS=True).app_context():
            yield mailbox, cert
    finally:
        controller.stop()


def test_starttls_verifies_the_servers_certificate(starttls_server, monkeypatch):
    mailbox, cert = starttls_server

    with SmtpSession() as session, pytest.raises(TemporaryDeliveryError, match="certificate"):
        session.send(invite())  # smtplib's default context (Flask-Mail's) would accept it

    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with SmtpSession() as session:
        session.send(invite())
    assert len(mailbox.wait_for(1)) == 1
