"""OLT drivers, one module per brand and protocol behind one interface (`base.Driver`)."""
from __future__ import annotations

from provisioning.olt.base import Access, Driver, LogEntry, OnuInfo, VlanInfo


def driver_for(brand: str, access: Access) -> Driver:
    """vsol, bdcom and dbc speak CLI only; huawei and zte SNMP unless access.protocol is 'cli'."""
    from provisioning.olt import bdcom, dbc, huawei, huawei_cli, vsol, zte, zte_cli
    cli = access.protocol == "cli"
    drivers = {"vsol": vsol.Vsol, "bdcom": bdcom.Bdcom, "dbc": dbc.Dbc,
               "huawei": huawei_cli.HuaweiCli if cli else huawei.Huawei,
               "zte": zte_cli.ZteCli if cli else zte.Zte}
    if brand not in drivers:
        raise ValueError(f"no driver for OLT brand {brand!r}")
    return drivers[brand](access)


__all__ = ["Access", "Driver", "LogEntry", "OnuInfo", "VlanInfo", "driver_for"]
