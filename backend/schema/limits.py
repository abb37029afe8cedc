"""How much work a GraphQL document asks for, measured before it is validated or executed.

strawberry's depth and alias limiters walk every fragment spread anew (a document whose
fragments each spread the one before twice costs 2^n), they skip introspection fields, and
graphql-core's OverlappingFieldsCanBeMerged rule is quadratic in repeated fields. So the
document is measured here first, in time linear in its size: each fragment is measured once
and its figures reused at every spread. A document over a limit is refused with one error
and never reaches the other validation rules.

Before that, the HTTP view counts the tokens with a regular expression (check_tokens), so a
document over the token limit is refused without being parsed; over WebSocket graphql-core's
parser stops at the same limit.

Figures, per operation and per fragment definition (both are validated):
- depth: nested selection sets below the root field, introspection fields included
  (`{ a { b } }` is 1, as in strawberry's QueryDepthLimiter);
- cost: fields selected once fragments are expanded;
- fragment spreads: spreads once fragments are expanded;
- aliases: aliased fields once fragments are expanded (summed over operations, as strawberry
  counts them);
- repeated fields: the most fields answering to one response key in one selection set (inline
  fragments and spreads merged into it), the input of the quadratic rule.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from backend.schema.errors import DocumentRefused
from backend.settings import Settings


@dataclass(frozen=True, kw_only=True)
class DocumentLimits:
    max_tokens: int
    max_depth: int
    max_aliases: int
    max_cost: int
    max_fragment_spreads: int
    max_repeated_fields: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentLimits:
        return cls(max_tokens=settings.graphql_max_tokens, max_depth=settings.graphql_max_depth,
                   max_aliases=settings.graphql_max_aliases, max_cost=settings.graphql_max_cost,
                   max_fragment_spreads=settings.graphql_max_fragment_spreads,
                   max_repeated_fields=settings.graphql_max_repeated_fields)


# Texts already measured and found within the limits, so the app's own documents are measured
# once (~0.1 ms a request otherwise): a bounded LRU like strawberry's parser and validation
# caches. Refused texts are never kept.
_ACCEPTED: dict[DocumentLimits, OrderedDict[str, None]] = {}
ACCEPTED_TEXTS = 512


def known_within(text: str, limits: DocumentLimits) -> bool:
    accepted = _ACCEPTED.get(limits)
    if accepted is None or text not in accepted:
        return False
    accepted.move_to_end(text)
    return True


def remember_within(text: str, limits: DocumentLimits) -> None:
    accepted = _ACCEPTED.setdefault(limits, OrderedDict())
    accepted[text] = None
    if len(accepted) > ACCEPTED_TEXTS:
        accepted.popitem(last=False)


# GraphQL's tokens (a block string, a string, a comment, `...`, a punctuator, a number, a name);
# commas and white space are not tokens. Good enough to count, not to parse. An unterminated
# (block) string runs to the end of its line (of the text), so no alternative ever fails after
# scanning ahead: the count stays linear whatever the text.
_TOKEN = re.compile(r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*(?:"""|\\?\Z)|"(?:[^"\\\n\r]|\\.)*"?|#[^\n\r]*'
                    r"|\.\.\.|[!$&()\[\]{}:=@|]|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[_A-Za-z]\w*")


def check_tokens(text: str, limits: DocumentLimits) -> None:
    """Refuse a document with too many tokens before graphql-core parses it: its parser, which
    has the same limit, spends ~25 µs a token to get there. Stops counting at the limit.
    The HTTP view calls it; over WebSocket the parser's own limit answers."""
    if len(text) <= limits.max_tokens or known_within(text, limits):
        return  # a token is at least one character
    count = 0
    for match in _TOKEN.finditer(text):
        if match.group().startswith("#"):
            continue
        count += 1
        if count > limits.max_tokens:
            raise DocumentRefused(f"Syntax Error: Document contains more than {limits.max_tokens} tokens. "
                                  "Parsing aborted.", limit="tokens", maximum=limits.max_tokens)


@dataclass(frozen=True)
class _Figures:
    depth: int = 0
    cost: int = 0
    spreads: int = 0
    aliases: int = 0


_NOTHING = _Figures()


