"""OLT drivers, one module per brand behind one interface (`base.Driver`)."""
from __future__ import annotations

from provisioning.olt.base import Access, Driver, OnuInfo


def driver_for(brand: str, access: Access) -> Driver:
    from provisioning.olt import bdcom, huawei, vsol, zte
    drivers = {"vsol": vsol.Vsol, "bdcom": bdcom.Bdcom, "huawei": huawei.Huawei, "zte": zte.Zte}
    if brand not in drivers:
        raise ValueError(f"no driver for OLT brand {brand!r}")
    return drivers[brand](access)


__all__ = ["Access", "Driver", "OnuInfo", "driver_for"]
