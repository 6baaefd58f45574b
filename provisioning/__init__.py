"""Provisioning: how radbill touches the network (CoA, RouterOS API, SNMP, OLTs).

- `worker.py` (run by `radbill worker`) drains the outbox, whose rows are derived from events
  (radbill/events.py): each payload is its event's, plus {"event": name}. What it understands:
  disconnect/coa: {"username", ...} (sessions are looked up open in radacct), or the exact
  session {"username", "acctsessionid", "nasipaddress", "framedipaddress"}; a CoA's attributes
  as {"attributes": {"Mikrotik-Rate-Limit": "2M/4M"}} or top-level keys named like dictionary
  attributes; for customer.fup_reached the package's FUP rate, worked out when sent. notify: {"event", ...data} for the event's customer, on every configured channel
  (SMTP e-mail via RADBILL_SMTP_*, HTTP SMS gateway via RADBILL_SMS_*); the row's result keeps
  {"channels": {name: {"sent", "receipt" | "error"} or {"skipped"}}} so a retry resends only on
  the channels that have not got through.
- `coa.py` (pyrad, RFC 5176), `mikrotik.py` (routeros-api), `snmp.py` (easysnmp),
  `olt/` (a driver per brand): the device adapters, each with explicit timeouts, returning
  dataclasses and raising `errors.ProvisioningError` subclasses.
- `jobs.py`: sync_olts / poll_devices for the scheduler (`monitor.py` announces device.down and
  device.up); `functions/`: nas, router.*, olt*, onu, device*, outbox for staff (NOC and group
  admins; no money anywhere).
"""
