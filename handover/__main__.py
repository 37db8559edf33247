"""Command line: `python -m handover [serve | migrate | create-agent NAME | demo-agent |
privacy erase|export | reports seed]`."""

import argparse
import getpass
import sys
from collections.abc import Sequence

from handover import crud
from handover.config import settings
from handover.db import make_engine, migrate, session_factory, session_scope
from handover.models import AGENT_ROLES
from privacy import cli as privacy_cli
from reporting import seed_cli

DEMO_AGENT = ("demo", "demo-agent-password")
# And someone to try the supervisor view with: (username, password, display name, role).
DEMO_ACCOUNTS = (
    (*DEMO_AGENT, "Sam", "agent"),
    ("lead", "demo-supervisor-password", "Kim", "supervisor"),
    ("boss", "demo-manager-password", "Alex", "manager"),  # reads the dashboard
    ("tess", "demo-trainer-password", "Tess", "trainer"),  # labels what the bot missed
)
PAGES = {"manager": "dashboard", "trainer": "trainer page"}  # where each demo role signs in


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m handover", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="run the gateway (the default)")
    commands.add_parser("migrate", help="upgrade the database to the latest schema")
    create = commands.add_parser("create-agent", help="add an agent who can sign in")
    create.add_argument("username")
    create.add_argument("--password", help="at least 8 characters; asked for when left out")
    create.add_argument(
        "--skills",
        default="",
        help="comma-separated: billing, network, orders, accounts; none means every skill",
    )
    create.add_argument(
        "--capacity", type=int, help="chats at once (default: HANDOVER_DEFAULT_CAPACITY)"
    )
    create.add_argument("--display-name", help="shown to customers (default: the username)")
    create.add_argument(
        "--role",
        choices=AGENT_ROLES,
        default="agent",
        help="supervisors and admins may read every conversation; managers read the reports,"
        " trainers label what the bot missed, and neither takes chats (default: agent)",
    )
    commands.add_parser(
        "demo-agent",
        help="development only: create agent 'demo', supervisor 'lead', manager 'boss' and"
        " trainer 'tess' when missing",
    )
    privacy_cli.add_parser(commands)
    seed_cli.add_parser(commands)
    return parser


def _demo_agent() -> int:
    """Give `make run` an agent, a supervisor, a manager and a trainer to sign in with, on a
    development database: each demo account that does not exist yet (an existing one is left as
    it is)."""
    config = settings()
    if config.environment != "development":
        print("error: the demo agent exists in development only", file=sys.stderr)
        return 2
    migrate(config.database_url)
    engine = make_engine(config.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            missing = [account for account in DEMO_ACCOUNTS
                       if crud.get_agent(session, username=account[0]) is None]  # fmt: skip
            for username, password, name, role in missing:
                crud.create_agent(
                    session, username=username, password=password, skills=[],
                    capacity=config.default_capacity, display_name=name, role=role,
                )  # fmt: skip
    finally:
        engine.dispose()
    for username, password, _, role in missing:
        page = PAGES.get(role, "console")
        print(f"created the demo {role}: sign in to the {page} as {username} / {password}")
    return 0


def _create_agent(args: argparse.Namespace) -> int:
    config = settings()
    migrate(config.database_url)  # so that it works on a fresh database
    password = args.password if args.password is not None else getpass.getpass("Password: ")
    engine = make_engine(config.database_url)
    try:
        with session_scope(session_factory(engine)) as session:
            crud.create_agent(
                session,
                username=args.username,
                password=password,
                skills=[skill.strip() for skill in args.skills.split(",") if skill.strip()],
                capacity=config.default_capacity if args.capacity is None else args.capacity,
                display_name=args.display_name,
                role=args.role,
            )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(f"created {args.role} {args.username}")
    return 0


def _serve() -> int:
    # Imported here: the server's dependencies are not needed to manage the database.
    from handover.main import run

    run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.command == "create-agent":
        return _create_agent(args)
    if args.command == "demo-agent":
        return _demo_agent()
    if args.command == "privacy":
        return privacy_cli.run(args)
    if args.command == "reports":
        return seed_cli.run(args)
    if args.command == "migrate":
        migrate(settings().database_url)
        print("database is up to date")
        return 0
    return _serve()


if __name__ == "__main__":
    sys.exit(main())
