"""Builds a news corpus of any size (10 GB and more) for the scale measurements of benches/scale.

Real text from ../shared/data (BBC News, Reuters-21578, the AG News sample), reprinted the way a
crowd of outlets would reprint it, written as zstd-compressed JSONL shards outside the repository
(the data may not be committed). See README.md beside this file for what a corpus holds.

    python3 make_corpus.py OUT_DIR --gb 10 [--seed 1] [--shard-mb 256]

Writes OUT_DIR/news-00000.jsonl.zst, news-00001.jsonl.zst, ... (each about --shard-mb MB before
compression), one JSON object per line: {"id", "source", "text"}; then OUT_DIR/manifest.json
(parameters and composition; written last, so a corpus without it is incomplete).

The stream is a mix of originals and reprints:
- originals: the real stories (each published once, by its own outlet, spread over the corpus) and
  "new" stories spliced from them: sentences of 3-4 stories of the same desk taken in turn, two
  or three to a paragraph, each rewritten afresh on every use (names, places, numbers, days,
  months and common words drawn again; a sentence poor in those is instead cut at a comma or
  conjunction in its first half and finished by the second half of another), so that no
  paragraph is a near copy of another;
- reprints: an earlier story taken up by another outlet, graded 0-3: 0 verbatim; 1 house style
  (UK/US spelling, "said Wednesday" / "said on Wednesday", straight/curly quotes, dateline);
  2 also a word or two swapped for a synonym, last paragraphs cut, the outlet's own paragraph;
  3 also a middle paragraph dropped and two paragraphs swapped. Most come within a few thousand
  documents of the original; some (--far-share) are taken from anywhere earlier in the corpus.
Every document is wrapped in its outlet's boilerplate (navigation, bylines, photo captions said
twice, "Advertisement", "Related: ...", newsletter prompts, share buttons, wire credits,
copyright lines); some are damaged (mojibake, HTML entities, NBSP, stray control characters); a
few carry an alias of an armed group ("ISIS", "ISIL", "Islamic State", "al-Nusra"...), each outlet
with its own house form.

Deterministic: one random.Random(seed) drives everything, in a fixed order; no set or dict order
that depends on hash randomization is ever drawn from. The same --gb, --seed, --shard-mb and
--unique-share give byte-identical shards.
"""
import argparse
import gc
import glob
import html
import json
from itertools import chain
import math
import os
import random
import re
import shutil
import subprocess
import sys
import time

GENERATOR_VERSION = 3  # bump when the output for given arguments changes

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
MONTH_ABBR = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov",
              "Dec"]

# UK -> US spellings (and the reverse for UK outlets reprinting US copy).
SPELLING = [
    ("defence", "defense"), ("Defence", "Defense"), ("organisation", "organization"),
    ("programme", "program"), ("labour", "labor"), ("centre", "center"), ("favour", "favor"),
    ("criticise", "criticize"), ("recognise", "recognize"), ("per cent", "percent"),
]
# Words an editor swaps for a synonym (both directions are used).
SYNONYMS = [
    ("said", "stated"), ("rose", "climbed"), ("fell", "dropped"), ("company", "firm"),
    ("increase", "rise"), ("big", "large"), ("expected", "forecast"), ("shares", "stock"),
    ("profits", "earnings"), ("government", "administration"), ("talks", "negotiations"),
    ("plans", "proposals"), ("help", "assist"), ("began", "started"), ("buy", "purchase"),
    ("cut", "reduce"), ("about", "around"), ("more than", "over"), ("announced", "unveiled"),
    ("showed", "indicated"), ("warned", "cautioned"), ("quickly", "rapidly"), ("chief", "head"),
    ("biggest", "largest"), ("agreed", "consented"), ("claimed", "alleged"), ("need", "require"),
    ("start", "begin"), ("end", "finish"), ("try", "attempt"), ("record", "all-time"),
    ("sales", "revenue"), ("firms", "companies"), ("strong", "robust"), ("weak", "soft"),
    ("also", "additionally"), ("however", "though"), ("earlier", "previously"),
    ("says", "said"), ("told", "informed"), ("report", "study"), ("official", "spokesman"),
    ("world", "global"), ("country", "nation"), ("people", "persons"), ("money", "funds"),
    ("market", "sector"), ("major", "leading"), ("new", "fresh"), ("rules", "regulations"),
]
# What house style and copy edits look for: trigger word -> (text to find, replacement).
TO_US = {("cent" if uk == "per cent" else uk): (uk, us) for uk, us in SPELLING}
TO_UK = {us: (us, uk) for uk, us in SPELLING}
SYN_OF = {}
for _a, _b in SYNONYMS:
    SYN_OF.setdefault(_a, []).append(_b)
    SYN_OF.setdefault(_b, []).append(_a)
STYLE_WORDS = set(TO_US) | set(TO_UK) | set(DAYS) | {w for w in SYN_OF if " " not in w}
WORD = re.compile(r"[A-Za-z]+")


def features(text):
    """The style words of a text (see STYLE_WORDS), so that rendering a copy does not scan for
    each possible edit."""
    return STYLE_WORDS.intersection(WORD.findall(text))


# Common capitalised words that are not names.
NOT_NAMES = set("""The A An In On At Of For To From By With And But Or If As It Its It's He She
They We I You His Her Their Our This That These Those There Here When Where What Who Why How Mr
Mrs Ms Dr Sir Lord Lady St New Old North South East West Central Northern Southern Eastern
Western United National International Royal Government Minister President Prime Chancellor
Secretary Party Labour Tory Tories Conservative Conservatives Liberal Democrats Democrat
Republican Congress Parliament Commons Senate House Court Office Bank Group Inc Corp Co Ltd Plc
PLC Company Association Union Council Committee Department Ministry Board Federal State States
Street Exchange Commission Securities January February March April May June July August
September October November December Monday Tuesday Wednesday Thursday Friday Saturday Sunday
Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Reuter Reuters BBC US UK EU UN""".split())
TITLE_WORDS = {"Mr", "Mrs", "Ms", "Dr", "Sir", "Lord", "President", "Chancellor", "Chairman",
               "chairman", "Governor", "Senator", "Minister", "minister", "coach", "boss",
               "manager", "director", "executive", "spokesman", "spokeswoman", "analyst", "Judge"}
