"""Human labels for functions, columns and form fields, declared once; names are the fallback.

`title("olt")` → "OLTs", `column("expires_at")` → "Expires", `column("operator_id")` →
"Operator". Every string is wrapped in `_()` here only as a marker for the extractor: the
templates translate at render time (`_(label)`), so the catalogue of the day applies.
Also: which columns are secondary (hidden on narrow screens), which are money, bytes or rates,
the confirmation texts of dangerous actions and the success sentences pages flash.
"""
from __future__ import annotations

from typing import Any


def _(text: str) -> str:  # marker: extracted into the catalogue, translated in the template
    return text


# function titles (menu items, page titles)
TITLES = {
    "customer": _("Customers"), "zone": _("Zones"), "card": _("Prepaid cards"),
    "bill": _("Bills"), "payment": _("Payments"), "journal": _("Journal"), "ledger": _("Ledger"),
    "nas": _("NAS / routers"), "pool": _("IP pools"), "session": _("Sessions"),
    "olt": _("OLTs"), "onu": _("ONUs"), "device": _("Devices"), "package": _("Packages"),
    "billing_profile": _("Billing profiles"), "operator": _("Operators"),
    "user": _("Staff accounts"), "api_client": _("API clients"),
    "api_request": _("API request log"), "audit": _("Audit log"), "authlog": _("Authentication log"),
    "event": _("Events"), "outbox": _("Outbox"), "suspension": _("Suspensions"),
    "checkout": _("Online payments"), "gateway": _("Payment gateways"),
    "report.cash": _("Cash report"), "report.receivable": _("Receivables"),
    "report.commission": _("Commission report"), "usage.daily": _("Daily usage"),
    "router.sessions": _("Router sessions"), "router.status": _("Router status"),
    "collect.find": _("Find a customer"),
    "bill.generate": _("Generate bills"), "bill.preview": _("Preview a bill"),
    "bill.pdf": _("Bill PDF"), "card.generate": _("Generate cards"),
    "card.vouchers": _("Print vouchers"), "customer.import": _("Import customers"),
    "customer.import_mikrotik": _("Import from MikroTik"),
    "customer.import_radbill": _("Import from radbill"), "imported_record": _("Imported history"),
    "import_mapping": _("Saved import mappings"),
    "customer.import_run": _("Import progress"),
    "operator.fund": _("Fund a reseller"), "operator.transfer": _("Transfer funds"),
    "payment.reverse": _("Reverse a payment"), "payment.verify": _("Verify a payment"),
    "payment.link": _("Payment link"), "payment.checkout": _("Online checkout"),
    "payment.confirm": _("Confirm an online payment"), "outbox.retry": _("Retry"),
    "olt.sync": _("Sync ONUs"), "olt.config": _("OLT configuration"),
    "olt.vlans": _("OLT VLANs"), "olt.log": _("OLT log"),
    "router.kick": _("Disconnect"), "router.push_profiles": _("Push profiles"),
    "router.import": _("Import from router"), "device.traffic": _("Traffic"),
    "walled_garden": _("Walled garden"), "router.push_walled_garden": _("Push walled garden"),
    "me.totp": _("Two-factor login"), "me.recovery": _("Recovery codes"),
    "session.newkey": _("One-time key"), "user.totp_reset": _("Reset two-factor"),
    "billing_profile.replace": _("Replace a billing profile"),
    "collect.day": _("Collector's day"), "report.aging": _("Aging of receivables"),
    "report.collections": _("Collections"), "report.customers": _("Customer report"),
    "report.expiring": _("Expiring soon"), "report.online": _("Online by hour"),
    "payment.receipt": _("Receipt"), "receipt.pdf": _("Receipt PDF"),
    "bill.allocations": _("Bill allocations"),
    # messages (issue 13)
    "message": _("Messages"), "template": _("Message templates"),
    "msg_gateway": _("Message gateways"), "incoming": _("Incoming messages"),
    "template.preview": _("Preview a message"), "message.retry": _("Send again"),
    "operator.messaging": _("Messaging settings"),
    "broadcast": _("Broadcasts"), "task": _("Background tasks"),
    "task.cancel": _("Cancel a task"), "otp.send": _("Send a one-time code"),
    "otp.check": _("Check a one-time code"),
    # complaints, sign-ups, package changes (issue 14)
    "complaint": _("Complaints"),
    "complaint.comment": _("Comment on a complaint"), "complaint.attach": _("Attach an image"),
    "complaint.attachment": _("Attachment"), "complaint.cost": _("Book a cost"),
    "department": _("Departments"),
    "department.delete": _("Delete departments"),
    "complaint_category": _("Complaint categories"),
    "complaint_category.delete": _("Delete complaint categories"),
    "report.complaints": _("Complaint report"),
    "report.overdue_complaints": _("Overdue complaints"),
    "signup": _("Sign-ups"), "signup.approve": _("Approve a sign-up"),
    "signup.reject": _("Reject a sign-up"), "package.change": _("Change package"),
    "package_change": _("Package changes"),
    "package_change.approve": _("Approve a package change"),
    "package_change.refuse": _("Refuse a package change"),
    "package_change.cancel": _("Cancel a package change"),
    "portal.complaints": _("Portal: my complaints"), "portal.complaint": _("Portal: a complaint"),
    "portal.complaint_new": _("Portal: new complaint"),
    "portal.complaint_reply": _("Portal: reply to a complaint"),
    "portal.complaint_close": _("Portal: close a complaint"),
    "portal.complaint_attachment": _("Portal: complaint image"),
    "portal.complaint_categories": _("Portal: complaint categories"),
    # the REST API's clients and webhooks (issue 15)
    "api_client.rotate": _("New secret for an API client"),
    "api_client.revoke": _("Revoke an API client"),
    "webhook": _("Webhooks"), "webhook_delivery": _("Webhook deliveries"),
    "webhook.redeliver": _("Send deliveries again"),
    # issue 17: custom fields, parent accounts, trials
    "custom_field": _("Custom fields"), "customer.children": _("Child accounts"),
    "customer.convert_trial": _("Convert a trial"),
    # issue 18: status checks
    "check": _("Status checks"), "check.run": _("Run checks now"), "incident": _("Incidents"),
    "incident.ack": _("Acknowledge incidents"), "announcement": _("Announcements"),
    # issue 18: Zabbix, radios, the NOC
    "zabbix": _("Zabbix servers"), "zabbix.sync": _("Sync with Zabbix"),
    "zabbix_problem": _("Zabbix problems"), "zabbix_host": _("Zabbix hosts"),
    "radio": _("Wireless radios"), "radio.poll": _("Poll radios now"),
    "radio_sample": _("Radio polls"), "radio_station": _("Radio stations"),
    "noc.rejects": _("Rejects per minute"), "noc.reject_reasons": _("Top reject reasons"),
    "noc.problem_severity": _("Zabbix problems by severity"),
    "noc.outbox": _("Outbox queue"), "noc.top_interfaces": _("Busiest interfaces"),
    "noc.wall_link": _("Wall link"),
    "router.log": _("Router log"), "router.print": _("Read-only query"),  # issue 18
    # issue 18: the topology map
    "topology": _("Topology maps"), "topology.view": _("Topology map"),
    "topology.devices": _("Devices for a map"), "topology_node": _("Map nodes"),
    "topology_node.move": _("Move a node"), "topology_link": _("Map links"),
    # issue 18: on-call staff alerts, older devices' checks, the NOC's counts, wall revocation
    "me.alerts": _("Staff alerts"), "check.adopt_devices": _("Add checks for existing devices"),
    "me.lang": _("Language"),
    "noc.down_counts": _("Devices down by kind"), "noc.down_devices": _("Devices down"),
    "noc.wall_revoke": _("Revoke wall links"),
    # issue 19: the books
    "expense": _("Expenses"), "expense.edit": _("Record an expense"),
    "expense.delete": _("Reverse expenses"), "expense.receipt": _("Expense receipt"),
    "expense_category": _("Expense categories"),
    "expense_category.delete": _("Delete expense categories"),
    "report.income_expense": _("Income vs expense"),
    "report.income_expense.pdf": _("Income vs expense PDF"),
    "report.yearly": _("Yearly summary"), "report.payable": _("Payable to resellers"),
    "report.reseller_receivable": _("Receivable from resellers"),
    "statement": _("Statement"), "statement.pdf": _("Statement PDF"),
}
# issue 18: the topology functions' help (forms show `_(help)`), marked for the catalogue
TOPOLOGY_HELP = (
    _("e.g. Core, Mirpur POP"), _("whose map (id or name); default: yours"),
    _("the map's id or name"), _("what the map shows beside it"),
    _("router, olt, radio, switch, pop or other"),
    _("a router node: the NAS it is (id or name)"), _("an OLT node: the OLT it is (id or name)"),
    _("a radio node: the radio it is (id or name)"),
    _("any node: the status check that tells its state (id or name)"),
    _("0..2000, left to right"), _("0..2000, top to bottom"), _("the node's id"),
    _("the map (id or name), to name the ends by their labels"),
    _("one end: the node's id or label"), _("the other end: the node's id or label"),
    _("e.g. the cable's or path's name"), _("fibre, wireless or copper"),
    _("bit/s: 1G, 100M, 300M"),
    _("the router's or OLT's interface whose traffic is the link's load"),
    _("which end that interface is on (its id or label; default: the end that is a router "
      "or OLT)"),
)
# issue 18: the help of the status checks' fields and parameters (forms show `_(help)`),
# marked here so the extractor keeps them in the catalogue
MONITORING_HELP = (
    _("a check's id"),
    _("check ids, comma-separated"),
    _("dns: A by default"),
    _("dns: an answer that must be among those given"),
    _("dns: the server to ask, host[:port] (empty: the system's resolver)"),
    _("failed runs in a row that open an incident (default 3)"),
    _("http(s) URL; ping: host; tcp: host:port; dns: the name to resolve; tls, snmp: host[:port]"),
    _("http: text the answer must contain"),
    _("http: the status expected (empty: any below 400)"),
    _("incident ids, comma-separated"),
    _("planned maintenance: when it ends"),
    _("planned maintenance: when it starts"),
    _("search: the check's name or target"),
    _("seconds (default 5)"),
    _("seconds between runs: 10 to 86400, a multiple of 10 (default 60)"),
    _("shown on the public status page"),
    _("snmp: the community (default public)"),
    _("the announcement's id or title"),
    _("the check's id or name"),
    _("the group it is shown under on the status page"),
    _("tls: fail when the certificate has fewer days left (default 14)"),
    _("what is being done (required)"),
    _("whose (id or name); default: yours"),
    _("whose check (id or name); default: yours"),
    _("yes: only open ones; no: only resolved"),
    # a staff login's contact details and on-call hours (user.edit, me.alerts), wall links
    _("for staff alerts by SMS (01712345678 or +8801712345678)"),
    _("for staff alerts by e-mail"),
    _("on: staff alerts (incidents, devices down) reach them by SMS and e-mail"),
    _("on call from (e.g. 20:00, the ISP's time); empty with the end: all day"),
    _("... until (e.g. 08:00; may pass midnight)"),
    _("on call on these days (mon,tue,...; empty: every day)"),
    _("the login whose wall links end (id or login); default: yours"),
)
# one thing of a list (forms: "New package", confirmations: "3 customers")
SINGULAR = {
    "customer": (_("customer"), _("customers")), "zone": (_("zone"), _("zones")),
    "card": (_("card"), _("cards")), "bill": (_("bill"), _("bills")),
    "payment": (_("payment"), _("payments")), "nas": (_("router"), _("routers")),
    "pool": (_("IP pool"), _("IP pools")), "olt": (_("OLT"), _("OLTs")),
    "onu": (_("ONU"), _("ONUs")), "device": (_("device"), _("devices")),
    "package": (_("package"), _("packages")),
    "check": (_("check"), _("checks")), "incident": (_("incident"), _("incidents")),
    "announcement": (_("announcement"), _("announcements")),
    "zabbix": (_("Zabbix server"), _("Zabbix servers")), "radio": (_("radio"), _("radios")),
    "topology": (_("map"), _("maps")), "topology_node": (_("node"), _("nodes")),
    "topology_link": (_("link"), _("links")),
    "expense": (_("expense"), _("expenses")),  # issue 19
    "expense_category": (_("expense category"), _("expense categories")),
    "billing_profile": (_("billing profile"), _("billing profiles")),
    "operator": (_("operator"), _("operators")), "user": (_("staff account"), _("staff accounts")),
    "outbox": (_("message"), _("messages")), "gateway": (_("gateway"), _("gateways")),
    "message": (_("message"), _("messages")), "template": (_("template"), _("templates")),
    "msg_gateway": (_("message gateway"), _("message gateways")),
    "task": (_("task"), _("tasks")),
    "complaint": (_("complaint"), _("complaints")),
    "department": (_("department"), _("departments")),
    "complaint_category": (_("complaint category"), _("complaint categories")),
    "signup": (_("sign-up"), _("sign-ups")),
    "package_change": (_("package change"), _("package changes")),
    "walled_garden": (_("walled garden host"), _("walled garden hosts")),
    "api_client": (_("API client"), _("API clients")),
    "webhook": (_("webhook"), _("webhooks")),
    "webhook_delivery": (_("delivery"), _("deliveries")),
    "custom_field": (_("custom field"), _("custom fields")),
}
# action verbs (buttons)
VERBS = {
    "delete": _("Delete"), "suspend": _("Suspend"), "resume": _("Resume"),
    "disable": _("Disable"), "enable": _("Enable"), "restore": _("Restore"),
    "retry": _("Retry"), "sync": _("Sync"), "fund": _("Fund"), "transfer": _("Transfer"),
    "reverse": _("Reverse"), "verify": _("Verify"), "kick": _("Disconnect"),
    "status": _("Status"), "sessions": _("Sessions"), "push_profiles": _("Push profiles"),
    "import": _("Import"), "config": _("Configuration"), "totp_reset": _("Reset two-factor"),
    "replace": _("Replace"), "generate": _("Generate"), "vouchers": _("Vouchers"),
    "traffic": _("Traffic"), "pdf": _("PDF"), "preview": _("Preview"), "link": _("Payment link"),
    "messaging": _("Messaging settings"), "cancel": _("Cancel"),
    "approve": _("Approve"), "reject": _("Reject"), "refuse": _("Refuse"),
    "comment": _("Comment"), "attach": _("Attach"), "change": _("Change"),
    "push_walled_garden": _("Push walled garden"),
    "revoke": _("Revoke"), "rotate": _("New secret"), "redeliver": _("Send again"),
    "run": _("Run now"), "ack": _("Acknowledge"), "adopt_devices": _("Add checks"),
    "wall_revoke": _("Revoke wall links"),
}
# past participles for success sentences ("Customer alice suspended")
DONE = {
    "delete": _("deleted"), "suspend": _("suspended"), "resume": _("resumed"),
    "disable": _("disabled"), "enable": _("enabled"), "restore": _("restored"),
    "retry": _("queued again"), "sync": _("synchronised"), "fund": _("funded"),
    "reverse": _("reversed"), "verify": _("verified"), "kick": _("disconnected"),
    "totp_reset": _("reset"), "push_profiles": _("updated"), "cancel": _("cancelled"),
    "approve": _("approved"), "reject": _("rejected"), "refuse": _("refused"),
    "push_walled_garden": _("updated"),
    "revoke": _("revoked"), "rotate": _("given a new secret"), "redeliver": _("queued again"),
    "run": _("checked"), "ack": _("acknowledged"), "wall_revoke": _("revoked"),
}
# what a dangerous action does, for its confirmation ("Suspend 3 customers: ...")
EFFECTS = {
    "customer.suspend": _("they are disconnected and held in the suspension pool until resumed "
                          "or paid"),
    "customer.disable": _("they are disconnected and every login is refused until enabled"),
    "customer.delete": _("they are disconnected and removed from every list (restore brings "
                         "them back with their history)"),
    "customer.resume": _("they may connect again at once"),
    "customer.enable": _("they may connect again at once"),
    "outbox.retry": _("the worker sends them again"),
    "message.retry": _("they are queued and sent again through their gateway"),
    "api_client.revoke": _("its token and its access tokens stop working at once; whatever "
                           "uses it fails until given a new client"),
    "api_client.rotate": _("the old secret and its access tokens stop working at once; the new "
                           "one is shown once"),
    "check.adopt_devices": _("each of your routers, OLTs and radios without a status check gets "
                             "the 60-second ping check a new device gets"),
    "noc.wall_revoke": _("every wall link the login made stops at its screen's next refresh"),
}
DESTRUCTIVE = ("delete", "disable", "suspend", "reverse", "kick", "totp_reset", "revoke",
               "rotate")

