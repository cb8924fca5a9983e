"""Least privilege for BI tools: a login role that can read the `marts` schema and nothing else.

`python -m marketpulse grant-bi` (`make grant-bi`) is idempotent: it creates the role or resets its
password, grants USAGE on `marts` and SELECT on every table in it, and sets default privileges
so the tables dbt creates later (each build recreates them) are readable too. It grants nothing
on the raw, staging or intermediate schemas, and the role owns nothing. Postgres only: a DuckDB
file has no roles (share it read-only instead).

The password never leaves this process: libpq computes its SCRAM-SHA-256 verifier here
(`SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 / 7677, a random salt) and
only the verifier is sent, so a server logging statements logs no password (ADR 0024).
"""

from __future__ import annotations

import os
import re
from contextlib import closing

from marketpulse.warehouse import ConfigError, Warehouse

DEFAULT_ROLE = "marketpulse_bi"
READ_SCHEMAS = ("marts",)
SCRAM = "scram-sha-256"
ROLE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def bi_role_settings(env: dict[str, str] | None = None) -> tuple[str, str]:
    """The role name (MARKETPULSE_BI_ROLE) and password (MARKETPULSE_BI_PASSWORD) from the env."""
    env = dict(os.environ if env is None else env)
    role = env.get("MARKETPULSE_BI_ROLE", DEFAULT_ROLE).strip() or DEFAULT_ROLE
    if not ROLE_PATTERN.match(role):
        raise ConfigError(
            f"MARKETPULSE_BI_ROLE={role!r} is not a valid role name (lowercase letters, digits, _)"
        )
    password = env.get("MARKETPULSE_BI_PASSWORD", "")
    if not password:
        raise ConfigError(
            "MARKETPULSE_BI_PASSWORD is not set; export a password for the BI role first"
        )
    return role, password


def grant_bi(warehouse: Warehouse, role: str, password: str) -> list[str]:
    """Create or update the read-only role; returns what was done, one line per step."""
    if not warehouse.has_roles:
        raise ConfigError(
            "grant-bi needs WAREHOUSE=postgres (a DuckDB file has no roles; "
            "give BI tools the file read-only instead)"
        )
    from psycopg2 import sql
    from psycopg2.extensions import encrypt_password

    name = sql.Identifier(role)
    done: list[str] = []
    with closing(warehouse.connect(read_only=False)) as connection:
        cursor = connection.cursor()
        cursor.execute("select 1 from pg_roles where rolname = %s", (role,))
        exists = cursor.fetchone() is not None
        verb = "alter" if exists else "create"
        # An explicit algorithm: libpq hashes locally and asks the server nothing.
        verifier = encrypt_password(password, role, connection, SCRAM)
        cursor.execute(
            sql.SQL(
                verb + " role {} with login password %s nosuperuser nocreatedb nocreaterole"
            ).format(name),
            (verifier,),
        )
        done.append(f"{'updated' if exists else 'created'} login role {role}")
        cursor.execute("select current_database()")
        (database,) = cursor.fetchone()
        cursor.execute(
            sql.SQL("grant connect on database {} to {}").format(sql.Identifier(database), name)
        )
        for schema in READ_SCHEMAS:
            schema_id = sql.Identifier(schema)
            cursor.execute(sql.SQL("create schema if not exists {}").format(schema_id))
            cursor.execute(sql.SQL("grant usage on schema {} to {}").format(schema_id, name))
            cursor.execute(
                sql.SQL("grant select on all tables in schema {} to {}").format(schema_id, name)
            )
            # Tables dbt creates later (as this same user) are readable without re-running this.
            cursor.execute(
                sql.SQL(
                    "alter default privileges in schema {} grant select on tables to {}"
                ).format(schema_id, name)
            )
            done.append(f"granted select on {database}.{schema} (existing and future tables)")
        connection.commit()
    return done
