"""Drafting departments (起草部门): who writes a policy, interprets it and answers for it."""
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.models import Collection
from wagtail.search import index

phone_validator = RegexValidator(
    r"^[0-9+\-（）() ,，转]{5,50}$", "请填写有效的电话号码，例如 0991-1234567 或 12345 转 1。"
)


class Department(index.Indexed, models.Model):
    name = models.CharField("部门全称", max_length=100, unique=True, help_text="例如：乌鲁木齐市人力资源和社会保障局")
    short_name = models.CharField("简称", max_length=30, help_text="例如：市人社局")
    code = models.SlugField(
        "部门代码", max_length=30, unique=True, help_text="拼音或英文缩写，用于网址，例如 rsj（只能用小写字母、数字和连字符）"
    )
    phone = models.CharField("政策咨询电话", max_length=50, validators=[phone_validator],
                             help_text="对外公布的咨询电话，12345 热线转接时使用")
    address = models.CharField("办公地址", max_length=200)
    responsible_person = models.CharField("分管负责人", max_length=50, help_text="分管政务公开工作的负责同志")
    liaison_name = models.CharField("政务公开联络员", max_length=50)
    liaison_phone = models.CharField("联络员电话", max_length=50, validators=[phone_validator],
                                     help_text="仅内部使用，不在公开页面显示")
    editors_group = models.OneToOneField(
        Group, verbose_name="编辑用户组", null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="department",
    )
    collection = models.OneToOneField(
        Collection, verbose_name="图片与文件库", null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )

    panels = [
        MultiFieldPanel([FieldPanel("name"), FieldPanel("short_name"), FieldPanel("code")], heading="部门"),
        MultiFieldPanel([FieldPanel("phone"), FieldPanel("address")], heading="对外联系方式"),
        MultiFieldPanel(
            [FieldPanel("responsible_person"), FieldPanel("liaison_name"), FieldPanel("liaison_phone")],
            heading="政务公开责任人（内部）",
        ),
    ]
    search_fields = [index.SearchField("name"), index.SearchField("short_name"), index.FilterField("code")]

    class Meta:
        verbose_name = "部门"
        verbose_name_plural = "部门"
        ordering = ["code"]

    def __str__(self):
        return self.short_name or self.name

    @property
    def editors_group_name(self):
        return f"{self.short_name}编辑"

    SHORT_NAMES_KEY = "departments:short-names"

    @classmethod
    def short_names(cls):
        """[(code, short name)] in code order, from the shared cache: every hotline search lists them
        (the department filter, the facets, the knowledge-gap form); a department saved or deleted
        clears it (below)."""
        names = cache.get(cls.SHORT_NAMES_KEY)
        if not isinstance(names, list):
            names = list(cls.objects.order_by("code").values_list("code", "short_name"))
            cache.set(cls.SHORT_NAMES_KEY, names, 300)
        return names

    @classmethod
    def for_user(cls, user):
        """The departments whose editors group the user belongs to."""
        if not user.is_authenticated:
            return cls.objects.none()
        return cls.objects.filter(editors_group__user=user)


@receiver(post_save, sender=Department)
@receiver(post_delete, sender=Department)
def _forget_short_names(**kwargs):
    cache.delete(Department.SHORT_NAMES_KEY)
