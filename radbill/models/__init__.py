"""Every table radbill knows: FreeRADIUS' stock ones and ours."""
from radbill.models.base import Base
from radbill.models.catalog import BillingProfile, IpPool, Package
from radbill.models.customers import Customer, CustomerLastSeen, UsageCounter
from radbill.models.events import CustomerTransition, Event, EventType
from radbill.models.freeradius import (Nas, NasReload, RadAcct, RadAcctKey, RadCheck,
                                       RadGroupCheck, RadGroupReply, RadPostAuth, RadReply,
                                       RadUserGroup)
from radbill.models.operators import Operator, StaffUser, Zone
from radbill.models.radius import radius_acct_inbox, radius_acct_log  # noqa: F401
from radbill.models.system import AuditLog, NasSettings, Outbox

__all__ = [
    "Base", "BillingProfile", "IpPool", "Package", "Customer", "UsageCounter", "Nas", "NasReload",
    "RadAcct", "RadAcctKey", "RadCheck", "RadGroupCheck", "RadGroupReply", "RadPostAuth",
    "RadReply", "RadUserGroup", "Operator", "StaffUser", "Zone", "AuditLog", "NasSettings", "Outbox",
    "CustomerTransition", "Event", "EventType",
]
from radbill.models.devices import DeviceStatus, InterfaceSample, Olt, Onu  # noqa: E402,F401
from radbill.models.web import ApiSession, IdempotencyKey, LoginAttempt, LoginKey  # noqa: E402,F401
from radbill.models.billing import (Bill, BillLine, GatewayCheckout, JobState,  # noqa: E402,F401
                                    LedgerAccount, LedgerEntry, LedgerTransaction, Payment,
                                    PaymentAllocation, PaymentGateway, RechargeCard, UsageDaily)
from radbill.models.messaging import (Broadcast, IncomingMessage, Message,  # noqa: E402,F401
                                      MessageGateway, MessageTemplate, OtpCode, Task)
from radbill.models.selfcare import (Complaint, ComplaintAttachment, ComplaintCategory,  # noqa: E402,F401
                                     ComplaintComment, ComplaintCost, Department, PackageChange,
                                     Signup, WalledGardenHost)
from radbill.models.api import (ApiClient, ApiRequest, ApiToken, Webhook,  # noqa: E402,F401
                                WebhookDelivery)
from radbill.models.customdata import CustomField  # noqa: E402,F401  (issue 17)
from radbill.models.imports import (CustomerImport, CustomerImportRow,  # noqa: E402,F401
                                    ImportedRecord, ImportMapping)  # (issue 17, cut-over import)
from radbill.models.monitoring import (Announcement, Check, CheckHourly,  # noqa: E402,F401
                                       CheckResult, Incident)  # (issue 18, status checks)
from radbill.models.noc import (Radio, RadioSample, RadioStation, ZabbixEvent,  # noqa: E402,F401
                                ZabbixHost, ZabbixProblem, ZabbixServer)  # (issue 18, the NOC)
from radbill.models.topology import (TopologyLink, TopologyMap,  # noqa: E402,F401
                                     TopologyNode)  # (issue 18, the topology map)
from radbill.models.permissions import StaffPermission  # noqa: E402,F401  (issue 19)
from radbill.models.filings import FilingSettings, PendingTransaction  # noqa: E402,F401  (issue 19)
from radbill.models.books import (BooksMonthly, Expense,  # noqa: E402,F401
                                 ExpenseCategory)  # (issue 19, the books)
from radbill.models.operator_billing import (OperatorArchive,  # noqa: E402,F401
                                            OperatorArchivePart, OperatorBill, OperatorPlan,
                                            OperatorSuspension)  # (issue 19, operator bills)
from radbill.models.tree import Notice, NoticeAck, ProvisioningKey  # noqa: E402,F401  (issue 19)
