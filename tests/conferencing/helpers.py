"""What the conferencing and attendance tests share: a meeting with remote sites, links, forms."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import sqlalchemy as sa
from sqlalchemy import event

from meetings.core.database import engines
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.scheduling import agenda, sites
from tests import factories
from tests.factories import wall


def remote_meeting(owner, day: date | None = None):
    """A Shanghai meeting 09:00–12:00 (UTC 01:00–04:00) with a main hall, a Rotterdam room and a
    Shanghai plant room, each with a host and one participant, an agenda item at 10:00 with a
    speaker, and an online participant in Amsterdam. Published."""
    day = day or factories.future_day()
    meeting = factories.meeting(owner, title="Mid-year operation meeting", day=day)
    people = {
        "ams_host": factories.person("Daan Bakker", email="daan@roof.example.nl", timezone="Europe/Amsterdam",
                                     unit="Rotterdam Roof Systems", title="Plant manager"),
        "ams_guest": factories.person("Sanne Visser", email="sanne@roof.example.nl", timezone="Europe/Amsterdam",
                                      unit="Rotterdam Roof Systems", title="Engineer"),
        "sh_host": factories.person("孙磊", email="sun.lei@example.com", unit="精工齿轮", title="AV engineer"),
        "sh_guest": factories.person("林晓", email="lin.xiao@example.com", unit="精工齿轮", title="副总经理"),
        "online": factories.person("Pieter de Vries", email="pieter@example.nl", timezone="Europe/Amsterdam"),
        "speaker": factories.person("张建国", email="zhang@example.com", title="Chairman"),
    }
    rotterdam = sites.add_site(meeting, {"name": "Rotterdam room", "timezone": "Europe/Amsterdam",
                                         "location": "Waalhaven 12", "host_email": people["ams_host"].email})
    plant = sites.add_site(meeting, {"name": "Shanghai plant", "timezone": "Asia/Shanghai",
                                     "location": "Building 3", "host_email": people["sh_host"].email})
    agenda.add_item(meeting, {"title": "Half-year report", "kind": "speech", "start": wall(day, 10),
                              "duration_minutes": 30,
                              "speakers": [{"email": people["speaker"].email, "topic": "Results", "minutes": 20}]})
    db.session.commit()
    factories.invite(meeting, people["ams_guest"], site_id=rotterdam.id)
    factories.invite(meeting, people["sh_guest"], site_id=plant.id)
    factories.invite(meeting, people["online"], mode="online")
    factories.publish(meeting)
    return meeting, {"rotterdam": rotterdam, "plant": plant}, people


def invitation_of(meeting, person):
    from meetings.invitations import services

    return next(i for i in services.invitations_of(meeting) if i.person_id == person.id)


def site_token(site) -> str:
    """A fresh site link's token, as the emails and the site link API make them."""
    raw = links.mint(LinkPurpose.SITE, meeting_id=site.meeting_id, site_id=site.id)
    db.session.commit()
    return raw


def personal_token(invitation, purpose: LinkPurpose = LinkPurpose.JOIN) -> str:
    """A fresh personal link's token (join or check-in)."""
    raw = links.mint(purpose, meeting_id=invitation.meeting_id, invitation_id=invitation.id)
    db.session.commit()
    return raw


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def text_of(html: str, element_id: str) -> str:
    """The text of the element with ``element_id``, tags dropped and spaces collapsed."""
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</(?:dd|p|ol|ul|section)>', html, re.S)
    assert match, f"no element #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def row_counts() -> dict[str, int]:
    """How many rows each table has."""
    db.session.commit()
    return {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


@contextmanager
def counted_statements():
    """Collect the SQL statements (not BEGIN/COMMIT or PRAGMAs) run inside the block."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH"):
            statements.append(statement)

    for engine in engines(db.engine):  # the session's and `autocommit`'s
        event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        for engine in engines(db.engine):
            event.remove(engine, "before_cursor_execute", before)
