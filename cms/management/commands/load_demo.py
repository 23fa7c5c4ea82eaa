"""`manage.py load_demo`: load the demo site, idempotently.

Creates (or finds) the page tree under Wagtail's root, the five departments with their groups,
collections and policy folders, the demo accounts, the five seed policy documents with structured
bodies, and the interpretations written for them — published through the publication gate, never
around it. Running it again changes nothing that exists: pages are looked up by slug, departments
by code, users by username; passwords of existing users are only reset with --reset-passwords.
"""
import logging
import unicodedata
import uuid
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.images import ImageFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.images import get_image_model
from wagtail.log_actions import log
from wagtail.models import Page, Site

from cms import roles
from cms.demo import content
from cms.demo.seeds import SEED_KEYS, SeedNotFound, parse_seed
from cms.models import (
    Department,
    DepartmentPolicyIndexPage,
    HomePage,
    PolicyDocumentPage,
    PolicyIndexPage,
    TopicIndexPage,
    TopicPage,
)
from cms.models.gate import PublicationBlocked
from consultations import demo as consultation_demo
from interpretations.models import InterpretationIndexPage, InterpretationPage
from interpretations.quality import ELEMENTS
from search import demo as search_demo
from search.indexing import rebuild_index

IMAGES_DIR = Path(content.__file__).resolve().parent / "images"
_ID_NAMESPACE = uuid.UUID("0b7f0c59-3d0e-4c57-8a59-4f3b61c1e7a2")


