"""A corpus of hand-written 005010X279A1 271 transactions, each in the style of a kind of payer.

Every case names the style it follows (the way published payer companion guides and the TR3's
examples lay a 271 out: which loops carry what, which EB elements are used, how limits and dates
are given) and what the program must read from it; `test_x12_corpus.py` asserts the extraction.
Names, member ids, payer ids and NPIs are invented. Written here; nothing is copied.

Bodies are written with `*` `^` `:` `~` and `interchange` wraps them in ISA/GS/ST...SE/GE/IEA,
translating to other delimiters where a case uses them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.unit import x12_samples as samples

TRACE = "TRC-C0RPUS"
"""The trace number the corpus's 270s carried (TRN*2 echoes it)."""


def interchange(
    body: str,
    *,
    sender: str = "CLEARHOUSE",
    control: int = 1,
    delimiters: tuple[str, str, str, str] = ("*", "^", ":", "~"),
    line_breaks: bool = False,
) -> str:
    """Wrap 2000A..2000D loops in an envelope; `delimiters` are (element, repetition, component, segment)."""
    count = body.count("~") + 3  # ST, BHT and SE
    text = (
        f"ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*TANDEMIOP      "
        f"*251201*0930*^*00501*{control:09d}*0*P*:~"
        f"GS*HB*{sender}*TANDEMIOP*20251201*0930*{control}*X*005010X279A1~"
        f"ST*271*{control:04d}*005010X279A1~"
        f"BHT*0022*11*{TRACE}*20251201*093015~"
        f"{body}"
        f"SE*{count}*{control:04d}~"
        f"GE*1*{control}~"
        f"IEA*1*{control:09d}~"
    )
    element, repetition, component, segment = delimiters
    if delimiters != ("*", "^", ":", "~"):
        table: dict[str, str | int | None] = {"*": element, "^": repetition, ":": component, "~": segment}
        text = text.translate(str.maketrans(table))
    if line_breaks:
        text = text.replace(segment, segment + "\r\n")
    return text


def payer(name: str, payer_id: str) -> str:
    return f"HL*1**20*1~NM1*PR*2*{name}*****PI*{payer_id}~"


PROVIDER = "HL*2*1*21*1~NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"


def subscriber(last: str, first: str, member_id: str, *, children: bool = False, trace: bool = True) -> str:
    trn = f"TRN*2*{TRACE}*9TANDEMIOP~" if trace and not children else ""
    return f"HL*3*2*22*{1 if children else 0}~{trn}NM1*IL*1*{last}*{first}****MI*{member_id}~"


def dependent(last: str, first: str, *, trace: bool = True) -> str:
    trn = f"TRN*2*{TRACE}*9TANDEMIOP~" if trace else ""
    return f"HL*4*3*23*0~{trn}NM1*03*1*{last}*{first}~"


@dataclass(frozen=True)
class Case:
    name: str
    style: str
    text: str
    expected: dict[str, Any] = field(default_factory=dict)
    trace: str | None = TRACE
    """The trace number of the 270 this 271 answers."""


def _case(name: str, style: str, text: str, trace: str | None = TRACE, **expected: Any) -> Case:
    return Case(name, style, text, expected, trace)


