"""Deterministic coherence for the rubric judge: English prose scores high, word salad low.

Why this method. The rubric judge runs anywhere (CI, a laptop, no model), must give the same number every
time, and must not be fooled by the two kinds of salad that a small language model writes:
- non-words and fragments ("The system was sp Ossaw, set it chose to answer the unade challs"): every word is
  looked up in wordfreq's English lexicon (built from many corpora, so it knows names, brands and common
  spellings; a dependency, its data CC-BY-SA). Words of the prompt count as known, so names and invented
  terms the user wrote are not penalised; two-letter tokens must be real two-letter words, three-letter ones
  common words, because the lexicon also lists fragments such as "sp" or "ing";
- real words without grammar ("decision your the accept I the help"): English prose is roughly 20-80%
  function words, and closed-class words keep a fixed order (a determiner is followed by a noun phrase, never
  by a verb form, a preposition or the end of a sentence; "to" is not followed by "is"; "I" does not take
  "are"). Lists of content words and shuffled sentences break one or both.
These are cheap, exact and explainable. They do not read meaning: a grammatical answer that makes no sense
passes them (a model judge, `--judge=model:SPEC`, is for that). What they ensure is that salad is never
scored coherent.

Score: 100, lowered to the lowest applicable cap: empty 0; fewer than half of the non-space characters are
letters 10; at least 20 words of which under 30% distinct (looping) 20; fewer than 3 words 40; a run of more
than 80 words without sentence punctuation 30; and three graded caps, each linear in its signal:
- unknown words, share u of checked words: 100 at u <= 5%, 0 at u >= 20%;
- function words, share f (texts of 8 words or more): 100 for 20% <= f <= 80%, 0 at f <= 5% or f = 100%
  (conversation is function-word heavy: "I don't know what it is that you want me to do with it");
- word-order violations beyond the first, per word, r: 100 at r <= 2%, 0 at r >= 8% (one is forgiven,
  since each rule has rare exceptions, e.g. "You (or Your) shall").
"""
from __future__ import annotations

import functools
import re
from typing import Iterable

from wordfreq import zipf_frequency