# column and field labels; per function first ("bill": {"total": ...}), then for every list
COLUMNS: dict[str, str] = {
    "id": _("ID"), "username": _("Username"), "name": _("Name"), "mobile": _("Mobile"),
    "email": _("Email"), "mac": _("MAC"), "static_ip": _("Static IP"), "status": _("Status"),
    "package": _("Package"), "expires_at": _("Expires"), "advance_balance": _("Advance"),
    "last_seen_at": _("Last seen"), "created_at": _("Created"), "updated_at": _("Updated"),
    "operator": _("Operator"), "operator_id": _("Operator"), "customer": _("Customer"),
    "customer_id": _("Customer"), "package_id": _("Package"), "zone": _("Zone"),
    "zone_id": _("Zone"), "billing_profile": _("Billing profile"), "service": _("Service"),
    "address": _("Address"), "notes": _("Notes"), "note": _("Note"), "password": _("Password"),
    "price": _("Price"), "wholesale_price": _("Wholesale price"), "amount": _("Amount"),
    "total": _("Total"), "balance": _("Balance"), "due": _("Due"), "paid": _("Paid"),
    "applied": _("Applied"), "to_advance": _("To advance"), "method": _("Method"),
    "rate_down": _("Download"), "rate_up": _("Upload"), "download_rate": _("Download"),
    "upload_rate": _("Upload"), "fup_rate_down": _("FUP download"), "fup_rate_up": _("FUP upload"),
    "data_cap": _("Data cap"), "fup_pool": _("FUP pool"), "pool": _("IP pool"),
    "pool6": _("IPv6 pool"), "pd_pool": _("IPv6 delegated pool"),
    "extend_days": _("Extend expiry by days"),
    "pool6_id": _("IPv6 pool"), "pd_pool_id": _("IPv6 delegated pool"),
    "prefix_length": _("Prefix length"), "ipv6_prefix": _("IPv6 prefix"),
    "delegated_prefix": _("Delegated IPv6 prefix"),
    "hotspot": _("Hotspot"), "time_limit": _("Time limit"), "data_limit": _("Data limit"),
    "online": _("Sold online"), "auto_approve": _("Approve sign-ups at once"),
    "change_approval": _("Changes need approval"),
    "validity_days": _("Validity (days)"), "period": _("Period"), "at": _("When"),
    "actor": _("By"), "func": _("Action"), "object_type": _("Type"), "object_id": _("Object"),
    "object_name": _("Object"), "before": _("Before"), "after": _("After"),
    "request": _("API call"), "ip": _("IP address"), "kind": _("Kind"),
    "payload": _("Details"), "attempts": _("Attempts"), "next_attempt_at": _("Next attempt"),
    "last_error": _("Last error"), "result": _("Result"), "done_at": _("Done"),
    "reason": _("Reason"), "from_state": _("From"), "to_state": _("To"), "login": _("Login"),
    "role": _("Role"), "parent": _("Parent"), "parent_operator": _("Parent operator"),
    "credit_limit": _("Credit limit"), "vat_percent": _("VAT percent"),
    "require_2fa": _("Require 2FA"),
    "authdate": _("When"), "reply": _("Answer"), "callingstationid": _("MAC"),
    "calledstationid": _("NAS port"), "nasipaddress": _("NAS"), "framedipaddress": _("IP"),
    "acctstarttime": _("Started"), "acctstoptime": _("Stopped"), "acctsessiontime": _("Time"),
    "acctinputoctets": _("Upload"), "acctoutputoctets": _("Download"),
    "acctterminatecause": _("Cause"), "secret": _("Secret"), "nasname": _("Address"),
    "shortname": _("Short name"), "description": _("Description"), "enabled": _("Enabled"),
    "issued_at": _("Issued"), "due_date": _("Due date"), "period_start": _("From"),
    "period_end": _("To"), "lines": _("Lines"), "serial": _("Serial"), "pin": _("PIN"),
    "batch": _("Batch"), "used_at": _("Used"), "valid_until": _("Valid until"),
    "received_at": _("Received"), "reference": _("Reference"), "reversed_at": _("Reversed"),
    "elid": _("Record"), "dedupe_key": _("Key"), "type": _("Type"), "event": _("Event"),
    "host": _("Host"), "port": _("Port"), "model": _("Model"), "vendor": _("Vendor"),
    "rx_power": _("RX power"), "tx_power": _("TX power"), "up": _("Up"), "down": _("Down"),
    # OLT logs, VLANs, temperatures (issue 18)
    "temperature": _("Temperature"), "protocol": _("Protocol"), "vlans_at": _("VLANs read"),
    "vlans_error": _("VLAN read error"), "vlan_id": _("VLAN"), "ports": _("Ports"),
    "refresh": _("Read again"), "limit": _("How many"),
    "start": _("From"), "end": _("To"), "first": _("First"), "last": _("Last"),
    "discount_percent": _("Discount percent"), "custom_price": _("Custom price"),
    "commission_percent": _("Commission percent"), "commission_fixed": _("Commission (fixed)"),
    "allow_shared_mobile": _("Shared mobiles"), "totp_enabled": _("Two-factor"),
    "language": _("Language"), "invoice": _("Invoice"), "gateway": _("Gateway"),
    "currency": _("Currency"), "sim_use": _("Simultaneous use"), "parent_id": _("Parent"),
    "level": _("Level"), "status_reason": _("Status reason"), "payment_id": _("Payment"),
    "fee": _("Fee"),
    # list-only columns (no table column or parameter names them, so the extractor cannot)
    "cards_redeemed": _("Cards redeemed"), "card_value": _("Card value"),
    "amount_collected": _("Amount collected"), "earned": _("Earned"), "net": _("Net"),
    "to_hand_over": _("To hand over"), "seconds": _("Seconds"), "bytes_down": _("Bytes down"),
    "bytes_up": _("Bytes up"), "metric": _("Metric"), "customers": _("Customers"),
    "payments": _("Payments"), "collector": _("Collector"), "bucket": _("Days past due"),
    "cash_in": _("Cash in"), "cash_out": _("Cash out"), "oldest_due": _("Oldest due"),
    # messages (issue 13)
    "channel": _("Channel"), "lang": _("Language"), "subject": _("Subject"), "body": _("Text"),
    "source": _("Source"), "recipient": _("Recipient"), "segments": _("SMS parts"),
    "cost": _("Cost"), "gateway_ref": _("Gateway's message ID"), "sent_at": _("Sent"),
    "delivered_at": _("Delivered"), "rate_per_second": _("Messages per second"),
    "config": _("Settings"), "credentials": _("Credentials set"), "webhook": _("Webhook address"),
    "sender": _("Sender"), "quiet_start": _("Quiet from"), "quiet_end": _("Quiet until"),
    "notify_channels": _("Tell customers by"), "low_balance": _("Low-balance alert below"),
    "due_reminder_days": _("Reminder days before due"),
    "expiry_notice_days": _("Expiry notice days"), "variables": _("Variables"),
    "channels_in_force": _("Channels in force"), "encoding": _("Encoding"),
    "characters": _("Characters"), "gateway_id": _("Gateway"), "broadcast": _("Broadcast"),
    # broadcasts and background tasks (issue 13; list-only columns)
    "created_by": _("Created by"), "filters": _("Filters"), "template": _("Template"),
    "text": _("Text"), "recipients": _("Recipients"), "queued": _("Queued"),
    "sending": _("Sending"), "sent": _("Sent"), "delivered": _("Delivered"),
    "failed": _("Failed"), "progress": _("Progress"), "task_id": _("Task"),
    "task_status": _("Task status"), "title": _("Title"), "done": _("Done"),
    "items": _("Items"), "started_at": _("Started"), "heartbeat_at": _("Last heartbeat"),
    "finished_at": _("Finished"), "due_above": _("Owing more than"),
    "expiring_within": _("Expiring within (days)"), "confirm": _("Confirm"),
    "purpose": _("Purpose"), "code": _("Code"),
    # message gateways' settings and credentials (messaging/drivers/)
    "url": _("URL"), "params": _("Parameters"),
    "to_format": _("Number format"), "sender_id": _("Sender ID"), "sid": _("SID"),
    "phone_number_id": _("Phone number ID"), "api_version": _("API version"),
    "verify_token": _("Verify token"), "account_sid": _("Account SID"),
    "status_callback": _("Status callback address"), "security": _("Connection security"),
    "from_address": _("From address"), "from_name": _("From name"), "chat_id": _("Chat ID"),
    "api_key": _("API key"), "api_token": _("API token"), "api_secret": _("API secret"),
    "token": _("Token"), "app_secret": _("App secret"), "auth_token": _("Auth token"),
    "user": _("User name"), "bot_token": _("Bot token"),
    # complaints (issue 14)
    "deadline": _("Deadline"), "late": _("Late"), "target_hours": _("Target (hours)"),
    "technical": _("Technical"), "portal": _("On the portal"), "assignee": _("Assigned to"),
    "priority": _("Priority"), "category": _("Category"), "category_id": _("Category"),
    "department": _("Department"), "department_id": _("Department"), "message": _("Message"),
    "complaint": _("Complaint"),
    "filename": _("File name"), "author": _("By"), "comments": _("Comments"),
    "attachments": _("Attachments"), "costs": _("Costs"), "cost_total": _("Total cost"),
    "acknowledged_at": _("Acknowledged"), "resolved_at": _("Resolved"),
    "closed_at": _("Closed"), "customer_name": _("Customer's name"),
    "by_customer": _("From the customer"), "content_type": _("File type"), "size": _("Size"),
    "ledger_txn_id": _("Ledger entry"), "archive": _("Closed ones"), "q": _("Search"),
    "ack_median_hours": _("Median hours to acknowledge"),
    "ack_p90_hours": _("90th percentile hours to acknowledge"),
    "resolve_median_hours": _("Median hours to resolve"),
    "resolve_p90_hours": _("90th percentile hours to resolve"), "group": _("Group by"),
    "by": _("By"), "from": _("From"), "to": _("To"),
    # sign-ups and package changes (issue 14)
    "national_id": _("National ID"), "verified_at": _("Verified"), "decided_by": _("Decided by"),
    "decided_at": _("Decided"), "from_package_id": _("From package"),
    "to_package_id": _("To package"), "from_package": _("From package"),
    "to_package": _("To package"), "effective_on": _("Effective on"), "bill_id": _("Bill"),
    "requested_by": _("Requested by"), "date": _("Date"),
    # the hotspot walled garden (issue 14): a push's rows and its counts
    "action": _("Action"), "added": _("Added"), "removed": _("Removed"),
    "updated": _("Updated"), "unchanged": _("Unchanged"),
    # a package change's preview (issue 14): what a reseller pays its parent for an upgrade
    "wholesale": _("Wholesale difference"),
    # issue 17: custom field definitions, trials
    "label": _("Label"), "choices": _("Options"), "required": _("Required"),
    "is_unique": _("Unique"), "unique": _("Unique"), "searchable": _("Searchable"),
    "in_list": _("Shown in the list"), "position": _("Position"),
    "trial_days": _("Trial days"), "billing_from": _("Billed from"),
    # issue 18: status checks, incidents, announcements
    "target": _("Target"), "interval": _("Every (seconds)"),
    "failures": _("Failures before an incident"), "timeout": _("Timeout (seconds)"),
    "expect_status": _("Expected HTTP status"), "expect_body": _("Expected text"),
    "dns_server": _("DNS server"), "record_type": _("Record type"),
    "expect_answer": _("Expected answer"), "warn_days": _("Warn days before expiry"),
    "component": _("Status page group"), "state": _("State"), "last_ms": _("Response (ms)"),
    "uptime_24h": _("Uptime 24 h, percent"), "last_at": _("Last run"), "check": _("Check"),
    "opened_at": _("Opened"), "duration_seconds": _("Duration (seconds)"), "cause": _("Cause"),
    "acked_at": _("Acknowledged"), "acked_by": _("Acknowledged by"),
    "ack_note": _("Acknowledgement note"), "starts_at": _("Starts"), "ends_at": _("Ends"),
    "community": _("SNMP community"),
    "forget": _("Forget credentials"),  # olt.edit, nas.edit: write-only credentials to drop
    # issue 18: Zabbix servers and radios
    "token_set": _("Token set"), "version": _("Version"),
    "last_sync_at": _("Last sync"), "last_ok_at": _("Last good answer"),
    "server": _("Server"), "server_id": _("Server"), "eventid": _("Event"),
    "severity": _("Severity"), "severity_name": _("Severity"), "hosts": _("Hosts"),
    "clock": _("Since"), "suppressed": _("Suppressed"), "opdata": _("Operational data"),
    "hostid": _("Host id"), "available": _("Availability"), "seen_at": _("Seen"),
    "signal": _("Signal (dBm)"), "noise": _("Noise (dBm)"), "ccq": _("CCQ, percent"),
    "snr": _("SNR (dB)"), "tx_rate": _("TX rate (kbit/s)"), "rx_rate": _("RX rate (kbit/s)"),
    "cpu": _("CPU, percent"), "memory": _("Memory, percent"), "stations": _("Stations"),
    "firmware": _("Firmware"), "ssid": _("SSID"), "last_poll_at": _("Last poll"),
    "mode": _("Mode"), "frequency": _("Frequency"),
    "credentials_set": _("Credentials set"), "http_port": _("HTTP port"), "https": _("HTTPS"),
    "snmp_port": _("SNMP port"), "poll_interval": _("Poll every (seconds)"),
    "distance": _("Distance (m)"), "rejects": _("Rejects"), "minute": _("Minute"),
    "oldest": _("Oldest"), "oldest_seconds": _("Oldest (seconds)"),
    "next_attempt": _("Next attempt"), "if_name": _("Interface"),
    # issue 18: the topology map
    "map": _("Map"), "map_id": _("Map"), "node_a": _("One end"), "node_b": _("Other end"),
    "capacity": _("Capacity"), "interface": _("Interface"), "interface_at": _("Interface on"),
    "if_node_id": _("Interface on"), "nas_id": _("Router"), "olt_id": _("OLT"),
    "radio_id": _("Radio"), "check_id": _("Check"), "router": _("Router"), "radio": _("Radio"),
    "nodes": _("Nodes"), "links": _("Links"), "x": "x", "y": "y",
    # issue 18: a staff login's on-call setting; the NOC's device counts
    "on_call": _("On call"), "on_call_start": _("On call from"),
    "on_call_end": _("On call until"), "on_call_days": _("On-call days"),
    "wall_generation": _("Wall link generation"), "since": _("Since"),
    # issue 19: the books
    "spent_on": _("Date"), "paid_from": _("Paid from"), "receipt": _("Receipt"),
    "receipt_name": _("Receipt"), "transaction_id": _("Ledger entry"), "month": _("Month"),
    "income": _("Income"), "expenses": _("Expenses"), "costs": _("Other costs"),
    "profit": _("Profit"), "received": _("Received"), "card_sales": _("Card sales"),
    "card_commission": _("Card commission"), "share": _("Share, percent"),
    "owed": _("Owed"), "available": _("Available"), "last_payment": _("Last payment"),
    "last_movement": _("Last movement"), "debit": _("Debit"), "credit": _("Credit"),
    "day": _("Date"), "account": _("Account"), "year": _("Year"), "language": _("Language"),
    "m01": _("January"), "m02": _("February"), "m03": _("March"), "m04": _("April"),
    "m05": _("May"), "m06": _("June"), "m07": _("July"), "m08": _("August"),
    "m09": _("September"), "m10": _("October"), "m11": _("November"), "m12": _("December"),
}
# issue 19: filings (VAT, BTRC, collector cash) and approvals of large manual credits
TITLES.update({
    "report.vat": _("VAT report"), "report.vat_file": _("VAT report file"),
    "report.collector_cash": _("Collector cash"),
    "report.collector_cash_file": _("Collector cash file"),
    "report.btrc": _("BTRC subscriber report"), "report.btrc_file": _("BTRC report file"),
    "btrc.settings": _("BTRC report fields"), "approval": _("Approvals"),
    "approval.approve": _("Approve a credit"), "approval.reject": _("Reject a credit"),
    "approval.threshold": _("Approval threshold"),
})
COLUMNS.update({
    "vat_rate": _("VAT rate"), "taxable": _("Taxable amount"), "collected": _("Collected"),
    "vat_collected": _("VAT collected"), "collector_id": _("Collector"),
    "reversals": _("Reversals"), "reversed": _("Reversed"), "section": _("Category"),
    "item": _("Item"), "subscribers": _("Subscribers"), "sl": _("SL"), "nid": _("NID"),
    "area": _("Area"), "district": _("District"), "connection_type": _("Connection type"),
    "bandwidth_mbps": _("Bandwidth (Mbps)"), "connection_date": _("Connection date"),
    "summary": _("What"), "threshold": _("Approval threshold"), "requester": _("Asked by"),
    "decider": _("Decided by"), "requested_at": _("Asked"), "may_decide": _("Yours to decide"),
    "nid_field": _("National ID field"), "area_field": _("Area field"),
    "district_field": _("District field"), "connection_field": _("Connection type field"),
    "applies": _("Threshold that applies"), "pending": _("Waiting request"),
    "booked": _("Booked"),
})
# the help of their parameters (forms show `_(help)`), marked for the catalogue
FILINGS_HELP = (
    _("the operator (id or name; default yours)"),
    _("credits above it wait for a second login; empty: none of its own"),
    _("the operator (default yours)"),
    _("custom field holding the national ID (empty: the NID column)"),
    _("custom field holding the area (empty: the zone)"),
    _("custom field holding the district"),
    _("custom field holding the connection type (empty: derived)"),
)
PER_FUNCTION: dict[str, dict[str, str]] = {
    "package": {"name": _("Package")},
    "operator": {"name": _("Operator")},
    "suspension": {"at": _("When"), "note": _("Reason given")},
    "msg_gateway": {"from": _("From number"), "key": _("API key"), "method": _("HTTP method"),
                    "ok": _("Success text")},
    "complaint": {"public": _("Shown to the customer"), "data": _("Image")},
    "report.complaints": {"key": _("Group"), "volume": _("Complaints"),
                          "acknowledged": _("Acknowledged"), "resolved": _("Resolved")},
    "api_client": {"key": _("Client ID"), "scopes": _("Scopes"), "networks": _("Allowed networks"),
                   "rate_limit": _("Requests a minute"), "last_used_at": _("Last used"),
                   "revoked_at": _("Revoked")},
    "api_request": {"method": _("HTTP method"), "status": _("HTTP status"), "path": _("Path"),
                    "client": _("API client"), "client_id": _("API client"),
                    "duration_ms": _("Duration (ms)")},
    "imported_record": {"kind": _("Record"), "number": _("Number"), "on_date": _("Date"),
                        "period_from": _("Period from"), "period_to": _("Period to"),
                        "method": _("Method"), "bill_id": _("Opening bill")},
    "customer.import_radbill": {"source": _("Backup folder")},
}
SUFFIXES = (("_at", ""), ("_id", ""), ("_percent", " percent"))
ACRONYMS = {"ip": "IP", "mac": "MAC", "nas": "NAS", "vat": "VAT", "olt": "OLT", "onu": "ONU",
            "fup": "FUP", "sms": "SMS", "pin": "PIN", "id": "ID", "api": "API", "url": "URL",
            "csv": "CSV", "pdf": "PDF", "totp": "TOTP", "snmp": "SNMP", "pppoe": "PPPoE"}


