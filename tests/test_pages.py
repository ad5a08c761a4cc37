"""The landing pages: sign in, see the meetings with their times, sites and agenda."""

import re

from meetings import demo


def login(client, email=demo.ADMIN_EMAIL, password=demo.DEMO_PASSWORD, next_url=None):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def test_the_dashboard_asks_for_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_after_login_the_demo_meeting_is_listed_and_shown(client, runner):
    runner.invoke(args=["demo"])
    response = login(client)
    assert response.status_code == 302
    dashboard = client.get("/")
    assert "Mid-year Operation Meeting" in dashboard.text
    link = re.search(r'href="(/meetings/\d+)"', dashboard.text).group(1)
    page = client.get(link).text
    assert "Rotterdam plant, meeting room 2" in page
    assert "Europe/Amsterdam" in page
    assert "Pieter de Vries" in page and "Half-year operation report" in page
    assert "14:00–17:30" in page


def test_a_wrong_password_is_refused(client, runner):
    runner.invoke(args=["demo"])
    response = login(client, password="wrong password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.text
    assert client.get("/").status_code == 302


def test_an_organizer_does_not_see_other_peoples_meetings(client, runner):
    from meetings.accounts.services import create_user
    from meetings.extensions import db

    runner.invoke(args=["demo"])
    create_user("new@example.com", "organizer", "long enough password")
    db.session.commit()
    login(client, "new@example.com", "long enough password")
    assert "Mid-year Operation Meeting" not in client.get("/").text
    assert client.get("/meetings/1").status_code == 404


def test_each_time_on_the_dashboard_names_its_zone_where_a_phone_hides_the_tables_head(client, runner):
    runner.invoke(args=["demo"])
    login(client)
    for headers, zone in (({}, "GMT+8"), ({"Accept-Language": "zh-CN"}, "北京时间")):
        page = client.get("/", headers=headers).text
        head = re.search(r'<th scope="col">([^<]*)</th>', page).group(1)
        assert zone in head, head
        # A phone shows each cell with its data-label in place of the hidden column heads.
        cell = re.search(r'<td data-label="([^"]*)">([^<]*)</td>\s*<td><a href="/meetings/', page)
        assert cell is not None, "the time cell carries no label"
        assert cell.group(1) == head and "14:00–17:30" in cell.group(2)