# Words keep their apostrophes and hyphens ("can't", "in-house"); tokens with digits ("3rd", "GPT-4") are
# neither words nor non-words.
_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['\-][A-Za-z0-9]+)*")
# Sentence ends for word order: punctuation followed by space ("3.5" and "e.g." do not end one). Lines are not
# sentences there (hard-wrapped text), but they are for the run-on check (list items carry no full stop).
_SENTENCE = re.compile(r"[.!?;:]+(?=\s|$)")
_RUN = re.compile(r"[.!?;:\n]+")
# Not prose, so neither evidence for nor against English: links, `code`, <tags>, @handles, dotted names.
_NOT_PROSE = re.compile(r"\S+://\S+|`[^`]*`|<[^>\s][^>]*>|@\w+|\S*\w[./_\\]\w\S*")

SHORT_WORDS = frozenset(
    "am an as at be by do go he hi if in is it me my no of oh ok on or so to up us we ye yo ah eh ha hm uh um "
    "mr ms dr vs".split())
FRAGMENTS = frozenset("ing ent ion ers est ful ity nce ous tion ment ness".split())

DETERMINERS = frozenset("the a an every their our your my".split())
SUBJECTS = frozenset("i he she we they".split())
PREPOSITIONS = frozenset("of with from into onto upon between among without within during toward towards in on "
                         "at by for about over under through after before".split())
# Prepositions that are not stranded before "is" in ordinary prose ("what I agree with is" is fine).
UNSTRANDED = frozenset("of into onto upon between among during toward towards".split())
CONJUNCTIONS = frozenset("and or but nor".split())
FINITE_AUX = frozenset("is was are were am has does did".split())
MODALS = frozenset("will would can could should must may might shall".split())
STRICT_MODALS = frozenset("would could should shall".split())  # never nouns, unlike "will", "can", "May"
PAST_ONLY = frozenset("wrote chose went took gave knew began spoke became brought sought".split())
_AGREEMENT = {"i": {"is", "are"}, "he": {"are", "am"}, "she": {"are", "am"}, "we": {"is", "am"},
              "they": {"is", "am"}, "it": {"am", "are"}, "you": {"am", "is"}}
_DOUBLE_OK = frozenset("that had no".split())
FUNCTION_WORDS = (DETERMINERS | SUBJECTS | PREPOSITIONS | CONJUNCTIONS | FINITE_AUX | MODALS | frozenset(
    "to not this that these those its his her him them me us you it what which who whom whose how when where "
    "why if as so because while although though then there here also just very be been being have had do "
    "some any no all each both either neither such more most much many few another other own same myself "
    "itself yourself ourselves themselves himself herself".split()))
_NOUN_PHRASE_CANNOT_START = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | FINITE_AUX | STRICT_MODALS | SUBJECTS \
    | PAST_ONLY | {"to", "<end>"}

NOT_WORDS_HIGH, NOT_WORDS_ZERO = 0.05, 0.20
FUNCTION_LOW_ZERO, FUNCTION_LOW, FUNCTION_HIGH, FUNCTION_HIGH_ZERO = 0.05, 0.20, 0.80, 1.0
VIOLATIONS_HIGH, VIOLATIONS_ZERO = 0.02, 0.08
RUN_ON_WORDS = 80


@functools.lru_cache(maxsize=65536)
def _in_lexicon(word: str) -> bool:
    """A lowercased token is an English word (see the module docstring for the length rules)."""
    if len(word) <= 2:
        return word in SHORT_WORDS
    if len(word) == 3:
        return word not in FRAGMENTS and zipf_frequency(word, "en") >= 3.0
    if zipf_frequency(word, "en") >= 1.0:
        return True
    return "'" in word and _in_lexicon(word.split("'")[0])


def is_english_word(token: str, known: frozenset[str] = frozenset()) -> bool:
    """A token is in the lexicon, in `known` (the prompt's words), or a CamelCase compound of English words."""
    lower = token.lower()
    if lower in known or _in_lexicon(lower):
        return True
    parts = re.findall(r"[A-Z][a-z]+|[a-z]+", token)
    return len(parts) > 1 and all(p.lower() in known or zipf_frequency(p.lower(), "en") >= 1.0 for p in parts)


def _checked(token: str) -> bool:
    """Single letters (labels, "a", "I") and acronyms ("RLHF") carry no lexical evidence either way."""
    return len(token) > 1 and not (token.isupper() and len(token) <= 5)


def _pair_is_ruled_out(first: str, second: str) -> bool:
    return (
        (first in DETERMINERS and second in _NOUN_PHRASE_CANNOT_START)
        or (first in SUBJECTS and second in DETERMINERS | (SUBJECTS - {first}))
        or (first == "to" and second in FINITE_AUX | STRICT_MODALS | PAST_ONLY | {"will", "can", "must"})
        or (first in UNSTRANDED and second in FINITE_AUX | STRICT_MODALS)
        or (first == "of" and second in CONJUNCTIONS)
        or (first in STRICT_MODALS and second in FINITE_AUX | PAST_ONLY)
        or (first in CONJUNCTIONS and (second == "<end>" or second in CONJUNCTIONS - {"or", "and"}))
        or second in _AGREEMENT.get(first, ())
        or (first == second and first in FUNCTION_WORDS and first not in _DOUBLE_OK)
    )


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _order_words(sentence: str) -> list[str]:
    """Lowercased words; numbers become "<num>", and a capital "A" a label ("plan A and plan B", "Answer: A"),
    since a sentence-initial article is followed by a noun anyway."""
    return ["<num>" if _has_digit(t) else "<label>" if t == "A" else t.lower() for t in _TOKEN.findall(sentence)]


def order_violations(text: str) -> list[str]:
    """Adjacent word pairs (and sentence ends) that closed-class English word order rules out."""
    found = []
    for sentence in _SENTENCE.split(text):
        words = _order_words(sentence)
        for first, second in zip(words, words[1:] + ["<end>"]):
            if _pair_is_ruled_out(first, second):
                found.append(f"{first} {second}".replace(" <end>", "."))
    return found


def _ramp(x: float, full: float, zero: float) -> float:
    """100 where x is at `full` or on its good side, 0 at `zero` or beyond, linear between."""
    return 100.0 * min(1.0, max(0.0, (x - zero) / (full - zero)))


def vocabulary(*texts: str) -> frozenset[str]:
    """The words of `texts` (e.g. the prompt), lowercased, hyphenated ones also by part."""
    tokens = [t.lower() for text in texts for t in _TOKEN.findall(text)]
    return frozenset(tokens + [p for t in tokens for p in t.split("-")])


def rubric_coherence(response: str, known_words: Iterable[str] = ()) -> tuple[float, str]:
    """Coherence 0-100 and the reason for it; `known_words` (e.g. the prompt's words) count as English."""
    text = response.strip()
    if not text:
        return 0.0, "empty response"
    caps: list[tuple[float, str]] = []
    visible = [c for c in text if not c.isspace()]
    if sum(c.isalpha() for c in visible) < 0.5 * len(visible):
        caps.append((10.0, "mostly non-letter characters"))
    prose = _NOT_PROSE.sub(" 0 ", text)  # a neutral token, so removed code does not join its neighbours
    tokens = [t for t in _TOKEN.findall(prose) if not _has_digit(t)]
    words = [t.lower() for t in tokens]
    if len(words) >= 20 and len(set(words)) < 0.3 * len(words):
        caps.append((20.0, "highly repetitive"))
    if len(words) < 3:
        caps.append((40.0, "fewer than 3 words"))
    if max((len(_TOKEN.findall(c)) for c in _RUN.split(prose)), default=0) > RUN_ON_WORDS:
        caps.append((30.0, f"a run of more than {RUN_ON_WORDS} words without sentence punctuation"))
    known = frozenset(w.lower() for w in known_words)
    checked = [p for t in tokens for p in t.split("-") if _checked(p)]
    unknown = [t for t in checked if not is_english_word(t, known)]
    if len(checked) >= 3 and unknown:
        share = len(unknown) / len(checked)
        caps.append((_ramp(-share, -NOT_WORDS_HIGH, -NOT_WORDS_ZERO),
                     f"{share:.0%} of words are not English ({', '.join(unknown[:6])})"))
    if len(words) >= 8:
        share = sum(w in FUNCTION_WORDS for w in words) / len(words)
        if share < FUNCTION_LOW:
            caps.append((_ramp(share, FUNCTION_LOW, FUNCTION_LOW_ZERO), f"only {share:.0%} function words"))
        elif share > FUNCTION_HIGH:
            caps.append((_ramp(-share, -FUNCTION_HIGH, -FUNCTION_HIGH_ZERO), f"{share:.0%} function words"))
    violations = order_violations(prose)
    if words and len(violations) > 1:
        per_word = (len(violations) - 1) / len(words)  # one is forgiven: the rules have rare exceptions
        caps.append((_ramp(-per_word, -VIOLATIONS_HIGH, -VIOLATIONS_ZERO),
                     f"{len(violations)} word-order violation(s) ({', '.join(repr(v) for v in violations[:4])})"))
    caps = [c for c in caps if c[0] < 100.0]
    if not caps:
        return 100.0, "no coherence problem detected"
    caps.sort(key=lambda c: c[0])
    return caps[0][0], "; ".join(note for _, note in caps)
