"""Who is signed in is visible on every page, the chosen language survives signing in and
out, the other entry point explains instead of refusing, and pages carry their metadata."""

from __future__ import annotations

import re

from app.config import ROOT
from app.models import AccountKind, AccountType


def test_english_stays_english_through_sign_in_and_out(client, factory, as_teacher):
    teacher = factory.teacher(factory.school())
    client.get("/lang/en")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)

    as_teacher(teacher)
    page = client.get("/teacher/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Signed in: 王小明 (teacher)" in page

    client.post("/logout")
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_chinese_stays_chinese_for_an_english_browser(client, factory, as_account):
    account = factory.account(factory.school(name="測試國小"), AccountType.PLANNING)
    client.get("/lang/zh")
    as_account(account)
    page = client.get("/school/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="zh-Hant-TW"' in page
    assert f"已登入：{account.name}（測試國小 業務帳號）" in page


def test_the_other_entry_point_says_who_is_signed_in(client, factory, as_teacher):
    teacher = factory.teacher(factory.school())
    as_teacher(teacher)
    home = client.get("/").get_data(as_text=True)
    assert "您目前以王小明（教師）登入，請先登出再以此入口登入。" in home
    assert 'href="/school/"' not in home.split('class="entry-points"', 1)[1].split("</div>\n", 1)[0]
    assert "進入我的進修規劃" in home

    refused = client.get("/school/")
    assert refused.status_code == 403
    assert "您目前以王小明（教師）登入。" in refused.get_data(as_text=True)


def test_staff_are_named_by_their_unit(client, factory, as_account):
    authority = factory.authority()
    account = factory.account(None, kind=AccountKind.AUTHORITY, authority_id=authority.id)
    as_account(account)
    page = client.get("/").get_data(as_text=True)
    assert f"已登入：{account.name}（{authority.name}）" in page
    assert "您目前以" in page  # the teacher entry explains instead of refusing


def test_pages_have_a_description_and_an_icon(client):
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'<meta name="description" content="[^"]{20,}">', page)
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon
    response = client.get(icon.group(1))
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith("<svg")
    response.close()


def test_templates_use_only_the_valid_data_hx_attribute_form():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(?<![\w-])hx-[a-z]", line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []
