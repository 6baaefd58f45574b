"""FreeRADIUS 3.2's stock PostgreSQL tables, as its schema.sql ships them.

Stock tools and rlm_sql queries keep working on these. The only addition is a nullable
`reason` on radpostauth, which stock queries never name.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import INET
from sqlalchemy.orm import Mapped, mapped_column, relationship

from radbill.models.base import Base


class _AttrRow:
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    attribute: Mapped[str] = mapped_column(sa.Text, server_default="")
    value: Mapped[str] = mapped_column(sa.Text, server_default="")


class RadCheck(_AttrRow, Base):
    __tablename__ = "radcheck"
    username: Mapped[str] = mapped_column(sa.Text, server_default="")
    op: Mapped[str] = mapped_column(sa.String(2), server_default="==")
    __table_args__ = (sa.Index("radcheck_username", "username", "attribute"),)


class RadReply(_AttrRow, Base):
    __tablename__ = "radreply"
    username: Mapped[str] = mapped_column(sa.Text, server_default="")
    op: Mapped[str] = mapped_column(sa.String(2), server_default="=")
    __table_args__ = (sa.Index("radreply_username", "username", "attribute"),)


class RadGroupCheck(_AttrRow, Base):
    __tablename__ = "radgroupcheck"
    groupname: Mapped[str] = mapped_column(sa.Text, server_default="")
    op: Mapped[str] = mapped_column(sa.String(2), server_default="==")
    __table_args__ = (sa.Index("radgroupcheck_groupname", "groupname", "attribute"),)


class RadGroupReply(_AttrRow, Base):
    __tablename__ = "radgroupreply"
    groupname: Mapped[str] = mapped_column(sa.Text, server_default="")
    op: Mapped[str] = mapped_column(sa.String(2), server_default="=")
    __table_args__ = (sa.Index("radgroupreply_groupname", "groupname", "attribute"),)


class RadUserGroup(Base):
    __tablename__ = "radusergroup"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text, server_default="")
    groupname: Mapped[str] = mapped_column(sa.Text, server_default="")
    priority: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    __table_args__ = (sa.Index("radusergroup_username", "username"),)


class RadAcct(Base):
    """Partitioned by month of acctstarttime (migration 0016): the primary key and the unique
    index include it, and radacct_keys keeps acctuniqueid unique across the months."""
    __tablename__ = "radacct"
    radacctid: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=True)
    acctsessionid: Mapped[str] = mapped_column(sa.Text)
    acctuniqueid: Mapped[str] = mapped_column(sa.Text)
    username: Mapped[str | None] = mapped_column(sa.Text)
    realm: Mapped[str | None] = mapped_column(sa.Text)
    nasipaddress: Mapped[str] = mapped_column(INET)
    nasportid: Mapped[str | None] = mapped_column(sa.Text)
    nasporttype: Mapped[str | None] = mapped_column(sa.Text)
    acctstarttime: Mapped[dt.datetime] = mapped_column(primary_key=True,
                                                       server_default=sa.func.now())
    acctupdatetime: Mapped[dt.datetime | None]
    acctstoptime: Mapped[dt.datetime | None]
    acctinterval: Mapped[int | None] = mapped_column(sa.BigInteger)
    acctsessiontime: Mapped[int | None] = mapped_column(sa.BigInteger)
    acctauthentic: Mapped[str | None] = mapped_column(sa.Text)
    connectinfo_start: Mapped[str | None] = mapped_column(sa.Text)
    connectinfo_stop: Mapped[str | None] = mapped_column(sa.Text)
    acctinputoctets: Mapped[int | None] = mapped_column(sa.BigInteger)
    acctoutputoctets: Mapped[int | None] = mapped_column(sa.BigInteger)
    calledstationid: Mapped[str | None] = mapped_column(sa.Text)
    callingstationid: Mapped[str | None] = mapped_column(sa.Text)
    acctterminatecause: Mapped[str | None] = mapped_column(sa.Text)
    servicetype: Mapped[str | None] = mapped_column(sa.Text)
    framedprotocol: Mapped[str | None] = mapped_column(sa.Text)
    framedipaddress: Mapped[str | None] = mapped_column(INET)
    framedipv6address: Mapped[str | None] = mapped_column(INET)
    framedipv6prefix: Mapped[str | None] = mapped_column(INET)
    framedinterfaceid: Mapped[str | None] = mapped_column(sa.Text)
    delegatedipv6prefix: Mapped[str | None] = mapped_column(INET)
    class_: Mapped[str | None] = mapped_column("class", sa.Text)
    __mapper_args__ = {"primary_key": [radacctid]}
    __table_args__ = (
        sa.Index("uq_radacct_acctuniqueid", "acctuniqueid", "acctstarttime", unique=True),
        sa.Index("radacct_active_session_idx", "acctuniqueid",
                 postgresql_where=sa.text("acctstoptime IS NULL")),
        sa.Index("radacct_bulk_close", "nasipaddress", "acctstarttime",
                 postgresql_where=sa.text("acctstoptime IS NULL")),
        sa.Index("radacct_start_user_idx", "acctstarttime", "username"),
        sa.Index("radacct_calss_idx", "class"),
        # ours: the online list and simultaneous-use count look up open sessions by user
        sa.Index("radacct_open_user_idx", "username",
                 postgresql_where=sa.text("acctstoptime IS NULL")),
        # report.online (migration 0010): open sessions by start, stopped ones by stop
        sa.Index("ix_radacct_open_start", "acctstarttime", "username",
                 postgresql_where=sa.text("acctstoptime IS NULL")),
        sa.Index("ix_radacct_stop", "acctstoptime", "acctstarttime", "username"),
        {"postgresql_partition_by": "RANGE (acctstarttime)"},
    )


class RadAcctKey(Base):
    """One row per session in radacct: acctuniqueid unique across every month, and the month
    (acctstarttime, radacct's partition key) that holds it. Written by radbill_acct()."""
    __tablename__ = "radacct_keys"
    acctuniqueid: Mapped[str] = mapped_column(sa.Text, primary_key=True)
    acctstarttime: Mapped[dt.datetime]


class RadPostAuth(Base):
    __tablename__ = "radpostauth"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    username: Mapped[str] = mapped_column(sa.Text)
    pass_: Mapped[str | None] = mapped_column("pass", sa.Text)
    reply: Mapped[str | None] = mapped_column(sa.Text)
    calledstationid: Mapped[str | None] = mapped_column(sa.Text)
    callingstationid: Mapped[str | None] = mapped_column(sa.Text)
    authdate: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    class_: Mapped[str | None] = mapped_column("class", sa.Text)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    __table_args__ = (
        sa.Index("radpostauth_username_idx", "username"),
        sa.Index("radpostauth_class_idx", "class"),
        # the NOC's rejects per minute read the last hour: BRIN fits an append-only log
        # (migration 0022)
        sa.Index("ix_radpostauth_authdate", "authdate", postgresql_using="brin"),
    )


class Nas(Base):
    __tablename__ = "nas"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    nasname: Mapped[str] = mapped_column(sa.Text)
    shortname: Mapped[str] = mapped_column(sa.Text)
    type: Mapped[str] = mapped_column(sa.Text, server_default="other")
    ports: Mapped[int | None] = mapped_column(sa.Integer)
    secret: Mapped[str] = mapped_column(sa.Text)
    server: Mapped[str | None] = mapped_column(sa.Text)
    # secret: FreeRADIUS' read_clients reads it in clear, so it stays here (never listed nor
    # audited). community: kept for the stock schema but always NULL; radbill keeps a router's
    # community encrypted in nas_settings.credentials (`radbill db upgrade` moves any found here)
    community: Mapped[str | None] = mapped_column(sa.Text)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # radbill's own settings for this NAS (coa port, owner, API, SNMP); the stock table stays stock
    settings: Mapped[NasSettings | None] = relationship(uselist=False, viewonly=True,
                                                         lazy="selectin")
    __table_args__ = (sa.Index("nas_nasname", "nasname"),)


class NasReload(Base):
    __tablename__ = "nasreload"
    nasipaddress: Mapped[str] = mapped_column(INET, primary_key=True)
    reloadtime: Mapped[dt.datetime]
