"""The interface every hotline search backend implements, and the request and result types they share."""
import datetime
from dataclasses import dataclass, field

from search.documents import HIDDEN_BY_DEFAULT


class SearchUnavailable(Exception):
    """The search backend cannot answer (down, locked, misconfigured); the caller shows a clear message."""


@dataclass
class SearchFilters:
    departments: tuple = ()     # department codes
    topic: str = ""
    validity: tuple = ()        # explicit validity values; empty = all but the hidden ones
    include_repealed: bool = False
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    kinds: tuple = ()

    def validity_excluded(self):
        """Validities never returned for this request (已废止 and 已失效 unless asked for)."""
        if self.validity:
            return ()
        return () if self.include_repealed else HIDDEN_BY_DEFAULT


@dataclass
class SearchRequest:
    query: object                      # analysis.AnalyzedQuery
    filters: SearchFilters = field(default_factory=SearchFilters)
    limit: int = 10
    offset: int = 0
    facets: bool = False


@dataclass
class SearchHit:
    payload: dict
    score: float
    highlight: dict = field(default_factory=dict)  # field -> HTML, when the backend highlights itself


@dataclass
class SearchHits:
    total: int
    hits: list
    facets: dict = field(default_factory=dict)  # {"department": {code: n}, "validity": {...}, "topic": {...}}


class SearchBackend:
    """Index and query the hotline documents. Every method may raise SearchUnavailable."""

    name = "base"

    def search(self, request: SearchRequest) -> SearchHits:
        raise NotImplementedError

    def replace_sources(self, changes):
        """``changes``: {source: [SearchDocument, …]}; an empty list removes the source's documents."""
        raise NotImplementedError

    def rebuild(self, documents, progress=None):
        """Build a new index from ``documents`` and make it current atomically; return the count."""
        raise NotImplementedError

    def indexed_hashes(self):
        """{key: content_hash} of everything in the current index (for check_search_index)."""
        raise NotImplementedError

    def ping(self):
        """True when the backend answers."""
        raise NotImplementedError

    def document_count(self):
        """How many documents the current index holds: 0 with content in the database means the
        index was lost (an emptied disk, a new volume) and must be rebuilt."""
        raise NotImplementedError

    def clear(self):
        """Drop everything (tests)."""
        raise NotImplementedError
