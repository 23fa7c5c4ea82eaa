"""Helpers for driving Wagtail's admin forms in tests."""
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text, streamfield

from interpretations.factories import GOOD_ELEMENTS
from interpretations.quality import ELEMENTS


def policy_form_data(title="关于做好高校毕业生就业工作的通知", slug="gxbys-jiuye", **overrides):
    data = {
        "title": title, "slug": slug, "doc_number": "", "issuing_authority": "乌鲁木齐市人民政府办公厅",
        "category": "normative", "topics": "就业", "written_date": "2026-03-01", "publish_date": "2026-03-05",
        "effective_date": "", "expiry_date": "", "summary": "支持中小微企业吸纳高校毕业生就业。",
        "body": streamfield([("clause", {"number": "1", "heading": "",
                                         "text": rich_text("对吸纳高校毕业生的企业给予一次性补贴。")})]),
        "attachments": inline_formset([]), "comments": inline_formset([]),
        "must_interpret": "on", "no_interpretation_reason": "", "repeal_basis": "",
    }
    data.update(overrides)
    return nested_form_data(data)


def interpretation_form_data(title="一图读懂高校毕业生就业补贴", slug="yitu", **overrides):
    data = {"title": title, "slug": slug, "kind": "graphic", "stage": "first", "interpreter": "就业促进处",
            "summary": "招用毕业生的企业可以领补贴。", "body": streamfield([]), "comments": inline_formset([])}
    for name, _ in ELEMENTS:
        data[name] = rich_text(GOOD_ELEMENTS[name].removeprefix("<p>").removesuffix("</p>"))
        data[f"{name}_na_reason"] = ""
    data.update(overrides)
    return nested_form_data(data)


def refused(response):
    """Wagtail answers a permission failure with a redirect to the dashboard or a 403."""
    return response.status_code == 403 or (response.status_code == 302 and response.url.rstrip("/") == "/admin")