def humanize(name: str) -> str:
    """A label from a name nobody declared: expires_at → Expires, operator_id → Operator."""
    base = name
    tail = ""
    for suffix, replacement in SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base, tail = base[:-len(suffix)], replacement
            break
    words = [ACRONYMS.get(w, w) for w in base.replace(".", "_").split("_") if w]
    if not words:
        return name
    first = words[0] if words[0].isupper() else words[0].capitalize()
    return " ".join([first] + words[1:]) + tail


def column(name: str, func: str | None = None) -> str:
    base = (func or "").split(".")[0]
    return (PER_FUNCTION.get(func or "", {}).get(name) or PER_FUNCTION.get(base, {}).get(name)
            or COLUMNS.get(name) or humanize(name))


def title(func: str) -> str:
    if func in TITLES:
        return TITLES[func]
    if func.endswith(".edit"):
        return form_title(func, None)
    base, _sep, verb = func.rpartition(".")
    if base and verb in VERBS:
        return f"{VERBS[verb]} {noun(base, 2)}" if base in SINGULAR else VERBS[verb]
    return humanize(func)


def noun(base: str, count: int = 1) -> str:
    one, many = SINGULAR.get(base, (humanize(base).lower(), humanize(base).lower() + "s"))
    return one if count == 1 else many


