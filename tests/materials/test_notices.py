"""The email about materials: each reader is told of what is new to *them* since their last email
(a version they were told of is not told again), in their language and zone; a burst of uploads is
one email, and no email goes to someone for whom nothing changed."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from meetings.core.i18n import format_when
from meetings.extensions import db
from meetings.materials import services
from meetings.materials.models import Material
from meetings.outbox.models import OutboxMessage
from meetings.scheduling import services as scheduling
from meetings.scheduling.models import Meeting
from tests import factories
from tests.factories import deliver
from tests.materials import samples

#: Past MATERIALS_NOTICE_DELAY_SECONDS (an hour): the materials emails are due.
AFTER_THE_DELAY = 61


def upload(cast, api, title, seed=b"", **extra):
    material = services.upload(cast.meeting, samples.pdf(seed=seed or title.encode()), f"{title}.pdf", title=title,
                               user=api.user, **extra)
    db.session.commit()
    return material


def replace(api, material, seed):
    services.add_version(db.session.get(Material, material.id), samples.pdf(seed=seed), "new.pdf", user=api.user)
    db.session.commit()


def bodies(smtp, subject_part="New materials"):
    return {mail.rcpt_tos[0]: mail.message.get_body(("plain",)).get_content()
            for mail in smtp.messages if subject_part in mail.message["Subject"]}


def materials_rows():
    return db.session.execute(sa.select(OutboxMessage.person_id, OutboxMessage.status)
                              .where(OutboxMessage.kind == "materials")).all()


def test_each_reader_is_told_only_what_is_new_to_them(api, cast, smtp):
    deliver()  # the invites: what was there then is on the pages they link to
    smtp.mailbox.clear()
    notice = upload(cast, api, "Seating notice")
    upload(cast, api, "Budget for chairs", audience=["chair"])
    deliver(later_minutes=10)
    assert smtp.messages == []  # uploads wait, so that a burst is one email
    deliver(later_minutes=AFTER_THE_DELAY)
    first = bodies(smtp)
    assert "Seating notice" in first["participant@example.com"]
    assert "Budget for chairs" not in first["participant@example.com"]
    assert "Seating notice" in first["chair@example.com"] and "Budget for chairs" in first["chair@example.com"]
    assert first["chair@example.com"].count("Seating notice") == 1  # one email for the burst
    assert "/rsvp/" in first["participant@example.com"]
    smtp.mailbox.clear()

    # A new version of one: told again, as replaced; what they were told of is not repeated.
    replace(api, notice, b"second")
    deliver(later_minutes=AFTER_THE_DELAY)
    second = bodies(smtp)
    assert "Seating notice (version 2, replaced" in second["participant@example.com"]
    assert "Budget for chairs" not in second["chair@example.com"]
    assert "Seating notice (version 2, replaced" in second["chair@example.com"]
    smtp.mailbox.clear()

    # Organizers only: the chair is told, the participant gets no email at all.
    upload(cast, api, "Office notes", audience="organizers")
    deliver(later_minutes=AFTER_THE_DELAY)
    third = bodies(smtp)
    assert set(third) == {"chair@example.com"} and "Office notes" in third["chair@example.com"]
    assert "Seating notice" not in third["chair@example.com"]
    participant = cast.participant.person_id
    assert [status.value for person, status in materials_rows() if person == participant] == ["sent", "sent"]


def test_an_update_that_told_them_first_leaves_nothing_to_send(api, cast, smtp):
    deliver()
    smtp.mailbox.clear()
    upload(cast, api, "Seating notice")
    meeting = db.session.get(Meeting, cast.meeting.id)
    scheduling.update_meeting(meeting, {"start": (meeting.start_at + timedelta(hours=1)).isoformat(),
                                        "end": (meeting.end_at + timedelta(hours=1)).isoformat()})
    db.session.commit()
    deliver(later_minutes=10)  # the update (it waits a minute) tells them of the material
    updates = bodies(smtp, "Updated")
    assert "Materials added or replaced since we last wrote to you" in updates["participant@example.com"]
    assert "Seating notice" in updates["participant@example.com"]
    smtp.mailbox.clear()
    deliver(later_minutes=AFTER_THE_DELAY)
    assert smtp.messages == []  # nothing new for anyone: the materials emails are skipped
    assert materials_rows() and {status.value for _, status in materials_rows()} == {"skipped"}

    # The next update does not tell it again.
    meeting = db.session.get(Meeting, cast.meeting.id)
    scheduling.update_meeting(meeting, {"start": (meeting.start_at + timedelta(hours=1)).isoformat(),
                                        "end": (meeting.end_at + timedelta(hours=1)).isoformat()})
    db.session.commit()
    deliver(later_minutes=AFTER_THE_DELAY + 10)
    updates = bodies(smtp, "Updated")
    assert updates and all("Seating notice" not in body for body in updates.values())


def test_someone_invited_after_an_upload_is_not_told_of_it_as_new(api, cast, smtp):
    deliver()
    upload(cast, api, "Seating notice")
    late = factories.invite(cast.meeting, factories.person("Late Comer", email="late@example.com"))
    deliver()  # their invite: the material is on the page it links to
    smtp.mailbox.clear()
    upload(cast, api, "Agenda notes")
    deliver(later_minutes=AFTER_THE_DELAY)
    told = bodies(smtp)
    assert "Agenda notes" in told[late.person.email] and "Seating notice" not in told[late.person.email]
    # Another participant, the same email but for their history: both, in one email.
    assert "Agenda notes" in told["participant@example.com"] and "Seating notice" in told["participant@example.com"]


def test_a_copy_kept_before_materials_were_recorded_lists_those_changed_since_publishing(api, cast, smtp):
    early = upload(cast, api, "Before publishing")  # the cast's meeting is published: this is after
    db.session.execute(sa.update(Material).where(Material.id == early.id).values(notice_pending=False))
    deliver()
    upload(cast, api, "After publishing")
    invitation = db.session.get(type(cast.participant), cast.participant.id)
    kept = dict(invitation.sent_snapshot)
    kept.pop("materials")  # as copies sent before this was recorded have it
    invitation.sent_snapshot = kept
    db.session.commit()
    smtp.mailbox.clear()
    deliver(later_minutes=AFTER_THE_DELAY)
    body = bodies(smtp)["participant@example.com"]
    assert "After publishing" in body and "Before publishing" not in body


def test_in_the_readers_language_and_zone(api, cast, smtp):
    reader = factories.person("Li Na", email="lina@example.com", language="zh_Hans", timezone="Asia/Shanghai")
    factories.invite(cast.meeting, reader)
    deliver()
    smtp.mailbox.clear()
    material = upload(cast, api, "Half-year report")
    deliver(later_minutes=AFTER_THE_DELAY)
    [mail] = [m for m in smtp.messages if m.rcpt_tos[0] == "lina@example.com"]
    body = mail.message.get_body(("plain",)).get_content()
    assert "新材料" in mail.message["Subject"]
    assert "自上次给您写信以来" in body and "Half-year report" in body
    updated = db.session.get(Material, material.id).updated_at
    assert format_when(updated, "Asia/Shanghai", "zh_Hans") in body and "北京时间" in body


def test_a_declined_or_removed_reader_gets_nothing(api, cast, smtp):
    from meetings.invitations import answers

    deliver()
    smtp.mailbox.clear()
    answers.record_response(cast.participant, "declined")
    db.session.commit()
    smtp.mailbox.clear()
    upload(cast, api, "Seating notice")
    deliver(later_minutes=AFTER_THE_DELAY)
    told = bodies(smtp)
    assert "participant@example.com" not in told and "chair@example.com" in told
