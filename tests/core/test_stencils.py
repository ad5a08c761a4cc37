"""Kept whole pages (`meetings.core.stencils`): blanks filled escaped, blanks that a template
changes refused, and the page cache's bounds (`meetings.core.pagecache`)."""

from __future__ import annotations

import pytest
from flask import render_template_string
from markupsafe import Markup

from meetings.core import pagecache
from meetings.core.pagecache import PageCache
from meetings.core.stencils import Stencil, kept_page, quote_path


def test_each_value_goes_into_its_blanks_escaped_and_the_rest_is_as_rendered():
    def render(blanks):
        return Markup("<p title='{name}'>{name} of {unit}</p><a href=\"/rsvp/{token}\">answer</a>").format(**blanks)

    stencil = Stencil.render(["name", "unit", "token"], render)
    page = stencil.fill({"name": "<script>alert(1)</script> & Co", "unit": "O'Brien \"Ltd\"", "token": "abc_DEF-123"})
    assert page == ("<p title='&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co'>&lt;script&gt;alert(1)&lt;/script&gt; "
                    "&amp; Co of O&#39;Brien &#34;Ltd&#34;</p><a href=\"/rsvp/abc_DEF-123\">answer</a>")
    assert stencil.fill({"name": "李明", "unit": "", "token": "t" * 43}).startswith("<p title='李明'>李明 of </p>")


def test_a_blank_is_a_fresh_word_each_rendering_so_no_text_of_the_page_can_name_it():
    seen = []

    def render(blanks):
        seen.append(str(blanks["name"]))
        return Markup("<h1>{}</h1>").format(blanks["name"])

    first, second = Stencil.render(["name"], render), Stencil.render(["name"], render)
    assert seen[0] != seen[1] and seen[0].isalnum()
    # A title that happens to hold the other rendering's blank is only text.
    tricky = Stencil.render(["name"], lambda blanks: Markup("<p>{}</p><h1>{}</h1>").format(seen[0], blanks["name"]))
    assert tricky.fill({"name": "Ann"}) == f"<p>{seen[0]}</p><h1>Ann</h1>"
    assert first.fill({"name": "A"}) == second.fill({"name": "A"}) == "<h1>A</h1>"


def test_a_blank_that_a_template_changes_is_refused_rather_than_shown(app):
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="changed"):
            Stencil.render(["name"], lambda blanks: render_template_string("{{ name | upper }}", name=blanks["name"]))
        with pytest.raises(ValueError, match="changed"):
            Stencil.render(["name"], lambda blanks: render_template_string("{{ name[:20] }}", name=blanks["name"]))
        with pytest.raises(ValueError, match="letters"):
            Stencil.render(["two words"], lambda blanks: "")


def test_blanks_pass_through_autoescaping_gettext_and_url_for(app):
    template = ('{{ _("to %(name)s", name=name) }} <a href="{{ url_for("invitations.rsvp_page", token=token) }}">'
                '{{ name }}</a>')
    with app.test_request_context("/"):
        stencil = Stencil.render(["name", "token"], lambda blanks: render_template_string(template, **blanks))
        page = stencil.fill({"name": "A&B", "token": quote_path("abc")})
    assert page == 'to A&amp;B <a href="/rsvp/abc">A&amp;B</a>'
    assert quote_path("a/b c") == "a%2Fb%20c"


def test_kept_page_renders_once_per_key_and_fills_each_request(app):
    rendered = []

    def render(blanks):
        rendered.append(1)
        return Markup("<p>{}</p>").format(blanks["name"])

    with app.test_request_context("/"):
        pagecache.cache().clear()
        assert kept_page(("k", 1), {"name": "Ann"}, render) == "<p>Ann</p>"
    with app.test_request_context("/"):
        assert kept_page(("k", 1), {"name": "Bob"}, render) == "<p>Bob</p>"
        assert kept_page(("k", 2), {"name": "Bob"}, render) == "<p>Bob</p>"
    assert len(rendered) == 2


def test_the_cache_keeps_at_most_its_count_and_its_weight():
    by_count = PageCache(3)
    for n in range(5):
        by_count.put(n, f"page {n}")
    assert len(by_count) == 3 and by_count.get(0) is None and by_count.get(4) == "page 4"

    by_weight = PageCache(1000, max_weight=10_000)
    for n in range(20):
        by_weight.put(n, Stencil(("x" * 2000,)))
    assert by_weight.total_weight <= 10_000 and len(by_weight) == 4
    assert by_weight.get(19) is not None and by_weight.get(0) is None
    by_weight.put(19, "small")  # replacing an entry gives its weight back
    assert by_weight.total_weight == 3 * (2000 + 64) + len("small") + 64
    by_weight.clear()
    assert len(by_weight) == 0 and by_weight.total_weight == 0


def test_kept_query_takes_only_the_arguments_a_link_page_adds(app):
    from meetings.core.linkpages import kept_query

    done = {"done": ("answered", "delegated")}
    for url, choices, expected in (
            ("/x", {}, ()),
            ("/x?lang=zh-CN", {}, (("lang", "zh-CN"),)),
            ("/x?done=answered&lang=en", done, (("done", "answered"), ("lang", "en"))),
            ("/x?done=answered", {}, None),          # not one this page adds
            ("/x?done=anything", done, None),        # not a value it writes
            ("/x?lang=klingon", {}, None),
            ("/x?lang=en&lang=zh", {}, None),
            ("/x?utm_source=mail", done, None)):
        with app.test_request_context(url):
            assert kept_query(**choices) == expected, url
