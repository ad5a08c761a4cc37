"""Materials behind links: a speaker uploads from their RSVP link; invitees, the chair and a
site's room see what is meant for them; confidential files are not handed out; everything is logged."""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa

from meetings.core.db import utcnow
from meetings.extensions import db
from meetings.invitations import links
from meetings.invitations.models import LinkPurpose
from meetings.materials import services
from meetings.materials.models import MaterialAccess
from tests import factories
from tests.materials import samples


def speaker_upload(client, token, slot_id, data, filename="report.pdf"):
    return client.post(f"/rsvp/{token}/materials", data={"slot_id": str(slot_id), "file": (io.BytesIO(data), filename)},
                       content_type="multipart/form-data")


def add(cast, api, title, **extra):
    material = services.upload(cast.meeting, samples.pdf(seed=title.encode()), f"{title}.pdf", title=title,
                               user=api.user, **extra)
    db.session.commit()
    return material


def test_a_speaker_uploads_and_replaces_from_their_link(client, api, cast):
    token = cast.rsvp_token(cast.speaker)
    rsvp = client.get(f"/rsvp/{token}")
    assert f"/rsvp/{token}/materials" in rsvp.text
    page = client.get(f"/rsvp/{token}/materials")
    assert page.status_code == 200 and "Shanghai branch" in page.text and "Nothing uploaded yet" in page.text
    assert page.headers["Referrer-Policy"] == "no-referrer"
    done = speaker_upload(client, token, cast.slot.id, samples.pdf(seed=b"first"))
    assert done.status_code == 303
    page = client.get(done.headers["Location"])
    assert "report.pdf" in page.text and "Thank you" in page.text
    speaker_upload(client, token, cast.slot.id, samples.pptx(), "slides.pptx")
    listed = api.get(f"/api/meetings/{cast.meeting.id}/materials").json
    [material] = listed["materials"]
    assert material["version"] == 2 and material["filename"] == "slides.pptx"
    assert [v["uploaded_by"] for v in material["versions"]] == ["speaker", "speaker"]
    assert listed["missing"] == []


def test_a_speakers_bad_file_is_a_form_message_and_nothing_is_stored(client, api, cast):
    token = cast.rsvp_token(cast.speaker)
    answer = speaker_upload(client, token, cast.slot.id, b"GIF89a" + b"\0" * 100, "report.pdf")
    assert answer.status_code < 500 and "not accepted" in answer.text
    assert api.get(f"/api/meetings/{cast.meeting.id}/materials").json["materials"] == []


def test_nobody_uploads_to_a_slot_not_theirs(client, cast):
    token = cast.rsvp_token(cast.participant)
    assert speaker_upload(client, token, cast.slot.id, samples.pdf()).status_code == 404
    assert client.get("/rsvp/not-a-real-token-at-all-xxxxxxxxxxxxxxxxxxxxxx/materials").status_code == 404


def test_each_sees_what_is_meant_for_them(client, api, cast):
    everyone = add(cast, api, "Everyone")
    chairs = add(cast, api, "For chairs", audience=["chair"])
    rotterdam = add(cast, api, "For Rotterdam", audience=[str(cast.remote.id)])
    organizers = add(cast, api, "Organizers only", audience="organizers")
    seen = {}
    for name in ("participant", "chair", "remote_guest", "speaker"):
        page = client.get(f"/rsvp/{cast.rsvp_token(getattr(cast, name))}").text
        seen[name] = {title for title in ("Everyone", "For chairs", "For Rotterdam", "Organizers only") if title in page}
    assert seen["participant"] == {"Everyone"}
    assert seen["chair"] == {"Everyone", "For chairs", "For Rotterdam", "Organizers only"}
    assert seen["remote_guest"] == {"Everyone", "For Rotterdam"}
    site = cast.site_token()
    join = client.get(f"/join/{site}").text
    assert "What Rotterdam shows" in join and "For Rotterdam" in join and "For chairs" not in join
    assert client.get(f"/join/{site}/materials/{rotterdam.id}").status_code == 200
    # Outside its audience: a 404, as for a file that does not exist.
    token = cast.rsvp_token(cast.participant)
    for material in (chairs, rotterdam, organizers):
        assert client.get(f"/rsvp/{token}/materials/{material.id}").status_code == 404
    assert client.get(f"/rsvp/{token}/materials/{everyone.id}").data.startswith(b"%PDF-1.7\nEveryone")


