"""Factories for departments, users and the page tree (tests and benchmarks)."""
import datetime

import factory
import wagtail_factories
from django.contrib.auth import get_user_model
from wagtail.rich_text import RichText

from cms.models import Department, HomePage, PolicyDocumentPage, PolicyIndexPage


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.LazyAttribute(lambda o: f"乌鲁木齐市{o.code}局")
    short_name = factory.LazyAttribute(lambda o: f"市{o.code}局")
    phone = "0991-1234567"
    address = "乌鲁木齐市天山区人民路 1 号"
    responsible_person = "王建国"
    liaison_name = "李娜"
    liaison_phone = "0991-7654321"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "测试用户"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("demo-pass-2026")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(*extracted)


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "政策解读与公众参与平台"


class PolicyIndexPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = PolicyIndexPage

    title = "政策文件"
    slug = "zhengce"


def clause_body(*texts):
    """A policy body of numbered clauses."""
    return [("clause", {"number": str(i), "heading": "", "text": RichText(f"<p>{t}</p>")})
            for i, t in enumerate(texts, start=1)]


class PolicyDocumentPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = PolicyDocumentPage

    title = factory.Sequence(lambda n: f"关于进一步做好稳就业工作的若干措施（{n}）")
    issuing_authority = "乌鲁木齐市人民政府办公厅"
    written_date = datetime.date(2021, 3, 1)
    publish_date = datetime.date(2021, 3, 5)
    summary = "明确稳就业的重点任务和支持政策。"
    body = factory.LazyFunction(lambda: clause_body(
        "对吸纳高校毕业生就业并缴纳社会保险费的中小微企业，按规定给予一次性吸纳就业补贴。",
        "各区县人力资源和社会保障部门应当在受理申请之日起十五个工作日内完成审核并拨付资金。",
    ))
    live = False