def form_title(func: str, elid: Any) -> str:
    if func.endswith(".edit"):
        what = noun(func[:-5])
        return f"Edit {what} #{elid}" if elid else f"New {what}"
    return title(func)


def verb(func: str) -> str:
    action = func.rsplit(".", 1)[-1]
    return VERBS.get(action) or humanize(action)


def destructive(func: str) -> bool:
    return func.rsplit(".", 1)[-1] in DESTRUCTIVE


# ---- how a column is shown --------------------------------------------------------------------
MONEY = {"price", "wholesale_price", "amount", "total", "balance", "advance_balance", "due",
         "paid", "applied", "to_advance", "credit_limit", "custom_price", "commission_fixed",
         "fee", "cost", "available", "debit", "credit", "owed", "vat", "subtotal", "discount",
         "earned", "reversed", "net", "cash", "card_value", "cash_collected",
         # issue 19: the books
         "income", "expenses", "costs", "profit", "received", "card_sales", "card_commission",
         "cash_in", "cash_out"}
MONEY |= {"taxable", "collected", "vat_collected", "threshold", "applies"}  # issue 19
BYTES = {"acctinputoctets", "acctoutputoctets", "data_cap", "bytes_in", "bytes_out", "octets",
         "download", "upload", "bytes", "used_bytes", "input_octets", "output_octets"}
