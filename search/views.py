"""Hotline (/hotline/), public 政策问答 (/wenda/) and the JSON API (/api/qa/search): validate, search, render.

Every page works without JavaScript (plain GET form); hotline.js adds results as you type and
copy-to-clipboard on top of the same URLs.
"""
import json
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from cms.models import Department
from cms.ratelimit import rate_limited
from consultations.privacy import client_fingerprint

from .forms import ApiSearchForm, FeedbackForm, KnowledgeGapForm, SearchForm
from .models import AnswerFeedback, KnowledgeGap, QAEntry, SearchQueryLog
from .service import hotline_search

PAGE_SIZE = 10
OPENAPI_PATH = Path(__file__).resolve().parent / "openapi.json"


def _return_url(request):
    """This page as the person sees it: never the ?partial=1 fragment that hotline.js fetched."""
    params = request.GET.copy()
    params.pop("partial", None)
    return f"{request.path}?{params.urlencode()}" if params else request.path


def _search_context(request, channel):
    departments = Department.short_names()
    form = SearchForm(request.GET or None, departments=departments)
    context = {"form": form, "response": None, "return_url": _return_url(request), "departments": departments}
    if form.is_bound and form.is_valid() and form.cleaned_data["q"]:
        page = form.cleaned_data.get("page") or 1
        response = hotline_search(form.cleaned_data["q"], filters=form.filters(), limit=PAGE_SIZE,
                                  offset=(page - 1) * PAGE_SIZE, facets=True, channel=channel)
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("partial", None)
        context.update(
            response=response, page=page, base_query=params.urlencode(),
            has_next=page * PAGE_SIZE < response.total, has_previous=page > 1,
        )
        names = dict(departments)
        context["department_facets"] = [(names.get(code, code), n)
                                        for code, n in response.facets.get("department", {}).items()]
    return context


@login_required
@permission_required("search.use_hotline", raise_exception=True)
@require_GET
def hotline(request):
    context = _search_context(request, SearchQueryLog.Channel.HOTLINE)
    context["gap_form"] = KnowledgeGapForm(initial={"query": request.GET.get("q", "")},
                                           departments=context["departments"])
    template = "search/includes/results.html" if request.GET.get("partial") else "search/hotline.html"
    return render(request, template, context)


def _back(request, fallback):
    target = request.POST.get("next", "")
    # Only a local path: redirect() would take a bare word for a URL pattern name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(fallback)


@login_required
@permission_required("search.use_hotline", raise_exception=True)
@require_POST
def record_gap(request):
    form = KnowledgeGapForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _back(request, reverse("hotline"))
    data = form.cleaned_data
    KnowledgeGap.objects.create(query=data["query"], note=data["note"], reported_by=request.user,
                                department=Department.objects.filter(code=data["department"]).first())
    messages.success(request, f"已登记知识缺口：“{data['query']}”。相关部门将补充答复口径。")
    return _back(request, reverse("hotline"))


@require_POST
def record_feedback(request):
    """有用/没用, from the hotline and the public page (rate-limited per client like every public write)."""
    wait = rate_limited("qa-feedback", client_fingerprint(request), settings.SEARCH_FEEDBACK_RATE_LIMITS)
    form = FeedbackForm(request.POST)
    if wait:
        messages.error(request, f"评价太频繁，请 {wait} 秒后再试。")
    elif not form.is_valid():
        messages.error(request, "评价未能保存：" + "；".join(e for errs in form.errors.values() for e in errs))
    else:
        data = form.cleaned_data
        department = Department.objects.filter(code=data["department"]).first() if data["department"] else None
        AnswerFeedback.objects.create(doc_key=data["key"], helpful=data["helpful"], query=data["query"],
                                      question=data["question"], department=department)
        messages.success(request, "谢谢，评价已记录。")
    return _back(request, reverse("public_qa"))


@require_GET
def public_qa(request):
    context = _search_context(request, SearchQueryLog.Channel.PORTAL)
    context["public"] = True
    template = "search/includes/results.html" if request.GET.get("partial") else "search/public.html"
    return render(request, template, context)


@require_GET
def qa_detail(request, pk):
    entry = get_object_or_404(QAEntry.objects.select_related("department", "policy", "interpretation"), pk=pk)
    if not entry.live:
        raise Http404("该问答尚未发布或已撤回")
    return render(request, "search/qa_detail.html", {"entry": entry})


# --- JSON API -------------------------------------------------------------------------------------
def _api_error(message, status=400, **extra):
    return JsonResponse({"error": message, **extra}, status=status, json_dumps_params={"ensure_ascii": False})


@require_GET
def api_search(request):
    wait = rate_limited("qa-api", client_fingerprint(request), settings.SEARCH_API_RATE_LIMITS)
    if wait:
        response = _api_error(f"请求太频繁，请 {wait} 秒后再试。", status=429)
        response["Retry-After"] = str(wait)
        return response
    unknown = sorted(set(request.GET) - set(ApiSearchForm.base_fields) - {"page"})
    if unknown:
        return _api_error(f"不支持的参数：{'、'.join(unknown)}。")
    form = ApiSearchForm(request.GET)
    if not form.is_valid():
        fields = {name: [str(e) for e in errors] for name, errors in form.errors.items()}
        first = next(iter(fields.values()))[0]
        return _api_error(first, fields=fields)
    data = form.cleaned_data
    result = hotline_search(data["q"], filters=form.filters(), limit=data.get("limit") or 10,
                            offset=data.get("offset") or 0, channel=SearchQueryLog.Channel.API)
    if result.error:
        return _api_error(result.error, status=503)
    body = {
        "query": result.query, "total": result.total, "took_ms": result.took_ms,
        "results": [{
            "external_id": r["external_id"] or r["key"], "question": r["question"], "answer": r["answer"],
            "short_answer": r["short_answer"], "highlight": r["highlight"],
            "department": {"code": r["department"]["code"], "name": r["department"]["name"],
                           "phone": r["department"]["phone"]},
            "topics": r["topics"],
            "policy": ({"external_id": f"policy:{r['policy']['id']}", "title": r["policy"]["title"],
                        "doc_number": r["policy"]["doc_number"], "status": r["policy"]["status"]}
                       if r["policy"] else None),
            "url": request.build_absolute_uri(r["url"]) if r["url"] else "", "score": r["score"],
        } for r in result.results],
    }
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


@require_GET
def openapi_schema(request):
    return JsonResponse(json.loads(OPENAPI_PATH.read_text(encoding="utf-8")), json_dumps_params={"ensure_ascii": False})
