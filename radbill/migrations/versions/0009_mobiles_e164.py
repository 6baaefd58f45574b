"""Mobile numbers stored as E.164 (issue 12): every stored number phonenumbers can read
(a number without a country code read as Bangladeshi) is rewritten to +<country><number>; one
it cannot read stays as it is. An index on the reversed number finds a customer by the last
digits of theirs.

Revision ID: 0009
Revises: 0008
"""
import re

from alembic import op
import phonenumbers
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

REGION = 'BD'  # as customers.functions.customers.REGION when this was written
BATCH = 5000


def e164(value):
    """customers.functions.customers.normalise as of this revision (a migration keeps its
    own copy: the function may change later, this rewrite must not)."""
    value = re.sub(r"[\s().-]", "", value or "")
    if value.startswith("00"):
        value = "+" + value[2:]
    elif value.startswith("880") and len(value) >= 12:
        value = "+" + value
    try:
        number = phonenumbers.parse(value, REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    conn = op.get_bind()
    stored = conn.execute(sa.text(
        "select distinct mobile from customers where mobile is not null and mobile !~ '^[+][1-9]'"
    )).scalars().all()
    pairs = [(old, new) for old in stored if (new := e164(old)) and new != old]
    for at in range(0, len(pairs), BATCH):
        chunk = pairs[at:at + BATCH]
        conn.execute(sa.text(
            "update customers c set mobile = m.new from (select unnest(cast(:old as text[])) old,"
            " unnest(cast(:new as text[])) new) m where c.mobile = m.old"),
            {"old": [o for o, _ in chunk], "new": [n for _, n in chunk]})
    op.execute("CREATE INDEX ix_customers_mobile_reverse ON customers "
               "(reverse(mobile) text_pattern_ops)")


def downgrade() -> None:
    op.drop_index('ix_customers_mobile_reverse', table_name='customers')
    # the numbers stay in E.164: every earlier revision accepts them