CONJUNCTIONS = {"and", "but", "which", "who", "while", "after", "because", "when", "although",
                "though", "whereas", "before", "since", "until", "where", "if", "as", "so"}
PLACE_CUES = {"in", "from", "to", "at", "near", "across", "outside"}

# Alias variants: each outlet writes one house form per entity.
ENTITIES = [
    ("Islamic State", ["Islamic State", "ISIS", "ISIL", "Islamic State group", "Daesh", "IS",
                       "Islamic State of Iraq and the Levant", "Isis"]),
    ("Nusra Front", ["Nusra Front", "al-Nusra Front", "al-Nusra", "Jabhat al-Nusra",
                     "Nusra", "Jabhat Fateh al-Sham"]),
    ("al-Qaeda", ["al-Qaeda", "al-Qaida", "al Qaeda", "Al Qaeda"]),
    ("Deir ez-Zor", ["Deir ez-Zor", "Deir al-Zor", "Deir el-Zour", "Deir Ezzor"]),
    ("Aleppo", ["Aleppo", "Aleppo", "Halab"]),
]
ALIAS_SENTENCES = [
    "Officials said {E} militants had been seen near the border in recent weeks.",
    "The attack was later claimed by {E} fighters, according to a statement circulated online.",
    "Analysts said the advance of {E} militants had weighed on sentiment across the region.",
    "Security sources said {E} fighters had targeted oil facilities in the past.",
    "Diplomats said the talks would also cover the threat posed by {E} militants.",
    "A monitoring group said {E} fighters withdrew from two villages overnight.",
    "Western governments have accused {E} militants of smuggling crude across the frontier.",
]
PLACE_ALIAS_SENTENCES = [
    "Fighting was also reported around {E}, where aid convoys have been held up.",
    "Residents of {E} said prices of bread and fuel had doubled since the summer.",
]

OUTLET_NAMES = [
    "Daily Courier", "Morning Ledger", "Harbour Times", "Capital Dispatch", "Valley Gazette",
    "Metro Wire", "Evening Sentinel", "The Lantern", "Coastal Record", "Market Street Journal",
    "Northern Post", "Riverside Herald", "The Observer Online", "Global Desk", "Newswatch 24",
    "The Chronicle", "Business Daily", "Plains Tribune", "City Press", "The Inquirer Online",
    "Midland Express", "Union Register", "The Beacon", "World Briefing", "Tech Weekly",
    "Sports Extra", "Pacific Standard-Bearer", "The Citizen", "Atlantic Mail", "Frontline News",
    "Highland Voice", "The Clarion", "Daily Monitor", "News Aggregator", "Wire Review",
    "Eastern Star", "The Examiner", "Bayside Bulletin",
]
AGENCIES = ["Reuters", "AFP", "AP", "EPA", "Getty Images", "Anadolu Agency", "Shutterstock"]
SECTIONS = ["World", "Business", "Politics", "Sport", "Technology", "Entertainment", "Markets",
            "Economy", "UK", "US", "Europe", "Middle East", "Science"]
NEWSLETTERS = [
    "Sign up for our daily newsletter", "Sign up for our weekly newsletter",
    "Sign up to our morning briefing", "Subscribe to our newsletter for the latest headlines",
    "Get the latest news delivered to your inbox", "Enter your email to get our top stories",
]
FOOT_PICKS = [
    "Share this article", "Share", "Tweet", "Email", "Print", "Exit mobile version",
    "Source link", "Leave a comment", "Most Read", "Trending Now", "Back to top",
    "You may also like", "Recommended for you", "Comments", "Topics", "Read more",
]
OWN_PARAGRAPHS = [
    "{O} has contacted {N} for comment and will update this story.",
    "Readers can follow the latest developments on the {O} live page throughout the day.",
    "{O} understands that further announcements are expected later this week.",
    "Analysts polled by {O} had expected a similar outcome, though several warned of risks ahead.",
    "A spokesperson for {N} declined to comment when approached by {O} on {D}.",
    "This is a developing story and {O} will bring you more details as they become available.",
    "In a note to clients seen by {O}, one broker described the move as a turning point.",
    "{O} first reported the plans in {M}, citing people familiar with the matter.",
]
FIRST_NAMES = """James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William
Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony
Betty Mark Sandra Paul Ashley Steven Emily Andrew Donna Kenneth Michelle Joshua Carol Kevin Amanda
Brian Melissa George Deborah Timothy Stephanie Ahmed Fatima Mohammed Aisha Wei Li Hiroshi Yuki
Olga Ivan Pierre Claire Hans Anna Luis Sofia Raj Priya Kwame Ama Tomas Eva Sean Niamh""".split()
CAPTION_ROLES = ["pictured", "speaking to reporters", "arriving for talks", "at a news conference",
                 "during a visit", "leaving the court", "celebrating", "at the launch"]
CONTROL_CHARS = ["\x0b", "\x0c", "\x1a", "\x07", "\x1b", "\u200b", "\ufeff", "\x00"]

