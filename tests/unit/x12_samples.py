"""Hand-written 005010X279A1 271 responses in the styles real payers answer in.

Names, ids and NPIs are invented. Each is one string, as it would come off the wire.
"""

from __future__ import annotations

# (a) A national PPO: several EBs per service type, EB03 repetitions, time periods 23 (calendar
# year) and 29 (remaining), in-network (Y) and out-of-network (N) amounts, a CPT-specific copay,
# a telehealth copay (III place of service 02) and a benefit date (DTP*348).
NATIONAL_PPO = (
    "ISA*00*          *00*          *ZZ*SUMMITNATL     *ZZ*TANDEMIOP      "
    "*250615*1201*^*00501*000004711*0*P*:~"
    "GS*HB*SUMMITNATL*TANDEMIOP*20250615*1201*4711*X*005010X279A1~"
    "ST*271*0001*005010X279A1~"
    "BHT*0022*11*TRC-000123*20250615*120101~"
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "PER*IC*PROVIDER SERVICES*TE*8005550199~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000123*9TANDEMIOP~"
    "TRN*1*208851742*9877281234~"
    "NM1*IL*1*RIVERA*ALEX*J***MI*XQZ998877665~"
    "REF*6P*0071234*ACME MANUFACTURING~"
    "N3*12 MAIN ST~"
    "N4*SPRINGFIELD*IL*62701~"
    "DMG*D8*19880312*F~"
    "INS*Y*18*001*25~"
    "DTP*346*D8*20250101~"
    "DTP*347*D8*20251231~"
    "DTP*291*RD8*20250101-20251231~"
    "EB*1**30^MH^AI^A6^A7^A8*PR*CHOICE PLUS PPO~"
    "EB*C*IND*30^MH***23*1500*****Y~"
    "DTP*348*D8*20250101~"
    "EB*C*IND*30^MH***29*1100.00*****Y~"
    "EB*C*FAM*30^MH***23*3000*****Y~"
    "EB*C*FAM*30^MH***29*2400.50*****Y~"
    "EB*C*IND*30^MH***23*3000*****N~"
    "EB*C*IND*30^MH***29*3000*****N~"
    "EB*C*FAM*30^MH***23*6000*****N~"
    "EB*G*IND*30^MH***23*6000*****Y~"
    "EB*G*IND*30^MH***29*5212.37*****Y~"
    "EB*G*FAM*30^MH***23*12000*****Y~"
    "EB*G*FAM*30^MH***29*11000*****Y~"
    "EB*G*IND*30^MH***23*12000*****N~"
    "EB*B*IND*30***27*40*****Y~"
    "EB*B*IND*MH***27*25****Y*Y~"
    "EB*B*IND*MH***27*0****Y*Y~"
    "III*ZZ*02~"
    "MSG*TELEHEALTH VISITS WITH IN-NETWORK PROVIDERS~"
    "EB*B*IND*A6***27*25****Y*Y*HC:90837~"
    "EB*A*IND*MH***27**.2***Y*Y~"
    "EB*A*IND*MH***27**.4***Y*N~"
    "EB*A*IND*30***27**.1****Y~"
    "EB*F*IND*MH^A6***23***VS*30**Y~"
    "EB*F*IND*MH^A6***29***VS*22**Y~"
    "SE*45*0001~"
    "GE*1*4711~"
    "IEA*1*000004711~"
)

# (b) A regional Blue-style HMO: EB12 = W (not applicable: the same in and out of network),
# several MSG segments after one EB, a non-covered out-of-network EB.
REGIONAL_W_FLAGS = (
    "ISA*00*          *00*          *ZZ*LAKESHOREBLUE  *ZZ*TANDEMIOP      "
    "*250702*0915*^*00501*000000088*0*P*:~"
    "GS*HB*LAKESHOREBLUE*TANDEMIOP*20250702*0915*88*X*005010X279A1~"
    "ST*271*1001*005010X279A1~"
    "BHT*0022*11*TRC-000200*20250702*0915~"
    "HL*1**20*1~"
    "NM1*PR*2*LAKESHORE BLUE HMO*****PI*00621~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000200*9TANDEMIOP~"
    "NM1*IL*1*OKAFOR*JORDAN****MI*LBH5550001~"
    "REF*6P*G-2200~"
    "DMG*D8*19910704*M~"
    "DTP*291*RD8*20250101-20251231~"
    "EB*1*FAM*30^MH^AI*HM*LAKESHORE BLUE HMO SILVER~"
    "EB*B*IND*MH***27*30*****W~"
    "MSG*COPAY APPLIES TO OUTPATIENT MENTAL HEALTH OFFICE VISITS~"
    "MSG*TELEHEALTH VISITS COVERED AT THE SAME COST SHARE~"
    "EB*A*IND*MH***27**0****W~"
    "EB*C*IND*30***23*500*****W~"
    "EB*C*IND*30***29*500*****W~"
    "EB*G*IND*30***23*4000*****W~"
    "EB*G*FAM*30***23*8000*****W~"
    "EB*I**MH*********N~"
    "MSG*NO OUT OF NETWORK BENEFITS EXCEPT EMERGENCIES~"
    "SE*24*1001~"
    "GE*1*88~"
    "IEA*1*000000088~"
)

