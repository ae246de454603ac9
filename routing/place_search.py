"""Search and reverse look-up over a :class:`~routing.gazetteer.Gazetteer`, index built once.

Search is insensitive to case, umlauts and ß (``"meissen bahnhof"`` finds "Meißen, Bahnhof",
``"Krogis"`` finds "Krögis", ``"Strasse"`` finds "Straße"), word order free, tolerant of typos
(one wrong letter in words of 4-7 letters, two in longer ones; RapidFuzz's Levenshtein distance
over the vocabulary), and matches prefixes while typing. Every word asked for must match a word
of the place's name, label or category words; places that match all of them come first, then by
how well they match, the kind and size of the place, and (when a position is given) distance.

Reverse: the nearest address (within :data:`ADDRESS_RADIUS_M`), else the nearest named street
(within :data:`STREET_RADIUS_M`) with its settlement, else the nearest settlement (within
:data:`SETTLEMENT_RADIUS_M`).
"""

from __future__ import annotations

import bisect
import math
import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy.spatial import cKDTree

from routing.gazetteer import SETTLEMENT_RADIUS_M, Gazetteer, GazetteerEntry

ADDRESS_RADIUS_M = 60.0
STREET_RADIUS_M = 150.0
#: how much each kind ranks up among equal text matches
KIND_BONUS = {"settlement": 0.05, "stop": 0.045, "poi": 0.04, "street": 0.02, "address": 0.0}
#: weight of a match in a place's label only (its name and category words weigh 1)
CONTEXT_WEIGHT = 0.85
MAX_QUERY_WORDS = 8
_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower case without accents; ß -> ss, æ -> ae: the form names are compared in."""
    text = text.casefold().replace("ß", "ss").replace("æ", "ae").replace("ø", "o")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text`` (letters and digits; punctuation separates)."""
    return _WORD.findall(fold(text))


@dataclass(frozen=True)
class Found:
    """A search or reverse hit: the entry, its score and its distance from the asked point (m)."""

    entry: GazetteerEntry
    score: float
    distance_m: float | None = None
    #: every word asked for matched (else only some did)
    complete: bool = True