CASES: list[Case] = [
    # ---------------------------------------------------------------- the earlier samples
    _case(
        "national_ppo",
        "Commercial PPO (national carrier): several EBs per service type with periods 23/29, "
        "EB03 repetitions, in/out of network, a CPT-specific copay and a telehealth III",
        samples.NATIONAL_PPO,
        trace="TRC-000123",
        status="active",
        traced=True,
        insurance_type="PR",
        relationship="18",
        active_service_types=["30", "MH", "AI", "A6", "A7", "A8"],
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={
            "copay_cents": 2500,
            "coinsurance_rate": "0.2",
            "deductible": (150000, 110000, 300000, 240050),
            "visit_limit": 30,
            "visit_limit_period": "calendar_year",
            "visits_remaining": 22,
            "not_covered": False,
            "limits": [
                ("limit", "30", "VS", "calendar_year", None, None),
                ("remaining", "22", "VS", "remaining", None, None),
            ],
        },
        mh_out={"coinsurance_rate": "0.4", "deductible": (300000, 300000, 600000, None)},
        procedures={"90837": {"copay_cents": 2500, "not_covered": False}},
    ),
    _case(
        "regional_hmo_w_flags",
        "BCBS plan (regional Blue HMO): EB12 W (same in and out of network), MSGs after an EB, "
        "a non-covered out-of-network line",
        samples.REGIONAL_W_FLAGS,
        trace="TRC-000200",
        status="active",
        insurance_type="HM",
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={"copay_cents": 3000, "coinsurance_rate": "0", "deductible": (50000, 50000, None, None)},
        mh_out={"not_covered": True},
    ),
    _case(
        "hmo_behavioral_carve_out",
        "Behavioral-health carve-out (HMO naming its BH vendor in an LS/LE 2120 loop)",
        samples.CARVE_OUT,
        trace="TRC-000301",
        status="active",
        active_service_types=["30"],
        insurance_type="HM",
        plan_begin="2024-07-01",
        mh_in={"deductible": (200000, 175000, None, None), "copay_cents": None},
    ),
    _case(
        "member_not_found_2100c",
        "Rejected at 2100C (TR3 example: subscriber id invalid, correct and resubmit)",
        samples.MEMBER_NOT_FOUND,
        trace="TRC-000400",
        status="rejected",
        rejections=[("72", "2100C", "correct_and_resubmit")],
    ),
    _case(
        "payer_unavailable_2100a",
        "Rejected at 2100A (TR3 example: payer cannot respond now, resubmission allowed)",
        samples.PAYER_UNAVAILABLE,
        trace="TRC-000400",
        status="rejected",
        rejections=[("42", "2100A", "resubmission_allowed")],
    ),
    _case(
        "invalid_birth_date_2100c",
        "Rejected at 2100C (birth date mismatch)",
        samples.INVALID_BIRTH_DATE,
        trace="TRC-000400",
        status="rejected",
        rejections=[("58", "2100C", "correct_and_resubmit")],
    ),
    _case(
        "medicaid_pipes_crlf",
        "Medicaid managed care through a clearinghouse with custom delimiters (| } >) and CRLF, "
        "a group-therapy copay naming HC>90853, a visit limit in HSD",
        samples.PIPES_AND_CRLF,
        trace="TRC-000555",
        status="active",
        insurance_type="MC",
        plan_begin="2025-09-01",
        plan_end="2025-09-30",
        procedures={"90853": {"copay_cents": 300, "not_covered": False}},
    ),
    _case(
        "spouse_dependent",
        "Dependent on a family plan (spouse in 2000D, embedded individual and family deductibles)",
        samples.SPOUSE_DEPENDENT,
        trace="TRC-000124",
        status="active",
        relationship="01",
        mh_in={"copay_cents": 2500, "deductible": (150000, 90000, 300000, 180000)},
    ),
    _case(
        "inactive_terminated",
        "Inactive (EB*6, coverage terminated, member-level plan end)",
        samples.INACTIVE,
        trace="TRC-000125",
        status="inactive",
        plan_end="2025-03-31",
    ),
    # ---------------------------------------------------------------- new styles
    _case(
        "ppo_noncovered_procedure",
        "Commercial PPO: a non-covered line (EB01 I) naming one procedure, HC:90846 (family "
        "psychotherapy without the patient), among covered mental-health lines",
        interchange(
            payer("BRIGHTPATH HEALTH PLAN", "BPH01")
            + PROVIDER
            + subscriber("LOPEZ", "DANA", "BPH55501")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^MH^A6*PR*BRIGHTPATH OPEN ACCESS PPO~"
            "EB*B*IND*MH***27*35*****Y~"
            "EB*A*IND*MH***27**.2****Y~"
            "EB*C*IND*MH***23*1000*****Y~"
            "EB*C*IND*MH***29*250*****Y~"
            "EB*I*IND*MH**********HC:90846~"
            "MSG*FAMILY PSYCHOTHERAPY WITHOUT PATIENT PRESENT NOT COVERED~"
        ),
        status="active",
        insurance_type="PR",
        plan_begin="2025-01-01",
        mh_in={
            "copay_cents": 3500,
            "coinsurance_rate": "0.2",
            "deductible": (100000, 25000, None, None),
            "not_covered": False,
        },
        procedures={"90846": {"not_covered": True, "copay_cents": 3500}},
    ),
    _case(
        "bcbs_copays_by_procedure",
        "BCBS plan (Anthem-style): copays stated per procedure code (EB13) under service type MH, "
        "coinsurance for the rest",
        interchange(
            payer("BLUE CROSS BLUE SHIELD OF PRAIRIE", "00PRA")
            + PROVIDER
            + subscriber("NOVAK", "EVAN", "PRA0001122")
            + "REF*6P*BX4410~"
            "DTP*291*RD8*20250701-20260630~"
            "EB*1*FAM*30^MH*PS*BLUE ADVANTAGE POS~"
            "EB*B*IND*MH***27*40*****Y*HC:90837~"
            "EB*B*IND*MH***27*20*****Y*HC:90853~"
            "EB*B*IND*MH***27*40*****Y*HC:90847~"
            "EB*A*IND*MH***27**.1****Y~"
            "EB*A*IND*MH***27**.3****N~"
            "EB*C*IND*MH***23*750*****Y~"
            "EB*C*IND*MH***23*1500*****N~"
            "EB*F*IND*MH***23***VS*20**Y*HC:90853~",
            sender="BCBSPRAIRIE",
        ),
        status="active",
        insurance_type="PS",
        plan_begin="2025-07-01",
        plan_end="2026-06-30",
        mh_in={
            "copay_cents": None,
            "coinsurance_rate": "0.1",
            "deductible": (75000, None, None, None),
            "visit_limit": None,
            "limits": [],
        },
        mh_out={"coinsurance_rate": "0.3", "deductible": (150000, None, None, None)},
        procedures={
            "90837": {"copay_cents": 4000, "coinsurance_rate": "0.1"},
            "90853": {
                "copay_cents": 2000,
                "visit_limit": 20,
                "limits": [("limit", "20", "VS", "calendar_year", None, "HC:90853")],
            },
            "90847": {"copay_cents": 4000},
        },
    ),
    _case(
        "bcbs_fep_ls_le",
        "BCBS plan (federal employee program style): benefit-related entity in an LS/LE 2120 "
        "loop after the coinsurance line, EBs after LE belong to the plan",
        interchange(
            payer("BLUE CROSS FEDERAL PROGRAM", "00FEP")
            + PROVIDER
            + subscriber("ABARA", "CHIDI", "R40771231")
            + "DTP*346*D8*20250101~DTP*347*D8*20251231~"
            "EB*1*FAM*30^MH*PR*STANDARD OPTION~"
            "EB*A*IND*MH***27**.15****Y~"
            "LS*2120~"
            "NM1*X3*2*FEP BEHAVIORAL UM*****PI*FEPUM~"
            "PER*IC**TE*8005550177~"
            "LE*2120~"
            "EB*B*IND*MH***27*25*****Y~"
            "EB*C*IND*30***23*350*****Y~"
            "EB*C*FAM*30***23*700*****Y~"
            "EB*G*IND*30***23*6000*****Y~",
            sender="BCBSFEP",
        ),
        status="active",
        insurance_type="PR",
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={
            "copay_cents": 2500,
            "coinsurance_rate": "0.15",
            "deductible": (35000, None, 70000, None),
            "out_of_pocket": (600000, None, None, None),
        },
    ),
    _case(
        "medicaid_mco_untraced",
        "Medicaid managed care (state MCO gateway that sends no TRN in 2000C): accepted untraced; "
        "$0 copays and a visit limit with its period in HSD",
        interchange(
            payer("SUNRISE COMMUNITY MEDICAID", "SCM77")
            + PROVIDER
            + subscriber("WALKER", "JESSE", "MCD00991100", trace=False)
            + "DTP*356*D8*20250401~"
            "EB*1*IND*30^MH^AI*MC*SUNRISE MEDICAID MANAGED CARE~"
            "EB*B*IND*MH***27*0*****Y~"
            "EB*F*IND*MH~"
            "HSD*VS*24***22~"
            "MSG*PRIOR AUTHORIZATION REQUIRED AFTER 24 VISITS~",
            sender="SUNRISEMCD",
        ),
        trace=TRACE,
        status="active",
        insurance_type="MC",
        plan_begin="2025-04-01",
        traced=False,
        mh_in={
            "copay_cents": 0,
            "visit_limit": 24,
            "visit_limit_period": "service_year",
            "limits": [("limit", "24", "VS", "service_year", None, None)],
        },
    ),
    _case(
        "medicare_advantage_hmo",
        "Medicare Advantage (HMO, insurance type HN): copay in network, no out-of-network terms "
        "beyond a non-covered line",
        interchange(
            payer("SILVERLINE MEDICARE ADVANTAGE", "SLMA1")
            + PROVIDER
            + subscriber("OKONJO", "RUTH", "1EG4TE5MK72")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^MH*HN*SILVERLINE MA HMO~"
            "EB*B*IND*MH***27*20*****Y~"
            "EB*G*IND*30***23*4500*****Y~"
            "EB*G*IND*30***29*4100*****Y~"
            "EB*I*IND*MH*********N~",
            sender="SILVERLINE",
        ),
        status="active",
        insurance_type="HN",
        plan_begin="2025-01-01",
        mh_in={"copay_cents": 2000, "out_of_pocket": (450000, 410000, None, None)},
        mh_out={"not_covered": True},
    ),
    _case(
        "medicare_advantage_ppo_benefit_dates",
        "Medicare Advantage PPO: plan dates only at benefit level (2110C DTP*291 on the EB*1), "
        "out-of-network coinsurance not given",
        interchange(
            payer("SILVERLINE MEDICARE ADVANTAGE", "SLMA1")
            + PROVIDER
            + subscriber("OKONJO", "PAUL", "1EG4TE5MK99")
            + "EB*1*IND*30^MH*MA*SILVERLINE MA PPO~"
            "DTP*291*RD8*20250101-20251231~"
            "EB*B*IND*MH***27*25*****Y~"
            "EB*A*IND*MH***27**.2****Y~"
            "EB*C*IND*MH***23*500*****N~",
            sender="SILVERLINE",
        ),
        status="active",
        insurance_type="MA",
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={"copay_cents": 2500, "coinsurance_rate": "0.2"},
        mh_out={"coinsurance_rate": None, "deductible": (50000, None, None, None)},
    ),
    _case(
        "tpa_self_funded",
        "TPA / self-funded employer plan: the TPA named in 2120 on the EB*1, plan begin/end at "
        "benefit level (DTP*346/347 in 2110C), deductible given as total and year to date (24)",
        interchange(
            payer("KEYSTONE BENEFIT ADMINISTRATORS", "KBA20")
            + PROVIDER
            + subscriber("BRANDT", "LENA", "KBA7788")
            + "REF*6P*HOLLOWAY STEEL~"
            "EB*1*IND*30^MH*GP*HOLLOWAY STEEL HEALTH PLAN~"
            "DTP*346*D8*20250301~"
            "DTP*347*D8*20260228~"
            "LS*2120~"
            "NM1*2B*2*KEYSTONE BENEFIT ADMINISTRATORS~"
            "LE*2120~"
            "EB*C*IND*30***23*2000*****Y~"
            "EB*C*IND*30***24*650*****Y~"
            "EB*A*IND*30***27**.25****Y~"
            "EB*A*IND*30***27**.5****N~",
            sender="KEYSTONETPA",
        ),
        status="active",
        insurance_type="GP",
        plan_begin="2025-03-01",
        plan_end="2026-02-28",
        mh_in={"coinsurance_rate": "0.25", "deductible": (200000, 135000, None, None)},
        mh_out={"coinsurance_rate": "0.5"},
    ),
    _case(
        "eap_carve_out",
        "EAP carve-out: a limited number of sessions per episode (EB09 VS / EB10 on the EB*1 "
        "line itself, period 26) at no cost",
        interchange(
            payer("HARBOR EAP SERVICES", "HEAP1")
            + PROVIDER
            + subscriber("FISCHER", "NOOR", "EAP300441")
            + "EB*1*IND*MH*OT*EMPLOYEE ASSISTANCE PROGRAM*26***VS*6~"
            "EB*B*IND*MH***27*0*****Y~"
            "MSG*SESSIONS MUST BE AUTHORIZED BY THE EAP INTAKE LINE~",
            sender="HARBOREAP",
        ),
        status="active",
        insurance_type="OT",
        active_service_types=["MH"],
        mh_in={
            "copay_cents": 0,
            "visit_limit": 6,
            "visit_limit_period": "episode",
            "limits": [("limit", "6", "VS", "episode", None, None)],
        },
    ),
    _case(
        "behavioral_vendor_direct",
        "Behavioral-health carve-out vendor answering directly: visit limit carried as a "
        "quantity (EB09 VS / EB10) on the coinsurance line, calendar year",
        interchange(
            payer("MINDBRIDGE BEHAVIORAL HEALTH", "MBH01")
            + PROVIDER
            + subscriber("HALL", "PRIYA", "MBH0456")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*MH^A6^AI*PR*MINDBRIDGE BH NETWORK~"
            "EB*A*IND*MH***23**.2*VS*30**Y~"
            "EB*A*IND*MH***27**.4****N~"
            "EB*C*IND*MH***23*500*****Y~",
            sender="MINDBRIDGE",
        ),
        status="active",
        mh_in={
            "coinsurance_rate": "0.2",
            "deductible": (50000, None, None, None),
            "visit_limit": 30,
            "visit_limit_period": "calendar_year",
            "limits": [("limit", "30", "VS", "calendar_year", None, None)],
        },
        mh_out={"coinsurance_rate": "0.4", "visit_limit": None},
    ),
    _case(
        "dependent_child_family_plan",
        "Dependent on a family plan (child, INS*N*19, 2000D): family-level deductibles and "
        "out-of-pocket, benefits in the dependent loop",
        interchange(
            payer("SUMMIT NATIONAL HEALTH", "87726")
            + PROVIDER
            + subscriber("MORENO", "ANA", "XQZ445566778", children=True)
            + dependent("MORENO", "LUIS")
            + "DMG*D8*20080514*M~"
            "INS*N*19~"
            "DTP*346*D8*20250101~"
            "EB*1*FAM*30^MH*PR*CHOICE PLUS PPO~"
            "EB*C*IND*30***23*1500*****Y~"
            "EB*C*FAM*30***23*3000*****Y~"
            "EB*C*FAM*30***29*1200*****Y~"
            "EB*B*IND*MH***27*30*****Y~",
        ),
        status="active",
        relationship="19",
        plan_begin="2025-01-01",
        mh_in={"copay_cents": 3000, "deductible": (150000, None, 300000, 120000)},
    ),
    _case(
        "dependent_domestic_partner",
        "Dependent on a family plan (domestic partner, INS*N*53): the couple on one plan",
        interchange(
            payer("LAKESHORE BLUE HMO", "00621")
            + PROVIDER
            + subscriber("QUINN", "MARA", "LBH5551234", children=True)
            + dependent("ELLIS", "ROWAN")
            + "INS*N*53~"
            "EB*1*FAM*30^MH*HM*LAKESHORE BLUE HMO SILVER~"
            "DTP*291*RD8*20250101-20251231~"
            "EB*B*IND*MH***27*30*****W~"
            "EB*C*FAM*30***23*1000*****W~",
            sender="LAKESHOREBLUE",
        ),
        status="active",
        relationship="53",
        insurance_type="HM",
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={"copay_cents": 3000, "deductible": (None, None, 100000, None)},
    ),
    _case(
        "inactive_benefit_level_end",
        "Inactive: EB*6 with the plan end only at benefit level (2110C DTP*347)",
        interchange(
            payer("BRIGHTPATH HEALTH PLAN", "BPH01")
            + PROVIDER
            + subscriber("ROSS", "IMANI", "BPH99001")
            + "EB*6**30*PR*BRIGHTPATH OPEN ACCESS PPO~"
            "DTP*347*D8*20251031~",
        ),
        status="inactive",
        active_service_types=[],
        plan_end="2025-10-31",
        mh_in=None,
    ),
    _case(
        "rejected_2000a",
        "Rejected at 2000A (a clearinghouse's own AAA before the payer's name: payer not "
        "reachable, wait and resubmit)",
        interchange("HL*1**20*1~AAA*N**42*W~NM1*PR*2*BRIGHTPATH HEALTH PLAN*****PI*BPH01~"),
        status="rejected",
        traced=False,
        rejections=[("42", "2000A", "wait_30_days")],
    ),
    _case(
        "rejected_2100b",
        "Rejected at 2100B (provider not on file with the payer; resubmission not allowed)",
        interchange(
            payer("BRIGHTPATH HEALTH PLAN", "BPH01")
            + PROVIDER
            + "AAA*N**51*N~"
            + subscriber("ROSS", "IMANI", "BPH99001")
        ),
        status="rejected",
        rejections=[("51", "2100B", "resubmission_not_allowed")],
    ),
    _case(
        "rejected_2100d",
        "Rejected at 2100D (subscriber found, dependent not: correct and resubmit)",
        interchange(
            payer("SUMMIT NATIONAL HEALTH", "87726")
            + PROVIDER
            + subscriber("MORENO", "ANA", "XQZ445566778", children=True)
            + dependent("MORENO", "LUCIA")
            + "AAA*Y**67*C~"
        ),
        status="rejected",
        rejections=[("67", "2100D", "correct_and_resubmit")],
    ),
    _case(
        "custom_delimiters",
        "Custom delimiters: `^` between elements, `{` between repetitions, `\\` between components",
        interchange(
            payer("PINNACLE CARE", "PNC10")
            + PROVIDER
            + subscriber("GRANT", "TESS", "PNC212121")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^MH^AI*PR*PINNACLE PPO~"
            "EB*B*IND*MH^AI***27*45*****Y~"
            "EB*I*IND*MH**********HC:90785~",
            sender="PINNACLE",
            delimiters=("^", "{", "\\", "~"),
            line_breaks=True,
        ),
        status="active",
        plan_begin="2025-01-01",
        mh_in={"copay_cents": 4500, "not_covered": False},
        su_in={"copay_cents": 4500},
        procedures={"90785": {"not_covered": True}},
    ),
    _case(
        "several_ebs_with_periods",
        "Commercial PPO (Aetna-style): several EBs per service type with time periods: totals "
        "(23), remaining (29), year to date (24), visits per service year and per week (HSD)",
        interchange(
            payer("CRESTVIEW HEALTH", "CRV60")
            + PROVIDER
            + subscriber("IBARRA", "SOL", "W226600011")
            + "DTP*291*RD8*20250101-20251231~"
            "EB*1*IND*30^MH^A6*PR*CRESTVIEW OPEN CHOICE~"
            "EB*C*IND*MH***23*2000*****Y~"
            "EB*C*IND*MH***24*800*****Y~"
            "EB*C*FAM*MH***23*4000*****Y~"
            "EB*C*FAM*MH***29*2500*****Y~"
            "EB*G*IND*MH***23*5000*****Y~"
            "EB*G*IND*MH***29*3900*****Y~"
            "EB*A*IND*MH***27**20****Y~"
            "EB*F*IND*MH***22***VS*40**Y~"
            "HSD*VS*3***35*1~"
            "EB*F*IND*MH***29***VS*31**Y~",
            sender="CRESTVIEW",
        ),
        status="active",
        plan_begin="2025-01-01",
        plan_end="2025-12-31",
        mh_in={
            "coinsurance_rate": "0.2",
            "deductible": (200000, 120000, 400000, 250000),
            "out_of_pocket": (500000, 390000, None, None),
            "visit_limit": 40,
            "visit_limit_period": "service_year",
            "visits_remaining": 31,
            "limits": [
                ("limit", "40", "VS", "service_year", None, None),
                ("limit", "3", "VS", "week", "1", None),
                ("remaining", "31", "VS", "remaining", None, None),
            ],
        },
    ),
    _case(
        "iop_days_per_admission",
        "Commercial PPO (Cigna-style) for intensive outpatient: days per admission (EB09 DY on "
        "a limitations line, period 36), telehealth copay with III place of service 02, no "
        "coinsurance given",
        interchange(
            payer("NORTHSTAR HEALTH", "NSH42")
            + PROVIDER
            + subscriber("PARK", "MINJI", "U9988776601")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^MH^A8*PR*NORTHSTAR OPEN ACCESS PLUS~"
            "EB*C*IND*MH***23*1500*****Y~"
            "EB*F*IND*MH***36***DY*30**Y~"
            "EB*B*IND*MH***27*30*****Y~"
            "EB*B*IND*MH***27*15*****Y~"
            "III*ZZ*02~",
            sender="NORTHSTAR",
        ),
        status="active",
        mh_in={
            "copay_cents": 3000,
            "coinsurance_rate": None,
            "deductible": (150000, None, None, None),
            "visit_limit": None,
            "limits": [("limit", "30", "DY", "admission", None, None)],
        },
    ),
    _case(
        "payer_trace_only",
        "Commercial PPO whose 271 carries only the payer's own trace (TRN*1), not ours: untraced",
        interchange(
            payer("PINNACLE CARE", "PNC10")
            + PROVIDER
            + "HL*3*2*22*0~TRN*1*88112233*9PINNACLE~NM1*IL*1*GRANT*OWEN****MI*PNC212122~"
            "EB*1*IND*30^MH*PR*PINNACLE PPO~"
            "EB*B*IND*MH***27*45*****Y~",
            sender="PINNACLE",
        ),
        status="active",
        traced=False,
        mh_in={"copay_cents": 4500},
    ),
    _case(
        "aaa_in_benefit_loop_2110c",
        "Commercial PPO answering the plan but refusing one inquired service type with an AAA in "
        "2110C (TR3: benefit inquiry inconsistent with provider type): coverage stands",
        interchange(
            payer("CRESTVIEW HEALTH", "CRV60")
            + PROVIDER
            + subscriber("IBARRA", "TOMAS", "W226600012")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^MH*PR*CRESTVIEW OPEN CHOICE~"
            "EB*B*IND*MH***27*35*****Y~"
            "EB*1**AI~"
            "AAA*Y**53*C~",
            sender="CRESTVIEW",
        ),
        status="active",
        traced=True,
        rejections=[("53", "2110C", "correct_and_resubmit")],
        mh_in={"copay_cents": 3500},
    ),
    _case(
        "procedure_only_lines",
        "TR3 example style: benefits stated by procedure (EB13) with no service type (EB03 empty), "
        "as some payers answer a 270 that asked for procedure codes",
        interchange(
            payer("PINNACLE CARE", "PNC10")
            + PROVIDER
            + subscriber("GRANT", "IRIS", "PNC212123")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30*PR*PINNACLE PPO~"
            "EB*B*IND****27*20*****Y*HC:90837~"
            "EB*A*IND****27**.3****Y*HC:90853~",
            sender="PINNACLE",
        ),
        status="active",
        active_service_types=["30"],
        mh_in={"copay_cents": None, "coinsurance_rate": None},
        procedures={
            "90837": {"copay_cents": 2000, "coinsurance_rate": None},
            "90853": {"copay_cents": None, "coinsurance_rate": "0.3"},
        },
        su_in={"copay_cents": None},
    ),
    _case(
        "carve_out_psychiatric_outpatient",
        "Behavioral-health carve-out (Optum/Carelon-style) stating outpatient and intensive "
        "outpatient benefits under A8 (psychiatric - outpatient) only, never MH, with a visit "
        "quantity per calendar year on the coinsurance line",
        interchange(
            payer("RIVERBEND BEHAVIORAL", "RBB31")
            + PROVIDER
            + subscriber("OKAFOR", "ADA", "RBB7730021")
            + "DTP*346*D8*20250101~"
            "EB*1*IND*30^A8*HM*RIVERBEND BH~"
            "EB*C*IND*A8***23*500*****Y~"
            "EB*B*IND*A8***27*25*****Y~"
            "EB*A*IND*A8***23**.1*VS*20**Y~",
            sender="RIVERBEND",
        ),
        status="active",
        insurance_type="HM",
        active_service_types=["30", "A8"],
        mh_in={
            "copay_cents": 2500,
            "coinsurance_rate": "0.1",
            "deductible": (50000, None, None, None),
            "visit_limit": 20,
            "visit_limit_period": "calendar_year",
        },
    ),
]
