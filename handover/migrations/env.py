"""Alembic environment: the URL comes from `handover.db.alembic_config`, else the settings."""

from alembic import context
from sqlalchemy import create_engine, pool, text

from handover.config import settings
from handover.models import Base, UtcDateTime


def _render_item(kind: str, obj: object, _context: object) -> str | bool:
    # Revisions describe the stored type, so they keep working when the models change.
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


LOCK_KEY = 0x68616E64  # any number the other users of the database leave alone ("hand")
config = context.config
url = config.attributes.get("url") or settings().database_url
options = {
    "target_metadata": Base.metadata,
    "compare_type": True,
    "render_item": _render_item,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    "render_as_batch": url.startswith("sqlite"),
}

if context.is_offline_mode():
    context.configure(url=url, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()
else:
    # A plain engine: batch copies on SQLite must not run with foreign keys enforced.
    engine = create_engine(url, future=True, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Gateways starting together take turns; the later ones find nothing to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})
            context.run_migrations()
    engine.dispose()