RATES = {"rate_down", "rate_up", "fup_rate_down", "fup_rate_up", "download_rate", "upload_rate",
         "burst_down", "burst_up"}
NOT_RATES = {"rate_per_second"}  # a message gateway's throttle: messages a second, no bit rate
STATUS = {"status", "state", "to_state", "from_state", "reply", "kind", "task_status",
          "priority"}
# columns to hide below a width: "wide" (< 1200 px), "mid" (< 900 px); phones show cards
SECONDARY = {
    "wide": {"created_at", "updated_at", "last_seen_at", "static_ip", "mac", "payload", "result",
             "next_attempt_at", "done_at", "attempts", "request", "description", "notes",
             "callingstationid", "calledstationid", "dedupe_key", "fup_pool", "fup_rate_down",
             "fup_rate_up", "wholesale_price", "pool", "billing_profile", "address", "email",
             "pool6", "pd_pool", "ipv6_prefix", "delegated_prefix"},
    "mid": {"mobile", "zone", "id", "operator", "operator_id", "service", "validity_days",
            "data_cap", "last_error", "hotspot", "time_limit", "data_limit", "online"},
}


# columns holding a code (a role, an operator's level, a report's metric): shown by its label
CODED = {"role", "level", "metric", "method", "by", "bucket", "channel", "source", "lang"}
VALUES: dict[str, dict[str, str]] = {
    "role": {"admin": _("admin"), "group_admin": _("group_admin"), "operator": _("operator"),
             "sub_operator": _("sub_operator"), "manager": _("manager"), "noc": _("noc"),
             "card_distributor": _("card_distributor")},
    "level": {"group": _("group"), "operator": _("operator"), "sub": _("sub-operator")},
    "metric": {"active": _("active"), "suspended": _("suspended"), "disabled": _("disabled"),
               "fup": "FUP", "expired": _("expired"), "online": _("online"),
               "new_month": _("new this month"), "suspended_month": _("suspended this month"),
               "deleted_month": _("deleted this month"), "expiring_7d": _("expiring in 7 days")},
    "method": {"cash": _("cash"), "card": _("card"), "online": _("online"),
               "advance": _("advance"), "total": _("total")},
    "bucket": {"not due": _("not due"), "total": _("total")},
    # messages (issue 13): channels, a template's source, a wording's language
    "channel": {"sms": _("sms"), "whatsapp": _("whatsapp"), "email": _("email"),
                "telegram": _("telegram")},
    "source": {"custom": _("custom"), "inherited": _("inherited"), "default": _("default"),
               "staff": _("staff"), "portal": _("portal"),
               "auto": _("automatic")},  # a walled garden host every router gets by itself
    "lang": {"en": _("en"), "bn": _("bn")},
    # statuses are badges (fmt.badge translates the value itself): declared here for the
    # catalogue. A message's, a background task's (also a broadcast's task_status)
    "status": {"queued": _("queued"), "sending": _("sending"), "sent": _("sent"),
               "delivered": _("delivered"), "failed": _("failed"), "running": _("running"),
               "done": _("done"), "cancelled": _("cancelled"),
               # a complaint's (fmt.badge shows in_progress as "in progress")
               "open": _("open"), "acknowledged": _("acknowledged"),
               # a status check's state (issue 18)
               "up": _("up"), "down": _("down"), "unknown": _("unknown"),
               "in_progress": _("in progress"), "resolved": _("resolved"), "closed": _("closed"),
               # a sign-up's, a package change's
               "pending": _("pending"), "approved": _("approved"), "rejected": _("rejected"),
               "scheduled": _("scheduled"), "applied": _("applied"), "refused": _("refused")},
    # badges too: a complaint's priority, a package change's kind
    "priority": {"low": _("low"), "normal": _("normal"), "high": _("high"),
                 "urgent": _("urgent")},
    "kind": {"upgrade": _("upgrade"), "downgrade": _("downgrade"),
             # a custom field's (issue 17)
             "text": _("text"), "number": _("number"), "date": _("date"), "choice": _("choice")},
    "by": {"department": _("department"), "category": _("category"), "period": _("period")},
    # a walled garden push's rows (devices/walled_garden.html translates them): the dry run's
    # actions, then the push's
    "action": {"add": _("add"), "remove": _("remove"), "update": _("update"),
               "unchanged": _("unchanged"), "added": _("added"), "removed": _("removed"),
               "updated": _("updated")},
    "group": {"day": _("day"), "week": _("week"), "month": _("month")},
    # a message template's event: the staff alerts' wording is "alert" (issue 18), the rest are
    # event names, shown as they are
    "event": {"alert": _("alert")},
}
CODED.add("event")


