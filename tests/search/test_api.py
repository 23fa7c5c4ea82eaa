"""GET /api/qa/search: the JSON shape (checked against the served OpenAPI schema), errors, rate limit."""
import json

import jsonschema
import pytest

from search.views import OPENAPI_PATH

pytestmark = pytest.mark.usefixtures("empty_cache")  # no rate-limit count carried over

SCHEMA = json.loads(OPENAPI_PATH.read_text(encoding="utf-8"))


def validate(body, component):
    schema = {**SCHEMA["components"]["schemas"][component], "components": SCHEMA["components"]}
    resolver_schema = json.loads(json.dumps(schema).replace("#/components/", "#/components/"))
    jsonschema.validate(body, resolver_schema)


def test_search_returns_the_documented_shape(client, qa_base):
    response = client.get("/api/qa/search", {"q": "打零工的社保怎么交", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    validate(body, "SearchResponse")
    top = body["results"][0]
    assert top["question"] == "灵活就业人员怎么缴纳社会保险？"
    assert top["department"] == {"code": "rsj", "name": "市人社局", "phone": "0991-1234567"}
    assert top["policy"]["doc_number"] == "乌政办〔2021〕83号" and top["policy"]["status"] == "current"
    assert top["url"].startswith("http://testserver/wenda/")
    assert "<mark>" in top["highlight"]["short_answer"]
    assert body["total"] >= 1 and body["took_ms"] >= 0


def test_filters_and_include_repealed(client, qa_base):
    default = client.get("/api/qa/search", {"q": "灵活就业人员怎么缴纳社会保险"}).json()
    assert {r["policy"]["status"] for r in default["results"] if r["policy"]} == {"current"}
    everything = client.get("/api/qa/search", {"q": "灵活就业人员怎么缴纳社会保险", "include_repealed": "1"}).json()
    assert "repealed" in {r["policy"]["status"] for r in everything["results"] if r["policy"]}
    medical = client.get("/api/qa/search", {"q": "异地就医", "department": "ybj"}).json()
    assert medical["total"] == 1 and medical["results"][0]["department"]["code"] == "ybj"


@pytest.mark.parametrize(("params", "message"), [
    ({}, "缺少参数 q"),
    ({"q": "   "}, "q（检索词）"),
    ({"q": "社保\x00"}, "空字符"),
    ({"q": "社" * 101}, "太长"),
    ({"q": "社保", "limit": "0"}, "limit 至少为 1"),
    ({"q": "社保", "limit": "500"}, "limit 不能超过 50"),
    ({"q": "社保", "limit": "十"}, "limit 应为整数"),
    ({"q": "社保", "offset": "-1"}, "offset 不能为负数"),
    ({"q": "社保", "offset": "99999999999999999999"}, "offset 不能超过"),
    ({"q": "社保", "include_repealed": "yes"}, "include_repealed 只能是 0 或 1"),
    ({"q": "社保", "department": "nope"}, "没有这个部门"),
    ({"q": "社保", "validity": "valid"}, "效力只能是"),
    ({"q": "社保", "date_from": "2021-13-01"}, "日期格式"),
    ({"q": "社保", "date_from": "2022-01-01", "date_to": "2021-01-01"}, "结束日期不能早于开始日期"),
    ({"q": "社保", "sort": "date"}, "不支持的参数：sort"),
])
def test_bad_parameters_get_a_400_in_chinese(client, qa_base, params, message):
    response = client.get("/api/qa/search", params)
    assert response.status_code == 400
    body = response.json()
    validate(body, "Error")
    assert message in body["error"]


def test_search_syntax_and_markup_are_just_text(client, qa_base):
    for q in ['社保" OR 1=1 --', "社保 AND (医保 OR *)", "<img src=x onerror=alert(1)>社保", "社保\x1f\u202e"]:
        response = client.get("/api/qa/search", {"q": q})
        assert response.status_code == 200, q
        assert "<img" not in json.dumps(response.json()["results"], ensure_ascii=False)


def test_rate_limit_answers_429_with_retry_after(client, qa_base, settings):
    settings.SEARCH_API_RATE_LIMITS = [(3, 60)]
    for _ in range(3):
        assert client.get("/api/qa/search", {"q": "社保"}).status_code == 200
    response = client.get("/api/qa/search", {"q": "社保"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "请求太频繁" in response.json()["error"]


def test_openapi_schema_is_served_and_valid(client):
    response = client.get("/api/qa/openapi.json")
    assert response.status_code == 200
    body = response.json()
    assert body["openapi"].startswith("3.1")
    parameters = {p["name"] for p in body["paths"]["/api/qa/search"]["get"]["parameters"]}
    assert {"q", "department", "topic", "include_repealed", "limit"} <= parameters
    jsonschema.Draft202012Validator.check_schema(body["components"]["schemas"]["SearchResponse"])


def test_searches_are_logged_without_personal_data(client, qa_base):
    from search.models import SearchQueryLog

    client.get("/api/qa/search", {"q": "我的电话13912345678社保断缴了"})
    log = SearchQueryLog.objects.get()
    assert "13912345678" not in log.query and "[电话已隐藏]" in log.query
    assert log.channel == "api"
