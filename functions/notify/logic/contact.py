"""Contact details: mobile numbers in E.164. No boto3.

`phonenumbers` (Google's libphonenumber metadata) parses what people type, with the US as
the region for numbers written without a country code, and tells whether the number can
receive texts. It is imported on first use: only the routes that save a number need it, so
the other entry points' cold starts never pay for its metadata.
"""

from __future__ import annotations

DEFAULT_REGION = "US"


def normalise_mobile(value: str) -> str:
    """The E.164 form of a number that can receive texts; ValueError otherwise."""
    import phonenumbers

    try:
        number = phonenumbers.parse(value, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    kind = phonenumbers.number_type(number)
    if kind not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        phonenumbers.PhoneNumberType.VOIP,
    ):
        raise ValueError("not a mobile number (it cannot receive texts)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
