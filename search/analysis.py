"""Chinese text analysis shared by every search backend: normalise, segment, drop stop words, expand synonyms.

Index time and query time go through the same segmenter and the same vocabulary (the staff-kept
专业词 and 同义词 plus department names), so the embedded backend and Elasticsearch see the same
tokens and rank alike. The segmenter is rjieba (jieba's dictionary and algorithm, 25–36× faster here; its output matches
jieba's once tokens are split at punctuation, see docs/search-engine-choice.md); jieba itself is a
drop-in fallback.
"""
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache

VOCABULARY_VERSION_KEY = "search:vocabulary-version"

# Words a caller says around the question ("我想问一下……怎么办呢"); they carry no policy meaning.
STOP_WORDS = frozenset("""
的 了 吗 呢 啊 呀 吧 嘛 哦 哈 么 着 过 和 与 及 或 跟 同 而 并 也 还 就 都 又 再 才 很 太 最 更 挺 蛮 比较 非常
我 我们 你 你们 您 他 她 它 他们 她们 咱 咱们 自己 人家 俺 这 那 这个 那个 这些 那些 这样 那样 这么 那么 这种 那种
是 不是 有 没有 没 在 给 让 被 把 对 从 向 到 为 为了 以 于 按 按照 由 将
想 想问 想要 要 需要 请 请问 问 问下 问一下 一下 咨询 了解 知道 打听 帮 帮忙 麻烦 谢谢 你好 您好 喂 那个 就是 然后 现在 目前
怎么 怎么样 怎样 如何 怎么办 咋 咋办 咋样 什么 啥 哪 哪些 哪个 哪里 哪儿 哪家 多少 几 是否 能否 能不能 可不可以 可以 能 会 该 应该
吗 么 呀 嘞 呗 不 不了 一个 一些 有没有 有关 关于 相关 情况 问题 事情 事 办法 方面 的话 之类 等 等等
问问 我爸 我妈 我家 俺家 这边 那边 这里 那里 外面 今年 明年 去年 算不算 用不用 要不要 给不给 行不行 会不会
还要 还能 还用 还得 不能
""".split())

_SPACES = re.compile(r"\s+")
_DOC_NUMBER = re.compile(
    r"(?P<prefix>[\u4e00-\u9fff]{1,12})?\s*[〔\[［(（【]?\s*(?P<year>(?:19|20)\d{2})\s*[〕\]］)）】]?\s*(?:年\s*)?"
    r"(?:第\s*)?(?P<seq>\d{1,5})\s*号"
)
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD_RUN = re.compile(r"\w+")


def _words(tokens):
    """Split tokens at punctuation: rjieba keeps 0991-7330383 or PM2.5 whole, jieba does not."""
    for token in tokens:
        if token.isalnum():  # the common case (Chinese words, plain numbers): nothing to split
            yield token
        else:
            yield from _WORD_RUN.findall(token)