def test_a_new_material_moves_the_kept_rsvp_page(client, api, cast):
    token = cast.rsvp_token(cast.participant)
    assert "Late addition" not in client.get(f"/rsvp/{token}").text
    add(cast, api, "Late addition")
    assert "Late addition" in client.get(f"/rsvp/{token}").text


def test_a_confidential_file_is_shown_not_handed_to_participants(client, api, cast):
    secret = add(cast, api, "Budget", confidential=True)
    token = cast.rsvp_token(cast.participant)
    shown = client.get(f"/rsvp/{token}/materials/{secret.id}")
    assert shown.status_code == 200 and shown.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in shown.headers["Cache-Control"]
    chair = client.get(f"/rsvp/{cast.rsvp_token(cast.chair)}/materials/{secret.id}")
    assert chair.headers["Content-Disposition"].startswith("attachment")
    deck = services.upload(cast.meeting, samples.pptx(), "plan.pptx", title="Plan", confidential=True,
                           user=api.user)
    db.session.commit()
    assert client.get(f"/rsvp/{token}/materials/{deck.id}").status_code == 403
    log = db.session.execute(sa.select(MaterialAccess.action, MaterialAccess.via, MaterialAccess.invitation_id)
                             .order_by(MaterialAccess.id)).all()
    assert [(a.value, v, i) for a, v, i in log] == [("view", "rsvp_link", cast.participant.id),
                                                   ("download", "rsvp_link", cast.chair.id)]
    listed = api.get(f"/api/meetings/{cast.meeting.id}/materials/accesses").json
    assert {entry["who"] for entry in listed} == {"Participant", "Chair"}


def test_links_to_materials_end_with_the_meetings_links(client, api, cast):
    material = add(cast, api, "Everyone")
    token, site = cast.rsvp_token(cast.participant), cast.site_token()
    assert client.get(f"/rsvp/{token}/materials/{material.id}").status_code == 200
    assert client.get(f"/join/{site}/materials/{material.id}").status_code == 200
    factories.ending_at(cast.meeting, utcnow() - timedelta(hours=3))  # past the links' grace
    assert client.get(f"/rsvp/{token}/materials/{material.id}").status_code == 404
    assert client.get(f"/join/{site}/materials/{material.id}").status_code == 404


def test_the_speaker_page_in_chinese(client, cast):
    page = client.get(f"/rsvp/{cast.rsvp_token(cast.speaker)}/materials?lang=zh_Hans").text
    assert "您的材料" in page and "尚未上传" in page and "请在" in page


def test_the_kept_list_shows_each_change_at_the_next_view(client, api, cast):
    """The link pages keep a meeting's materials per content version and choose each reader's
    from it: a new material, a new version or a new audience shows at the next view of every
    page, and each reader still sees only their own."""
    guest = cast.rsvp_token(cast.remote_guest)
    participant = cast.rsvp_token(cast.participant)
    personal = links.mint(LinkPurpose.JOIN, meeting_id=cast.meeting.id, invitation_id=cast.remote_guest.id)
    db.session.commit()
    pages = (f"/rsvp/{guest}", f"/rsvp/{participant}", f"/join/{personal}")
    for _ in range(2):  # read, then kept
        assert all("Budget" not in client.get(url).text for url in pages)
    budget = add(cast, api, "Budget", audience=[str(cast.remote.id)])
    shown = {url: "Budget" in client.get(url).text for url in pages}
    # Meant for the Rotterdam site: its guest sees it on both their pages (their venue), the
    # participant at the main venue does not.
    assert shown == {pages[0]: True, pages[1]: False, pages[2]: True}
    changed = api.patch(f"/api/meetings/{cast.meeting.id}/materials/{budget.id}", json={"audience": "all"})
    assert changed.status_code == 200, changed.text
    assert "Budget" in client.get(pages[1]).text
    speaker = cast.rsvp_token(cast.speaker)
    assert speaker_upload(client, speaker, cast.slot.id, samples.pdf(seed=b"one"), "first.pdf").status_code == 303
    assert "first.pdf" in client.get(pages[0]).text
    assert speaker_upload(client, speaker, cast.slot.id, samples.pdf(seed=b"two"), "second.pdf").status_code == 303
    page = client.get(pages[0]).text
    assert "second.pdf" in page and "first.pdf" not in page