def value_label(column: str, value: str) -> str:
    """The label of a coded value (the msgid a template translates): role, level, metric..."""
    return VALUES.get(column, {}).get(value, value)


def kind_of(name: str, fn=None) -> str:
    """money, bytes, rate, status, code or plain."""
    if name in RATES or ((name.endswith("_rate") or name.startswith("rate_"))
                         and name not in NOT_RATES):
        return "rate"
    if name in BYTES or name.endswith("_octets") or name.endswith("_bytes"):
        return "bytes"
    if name in STATUS:
        return "status"
    if name in MONEY or (fn is not None and name in getattr(fn, "money_fields", ())):
        return "money"
    if name in CODED:
        return "code"
    return "plain"


def hide_class(name: str) -> str:
    for width, names in SECONDARY.items():
        if name in names:
            return f"hide-{width}"
    return ""


# ---- success sentences ------------------------------------------------------------------------
def tr(text: str) -> str:
    """Translate now (a flashed sentence is built in Python)."""
    from admin.fmt import _t
    return _t(text)


# sentences for answers with figures (extra's keys; money already formatted, lists counted)
SENTENCES = {
    "bill.generate": _("{bills} bills generated, {total} in all"),
    "card.generate": _("{count} cards generated in batch {batch}"),
    "operator.fund": _("Operator {who} funded: {available} available"),
    "router.kick": _("{who}: {removed} session(s) disconnected"),
    "olt.sync": _("{who} synchronised: {onus} ONUs"),
    "olt.vlans": _("{who}: {vlans} VLANs read"),
}


