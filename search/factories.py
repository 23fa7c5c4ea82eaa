"""Factories for the hotline Q&A base (tests and benchmarks)."""
import factory

from cms.factories import DepartmentFactory

from .models import QAEntry, SynonymGroup


class QAEntryFactory(factory.django.DjangoModelFactory):
    """A live Q&A entry; pass ``live=False`` for a draft."""

    class Meta:
        model = QAEntry
        skip_postgeneration_save = True

    department = factory.SubFactory(DepartmentFactory)
    question = factory.Sequence(lambda n: f"灵活就业人员怎么缴纳社会保险？（{n}）")
    short_answer = "可以以个人身份在社保经办机构或网上经办大厅参加企业职工基本养老保险，按月或按季缴费。"
    answer = "<p>灵活就业人员持身份证到户籍或居住地社保经办机构办理参保登记，也可在网上经办大厅自助办理。</p>"
    live = True

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.add(*extracted)
            self.save()


class SynonymGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SynonymGroup
        django_get_or_create = ("terms",)

    terms = "社保,社会保险"
