"""The demo data: a corporate group and its mid-year operation meeting.

Loading is idempotent: people are matched by email, the meeting by its fixed UID, so running it
again changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app

from meetings.accounts import services as accounts
from meetings.accounts.models import User
from meetings.directory import services as directory
from meetings.extensions import db
from meetings.invitations import services as invitations
from meetings.scheduling import agenda, sites
from meetings.scheduling import services as scheduling
from meetings.scheduling.models import Meeting

ADMIN_EMAIL = "admin@example.com"
ORGANIZER_EMAIL = "organizer@example.com"
#: Development-only credentials, printed by `make run`; `flask demo` is for development databases.
#: A published demo password, not a secret: the security linter is told so on the next line.
DEMO_PASSWORD = "meetings-demo"  # nosec B105

HQ = "集团总部 Group Headquarters"
AUTO = "华东汽车零部件有限公司"
ROOF = "Rotterdam Roof Systems B.V."
BEIJING = "北京分公司 Beijing Branch"
GEAR = "精工齿轮股份有限公司"

UNITS = [
    # name, kind, parent, zone
    (HQ, "headquarters", None, "Asia/Shanghai"),
    (AUTO, "enterprise", HQ, "Asia/Shanghai"),
    (ROOF, "enterprise", HQ, "Europe/Amsterdam"),
    (BEIJING, "branch", HQ, "Asia/Shanghai"),
    (GEAR, "enterprise", HQ, "Asia/Shanghai"),
]

LEADER = "vice-director-and-above"
REP = "enterprise-representative"
PEOPLE = [
    # name, email, unit, title, tags, language
    ("张建国", "zhang.jianguo@group.example.com", HQ, "Chairman 董事长", ["party-committee", LEADER], "zh_Hans"),
    ("李明", "li.ming@group.example.com", HQ, "President 总裁", ["party-committee", LEADER], "zh_Hans"),
    ("王芳", "wang.fang@group.example.com", HQ, "Vice President 副总裁", [LEADER], "zh_Hans"),
    ("陈强", "chen.qiang@group.example.com", HQ, "Chief Financial Officer 财务总监", [LEADER], "zh_Hans"),
    ("冯涛", "feng.tao@group.example.com", HQ, "Party Committee Secretary 党委书记", ["party-committee", LEADER], "zh_Hans"),
    ("董洁", "dong.jie@group.example.com", HQ, "Discipline Inspection 纪委书记", ["party-committee", LEADER], "zh_Hans"),
    ("刘洋", "liu.yang@group.example.com", HQ, "Director, Operations Office 运营办主任", [LEADER, "hq-staff"], "zh_Hans"),
    ("赵敏", "zhao.min@group.example.com", HQ, "Meeting Secretary 会务秘书", ["hq-staff"], "zh_Hans"),
    ("孙磊", "sun.lei@group.example.com", HQ, "AV Engineer 音视频工程师", ["hq-staff", "site-host"], "zh_Hans"),
    ("周静", "zhou.jing@group.example.com", HQ, "HR Manager 人力资源经理", ["hq-staff"], "zh_Hans"),
    ("吴涛", "wu.tao@group.example.com", HQ, "Strategy Analyst 战略分析师", ["hq-staff"], "zh_Hans"),
    ("郑丽", "zheng.li@group.example.com", HQ, "Finance Manager 财务经理", ["hq-staff"], "zh_Hans"),
    ("黄志刚", "huang.zhigang@autoparts.example.com", AUTO, "General Manager 总经理", [REP, LEADER], "zh_Hans"),
    ("林晓", "lin.xiao@autoparts.example.com", AUTO, "Deputy General Manager 副总经理", [LEADER], "zh_Hans"),
    ("何俊", "he.jun@autoparts.example.com", AUTO, "Administration Officer 行政主管", ["site-host"], "zh_Hans"),
    ("马超", "ma.chao@autoparts.example.com", AUTO, "Production Engineer 生产工程师", [], "zh_Hans"),
    ("Pieter de Vries", "pieter.devries@roofsystems.example.nl", ROOF, "Managing Director", [REP, LEADER], "en"),
    ("Sanne Jansen", "sanne.jansen@roofsystems.example.nl", ROOF, "Operations Manager", [LEADER], "en"),
    ("Daan Bakker", "daan.bakker@roofsystems.example.nl", ROOF, "IT Coordinator", ["site-host"], "en"),
    ("Emma Visser", "emma.visser@roofsystems.example.nl", ROOF, "Finance Controller", [], "en"),
    ("高伟", "gao.wei@roofsystems.example.nl", ROOF, "Dispatched Deputy Director 派驻副总", ["dispatched", LEADER], "zh_Hans"),
    ("徐海", "xu.hai@beijing.group.example.com", BEIJING, "Branch Head 分公司总经理", [REP, LEADER], "zh_Hans"),
    ("朱琳", "zhu.lin@beijing.group.example.com", BEIJING, "Deputy Branch Head 副总经理", [LEADER], "zh_Hans"),
    ("胡斌", "hu.bin@beijing.group.example.com", BEIJING, "Office Manager 办公室主任", ["site-host"], "zh_Hans"),
    ("郭静", "guo.jing@beijing.group.example.com", BEIJING, "Sales Manager 销售经理", [], "zh_Hans"),
    ("罗刚", "luo.gang@gears.example.com", GEAR, "Chairman 董事长", [REP, LEADER], "zh_Hans"),
    ("梁燕", "liang.yan@gears.example.com", GEAR, "Deputy General Manager 副总经理", [LEADER], "zh_Hans"),
    ("宋杰", "song.jie@gears.example.com", GEAR, "Administration Officer 行政主管", ["site-host"], "zh_Hans"),
    ("唐敏", "tang.min@gears.example.com", GEAR, "Quality Manager 质量经理", [], "zh_Hans"),
    ("韩雪", "han.xue@gears.example.com", GEAR, "Engineer 工程师", [], "zh_Hans"),
]

MEETING_ZONE = "Asia/Shanghai"


def demo_uid() -> str:
    """The fixed UID of the demo meeting, so loading twice finds it."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "meetings.invalid"
    return f"demo-mid-year-operation-meeting@{host}"