def success(func: str, sent: dict[str, str], extra: dict, names: list[str], money) -> str:
    """What happened, as a sentence: "Payment of 1,200.00 BDT recorded for Rahim Akter"."""
    base, _sep, action = func.rpartition(".")
    if extra.get("status") == "pending" and extra.get("pending"):  # issue 19: approvals
        return tr(_("Not booked yet: request {pending} for {amount} waits for a second staff "
                    "login's approval")).format(pending=extra["pending"],
                                                amount=money(extra.get("amount")))
    if func in SENTENCES and extra:
        values = {k: (len(v) if isinstance(v, list) else money(v) if kind_of(k) == "money" else v)
                  for k, v in extra.items()}
        try:
            text = tr(SENTENCES[func]).format(who=names[0] if names else "", **values)
        except (KeyError, IndexError, ValueError):
            text = None
        if text:
            rest = {k: v for k, v in extra.items() if "{" + k + "}" not in SENTENCES[func]}
            details = describe(rest, money)
            return f"{text}. {details}".strip() if details else text
    if func == "payment.edit" and sent.get("amount"):
        who = names[0] if names else sent.get("customer", "")
        return tr(_("Payment of {amount} recorded for {who}")).format(
            amount=money(sent["amount"]), who=who).strip()
    if func.endswith(".edit"):
        what = tr(noun(base))
        who = names[0] if names else ""
        created = not sent.get("elid")
        text = tr(_("{what} {who} created") if created else _("{what} {who} saved")).format(
            what=what[:1].upper() + what[1:], who=who)
        return " ".join(text.split())
    if base and action in DONE:
        count = len(names)
        if count == 1:
            text = tr(_("{what} {who} {done}")).format(
                what=tr(noun(base)).capitalize(), who=names[0], done=tr(DONE[action]))
        elif count:
            text = tr(_("{count} {what} {done}")).format(
                count=count, what=tr(noun(base, count)), done=tr(DONE[action]))
        else:
            text = tr(_("{action}: done")).format(action=tr(verb(func)))
    else:
        text = tr(_("{action}: done")).format(action=tr(title(func)))
    details = describe(extra, money)
    return f"{text}. {details}".strip() if details else text


def describe(extra: dict, money=None) -> str:
    """The function's answer as short phrases ("Removed: 1. Onus: 4."), never a Python dict."""
    parts = []
    for key, value in (extra or {}).items():
        if key in ("replayed", "redirect", "url") or value in (None, "", [], {}):
            continue
        if isinstance(value, list):
            value = len(value)
        elif isinstance(value, dict):
            value = ", ".join(f"{humanize(k).lower()} {v}" for k, v in value.items())
        elif money is not None and kind_of(key) == "money":
            value = money(value)
        elif isinstance(value, bool):
            value = tr(_("yes")) if value else tr(_("no"))
        parts.append(f"{tr(column(key))}: {value}")
    return ". ".join(parts) + ("." if parts else "")


# -- issue 19: tenants and special permissions (staff/functions/permissions.py) -------------
TITLES["permission"] = _("Special permissions")
SINGULAR["permission"] = (_("permission"), _("permissions"))
COLUMNS["tenant"] = _("A tenant (an ISP of its own)")
PER_FUNCTION.setdefault("permission", {}).update({
    "func": _("Function"), "user_id": _("Staff account"), "access": _("Access"),
    "granted_by": _("Changed by")})
