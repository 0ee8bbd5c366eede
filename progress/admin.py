"""For whoever deploys: set a teacher account, or reset anyone's password.

    python -m progress.admin teacher NAME     # asks for the password twice
    python -m progress.admin password NAME

The database is the app's own (DLLAB_DATABASE_URL).
"""

import argparse
import getpass
import sys

from progress import Store
from progress.accounts import AccountError, set_account


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m progress.admin", description=__doc__.split("\n")[0])
    parser.add_argument("action", choices=["teacher", "password"])
    parser.add_argument("name")
    args = parser.parse_args(argv)
    password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    if sys.stdin.isatty() and getpass.getpass("Again: ") != password:
        print("The two passwords differ.", file=sys.stderr)
        return 1
    store = Store()
    try:
        role = "teacher" if args.action == "teacher" else _role(store, args.name)
        set_account(store, args.name, password, role)
    except AccountError as problem:
        print(problem, file=sys.stderr)
        return 1
    print(f"{args.name}: {role}, password set.")
    return 0


def _role(store: Store, name: str) -> str:
    from progress.accounts import roster

    return next((a["role"] for a in roster(store) if a["name"].lower() == name.lower()), "student")


if __name__ == "__main__":
    sys.exit(main())
