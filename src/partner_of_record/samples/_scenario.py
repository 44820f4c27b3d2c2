"""The hand-designed sample scenario: who is linked to what, when, and how big each account is.

Everything here is fictional. The module holds plain specifications only; ``_generate`` turns
them into model records, drawing the monthly noise from a seeded ``random.Random``.

Levels are whole US dollars per month, given as ``(month, level)`` anchors and interpolated
linearly between them; a subscription has usage from its first anchor month to its last one.

Size: about 770 lines, on purpose. The module is data, not logic: one specification per
partner, customer, subscription and association of the story, each with the comment that says
why it is there; the logic that turns it into records is ``_generate``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import attrs

from partner_of_record.model import Actor, AssociationKind, OfferCategory, Workload

__all__: list[str] = []

SEED = 20170419
"""The seed of the monthly noise (the day the MPN 101 post on cloud credit was published)."""

FIRST_MONTH = dt.date(2023, 1, 1)
LAST_MONTH = dt.date(2024, 12, 1)
AS_OF = dt.date(2025, 1, 1)

CONTOSO = "4100231"
FABRIKAM = "4200517"
RELECLOUD = "4300874"
TAILSPIN = "4400392"
LITWARE = "4500168"

PARTNERS: tuple[tuple[str, str], ...] = (
    (CONTOSO, "Contoso Cloud Services"),
    (FABRIKAM, "Fabrikam Consulting"),
    (RELECLOUD, "Relecloud IT"),
    (TAILSPIN, "Tailspin Modern Work"),
    (LITWARE, "Litware Distribution"),
)

STORIES: tuple[tuple[str, str], ...] = (
    (
        CONTOSO,
        "the Azure champion. DPOR, PAL and CSP links on growing Azure estates (Coho Winery grows "
        "tenfold in 2024; Wide World Importers moves its DPOR over from Fabrikam on 2024-03-14; "
        "Proseware arrives through CSP). Over US$100,000 credited Azure in 2024: Cloud Platform "
        "gold, and every Solutions Partner for Infrastructure (Azure) metric scores, well over 70.",
    ),
    (
        FABRIKAM,
        "the shrinking incumbent. Fourth Coffee's Azure spend halves, Lucerne Publishing churns "
        "in February 2024 and Wide World Importers leaves in March. Four small new customers keep "
        "net customer adds positive and skilling is full, but Azure usage growth is negative: "
        "Cloud Platform silver only, and the designation fails on the zero growth metric alone.",
    ),
    (
        RELECLOUD,
        "the admin-services shop. Mostly DAP, GDAP and CPOR on Office 365, Dynamics 365 and "
        "Business Central, which do not count for Azure; one small PAL link on Azure and a DPOR "
        "lost in 2023. Fails everything.",
    ),
    (
        TAILSPIN,
        "the Modern Work partner. DPOR on Woodgrove Bank's Office 365 (over 2,000 active users: "
        "Cloud Productivity silver) and EMS; CPOR claims at Humongous Insurance, Lamna "
        "Healthcare (from 2024-02-10, taken over from Relecloud), Proseware (from 2024-04-22) "
        "and Bellows College (from 2024-09-09): enterprise tenants with over 300 paid seats, "
        "three more than a year earlier, with fast-rising active use; a CSP reseller for City "
        "Power & Light. No Azure credit, but it qualifies for Solutions Partner for Modern Work.",
    ),
    (
        LITWARE,
        "the distributor. CSP indirect provider (tier 1) behind Fabrikam and Tailspin, direct "
        "bill for City Power & Light's Azure. Credited enough Azure for Cloud Platform silver, "
        "but with no certified people it scores 0 on skilling and misses the designation.",
    ),
)

SKILLS: tuple[tuple[str, int, int], ...] = (
    # partner, intermediate certifications, advanced certifications
    (CONTOSO, 4, 3),
    (FABRIKAM, 5, 5),
    (RELECLOUD, 1, 0),
    (TAILSPIN, 4, 2),
    (LITWARE, 0, 0),
)

CUSTOMERS: tuple[tuple[str, str], ...] = (
    ("alpine", "Alpine Ski House"),
    ("coho", "Coho Winery"),
    ("wwi", "Wide World Importers"),
    ("proseware", "Proseware, Inc."),
    ("trey", "Trey Research"),
    ("contoso-lab", "Contoso Cloud Services (internal lab tenant)"),
    ("fourth", "Fourth Coffee"),
    ("lucerne", "Lucerne Publishing"),
    ("adventure", "Adventure Works Cycles"),
    ("blueyonder", "Blue Yonder Airlines"),
    ("margie", "Margie's Travel"),
    ("graphic", "Graphic Design Institute"),
    ("munson", "Munson's Pickles and Preserves"),
    ("southridge", "Southridge Video"),
    ("woodgrove", "Woodgrove Bank"),
    ("humongous", "Humongous Insurance"),
    ("lamna", "Lamna Healthcare"),
    ("citypower", "City Power & Light"),
    ("vanarsdel", "VanArsdel, Ltd."),
    ("bestforyou", "Best For You Organics"),
    ("fincher", "Fincher Architects"),
    ("bellows", "Bellows College"),
)


def _m(text: str) -> dt.date:
    year, month = text.split("-")
    return dt.date(int(year), int(month), 1)


def _d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _anchors(*points: tuple[str, int]) -> tuple[tuple[dt.date, int], ...]:
    return tuple((_m(month), level) for month, level in points)


@attrs.frozen
class Link:
    """One association of the scenario (the subscription is the enclosing spec's).

    Attributes:
        partner_id: the linked partner.
        kind: the association kind.
        start: the first day in effect.
        end: the first day no longer in effect, or ``None``.
        granted_by: who made the link.
        role: the RBAC role of a PAL identity.
    """

    partner_id: str
    kind: AssociationKind
    start: dt.date
    end: dt.date | None = None
    granted_by: Actor | None = None
    role: str | None = None


@attrs.frozen
class Service:
    """A service of an Azure subscription: its share of the level, from a month on.

    Attributes:
        name: the service name (``Usage.service``).
        weight: its relative share of the subscription's monthly level.
        since: the first month it is used; ``None`` for every month.
    """

    name: str
    weight: int
    since: dt.date | None = None


@attrs.frozen
class AzureSpec:
    """An Azure subscription: monthly level anchors (US$) split across services.

    Attributes:
        key: the scenario key; the subscription ID is derived from it.
        customer: the owning customer's scenario key.
        name: the display name.
        level: ``(month, US$)`` anchors; usage runs from the first to the last anchor month.
        services: the services the level is split across.
        links: the associations.
        offer: the offer category.
    """

    key: str
    customer: str
    name: str
    level: tuple[tuple[dt.date, int], ...]
    services: tuple[Service, ...]
    links: tuple[Link, ...] = ()
    offer: OfferCategory = OfferCategory.STANDARD


@attrs.frozen
class SeatSpec:
    """A per-seat subscription: paid seats and active users anchors, a monthly price per seat.

    Attributes:
        key: the scenario key; the subscription ID is derived from it.
        customer: the owning customer's scenario key.
        workload: the per-seat workload.
        name: the display name.
        sku: the licence name, used as ``Usage.service``.
        price: the monthly price of one paid seat, in US$.
        seats: ``(month, paid seats)`` anchors; records run from the first to the last one.
        active: ``(month, active users)`` anchors.
        links: the associations.
    """

    key: str
    customer: str
    workload: Workload
    name: str
    sku: str
    price: Decimal
    seats: tuple[tuple[dt.date, int], ...]
    active: tuple[tuple[dt.date, int], ...]
    links: tuple[Link, ...] = ()


_C = Actor.CUSTOMER
_P = Actor.PARTNER
_V = Actor.VENDOR
DPOR = AssociationKind.DPOR
PAL = AssociationKind.PAL
T1 = AssociationKind.CSP_TIER1
T2 = AssociationKind.CSP_TIER2
TX = AssociationKind.TRANSACTING
DAP = AssociationKind.DAP
GDAP = AssociationKind.GDAP
CPOR = AssociationKind.CPOR
LH = AssociationKind.LIGHTHOUSE

VM = "Virtual Machines"
SQL = "Azure SQL Database"
STORAGE = "Storage"
AKS = "Azure Kubernetes Service"
FUNCTIONS = "Azure Functions"
MONITOR = "Azure Monitor"
OPENAI = "Azure OpenAI"
COSMOS = "Azure Cosmos DB"
DEFENDER = "Microsoft Defender for Cloud"
APP_SERVICE = "Azure App Service"
SYNAPSE = "Azure Synapse Analytics"
SUPPORT = "Azure Support"


def _csp(reseller: str, provider: str, start: str) -> tuple[Link, ...]:
    """An indirect CSP chain: reseller (tier 2, transacting) under an indirect provider (tier 1)."""
    day = _d(start)
    return (
        Link(reseller, T2, day, granted_by=_V),
        Link(provider, T1, day, granted_by=_V),
        Link(reseller, TX, day, granted_by=_V),
    )


AZURE: tuple[AzureSpec, ...] = (
    # ---- Contoso: the Azure champion ------------------------------------------------------
    AzureSpec(
        "alpine-prod",
        "alpine",
        "Alpine Ski House - production",
        _anchors(("2023-01", 3800), ("2023-12", 3950), ("2024-12", 4200)),
        (
            Service(VM, 50),
            Service(SQL, 20),
            Service(STORAGE, 10),
            Service(FUNCTIONS, 8),
            Service(MONITOR, 6),
            Service(DEFENDER, 6),
        ),
        (
            Link(CONTOSO, DPOR, _d("2021-09-01"), granted_by=_C),
            Link(CONTOSO, LH, _d("2022-01-10"), granted_by=_P),
        ),
    ),
    AzureSpec(
        "alpine-dev",
        "alpine",
        "Alpine Ski House - dev/test",
        _anchors(("2023-01", 650), ("2024-12", 900)),
        (Service(VM, 60), Service(STORAGE, 15), Service(AKS, 25)),
        (
            # the customer moves the DPOR mid-month: the old one ends the day the new one starts
            Link(RELECLOUD, DPOR, _d("2022-03-01"), _d("2023-05-17"), granted_by=_C),
            Link(CONTOSO, DPOR, _d("2023-05-17"), granted_by=_C),
        ),
    ),
    AzureSpec(
        "alpine-support",
        "alpine",
        "Alpine Ski House - support plan",
        _anchors(("2023-01", 100), ("2024-12", 100)),
        (Service(SUPPORT, 1),),
        (Link(CONTOSO, DPOR, _d("2021-09-01"), granted_by=_C),),
        OfferCategory.SUPPORT,
    ),
    AzureSpec(
        "coho-prod",
        "coho",
        "Coho Winery - production",
        # the strong grower: under US$1,000 a month in 2023, about US$9,000 by December 2024
        _anchors(("2023-01", 250), ("2023-12", 650), ("2024-06", 3500), ("2024-12", 9000)),
        (
            Service(VM, 30),
            Service(AKS, 20),
            Service(COSMOS, 15),
            Service(OPENAI, 20, since=_m("2024-02")),
            Service(STORAGE, 10),
            Service(MONITOR, 5),
        ),
        (Link(CONTOSO, PAL, _d("2022-11-01"), granted_by=_P, role="Owner"),),
    ),
    AzureSpec(
        "coho-dev",
        "coho",
        "Coho Winery - dev/test",
        _anchors(("2023-01", 100), ("2023-12", 180), ("2024-12", 400)),
        (Service(VM, 50), Service(APP_SERVICE, 30), Service(STORAGE, 20)),
        (Link(CONTOSO, PAL, _d("2022-11-01"), granted_by=_P, role="Contributor"),),
    ),
    AzureSpec(
        "wwi-prod",
        "wwi",
        "Wide World Importers - production",
        _anchors(("2023-01", 550), ("2023-12", 650), ("2024-03", 900), ("2024-12", 3200)),
        (Service(VM, 40), Service(SQL, 30), Service(STORAGE, 15), Service(FUNCTIONS, 15)),
        (
            Link(FABRIKAM, DPOR, _d("2022-05-01"), _d("2024-03-14"), granted_by=_C),
            Link(CONTOSO, DPOR, _d("2024-03-14"), granted_by=_C),
            Link(CONTOSO, PAL, _d("2024-06-03"), granted_by=_P, role="Contributor"),
        ),
    ),
    AzureSpec(
        "wwi-dev",
        "wwi",
        "Wide World Importers - dev/test",
        _anchors(("2023-01", 200), ("2024-12", 450)),
        (Service(VM, 50), Service(APP_SERVICE, 30), Service(STORAGE, 20)),
        (
            Link(FABRIKAM, DPOR, _d("2022-05-01"), _d("2024-03-14"), granted_by=_C),
            Link(CONTOSO, DPOR, _d("2024-03-14"), granted_by=_C),
        ),
    ),
    AzureSpec(
        "proseware-csp",
        "proseware",
        "Proseware - Azure plan (CSP)",
        _anchors(("2024-03", 1200), ("2024-12", 2600)),
        (Service(VM, 45), Service(AKS, 25), Service(SQL, 20), Service(MONITOR, 10)),
        (
            Link(CONTOSO, T1, _d("2024-02-20"), granted_by=_V),
            Link(CONTOSO, TX, _d("2024-02-20"), granted_by=_V),
        ),
    ),
    AzureSpec(
        "trey-trial",
        "trey",
        "Trey Research - free trial",
        _anchors(("2024-01", 400), ("2024-02", 450)),
        (Service(VM, 70), Service(STORAGE, 30)),
        (Link(CONTOSO, DPOR, _d("2024-01-08"), _d("2024-02-08"), granted_by=_C),),
        OfferCategory.TRIAL,
    ),
    AzureSpec(
        "trey-prod",
        "trey",
        "Trey Research - pay-as-you-go",
        _anchors(("2024-02", 300), ("2024-12", 450)),
        (Service(VM, 60), Service(APP_SERVICE, 25), Service(STORAGE, 15)),
        (Link(CONTOSO, DPOR, _d("2024-02-08"), granted_by=_C),),
    ),
    AzureSpec(
        "contoso-lab",
        "contoso-lab",
        "Contoso internal lab",
        _anchors(("2023-01", 1500), ("2024-12", 1500)),
        (Service(VM, 50), Service(AKS, 30), Service(STORAGE, 20)),
        (Link(CONTOSO, PAL, _d("2022-01-03"), granted_by=_P, role="Owner"),),
        OfferCategory.INTERNAL,
    ),
    # ---- Fabrikam: shrinking, one churn, four small new customers --------------------------
    AzureSpec(
        "fourth-prod",
        "fourth",
        "Fourth Coffee - production",
        _anchors(("2023-01", 5600), ("2023-12", 5500), ("2024-12", 1600)),
        (
            Service(VM, 45),
            Service(SQL, 25),
            Service(STORAGE, 10),
            Service(COSMOS, 10),
            Service(FUNCTIONS, 5),
            Service(MONITOR, 5),
        ),
        (Link(FABRIKAM, DPOR, _d("2020-10-01"), granted_by=_C),),
    ),
    AzureSpec(
        "fourth-analytics",
        "fourth",
        "Fourth Coffee - analytics",
        _anchors(("2023-01", 300), ("2024-12", 350)),
        (Service(SYNAPSE, 70), Service(STORAGE, 30)),
        (Link(FABRIKAM, DPOR, _d("2020-10-01"), granted_by=_C),),
    ),
    AzureSpec(
        "lucerne-prod",
        "lucerne",
        "Lucerne Publishing - production",
        # the churned customer: the subscription is cancelled at the end of February 2024
        _anchors(("2023-01", 2200), ("2024-02", 1900)),
        (Service(VM, 55), Service(SQL, 30), Service(STORAGE, 15)),
        (Link(FABRIKAM, DPOR, _d("2021-04-01"), _d("2024-03-01"), granted_by=_C),),
    ),
    AzureSpec(
        "adventure-prod",
        "adventure",
        "Adventure Works - production",
        _anchors(("2024-08", 400), ("2024-12", 1250)),
        (Service(VM, 50), Service(APP_SERVICE, 30), Service(SQL, 20)),
        (Link(FABRIKAM, PAL, _d("2024-08-12"), granted_by=_P, role="Contributor"),),
    ),
    AzureSpec(
        "blueyonder-prod",
        "blueyonder",
        "Blue Yonder Airlines - production",
        _anchors(("2024-09", 600), ("2024-12", 1300)),
        (Service(VM, 40), Service(AKS, 40), Service(MONITOR, 20)),
        (Link(FABRIKAM, DPOR, _d("2024-09-02"), granted_by=_C),),
    ),
    AzureSpec(
        "margie-csp",
        "margie",
        "Margie's Travel - Azure plan (CSP)",
        _anchors(("2024-05", 900), ("2024-12", 1400)),
        (Service(VM, 50), Service(APP_SERVICE, 30), Service(STORAGE, 20)),
        _csp(FABRIKAM, LITWARE, "2024-04-15"),
    ),
    AzureSpec(
        "graphic-csp",
        "graphic",
        "Graphic Design Institute - Azure plan (CSP)",
        _anchors(("2024-06", 700), ("2024-12", 1300)),
        (Service(VM, 60), Service(STORAGE, 25), Service(FUNCTIONS, 15)),
        _csp(FABRIKAM, LITWARE, "2024-06-03"),
    ),
    # ---- Relecloud: one small PAL, one DPOR lost in 2023 ----------------------------------
    AzureSpec(
        "munson-azure",
        "munson",
        "Munson's Pickles - Azure",
        _anchors(("2023-02", 250), ("2024-12", 320)),
        (Service(VM, 70), Service(STORAGE, 30)),
        (Link(RELECLOUD, PAL, _d("2023-02-01"), granted_by=_P, role="Reader"),),
    ),
    AzureSpec(
        "southridge-prod",
        "southridge",
        "Southridge Video - production",
        # the customer removed its DPOR on 2023-08-21: unattributed from then on
        _anchors(("2023-01", 1500), ("2024-12", 1550)),
        (Service(VM, 60), Service(STORAGE, 30), Service(MONITOR, 10)),
        (Link(RELECLOUD, DPOR, _d("2021-01-04"), _d("2023-08-21"), granted_by=_C),),
    ),
    # ---- Litware: direct bill ---------------------------------------------------------------
    AzureSpec(
        "citypower-azure",
        "citypower",
        "City Power & Light - Azure plan (CSP)",
        _anchors(("2023-01", 1080), ("2024-12", 1180)),
        (Service(VM, 50), Service(SQL, 30), Service(STORAGE, 20)),
        (
            Link(LITWARE, T1, _d("2022-07-01"), granted_by=_V),
            Link(LITWARE, TX, _d("2022-07-01"), granted_by=_V),
        ),
    ),
    # ---- no partner at all -------------------------------------------------------------------
    AzureSpec(
        "fincher-prod",
        "fincher",
        "Fincher Architects - production",
        _anchors(("2023-01", 1700), ("2024-12", 1900)),
        (Service(VM, 70), Service(STORAGE, 30)),
    ),
    AzureSpec(
        "bellows-sponsorship",
        "bellows",
        "Bellows College - Azure sponsorship",
        _anchors(("2023-01", 600), ("2024-12", 650)),
        (Service(VM, 60), Service(STORAGE, 40)),
        offer=OfferCategory.BENEFIT_PROGRAM,
    ),
    AzureSpec(
        "humongous-azure",
        "humongous",
        "Humongous Insurance - claims platform",
        _anchors(("2023-01", 2400), ("2024-12", 2700)),
        (Service(VM, 40), Service(SQL, 35), Service(STORAGE, 15), Service(DEFENDER, 10)),
    ),
    AzureSpec(
        "vanarsdel-azure",
        "vanarsdel",
        "VanArsdel - integration",
        _anchors(("2023-06", 150), ("2024-12", 220)),
        (Service(FUNCTIONS, 60), Service(STORAGE, 40)),
    ),
)


SEATS: tuple[SeatSpec, ...] = (
    # ---- Tailspin: Modern Work ------------------------------------------------------------
    SeatSpec(
        "woodgrove-o365",
        "woodgrove",
        Workload.OFFICE_365,
        "Woodgrove Bank - Office 365",
        "Office 365 E3",
        Decimal("23.00"),
        _anchors(("2023-01", 2350), ("2024-12", 2450)),
        _anchors(("2023-01", 1700), ("2023-12", 1800), ("2024-12", 2150)),
        (
            Link(TAILSPIN, DPOR, _d("2022-02-01"), granted_by=_C),
            Link(TAILSPIN, GDAP, _d("2023-04-03"), _d("2025-03-01"), granted_by=_C),
        ),
    ),
    SeatSpec(
        "woodgrove-ems",
        "woodgrove",
        Workload.EMS,
        "Woodgrove Bank - Enterprise Mobility + Security",
        "Enterprise Mobility + Security E3",
        Decimal("10.60"),
        _anchors(("2023-01", 1200), ("2024-12", 1260)),
        _anchors(("2023-01", 640), ("2024-12", 980)),
        (Link(TAILSPIN, DPOR, _d("2022-02-01"), granted_by=_C),),
    ),
    SeatSpec(
        "humongous-m365",
        "humongous",
        Workload.MICROSOFT_365,
        "Humongous Insurance - Microsoft 365",
        "Microsoft 365 E3",
        Decimal("36.00"),
        _anchors(("2023-01", 800), ("2024-12", 830)),
        _anchors(("2023-01", 450), ("2023-12", 480), ("2024-12", 800)),
        (Link(TAILSPIN, CPOR, _d("2022-09-15"), granted_by=_V),),
    ),
    SeatSpec(
        "humongous-teams",
        "humongous",
        Workload.TEAMS,
        "Humongous Insurance - Teams Phone",
        "Teams Phone Standard",
        Decimal("8.00"),
        _anchors(("2023-01", 300), ("2024-12", 320)),
        _anchors(("2023-01", 210), ("2024-12", 260)),
    ),
    SeatSpec(
        "lamna-m365",
        "lamna",
        Workload.MICROSOFT_365,
        "Lamna Healthcare - Microsoft 365",
        "Microsoft 365 E3",
        Decimal("36.00"),
        _anchors(("2023-01", 450), ("2024-12", 470)),
        _anchors(("2023-01", 140), ("2024-02", 170), ("2024-12", 440)),
        (
            # a competing claim: the most recent proof of execution wins from its approval day
            Link(RELECLOUD, CPOR, _d("2022-06-01"), _d("2024-02-10"), granted_by=_V),
            Link(TAILSPIN, CPOR, _d("2024-02-10"), granted_by=_V),
        ),
    ),
    SeatSpec(
        "lamna-defender",
        "lamna",
        Workload.DEFENDER,
        "Lamna Healthcare - Defender for Endpoint",
        "Microsoft Defender for Endpoint P2",
        Decimal("5.20"),
        _anchors(("2024-05", 450), ("2024-12", 470)),
        _anchors(("2024-05", 120), ("2024-12", 430)),
        (Link(TAILSPIN, CPOR, _d("2024-05-06"), granted_by=_V),),
    ),
    SeatSpec(
        "citypower-m365",
        "citypower",
        Workload.MICROSOFT_365,
        "City Power & Light - Microsoft 365 Business Premium",
        "Microsoft 365 Business Premium",
        Decimal("22.00"),
        _anchors(("2023-01", 140), ("2024-12", 160)),
        _anchors(("2023-01", 118), ("2024-12", 150)),
        _csp(TAILSPIN, LITWARE, "2022-11-01"),
    ),
    SeatSpec(
        "coho-m365",
        "coho",
        Workload.MICROSOFT_365,
        "Coho Winery - Microsoft 365 Business Premium",
        "Microsoft 365 Business Premium",
        Decimal("22.00"),
        _anchors(("2023-01", 45), ("2024-12", 60)),
        _anchors(("2023-01", 40), ("2024-12", 55)),
        (Link(TAILSPIN, CPOR, _d("2023-07-24"), granted_by=_V),),
    ),
    SeatSpec(
        "trey-o365",
        "trey",
        Workload.OFFICE_365,
        "Trey Research - Office 365",
        "Office 365 E1",
        Decimal("10.00"),
        _anchors(("2023-01", 110), ("2024-12", 125)),
        _anchors(("2023-01", 95), ("2024-12", 112)),
        (
            Link(RELECLOUD, DPOR, _d("2021-11-02"), _d("2024-07-16"), granted_by=_C),
            Link(TAILSPIN, DPOR, _d("2024-07-16"), granted_by=_C),
        ),
    ),
    # ---- Relecloud: admin services -----------------------------------------------------------
    SeatSpec(
        "munson-o365",
        "munson",
        Workload.OFFICE_365,
        "Munson's Pickles - Office 365",
        "Office 365 E1",
        Decimal("10.00"),
        _anchors(("2023-01", 40), ("2024-12", 42)),
        _anchors(("2023-01", 34), ("2024-12", 38)),
        (
            Link(RELECLOUD, DAP, _d("2019-05-06"), _d("2023-09-30"), granted_by=_C),
            Link(RELECLOUD, GDAP, _d("2023-09-30"), _d("2025-09-01"), granted_by=_C),
        ),
    ),
    SeatSpec(
        "vanarsdel-d365",
        "vanarsdel",
        Workload.DYNAMICS_365,
        "VanArsdel - Dynamics 365 Sales",
        "Dynamics 365 Sales Enterprise",
        Decimal("95.00"),
        _anchors(("2023-01", 60), ("2024-12", 64)),
        _anchors(("2023-01", 52), ("2024-12", 60)),
        (
            Link(FABRIKAM, DPOR, _d("2021-02-01"), granted_by=_C),
            Link(FABRIKAM, DAP, _d("2021-02-01"), _d("2023-11-20"), granted_by=_C),
            Link(RELECLOUD, GDAP, _d("2024-01-15"), _d("2025-12-15"), granted_by=_C),
        ),
    ),
    SeatSpec(
        "vanarsdel-bc",
        "vanarsdel",
        Workload.BUSINESS_CENTRAL,
        "VanArsdel - Business Central",
        "Dynamics 365 Business Central Essentials",
        Decimal("70.00"),
        _anchors(("2023-03", 25), ("2024-12", 28)),
        _anchors(("2023-03", 20), ("2024-12", 26)),
        (Link(RELECLOUD, CPOR, _d("2023-03-01"), granted_by=_V),),
    ),
    SeatSpec(
        "vanarsdel-powerapps",
        "vanarsdel",
        Workload.POWER_APPS,
        "VanArsdel - Power Apps",
        "Power Apps Premium",
        Decimal("20.00"),
        _anchors(("2023-01", 180), ("2024-12", 220)),
        _anchors(("2023-01", 90), ("2024-12", 160)),
    ),
    SeatSpec(
        "southridge-intune",
        "southridge",
        Workload.INTUNE,
        "Southridge Video - Intune",
        "Microsoft Intune Plan 1",
        Decimal("8.00"),
        _anchors(("2023-01", 90), ("2024-12", 95)),
        _anchors(("2023-01", 80), ("2024-12", 88)),
        (Link(RELECLOUD, DPOR, _d("2021-01-04"), _d("2023-08-21"), granted_by=_C),),
    ),
    # ---- Fabrikam: Dynamics ------------------------------------------------------------------
    SeatSpec(
        "fourth-d365",
        "fourth",
        Workload.DYNAMICS_365,
        "Fourth Coffee - Dynamics 365 Customer Service",
        "Dynamics 365 Customer Service Enterprise",
        Decimal("95.00"),
        _anchors(("2023-01", 80), ("2024-12", 86)),
        _anchors(("2023-01", 70), ("2024-12", 79)),
        (
            Link(FABRIKAM, DPOR, _d("2021-02-01"), granted_by=_C),
            Link(FABRIKAM, DAP, _d("2021-02-01"), _d("2023-11-20"), granted_by=_C),
            Link(FABRIKAM, GDAP, _d("2023-11-20"), _d("2025-11-01"), granted_by=_C),
        ),
    ),
    SeatSpec(
        "lucerne-o365",
        "lucerne",
        Workload.OFFICE_365,
        "Lucerne Publishing - Office 365",
        "Office 365 E3",
        Decimal("23.00"),
        _anchors(("2023-01", 70), ("2024-02", 66)),
        _anchors(("2023-01", 61), ("2024-02", 50)),
        (Link(FABRIKAM, DPOR, _d("2021-04-01"), _d("2024-03-01"), granted_by=_C),),
    ),
    SeatSpec(
        "bestforyou-d365",
        "bestforyou",
        Workload.DYNAMICS_365,
        "Best For You Organics - Dynamics 365 Sales",
        "Dynamics 365 Sales Professional",
        Decimal("65.00"),
        _anchors(("2023-06", 30), ("2024-12", 38)),
        _anchors(("2023-06", 24), ("2024-12", 35)),
        (Link(FABRIKAM, DPOR, _d("2023-06-19"), granted_by=_C),),
    ),
    # ---- no partner at all -------------------------------------------------------------------
    SeatSpec(
        "bestforyou-powerbi",
        "bestforyou",
        Workload.POWER_BI,
        "Best For You Organics - Power BI",
        "Power BI Pro",
        Decimal("10.00"),
        _anchors(("2023-01", 45), ("2024-12", 55)),
        _anchors(("2023-01", 30), ("2024-12", 48)),
    ),
    SeatSpec(
        "fincher-o365",
        "fincher",
        Workload.OFFICE_365,
        "Fincher Architects - Office 365",
        "Office 365 E1",
        Decimal("10.00"),
        _anchors(("2023-01", 35), ("2024-12", 38)),
        _anchors(("2023-01", 30), ("2024-12", 36)),
    ),
    SeatSpec(
        "bellows-o365",
        "bellows",
        Workload.OFFICE_365,
        "Bellows College - Office 365 A3",
        "Office 365 A3",
        Decimal("3.25"),
        _anchors(("2023-01", 900), ("2024-12", 960)),
        _anchors(("2023-01", 520), ("2024-12", 610)),
        (Link(TAILSPIN, CPOR, _d("2024-09-09"), granted_by=_V),),
    ),
    SeatSpec(
        "alpine-o365",
        "alpine",
        Workload.OFFICE_365,
        "Alpine Ski House - Office 365",
        "Office 365 E3",
        Decimal("23.00"),
        _anchors(("2023-01", 250), ("2024-12", 265)),
        _anchors(("2023-01", 210), ("2024-12", 240)),
    ),
    SeatSpec(
        "proseware-m365",
        "proseware",
        Workload.MICROSOFT_365,
        "Proseware - Microsoft 365",
        "Microsoft 365 E3",
        Decimal("36.00"),
        _anchors(("2024-03", 320), ("2024-12", 340)),
        _anchors(("2024-03", 60), ("2024-04", 90), ("2024-12", 310)),
        (
            Link(RELECLOUD, GDAP, _d("2024-04-01"), _d("2026-03-01"), granted_by=_C),
            Link(TAILSPIN, CPOR, _d("2024-04-22"), granted_by=_V),
        ),
    ),
)
