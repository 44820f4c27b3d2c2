"""``RuleSet``: a dated, sourced, immutable set of rules with unique codes."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable, Mapping

import attrs

from partner_of_record.errors import Finding
from partner_of_record.rules._facts import STRUCTURAL_CODES, Facts, Rule


def _check_rules(
    inst: RuleSet, attribute: attrs.Attribute[tuple[Rule, ...]], value: object
) -> None:
    if not isinstance(value, tuple):
        msg = f"RuleSet.rules: {value!r} is not a tuple of rules"
        raise TypeError(msg)
    seen: set[str] = set()
    for rule in value:
        if not isinstance(rule, Rule):
            msg = f"RuleSet.rules: {rule!r} is not a Rule (needs code, description and check())"
            raise TypeError(msg)
        if rule.code in STRUCTURAL_CODES:
            msg = f"RuleSet.rules: code {rule.code!r} of {rule!r} is reserved for structural checks"
            raise ValueError(msg)
        if rule.code in seen:
            msg = f"RuleSet.rules: code {rule.code!r} is used twice; codes must be unique"
            raise ValueError(msg)
        seen.add(rule.code)


def _to_rules(value: Iterable[Rule]) -> tuple[Rule, ...]:
    return tuple(value)


@attrs.frozen
class RuleSet:
    """A named, dated, immutable set of program rules.

    Derive new sets with `extend`, `replace` and `remove` (each returns a new ``RuleSet``; rename
    with ``attrs.evolve(rules, name=..., published=..., source=...)``).

    Attributes:
        name: a display name such as ``"Microsoft 2017"``.
        rules: the rules, run in this order; codes are unique.
        published: the day the source of these rules was published (or read).
        source: where the rules come from (a URL or a citation).
    """

    name: str
    rules: tuple[Rule, ...] = attrs.field(converter=_to_rules, validator=_check_rules)
    published: dt.date
    source: str = ""

    @property
    def codes(self) -> Mapping[str, str]:
        """The rules' codes, each mapped to its rule's description, in rule order."""
        return types.MappingProxyType({r.code: r.description for r in self.rules})

    def rule(self, code: str) -> Rule:
        """Return the rule with this code.

        Args:
            code: a rule code such as ``"DPOR_OVERLAP"``.

        Returns:
            The rule.

        Raises:
            KeyError: no rule of this set has the code.
        """
        for r in self.rules:
            if r.code == code:
                return r
        msg = f"RuleSet {self.name!r} has no rule {code!r} (codes: {', '.join(self.codes)})"
        raise KeyError(msg)

    def extend(self, *rules: Rule) -> RuleSet:
        """Return a new set with ``rules`` appended.

        Args:
            *rules: rules whose codes are not in this set yet.

        Returns:
            The extended rule set.

        Raises:
            ValueError: a code is already used.
        """
        return attrs.evolve(self, rules=(*self.rules, *rules))

    def replace(self, *rules: Rule) -> RuleSet:
        """Return a new set where each rule of ``rules`` takes the place of the one with its code.

        Args:
            *rules: replacement rules; each code must already be in this set.

        Returns:
            The new rule set, in the same order.

        Raises:
            KeyError: a code is not in this set.
        """
        by_code = {r.code: r for r in rules}
        missing = by_code.keys() - {r.code for r in self.rules}
        if missing:
            msg = f"RuleSet {self.name!r} has no rule {sorted(missing)!r} to replace"
            raise KeyError(msg)
        return attrs.evolve(self, rules=tuple(by_code.get(r.code, r) for r in self.rules))

    def remove(self, *codes: str) -> RuleSet:
        """Return a new set without the rules of ``codes``.

        Args:
            *codes: codes of rules in this set.

        Returns:
            The reduced rule set.

        Raises:
            KeyError: a code is not in this set.
        """
        missing = set(codes) - {r.code for r in self.rules}
        if missing:
            msg = f"RuleSet {self.name!r} has no rule {sorted(missing)!r} to remove"
            raise KeyError(msg)
        drop = set(codes)
        return attrs.evolve(self, rules=tuple(r for r in self.rules if r.code not in drop))

    def check(self, facts: Facts) -> list[Finding]:
        """Run every rule on ``facts``.

        Args:
            facts: the ledger's indexed records.

        Returns:
            Every finding, rule by rule.
        """
        findings: list[Finding] = []
        for rule in self.rules:
            findings.extend(rule.check(facts))
        return findings
