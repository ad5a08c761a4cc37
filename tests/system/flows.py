"""The after-invite flows of the mission, through nginx only: materials (issue 17) and minutes,
actions and the next meeting (issue 18). Called by test_mission with the stack it started."""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from datetime import timedelta

import requests

from tests.materials import samples
from tests.processes import eventually
from tests.system import mission as m
from tests.system.stack import client_from


def ok(response: requests.Response, status: int = 200) -> requests.Response:
    assert response.status_code == status, f"{response.request.method} {response.url}: " \
                                           f"{response.status_code} {response.text[:500]}"
    return response


def wait_for_mail(system, predicate, count: int, what: str, timeout: float = 90):
    """The received emails matching ``predicate``, once ``count`` of them have arrived."""
    def arrived():
        mails = [mail for mail in m.read(system.mailbox) if predicate(mail)]
        return mails if len(mails) >= count else None
    return eventually(arrived, timeout, f"{count} {what}")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hidden_fields(form_html: str) -> dict[str, str]:
    """The hidden inputs of a form, as the browser would send them."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form_html):
        kind, name = re.search(r'type="([^"]*)"', tag), re.search(r'name="([^"]*)"', tag)
        if kind and name and kind.group(1) == "hidden":
            value = re.search(r'value="([^"]*)"', tag)
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return fields


def absolute(url: str, link: str) -> str:
    """``link`` (a path or an address) as an address under ``url``."""
    return link if link.startswith("http") else url + link


def listed_materials(page: str) -> dict[str, str]:
    """Title → absolute-path link of the materials a link page lists."""
    found = re.search(r'<ul class="materials" id="materials">(.*?)</ul>', page, re.DOTALL)
    if not found:
        return {}
    return {html.unescape(title): html.unescape(href)
            for href, title in re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', found.group(1))}


# --- materials, before publishing ---------------------------------------------------------------

def organizer_uploads(api, url: str, mid: int, report: dict, discussion: dict) -> dict:
    """The organizer's uploads by the API (multipart): one for the meeting, one for Li Ming's slot
    shown to site hosts and speakers only, a confidential deck on the discussion. Title → (id, bytes)."""
    slot = {speaker["email"]: speaker["id"] for speaker in report["speakers"]}
    uploads = {}
    for title, name, data, form in (
            ("Meeting pack", "pack.pdf", samples.pdf(seed=b"meeting pack"), {"audience": "all"}),
            ("The half year", "half-year.pdf", samples.pdf(seed=b"li ming"),
             {"slot_id": str(slot["li.ming@hq.example.com"]), "audience": "site_host,speaker"}),
            ("Targets (confidential)", "targets.pptx", samples.pptx(), {"agenda_item_id": str(discussion["id"]),
                                                                 "audience": "all", "confidential": "true"})):
        made = ok(api.post(f"{url}/api/meetings/{mid}/materials", data={"title": title, **form},
                           files={"file": (name, data, "application/octet-stream")}), 201).json()
        assert made["sha256"] == sha(data) and made["size"] == len(data) and made["version"] == 1
        uploads[title] = (made["id"], data)
    missing = ok(api.get(f"{url}/api/meetings/{mid}/materials")).json()["missing"]
    assert [row["email"] for row in missing] == ["pieter@roof.example.nl"]
    return uploads


# --- materials, after the invites ---------------------------------------------------------------

def is_materials_reminder(mail) -> bool:
    return mail.calendar() is None and ("material" in mail.subject.lower() or "材料" in mail.subject)


def materials_flow(system, api, mid: int, by_person: dict, uploads: dict) -> None:
    """The reminder reaches the one speaker without material; he uploads from his emailed link;
    the chair, a site host and a participant see what is theirs; the ZIP; the access log."""
    url = system.url
    # Materials are due (2 days before a meeting that starts within the hour: already), so the
    # scheduler's next look reminds Pieter, the only speaker without material, once.
    [reminder] = wait_for_mail(system, is_materials_reminder, 1, "the materials reminder")
    assert reminder.recipient == "pieter@roof.example.nl" and reminder.link("rsvp")

    # Pieter follows the RSVP link of his invite to his upload page, and sends the form it gives.
    pieter = client_from("127.0.0.13")
    rsvp_page = ok(pieter.get(by_person["pieter@roof.example.nl"].link("rsvp"))).text
    upload_page = ok(pieter.get(url + html.unescape(
        re.search(r'id="materials-upload" href="([^"]+)"', rsvp_page).group(1))))
    form = re.search(r'<form method="post" enctype="multipart/form-data".*?</form>', upload_page.text, re.DOTALL).group(0)
    roof = samples.pdf(seed=b"roof systems")
    sent = ok(pieter.post(upload_page.url, data=hidden_fields(form),
                          files={"file": ("Roof systems H1.pdf", roof, "application/pdf")}))
    assert "done=uploaded" in sent.url and "Roof systems H1.pdf" in sent.text
    listed = ok(api.get(f"{url}/api/meetings/{mid}/materials")).json()
    assert listed["missing"] == []
    [roof_material] = [row for row in listed["materials"] if row["sha256"] == sha(roof)]
    assert roof_material["versions"][0]["uploaded_by"] == "speaker"
    files = {title: data for title, (_id, data) in uploads.items()} | {roof_material["title"]: roof}
    downloads = []  # (title, via) of every download and view made below

    # The chair's RSVP page lists everything, and each file downloads through nginx.
    chair = client_from("127.0.0.14")
    shown = listed_materials(ok(chair.get(by_person[m.ORGANIZER].link("rsvp"))).text)
    assert set(shown) == set(files), shown
    for title, link in shown.items():
        got = ok(chair.get(absolute(url, link)))
        assert got.content == files[title] and got.headers["Content-Disposition"].startswith("attachment")
        downloads.append((title, "rsvp_link"))

    # The Rotterdam room's host: the join page lists what the room shows; the confidential deck
    # is listed but not handed out.
    daan = client_from("127.0.0.15")
    shown = listed_materials(ok(daan.get(by_person["daan@roof.example.nl"].link("join"))).text)
    assert set(shown) == set(files), shown
    for title, link in shown.items():
        got = daan.get(absolute(url, link))
        if title == "Targets (confidential)":
            assert got.status_code == 403
            continue
        assert ok(got).content == files[title]
        downloads.append((title, "site_link"))

    # Sanne, a participant: Li Ming's slides are not for her (404, and not listed); the
    # confidential deck is listed, but not downloadable.
    sanne = client_from("127.0.0.16")
    sanne_link = by_person["sanne@roof.example.nl"].link("rsvp")
    shown = listed_materials(ok(sanne.get(sanne_link)).text)
    assert set(shown) == set(files) - {"The half year"}, shown
    token_path = sanne_link.replace(url, "")
    assert sanne.get(f"{url}{token_path}/materials/{uploads['The half year'][0]}").status_code == 404
    assert sanne.get(absolute(url, shown["Targets (confidential)"])).status_code == 403
    assert ok(sanne.get(absolute(url, shown["Meeting pack"]))).content == files["Meeting pack"]
    downloads.append(("Meeting pack", "rsvp_link"))

    # The ZIP streams through nginx: every file, named in agenda order.
    answer = ok(api.get(f"{url}/api/meetings/{mid}/materials.zip"))
    assert "Content-Length" not in answer.headers or answer.headers.get("Transfer-Encoding") == "chunked"
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert names == ["01 Meeting pack.pdf", "02 The half year.pdf", f"03 {roof_material['title']}.pdf",
                         "04 Targets (confidential).pptx"], names
        assert [sha(archive.read(name)) for name in names] == [
            sha(files[title]) for title in ("Meeting pack", "The half year", roof_material["title"],
                                            "Targets (confidential)")]
    downloads += [(title, "zip") for title in files]

    # Every download is in the access log, once.
    log = ok(api.get(f"{url}/api/meetings/{mid}/materials/accesses")).json()
    assert sorted((row["title"], row["via"]) for row in log) == sorted(downloads)
    assert {row["who"] for row in log if row["via"] == "site_link"} == {"Rotterdam room"}



def reminded_once(system) -> None:
    """At the end of the run: no second materials reminder, from either scheduler, to anyone
    (Pieter has uploaded since; the cancellation step has let both schedulers poll a few times)."""
    reminders = [mail for mail in m.read(system.mailbox) if is_materials_reminder(mail)]
    assert [mail.recipient for mail in reminders] == ["pieter@roof.example.nl"]


# --- minutes, actions, the next meeting ---------------------------------------------------------

def minutes_flow(system, api, mid: int, items: list[dict], moved) -> None:
    """Minutes written, approved and published to everyone invited; each reader mailed once, the
    owner's action on top; the owner reports from the emailed link; the next meeting copied with
    the open action to review, seen through every app host."""
    url = system.url
    report, discussion = items
    due = (moved + timedelta(days=14)).date().isoformat()
    base = f"{url}/api/meetings/{mid}/minutes"
    written = ok(api.put(base, json={
        "notes": [{"agenda_item_id": report["id"], "text": "Revenue **up** 8%.\n- Rotterdam on target"},
                  {"agenda_item_id": discussion["id"], "text": "Measures agreed."}],
        "decisions": [{"text": "Close the old line by Q4.", "agenda_item_id": discussion["id"]}],
        "actions": [{"title": "Plan for the old line", "owner_email": "sanne@roof.example.nl", "due": due,
                     "agenda_item_id": discussion["id"]}]})).json()
    assert written["state"] == "draft" and written["actions"][0]["owner"]
    ok(api.post(base + "/submit"))
    ok(api.post(base + "/approve"))
    ok(api.post(base + "/publish", json={"audience": "invited"}))
    readers = {i["person"]["email"] for i in ok(api.get(f"{url}/api/meetings/{mid}/invitations")).json()}

    def is_minutes(mail):
        return mail.calendar() is None and ("Minutes of" in mail.subject or "纪要" in mail.subject)
    # One each (a second copy from the other scheduler would fail `mission.duplicates` at the end).
    mails = wait_for_mail(system, is_minutes, len(readers), "minutes")
    assert sorted(mail.recipient for mail in mails) == sorted(readers)
    by_reader = {mail.recipient: mail for mail in mails}
    text = by_reader["sanne@roof.example.nl"].text
    assert text.index("Your actions") < text.index("Decisions") and "Plan for the old line" in text
    assert all("/actions/link/" not in mail.text for email, mail in by_reader.items()
               if email != "sanne@roof.example.nl")

    # Sanne follows her action's link and reports progress with the form the page gives.
    sanne = client_from("127.0.0.17")
    link = by_reader["sanne@roof.example.nl"].link("actions/link")
    assert link.startswith(url)
    page = ok(sanne.get(link)).text
    form = next(f for f in re.findall(r"<form.*?</form>", page, re.DOTALL) if 'value="progress"' in f)
    reported = ok(sanne.post(link, data={**hidden_fields(form), "text": "Half of the plan written"}))
    assert 'id="action-result"' in reported.text
    [action] = ok(api.get(f"{url}/api/actions", params={"meeting": mid})).json()
    assert action["owner_email"] == "sanne@roof.example.nl" and action["status"] not in ("done", "closed")
    assert "Half of the plan written" in (action["progress"] or "")

    # The next meeting, from this one, with the open action on its agenda; every host shows it.
    copied = ok(api.post(f"{url}/api/meetings/{mid}/copy", json={
        "start": (moved + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"), "timezone": "Asia/Shanghai",
        "carry_open_actions": True}), 201).json()
    assert copied["status"] == "draft" and copied["id"] != mid
    for host in system.hosts:
        agenda = ok(requests.get(f"{host}/api/meetings/{copied['id']}/agenda", headers=api.headers)).json()
        review = agenda[-1]
        assert "Plan for the old line" in review["description"]
        assert [s["email"] for s in review["speakers"]] == ["sanne@roof.example.nl"]
        assert ok(requests.get(f"{host}/api/meetings/{copied['id']}", headers=api.headers)).json()["id"] == copied["id"]


# --- the roster import page, its two steps on any host (issue 14) -------------------------------

def roster_page_flow(system, browser: requests.Session, api) -> None:
    """The organizer checks a roster on the import page and confirms it: through nginx, and with
    the check on each app host and the confirmation on each (on PostgreSQL: both pairs across
    the two hosts, which failed when the checked file stayed on one host's disk). The people of
    each file arrive; a confirmation sent twice imports once."""
    url = system.url
    rounds = [(url, url)] + [(check, confirm) for check in system.hosts for confirm in system.hosts]
    for number, (check_at, confirm_at) in enumerate(rounds):
        tag = f"page-import-{number}"
        emails = [f"page{number}.{n}@import.example.com" for n in range(3)]
        content = m.roster_csv([[f"Page {number}.{n}", email, "Page Import Co", "", tag, "Asia/Shanghai", "en"]
                                for n, email in enumerate(emails)])
        page = ok(browser.get(f"{check_at}/people/import")).text
        preview = ok(browser.post(f"{check_at}/people/import", data={"csrf_token": m.csrf_token(page)},
                                  files={"file": ("roster.csv", content, "text/csv")})).text
        assert "Ready: 3 to add, 0 to update" in preview, preview[-2000:]
        form = re.search(r'<form method="post">.*?</form>', preview, re.DOTALL).group(0)
        fields = hidden_fields(form)
        assert fields.get("upload"), form
        done = ok(browser.post(f"{confirm_at}/people/import", data=fields))
        assert done.url.endswith("/people") and "Imported: 3 added, 0 updated." in done.text, done.text[-2000:]
        arrived = ok(api.get(f"{url}/api/people", params={"tag": tag})).json()
        assert sorted(person["email"] for person in arrived) == emails, (check_at, confirm_at, arrived)
        if number == 0:
            again = ok(browser.post(f"{confirm_at}/people/import", data=fields)).text
            assert "That upload is gone; choose the file again." in again
            assert len(ok(api.get(f"{url}/api/people", params={"tag": tag})).json()) == 3