def database_is_empty() -> bool:
    """Whether nobody has an account yet (a fresh database)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def demo_password_works() -> bool:
    """Whether the demo admin still signs in with the demo password (development hint)."""
    return accounts.authenticate(ADMIN_EMAIL, DEMO_PASSWORD) is not None


def demo_day(today: date) -> date:
    """A Thursday two to three weeks ahead: far enough for every reminder to be due later."""
    day = today + timedelta(days=14)
    while day.weekday() != 3:
        day += timedelta(days=1)
    return day


def load_demo(today: date | None = None) -> dict:
    """Load the demo group and meeting if they are missing; returns what was created."""
    created = {"people": 0, "users": 0, "meeting": False}
    unit_by_name: dict = {}
    for name, kind, parent, zone in UNITS:
        unit_by_name[name] = directory.get_or_create_unit(name, kind=kind, parent=unit_by_name.get(parent),
                                                          timezone=zone)
    for name, email, unit, title, tags, language in PEOPLE:
        if directory.get_person_by_email(email) is None:
            directory.create_person({"name": name, "email": email, "unit": unit, "title": title,
                                     "tags": tags, "language": language})
            created["people"] += 1
    for email, role, name in ((ADMIN_EMAIL, "admin", "Demo admin"), (ORGANIZER_EMAIL, "organizer", "赵敏")):
        if accounts.get_user_by_email(email) is None:
            accounts.create_user(email, role, DEMO_PASSWORD, name)
            created["users"] += 1
    if db.session.scalar(sa.select(Meeting).where(Meeting.uid == demo_uid())) is None:
        _create_meeting(today or datetime.now(ZoneInfo(MEETING_ZONE)).date())
        created["meeting"] = True
    db.session.flush()
    return created


def _create_meeting(today: date) -> Meeting:
    organizer = accounts.get_user_by_email(ORGANIZER_EMAIL)
    day = demo_day(today)

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute))

    meeting = scheduling.create_meeting({
        "title": f"{day.year} Mid-year Operation Meeting", "title_zh": f"{day.year}年年中经营会议",
        "description": ("The group's half-year review: the president's operation report, a speech by the "
                        "representative of each member enterprise, and the chairman conveying the group's "
                        "direction for the second half.\n集团半年经营工作会议：总裁作经营工作报告，各成员企业代表发言，"
                        "董事长传达集团下半年工作方向。"),
        "kind": "operation",
        "start": at(14), "end": at(17, 30), "timezone": MEETING_ZONE,
    }, organizer)
    meeting.uid = demo_uid()
    admin = accounts.get_user_by_email(ADMIN_EMAIL)
    scheduling.share_meeting(meeting, admin)
    sites.add_site(meeting, {"name": "Main hall, HQ 12F 总部12楼主会场", "kind": "main",
                             "location": "Group HQ, 1000 Century Avenue, Pudong, Shanghai, 12F main hall",
                             "host_email": "sun.lei@group.example.com", "vc": {"provider": "jitsi"}})
    sites.add_site(meeting, {"name": "华东汽车零部件 会议室", "kind": "remote", "timezone": "Asia/Shanghai",
                             "location": "Kunshan plant, building A, meeting room 301",
                             "host_email": "he.jun@autoparts.example.com", "vc": {"provider": "jitsi"}})
    sites.add_site(meeting, {"name": "Rotterdam plant, meeting room 2", "kind": "remote",
                             "timezone": "Europe/Amsterdam", "location": "Waalhaven Z.z. 12, Rotterdam, room 2",
                             "host_email": "daan.bakker@roofsystems.example.nl", "vc": {"provider": "jitsi"}})
    sites.add_site(meeting, {"name": "北京分公司 视频会议室", "kind": "remote", "timezone": "Asia/Shanghai",
                             "location": "Beijing branch, Chaoyang, 8F video room",
                             "host_email": "hu.bin@beijing.group.example.com", "vc": {"provider": "jitsi"}})
    items = [
        {"title": "Opening", "title_zh": "开幕", "kind": "other", "start": at(14), "duration_minutes": 10},
        {"title": "Half-year operation report", "title_zh": "总裁经营报告", "kind": "report", "start": at(14, 10),
         "duration_minutes": 40, "speakers": [
             {"email": "li.ming@group.example.com", "topic": "Half-year operation report", "minutes": 40}]},
        {"title": "Speeches of the member enterprises", "title_zh": "成员企业代表发言", "kind": "speech", "start": at(14, 50),
         "duration_minutes": 60, "speakers": [
             {"email": "huang.zhigang@autoparts.example.com", "topic": "Auto parts: orders and capacity",
              "minutes": 15},
             {"email": "pieter.devries@roofsystems.example.nl", "topic": "Roof systems: the European market",
              "minutes": 15},
             {"email": "xu.hai@beijing.group.example.com", "topic": "Beijing branch: sales in the north",
              "minutes": 15},
             {"email": "luo.gang@gears.example.com", "topic": "Gears: quality and cost", "minutes": 15}]},
        {"title": "Break", "title_zh": "茶歇", "kind": "break", "start": at(15, 50), "duration_minutes": 15},
        {"title": "Discussion", "title_zh": "讨论", "kind": "discussion", "start": at(16, 5), "duration_minutes": 40},
        {"title": "The chairman's speech: the group's direction", "title_zh": "董事长讲话", "kind": "report",
         "start": at(16, 45),
         "duration_minutes": 30, "speakers": [
             {"email": "zhang.jianguo@group.example.com", "topic": "The group's direction for the second half",
              "minutes": 30}]},
        {"title": "Closing", "title_zh": "闭幕", "kind": "other", "start": at(17, 15), "duration_minutes": 15},
    ]
    for item in items:
        agenda.add_item(meeting, item)
    # Speakers and site hosts are invited as the agenda and the sites name them; the rest by role.
    invitations.invite(meeting, {"email": "zhang.jianguo@group.example.com", "role": "chair"})
    invitations.invite(meeting, {"tags": ["vice-director-and-above"], "role": "participant"})
    invitations.invite(meeting, {"tags": ["hq-staff"], "role": "observer"})
    return meeting
