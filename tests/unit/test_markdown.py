"""Markdown cells become safe HTML."""

from workshop.markdown import to_html


def test_markdown_renders_headings_and_emphasis():
    """Does ordinary markdown render as HTML?"""
    out = to_html("# Title\n\nSome *gentle* text.")
    assert "<h1>Title</h1>" in out and "<em>gentle</em>" in out


def test_raw_html_and_script_are_shown_as_text():
    """Is raw HTML in a markdown cell escaped rather than run?"""
    out = to_html('<script>alert("x")</script> <img src=x onerror=alert(1)>')
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out


def test_images_are_not_loaded():
    """Is an image reference shown as its description, so no page loads a remote picture?"""
    out = to_html("![a <b>picture</b>](https://example.org/x.png)")
    assert "<img" not in out and "example.org" not in out
    assert "&lt;b&gt;" in out


def test_links_open_in_a_new_tab_without_referrer():
    """Do links leave the workshop page in place and send no referrer?"""
    out = to_html("[help](https://example.org)")
    assert 'target="_blank"' in out and 'rel="noopener noreferrer"' in out
