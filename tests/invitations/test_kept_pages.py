"""Whole link pages kept per what they show (`meetings.core.stencils`): two people whose pages
show the same (same meeting, role, venue, answer, zone, language) are given one kept page, and
each sees only their own name, unit, delegate and links in it; what changes for one person shows
on their next view."""

from __future__ import annotations

import re

import pytest

from meetings.directory.models import Person
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.materials import services as materials
from tests import factories
from tests.materials import samples


@pytest.fixture()
def pair(api, database_url):
    """A published meeting with a material for everyone and two participants at the main venue,
    each with an RSVP and a join link; an app that says whether each page was kept."""
    from tests.conftest import make_test_app

    meeting = factories.meeting(api.user, title="Mid-year operation meeting")
    people = {"ann": factories.person("Ann <b>Lee</b> & Co", email="ann@example.com", unit="Unit <A>"),
              "li": factories.person("李明", email="li.ming@example.com", unit="北京分公司")}
    invitations = {name: factories.invite(meeting, person) for name, person in people.items()}
    factories.publish(meeting)
    materials.upload(meeting, samples.pdf(seed=b"agenda"), "agenda.pdf", title="Agenda pack", user=api.user)
    db.session.commit()
    tokens = {name: {purpose: links.mint(purpose, meeting_id=meeting.id, invitation_id=invitation.id)
                     for purpose in (LinkPurpose.RSVP, LinkPurpose.JOIN)}
              for name, invitation in invitations.items()}
    db.session.commit()
    reporting = make_test_app(database_url, PAGE_CACHE_REPORT=True)
    yield {"client": reporting.test_client(), "meeting": meeting, "people": people, "invitations": invitations,
           "tokens": tokens}
    with reporting.app_context():
        db.engine.dispose()  # its pooled connections closed now, not when collected


def _tokens_in(html: str) -> set[str]:
    return set(re.findall(r"/(?:rsvp|join)/([A-Za-z0-9_-]{20,})", html))


def _opened(pair, name: str, purpose: LinkPurpose, query: str = ""):
    prefix = "rsvp" if purpose == LinkPurpose.RSVP else "join"
    page = pair["client"].get(f"/{prefix}/{pair['tokens'][name][purpose]}{query}")
    assert page.status_code == 200
    return page


@pytest.mark.parametrize("purpose", [LinkPurpose.RSVP, LinkPurpose.JOIN])
@pytest.mark.parametrize("query", ["", "?lang=zh_Hans"])
def test_two_people_of_one_kept_page_each_see_only_their_own_name_and_links(pair, purpose, query):
    ann = _opened(pair, "ann", purpose, query)
    li = _opened(pair, "li", purpose, query)
    again = _opened(pair, "ann", purpose, query)
    assert [page.headers["X-Kept-Page"] for page in (ann, li, again)] == ["miss", "hit", "hit"]
    assert again.text == ann.text
    own = {"ann": pair["tokens"]["ann"][purpose], "li": pair["tokens"]["li"][purpose]}
    # Every link on the page (the language switch, the materials) carries the reader's own token.
    assert _tokens_in(ann.text) == {own["ann"]} and _tokens_in(li.text) == {own["li"]}
    assert "/materials/" in ann.text and "Agenda pack" in li.text
    # Their own name, escaped; never the other's.
    assert "Ann &lt;b&gt;Lee&lt;/b&gt; &amp; Co" in ann.text and "<b>Lee</b>" not in ann.text
    assert "李明" not in ann.text and "Ann" not in li.text and "李明" in li.text
    if purpose == LinkPurpose.RSVP:
        assert "Unit &lt;A&gt;" in ann.text and "北京分公司" not in ann.text
        assert "北京分公司" in li.text and "Unit" not in li.text
    assert "blank" not in ann.text.lower().replace("target=\"_blank\"", "")


def test_each_delegates_own_name_shows_on_a_shared_page(pair):
    client, tokens = pair["client"], pair["tokens"]
    for name, (email, delegate) in {"ann": ("zhu.lin@example.com", "朱琳"),
                                    "li": ("wang.fang@example.com", "王芳")}.items():
        done = client.post(f"/rsvp/{tokens[name][LinkPurpose.RSVP]}",
                           data={"delegate_email": email, "delegate_name": delegate})
        assert done.status_code == 303
    ann = client.get(f"/rsvp/{tokens['ann'][LinkPurpose.RSVP]}?done=delegated")
    li = client.get(f"/rsvp/{tokens['li'][LinkPurpose.RSVP]}?done=delegated")
    assert (ann.headers["X-Kept-Page"], li.headers["X-Kept-Page"]) == ("miss", "hit")
    assert "朱琳 is invited in your place" in ann.text and "王芳" not in ann.text
    assert "王芳 is invited in your place" in li.text and "朱琳" not in li.text
    assert "done=delegated" in li.text and _tokens_in(li.text) == {tokens["li"][LinkPurpose.RSVP]}


def test_what_changes_for_one_person_shows_on_their_next_view_and_not_on_the_others(pair):
    client, tokens = pair["client"], pair["tokens"]
    _opened(pair, "ann", LinkPurpose.RSVP)
    _opened(pair, "li", LinkPurpose.RSVP)
    # Li answers: their page is now another kept page; Ann's stays as it was.
    assert client.post(f"/rsvp/{tokens['li'][LinkPurpose.RSVP]}", data={"response": "accepted"}).status_code == 303
    li = _opened(pair, "li", LinkPurpose.RSVP)
    ann = _opened(pair, "ann", LinkPurpose.RSVP)
    assert 'id="current-answer"><strong>accepted</strong>' in li.text
    assert 'id="current-answer"><strong>no answer yet</strong>' in ann.text
    # A new name (a directory edit moves no meeting's version) shows at once: it is filled in.
    db.session.get(Person, pair["people"]["ann"].id).name = "Ann Lee-Smith"
    db.session.commit()
    renamed = _opened(pair, "ann", LinkPurpose.RSVP)
    assert renamed.headers["X-Kept-Page"] == "hit" and "Ann Lee-Smith" in renamed.text


def test_a_page_with_other_arguments_is_rendered_whole_and_not_kept(pair):
    page = _opened(pair, "ann", LinkPurpose.RSVP, "?utm_source=mail")
    assert page.headers["X-Kept-Page"] == "miss"
    assert "utm_source=mail" in page.text  # the language switch keeps the page's own address
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in page.text
    kept = pair["client"].application.extensions["meetings_page_cache"]
    before = len(kept)
    assert "Ann &lt;b&gt;Lee&lt;/b&gt;" in _opened(pair, "ann", LinkPurpose.RSVP, "?utm_source=other").text
    assert len(kept) == before  # the meeting's parts were kept already; no whole page was
    assert _opened(pair, "ann", LinkPurpose.RSVP).headers["X-Kept-Page"] == "miss"  # the mailed link's own
