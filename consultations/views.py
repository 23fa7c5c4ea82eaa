"""Public views of consultations: the page and its form, submission, receipt lookup, results."""
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.db.models import Count
from django.http import Http404
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail.views import serve as wagtail_serve

from cms import response_cache, routing
from cms.ratelimit import rate_limited

from .forms import LookupForm, OpinionForm
from .models import ConsultationPage, ConsultationState, ModerationStatus, Opinion
from .privacy import client_fingerprint
from .submission import ConsultationClosed, submit_opinion

STATE_FILTERS = {"open": "征集中", "closed": "已截止", "answered": "已反馈"}


def consultation_index_context(request):
    now = timezone.now()
    pages = (ConsultationPage.objects.live().public().select_related("drafting_department")
             .annotate(opinion_count=Count("opinions")).order_by("-end_at"))
    # NUL cannot reach PostgreSQL text; no code or topic contains control characters anyway.
    department = request.GET.get("department", "").replace("\x00", "")
    topic = request.GET.get("topic", "").replace("\x00", "")
    state = request.GET.get("state", "")
    if department:
        pages = pages.filter(drafting_department__code=department)
    if topic:
        pages = pages.filter(topics__icontains=topic)
    items = [p for p in pages if not state or p.state_at(now) == state]
    from cms.models import Department

    return {"consultations": items, "state_filters": STATE_FILTERS, "current_state": state,
            "departments": Department.objects.all(), "current_department": department, "current_topic": topic}


def public_replies(consultation, request, count=None):
    """Approved opinions with their replies, paginated in the database.

    ``count``: their number if already known (the statistics' ``public_count``), saving the COUNT query.
    """
    replies = (Opinion.objects.filter(consultation=consultation, moderation_status=ModerationStatus.APPROVED)
               .exclude(decision="").only("receipt_number", "name", "category", "clause_number", "public_text",
                                           "decision", "reply", "submitted_at").order_by("pk"))
    paginator = Paginator(replies, 20)
    if count is not None:
        paginator.count = count  # Paginator.count is a cached_property: this is its value
    try:
        return paginator.page(request.GET.get("page") or 1)
    except (EmptyPage, PageNotAnInteger) as exc:
        raise Http404("页码不存在") from exc


LOOKUP_URL_CACHE_KEY = "consultations:lookup-url"
OPINION_COUNT_SECONDS = 30  # "已收到意见 N 条" may lag this much; a COUNT over 75,899 rows on every view costs more


def lookup_url(generation=None):
    """The receipt-lookup page's URL; with the tree's ``generation`` (live_page()'s) from this process."""
    if generation is not None:
        return routing.per_generation(generation, ("consultations", "lookup-url"), _lookup_url)
    url = cache.get(LOOKUP_URL_CACHE_KEY)
    if url is None:
        url = _lookup_url()
        cache.set(LOOKUP_URL_CACHE_KEY, url, 300)
    return url


def _lookup_url():
    from .models import ConsultationIndexPage

    index = ConsultationIndexPage.objects.live().first()
    return f"{index.url}chaxun/" if index else ""


def opinion_count(page):
    """Opinions received (spam aside), cached briefly: the figure every visitor of a hot page sees."""
    key = f"consultations:opinion-count:{page.pk}"
    count = cache.get(key)
    if count is None:
        count = Opinion.objects.filter(consultation=page).exclude(moderation_status=ModerationStatus.SPAM).count()
        cache.set(key, count, OPINION_COUNT_SECONDS)
    return count


def consultation_context(page, request):
    now = timezone.now()
    context = {
        "lookup_url": lookup_url(),
        "state": page.state_at(now),
        "accepting": page.accepts_opinions_at(now),
        "States": ConsultationState,
        "text_min": settings.OPINION_TEXT_MIN, "text_max": settings.OPINION_TEXT_MAX,
    }
    if page.results_published_at:
        from .results import consultation_statistics

        statistics = consultation_statistics(page)
        context["statistics"] = statistics
        context["opinion_count"] = statistics["total"]  # every opinion except spam, as below
        context["replies"] = public_replies(page, request, count=statistics["public_count"])
    else:
        context["opinion_count"] = opinion_count(page)
    return context


def serve_consultation(page, request, default_serve, *args, **kwargs):
    if request.method != "POST":
        clause = request.GET.get("clause", "")
        form = OpinionForm(page, **({"clause": clause} if clause else {}))
        if _shared_copy_allowed(page, request):
            return _render_shared_copy(page, request, form)
        return _render(page, request, form)
    return submit(page, request)


