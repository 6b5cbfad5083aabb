"""The Good Faith Estimate (No Surprises Act, 45 CFR 149.610) for self-pay and uninsured
participants: the itemised expected charges of the planned program with the provider's
details, the dates, the service codes and the disclaimers the rule requires. Pure: no boto3.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape

from functions.coverage.logic.costshare import BillingCode, Chargemaster
from functions.coverage.logic.estimates import Estimate, EstimateLine
from functions.coverage.logic.money import format_usd

CODE_DESCRIPTIONS: dict[BillingCode, str] = {
    BillingCode.PSYCHOTHERAPY_60: "Individual psychotherapy, 60 minutes",
    BillingCode.PSYCHOTHERAPY_45: "Individual psychotherapy, 45 minutes",
    BillingCode.PSYCHOTHERAPY_30: "Individual psychotherapy, 30 minutes",
    BillingCode.FAMILY_PSYCHOTHERAPY: "Couples/family psychotherapy with the patient present",
    BillingCode.GROUP_PSYCHOTHERAPY: "Group psychotherapy",
    BillingCode.BEHAVIORAL_HEALTH_COUNSELING: "Behavioral health counseling, per 15 minutes",
    BillingCode.ALCOHOL_DRUG_GROUP: "Alcohol and/or drug group counseling",
    BillingCode.OFFICE_VISIT_ESTABLISHED: "Office visit (medication management or consultation)",
    BillingCode.PSYCHOTHERAPY_ADD_ON_30: "Psychotherapy add-on to an office visit, 30 minutes",
    BillingCode.PSYCHIATRIC_IOP_PER_DIEM: "Psychiatric intensive outpatient, per day",
    BillingCode.ALCOHOL_DRUG_IOP_PER_DIEM: "Alcohol and/or drug intensive outpatient, per day",
}
DISCLAIMERS: tuple[str, ...] = (
    "You have the right to receive a Good Faith Estimate explaining how much your medical care will cost.",
    "Under the law, health care providers need to give patients who don't have insurance or who are not "
    "using insurance an estimate of the bill for medical items and services.",
    "This Good Faith Estimate shows the costs of items and services that are reasonably expected for your "
    "health care needs for an item or service. The estimate is based on information known at the time the "
    "estimate was created.",
    "The Good Faith Estimate does not include any unknown or unexpected costs that may arise during "
    "treatment. You could be charged more if complications or special circumstances occur. If this "
    "happens, federal law allows you to dispute (appeal) the bill.",
    "If you are billed for more than this Good Faith Estimate, you have the right to dispute the bill. You "
    "may contact the health care provider or facility listed to let them know the billed charges are "
    "higher than the Good Faith Estimate. You can ask them to update the bill to match the Good Faith "
    "Estimate, ask to negotiate the bill, or ask if there is financial assistance available.",
    "You may also start a dispute resolution process with the U.S. Department of Health and Human "
    "Services (HHS). If you choose to use the dispute resolution process, you must start the dispute "
    "process within 120 calendar days (about 4 months) of the date on the original bill. There is a $25 "
    "fee to use the dispute process. If the agency reviewing your dispute agrees with you, you will have "
    "to pay the price on this Good Faith Estimate. If the agency disagrees with you and agrees with the "
    "health care provider or facility, you will have to pay the higher amount.",
    "To learn more and get a form to start the process, go to www.cms.gov/nosurprises or call "
    "1-800-985-3059. For questions or more information about your right to a Good Faith Estimate or the "
    "dispute process, visit www.cms.gov/nosurprises or call 1-800-985-3059.",
    "Keep a copy of this Good Faith Estimate in a safe place or take pictures of it. You may need it if "
    "you are billed a higher amount.",
    "This Good Faith Estimate is not a contract and does not require you to obtain the items or services "
    "from any of the providers or facilities identified.",
)


@dataclass(frozen=True)
class Provider:
    name: str
    npi: str
    tin: str
    address: str
    phone: str


RESTRICTED_DESCRIPTION = "Restricted service"
"""The one item a reader who may not see 42 CFR Part 2 services gets for all of them."""


@dataclass(frozen=True)
class GfeItem:
    code: BillingCode | None
    """None for the restricted services."""
    description: str
    quantity: int
    unit_price: int | None
    total: int
    dates: tuple[date, ...]


@dataclass(frozen=True)
class GoodFaithEstimate:
    patient_name: str | None
    patient_birth_date: date | None
    issued_on: date
    first_day: date
    last_day: date
    weeks: int
    provider: Provider
    items: tuple[GfeItem, ...]
    disclaimers: tuple[str, ...] = DISCLAIMERS
    notice: str | None = None
    """The 42 CFR 2.32 redisclosure notice, printed on the page when set."""

    @property
    def total(self) -> int:
        return sum(item.total for item in self.items)


def good_faith_estimate(
    estimate: Estimate,
    chargemaster: Chargemaster,
    *,
    provider: Provider,
    patient_name: str | None,
    patient_birth_date: date | None,
    issued_on: date,
    weeks: int,
    restricted: Callable[[EstimateLine], bool] = lambda _line: False,
    notice: str | None = None,
) -> GoodFaithEstimate:
    """Group a self-pay program estimate by code: quantity, unit price, dates of service. The
    `restricted` lines (Part 2 services the reader may not see) are one item, "Restricted
    service": how many, their total and dates, no code, description or unit price."""
    quantities: Counter[BillingCode] = Counter()
    totals: Counter[BillingCode] = Counter()
    dates: dict[BillingCode, set[date]] = {}
    hidden = [line for line in estimate.lines if line.item is not None and restricted(line)]
    for line in estimate.lines:
        if line.item is None or any(line is h for h in hidden):
            continue
        code = line.item.service.code
        quantities[code] += line.item.service.units
        totals[code] += line.item.participant_pays
        dates.setdefault(code, set()).add(line.day)
    items = tuple(
        GfeItem(
            code=code,
            description=CODE_DESCRIPTIONS[code],
            quantity=quantities[code],
            unit_price=chargemaster.self_pay_price(code),
            total=totals[code],
            dates=tuple(sorted(dates[code])),
        )
        for code in sorted(quantities, key=lambda c: c.value)
    )
    if hidden:
        items += (
            GfeItem(
                code=None,
                description=RESTRICTED_DESCRIPTION,
                quantity=len(hidden),
                unit_price=None,
                total=sum(line.item.participant_pays for line in hidden if line.item),
                dates=tuple(sorted({line.day for line in hidden})),
            ),
        )
    days = [line.day for line in estimate.lines if line.item]
    return GoodFaithEstimate(
        patient_name=patient_name,
        patient_birth_date=patient_birth_date,
        issued_on=issued_on,
        first_day=min(days, default=issued_on),
        last_day=max(days, default=issued_on),
        weeks=weeks,
        provider=provider,
        items=items,
        notice=notice,
    )


