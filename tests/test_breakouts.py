"""Breakout tables: every returned plan passes an independent checker written here.

The checker reads the rules as docs/breakouts.md states them and shares no
code with the package; on small rosters an exhaustive search gives the
optimum the solvers must reach.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections import Counter
from math import ceil, floor

import pytest

from seatalloc.breakouts import (
    InfeasibleError,
    Participant,
    Roster,
    Rules,
    plan_breakouts,
)
from seatalloc.breakouts.reader import parse_roster
from seatalloc.cli import main
from seatalloc.errors import MissingExtraError, ProblemError

ROLES = ("planner", "infra", "energy", "env")


def workshop(boards: int = 7) -> Roster:
    """Each board one person of each of four roles."""
    return Roster(
        Participant(f"b{b}{role}", f"board{b}", role) for b in range(boards) for role in ROLES
    )


def even_sizes(n: int, tables: int) -> list[int]:
    return sorted((n // tables + (t < n % tables) for t in range(tables)), reverse=True)


def objective(roster, sizes, rules, rounds):
    """The lexicographic objective, from the rules as documented (independent of the package)."""
    people = {p.id: p for p in roster.participants}
    n = len(people)
    role_count = Counter(p.role for p in people.values())
    deviation, colleague_cost = 0, 0
    meetings: Counter[frozenset[str]] = Counter()
    broken = 0
    for r, tables in enumerate(rounds):
        rule = rules.colleagues[0] if len(rules.colleagues) == 1 else rules.colleagues[r]
        for table, ids in enumerate(tables):
            counts = Counter(people[i].role for i in ids)
            off = 0
            for role, total in role_count.items():
                share = total * len(ids) / n
                c = counts[role]
                off += max(0, c - ceil(share)) + max(0, floor(share) - c)
            deviation += off * off  # the role cost: a table's deviation squared
            pairs = [frozenset(p) for p in itertools.combinations(ids, 2)]
            meetings.update(pairs)
            same = sum(
                1 for a, b in itertools.combinations(ids, 2) if people[a].group == people[b].group
            )
            colleague_cost += {"apart": same, "together": -same}.get(rule.value, 0)
            for pid in ids:
                broken += rules.pinned.get(pid, table) != table
        seat = {pid: t for t, ids in enumerate(tables) for pid in ids}
        broken += sum(seat[a] != seat[b] for a, b in rules.together)
        broken += sum(seat[a] == seat[b] for a, b in rules.apart)
    repeated = sum(1 for m in meetings.values() if m > 1)
    if rules.mixing.value == "never-twice":
        broken += repeated
    mixing = rules.mixing.value != "ignore"
    return (
        broken,
        deviation if rules.balance_roles else 0,
        colleague_cost,
        max(meetings.values(), default=0) if mixing else 0,
        repeated if mixing else 0,
    )


def check(roster, tables, rules, plan, rounds):
    """Every rule on the returned plan; the reported figures recomputed. Returns the objective."""
    sizes = even_sizes(len(roster), tables)
    assert len(plan.rounds) == rounds
    for tables_of in plan.rounds:
        assert sorted(len(t) for t in tables_of) == sorted(sizes)
        seated = [pid for table in tables_of for pid in table]
        assert sorted(seated) == sorted(roster.ids), "everyone exactly once per round"
    value = objective(roster, sizes, rules, plan.rounds)
    assert value[0] == 0, "a plan reported without violations breaks no hard rule"
    assert tuple(plan.quality.objective) == value
    data = json.loads(plan.to_json())
    assert data["rounds"] == [[list(t) for t in r] for r in plan.rounds]
    assert data["report"]["repeated_pairs"] == len(plan.quality.repeated_pairs)
    if plan.status == "optimal":
        assert tuple(plan.bound) == value
    return value


def test_workshop_seven_tables_meets_every_rule_and_is_proven() -> None:
    rules = Rules(colleagues=("together", "apart"), mixing="never-twice")
    plan = plan_breakouts(workshop(), 7, 2, rules, time_limit=60, work=1.25)
    value = check(workshop(), 7, rules, plan, 2)
    assert value == (0, 0, -42, 1, 0)
    assert plan.status == "optimal" and plan.not_met == ()
    for table in plan.rounds[0]:
        assert len({pid[:2] for pid in table}) == 1, "each board at its own table"
    for table in plan.rounds[1]:
        assert sorted(pid[2:] for pid in table) == sorted(ROLES), "one of each role"


def test_workshop_four_tables_explains_what_cannot_hold() -> None:
    rules = Rules(colleagues=("together", "apart"), mixing="never-twice")
    with pytest.raises(InfeasibleError, match="table of 7 in round 2 must take at most one"):
        plan_breakouts(workshop(), 4, 2, rules)
    soft = Rules(colleagues=("together", "apart"))
    plan = plan_breakouts(workshop(), 4, 2, soft, method="heuristic", time_limit=60, work=0.5)
    value = check(workshop(), 4, soft, plan, 2)
    assert value[3:] == (2, 12), "12 repeats is the pigeonhole minimum"
    rules_not_met = {item.rule for item in plan.not_met}
    assert {"colleagues together (round 1)", "no pair meets twice"} <= rules_not_met


def small_roster() -> Roster:
    groups = ["a", "a", "a", "b", "b", "c"]
    roles = ["x", "y", "x", "y", "x", "y"]
    return Roster(
        Participant(f"p{i}", g, r) for i, (g, r) in enumerate(zip(groups, roles, strict=True))
    )


def exhaustive(roster, tables, rules, rounds):
    """The best objective over every plan (tables labelled, so no symmetry is assumed)."""
    sizes = even_sizes(len(roster), tables)
    ids = roster.ids
    splits = []
    for labels in itertools.product(range(tables), repeat=len(ids)):
        if all(labels.count(t) == s for t, s in enumerate(sizes)):
            splits.append(
                [
                    [pid for pid, lab in zip(ids, labels, strict=True) if lab == t]
                    for t in range(tables)
                ]
            )
    return min(
        objective(roster, sizes, rules, plan) for plan in itertools.product(splits, repeat=rounds)
    )


CASES = [
    (2, 2, Rules(colleagues=("together", "apart"))),
    (3, 2, Rules(colleagues="apart", mixing="fewest-repeats")),
    (2, 3, Rules(colleagues="any", balance_roles=True, pinned={"p5": 1}, apart=[("p0", "p3")])),
    (2, 2, Rules(colleagues="together", together=[("p0", "p5")], mixing="ignore")),
]


@pytest.mark.parametrize(("tables", "rounds", "rules"), CASES)
def test_optimum_equals_exhaustive_search(tables, rounds, rules) -> None:
    pytest.importorskip("ortools")
    roster = small_roster()
    best = exhaustive(roster, tables, rules, rounds)
    plan = plan_breakouts(roster, tables, rounds, rules, method="cpsat", time_limit=120, work=10)
    assert check(roster, tables, rules, plan, rounds) == best
    assert plan.status == "optimal"
    heuristic = plan_breakouts(roster, tables, rounds, rules, method="heuristic", work=0.5)
    assert check(roster, tables, rules, heuristic, rounds) >= best


@pytest.mark.parametrize(
    ("rules", "tables", "match"),
    [
        (Rules(pinned={"p0": 0, "p1": 0, "p2": 0, "p3": 0}), 2, "pinned to table 1.*seats 3"),
        (Rules(together=[("p0", "p1"), ("p1", "p2")], apart=[("p0", "p2")]), 2, "must sit apart"),
        (Rules(together=[("p0", "p1"), ("p1", "p2"), ("p2", "p3")]), 2, "largest table seats 3"),
        (Rules(pinned={"p0": 0, "p1": 1}, together=[("p0", "p1")]), 2, "pinned to tables 1 and 2"),
        (Rules(), 7, "cannot be split evenly over 7 tables"),
    ],
)
def test_infeasible_hard_rules_are_explained(rules, tables, match) -> None:
    with pytest.raises(InfeasibleError, match=match):
        plan_breakouts(small_roster(), tables, 2, rules)


def test_unknown_ids_are_all_reported() -> None:
    with pytest.raises(ProblemError) as caught:
        plan_breakouts(small_roster(), 2, 1, Rules(pinned={"zz": 0, "p1": 5}, apart=[("p0", "yy")]))
    assert len(caught.value.errors) == 3


def test_social_golfer_small_without_repeats_and_deterministic() -> None:
    roster = Roster(Participant(f"p{i:02d}", "g") for i in range(16))
    rules = Rules(mixing="never-twice", balance_roles=False)
    plan = plan_breakouts(roster, 4, 4, rules, method="heuristic", time_limit=20)
    check(roster, 4, rules, plan, 4)
    assert plan.status == "optimal"
    shuffled = Roster(reversed(roster.participants))
    again = plan_breakouts(shuffled, 4, 4, rules, method="heuristic", time_limit=20)
    assert again.rounds == plan.rounds


def test_heuristic_runs_without_ortools(monkeypatch) -> None:
    for name in [m for m in sys.modules if m == "ortools" or m.startswith("ortools.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "ortools", None)
    roster = workshop(3)
    rules = Rules(colleagues=("together", "apart"))
    plan = plan_breakouts(roster, 3, 2, rules, time_limit=2)
    check(roster, 3, rules, plan, 2)
    assert plan.method == "heuristic"
    with pytest.raises(MissingExtraError, match=r"seatalloc\[solver\]"):
        plan_breakouts(roster, 5, 2, rules, method="cpsat", time_limit=2)


def test_roster_csv_reports_every_bad_row_with_line_and_column() -> None:
    text = "id;group;role;email\nx;g1;a;secret@example.org\n;g1;a;s\ny;;b;t\nx;g2;a;u\n"
    with pytest.raises(ProblemError) as caught:
        parse_roster(text, "r.csv")
    message = str(caught.value)
    assert "r.csv, line 3, column 'id'" in message
    assert "r.csv, line 4, column 'group'" in message
    assert "r.csv, line 5, column 'id'" in message and "first on line 2" in message
    assert "secret" not in message
    roster = parse_roster("\ufeffid,group,role,email\na,g,r,m@x\n", "ok.csv")
    assert roster.by_id["a"].attributes == {"email": "m@x"}


def test_cli_json(tmp_path, capsys) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        "id,group,role\n"
        + "".join(f"{p.id},{p.group},{p.role}\n" for p in workshop(4).participants)
    )
    code = main([
        "breakouts", str(path), "--tables", "4", "--rounds", "2",
        "--colleagues", "together,apart", "--format", "json", "--method", "heuristic",
    ])  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert [sorted(len(t) for t in r) for r in data["rounds"]] == [[4] * 4, [4] * 4]
    assert data["report"]["rounds"][1]["colleague_pairs_together"] == 0
    assert main(["breakouts", str(path), "--tables", "2", "--colleagues", "sideways"]) == 2


def test_four_tables_of_seven_colleague_optimum_is_33_and_proven() -> None:
    """At most one whole board of 4 fits a table of 7, so at most 4 boards sit whole (6 pairs
    each); every other board keeps at most 3 together (3 pairs): 4*6 + 3*3 = 33 of 42."""
    roster = workshop()
    rules = Rules(colleagues=("together", "apart"))
    plan = plan_breakouts(roster, 4, 2, rules, method="heuristic", time_limit=60, work=1.25)
    value = check(roster, 4, rules, plan, 2)
    assert value == (0, 0, -33, 2, 12)
    assert plan.status == "optimal" and tuple(plan.bound) == value
    pytest.importorskip("ortools")
    from seatalloc.breakouts._instance import compile_instance
    from seatalloc.breakouts.cpsat import solve

    one_round = compile_instance(roster, 4, 1, Rules(colleagues="together", mixing="ignore"))
    solved = solve(one_round, work=10)
    assert solved.status == "optimal" and solved.bound[2] == -33


@pytest.mark.parametrize(
    ("tables", "size", "rounds", "how"),
    [
        (5, 3, 7, "developed"),
        (8, 4, 9, "finite-field"),
        (7, 4, 7, "finite-field"),
        (9, 3, 10, "finite-field"),
    ],
)
def test_golfer_schedules_without_repeats(tables, size, rounds, how) -> None:
    """Kirkman's 15 schoolgirls (5-3-7, every pair meets exactly once) developed by Z_7;
    the classic 32 golfers 8-4-9, 28 people at 7 tables of 4 for 7 rounds and 9-3-10 by
    the finite-field design."""
    roster = Roster(Participant(f"p{i:02d}", f"p{i:02d}") for i in range(tables * size))
    rules = Rules(mixing="never-twice", balance_roles=False)
    plan = plan_breakouts(roster, tables, rounds, rules, method="heuristic", seed=3)
    assert check(roster, tables, rules, plan, rounds) == (0, 0, 0, 1, 0)
    assert plan.status == "optimal" and plan.stopped == "proven"
    assert any(note.startswith("construction:") and how in note for note in plan.notes)
    again = plan_breakouts(roster, tables, rounds, rules, method="heuristic", seed=3)
    assert again.rounds == plan.rounds


@pytest.mark.parametrize(
    ("q", "k"), [(2, 2), (3, 3), (4, 4), (5, 3), (7, 4), (8, 4), (9, 3), (16, 4)]
)
def test_finite_field_designs_repeat_no_pair(q, k) -> None:
    from seatalloc.breakouts.designs import most_rounds, resolvable_plan

    rounds = most_rounds(q * k, [k] * q)
    assert rounds == q + (q % k == 0)
    plan = resolvable_plan(q * k, [k] * q, rounds)
    assert plan is not None and len(plan) == rounds
    meetings: Counter[tuple[int, int]] = Counter()
    for table_of in plan:
        assert sorted(Counter(table_of).values()) == [k] * q
        for a, b in itertools.combinations(range(q * k), 2):
            meetings[a, b] += table_of[a] == table_of[b]
    assert max(meetings.values()) == 1


def test_finite_field_designs_only_where_they_exist() -> None:
    from seatalloc.breakouts.designs import most_rounds, resolvable_plan

    assert most_rounds(24, [4] * 6) == 0  # 6 is not a prime power
    assert most_rounds(28, [7] * 4) == 0  # tables larger than their number
    assert most_rounds(30, [4, 4, 4, 4, 4, 5, 5]) == 0  # unequal tables
    assert resolvable_plan(32, [4] * 8, 10) is None  # 8-4-10 is beyond this construction


def test_roster_header_faults_are_reported_like_the_requests_csv() -> None:
    """One header check for both CSV readers: missing, unnamed and repeated columns."""
    with pytest.raises(ProblemError) as caught:
        parse_roster("id;role;;role\np1;planner;x;y\n", "r.csv")
    assert [str(e) for e in caught.value.errors] == [
        "r.csv, line 1: header: field 'group' is a required column but missing, "
        "got 'id, role, , role'",
        "r.csv, line 1: header: field 'column 3' must have a name, got ''",
        "r.csv, line 1: header: field 'role' must appear once, got 'id, role, , role'",
    ]
