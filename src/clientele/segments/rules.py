"""A small, safe expression language for rule segments.

A rule is a condition over customer attributes, e.g.::

    clv > 500 and p_alive < 0.5
    city in ('Lisboa', 'Porto') and not acquisition_channel = 'paid search'
    expected_spend / (frequency + 1) >= 20 or nps is null

The text is tokenised and parsed here (recursive descent) into a small tree of nodes; the tree
is type-checked against an allow-list of columns and evaluated *vectorised* over a pandas
frame (NumPy arrays). Nothing is ever handed to ``eval``, Python's ``ast`` or SQL: a rule can
only read the allowed columns and compute comparisons, arithmetic and logic.

Grammar (keywords are case-insensitive)::

    rule       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [ op sum | ["not"] "in" list | "is" ["not"] "null" ]
    op         := "=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">="
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | atom
    atom       := number | string | "true" | "false" | column | "(" or ")"
    list       := "(" literal ("," literal)* ")" | "[" literal ("," literal)* "]"
    literal    := ["-"] number | string

Semantics. Numbers are floats; strings are quoted with ``'`` or ``"`` (a doubled quote stands
for itself). Text columns can be compared with ``=``, ``!=`` and ``in`` only; arithmetic is on
numeric columns only. A comparison with a missing value (or a NaN from ``0/0``) is false,
whatever the operator, so ``nps < 7`` and ``nps >= 7`` are both false for a customer without
an answer; ask for them with ``nps is null``. ``not`` negates the truth value it is given.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clientele.errors import InputError

#: Longest rule accepted, in characters.
MAX_RULE_LENGTH = 2000
#: Deepest nesting of parentheses, ``not`` and unary minus accepted.
MAX_DEPTH = 40
#: Most items of an ``in`` list.
MAX_LIST = 500
#: Deepest tree accepted (a chain ``a + a + ...`` of n operators is n levels deep).
MAX_TREE_DEPTH = 150

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false"}
COMPARISONS = {"=": "==", "==": "==", "!=": "!=", "<>": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

NUMBER, TEXT, BOOL = "number", "text", "boolean"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>'(?:[^']|'')*'|"(?:[^"]|"")*")
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><=|>=|==|!=|<>|[=<>+\-*/(),\[\]])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` (number, string, name, keyword, op, end), its text and 0-based position."""

    kind: str
    text: str
    pos: int
    value: Any = None


def _error(rule: str, pos: int, found: str, expected: str) -> InputError:
    where = f"at position {pos + 1}" if pos < len(rule) else "at the end"
    shown = "the end of the rule" if found == "" else repr(found)
    return InputError(f"{where} found {shown}, expected {expected}", column="rule", value=_clip(rule))


def _clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[:n] + "..."


def tokenize(rule: str) -> list[Token]:
    """Split ``rule`` into tokens (the last one of kind ``end``).

    Raises
    ------
    InputError
        On a character that starts no token, an unterminated string, a number that is not
        finite, or a rule longer than :data:`MAX_RULE_LENGTH`.
    """
    if not isinstance(rule, str):
        raise InputError("a rule must be text", column="rule", value=rule)
    if len(rule) > MAX_RULE_LENGTH:
        raise InputError(f"a rule may have at most {MAX_RULE_LENGTH} characters, this one has {len(rule)}",
                         column="rule", value=_clip(rule))
    tokens: list[Token] = []
    pos = 0
    while pos < len(rule):
        match = _TOKEN.match(rule, pos)
        if match is None:
            char = rule[pos]
            if char in "'\"":
                raise _error(rule, pos, rule[pos:pos + 20], f"a closing {char} for the string started here")
            raise _error(rule, pos, char, "a column, a number, a quoted string, an operator or a parenthesis")
        kind = match.lastgroup or ""
        text = match.group()
        if kind == "number":
            value = float(text)
            if not math.isfinite(value):
                raise _error(rule, pos, text, "a finite number")
            tokens.append(Token("number", text, pos, value))
        elif kind == "string":
            quote = text[0]
            tokens.append(Token("string", text, pos, text[1:-1].replace(quote * 2, quote)))
        elif kind == "name":
            lower = text.lower()
            tokens.append(Token("keyword", lower, pos) if lower in KEYWORDS else Token("name", text, pos))
        elif kind == "op":
            tokens.append(Token("op", text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(rule)))
    return tokens


# ----------------------------------------------------------------------------- the tree
@dataclass(frozen=True)
class Node:
    """A node of a parsed rule; ``kind`` is its type (number, text or boolean) after checking."""

    pos: int


@dataclass(frozen=True)
class Literal(Node):
    value: Any


@dataclass(frozen=True)
class Column(Node):
    name: str


