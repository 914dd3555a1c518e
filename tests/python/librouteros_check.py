#!/usr/bin/env python3
"""Cross-check of the RouterOS API simulator with an independent client, librouteros 4.2.x.

Usage: librouteros_check.py HOST PORT   (user admin, empty password, RouterOS 7.18+ simulator)

Adds two PPPoE secrets, prints them with a query and .proplist, disables one and changes its
profile, removes the other, prints again, and checks a wrong password and a duplicate add give
the router's texts. Exits non-zero with a message on the first mismatch.
"""

import sys

from librouteros import connect
from librouteros.exceptions import TrapError
from librouteros.query import Key


def check(condition, message):
    if not condition:
        print(f"librouteros cross-check FAILED: {message}", file=sys.stderr)
        sys.exit(1)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    host, port = sys.argv[1], int(sys.argv[2])

    try:
        connect(host=host, port=port, username="admin", password="wrong")
        check(False, "a wrong password logged in")
    except TrapError as e:
        check(str(e) == "invalid user name or password (6)", f"wrong-password text: {e!r}")

    api = connect(host=host, port=port, username="admin", password="")
    profiles = api.path("ppp", "profile")
    profiles.add(**{"name": "lr-10M", "rate-limit": "10M/10M"})

    secrets = api.path("ppp", "secret")
    alice = secrets.add(name="lr-alice", password="a1", service="pppoe", comment="setu:1")
    bob = secrets.add(name="lr-bob", password="b2", service="pppoe", comment="setu:2")
    check(alice.startswith("*") and bob.startswith("*") and alice != bob, f"ids {alice} {bob}")

    _id, name, disabled, profile = Key(".id"), Key("name"), Key("disabled"), Key("profile")
    rows = tuple(secrets.select(_id, name, disabled, profile).where(name == "lr-alice"))
    check(
        rows == ({".id": alice, "name": "lr-alice", "disabled": False, "profile": "default"},),
        f"first print: {rows!r}",
    )
    both = tuple(secrets.select(name).where(name.In("lr-alice", "lr-bob")))
    check(sorted(r["name"] for r in both) == ["lr-alice", "lr-bob"], f"In(): {both!r}")

    secrets.update(**{".id": alice, "disabled": True, "profile": "lr-10M"})
    secrets.remove(bob)

    rows = tuple(secrets.select(name, disabled, profile).where(name == "lr-alice"))
    check(
        rows == ({"name": "lr-alice", "disabled": True, "profile": "lr-10M"},),
        f"print after set: {rows!r}",
    )
    everything = tuple(secrets)
    check([r["name"] for r in everything] == ["lr-alice"], f"print all: {everything!r}")
    check(everything[0]["comment"] == "setu:1", f"comment: {everything[0]!r}")
    gone = tuple(secrets.select(name).where(name == "lr-bob"))
    check(gone == (), f"removed secret still printed: {gone!r}")
    others = tuple(secrets.select(name).where(name != "lr-alice"))
    check(others == (), f"!= query: {others!r}")

    try:
        secrets.add(name="lr-alice")
        check(False, "a duplicate secret was added")
    except TrapError as e:
        check(
            str(e) == "failure: secret with the same name already exists",
            f"duplicate text: {e!r}",
        )

    api.close()
    print("librouteros cross-check passed")


if __name__ == "__main__":
    main()
