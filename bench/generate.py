"""`python -m bench.generate`: the data set generator of app.demo.generate, as a script.

    python -m bench.generate --schools 400 --teachers-per-school 50 [--migrate]
    python -m bench.generate --full            # 4,000 schools, 200,000 teachers

The same code as `flask --app wsgi demo generate` (see app/demo/generate.py); this entry
point also migrates a fresh database (--migrate) and keeps the benchmark's own names.
"""

from __future__ import annotations

import argparse
import sys

from app.demo.generate import (
    CODE_PREFIX,
    DEFAULT_SCHOOLS,
    DEFAULT_TEACHERS_PER_SCHOOL,
    FULL_SCHOOLS,
    ROSTER_SCHOOL_TEACHERS,
    ForeignData,
    GenerateReport,
    generate,
    summary,
)

__all__ = [
    "CODE_PREFIX",
    "DEFAULT_SCHOOLS",
    "DEFAULT_TEACHERS_PER_SCHOOL",
    "FULL_SCHOOLS",
    "ROSTER_SCHOOL_TEACHERS",
    "GenerateReport",
    "generate",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--schools", type=int, default=DEFAULT_SCHOOLS)
    parser.add_argument("--teachers-per-school", type=int, default=DEFAULT_TEACHERS_PER_SCHOOL)
    parser.add_argument(
        "--teachers",
        type=int,
        default=None,
        help="a national total shared by stage (instead of --teachers-per-school)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help=f"national scale: {FULL_SCHOOLS} schools, {FULL_SCHOOLS * 50:,} teachers",
    )
    parser.add_argument(
        "--roster-teachers",
        type=int,
        default=ROSTER_SCHOOL_TEACHERS,
        help="current teachers of one locally kept school (0: none bigger than the rest)",
    )
    parser.add_argument("--seed", type=int, default=115, help="random seed (deterministic)")
    parser.add_argument(
        "--plan-share",
        type=float,
        default=0.5,
        help="share of teachers in open windows who already hold a plan",
    )
    parser.add_argument("--migrate", action="store_true", help="run `db upgrade` first")
    args = parser.parse_args(argv)

    from app import create_app
    from app.extensions import db

    app = create_app()
    if args.migrate:
        from app.migrate import upgrade

        upgrade(app.config["DATABASE_URL"])
    with app.app_context():
        try:
            report = generate(
                FULL_SCHOOLS if args.full else args.schools,
                args.teachers_per_school,
                teachers=FULL_SCHOOLS * 50 if args.full else args.teachers,
                seed_value=args.seed,
                plan_share=args.plan_share,
                roster_teachers=args.roster_teachers or None,
            )
        except ForeignData as error:
            db.session.rollback()
            print(f"refused: {error}", file=sys.stderr)
            return 4
        db.session.commit()
    print("\n".join(summary(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
