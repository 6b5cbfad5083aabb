"""Deployment settings, read from CDK context (`cdk.json`, `-c key=value`, CDK_CONTEXT_JSON)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from constructs import Construct

from functions.common.cors import parse_origins
from functions.notify.logic.inbound import DEFAULT_HELP_LINE, check_neutral
from functions.notify.vocabulary import DEFAULT_APP_URL

DEFAULTS: Final[dict[str, Any]] = {
    "openapi_document": "openapi/tandem.json",
    "stage": "dev",
    "powertools_layer_version": 27,
    "api_reserved_concurrency": 10,
    "worker_reserved_concurrency": 5,
    "sender_email": "no-reply@example.org",
    "api_throttle_rate_limit": 50,
    "api_throttle_burst_limit": 100,
    "waf_rate_limit": 1000,
    "alarm_email": "",
    "alarm_topic_arn": "",
    "clearinghouse_url": "https://clearinghouse.example.org/x12/270",
    "clearinghouse_secret_arn": "",
    "coordinator_alert_ids": "",
    "app_url": DEFAULT_APP_URL,
    "sms_help_line": DEFAULT_HELP_LINE,
    "backup_copy_vault_arn": "",
    "web_origins": "https://app.tandem.health",
    "web_domain": "",
    "web_certificate_arn": "",
    "part2_extra_types": "",
    "part2_coordinators": "*",
}
"""Fallbacks when a key is absent from the context; `cdk.json` repeats them (a test checks they agree)."""

CLEARINGHOUSE_SECRET_NAME: Final = "tandem/clearinghouse"  # noqa: S105 - a secret's name, not its value
"""The secret operations create (vendor-issued credentials) when `clearinghouse_secret_arn` is empty."""
_PERSON_IDS = re.compile(r"(?:[A-Za-z0-9_-]+(?:,[A-Za-z0-9_-]+)*)?")
_TYPE_NAMES = re.compile(r"(?:[a-z][a-z0-9_]{0,63}(?:,[a-z][a-z0-9_]{0,63})*)?")
"""Empty, or session/group type names separated by commas."""
EVERY_COORDINATOR: Final = "*"
"""`part2_coordinators` naming no one in particular: every coordinator (PART2_COORDINATORS unset)."""
"""Empty, or person ids (letters, digits, `_`, `-`) separated by commas."""
PRODUCTION_STAGE: Final = "prod"
_TOPIC_ARN = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}")
_VAULT_ARN = re.compile(r"arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[A-Za-z0-9_.-]{2,50}")
_CERTIFICATE_ARN = re.compile(r"arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate/[0-9a-f-]{36}")
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}")


def _joined(value: Any) -> str:
    """A comma-separated context value without blanks or surrounding spaces."""
    return ",".join(part.strip() for part in str(value).split(",") if part.strip())


def _web_origins(value: Any) -> tuple[str, ...]:
    try:
        return parse_origins(
            value if isinstance(value, str) else [str(v) for v in value], allow_http_loopback=False
        )
    except ValueError as exc:
        raise ValueError(f"context web_origins: {exc}") from exc


@dataclass(frozen=True)
class Settings:
    """Typed view of the context keys in `DEFAULTS`."""

    openapi_document: str
    stage: str
    powertools_layer_version: int
    api_reserved_concurrency: int
    worker_reserved_concurrency: int
    sender_email: str
    api_throttle_rate_limit: int
    api_throttle_burst_limit: int
    waf_rate_limit: int
    alarm_email: str
    """Subscribed (by email) to the alarm topic when set."""
    alarm_topic_arn: str
    """An existing SNS topic (an on-call pager's, an organisation's operations topic) every alarm
    also notifies, when set. A `prod` stage needs this or `alarm_email`: synth refuses otherwise."""
    clearinghouse_url: str
    """The clearinghouse's CAQH CORE real-time endpoint (HTTPS): 270s are POSTed to it in CORE's
    MIME multipart envelope (functions/coverage/core.py)."""
    clearinghouse_secret_arn: str
    """The complete ARN (with its 6-character suffix) of the Secrets Manager secret holding the
    clearinghouse credentials, a JSON object of four strings:
    `{"username": ..., "password": ..., "sender_id": ..., "receiver_id": ...}` (the CORE envelope's
    Username, Password, SenderID and ReceiverID the clearinghouse issued). The functions read it
    through Powertools parameters and read it again once their copy is older than
    `CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS` (5 minutes) or the clearinghouse refuses it, so rotating
    it (put a new value) needs no redeploy. Empty: the secret named `CLEARINGHOUSE_SECRET_NAME` in the stack's
    own account and region (a placeholder until operations create it). The stack never creates
    it. A secret encrypted with a customer-managed KMS key also needs `kms:Decrypt` on that key
    for the coverage roles, which the stack does not grant (use the `aws/secretsmanager` key)."""
    coordinator_alert_ids: str
    """Comma-separated person ids of the coordinators who receive coverage's alerts (authorizations
    running low or about to expire), e.g. `per_a1b2,per_c3d4`. Empty: the alerts are dropped
    with a warning in the NotifyAlerts log, so set it for every stage that serves participants."""
    app_url: str
    """The app's https address that emails and texts link to (`TANDEM_APP_URL`)."""
    sms_help_line: str
    """What a texted HELP is answered with (`SMS_HELP_LINE`): the neutral sender and how to reach
    the care team (carriers expect contact details). 10 to 300 characters, and as neutral as every
    text: it may not name the care (therapy, treatment, recovery ...)."""
    backup_copy_vault_arn: str
    """A backup vault in another account (and usually another region) that every backup plan rule
    copies its recovery points to, e.g. `arn:aws:backup:us-west-2:222233334444:backup-vault:tandem-dr`.
    Empty: no copies. The destination vault's access policy must allow this account to copy into
    it (see the README's operators' notes)."""
    part2_extra_types: str
    """Session or group types the program also treats as 42 CFR Part 2, comma-separated (e.g.
    `medication_management`): `PART2_EXTRA_TYPES` of the schedule and coverage APIs."""
    part2_coordinators: str
    """The coordinators who see Part 2 items and bills in full, comma-separated person ids, given
    the schedule and coverage APIs as `PART2_COORDINATORS`; `*` (the default): every coordinator
    (the variable is left unset); empty: none (only with the participant's consent)."""
    web_origins: tuple[str, ...] = ()
    """More web origins allowed to call the API from a browser (CORS), comma-separated in the
    context: exact `https://host[:port]` origins, never a wildcard (e.g. a preview of the app).
    The stack's own web app (its CloudFront domain, and `web_domain` when set) is always allowed
    besides these; empty: only that app."""
    web_domain: str = ""
    """A custom domain for the web app (e.g. `app.example.org`), given with `web_certificate_arn`:
    the distribution answers on it (point a DNS alias at the distribution's domain) and the API
    allows its origin. Empty: the app lives at the distribution's `*.cloudfront.net` domain."""
    web_certificate_arn: str = ""
    """The ACM certificate (in us-east-1, as CloudFront requires) covering `web_domain`."""

    @classmethod
    def from_scope(cls, scope: Construct) -> Settings:
        """Read every setting from the scope's context, falling back to `DEFAULTS`."""

        def get(key: str) -> Any:
            value = scope.node.try_get_context(key)
            return DEFAULTS[key] if value is None else value

        settings = cls(
            openapi_document=str(get("openapi_document")),
            stage=str(get("stage")),
            powertools_layer_version=int(get("powertools_layer_version")),
            api_reserved_concurrency=int(get("api_reserved_concurrency")),
            worker_reserved_concurrency=int(get("worker_reserved_concurrency")),
            sender_email=str(get("sender_email")),
            api_throttle_rate_limit=int(get("api_throttle_rate_limit")),
            api_throttle_burst_limit=int(get("api_throttle_burst_limit")),
            waf_rate_limit=int(get("waf_rate_limit")),
            alarm_email=str(get("alarm_email")).strip(),
            alarm_topic_arn=str(get("alarm_topic_arn")).strip(),
            clearinghouse_url=str(get("clearinghouse_url")),
            clearinghouse_secret_arn=str(get("clearinghouse_secret_arn")),
            coordinator_alert_ids=_joined(get("coordinator_alert_ids")),
            app_url=str(get("app_url")),
            sms_help_line=" ".join(str(get("sms_help_line")).split()),
            backup_copy_vault_arn=str(get("backup_copy_vault_arn")).strip(),
            part2_extra_types=_joined(get("part2_extra_types")),
            part2_coordinators=str(get("part2_coordinators")).strip()
            if str(get("part2_coordinators")).strip() == EVERY_COORDINATOR
            else _joined(get("part2_coordinators")),
            web_origins=_web_origins(get("web_origins")),
            web_domain=str(get("web_domain")).strip().lower(),
            web_certificate_arn=str(get("web_certificate_arn")).strip(),
        )
        settings._check_web_domain()
        if "@" not in settings.sender_email:
            raise ValueError(f"context sender_email must be an email address, got {settings.sender_email!r}")
        settings._check_alarm_subscriber()
        if settings.backup_copy_vault_arn and not _VAULT_ARN.fullmatch(settings.backup_copy_vault_arn):
            raise ValueError(
                "context backup_copy_vault_arn must be empty or an AWS Backup vault ARN (arn:aws:backup:"
                f"<region>:<account>:backup-vault:<name>), got {settings.backup_copy_vault_arn!r}"
            )
        if not settings.clearinghouse_url.startswith("https://"):
            raise ValueError(
                f"context clearinghouse_url must be an https URL, got {settings.clearinghouse_url!r}"
            )
        arn = settings.clearinghouse_secret_arn
        if arn and not _SECRET_ARN.fullmatch(arn):
            raise ValueError(
                "context clearinghouse_secret_arn must be empty or a complete Secrets Manager secret ARN "
                f"(ending in the 6-character suffix), got {arn!r}"
            )
        if not _PERSON_IDS.fullmatch(settings.coordinator_alert_ids):
            raise ValueError(
                "context coordinator_alert_ids must be person ids separated by commas, "
                f"got {settings.coordinator_alert_ids!r}"
            )
        if not _TYPE_NAMES.fullmatch(settings.part2_extra_types):
            raise ValueError(
                "context part2_extra_types must be type names separated by commas, "
                f"got {settings.part2_extra_types!r}"
            )
        if settings.part2_coordinators != EVERY_COORDINATOR and not _PERSON_IDS.fullmatch(
            settings.part2_coordinators
        ):
            raise ValueError(
                "context part2_coordinators must be * (every coordinator) or person ids separated by commas, "
                f"got {settings.part2_coordinators!r}"
            )
        if not settings.app_url.startswith("https://"):
            raise ValueError(f"context app_url must be an https URL, got {settings.app_url!r}")
        if not 10 <= len(settings.sms_help_line) <= 300:
            raise ValueError("context sms_help_line must be 10 to 300 characters")
        try:
            check_neutral(settings.sms_help_line)
        except ValueError as exc:
            raise ValueError(f"context sms_help_line: {exc}") from exc
        return settings

    def _check_web_domain(self) -> None:
        if bool(self.web_domain) != bool(self.web_certificate_arn):
            raise ValueError(
                "context web_domain and web_certificate_arn go together: CloudFront serves a custom "
                "domain only with a certificate covering it"
            )
        if self.web_domain:
            refusal = (
                f"context web_domain must be a host name (no scheme, port or path), got {self.web_domain!r}"
            )
            try:
                (origin,) = _web_origins(f"https://{self.web_domain}")
            except ValueError as exc:
                raise ValueError(refusal) from exc
            if ":" in origin.removeprefix("https://"):
                raise ValueError(refusal)
        if self.web_certificate_arn and not _CERTIFICATE_ARN.fullmatch(self.web_certificate_arn):
            raise ValueError(
                "context web_certificate_arn must be an ACM certificate ARN in us-east-1 (CloudFront "
                f"takes its certificates from there), got {self.web_certificate_arn!r}"
            )

    def _check_alarm_subscriber(self) -> None:
        if self.alarm_email and ("@" not in self.alarm_email or any(c.isspace() for c in self.alarm_email)):
            raise ValueError(f"context alarm_email must be an email address, got {self.alarm_email!r}")
        if self.alarm_topic_arn and not _TOPIC_ARN.fullmatch(self.alarm_topic_arn):
            raise ValueError(
                f"context alarm_topic_arn must be empty or an SNS topic ARN, got {self.alarm_topic_arn!r}"
            )
        if self.stage == PRODUCTION_STAGE and not (self.alarm_email or self.alarm_topic_arn):
            raise ValueError(
                "stage prod needs an alarm subscriber: nobody would hear its alarms. Set the context "
                "alarm_email (e.g. -c alarm_email=oncall@example.org) or alarm_topic_arn (an existing "
                "SNS topic), or synthesize another stage (-c stage=dev)."
            )

    @property
    def sender_domain(self) -> str:
        """The domain part of the sender address (its SES domain identity)."""
        return self.sender_email.rsplit("@", 1)[1]