SENT_SPLIT = re.compile(r"""(?<=[.!?])(?:["'”’])?\s+(?=["“‘]?[A-Z0-9])""")
ABBREV_END = re.compile(r"(?:\b(?:[A-Z]\.){1,3}|\b(?:Mr|Mrs|Ms|Dr|St|Co|Corp|Inc|Ltd|No|Gov|Sen|"
                        r"Rep|Gen|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|vs|Prof)\.)$")
STRIP = "\"'“”‘’()[],.;:!?"
NUMBER = re.compile(r"^\d[\d,.]*\d$|^\d$")
SAID_VERBS = ["said ", "says ", "told reporters ", "announced "]

# UTF-8 bytes read as windows-1252 (the browsers' mapping: undefined bytes stay C1 controls).
CP1252_C1 = {0x80 + i: ord(c) for i, c in enumerate(
    bytes(range(0x80, 0xA0)).decode("cp1252", errors="replace")) if c != "\ufffd"}


def mojibake(text):
    return text.encode("utf-8").decode("latin-1").translate(CP1252_C1)


# ---------------------------------------------------------------------------- loading

def load_stories(data):
    """Real stories as (origin, desk, title, dateline, paragraphs, wrapped paragraphs or None)."""
    out = []
    bbc = os.path.join(data, "bbc-news-fulltext", "bbc")
    for path in sorted(glob.glob(os.path.join(bbc, "*", "*.txt"))):
        raw = open(path, "rb").read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        lines = [l.strip() for l in text.replace("\r", "").split("\n")]
        title = lines[0]
        paras = [l for l in lines[1:] if l]
        if paras:
            out.append(("BBC News", "bbc:" + os.path.basename(os.path.dirname(path)), title, "",
                        paras, None))
    for path in sorted(glob.glob(os.path.join(data, "reuters-21578", "json-data", "*.json"))):
        with open(path, "rb") as f:
            docs = json.loads(f.read().decode("utf-8", "replace"))
        for d in docs:
            body = d.get("body") or ""
            body = re.sub(r"\s*(Reuter|REUTER|reuter)[^\n]*\n?(&#3;)?\s*$", "", body)
            body = html.unescape(body.replace("&#3;", "")).replace("\x03", "")
            if len(body) < 80:
                continue
            wrapped = [p.strip("\n ") for p in body.split("\n    ") if p.strip()]
            paras = [" ".join(p.split()) for p in wrapped]
            topic = d["topics"][0] if d.get("topics") else "general"
            title = html.unescape(d.get("title") or "").strip() or paras[0][:60]
            dateline = " ".join((d.get("dateline") or "").split())
            out.append(("Reuters", "reuters:" + topic, title, dateline, paras, wrapped))
    ag = os.path.join(data, "ag-news-sample")
    cls = ["World", "Sports", "Business", "SciTech"]
    for name in ("train.csv", "test.csv"):
        path = os.path.join(ag, name)
        if not os.path.exists(path):
            continue
        import csv
        with open(path, encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.reader(f):
                if len(row) == 3 and row[2].strip():
                    m = re.match(r"^([A-Za-z.]+) - ", row[2])
                    origin = {"AP": "AP", "AFP": "AFP", "Reuters": "Reuters"}.get(
                        m.group(1) if m else "", "AP")
                    out.append((origin, "ag:" + cls[int(row[0]) - 1],
                                row[1].strip(), "",
                                [" ".join(row[2].replace("\\", " ").split())], None))
    return out


class Sentence:
    __slots__ = ("words", "subs", "cuts", "tmpl", "pools", "splice", "feats", "heads", "tails")


DIGIT_TO_9 = str.maketrans("0123456789", "9999999999")


def split_sentences(p):
    pieces = SENT_SPLIT.split(p)
    if len(pieces) == 1:
        return pieces
    merged = [pieces[0]]
    for s in pieces[1:]:
        if ABBREV_END.search(merged[-1]):
            merged[-1] += " " + s
        else:
            merged.append(s)
    return merged


def name_like(w):
    return len(w) > 2 and w[0].isupper() and w.isalpha() and w[1:].islower() and w not in NOT_NAMES


def analyse(stories):
    """Splits every paragraph into sentences and notes, per sentence, which words may be
    substituted (and from which pool) and where it may be cut. Returns the sentences of each
    story, grouped by desk."""
    # Pass 1: sentences as word lists; the words after a title ("Mr", "President") are the
    # surname pool, capitalised words after "in", "from"... the place pool.
    split = []
    vocab = set()
    surnames, places, caps = {}, {}, {}
    titles, cues = TITLE_WORDS, PLACE_CUES
    for st in stories:
        if st[1].startswith("ag:"):
            split.append(None)
            continue
        sents = []
        for p in st[4]:
            for sent in split_sentences(p):
                words = sent.split()
                if words:
                    sents.append(words)
                    vocab.update(words)
                    for b in [b for a, b in zip(words, words[1:]) if a in titles]:
                        b = b.strip(STRIP)
                        surnames[b] = surnames.get(b, 0) + 1
                    for b in [b for a, b in zip(words, words[1:]) if a in cues]:
                        places[b] = places.get(b, 0) + 1
                    for b in [b for b in words[1:] if b[0].isupper()]:
                        caps[b] = caps.get(b, 0) + 1
        split.append(sents)
    surname_list = sorted(k for k, v in surnames.items() if v >= 2 and name_like(k))
    surname_set = set(surname_list)
    place_list = sorted(k for k, v in places.items()
                        if v >= 3 and k not in surname_set and name_like(k))
    place_set = set(place_list)
    # Other capitalised words inside sentences (people, firms, teams, places without a cue).
    names = {}
    for k, v in caps.items():
        k = k.strip(STRIP)
        names[k] = names.get(k, 0) + v
    name_list = sorted(k for k, v in names.items()
                       if v >= 2 and k not in place_set and name_like(k)
                       and k not in DAYS and k not in MONTHS)
    vocab = sorted(vocab)
    cores = [w.strip(STRIP) for w in vocab]
    numbers = sorted({c for c in cores if c[:1].isdigit() and NUMBER.match(c)})
    by_shape = {}
    for n in numbers:
        by_shape.setdefault(n.translate(DIGIT_TO_9), []).append(n)
    pools = {}  # core word -> pool of replacements
    for n in numbers:
        p = by_shape[n.translate(DIGIT_TO_9)]
        if len(p) >= 3:
            pools[n] = p
    for w in name_list:
        pools[w] = name_list
    for w in place_list:
        pools[w] = place_list
    for a, b in SYNONYMS:
        if " " not in a and " " not in b:
            pools.setdefault(a, [a]).append(b)  # the word itself stays possible
            pools.setdefault(b, [b]).append(a)
    for w in DAYS:
        pools[w] = DAYS
    for w in MONTHS:
        pools[w] = MONTHS
    style_tok = {w: core for w, core in zip(vocab, cores) if core in STYLE_WORDS}
    token_sub = {}  # token (with its punctuation) -> (prefix, suffix, pool)
    for w, core in zip(vocab, cores):
        pool = pools.get(core) if core else None
        if pool is not None:
            a = w.find(core)
            token_sub[w] = (w[:a], w[a + len(core):], pool)

    # Pass 2: per sentence, the substitutions and the cut points.
    counts = {}
    for st in stories:
        counts[st[1]] = counts.get(st[1], 0) + 1
    desks = {}
    weak = 0
    total = 0
    for st, sents in zip(stories, split):
        if sents is None:
            continue
        desk = st[1] if counts[st[1]] >= 100 else "reuters:general"
        story_sents = []
        for words in sents:
            n = len(words)
            subs = [(i,) + token_sub[w] for i, w in enumerate(words) if w in token_sub]
            s = Sentence()
            s.words = words
            s.subs = subs
            s.feats = [style_tok[w] for w in words if w in style_tok]
            total += 1
            # Where it may be cut: after a comma, or before a conjunction ("and", "which"...);
            # a spliced sentence is at most half of each of its two sources.
            bounds = sorted(set([i + 1 for i in range(n - 1) if words[i][-1] == ","] +
                                [i for i in range(1, n) if words[i] in CONJUNCTIONS]))
            heads = [b for b in bounds if 3 <= b <= n // 2]
            s.cuts = tails = [b for b in bounds if b >= n // 2 and n - b >= 4]
            # Expected words changed per use: a name, place, number, day or month almost
            # always changes; a common word half the time (it may draw itself). Below one word
            # in four (half of the word pairs: two rewrites of it then share about a quarter),
            # the sentence is also cut in its first half and finished by the tail of another;
            # with no place to cut it, it is never used.
            changes = sum(1.0 if len(sub[3]) > 2 else 0.5 for sub in subs)
            s.splice = changes < n / 4.0
            if s.splice and not heads:
                weak += 1
                continue
            esc = [w.replace("%", "%%") for w in words]
            for i, pre, suf, pool in subs:
                esc[i] = pre.replace("%", "%%") + "%s" + suf.replace("%", "%%")
            s.tmpl = " ".join(esc)
            s.pools = [sub[3] for sub in subs]
            # Splicing, precomputed: for each cut, the template and pools of the words before
            # it (the head, when this sentence is spliced) and from it on (the tail, when it
            # finishes another).
            s.heads = [(" ".join(esc[:b]), tuple((sub[3], len(sub[3])) for sub in subs
                                                 if sub[0] < b)) for b in heads]
            s.tails = [(" ".join(esc[b:]), tuple((sub[3], len(sub[3])) for sub in subs
                                                 if sub[0] >= b)) for b in tails]
            # What new_story reads, as a tuple: template, (pool, size) pairs, the sentence
            # itself when it must be spliced, style words.
            story_sents.append((s.tmpl, tuple((p, len(p)) for p in s.pools),
                                s.heads if s.splice else None, s.feats, s))
        if len(story_sents) >= 2:
            desks.setdefault(desk, []).append((st[2], st[3], story_sents))
    return desks, surname_list or name_list, place_list, weak, total


# ---------------------------------------------------------------------------- outlets

class Outlet:
    __slots__ = ("name", "slug", "us", "curly", "said_on", "sep", "dateline", "header", "caption",
                 "ad_after", "related", "footer", "newsletter", "wire_credit", "copyright",
                 "forms", "own", "reporters", "n")


def make_outlets(rng):
    outs = []
    specials = [("BBC News", False, False, True), ("Reuters", True, False, False),
                ("AP", True, False, False), ("AFP", True, False, False)]
    allnames = [(n, None, None, None) for n in OUTLET_NAMES]
    for name, us, curly, said_on in specials + allnames:
        o = Outlet()
        o.name = name
        o.slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        o.us = us if us is not None else rng.random() < 0.5
        o.curly = curly if curly is not None else rng.random() < 0.45
        o.said_on = said_on if said_on is not None else not o.us or rng.random() < 0.2
        wire = name in ("Reuters", "AP", "AFP")
        o.sep = "\n" if (not wire and rng.random() < 0.3) else "\n\n"
        o.dateline = wire or rng.random() < 0.4
        head = []
        if not wire and name != "BBC News":
            head = rng.sample(["Skip to content", "Menu", "Search", "Home", "Subscribe",
                               "Log in", "Newsletters", "Latest News"], rng.randint(0, 3))
        o.header = head
        o.caption = None if wire else rng.choice([None, "getty", "photo", "credit"])
        o.ad_after = 0 if wire else rng.choice([0, 0, 2, 3, 4])
        o.related = not wire and rng.random() < 0.5
        o.footer = [] if wire else rng.sample(FOOT_PICKS, rng.randint(1, 4))
        o.newsletter = None if wire else rng.choice([None] + NEWSLETTERS)
        o.wire_credit = wire or rng.random() < 0.3
        o.copyright = (not wire) and rng.random() < 0.5
        o.forms = [rng.choice(forms) for _, forms in ENTITIES]
        o.own = rng.sample(OWN_PARAGRAPHS, 3)
        o.reporters = [rng.choice(FIRST_NAMES) for _ in range(6)]
        o.n = 0
        outs.append(o)
    return outs


# ---------------------------------------------------------------------------- generator

class Generator:
    def __init__(self, data, seed, unique_share, far_share, target_bytes):
        t0 = time.time()
        rng = self.rng = random.Random(seed)
        base = load_stories(data)
        self.desks, self.surnames, self.places, weak, total = analyse(base)
        self.desk_names = sorted(self.desks)
        # The tails that can finish a spliced sentence, per desk (see analyse).
        self.tails = {d: [tail for st in self.desks[d] for t in st[2] for tail in t[4].tails]
                      for d in self.desk_names}
        # The desk of a new story, in proportion to its usable sentences, so that every
        # sentence is reused about as often; BBC's twice (its prose makes longer stories than
        # Reuters' figures). Reuters' small topics are pooled into reuters:general by analyse.
        w = [sum(len(st[2]) for st in self.desks[d]) * (2.0 if d.startswith("bbc:") else 1.0)
             for d in self.desk_names]
        tot = sum(w)
        acc, self.desk_cum = 0.0, []
        for x in w:
            acc += x / tot
            self.desk_cum.append(acc)
        self.outlets = make_outlets(rng)
        self.by_name = {o.name: o for o in self.outlets}
        self.free = [o for o in self.outlets if o.name not in ("BBC News", "Reuters", "AP", "AFP")]
        # The real stories in a fixed shuffled order; each is published once as an original.
        self.base = [(("b%05d" % i), st[1], st[2], st[3], tuple(st[4]),
                      tuple(st[5]) if st[5] else None, None, st[0], None)
                     for i, st in enumerate(base)]
        rng.shuffle(self.base)
        self.base_titles = [b[2] for b in self.base]
        self.unique_share = unique_share
        self.far_share = far_share
        self.target = target_bytes
        self.pending = []  # [story, reprints left]
        self.feats_cache = {}
        self.reservoir = []  # stories from anywhere earlier, for far reprints
        self.seen_stories = 0
        self.n_new = 0
        self.stats = {"documents": 0, "originals_real": 0, "originals_new": 0,
                      "reprints": [0, 0, 0, 0], "far_reprints": 0, "mojibake": 0,
                      "entities": 0, "nbsp": 0, "controls": 0, "aliases": 0}
        self.load_seconds = time.time() - t0
        self.sentences_total = total
        self.sentences_weak = weak
        # Mean reprints per original so that originals make up unique_share of documents,
        # drawn as 0 with p0 or 1 + a rounded exponential (a long tail of widely copied stories).
        self.p0 = 0.45
        m = (1.0 - unique_share) / unique_share * 1.1
        self.tail_mean = max(0.05, m / (1.0 - self.p0) - 1.0)

    # -- new stories

    def pick_desk(self):
        r = self.rng.random()
        for name, c in zip(self.desk_names, self.desk_cum):
            if r <= c:
                return name
        return self.desk_names[-1]

    def new_story(self):
        rng = self.rng
        rnd = rng.random
        desk = self.pick_desk()
        pool = self.desks[desk]
        npool = len(pool)
        bbc = desk.startswith("bbc:")
        n_paras = (8 + int(rnd() * 10)) if bbc else (4 + int(rnd() * 8))
        sizes = [2 if rnd() < 0.5 else 3 for _ in range(n_paras)]
        need = sum(sizes)
        # Sentences of 3-4 stories in turn (A1 B1 C1 A2 B2 C2 ...), so that two sentences of
        # one paragraph never come from the same story; more stories when the first run out.
        seq = []
        first = None
        while len(seq) < need:
            k = 3 if rnd() < 0.6 else 4
            srcs = [pool[int(rnd() * npool)] for _ in range(k)]
            if first is None:
                first = srcs[0]
            seq.extend(chain.from_iterable(zip(*[src[2] for src in srcs])))
        del seq[need:]
        # The whole body is one %-template: the sentences' templates (a spliced sentence's
        # head and tail chosen now), paragraphs joined by blank lines, and the pools of all
        # their %s in order; one % fills it (per-sentence formatting cost twice as much).
        tails = self.tails[desk]
        ntails = len(tails)
        bits = rng.getrandbits  # bits(32) % n: an index, faster than int(rnd() * n)
        tmpls = []
        pools = []
        for tmpl, pl, heads, _, _ in seq:
            if heads is None:
                tmpls.append(tmpl)
                pools.append(pl)
            else:
                ht, hpl = heads[bits(32) % len(heads)]
                tt, tpl = tails[bits(32) % ntails]
                tmpls.append(ht + " " + tt)
                pools.append(hpl)
                pools.append(tpl)
        body = []
        i = 0
        for n in sizes:
            body.append(" ".join(tmpls[i:i + n]))
            i += n
        paras = ("\n\n".join(body) % tuple(
            [p[bits(32) % n] for p, n in chain.from_iterable(pools)])).split("\n\n")
        feats = set().union(*[t[3] for t in seq])
        # The headline: the first half of the lead story's, the second half of another's.
        other = pool[int(rnd() * npool)][0]
        a = (first[0].title() if first[0].isupper() else first[0]).split()
        b = (other.title() if other.isupper() else other).split()
        title_words = a[:(len(a) + 1) // 2] + b[len(b) // 2:]
        if len(title_words) > 2 and rnd() < 0.8:
            i = int(rnd() * len(title_words))
            if title_words[i][:1].isupper():
                title_words[i] = self.places[int(rnd() * len(self.places))]
        title = " ".join(title_words)
        dateline = ""
        if not bbc:
            city = self.places[int(rnd() * len(self.places))].upper()
            dateline = "%s, %s %d -" % (city, MONTH_ABBR[int(rnd() * 12)], 1 + int(rnd() * 28))
        alias = None
        if (desk in ("bbc:politics", "reuters:crude", "reuters:general", "reuters:trade")
                or rnd() < 0.1) and rnd() < 0.12:
            e = int(rnd() * len(ENTITIES))
            tpls = PLACE_ALIAS_SENTENCES if e >= 3 else ALIAS_SENTENCES
            tpl = tpls[int(rnd() * len(tpls))]
            at = 1 + int(rnd() * (len(paras) - 1))
            alias = (at, e, tpl + " " + paras[at])
        self.n_new += 1
        return ("n%08d" % self.n_new, desk, title, dateline, tuple(paras), None, alias, None,
                feats)

    # -- rendering

    def render(self, story, outlet, level):
        rng = self.rng
        rnd = rng.random
        sid, desk, title, dateline, paras, wrapped, alias, origin, feats = story
        wire = outlet.name in ("Reuters", "AP", "AFP")
        if level == 0 and wrapped is not None and wire:
            body_paras = list(wrapped)
        else:
            body_paras = list(paras)
        if alias is not None:
            at, e, tpl = alias
            body_paras[at] = tpl.replace("{E}", outlet.forms[e])
            self.stats["aliases"] += 1
        n = len(body_paras)
        own = None
        if level >= 2:
            if n > 3:
                cut = 1 + int(rnd() * min(3, n - 3))
                del body_paras[n - cut:]
            if level == 3 and len(body_paras) > 3:
                del body_paras[1 + int(rnd() * (len(body_paras) - 2))]
                if len(body_paras) > 3:
                    body_paras[1], body_paras[2] = body_paras[2], body_paras[1]
            if rnd() < 0.6 or level == 3:
                t = outlet.own[int(rnd() * len(outlet.own))]
                own = t.replace("{O}", outlet.name).replace(
                    "{N}", self.surnames[int(rnd() * len(self.surnames))]).replace(
                    "{D}", DAYS[int(rnd() * 7)]).replace("{M}", MONTHS[int(rnd() * 12)])
        if dateline and outlet.dateline and (level < 2 or rnd() < 0.5):
            body_paras[0] = dateline + " " + body_paras[0]
        if own is not None:
            body_paras.insert(min(len(body_paras), 2 + int(rnd() * 3)), own)
        sep = outlet.sep
        body = sep.join(body_paras)
        if level >= 1:
            if feats is None:  # a real story: its style words, found on its first copy
                feats = self.feats_cache.get(sid)
                if feats is None:
                    feats = self.feats_cache[sid] = features(body)
            for w in feats:
                op = (TO_US if outlet.us else TO_UK).get(w)
                if op is not None:
                    body = body.replace(op[0], op[1])
            if not feats.isdisjoint(DAYS):
                for d in DAYS:
                    if d in body:
                        for v in SAID_VERBS:
                            if outlet.said_on:
                                body = body.replace(v + d, v + "on " + d)
                            else:
                                body = body.replace(v + "on " + d, v + d)
            if outlet.curly:
                if '"' in body:
                    parts = body.split('"')
                    out = [parts[0]]
                    for i in range(1, len(parts)):
                        out.append("“" if i & 1 else "”")
                        out.append(parts[i])
                    body = "".join(out)
                body = body.replace("'", "’")
            elif "’" in body or "“" in body:
                body = body.replace("’", "'").replace("“", '"').replace("”", '"')
            if level >= 2:
                cands = sorted(feats.intersection(SYN_OF))
                for _ in range(min(len(cands), 1 + int(rnd() * 3))):
                    a = cands[int(rnd() * len(cands))]
                    alts = SYN_OF[a]
                    body = body.replace(" " + a + " ", " " + alts[int(rnd() * len(alts))] + " ", 1)
        # Boilerplate around the body.
        top = list(outlet.header)
        if title:
            top.append(title.title() if (title.isupper() and not wire) else title)
        if not wire and rnd() < 0.5:
            top.append("By " + outlet.reporters[int(rnd() * 6)] + " " +
                       self.surnames[int(rnd() * len(self.surnames))])
        caption = None
        if outlet.caption is not None and rnd() < 0.6:
            who = self.surnames[int(rnd() * len(self.surnames))]
            ag = AGENCIES[int(rnd() * len(AGENCIES))]
            if outlet.caption == "getty":
                caption = "%s %s / %s / Getty Images" % (
                    outlet.reporters[int(rnd() * 6)], who, ag)
            elif outlet.caption == "photo":
                caption = "Photo: %s/%s %s" % (ag, outlet.reporters[int(rnd() * 6)], who)
            else:
                caption = "%s %s, %s, in %s on %s. Image credit: %s" % (
                    FIRST_NAMES[int(rnd() * len(FIRST_NAMES))], who,
                    CAPTION_ROLES[int(rnd() * len(CAPTION_ROLES))],
                    self.places[int(rnd() * len(self.places))], DAYS[int(rnd() * 7)], ag)
            top.append(caption)
        if outlet.ad_after and len(body_paras) > outlet.ad_after + 1 and outlet.sep == "\n\n":
            # "Advertisement" (and "Related: ...") between paragraphs: split after the Nth.
            parts = body.split(sep, outlet.ad_after)
            mid = ["Advertisement"]
            if outlet.related and rnd() < 0.7:
                rel = self.base_titles[int(rnd() * len(self.base_titles))]
                mid.append("Related: " + (rel.title() if rel.isupper() else rel))
            parts.insert(outlet.ad_after, sep.join(mid))
            body = sep.join(parts)
        bottom = []
        if caption is not None and rnd() < 0.5:
            bottom.append(caption)
        if outlet.wire_credit and origin in (None, "Reuters", "AP", "AFP"):
            if outlet.name == "Reuters" or (origin == "Reuters" and not wire):
                bottom.append("(Reporting by %s %s; Editing by %s %s)" % (
                    outlet.reporters[int(rnd() * 6)], self.surnames[int(rnd() * len(self.surnames))],
                    outlet.reporters[int(rnd() * 6)], self.surnames[int(rnd() * len(self.surnames))]))
            elif wire:
                bottom.append(outlet.name)
            else:
                bottom.append(("Reuters", "AP", "AFP", "Agencies")[int(rnd() * 4)])
        if outlet.name == "Reuters" and level == 0 and wrapped is not None:
            bottom.append("Reuter")
        if outlet.newsletter is not None:
            bottom.append(outlet.newsletter)
        for f in outlet.footer:
            if rnd() < 0.7:
                bottom.append(f)
        if outlet.copyright:
            bottom.append("© %d %s. All rights reserved." % (2004 + int(rnd() * 20), outlet.name))
        text = sep.join(top) + sep + body
        if bottom:
            text += sep + sep.join(bottom)
        # Damage.
        r = rnd()
        st = self.stats
        if r < 0.03:
            if r < 0.01 and not text.isascii():
                text = mojibake(text)
                if r < 0.001:
                    text = mojibake(text)  # twice through a wrong decode
                st["mojibake"] += 1
            elif r < 0.015:
                i = text.find(sep, len(text) // 3)
                if i > 0:
                    text = text[:i] + mojibake(text[i:]).replace("'", "â€™")
                    st["mojibake"] += 1
            else:
                text = text.replace("&", "&amp;").replace("’", "&#8217;").replace(
                    "“", "&#8220;").replace("”", "&#8221;").replace('"', "&quot;")
                st["entities"] += 1
        elif r < 0.07:
            text = text.replace("Mr ", "Mr\u00a0").replace(" per cent", "\u00a0per cent").replace(
                ". ", ".\u00a0 ", 3)
            st["nbsp"] += 1
        elif r < 0.08:
            for _ in range(1 + int(rnd() * 3)):
                i = int(rnd() * len(text))
                text = text[:i] + CONTROL_CHARS[int(rnd() * len(CONTROL_CHARS))] + text[i:]
            st["controls"] += 1
        return text

    # -- the stream

    def reprint_count(self):
        rnd = self.rng.random
        if rnd() < self.p0:
            return 0
        return 1 + min(60, int(-math.log(1.0 - rnd()) * (self.tail_mean + 0.5)))

    def documents(self):
        """Yields JSONL lines (str) forever."""
        rng = self.rng
        rnd = rng.random
        st = self.stats
        pending = self.pending
        reservoir = self.reservoir
        free = self.free
        n_free = len(free)
        dumps = json.encoder.encode_basestring  # json.dumps(text, ensure_ascii=False)
        base_i = 0
        n_base = len(self.base)
        doc_bytes = 0
        while True:
            docs = st["documents"]
            # Spread the real stories over the expected originals of the whole corpus.
            avg = doc_bytes / docs if docs > 1000 else 2500.0
            remaining_originals = max(1.0, (self.target - doc_bytes) / avg * self.unique_share)
            if pending and rnd() >= self.unique_share:
                if reservoir and rnd() < self.far_share:
                    story = reservoir[int(rnd() * len(reservoir))]
                    st["far_reprints"] += 1
                else:
                    k = int(rnd() * len(pending))
                    entry = pending[k]
                    story = entry[0]
                    entry[1] -= 1
                    if entry[1] <= 0:
                        pending[k] = pending[-1]
                        pending.pop()
                r = rnd()
                level = 0 if r < 0.35 else 1 if r < 0.65 else 2 if r < 0.9 else 3
                outlet = free[int(rnd() * n_free)]
                st["reprints"][level] += 1
            else:
                if base_i < n_base and rnd() < (n_base - base_i) / remaining_originals:
                    story = self.base[base_i]
                    base_i += 1
                    outlet = self.by_name[story[7]]
                    st["originals_real"] += 1
                else:
                    story = self.new_story()
                    outlet = free[int(rnd() * n_free)]
                    st["originals_new"] += 1
                level = 0
                n = self.reprint_count()
                if n and len(pending) < 20000:
                    pending.append([story, n])
                self.seen_stories += 1
                if len(reservoir) < 20000:
                    reservoir.append(story)
                else:
                    j = int(rnd() * self.seen_stories)
                    if j < 20000:
                        reservoir[j] = story
            text = self.render(story, outlet, level)
            outlet.n += 1
            line = '{"id":"%s-%d","source":"%s","text":%s}\n' % (
                outlet.slug, outlet.n, outlet.name, dumps(text))
            st["documents"] = docs + 1
            doc_bytes += len(line)
            yield line


class ShardWriter:
    """Writes bytes to OUT_DIR/news-NNNNN.jsonl.zst through the zstd CLI (compressing on the
    other core), or the zstandard module when the CLI is missing."""

    def __init__(self, out_dir, level):
        self.out_dir = out_dir
        self.level = level
        self.index = 0
        self.proc = None
        self.fh = None
        self.zw = None
        self.cli = shutil.which("zstd")
        self.paths = []

    def open(self):
        path = os.path.join(self.out_dir, "news-%05d.jsonl.zst" % self.index)
        self.index += 1
        self.paths.append(path)
        if self.cli:
            self.proc = subprocess.Popen([self.cli, "-q", "-f", "-%d" % self.level, "-o", path],
                                         stdin=subprocess.PIPE)
            self.sink = self.proc.stdin
        else:
            import zstandard
            self.fh = open(path, "wb")
            self.zw = zstandard.ZstdCompressor(level=self.level).stream_writer(self.fh)
            self.sink = self.zw

    def write(self, data):
        self.sink.write(data)

    def close(self):
        if self.proc is not None:
            self.proc.stdin.close()
            if self.proc.wait() != 0:
                raise SystemExit("zstd failed")
            self.proc = None
        elif self.zw is not None:
            self.zw.close()
            self.fh = None
            self.zw = None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--gb", type=float, required=True, help="uncompressed size, in 10^9 bytes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shard-mb", type=float, default=256, help="uncompressed MB per shard")
    ap.add_argument("--unique-share", type=float, default=0.4,
                    help="target share of documents that are originals (default 0.4)")
    ap.add_argument("--far-share", type=float, default=0.05,
                    help="share of reprints taken from anywhere earlier (default 0.05)")
    ap.add_argument("--zstd-level", type=int, default=3)
    ap.add_argument("--data", default=os.environ.get("COPYDESK_DATA", DEFAULT_DATA))
    args = ap.parse_args()
    if not os.path.isdir(args.data):
        sys.exit("make_corpus: no data at %s (../shared/data is needed)" % args.data)
    # Millions of small lists and tuples, none of them in a cycle: the cyclic collector would
    # only walk them over and over (it tripled the load time).
    gc.disable()
    t0 = time.time()
    os.makedirs(args.out_dir, exist_ok=True)
    for old in glob.glob(os.path.join(args.out_dir, "news-*.jsonl.zst")) + \
            glob.glob(os.path.join(args.out_dir, "manifest.json")):
        os.remove(old)
    target = int(args.gb * 1e9)
    shard = int(args.shard_mb * 1e6)
    gen = Generator(args.data, args.seed, args.unique_share, args.far_share, target)
    t_load = time.time()
    writer = ShardWriter(args.out_dir, args.zstd_level)
    writer.open()
    written = 0
    in_shard = 0
    batch = []
    bsize = 0
    batch_chars = 4 << 20
    last_report = time.time()
    for line in gen.documents():
        batch.append(line)
        bsize += len(line)
        if bsize < batch_chars:
            continue
        data = "".join(batch).encode("utf-8")
        batch.clear()
        bsize = 0
        writer.write(data)
        written += len(data)
        in_shard += len(data)
        if written >= target:
            break
        if in_shard >= shard:
            writer.close()
            writer.open()
            in_shard = 0
        if time.time() - last_report > 30:
            last_report = time.time()
            el = last_report - t_load
            print("  %.2f GB, %.1f MB/s" % (written / 1e9, written / 1e6 / el), file=sys.stderr)
    writer.close()
    t1 = time.time()
    cpu = time.process_time()
    st = gen.stats
    docs = st["documents"]
    reprints = sum(st["reprints"])
    compressed = sum(os.path.getsize(p) for p in writer.paths)
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "gb": args.gb, "seed": args.seed, "shard_mb": args.shard_mb,
        "unique_share_target": args.unique_share, "far_share": args.far_share,
        "zstd_level": args.zstd_level,
        "shards": [os.path.basename(p) for p in writer.paths],
        "bytes": written, "compressed_bytes": compressed, "documents": docs,
        "originals_real": st["originals_real"], "originals_new": st["originals_new"],
        "reprints_by_level": st["reprints"], "reprints": reprints,
        "far_reprints": st["far_reprints"],
        "copy_share": reprints / docs if docs else 0.0,
        "damaged": {k: st[k] for k in ("mojibake", "entities", "nbsp", "controls")},
        "alias_mentions": st["aliases"],
        "source_sentences": gen.sentences_total, "weak_sentences_skipped": gen.sentences_weak,
        "load_seconds": round(t_load - t0, 2),
        "generate_seconds": round(t1 - t_load, 2),
        "mb_per_s": round(written / 1e6 / (t1 - t_load), 1) if t1 > t_load else None,
        "cpu_seconds": round(cpu, 2),
        "mb_per_cpu_s": round(written / 1e6 / cpu, 1) if cpu else None,
    }
    tmp = os.path.join(args.out_dir, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(tmp, os.path.join(args.out_dir, "manifest.json"))
    print("%s: %d documents, %.3f GB (%.3f GB compressed, %d shards)" % (
        args.out_dir, docs, written / 1e9, compressed / 1e9, len(writer.paths)))
    print("  originals: %d real + %d new (%.1f%%); reprints: %d (%.1f%%) by level 0-3: %s, "
          "%d from far back" % (
              st["originals_real"], st["originals_new"],
              100.0 * (docs - reprints) / docs, reprints, 100.0 * reprints / docs,
              "/".join(str(x) for x in st["reprints"]), st["far_reprints"]))
    print("  damaged: %s; alias mentions: %d" % (
        ", ".join("%s %d" % (k, st[k]) for k in ("mojibake", "entities", "nbsp", "controls")),
        st["aliases"]))
    print("  load %.1f s, generate %.1f s: %.1f MB/s; %.1f s of CPU in all (zstd aside): "
          "%.1f MB per CPU second" % (t_load - t0, t1 - t_load, written / 1e6 / (t1 - t_load),
                                      cpu, written / 1e6 / cpu))


if __name__ == "__main__":
    main()