def normalize(text):
    """Full-width to half-width (２０２３ → 2023, Ｅ → E), lower case, one space between words."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return _SPACES.sub(" ", text).strip()


# --- vocabulary and segmenter ------------------------------------------------------------------
@dataclass(frozen=True)
class Vocabulary:
    words: tuple = ()           # kept whole by the segmenter
    synonym_groups: tuple = ()  # tuples of normalised terms

    def synonym_map(self):
        mapping = {}
        for group in self.synonym_groups:
            for term in group:
                mapping.setdefault(term, set()).update(group)
        return {term: tuple(sorted(terms, key=lambda t: (-len(t), t))) for term, terms in mapping.items()}


def load_vocabulary():
    """The staff-kept vocabulary: 专业词, the words of every 同义词 group, department names."""
    from cms.models import Department

    from .models import SynonymGroup, VocabularyTerm

    words = {normalize(w) for w in VocabularyTerm.objects.values_list("word", flat=True)}
    for name, short in Department.objects.values_list("name", "short_name"):
        words.update(normalize(n) for n in (name, short) if n)
    groups = []
    for terms in SynonymGroup.objects.values_list("terms", flat=True):
        group = tuple(normalize(t) for t in SynonymGroup.split(terms))
        if len(group) >= 2:
            groups.append(group)
            words.update(group)
    return Vocabulary(words=tuple(sorted(w for w in words if w and " " not in w)), synonym_groups=tuple(groups))


def vocabulary_changed():
    """Called when a 专业词, 同义词 or department changes: every process reloads on its next query."""
    try:
        cache.incr(VOCABULARY_VERSION_KEY)
    except ValueError:
        cache.set(VOCABULARY_VERSION_KEY, 2, None)


class Analyzer:
    """Segments text with a user dictionary; one instance per vocabulary version."""

    def __init__(self, vocabulary):
        self.vocabulary = vocabulary
        self.synonyms = vocabulary.synonym_map()
        # Longest first, so 义务教育入学 is found before 义务教育.
        self._phrases = sorted(self.synonyms, key=len, reverse=True)
        self._phrase_re = (re.compile("|".join(re.escape(p) for p in self._phrases)) if self._phrases else None)
        self._segmenter = _make_segmenter(vocabulary.words)

    # index side ---------------------------------------------------------------------------------
    def index_tokens(self, text):
        """Search-mode segmentation: whole words and the dictionary words inside them (医疗保险 → 医疗, 保险)."""
        text = normalize(text)
        if not text:
            return []
        return list(_words(self._segmenter.cut_for_search(text)))

    def index_string(self, *texts):
        return " ".join(t for text in texts for t in self.index_tokens(text))

    # query side ---------------------------------------------------------------------------------
    def analyze_query(self, raw):
        """Turn what an operator typed into concepts: each a set of alternatives that mean the same."""
        text = normalize(raw)[: getattr(settings, "SEARCH_MAX_QUERY_CHARS", 100)]
        doc_number = None
        match = _DOC_NUMBER.search(text)
        if match:
            doc_number = doc_number_tokens(match.group(0))
            text = (text[: match.start()] + " " + text[match.end():]).strip()
        concepts, seen = [], set()
        for piece, is_phrase in self._split_on_synonyms(text):
            if is_phrase:
                self._add_concept(concepts, seen, piece, self.synonyms[piece])
                continue
            # No HMM on the query: it glues a caller's leftover characters (失业金咋领 → 金咋) into
            # invented words that would then be required; single characters are optional instead.
            for token in _words(self._segmenter.cut(piece, False)):
                if token in STOP_WORDS:
                    continue
                self._add_concept(concepts, seen, token, self.synonyms.get(token, (token,)))
        return AnalyzedQuery(text=normalize(raw), concepts=concepts, doc_number=doc_number)

    def _split_on_synonyms(self, text):
        if not self._phrase_re:
            yield text, False
            return
        position = 0
        for match in self._phrase_re.finditer(text):
            if match.start() > position:
                yield text[position:match.start()], False
            yield match.group(0), True
            position = match.end()
        if position < len(text):
            yield text[position:], False

    def _add_concept(self, concepts, seen, label, terms):
        key = tuple(sorted(terms))
        if key in seen:
            return
        seen.add(key)
        alternatives = []
        for term in terms:
            # The term as the index segments it: a word the index keeps whole matches as one token,
            # a longer phrase (义务教育入学) matches when all its words are there.
            whole = tuple(_words(self._segmenter.cut(term)))
            parts = tuple(t for t in whole if t not in STOP_WORDS) or whole
            alternatives.append(parts)
            if len(parts) == 1 and len(term) >= 4:
                finer = tuple(t for t in _words(self._segmenter.cut_for_search(term)) if len(t) >= 2 and t != term)
                if len(finer) >= 2:
                    alternatives.append(finer)
        alternatives = list(dict.fromkeys(alternatives))
        # One character on its own (交, 办) adds to the score but is not required to match.
        required = not (len(label) == 1 and _CJK.match(label) and len(terms) == 1)
        concepts.append(Concept(label=label, alternatives=tuple(alternatives), required=required))


@dataclass(frozen=True)
class Concept:
    label: str
    alternatives: tuple  # tuples of tokens; an alternative matches when all its tokens do
    required: bool = True

    def terms(self):
        return {t for alt in self.alternatives for t in alt}


@dataclass
class AnalyzedQuery:
    text: str
    concepts: list = field(default_factory=list)
    doc_number: tuple | None = None

    @property
    def required(self):
        return [c for c in self.concepts if c.required]

    @property
    def optional(self):
        return [c for c in self.concepts if not c.required]

    @property
    def minimum_match(self):
        """The score floor in concepts: at least 60 % of the required ones (1 of 1, 2 of 2, 2 of 3, 3 of 4 …)."""
        n = len(self.required)
        share = getattr(settings, "SEARCH_MIN_CONCEPT_SHARE", 0.6)
        return max(1, math.ceil(share * n)) if n else 0

    @property
    def is_empty(self):
        return not self.concepts and not self.doc_number

    def highlight_terms(self):
        terms = {t for c in self.concepts for t in c.terms() if len(t) >= 2 or not _CJK.match(t)}
        terms |= {c.label for c in self.concepts if len(c.label) >= 2}
        return terms


def doc_number_tokens(text):
    """乌政办〔2021〕83号 → (乌政办, 2021, 83号); 2023 5号 → (2023, 5号)."""
    match = _DOC_NUMBER.search(normalize(text))
    if not match:
        return None
    tokens = []
    if match.group("prefix"):
        tokens.append(match.group("prefix"))
    tokens += [match.group("year"), f"{int(match.group('seq'))}号"]
    return tuple(tokens)


def _make_segmenter(words):
    name = getattr(settings, "SEARCH_SEGMENTER", "rjieba")
    if name == "rjieba":
        import rjieba

        segmenter = rjieba.Jieba()
        for word in words:
            segmenter.add_word(word, None, None)
        return segmenter
    import jieba

    segmenter = jieba.Tokenizer()
    for word in words:
        segmenter.add_word(word)
    return _JiebaAdapter(segmenter)


class _JiebaAdapter:
    def __init__(self, tokenizer):
        self._tokenizer = tokenizer

    def cut(self, text, hmm=True):
        return list(self._tokenizer.cut(text, HMM=hmm))

    def cut_for_search(self, text):
        return list(self._tokenizer.cut_for_search(text))


_lock = threading.Lock()
_current = {"version": None, "analyzer": None}


def get_analyzer():
    """The analyzer of the current vocabulary version (reloaded in every process when staff edit it)."""
    version = cache.get(VOCABULARY_VERSION_KEY, 1)
    analyzer = _current["analyzer"]
    if analyzer is not None and _current["version"] == version:
        return analyzer
    with _lock:
        if _current["analyzer"] is None or _current["version"] != version:
            _current["analyzer"] = Analyzer(load_vocabulary())
            _current["version"] = version
        return _current["analyzer"]


def reset_analyzer():
    _current.update(version=None, analyzer=None)
