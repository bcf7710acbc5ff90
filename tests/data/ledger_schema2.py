"""How ledger_schema2.db was written, by seatalloc at schema 2 (commit c9f1a82), for the
migration test in test_stores_materialised.py: python ledger_schema2.py ledger_schema2.db"""

import sys

from seatalloc import Group, Policy, Problem, Quota, Request, Session
from seatalloc.booking import Ledger
from seatalloc.stores import SQLiteStore

path = sys.argv[1]
scenario = Problem(
    [Session("a", 2), Session("b", 1)],
    [Group("g"), Group("h")],
    [],
    [Quota(1, "h", release=30)],
    Policy(parties="together"),
)
ledger = Ledger.create(SQLiteStore(path), scenario, clock=lambda: 0, mode="offer", offer_window=5)
ledger.submit(
    Request("r1", "g", arrival=0, sessions=["a"], attributes={"email": "one@example.org"}), at=1
)
ledger.submit(Request("r2", "h", arrival=0, sessions=["a", "b"]), at=2)
ledger.submit(Request("r3", "h", arrival=0), at=3)
ledger.submit_party(
    [Request("p1", "g", arrival=0, party="p"), Request("p2", "g", arrival=0, party="p")], at=4
)
ledger.submit(Request("r4", "g", arrival=0, attributes={"email": "four@example.org"}), at=5)
ledger.withdraw("r1", at=6)  # r3 or the party offered
ledger.set_capacity("b", 2, at=7)
ledger.correct("r4", {"email": "four@example.net"}, at=8)
ledger.tick(at=20)  # offers expire
ledger.submit(Request("r5", "g", arrival=0), at=21)
for rid in ("r1", "r2", "r3", "p1", "p2", "r4", "r5"):
    d = ledger.decision(rid)
    print(rid, d.status.value, d.session, d.position)
print(len(ledger.events()), "events")
ledger.store.close()