class Command(BaseCommand):
    help = "载入演示内容（可重复执行，不会重复创建）：页面树、部门、演示账号、五份政策文件及其解读。"

    def add_arguments(self, parser):
        parser.add_argument("--reset-passwords", action="store_true",
                            help=f"把已存在的演示账号的密码也重置为 {content.DEMO_PASSWORD}")

    # --- output ----------------------------------------------------------------------------------
    def say(self, message, style=None):
        if self.verbosity >= 1:
            self.stdout.write(style(message) if style else message)

    def created(self, message):
        self.changes += 1
        self.say(message, self.style.SUCCESS)

    def skipped(self, message):
        if self.verbosity >= 2:
            self.stdout.write(message)

    # --- entry point -----------------------------------------------------------------------------
    def handle(self, *args, reset_passwords=False, verbosity=1, **options):
        self.verbosity = verbosity
        self.changes = 0
        # Wagtail logs every page action at INFO; our own progress lines say the same in fewer words.
        wagtail_logger = logging.getLogger("wagtail")
        previous_level = wagtail_logger.level
        if verbosity < 2:
            wagtail_logger.setLevel(logging.WARNING)
        try:
            self.load(reset_passwords)
        finally:
            wagtail_logger.setLevel(previous_level)

    def load(self, reset_passwords):
        try:
            bodies = {key: parse_seed(key) for key in SEED_KEYS}
        except SeedNotFound as exc:
            raise CommandError(str(exc)) from exc
        missing = [spec["file"] for spec in content.IMAGES.values() if not (IMAGES_DIR / spec["file"]).exists()]
        if missing:
            raise CommandError(f"缺少图解文件：{'、'.join(missing)}（应在 {IMAGES_DIR}）")

        with transaction.atomic():
            self.admin, admin_status = self.ensure_user(content.USERS[0], reset_passwords)
            home = self.ensure_home()
            self.ensure_singleton(home, PolicyIndexPage, content.POLICY_INDEX)
            self.ensure_singleton(home, InterpretationIndexPage, content.INTERPRETATION_INDEX)
            topic_index = self.ensure_singleton(home, TopicIndexPage, content.TOPIC_INDEX)
            self.ensure_topics(topic_index)
            departments = self.ensure_departments()  # after the policy index: see below
            roles.ensure_all_roles()
            accounts = [(content.USERS[0], self.admin, admin_status)]
            for spec in content.USERS[1:]:
                user, status = self.ensure_user(spec, reset_passwords, departments)
                accounts.append((spec, user, status))
            # Drafts first (so that related interpretations can point at each other before their
            # first publication), then 同步解读: interpretations go live, then their policies.
            interpretations = {}
            policies = [self.ensure_policy(spec, bodies[spec["seed"]], departments, interpretations)
                        for spec in content.POLICIES]
            self.link_related(interpretations)
            consultation_demo.ensure_index(self, home)
            consultation_demo.ensure_consultations(self, departments)
            for _spec, page in interpretations.values():
                if not page.live:
                    self.publish(page)
                    self.created(f"发布解读《{page.title}》")
            for policy in policies:
                if not policy.live:
                    self.publish(policy)
                    self.created(f"发布政策文件《{policy.title}》")
            qa_created, synonym_count = search_demo.ensure_qa_base(self, departments)

        # The hotline finds the demo at once, whether or not a task worker is running yet.
        count = rebuild_index()
        self.say(f"政策问答检索索引已重建：{count} 条（同义词 {synonym_count} 组）。")

        if self.changes == 0:
            self.say("演示内容已是最新，没有需要新建或发布的内容。")
        self.report(accounts, policies)

    # --- publishing ------------------------------------------------------------------------------
    def publish(self, page, new_revision=False):
        """Publish as admin; the publication gate decides, we never override it.

        An unpublished page's latest revision (a draft an editor may have saved) is what gets
        published; a new revision is saved only when there is none or ``new_revision`` is set.
        """
        revision = None if new_revision else page.get_latest_revision()
        revision = revision or page.save_revision(user=self.admin)
        try:
            revision.publish(user=self.admin)
        except PublicationBlocked as exc:
            details = "".join(
                f"\n  · {f['message']}" + (f"（例如：{' / '.join(f['passages'][:3])}）" if f.get("passages") else "")
                for f in exc.findings
            )
            raise CommandError(f"《{page.title}》未通过发布检查，已撤销本次载入的全部改动：{details}") from exc
        page.refresh_from_db()
        return page

    def add_page(self, parent, page):
        """Create ``page`` as an unpublished child of ``parent`` (then publish it explicitly)."""
        page.live = False
        parent.add_child(instance=page)
        log(instance=page, action="wagtail.create", user=self.admin)
        return page

    # --- page tree -------------------------------------------------------------------------------
    def ensure_home(self):
        root = Page.get_first_root_node()
        plain_page = ContentType.objects.get_for_model(Page)
        # Wagtail's initial "Welcome to your new Wagtail site!" page: a plain Page under the root.
        defaults = list(Page.objects.child_of(root).filter(content_type=plain_page))
        home = HomePage.objects.first()
        if home is None:
            for page in defaults:
                if page.slug == content.HOME["slug"]:
                    Page.objects.filter(pk=page.pk).update(slug=f"welcome-{page.pk}")  # free the slug "home"
            home = self.add_page(root, HomePage(title=content.HOME["title"], slug=content.HOME["slug"],
                                                intro=content.HOME["intro"]))
            self.publish(home)
            self.created(f"创建并发布首页《{home.title}》")
        elif not home.live:
            self.publish(home)
            self.created(f"发布首页《{home.title}》")
        else:
            self.skipped(f"首页《{home.title}》已存在")

        site = Site.objects.filter(is_default_site=True).first() or Site(is_default_site=True)
        wanted = {"hostname": "localhost", "port": 80, "root_page_id": home.pk, "site_name": content.SITE_NAME}
        if any(getattr(site, field) != value for field, value in wanted.items()) or site.pk is None:
            for field, value in wanted.items():
                setattr(site, field, value)
            site.save()
            self.created(f"默认站点指向首页（{site.hostname}:{site.port}）")

        for page in defaults:
            page.refresh_from_db()
            if page.get_children_count() == 0 and not Site.objects.filter(root_page=page).exists():
                title = page.title
                page.delete()
                self.created(f"删除 Wagtail 默认欢迎页《{title}》")
            else:
                self.say(f"保留页面《{page.title}》：其下还有子页面或站点，请在后台手动处理", self.style.WARNING)
        return home

    def ensure_singleton(self, parent, model, spec):
        """The index pages are max_count=1: find the one that exists, wherever its slug."""
        page = model.objects.first()
        if page is None:
            page = self.add_page(parent, model(title=spec["title"], slug=spec["slug"], intro=spec["intro"]))
            self.publish(page)
            self.created(f"创建并发布栏目《{page.title}》")
        elif not page.live:
            self.publish(page)
            self.created(f"发布栏目《{page.title}》")
        else:
            self.skipped(f"栏目《{page.title}》已存在")
        return page

    def ensure_topics(self, topic_index):
        for name, slug, intro in content.TOPICS:
            existing = TopicPage.objects.child_of(topic_index)
            page = existing.filter(topic=name).first() or existing.filter(slug=slug).first()
            if page is None:
                page = self.add_page(topic_index, TopicPage(title=name, slug=slug, topic=name, intro=intro))
                self.publish(page)
                self.created(f"创建并发布专题《{name}》")
            elif not page.live:
                self.publish(page)
                self.created(f"发布专题《{name}》")

    # --- departments and accounts ----------------------------------------------------------------
    def ensure_departments(self):
        departments = {}
        for spec in content.DEPARTMENTS:
            department = Department.objects.filter(code=spec["code"]).first()
            if department is None:
                # post_save runs ensure_department_setup: editors group, collection and the policy
                # folder under the policy index (which therefore has to exist already).
                department = Department.objects.create(**spec)
                self.created(f"创建部门 {department.name}（{department.code}）")
            else:
                self.skipped(f"部门 {department.name} 已存在")
            departments[spec["code"]] = department
        return departments

    def ensure_user(self, spec, reset_passwords, departments=None):
        User = get_user_model()
        user = User.objects.filter(username=spec["username"]).first()
        if user is None:
            user = User(username=spec["username"], first_name=spec["first_name"],
                        email=f"{spec['username']}@example.org")
            if spec["role"] == "superuser":
                user.is_superuser = user.is_staff = True
            user.set_password(content.DEMO_PASSWORD)
            user.save()
            status = "新建"
            self.created(f"创建账号 {user.username}（{spec['label']}）")
        elif spec["role"] == "superuser" and not user.is_superuser:
            raise CommandError(f"账号 {user.username} 已存在但不是超级管理员；演示内容需要以超级管理员身份发布，"
                               "请先在后台把它设为超级管理员，或删除该账号后重新执行。")
        elif reset_passwords:
            user.set_password(content.DEMO_PASSWORD)
            user.save(update_fields=["password"])
            status = "已存在，密码已重置"
            self.created(f"重置账号 {user.username} 的密码")
        else:
            status = "已存在，密码未改动"
            self.skipped(f"账号 {user.username} 已存在")
        role = spec["role"]
        group = None
        if role == "reviewer":
            group = Group.objects.get(name=roles.REVIEWERS_GROUP)
        elif role == "hotline":
            group = Group.objects.get(name=roles.HOTLINE_GROUP)
        elif role != "superuser":
            department = departments[role]
            department.refresh_from_db()
            group = department.editors_group
        if group is not None and not user.groups.filter(pk=group.pk).exists():
            user.groups.add(group)
            self.created(f"账号 {user.username} 加入用户组“{group.name}”")
        return user, status

    # --- images ----------------------------------------------------------------------------------
    def ensure_image(self, key, department):
        spec = content.IMAGES[key]
        Image = get_image_model()
        collection = department.collection
        image = Image.objects.filter(collection=collection, title=spec["title"]).first()
        if image is not None:
            return image
        with open(IMAGES_DIR / spec["file"], "rb") as fh:
            image = Image(title=spec["title"], collection=collection, uploaded_by_user=self.admin,
                          description=spec["alt"][:255])
            image.file = ImageFile(fh, name=spec["file"])
            image._set_image_file_metadata()
            image.save()
        self.created(f"导入图解《{spec['title']}》到“{collection.name}”图片库")
        return image

    # --- policies and interpretations --------------------------------------------------------------
    def ensure_policy(self, spec, body, departments, interpretations):
        department = departments[spec["department"]]
        folder = DepartmentPolicyIndexPage.objects.get(department=department)
        policy = PolicyDocumentPage.objects.child_of(folder).filter(slug=spec["slug"]).first()
        if policy is None:
            policy = PolicyDocumentPage(
                title=spec["title"], slug=spec["slug"], doc_number=spec["doc_number"],
                issuing_authority=spec["issuing_authority"], category=spec["category"],
                written_date=spec["written_date"], publish_date=spec["publish_date"],
                expiry_date=spec.get("expiry_date"), summary=spec["summary"], body=body,
                must_interpret=spec.get("must_interpret", True),
                no_interpretation_reason=spec.get("no_interpretation_reason", ""),
            )
            policy.topics.add(*spec["topics"])  # kept in memory, saved with the page
            self.add_page(folder, policy)
            self.created(f"创建政策文件《{policy.title}》（{department.short_name}）")
        else:
            self.skipped(f"政策文件《{policy.title}》已存在")
        for ispec in spec["interpretations"]:
            interpretations[ispec["key"]] = (ispec, self.ensure_interpretation(policy, ispec, department))
        return PolicyDocumentPage.objects.get(pk=policy.pk)

    def ensure_interpretation(self, policy, spec, department):
        page = InterpretationPage.objects.child_of(policy).filter(slug=spec["slug"]).first()
        if page is None:
            fields = {}
            for name, _label in ELEMENTS:
                fields[name] = spec.get(name, "")
                fields[f"{name}_na_reason"] = spec.get(f"{name}_na_reason", "")
            page = InterpretationPage(
                title=spec["title"], slug=spec["slug"], kind=spec["kind"], stage=spec["stage"],
                interpreter=spec["interpreter"], summary=spec["summary"],
                body=self.interpretation_body(spec, department), **fields,
            )
            self.add_page(policy, page)
            self.created(f"创建解读《{page.title}》")
        else:
            self.skipped(f"解读《{page.title}》已存在")
        return page

    def interpretation_body(self, spec, department):
        """Raw StreamField data for an interpretation; ids are stable across loads."""

        def block_id(*parts):
            return str(uuid.uuid5(_ID_NAMESPACE, "-".join([spec["key"], *map(str, parts)])))

        stream = []
        for index, block in enumerate(spec["body"]):
            kind = block["type"]
            if kind == "graphic":
                image = self.ensure_image(block["image"], department)
                value = {"image": image.pk, "alt_text": content.IMAGES[block["image"]]["alt"],
                         "caption": block["caption"], "long_description": block["long_description"]}
            elif kind == "qa":
                value = {"title": block["title"], "items": [
                    {"type": "item", "value": item, "id": block_id(index, n)} for n, item in enumerate(block["items"])
                ]}
            elif kind == "text":
                value = block["html"]
            else:  # case, expert_quote: the spec's keys are the block's fields
                value = {k: v for k, v in block.items() if k != "type"}
            stream.append({"type": kind, "value": value, "id": block_id(index)})
        return stream

    def link_related(self, interpretations):
        """相关解读 (P8): add the links the content asks for; links added by editors are kept.

        A draft (a first load) gets its links before its first publication; a live interpretation
        that lacks a link gets it in a new, published revision.
        """
        for key, (spec, page) in list(interpretations.items()):
            wanted = {interpretations[k][1].pk for k in spec.get("related", []) if k in interpretations}
            page = InterpretationPage.objects.get(pk=page.pk)
            current = set(page.related_interpretations.values_list("pk", flat=True))
            if not wanted - current:
                interpretations[key] = (spec, page)
                continue
            if page.has_unpublished_changes and page.latest_revision_id:
                self.say(f"跳过关联《{page.title}》：该解读有未发布的修改，请在后台处理", self.style.WARNING)
                continue
            page.related_interpretations.set(sorted(current | wanted))
            if page.live:
                self.publish(page, new_revision=True)
            else:
                page.save()  # a draft created in this run: its first revision will carry the links
            titles = "、".join(f"《{p.title}》" for p in InterpretationPage.objects.filter(pk__in=wanted - current))
            self.created(f"关联解读《{page.title}》→ {titles}")
            interpretations[key] = (spec, InterpretationPage.objects.get(pk=page.pk))

    # --- summary ---------------------------------------------------------------------------------
    def report(self, accounts, policies):
        out = self.stdout.write
        out("")
        out(self.style.MIGRATE_HEADING("政策文件与解读"))
        for policy in policies:
            policy.refresh_from_db()
            count = policy.live_interpretations().count()
            note = f"解读 {count} 篇" if policy.must_interpret else "无需解读"
            out(f"  {'已发布' if policy.live else '未发布'} · {policy.get_validity_display()} · {note} · {policy.title}"
                f"  {policy.url or ''}")
        out("")
        out(self.style.MIGRATE_HEADING(f"演示账号（新建账号的密码均为 {content.DEMO_PASSWORD}）"))
        name_width = max(_width(user.username) for _spec, user, _status in accounts) + 2
        display_width = max(_width(user.first_name) for _spec, user, _status in accounts) + 2
        out(f"  {_pad('用户名', name_width)}{_pad('显示名', display_width)}角色（状态）")
        for spec, user, status in accounts:
            out(f"  {_pad(user.username, name_width)}{_pad(user.first_name, display_width)}{spec['label']}（{status}）")
        if any(status.endswith("未改动") for _spec, _user, status in accounts):
            out("  已存在账号的密码没有改动；如需改回演示密码，请加 --reset-passwords 重新执行。")
        out("")
        out("网站：    http://127.0.0.1:8000/")
        out("管理后台：http://127.0.0.1:8000/admin/")


def _width(text):
    """Terminal columns: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text, width):
    return text + " " * max(width - _width(text), 0)