def _shared_copy_allowed(page, request):
    if not response_cache.placeholders_wanted(request) or getattr(request, "is_preview", False):
        return False
    return not set(request.GET) - {"clause"} and not request.user.is_authenticated


def _render_shared_copy(page, request, form):
    """The page with placeholders for the two per-visitor tokens, for cms/response_cache.py to keep.

    Every anonymous resident reading a hot consultation gets this copy with their own CSRF token
    and a new form token (the opinion's idempotency key) put in. It is kept no later than the
    next change of state (opening, closing), so the form is never offered after the deadline.
    """
    get_token(request)  # this visitor's CSRF cookie, set as for any form
    form.fields["token"].initial = response_cache.fresh_token_placeholder()
    response = _render(page, request, form, csrf_token=response_cache.csrf_placeholder()).render()
    now = timezone.now()
    for moment in (page.start_at, page.end_at):
        if moment and moment > now:
            response_cache.expire_at(response, moment)
    return response_cache.mark_placeholders(response)


def _render(page, request, form, status=200, **extra):
    context = page.get_context(request)
    context.update(form=form, **extra)
    return TemplateResponse(request, page.get_template(request), context, status=status)


def submit(page, request):
    form = OpinionForm(page, request.POST, request.FILES)
    now = timezone.now()
    if not page.accepts_opinions_at(now):
        message = ("本次意见征集尚未开始。" if page.live and now < page.start_at
                   else f"本次意见征集已于 {timezone.localtime(page.end_at):%Y年%m月%d日 %H:%M} 截止，不再接受意见。"
                   "如有建议，可拨打 12345 热线反映。")
        return _render(page, request, form, status=403, closed_message=message)
    if form.is_bot:
        return _render(page, request, form, status=400,
                       form_error="提交未成功：请不要填写标注“请勿填写此项”的字段。")
    client = client_fingerprint(request)
    wait = rate_limited("opinion", client, settings.OPINION_RATE_LIMITS)
    if wait:
        return _render(page, request, form, status=429,
                       form_error=f"提交过于频繁，请 {wait} 秒后再试。您填写的内容仍保留在下方。")
    if not form.is_valid():
        return _render(page, request, form, status=400,
                       form_error=f"提交未成功：有 {len(form.errors)} 处需要修改，请查看标红的项目。")
    try:
        opinion, created = submit_opinion(page, form, client, now=now)
    except ConsultationClosed:
        return _render(page, request, form, status=403, closed_message="本次意见征集已截止，不再接受意见。")
    generation = routing.generation_of(page)  # None unless the page came from routing.live_page()
    page_url = routing.per_generation(generation, ("consultations", "url", page.pk, request.get_host()),
                                      lambda: page.get_url(request))
    return TemplateResponse(request, "consultations/receipt.html",
                            {"page": page, "opinion": opinion, "created": created, "self": page,
                             "page_url": page_url, "lookup_url": lookup_url(generation)})


@require_POST
def submit_view(request, page_id):
    """The form's action: a submission without walking the page tree (the page comes from the cache).

    During a hot consultation nearly every request is this POST; Wagtail's routing (site, then one
    level of the tree at a time) cost more than storing the opinion. A page with a view restriction
    (password, login, groups) goes through Wagtail's own serve, which checks it, as a POST to the
    page's own URL does.
    """
    page = routing.live_page(ConsultationPage.objects.select_related("drafting_department"), page_id)
    if page is None:
        raise Http404("征集页面不存在")
    if routing.is_restricted(page):
        _site_id, _root_url, path = page.get_url_parts(request) or (None, None, None)
        if path is None:
            raise Http404("页面不存在")
        return wagtail_serve(request, path)
    return submit(page, request)


def lookup(request, index_page):
    """Receipt number + private code → the status and, once published, the reply."""
    form = LookupForm(request.POST or None)
    opinion = None
    error = ""
    if request.method == "POST" and form.is_valid():
        found = (Opinion.objects.select_related("consultation")
                 .filter(receipt_number=form.cleaned_data["receipt"].strip().upper()).first())
        if found and found.check_lookup_code(form.cleaned_data["code"]):
            opinion = found
        else:
            error = "回执编号或查询码不正确，请核对后重试。"
    return TemplateResponse(request, "consultations/lookup.html",
                            {"page": index_page, "self": index_page, "form": form, "opinion": opinion,
                             "error": error}, status=200 if not error else 404)
