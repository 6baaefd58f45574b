"""IPv6 dual stack: IPv6 pools, delegated prefixes (issue 17).

A pool is IPv4 or IPv6; an IPv6 one says the size of the prefix each subscriber gets from it
(`prefix_length`: /64 for a link, /56 or /60 for a delegated prefix). A package may name an IPv6
pool for the link (Framed-IPv6-Pool) and one for prefix delegation (Delegated-IPv6-Prefix-Pool);
a customer may have a static link prefix (Framed-IPv6-Prefix) and a static delegated prefix
(Delegated-IPv6-Prefix), no two live customers overlapping (GiST exclusion, which also answers
"which customer holds this address"). The walled garden may have one pool of each family.

Revision ID: 0019
Revises: 0018
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401
from sqlalchemy.dialects import postgresql

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ip_pools", sa.Column("prefix_length", sa.SmallInteger(), nullable=True))
    op.drop_constraint(op.f("ck_ip_pools_ipv4_only"), "ip_pools", type_="check")
    op.create_check_constraint(
        op.f("ck_ip_pools_family_prefix"), "ip_pools",
        "(family(cidr) = 4 and prefix_length is null) or "
        "(family(cidr) = 6 and prefix_length between masklen(cidr) and 128)")
    op.drop_index("uq_ip_pools_one_suspended", table_name="ip_pools")
    op.create_index("uq_ip_pools_one_suspended", "ip_pools", [sa.text("family(cidr)")],
                    unique=True, postgresql_where=sa.text("suspended"))
    for col in ("pool6_id", "pd_pool_id"):
        op.add_column("packages", sa.Column(col, sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(f"fk_packages_{col}_ip_pools"), "packages", "ip_pools", [col],
                              ["id"], ondelete="SET NULL")
    for col in ("ipv6_prefix", "delegated_prefix"):
        op.add_column("customers", sa.Column(col, postgresql.CIDR(), nullable=True))
        op.create_check_constraint(op.f(f"ck_customers_{col}_v6"), "customers",
                                   f"{col} is null or family({col}) = 6")
        op.execute(f"ALTER TABLE customers ADD CONSTRAINT ex_customers_{col} EXCLUDE USING gist "
                   f"({col} inet_ops WITH &&) WHERE ({col} IS NOT NULL AND deleted_at IS NULL)")


def downgrade() -> None:
    for col in ("ipv6_prefix", "delegated_prefix"):
        op.drop_constraint(op.f(f"ex_customers_{col}"), "customers")
        op.drop_constraint(op.f(f"ck_customers_{col}_v6"), "customers", type_="check")
        op.drop_column("customers", col)
    for col in ("pool6_id", "pd_pool_id"):
        op.drop_constraint(op.f(f"fk_packages_{col}_ip_pools"), "packages", type_="foreignkey")
        op.drop_column("packages", col)
    op.drop_index("uq_ip_pools_one_suspended", table_name="ip_pools")
    op.execute("DELETE FROM ip_pools WHERE family(cidr) = 6")
    op.create_index("uq_ip_pools_one_suspended", "ip_pools", ["suspended"], unique=True,
                    postgresql_where=sa.text("suspended"))
    op.drop_constraint(op.f("ck_ip_pools_family_prefix"), "ip_pools", type_="check")
    op.create_check_constraint(op.f("ck_ip_pools_ipv4_only"), "ip_pools", "family(cidr) = 4")
    op.drop_column("ip_pools", "prefix_length")