class _Measure:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        self.figures: dict[str, _Figures] = {}
        self.keys: dict[str, Counter[str]] = {}
        self.in_progress: set[str] = set()

    # Figures of a selection set. Recursion follows the document's own nesting, which the parser
    # bounds; a spread of a fragment being measured (a cycle, reported by validation) adds nothing.
    def selection_set(self, selection_set: SelectionSetNode) -> _Figures:
        depth = cost = spreads = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                cost += 1
                aliases += selection.alias is not None
                if selection.selection_set is not None:
                    inner = self.selection_set(selection.selection_set)
                    depth = max(depth, 1 + inner.depth)
                    cost, spreads, aliases = cost + inner.cost, spreads + inner.spreads, aliases + inner.aliases
                continue
            if isinstance(selection, FragmentSpreadNode):
                spreads += 1
                inner = self.fragment(selection.name.value)
            else:
                assert isinstance(selection, InlineFragmentNode)
                inner = self.selection_set(selection.selection_set)
            depth = max(depth, inner.depth)
            cost, spreads, aliases = cost + inner.cost, spreads + inner.spreads, aliases + inner.aliases
        return _Figures(depth, cost, spreads, aliases)

    def fragment(self, name: str) -> _Figures:
        known = self.figures.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return _NOTHING  # unknown fragment or a cycle: validation says so
        self.in_progress.add(name)
        figures = self.figures[name] = self.selection_set(definition.selection_set)
        self.in_progress.discard(name)
        return figures

    # Response keys of a selection set with its inline fragments and spreads merged in: what
    # OverlappingFieldsCanBeMerged compares pairwise. Run only once the cost is known to be
    # bounded, so the counters stay small; each fragment's counter is built once.
    def response_keys(self, selection_set: SelectionSetNode) -> Counter[str]:
        keys: Counter[str] = Counter()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                keys[(selection.alias or selection.name).value] += 1
            elif isinstance(selection, FragmentSpreadNode):
                keys.update(self.fragment_keys(selection.name.value))
            else:
                assert isinstance(selection, InlineFragmentNode)
                keys.update(self.response_keys(selection.selection_set))
        return keys

    def fragment_keys(self, name: str) -> Counter[str]:
        known = self.keys.get(name)
        if known is not None:
            return known
        definition = self.fragments.get(name)
        if definition is None or name in self.in_progress:
            return Counter()
        self.in_progress.add(name)
        keys = self.keys[name] = self.response_keys(definition.selection_set)
        self.in_progress.discard(name)
        return keys

    def most_repeated(self, selection_set: SelectionSetNode) -> tuple[str, int]:
        """The response key given most often in this selection set or any nested one."""
        worst = ("", 0)
        stack = [selection_set]
        while stack:
            current = stack.pop()
            counts = self.response_keys(current)
            if counts:
                key, count = counts.most_common(1)[0]
                if count > worst[1]:
                    worst = (key, count)
            for selection in current.selections:
                if not isinstance(selection, FragmentSpreadNode) and selection.selection_set is not None:
                    stack.append(selection.selection_set)
        return worst


def check_document(document: DocumentNode, limits: DocumentLimits) -> None:
    """Raise DocumentRefused for the first limit the document goes over."""
    try:
        _check(document, limits)
    except RecursionError:
        # Hundreds of fragments each spreading the next: no real client writes that.
        raise DocumentRefused("The document nests fragments too deeply", limit="depth",
                              maximum=limits.max_depth) from None


def _check(document: DocumentNode, limits: DocumentLimits) -> None:
    measure = _Measure(document)
    roots: list[tuple[str, SelectionSetNode, bool]] = []
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            roots.append((definition.name.value if definition.name else "anonymous", definition.selection_set, True))
        elif isinstance(definition, FragmentDefinitionNode):
            roots.append((definition.name.value, definition.selection_set, False))
    total_aliases = total_cost = 0
    for name, selection_set, is_operation in roots:
        figures = measure.fragment(name) if not is_operation else measure.selection_set(selection_set)
        if figures.depth > limits.max_depth:
            raise DocumentRefused(f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                                  limit="depth", maximum=limits.max_depth)
        if figures.spreads > limits.max_fragment_spreads:
            raise DocumentRefused(
                f"'{name}' spreads fragments {figures.spreads} times once expanded. "
                f"Allowed: {limits.max_fragment_spreads}", limit="fragmentSpreads", maximum=limits.max_fragment_spreads)
        if is_operation:
            total_aliases += figures.aliases
            total_cost += figures.cost
        if max(figures.cost, total_cost) > limits.max_cost:
            raise DocumentRefused(
                f"'{name}' selects {max(figures.cost, total_cost)} fields once fragments are expanded. "
                f"Allowed: {limits.max_cost}", limit="cost", maximum=limits.max_cost)
    if total_aliases > limits.max_aliases:
        # strawberry's MaxAliasesLimiter's wording, which clients may already know
        raise DocumentRefused(f"{total_aliases} aliases found. Allowed: {limits.max_aliases}",
                              limit="aliases", maximum=limits.max_aliases)
    for name, selection_set, _ in roots:
        key, count = measure.most_repeated(selection_set)
        if count > limits.max_repeated_fields:
            raise DocumentRefused(
                f"'{name}' asks for '{key}' {count} times in one selection set. "
                f"Allowed: {limits.max_repeated_fields}", limit="repeatedFields", maximum=limits.max_repeated_fields)
