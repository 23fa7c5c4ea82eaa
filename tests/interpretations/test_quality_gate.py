"""The anti-formalism check (P4) on real Chinese text: seed 002's clauses on policy interpretation.

A faithful interpretation passes; a paste of the policy and a list of its headings fail, and
the findings name what was copied.
"""
from pathlib import Path
from types import SimpleNamespace

import pytest

from interpretations.quality import (
    ELEMENTS,
    check_interpretation,
    comparable,
    copied_passages,
    heading_share,
    text_units,
)

POLICY = (Path(__file__).parent.parent / "data" / "litong_2021_interpretation_clauses.txt").read_text("utf-8")
PARAGRAPHS = [p for p in POLICY.splitlines() if p.strip()]

FAITHFUL = {
    "background": "<p>过去一些部门发文后只在网站挂一篇“解读”，内容多是把原文摘几段、列几个小标题，"
                  "群众看完仍不知道和自己有什么关系。今年的要点专门针对这个问题提出要求。</p>",
    "objectives": "<p>让区政府名义印发、面向企业和群众的文件都有解读，而且解读要讲清楚为什么出台、"
                  "要做成什么事、老百姓和企业能得到什么，做到实质性解读而不是走形式。</p>",
    "main_content": "<p>一是起草文件的部门负责写解读，文件和解读一起报送、一起发布；"
                    "二是解读形式要多样，图解之外还可以开发布会、请专家讲、做短视频；"
                    "三是起草部门要接咨询电话，在热线和办事大厅回答执行中的问题。</p>",
    "standards": "<p>判断一份解读合格与否，看它有没有讲背景依据、目标任务、主要内容和新旧变化；"
                 "只摘抄原文或罗列小标题的，审核时会被退回重写。</p>",
    "benefits": "<p>群众打 12345 热线问政策，接线员可以直接查到起草部门的权威口径；"
                "企业不必再逐字研读文件，通过问答和案例就能知道自己能否享受、怎么申请。</p>",
    "changes": "<p>以前只要求“有解读”，现在要求“解读好”：增加了二次解读和跟踪解读，"
               "政策执行中出现新情况时，起草部门要及时再作说明。</p>",
}


def interpretation(elements, body_units=(), **na_reasons):
    fields = {name: elements.get(name, "") for name, _ in ELEMENTS}
    fields.update({f"{name}_na_reason": na_reasons.get(name, "") for name, _ in ELEMENTS})
    return SimpleNamespace(**fields, body_text_units=lambda: list(body_units))


def codes(findings):
    return {f["code"] for f in findings}


def test_faithful_interpretation_passes():
    assert check_interpretation(interpretation(FAITHFUL), POLICY) == []


def test_pasted_policy_fails_and_names_the_copied_passages():
    pasted = {name: f"<p>{PARAGRAPHS[i % len(PARAGRAPHS)]}</p>" for i, (name, _) in enumerate(ELEMENTS)}
    findings = check_interpretation(interpretation(pasted), POLICY)
    copied = [f for f in findings if f["code"] == "copied"]
    assert copied, findings
    assert "逐字相同" in copied[0]["message"]
    # The passages are real excerpts of the policy, longest first.
    passages = copied[0]["passages"]
    assert passages and all(comparable(p) in comparable(POLICY) for p in passages)
    assert len(comparable(passages[0])) > 100


def test_paste_with_changed_punctuation_is_still_a_paste():
    mangled = PARAGRAPHS[0].replace("，", ",").replace("。", ". ")
    report = copied_passages(mangled, POLICY, n=12)
    assert report.share > 0.9


def test_interpretation_quoting_one_sentence_stays_under_threshold():
    quoted = dict(FAITHFUL)
    quoted["main_content"] += "<p>原文的说法是：“要按照‘谁起草、谁解读’的原则，切实做到政策解读全覆盖。”</p>"
    assert check_interpretation(interpretation(quoted), POLICY) == []


def test_list_of_headings_fails():
    headings = ["加强重要政策措施解读", "丰富形式进行解读", "加强政策咨询服务", "主动回应社会关切"]
    listing = {name: "".join(f"<p>（{'一二三四'[i]}）{h}</p>" for i, h in enumerate(headings)) for name, _ in ELEMENTS}
    findings = check_interpretation(interpretation(listing), POLICY)
    assert "heading_list" in codes(findings)
    assert "element_headings" in codes(findings)


def test_empty_element_needs_content_or_a_reason():
    partial = dict(FAITHFUL, changes="")
    findings = check_interpretation(interpretation(partial), POLICY)
    assert [f["message"] for f in findings] == ["“新旧政策差异”缺少实质内容（至少 30 字），或勾选不适用并说明理由。"]
    ok = check_interpretation(interpretation(partial, changes="首次出台，没有可以比较的旧政策"), POLICY)
    assert ok == []
    too_short = check_interpretation(interpretation(partial, changes="无"), POLICY)
    assert codes(too_short) == {"element_reason"}


def test_thresholds_are_settings(settings):
    quoted = dict(FAITHFUL)
    quoted["main_content"] += f"<p>{PARAGRAPHS[0][:120]}</p>"
    assert check_interpretation(interpretation(quoted), POLICY) == []
    settings.QUALITY_MAX_COPIED_SHARE = 0.1
    assert "copied" in codes(check_interpretation(interpretation(quoted), POLICY))


def test_text_units_split_rich_text_into_blocks():
    assert text_units("<h3>标题</h3><p>第一段。</p><ul><li>甲</li><li>乙</li></ul>") == ["标题", "第一段。", "甲", "乙"]
    assert heading_share(["一、总体要求", "这是一个完整的句子，说明了背景。"]) == 0.5


@pytest.mark.parametrize("unit, expected", [
    ("二、不断加大政策解读回应力度", True),
    ("（三）加强政策咨询服务", True),
    ("政策解读", True),
    ("起草部门要在文件印发后三个工作日内发布解读。", False),
])
def test_heading_detection(unit, expected):
    assert heading_share([unit]) == (1.0 if expected else 0.0)
