"""The hotline form's <select>s keep their HTML per process (search.forms.RememberedSelect).

The HTML must be exactly what Django's own Select renders, for every value and attribute set, and
what an attacker can vary (the value in the query string) must not grow the memory without bound.
"""
import pytest
from django import forms

from search.forms import KnowledgeGapForm, RememberedSelect, SearchForm

CHOICES = [("", "全部部门"), ("rsj", "市人社局"), ("ybj", "市医保局"), ("bgt", "市政府办公厅")]


@pytest.fixture(autouse=True)
def empty_memory():
    RememberedSelect._rendered.clear()
    yield
    RememberedSelect._rendered.clear()


@pytest.mark.parametrize("value", [None, "", "rsj", "ybj", "nope", ["rsj"], "<script>"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_department"}, {"id": "x", "aria-describedby": "x-help"}])
def test_same_html_as_djangos_select(value, attrs):
    remembered, plain = RememberedSelect(choices=CHOICES), forms.Select(choices=CHOICES)
    expected = plain.render("department", value, attrs)
    assert remembered.render("department", value, attrs) == expected
    assert remembered.render("department", value, attrs) == expected  # from memory
    if value == "<script>":
        assert "<script>" not in expected  # escaped, and so is the remembered copy


def test_a_second_render_comes_from_memory(monkeypatch):
    widget = RememberedSelect(choices=CHOICES)
    first = widget.render("department", "rsj", {"id": "d"})
    calls = []
    monkeypatch.setattr(forms.Select, "render", lambda *args, **kwargs: calls.append(args) or "")
    assert widget.render("department", "rsj", {"id": "d"}) == first and not calls
    # Anything that changes the HTML is part of the key: another value, id or set of choices.
    widget.render("department", "ybj", {"id": "d"})
    widget.render("department", "rsj", {"id": "other"})
    RememberedSelect(choices=CHOICES[:2]).render("department", "rsj", {"id": "d"})
    assert len(calls) == 3


def test_values_from_the_query_string_do_not_grow_the_memory():
    widget = RememberedSelect(choices=CHOICES)
    for n in range(RememberedSelect.LIMIT + 100):
        widget.render("department", f"attacker-{n}", {"id": "d"})
    assert len(RememberedSelect._rendered) == RememberedSelect.LIMIT


def test_option_groups_are_rendered_the_usual_way():
    grouped = [("人社", [("rsj", "市人社局"), ("jy", "就业局")]), ("bgt", "市政府办公厅")]
    assert (RememberedSelect(choices=grouped).render("department", "jy")
            == forms.Select(choices=grouped).render("department", "jy"))
    assert not RememberedSelect._rendered


def test_the_forms_take_the_department_list_from_the_view(departments, django_assert_num_queries):
    names = [("rsj", "人社局"), ("ybj", "医保局")]
    with django_assert_num_queries(0):
        search = SearchForm({"department": "ybj"}, departments=names)
        gap = KnowledgeGapForm(departments=names)
    assert search.is_valid() and search.cleaned_data["department"] == "ybj"
    assert '<option value="ybj" selected>医保局</option>' in str(search["department"])
    assert '<option value="rsj">人社局</option>' in str(gap["department"])