# (c) An HMO whose behavioral health is carved out to a vendor, named in an LS/LE 2120 loop;
# EBs after the LE belong to the plan, not to the vendor. Also a PCP in its own 2120 loop.
CARVE_OUT = (
    "ISA*00*          *00*          *ZZ*METROCARE      *ZZ*TANDEMIOP      "
    "*250801*1400*^*00501*000000301*0*P*:~"
    "GS*HB*METROCARE*TANDEMIOP*20250801*1400*301*X*005010X279A1~"
    "ST*271*0301*005010X279A1~"
    "BHT*0022*11*TRC-000301*20250801*1400~"
    "HL*1**20*1~"
    "NM1*PR*2*METRO CARE HMO*****PI*MCH77~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000301*9TANDEMIOP~"
    "NM1*IL*1*CHEN*MORGAN****MI*MC0099887~"
    "DMG*D8*19850220*F~"
    "DTP*346*D8*20240701~"
    "EB*1*IND*30*HM*METRO CARE HMO~"
    "EB*L**30~"
    "LS*2120~"
    "NM1*P3*1*NGUYEN*LINDA****XX*1922334455~"
    "PER*IC**TE*3125550111~"
    "LE*2120~"
    "EB*U**MH^AI^A6~"
    "MSG*BEHAVIORAL HEALTH BENEFITS ARE ADMINISTERED BY A SEPARATE VENDOR~"
    "LS*2120~"
    "NM1*PR*2*MINDBRIDGE BEHAVIORAL HEALTH*****PI*MBH01~"
    "PER*IC**TE*8005550142*UR*WWW.MINDBRIDGE.EXAMPLE~"
    "LE*2120~"
    "EB*C*IND*30***23*2000*****Y~"
    "EB*C*IND*30***29*1750*****Y~"
    "EB*B*IND*98***27*20*****Y~"
    "SE*27*0301~"
    "GE*1*301~"
    "IEA*1*000000301~"
)


def _rejection(control: str, loops: str) -> str:
    return (
        "ISA*00*          *00*          *ZZ*CLEARHOUSE     *ZZ*TANDEMIOP      "
        f"*250615*1201*^*00501*{control}*0*P*:~"
        f"GS*HB*CLEARHOUSE*TANDEMIOP*20250615*1201*{int(control)}*X*005010X279A1~"
        "ST*271*0001*005010X279A1~"
        "BHT*0022*11*TRC-000400*20250615*1201~"
        f"{loops}"
        f"SE*{loops.count('~') + 3}*0001~"
        f"GE*1*{int(control)}~"
        f"IEA*1*{control}~"
    )


# (d) Rejections: member not found (2100C), payer unavailable (2100A), invalid birth date (2100C).
MEMBER_NOT_FOUND = _rejection(
    "000000401",
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000400*9TANDEMIOP~"
    "NM1*IL*1*RIVERA*ALEX****MI*XQZ000000000~"
    "AAA*Y**72*C~"
    "DMG*D8*19880312~",
)
PAYER_UNAVAILABLE = _rejection(
    "000000402",
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "AAA*N**42*R~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000400*9TANDEMIOP~"
    "NM1*IL*1*RIVERA*ALEX****MI*XQZ998877665~",
)
INVALID_BIRTH_DATE = _rejection(
    "000000403",
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000400*9TANDEMIOP~"
    "NM1*IL*1*RIVERA*ALEX****MI*XQZ998877665~"
    "AAA*Y**58*C~",
)