PER_FUNCTION.setdefault("permission.edit", {}).update({
    "user": _("Staff account"), "func": _("Function"), "grant": _("Grant"),
    "revoke": _("Revoke")})
CODED.add("access")
VALUES["access"] = {"granted": _("granted"), "revoked": _("revoked")}


# -- issue 19: the reseller tree (customer.transfer, notices, provisioning keys, /register) ---
TITLES.update({
    "customer.transfer": _("Move to another operator"), "notice": _("Notices"),
    "notice.edit": _("Send a notice"), "notice.withdraw": _("Withdraw notices"),
    "notice.ack": _("Acknowledge notices"), "provisioning_key": _("Provisioning keys"),
    "provisioning_key.edit": _("Issue a provisioning key"),
    "provisioning_key.revoke": _("Revoke provisioning keys"),
    "operator_signup": _("Register a new operator")})
SINGULAR.update({"notice": (_("notice"), _("notices")),
                 "provisioning_key": (_("provisioning key"), _("provisioning keys"))})
VERBS.update({"withdraw": _("Withdraw")})
DONE.update({"withdraw": _("withdrawn")})
EFFECTS.update({
    "notice.withdraw": _("they leave every dashboard at once; the list keeps them"),
    "provisioning_key.revoke": _("nobody can register a new operator with them any more")})
COLUMNS.update({
    "hint": _("Key starts"), "new_operator_id": _("Registered operator"),
    "new_login": _("First login"), "acked": _("Read"), "acks": _("Read by"),
    "starts": _("Starts"), "ends": _("Ends"), "box": _("Which notices"),
    "current": _("Shown now"), "unread": _("Not read yet"), "bills": _("Open bills"),
    "expires": _("Expires"), "contact": _("Your name")})
PER_FUNCTION.setdefault("notice", {}).update({
    "operator_id": _("From"), "sender": _("From"), "created_by": _("Sent by")})
PER_FUNCTION.setdefault("notice.edit", {}).update({"operator": _("From")})
PER_FUNCTION.setdefault("provisioning_key", {}).update({
    "operator_id": _("Registers under"), "level": _("Its level"), "kind": _("Its kind")})
PER_FUNCTION.setdefault("provisioning_key.edit", {}).update({
    "operator": _("Registers under"), "kind": _("Its kind"),
    "credit_limit": _("Its credit limit")})
PER_FUNCTION.setdefault("customer.transfer", {}).update({
    "to": _("Move to"), "package": _("Package at the new operator"),
    "billing_profile": _("Billing profile at the new operator"),
    "zone": _("Zone at the new operator")})
CODED.add("severity")
VALUES["severity"] = {"info": _("info"), "warning": _("warning"), "critical": _("critical")}
VALUES["box"] = {"received": _("received"), "sent": _("sent")}
# a notice's and a key's state are badges (fmt.badge translates them): for the catalogue
VALUES["state"] = {"active": _("active"), "scheduled": _("scheduled"), "ended": _("ended"),
                   "withdrawn": _("withdrawn"), "unused": _("unused"), "used": _("used"),
                   "revoked": _("revoked"), "expired": _("expired")}
# the help of their parameters and fields (forms show `_(help)`), marked for the catalogue
TREE_HELP = (
    _("customer ids or usernames, comma-separated"),
    _("the operator they move to (id or name), in your subtree"),
    _("move: the open bills (and what is owed on them) go with the customer; leave: they stay "
      "owed to the old operator"),
    _("a package offered at the new operator, for customers whose own is not"),
    _("a billing profile offered at the new operator, for customers whose own is not"),
    _("the customer's zone at the new operator (zones are per operator)"),
    _("the notice's id or title"), _("what the staff below should know or do"),
    _("info, warning or critical (default info)"), _("shown from (the ISP's time); default now"),
    _("shown until (the ISP's time); empty: until withdrawn"),
    _("who sends it (id or name; default yours): the staff of every operator below it see it"),
    _("received (default): what the operators above you sent; sent: what your subtree sent"),
    _("yes: only those shown now (started, not ended, not withdrawn)"),
    _("yes: only those your login has not acknowledged"), _("notice ids, comma-separated"),
    _("the key's id (an unused key's expiry, limits and note change)"),
    _("the parent the new operator registers under (id or name; default yours)"),
    _("the key works until (default 7 days, at most 90)"),
    _("the new operator's kind: credit (limit) or debit (prepaid)"),
    _("the new operator's credit limit"), _("who it is for (shown in the list only)"),
    _("unused, used, revoked or expired"), _("key ids, comma-separated"),
)


# -- issue 19: operator bills, suspension, cascade delete (rating/functions/operator_bills.py,
# staff/functions/operator_delete.py; the operator's page is admin/operators/) ----------------
TITLES.update({
    "operator_plan": _("Operator plans"), "operator_plan.edit": _("Operator plan"),
    "operator_plan.delete": _("Remove operator plans"), "operator_bill": _("Operator bills"),
    "operator_bill.pay": _("Pay operator bills"),
    "operator_archive": _("Deleted operators' archives"),
    "operator_archive.file": _("Archive file"),
})
SINGULAR.update({"operator_bill": (_("operator bill"), _("operator bills")),
                 "operator_plan": (_("operator plan"), _("operator plans")),
                 "operator_archive": (_("archive"), _("archives"))})
VERBS["pay"] = _("Pay")
DONE["pay"] = _("paid")
EFFECTS["operator.delete"] = _("its sub-operators, customers, staff logins and the rest are "
                               "deleted; its bills, payments and ledger are archived with its "
                               "parent")
COLUMNS.update({
    "fee_kind": _("Billed by"), "fee": _("Fee"), "due_days": _("Days to pay"),
    "grace_days": _("Grace days"), "customer_grace_days": _("Customers' grace days"),
    "suspended_on": _("Suspended on"), "customers_on": _("Customers suspended from"),
    "suspended_for": _("Suspended for"), "open_bills": _("Open bills"),
    "issued_on": _("Issued"), "dry_run": _("Dry run"), "operator_name": _("Operator"),
    "parts": _("Parts"), "sha256": _("SHA-256"), "finished_at": _("Finished"),
    "created_by": _("By"),
})
VALUES.setdefault("fee_kind", {}).update({"per_subscriber": _("per active subscriber"),
                                          "flat": _("flat")})
OPERATOR_BILLS_HELP = (
    _("per_subscriber: the fee times its active subscribers; flat: the fee"),
    _("per subscriber or for the month"), _("days from the bill to its due date (default 7)"),
    _("days after the due date before the operator is suspended (default 7)"),
    _("days a suspended operator's customers keep service (default 7)"),
    _("open or paid"), _("the bill's id"), _("the archive's id"),
    _("yes: list what would be deleted and change nothing"), _("the operator (id or name)"),
)