class _Projection:
    def __init__(self, lat0: float, lon0: float):
        self.kx = math.radians(1.0) * 6_371_008.8 * math.cos(math.radians(lat0))
        self.ky = math.radians(1.0) * 6_371_008.8
        self.lat0, self.lon0 = lat0, lon0

    def xy(self, lat, lon) -> np.ndarray:
        lat, lon = np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
        return np.column_stack(((lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky))


class PlaceIndex:
    """The search index of a list of entries (build once; :meth:`search` is thread-safe)."""

    def __init__(self, entries: tuple[GazetteerEntry, ...] | list[GazetteerEntry],
                 projection_at: tuple[float, float] | None = None):
        self.entries = tuple(entries)
        n = len(self.entries)
        lat = np.array([e.lat for e in self.entries], dtype=np.float64)
        lon = np.array([e.lon for e in self.entries], dtype=np.float64)
        if projection_at is None:
            projection_at = (float(lat.mean()), float(lon.mean())) if n else (51.0, 10.0)
        self.projection = _Projection(*projection_at)
        self.xy = self.projection.xy(lat, lon) if n else np.zeros((0, 2))
        self.static_bonus = np.array([KIND_BONUS.get(e.kind, 0.0) + 0.01 * e.rank for e in self.entries])
        self.folded_names = [" ".join(words(e.name)) for e in self.entries]
        postings: dict[str, dict[int, float]] = {}
        for i, e in enumerate(self.entries):
            for w in words(e.label):
                postings.setdefault(w, {}).setdefault(i, CONTEXT_WEIGHT)
            for w in words(e.name) + words(e.words):
                postings.setdefault(w, {})[i] = 1.0
        self.vocab = sorted(postings)
        self.post_ids = [np.fromiter(postings[w].keys(), dtype=np.int64, count=len(postings[w])) for w in self.vocab]
        self.post_weight = [np.fromiter(postings[w].values(), dtype=np.float64, count=len(postings[w]))
                            for w in self.vocab]
        self.vocab_index = {w: k for k, w in enumerate(self.vocab)}
        self._prefixes: dict[int, tuple[list[str], list[list[int]]]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    # ------------------------------------------------------------------ word matching
    def _truncated(self, length: int) -> tuple[list[str], list[list[int]]]:
        """The vocabulary's words longer than ``length`` cut to it (deduplicated), with the words
        each cut stands for: for typos in a word still being typed."""
        got = self._prefixes.get(length)
        if got is None:
            by_cut: dict[str, list[int]] = {}
            for k, w in enumerate(self.vocab):
                if len(w) > length:
                    by_cut.setdefault(w[:length], []).append(k)
            got = (list(by_cut), list(by_cut.values()))
            self._prefixes[length] = got
        return got

    def word_matches(self, word: str, typing: bool) -> dict[int, float]:
        """Vocabulary word index -> how well ``word`` matches it (1 exact ... 0.55); ``typing``:
        the last word of the query, which may be the start of a longer word."""
        found: dict[int, float] = {}
        exact = self.vocab_index.get(word)
        if exact is not None:
            found[exact] = 1.0
        numeric = word.isdigit()
        if typing or len(word) >= 3:
            lo = bisect.bisect_left(self.vocab, word)
            hi = bisect.bisect_left(self.vocab, word + "\uffff", lo)
            for k in range(lo, min(hi, lo + 4000)):
                if k != exact:
                    found[k] = max(found.get(k, 0.0), 0.8 + 0.12 * len(word) / len(self.vocab[k]))
        if numeric or len(word) < 4 or not self.vocab:
            return found
        max_edits = 1 if len(word) <= 7 else 2
        for _, dist, k in process.extract(word, self.vocab, scorer=Levenshtein.distance, score_cutoff=max_edits,
                                          limit=None):
            if dist > 0 and not self.vocab[k].isdigit():
                found[k] = max(found.get(k, 0.0), 0.78 if dist == 1 else 0.62)
        if typing and len(word) >= 5:
            cuts, owners = self._truncated(len(word))
            for _, dist, c in process.extract(word, cuts, scorer=Levenshtein.distance, score_cutoff=max_edits,
                                              limit=None):
                if dist > 0:
                    for k in owners[c]:
                        found[k] = max(found.get(k, 0.0), 0.7 if dist == 1 else 0.55)
        return found

    # ------------------------------------------------------------------ search
    def search(self, query: str, limit: int = 10, lat: float | None = None, lon: float | None = None) -> list[Found]:
        qwords = list(dict.fromkeys(words(query)))[:MAX_QUERY_WORDS]
        n = len(self.entries)
        if not qwords or n == 0 or limit <= 0:
            return []
        typing = not query.rstrip().endswith((" ", ",", "."))  # the last word may be incomplete
        total = np.zeros(n)
        matched = np.zeros(n, dtype=np.int64)
        for position, w in enumerate(qwords):
            hits = self.word_matches(w, typing and position == len(qwords) - 1)
            if not hits:
                continue
            best = np.zeros(n)
            keys = list(hits)
            ids = np.concatenate([self.post_ids[k] for k in keys])
            scores = np.concatenate([hits[k] * self.post_weight[k] for k in keys])
            np.maximum.at(best, ids, scores)
            total += best
            matched += best > 0
        most = int(matched.max())
        if most == 0:
            return []
        candidates = np.flatnonzero(matched == most)
        score = total[candidates] / len(qwords) + self.static_bonus[candidates]
        if most < len(qwords):
            score -= 0.3 * (len(qwords) - most) / len(qwords)
        whole = " ".join(qwords)
        for j, i in enumerate(candidates):
            name = self.folded_names[i]
            if name == whole:
                score[j] += 0.15
            elif name.startswith(whole):
                score[j] += 0.05
        distance = None
        if lat is not None and lon is not None:
            here = self.projection.xy([lat], [lon])[0]
            distance = np.hypot(*(self.xy[candidates] - here).T)
            score = score + 0.15 * np.exp(-distance / 8000.0)
        order = np.lexsort((candidates, -score))[:limit]
        return [Found(self.entries[candidates[j]], float(score[j]),
                      None if distance is None else float(distance[j]), most == len(qwords)) for j in order]


class Reverse:
    """Nearest address, else street with settlement, else settlement, of a point."""

    def __init__(self, gazetteer: Gazetteer):
        entries = gazetteer.entries
        lat = [e.lat for e in entries] or [51.0]
        lon = [e.lon for e in entries] or [10.0]
        self.projection = _Projection(float(np.mean(lat)), float(np.mean(lon)))
        self.entries = entries
        self._trees: dict[str, tuple[cKDTree, np.ndarray] | None] = {}
        for kind in ("address", "settlement"):
            ids = np.array([i for i, e in enumerate(entries) if e.kind == kind], dtype=np.int64)
            self._trees[kind] = None if not len(ids) else (cKDTree(self.projection.xy(
                [entries[i].lat for i in ids], [entries[i].lon for i in ids])), ids)
        if len(gazetteer.street_entry):
            self._trees["street"] = (cKDTree(self.projection.xy(gazetteer.street_lat, gazetteer.street_lon)),
                                     gazetteer.street_entry)
        else:
            self._trees["street"] = None

    def _nearest(self, kind: str, xy: np.ndarray, radius: float) -> tuple[int, float] | None:
        tree = self._trees.get(kind)
        if tree is None:
            return None
        d, k = tree[0].query(xy, distance_upper_bound=radius)
        return None if not np.isfinite(d) else (int(tree[1][k]), float(d))

    def nearest(self, lat: float, lon: float) -> Found | None:
        xy = self.projection.xy([lat], [lon])[0]
        for kind, radius in (("address", ADDRESS_RADIUS_M), ("street", STREET_RADIUS_M),
                             ("settlement", SETTLEMENT_RADIUS_M)):
            hit = self._nearest(kind, xy, radius)
            if hit is not None:
                return Found(self.entries[hit[0]], 1.0, hit[1])
        return None
