"""The notes' simple formatting: lists, bold, paragraphs; everything typed is escaped."""

from meetings.minutes.formatting import to_html


def test_lists_bold_and_paragraphs():
    html = str(to_html("First **line**\nsecond\n\n- one\n- two **2**\nafter"))
    assert html == ("<p>First <strong>line</strong><br>second</p>\n<ul>\n<li>one</li>\n"
                    "<li>two <strong>2</strong></li>\n</ul>\n<p>after</p>")


def test_what_people_type_never_becomes_markup():
    html = str(to_html('<script>alert(1)</script> **<b onmouseover="x">**\n- <img src=x>'))
    assert "<script>" not in html and "<b " not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "<strong>&lt;b onmouseover=&#34;x&#34;&gt;</strong>" in html
