"""X12 005010X279A1 eligibility (270/271): pure code, no AWS, no I/O, no logging."""