def render_html(gfe: GoodFaithEstimate) -> str:
    """A printable page (print styles inline; every value escaped)."""
    rows = "\n".join(
        f"<tr><td>{escape(i.code.value if i.code else '')}</td><td>{escape(i.description)}</td>"
        f"<td class=n>{i.quantity}</td>"
        f"<td class=n>{escape(format_usd(i.unit_price)) if i.unit_price is not None else ''}</td>"
        f"<td class=n>{escape(format_usd(i.total))}</td></tr>"
        for i in gfe.items
    )
    notice = f"<p class=notice role=note><strong>{escape(gfe.notice)}</strong></p>\n" if gfe.notice else ""
    notes = "\n".join(f"<li>{escape(text)}</li>" for text in gfe.disclaimers)
    patient = escape(gfe.patient_name or "(patient name on file)")
    born = escape(gfe.patient_birth_date.isoformat()) if gfe.patient_birth_date else "(on file)"
    p = gfe.provider
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Good Faith Estimate</title>
<style>body{{font-family:Georgia,serif;max-width:48rem;margin:2rem auto;color:#111}}
table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #999;padding:.3rem .5rem;text-align:left}}
.n{{text-align:right}}.notice{{border:2px solid #111;padding:.5rem}}@media print{{body{{margin:0}}}}</style>
</head><body>
<h1>Good Faith Estimate</h1>{notice}
<p>Issued {escape(gfe.issued_on.isoformat())}. Expected services from {escape(gfe.first_day.isoformat())}
to {escape(gfe.last_day.isoformat())} ({gfe.weeks} weeks).</p>
<h2>Patient</h2><p>{patient}, date of birth {born}</p>
<h2>Provider</h2><p>{escape(p.name)}, NPI {escape(p.npi)}, TIN {escape(p.tin)}<br>{escape(p.address)}<br>
{escape(p.phone)}<br>Services are delivered by telehealth.</p>
<h2>Expected charges</h2>
<table><thead><tr><th>Code</th><th>Service</th><th class=n>Quantity</th><th class=n>Price</th>
<th class=n>Expected charge</th></tr></thead><tbody>
{rows}
</tbody><tfoot><tr><th colspan=4>Total expected charges</th>
<th class=n>{escape(format_usd(gfe.total))}</th></tr></tfoot></table>
<h2>Disclaimers</h2><ul>
{notes}
</ul></body></html>
"""
