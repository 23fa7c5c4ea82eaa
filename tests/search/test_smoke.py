from search.service import hotline_search


def test_smoke(qa_base):
    r = hotline_search("打零工的社保怎么交")
    print(r.total, [(x["question"], x["validity"], x["score"]) for x in r.results])
    r = hotline_search("去外地看病医保")
    print(r.total, [(x["question"], x["validity"], x["score"]) for x in r.results])
    r = hotline_search("孩子上学要什么材料")
    print(r.total, [(x["question"], x["validity"], x["score"]) for x in r.results])
    r = hotline_search("乌政办〔2021〕83号")
    print(r.total, [(x["question"], x["kind"], x["score"]) for x in r.results])
    r = hotline_search("2015 12号", filters=__import__("search.backends.base", fromlist=["x"]).SearchFilters(include_repealed=True))
    print(r.total, [(x["question"], x["kind"], x["validity"], x["score"]) for x in r.results])
    r = hotline_search("火星旅游签证")
    print(r.total)
    assert 0
