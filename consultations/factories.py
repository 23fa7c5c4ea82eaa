"""Factories for consultations and opinions (tests, benchmarks, the scale generator)."""
import datetime

import factory
import wagtail_factories
from django.utils import timezone
from wagtail.rich_text import RichText

from .models import ConsultationPage


def draft_clauses(*texts):
    return [("clause", {"number": str(i), "heading": "", "text": RichText(f"<p>{t}</p>")})
            for i, t in enumerate(texts, start=1)]


class ConsultationPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ConsultationPage

    title = factory.Sequence(lambda n: f"《乌鲁木齐市养老服务条例（草案）》公开征求意见（{n}）")
    summary = "就养老服务设施配建、居家养老服务补贴等规定征求社会公众意见。"
    explanation = "<p>为应对人口老龄化、完善居家社区机构相协调的养老服务体系，市民政局起草了本条例草案。</p>"
    draft = factory.LazyFunction(lambda: draft_clauses(
        "新建住宅小区应当按照每百户不少于二十平方米的标准配套建设养老服务设施。",
        "对经济困难的高龄、失能老年人，按照规定给予居家养老服务补贴。",
        "鼓励社会力量举办养老机构，按照规定享受建设和运营补贴。",
    ))
    start_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=1))
    end_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=13))
    contact_address = "乌鲁木齐市天山区光明路 1 号市民政局法规科"
    contact_email = "yijian@example.gov.cn"
    live = True
