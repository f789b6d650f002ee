"""Task search: the words of a search text, and the index queries made of them.

The text is split into words here, never handed to a query parser, so no operator, quote or
bracket a client sends can reach FTS5's or PostgreSQL's query syntax: each word becomes a
quoted prefix term, all of which must match (title or description). Splitting is linear and
the number of words is capped, so a hostile text costs bounded work.
"""

from __future__ import annotations

import re

# Letters and digits; the underscore and everything else separate words, as both indexes'
# tokenizers (PostgreSQL's parser, FTS5's unicode61) do for ASCII text.
_WORD = re.compile(r"[^\W_]+")
MAX_SEARCH_WORDS = 16
# PostgreSQL's text search configuration of the index (migrations 4_*_task_search): no
# stemming and no stop words, like FTS5's unicode61 tokenizer on SQLite.
TS_CONFIG = "simple"


def search_words(text: str) -> str:
    """The distinct words of `text`, lower case, space separated ('' when it has none)."""
    words = dict.fromkeys(word.lower() for word in _WORD.findall(text))
    return " ".join(list(words)[:MAX_SEARCH_WORDS])


def tsquery(words: str) -> str:
    """PostgreSQL to_tsquery text: every word, as a prefix. Words are letters and digits only,
    and each is quoted besides."""
    return " & ".join(f"'{word}':*" for word in words.split())


def fts5_query(words: str) -> str:
    """FTS5 MATCH text: every word as a quoted prefix term (quotes cannot occur in a word)."""
    return " AND ".join(f'"{word}"*' for word in words.split())
