"""Chinese analysis: normalisation, segmentation with the staff vocabulary, stop words, synonyms, 文号."""
import pytest

from search.analysis import Analyzer, Vocabulary, doc_number_tokens, get_analyzer, normalize
from search.factories import SynonymGroupFactory
from search.models import SynonymGroup, VocabularyTerm


def analyzer(words=(), synonyms=()):
    return Analyzer(Vocabulary(words=tuple(words), synonym_groups=tuple(tuple(g) for g in synonyms)))


def test_normalize_folds_full_width_and_case():
    assert normalize("  Ｅ－ｍａｉｌ　２０２３年 ") == "e-mail 2023年"


def test_user_dictionary_keeps_policy_terms_whole():
    plain, with_term = analyzer(), analyzer(words=["灵活就业人员"])
    assert "灵活就业人员" not in plain.index_tokens("灵活就业人员参保")
    assert "灵活就业人员" in with_term.index_tokens("灵活就业人员参保")


def test_index_side_also_keeps_the_words_inside_long_words():
    tokens = analyzer().index_tokens("基本医疗保险异地就医备案")
    assert {"医疗保险", "医疗", "保险", "异地", "就医", "备案"} <= set(tokens)


def test_colloquial_filler_is_dropped():
    query = analyzer().analyze_query("我想问一下怎么办理异地就医备案呢？")
    assert [c.label for c in query.concepts] == ["办理", "异地", "就医", "备案"]


def test_synonyms_expand_to_every_term_of_the_group():
    query = analyzer(synonyms=[("社保", "社会保险")]).analyze_query("社保断缴了")
    social = query.concepts[0]
    assert social.label == "社保"
    assert ("社保",) in social.alternatives and ("社会保险",) in social.alternatives


def test_multiword_synonym_is_found_in_the_raw_query():
    query = analyzer(synonyms=[("孩子上学", "义务教育入学")]).analyze_query("孩子上学要什么材料")
    school = query.concepts[0]
    assert school.label == "孩子上学"
    assert any(set(alt) == {"义务教育", "入学"} or alt == ("义务教育入学",) for alt in school.alternatives)
    assert [c.label for c in query.concepts[1:]] == ["材料"]


def test_single_character_words_are_optional():
    query = analyzer().analyze_query("社保怎么交")
    assert [(c.label, c.required) for c in query.concepts] == [("社保", True), ("交", False)]
    assert query.minimum_match == 1


@pytest.mark.parametrize(("required", "expected"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 3)])
def test_score_floor_needs_half_of_the_words(required, expected):
    query = analyzer().analyze_query(" ".join(["养老", "申领", "条件", "材料", "期限"][:required]))
    assert len(query.required) == required
    assert query.minimum_match == expected


@pytest.mark.parametrize(("text", "tokens"), [
    ("示政办规〔2023〕5号", ("示政办规", "2023", "5号")),
    ("乌政办[2021]83号", ("乌政办", "2021", "83号")),
    ("2023 5号", ("2023", "5号")),
    ("２０２１年第０８３号", ("2021", "83号")),
])
def test_doc_numbers_typed_in_full_or_in_part(text, tokens):
    assert doc_number_tokens(text) == tokens
    assert analyzer().analyze_query(text).doc_number == tokens


def test_a_doc_number_is_taken_out_of_the_words():
    query = analyzer().analyze_query("乌政办〔2021〕83号 灵活就业")
    assert query.doc_number == ("乌政办", "2021", "83号")
    assert [c.label for c in query.concepts] == ["灵活", "就业"]


def test_staff_vocabulary_reaches_the_analyzer_at_once(db, departments):
    SynonymGroupFactory(terms="公积金,住房公积金")
    VocabularyTerm.objects.create(word="灵活就业人员")
    current = get_analyzer()
    assert ("住房公积金",) in current.analyze_query("公积金").concepts[0].alternatives
    assert "灵活就业人员" in current.index_tokens("灵活就业人员")
    # Department names are in the dictionary too.
    assert "市人社局" in current.index_tokens("请咨询市人社局")
    SynonymGroup.objects.filter(terms="公积金,住房公积金").delete()
    assert get_analyzer() is not current
    assert get_analyzer().analyze_query("公积金").concepts[0].alternatives == (("公积金",),)


def test_synonym_group_validation():
    from django.core.exceptions import ValidationError

    group = SynonymGroup(terms="社保")
    with pytest.raises(ValidationError, match="至少要有两个词"):
        group.clean()
    group = SynonymGroup(terms=" 社保，社会保险、 社保 ")
    group.clean()
    assert group.terms == "社保,社会保险"


def test_tokens_are_split_at_punctuation_so_phone_numbers_are_found_by_their_parts():
    tokens = analyzer().index_tokens("咨询电话0991-7330383，PM2.5超标")
    assert {"0991", "7330383", "pm2", "5"} <= set(tokens)
    assert [c.label for c in analyzer().analyze_query("7330383").concepts] == ["7330383"]


def test_query_side_does_not_invent_words_from_leftover_characters():
    query = analyzer().analyze_query("失业金咋领")
    assert [(c.label, c.required) for c in query.concepts if c.required] == [("失业", True)]