@dataclass(frozen=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True)
class Arithmetic(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    operand: Node
    values: tuple
    negated: bool


@dataclass(frozen=True)
class IsNull(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Logic(Node):
    op: str  # "and" | "or"
    operands: tuple


class _Parser:
    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.tokens = tokenize(rule)
        self.i = 0
        self.depth = 0

    # helpers
    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def next(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.tok
        return tok.kind == kind and (not texts or tok.text in texts)

    def fail(self, expected: str) -> InputError:
        return _error(self.rule, self.tok.pos, self.tok.text, expected)

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InputError(f"at position {self.tok.pos + 1}: the rule nests deeper than {MAX_DEPTH} levels",
                             column="rule", value=_clip(self.rule))

    # grammar
    def parse(self) -> Node:
        if self.at("end"):
            raise self.fail("a condition such as clv > 500")
        node = self.or_()
        if not self.at("end"):
            raise self.fail("'and', 'or' or the end of the rule")
        return node

    def or_(self) -> Node:
        first = self.and_()
        items = [first]
        while self.at("keyword", "or"):
            self.next()
            items.append(self.and_())
        return items[0] if len(items) == 1 else Logic(first.pos, "or", tuple(items))

    def and_(self) -> Node:
        first = self.not_()
        items = [first]
        while self.at("keyword", "and"):
            self.next()
            items.append(self.not_())
        return items[0] if len(items) == 1 else Logic(first.pos, "and", tuple(items))

    def not_(self) -> Node:
        if self.at("keyword", "not"):
            tok = self.next()
            self.deeper()
            node = Not(tok.pos, self.not_())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.sum_()
        tok = self.tok
        if tok.kind == "op" and tok.text in COMPARISONS:
            self.next()
            return Compare(tok.pos, COMPARISONS[tok.text], left, self.sum_())
        if self.at("keyword", "not") and self.tokens[self.i + 1].kind == "keyword" and self.tokens[self.i + 1].text == "in":
            self.next()
            self.next()
            return InList(tok.pos, left, self.list_(), True)
        if self.at("keyword", "in"):
            self.next()
            return InList(tok.pos, left, self.list_(), False)
        if self.at("keyword", "is"):
            self.next()
            negated = False
            if self.at("keyword", "not"):
                self.next()
                negated = True
            if not self.at("keyword", "null"):
                raise self.fail("'null' after 'is'" if not negated else "'null' after 'is not'")
            self.next()
            return IsNull(tok.pos, left, negated)
        return left

    def list_(self) -> tuple:
        if not self.at("op", "(", "["):
            raise self.fail("a list in parentheses after 'in', such as ('a', 'b')")
        close = ")" if self.next().text == "(" else "]"
        values = [self.literal()]
        while self.at("op", ","):
            self.next()
            values.append(self.literal())
            if len(values) > MAX_LIST:
                raise InputError(f"an 'in' list may hold at most {MAX_LIST} values", column="rule",
                                 value=_clip(self.rule))
        if not self.at("op", close):
            raise self.fail(f"',' or {close!r} to close the list")
        self.next()
        return tuple(values)

    def literal(self) -> Any:
        sign = 1.0
        if self.at("op", "-"):
            self.next()
            sign = -1.0
            if not self.at("number"):
                raise self.fail("a number after '-'")
        tok = self.tok
        if tok.kind == "number":
            self.next()
            return sign * tok.value
        if tok.kind == "string":
            self.next()
            return tok.value
        raise self.fail("a number or a quoted string in the list")

    def sum_(self) -> Node:
        node = self.product()
        while self.at("op", "+", "-"):
            tok = self.next()
            node = Arithmetic(tok.pos, tok.text, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.at("op", "*", "/"):
            tok = self.next()
            node = Arithmetic(tok.pos, tok.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            tok = self.next()
            self.deeper()
            node = Negate(tok.pos, self.unary())
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.next()
            return Literal(tok.pos, tok.value)
        if tok.kind == "string":
            self.next()
            return Literal(tok.pos, tok.value)
        if tok.kind == "keyword" and tok.text in ("true", "false"):
            self.next()
            return Literal(tok.pos, tok.text == "true")
        if tok.kind == "name":
            self.next()
            return Column(tok.pos, tok.text)
        if self.at("op", "("):
            self.next()
            self.deeper()
            node = self.or_()
            self.depth -= 1
            if not self.at("op", ")"):
                raise self.fail("')' to close the '(' at position " + str(tok.pos + 1))
            self.next()
            return node
        raise self.fail("a column, a number, a quoted string or '('")


def parse(rule: str) -> Node:
    """Parse ``rule`` into its tree (no columns checked yet; see :func:`compile_rule`).

    Raises
    ------
    InputError
        A syntax error, or a tree deeper than :data:`MAX_TREE_DEPTH` levels.
    """
    tree = _Parser(rule).parse()
    depth, deepest = _tree_depth(tree)
    if depth > MAX_TREE_DEPTH:
        raise InputError(f"at position {deepest.pos + 1}: the rule is {depth} operators deep, more than "
                         f"{MAX_TREE_DEPTH}; split it into simpler segments", column="rule", value=_clip(rule))
    return tree


def _children(node: Node) -> list[Node]:
    out: list[Node] = []
    for value in vars(node).values():
        if isinstance(value, Node):
            out.append(value)
        elif isinstance(value, tuple):
            out.extend(item for item in value if isinstance(item, Node))
    return out


def _tree_depth(tree: Node) -> tuple[int, Node]:
    """Depth of the tree and its deepest node, without recursion (the tree may be very deep)."""
    best, deepest = 0, tree
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > best:
            best, deepest = depth, node
        stack.extend((child, depth + 1) for child in _children(node))
    return best, deepest


# ----------------------------------------------------------------------------- checking
def _type(node: Node, columns: dict[str, str], rule: str) -> str:
    """The type of ``node`` (number, text, boolean); raises InputError on a type or column error."""

    def bad(at: Node, message: str) -> InputError:
        return InputError(f"at position {at.pos + 1}: {message}", column="rule", value=_clip(rule))

    if isinstance(node, Literal):
        return BOOL if isinstance(node.value, bool) else TEXT if isinstance(node.value, str) else NUMBER
    if isinstance(node, Column):
        if node.name not in columns:
            allowed = ", ".join(sorted(columns))
            raise bad(node, f"unknown column {node.name!r}; the columns are: {allowed}")
        return columns[node.name]
    if isinstance(node, Negate):
        if _type(node.operand, columns, rule) != NUMBER:
            raise bad(node, "'-' needs a number")
        return NUMBER
    if isinstance(node, Arithmetic):
        for side in (node.left, node.right):
            if _type(side, columns, rule) != NUMBER:
                raise bad(node, f"{node.op!r} needs numbers on both sides")
        return NUMBER
    if isinstance(node, Compare):
        left, right = _type(node.left, columns, rule), _type(node.right, columns, rule)
        if left != right:
            raise bad(node, f"cannot compare {left} with {right}")
        if left != NUMBER and node.op not in ("==", "!="):
            raise bad(node, f"{left} can only be compared with = or != (or 'in'), not {node.op!r}")
        return BOOL
    if isinstance(node, InList):
        kind = _type(node.operand, columns, rule)
        if kind == BOOL:
            raise bad(node, "'in' needs a number or text on its left")
        for value in node.values:
            value_kind = TEXT if isinstance(value, str) else NUMBER
            if value_kind != kind:
                raise bad(node, f"the list of 'in' holds {value_kind} {value!r} but the left side is {kind}")
        return BOOL
    if isinstance(node, IsNull):
        _type(node.operand, columns, rule)
        return BOOL
    if isinstance(node, Not):
        if _type(node.operand, columns, rule) != BOOL:
            raise bad(node, "'not' needs a condition")
        return BOOL
    if isinstance(node, Logic):
        for item in node.operands:
            if _type(item, columns, rule) != BOOL:
                raise bad(item, f"'{node.op}' needs conditions on both sides (e.g. clv > 100), not a bare value")
        return BOOL
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover - the parser makes only the nodes above


def columns_of(node: Node) -> set[str]:
    """The column names a rule reads."""
    if isinstance(node, Column):
        return {node.name}
    out: set[str] = set()
    for child in _children(node):
        out |= columns_of(child)
    return out


# ----------------------------------------------------------------------------- evaluation
def _evaluate(node: Node, frame: pd.DataFrame, n: int) -> Any:
    """Vectorised value of ``node``: float arrays (NaN = missing), string Series (text; missing
    values missing) or boolean arrays."""
    if isinstance(node, Literal):
        if isinstance(node.value, bool):
            return np.full(n, node.value)
        if isinstance(node.value, str):
            return pd.Series(np.full(n, node.value, dtype=object), dtype="string")
        return np.full(n, float(node.value))
    if isinstance(node, Column):
        series = frame[node.name]
        if pd.api.types.is_bool_dtype(series):
            return series.to_numpy(bool)
        if pd.api.types.is_numeric_dtype(series):
            return pd.to_numeric(series).to_numpy(np.float64, na_value=np.nan)
        return _strings(series)
    if isinstance(node, Negate):
        return -_evaluate(node.operand, frame, n)
    if isinstance(node, Arithmetic):
        left, right = _evaluate(node.left, frame, n), _evaluate(node.right, frame, n)
        with np.errstate(all="ignore"):
            if node.op == "+":
                return left + right
            if node.op == "-":
                return left - right
            if node.op == "*":
                return left * right
            return left / right
    if isinstance(node, Compare):
        if isinstance(node.left, Literal) and isinstance(node.left.value, str) or isinstance(node.left, Column) and (
                _is_text(frame, node.left.name)):
            return _compare_text(node, frame, n)
        left, right = _evaluate(node.left, frame, n), _evaluate(node.right, frame, n)
        if left.dtype == bool:
            return left == right if node.op == "==" else left != right
        known = ~(np.isnan(left) | np.isnan(right))
        with np.errstate(invalid="ignore"):
            result = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
                      ">": np.greater, ">=": np.greater_equal}[node.op](left, right)
        return known & result
    if isinstance(node, InList):
        values = _evaluate(node.operand, frame, n)
        if isinstance(values, pd.Series):
            member = values.isin(list(node.values)).to_numpy(dtype=bool, na_value=False)
            known = values.notna().to_numpy(bool)
        else:
            member = np.isin(values, np.array(node.values, dtype=np.float64))
            known = ~np.isnan(values)
        return known & (~member if node.negated else member)
    if isinstance(node, IsNull):
        values = _evaluate(node.operand, frame, n)
        if isinstance(values, pd.Series):
            missing = values.isna().to_numpy(bool)
        elif values.dtype == bool:
            missing = np.zeros(n, bool)
        else:
            missing = np.isnan(values)
        return ~missing if node.negated else missing
    if isinstance(node, Not):
        return ~_evaluate(node.operand, frame, n)
    if isinstance(node, Logic):
        parts = [_evaluate(item, frame, n) for item in node.operands]
        return np.logical_and.reduce(parts) if node.op == "and" else np.logical_or.reduce(parts)
    raise TypeError(f"unknown node {node!r}")  # pragma: no cover


def _is_text(frame: pd.DataFrame, name: str) -> bool:
    series = frame[name]
    return not (pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series))


def _strings(series: pd.Series) -> pd.Series:
    """A text column as a pandas string Series (vectorised comparisons; missing values stay missing)."""
    if isinstance(series.dtype, pd.StringDtype):
        return series.reset_index(drop=True)
    return series.astype("string").reset_index(drop=True)


def _compare_text(node: Compare, frame: pd.DataFrame, n: int) -> np.ndarray:
    """``=`` / ``!=`` of text operands: a column (string Series) or a literal; false where one is missing."""

    def side(operand: Node) -> Any:
        return operand.value if isinstance(operand, Literal) else _strings(frame[operand.name])

    left, right = side(node.left), side(node.right)
    if isinstance(left, str) and isinstance(right, str):
        return np.full(n, (left == right) == (node.op == "=="))
    if isinstance(left, str):
        left, right = right, left
    known = left.notna().to_numpy(bool)
    if isinstance(right, pd.Series):
        known &= right.notna().to_numpy(bool)
    equal = (left == right).to_numpy(dtype=bool, na_value=False)
    return known & (equal if node.op == "==" else ~equal)


@dataclass(frozen=True)
class Rule:
    """A parsed, checked rule: call :meth:`evaluate` on a frame of the allowed columns."""

    text: str
    tree: Node
    columns: frozenset

    def evaluate(self, frame: pd.DataFrame) -> np.ndarray:
        """Boolean array: which rows of ``frame`` satisfy the rule."""
        missing = sorted(self.columns - set(frame.columns))
        if missing:
            raise InputError(f"the customer attributes lack column(s) {missing}", column="rule", value=self.text)
        return np.asarray(_evaluate(self.tree, frame, len(frame)), dtype=bool)


def compile_rule(rule: str, columns: dict[str, str]) -> Rule:
    """Parse ``rule`` and check it against ``columns`` (name -> number, text or boolean).

    Raises
    ------
    InputError
        A syntax error (naming the position, the token found and what was expected), an
        unknown column (with the allowed ones), a type error, or a rule that is not a condition.

    Examples
    --------
    >>> import pandas as pd
    >>> rule = compile_rule("clv > 100 and city in ('Porto', 'Braga')", {"clv": "number", "city": "text"})
    >>> rule.evaluate(pd.DataFrame({"clv": [150.0, 50.0, 200.0], "city": ["Porto", "Porto", None]})).tolist()
    [True, False, False]
    """
    tree = parse(rule)
    if _type(tree, columns, rule) != BOOL:
        raise InputError("at position 1: a rule must be a condition (e.g. clv > 500), not a bare value",
                         column="rule", value=_clip(rule))
    return Rule(rule, tree, frozenset(columns_of(tree)))
