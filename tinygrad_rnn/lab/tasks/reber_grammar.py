"""The Reber grammar and its embedded form: generating, recognising, and the allowed next symbols."""

import re

REBER_SYMBOLS = "BTPSXVE"
SYMBOL_INDEX = {c: i for i, c in enumerate(REBER_SYMBOLS)}

# The Reber (1967) grammar as a transition table: state -> ((symbol, next state), ...).
# The string starts with B in state 0; each state's edges are taken with equal probability;
# E leads out of the graph (None). In words: 0 -T-> 1, 0 -P-> 2; state 1 loops on S and
# leaves with X to 3; state 2 loops on T and leaves with V to 4; 3 -X-> 2, 3 -S-> 5;
# 4 -P-> 3, 4 -V-> 5; 5 -E-> end.
_REBER_EDGES = {
    0: (("T", 1), ("P", 2)),
    1: (("S", 1), ("X", 3)),
    2: (("T", 2), ("V", 4)),
    3: (("X", 2), ("S", 5)),
    4: (("P", 3), ("V", 5)),
    5: (("E", None),),
}


def reber_string(rng):
    """A string of the Reber grammar (e.g. "BTSSXXTVVE"), each branch taken with probability 1/2."""
    out = ["B"]
    state = 0
    while state is not None:
        edges = _REBER_EDGES[state]
        symbol, state = edges[0] if len(edges) == 1 or rng.random() < 0.5 else edges[1]
        out.append(symbol)
    return "".join(out)


def embedded_reber_string(rng):
    """A string of the embedded Reber grammar: B, T or P, a Reber string, the same T or P, E
    (e.g. "BTBTXSETE"). The symbol that closes it depends on the second one, across the
    whole inner string: the long time lag of the task."""
    branch = "T" if rng.random() < 0.5 else "P"
    return "B" + branch + reber_string(rng) + branch + "E"


def _reber_allowed(string):
    """The allowed-next sets after each symbol of a Reber string (empty after its E), by
    walking the transition table; ValueError at the first symbol the grammar forbids."""
    if not string.startswith("B"):
        raise ValueError(f"not a Reber string (it must start with B): {string!r}")
    state = 0
    sets = []
    for k, symbol in enumerate(string[1:], start=1):
        edges = dict(_REBER_EDGES[state]) if state is not None else {}
        sets.append(frozenset(edges))
        if symbol not in edges:
            raise ValueError(f"not a Reber string: {symbol!r} at position {k} of {string!r}")
        state = edges[symbol]
    if state is not None:
        raise ValueError(f"not a Reber string: {string!r} ends before E")
    sets.append(frozenset())
    return sets


def allowed_next(string, continual=False):
    """For each position i of a (plain or embedded) Reber string, the frozenset of symbols
    the grammar allows at position i + 1, i.e. the targets of next-symbol prediction.

    Embedded strings (B, T|P, Reber string, the same T|P, E) are recognised by the B at
    position 2. After the inner Reber string's E only the symbol matching the second one
    is allowed, after that only E. After the final E the set is empty, or {B} with
    ``continual=True`` (in a stream, the next string starts). Raises ValueError for a
    string that the grammar does not generate.
    """
    if len(string) >= 3 and string[2] == "B":  # embedded
        branch = string[1]
        if string[0] != "B" or branch not in "TP" or string[-2:] != branch + "E":
            raise ValueError(f"not an embedded Reber string: {string!r}")
        inner = _reber_allowed(string[2:-2])
        sets = [frozenset("TP"), frozenset("B")] + inner[:-1] + [frozenset(branch), frozenset("E"), frozenset()]
    else:
        sets = _reber_allowed(string)
    if continual:
        sets[-1] = frozenset("B")
    return sets


# An independent recogniser: a regular expression derived by hand from the grammar
# (not from the table above). Write L4 for the strings that can follow the first X of
# the T branch, which is also where the P branch arrives after "P T* V P":
#   L4 = (X T* V P)* (X T* V V | S) E
# (X leads back into the T-loop, T* V, then P returns to L4 and V ends with E; S ends at
# once). The T branch is T S* X L4; the P branch is P T* V, then V E or P L4. Hence:
_REBER_RE = r"B(?:(?:TS*X|PT*VP)(?:XT*VP)*(?:XT*VV|S)|PT*VV)E"
_REBER = re.compile(_REBER_RE)
_EMBEDDED_REBER = re.compile(r"B([TP])" + _REBER_RE + r"\1E")


def is_reber(string):
    """True when ``string`` belongs to the Reber grammar (checked with a regular expression)."""
    return _REBER.fullmatch(string) is not None


def is_embedded_reber(string):
    """True when ``string`` belongs to the embedded Reber grammar: B, then T or P, then a
    Reber string, then the same letter, then E (a regular expression with a back-reference)."""
    return _EMBEDDED_REBER.fullmatch(string) is not None