# (e) A Medicaid managed-care plan through a clearinghouse that uses `|` between elements, `}`
# between repetitions, `>` between components, and a CRLF after every `~`.
PIPES_AND_CRLF = "\r\n".join(
    [
        "ISA|00|          |00|          |ZZ|STATEMCO       |ZZ|TANDEMIOP      "
        "|250903|0830|}|00501|000000555|0|P|>~",
        "GS|HB|STATEMCO|TANDEMIOP|20250903|0830|555|X|005010X279A1~",
        "ST|271|0555|005010X279A1~",
        "BHT|0022|11|TRC-000555|20250903|0830~",
        "HL|1||20|1~",
        "NM1|PR|2|STATE MEDICAID MCO|||||PI|SKMCO1~",
        "HL|2|1|21|1~",
        "NM1|1P|2|TANDEM BEHAVIORAL HEALTH|||||XX|1234567893~",
        "HL|3|2|22|0~",
        "TRN|2|TRC-000555|9TANDEMIOP~",
        "NM1|IL|1|BAKER|TAYLOR||||MI|MCD44556677~",
        "DMG|D8|19990115|F~",
        "DTP|291|RD8|20250901-20250930~",
        "EB|1|IND|30}MH}AI}A8|MC|MEDICAID MANAGED CARE~",
        "EB|B|IND|MH}A8|||27|3|||||Y|HC>90853~",
        "MSG|GROUP PSYCHOTHERAPY~",
        "EB|C|IND|30|||23|0|||||Y~",
        "EB|F|IND|A8|||22||||||Y~",
        "HSD|VS|24|||22~",
        "SE|18|0555~",
        "GE|1|555~",
        "IEA|1|000000555~",
        "",
    ]
)

# (f) The patient is the subscriber's spouse: benefits sit in the dependent loop (2000D).
SPOUSE_DEPENDENT = (
    "ISA*00*          *00*          *ZZ*SUMMITNATL     *ZZ*TANDEMIOP      "
    "*250615*1205*^*00501*000004712*0*P*:~"
    "GS*HB*SUMMITNATL*TANDEMIOP*20250615*1205*4712*X*005010X279A1~"
    "ST*271*0001*005010X279A1~"
    "BHT*0022*11*TRC-000124*20250615*120501~"
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*1~"
    "NM1*IL*1*RIVERA*ALEX****MI*XQZ998877665~"
    "REF*6P*0071234~"
    "DMG*D8*19880312*F~"
    "HL*4*3*23*0~"
    "TRN*2*TRC-000124*9TANDEMIOP~"
    "NM1*03*1*RIVERA*SAM~"
    "DMG*D8*19890401*M~"
    "INS*N*01~"
    "DTP*346*D8*20250101~"
    "DTP*347*D8*20251231~"
    "EB*1*FAM*30^MH*PR*CHOICE PLUS PPO~"
    "EB*C*IND*30***23*1500*****Y~"
    "EB*C*IND*30***29*900*****Y~"
    "EB*C*FAM*30***23*3000*****Y~"
    "EB*C*FAM*30***29*1800*****Y~"
    "EB*B*IND*MH***27*25*****Y~"
    "EB*A*IND*MH***27**.2****Y~"
    "SE*25*0001~"
    "GE*1*4712~"
    "IEA*1*000004712~"
)

# (g) Coverage ended: EB*6 (inactive) with the plan end date.
INACTIVE = (
    "ISA*00*          *00*          *ZZ*SUMMITNATL     *ZZ*TANDEMIOP      "
    "*250615*1210*^*00501*000004713*0*P*:~"
    "GS*HB*SUMMITNATL*TANDEMIOP*20250615*1210*4713*X*005010X279A1~"
    "ST*271*0001*005010X279A1~"
    "BHT*0022*11*TRC-000125*20250615*121001~"
    "HL*1**20*1~"
    "NM1*PR*2*SUMMIT NATIONAL HEALTH*****PI*87726~"
    "HL*2*1*21*1~"
    "NM1*1P*2*TANDEM BEHAVIORAL HEALTH*****XX*1234567893~"
    "HL*3*2*22*0~"
    "TRN*2*TRC-000125*9TANDEMIOP~"
    "NM1*IL*1*PATEL*RIYA****MI*XQZ111222333~"
    "DMG*D8*19770909*F~"
    "DTP*346*D8*20230101~"
    "DTP*347*D8*20250331~"
    "EB*6**30*PR*CHOICE PLUS PPO~"
    "MSG*COVERAGE TERMINATED - COBRA NOT ELECTED~"
    "SE*15*0001~"
    "GE*1*4713~"
    "IEA*1*000004713~"
)
