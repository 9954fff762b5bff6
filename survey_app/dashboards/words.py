"""Top words of a bounded sample of comments, English and Italian stop-words removed."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

#: Letters only, at least three of them (drops "ok", numbers and most noise).
WORD = re.compile(r"[^\W\d_]{3,}")

STOP_WORDS_EN = frozenset("""
a about above after again against all also am an and any are aren't as at be because been
before being below between both but by can can't cannot could couldn't did didn't do does
doesn't doing don't down during each even ever every few for from further get got had hadn't
has hasn't have haven't having he her here hers herself him himself his how i i'm i've if in
into is isn't it it's its itself just let's like me more most much my myself no nor not now of
off on once one only or other ought our ours ourselves out over own really same she should
shouldn't so some still such than that that's the their theirs them themselves then there
there's these they they're this those through thus to too under until up us very was wasn't we
we're were weren't what when where which while who whom why will with won't would wouldn't yet
you you're your yours yourself yourselves always never lot lots thing things way well also
""".split())

STOP_WORDS_IT = frozenset("""
a ad al alla alle allo agli ai anche ancora avere aveva avevo che chi ci come con contro cosa
cui da dal dalla dalle dallo dagli dai del della delle dello degli dei di dove e ed era erano
essere fa fare fatto fra gli ha hanno ho il in io la le lei li lo loro lui ma me mi mia mie
miei mio molto ne nei nel nella nelle nello negli no noi non nostra nostre nostri nostro o per
perché però più poco poi quale quando quanto quella quelle quelli quello questa queste questi
questo qui se sei si sia siamo siete sono sta stato su sua sue sugli sui sul sulla sulle sullo
suo suoi te ti tra tu tua tue tuo tuoi tutti tutto tutte un una uno vi voi già sempre mai
ogni solo così cose cosa essere stati stata state sarà sarebbe troppo tanto tanti tante
""".split())

STOP_WORDS = STOP_WORDS_EN | STOP_WORDS_IT


def words_of(text: str) -> set[str]:
    """The distinct content words of ``text``, lower-cased."""
    return {w for w in WORD.findall(text.lower()) if w not in STOP_WORDS}


def top_words(comments: Iterable[str], limit: int = 10, min_comments: int = 2
              ) -> list[tuple[str, int]]:
    """The ``limit`` words found in the most comments (each comment counts a word once).

    Words in fewer than ``min_comments`` comments are left out: a word only one person wrote
    says little and could point at them.
    """
    counts: Counter[str] = Counter()
    for comment in comments:
        counts.update(words_of(comment))
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [(word, n) for word, n in ranked if n >= min_comments][:limit]
