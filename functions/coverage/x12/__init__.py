"""X12 005010X279A1 eligibility (270 inquiry, 271 response). Pure code: no AWS, no I/O, no logging
(`tests/unit/test_x12_imports.py` keeps it so). Modules, in dependency order:

- codes: the X12 code lists (EB01, EB02, EB06/HSD05, EB12, AAA03/04, EB04, NM101, INS02, EB09/HSD01)
- service_types: EQ01/EB03 service type codes, the default inquiry, their names
- delimiters: the separators of an interchange
- envelope: writing X12 (segments, the ISA/GS/ST .. SE/GE/IEA envelope)
- models: what a 271 says, as read (`EligibilityResult` and its parts; the `X12Model` base)
- builder: what a 270 says (`EligibilityRequest`) and `build_270`
- tokenizer: reading X12 (ISA delimiters, segments and elements, the first transaction set)
- parser: `parse_271`, the HL hierarchy and its loops into an `EligibilityResult`
- summary: `summarise`, a 271's cost-share terms for one network and ranked service types
- renderer: `render_271`, the 271 the simulated payer answers with
"""
