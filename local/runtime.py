"""The embedded runtime: moto as the AWS, the tables/queues/user pool from the shared
definitions, the demo program, the local gateway and the background loops."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.server import ThreadedMotoServer

from functions.catalog import (
    COORDINATOR_ALERT_IDS_ENV,
    DLQ_URL_ENV,
    ENTRYPOINTS,
    EVENT_BUS_ENV,
    QUEUE_URL_ENV,
    SCHEDULE_EVENTS_TOPIC_ENV,
    SENDER_EMAIL_ENV,
    SES_CONFIGURATION_SET_ENV,
    STAFF_USER_POOL_ENV,
    USER_POOL_ENV,
    Entrypoint,
)
from functions.common.cors import ORIGINS_ENV as WEB_ORIGINS_ENV
from functions.common.tables import ALL_TABLES
from functions.openapi import load_committed
from functions.schedule.deps import stated_rules
from functions.schedule.vocabulary import PersonKind
from local import cognito_mail, cognito_mfa, moto_dynamodb, moto_state, pollers, provision, seed, signals
from local import gateway as gw
from local.core_server import CoreSimulator
from local.settings import (
    CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS,
    CLEARINGHOUSE_SECRET_NAME,
    PROGRAM_SMS_NUMBER,
    REGION,
    SENDER_EMAIL,
    LocalSettings,
)
from local.webapp import WebApp
from local.workers import Invoke, WorkerPool

CLIENT_SERVICES = (
    "dynamodb",
    "dynamodbstreams",
    "sqs",
    "ses",
    "sns",
    "cognito-idp",
    "events",
    "secretsmanager",
)
STOP_GRACE_SECONDS = 1.0
"""How long the loops get to finish a step once told to stop (they are daemon threads: one
still busy is abandoned with the process)."""
WORKERS_READY_SECONDS = 120.0
"""How long the function workers may take to import the functions (a loaded machine is slow)."""
COORDINATOR_ALERT_IDS = ",".join(p.person_id for p in seed.PEOPLE if p.kind is PersonKind.COORDINATOR)
"""Who coverage's alerts go to locally: the demo program's coordinators (`per_democoordinator`)."""


def log(line: str) -> None:
    print(f"[tandem] {line}", file=sys.stderr, flush=True)


def _environment(settings: LocalSettings) -> None:
    """What Lambda's environment would hold, pointed at moto. Set before any function imports."""
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ENDPOINT_URL": settings.aws_endpoint_url,
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
            "TANDEM_STAGE": "local",
            "VIDEO_ROOMS": "fake",  # moto has no Chime SDK meetings
            # Eligibility goes over CAQH CORE to the local CORE simulator (or the endpoint
            # TANDEM_CLEARINGHOUSE_URL names), as in AWS: see `clearinghouse` below.
            "CLEARINGHOUSE": "https",
            "TANDEM_AWS_READ_TIMEOUT_SECONDS": "30",  # moto on a busy laptop is no DynamoDB
            WEB_ORIGINS_ENV: ",".join(settings.web_origins),
            SENDER_EMAIL_ENV: SENDER_EMAIL,
        }
    )


def function_environment(resources: provision.Resources) -> dict[str, str]:
    """The resource variables CDK gives the functions, naming the provisioned local resources
    (each function module reads only its own; locally they share one process environment)."""
    env = {table.env_var: resources.tables[table.key] for table in ALL_TABLES}
    env[QUEUE_URL_ENV] = resources.queue_url
    env[DLQ_URL_ENV] = resources.dlq_url
    if resources.event_bus_name:
        env[EVENT_BUS_ENV] = resources.event_bus_name
    if resources.schedule_events_topic_arn:
        env[SCHEDULE_EVENTS_TOPIC_ENV] = resources.schedule_events_topic_arn
    env[COORDINATOR_ALERT_IDS_ENV] = COORDINATOR_ALERT_IDS
    env[USER_POOL_ENV] = resources.user_pool_id
    env[STAFF_USER_POOL_ENV] = resources.staff_user_pool_id
    if resources.email_configuration_set:
        env[SES_CONFIGURATION_SET_ENV] = resources.email_configuration_set
    return env


def clearinghouse(
    settings: LocalSettings, secrets: Any, started: list[Callable[[], None]]
) -> tuple[str, CoreSimulator | None]:
    """Where eligibility checks go: the endpoint TANDEM_CLEARINGHOUSE_URL names, or the local CORE
    simulator (started here). Its credentials go into moto's Secrets Manager and the functions'
    environment names the secret, so the functions read them as they do in AWS."""
    from functions.coverage.clearinghouse import SECRET_KEYS

    simulator: CoreSimulator | None = None
    if settings.clearinghouse is not None:
        endpoint = settings.clearinghouse
        url = endpoint.url
        values = (endpoint.user, endpoint.password, endpoint.sender_id, endpoint.receiver_id)
    else:
        simulator = CoreSimulator(settings.host, settings.clearinghouse_port).start()
        started.append(simulator.stop)
        url, known = simulator.url, simulator.credentials
        values = (known.username, known.password, known.sender_id, known.receiver_id)
    secret = secrets.create_secret(
        Name=CLEARINGHOUSE_SECRET_NAME, SecretString=json.dumps(dict(zip(SECRET_KEYS, values, strict=True)))
    )
    os.environ.update(
        {
            "CLEARINGHOUSE_URL": url,
            "CLEARINGHOUSE_SECRET_ARN": secret["ARN"],
            "CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS": str(CLEARINGHOUSE_SECRET_MAX_AGE_SECONDS),
        }
    )
    return url, simulator


def sent_sms() -> list[dict[str, str]]:
    """The texts moto's SNS holds as sent (its in-process backend), oldest first."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.sns.models import sns_backends

    sent = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.items())
    return [{"message_id": message_id, "to": to, "text": text} for message_id, (to, text) in sent]


@dataclass
class Runtime:
    settings: LocalSettings
    resources: provision.Resources
    logins: list[seed.DemoLogin]
    moto: Any
    server: Any
    pool: WorkerPool
    clearinghouse_url: str = ""
    core_simulator: CoreSimulator | None = None
    loops: list[pollers.Loop] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return {
            "api_url": self.settings.api_url,
            "docs_url": f"{self.settings.api_url}/docs",
            "aws_endpoint_url": self.settings.aws_endpoint_url,
            "region": REGION,
            "user_pool_id": self.resources.user_pool_id,
            "user_pool_client_id": self.resources.user_pool_client_id,
            "staff_user_pool_id": self.resources.staff_user_pool_id,
            "staff_user_pool_client_id": self.resources.staff_user_pool_client_id,
            "tables": self.resources.tables,
            "queue_url": self.resources.queue_url,
            "dlq_url": self.resources.dlq_url,
            "event_bus_name": self.resources.event_bus_name,
            "inbound_sms_topic_arn": self.resources.inbound_sms_topic_arn,
            "program_sms_number": PROGRAM_SMS_NUMBER,
            "sent_sms_url": f"{self.settings.api_url}{gw.SENT_SMS_PATH}",
            "invitations_url": f"{self.settings.api_url}{gw.INVITATIONS_PATH}",
            "clearinghouse_url": self.clearinghouse_url,
            "users": [login.state() for login in self.logins],
        }

    def write_state(self) -> Path:
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        path = self.settings.state_dir / "local.json"
        # Written aside and renamed: whoever waits for the file never reads half of it.
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(self.state(), indent=2) + "\n")
        partial.replace(path)
        return path

    def stop(self) -> None:
        """Stop everything within seconds: the loops and the gateway are told first, the
        workers are ended (a busy one killed), then moto."""
        for loop in self.loops:
            loop.stop()
        self.server.shutdown()
        self.server.server_close()
        self.pool.stop()
        if self.core_simulator is not None:
            self.core_simulator.stop()
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for loop in self.loops:
            loop.join(timeout=max(0.0, deadline - time.monotonic()))
        self.moto.stop()


class MotoServer(ThreadedMotoServer):
    """moto's threaded server, except that a port it cannot bind fails the start (moto's own
    `start` waits forever for a server that never came up)."""

    failure: BaseException | None = None

    def _server_entry(self) -> None:
        signals.main_thread_only()
        try:
            super()._server_entry()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits in start()
            self.failure = exc
            self._server_ready_event.set()

    def start(self) -> None:
        super().start()
        if isinstance(self.failure, SystemExit):  # werkzeug's answer to a port in use
            raise OSError(f"moto could not listen on port {self._port}")
        if self.failure is not None:
            raise self.failure


def start(settings: LocalSettings | None = None) -> Runtime:
    """Start moto, provision and seed it, start the function workers, the gateway and the
    loops; returns once all of them serve (and the state file says so). Whatever was started
    is stopped again when the start fails or is interrupted."""
    settings = settings or LocalSettings.from_env()
    _environment(settings)

    import logging

    import boto3

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's per-request lines

    # moto runs in this process: DynamoDB as AWS runs it, no state kept forever, and Cognito's
    # TOTP MFA, which moto does not enforce (staff pool: required)
    moto_dynamodb.install()
    moto_state.install()
    cognito_mfa.install()
    cognito_mail.install()
    moto = MotoServer(ip_address=settings.host, port=settings.aws_port, verbose=False)
    moto.start()
    started: list[Callable[[], None]] = [moto.stop]
    try:
        return _start(settings, moto, started, boto3.session.Session(region_name=REGION))
    except BaseException:
        for stop in reversed(started):
            stop()
        raise


def _start(settings: LocalSettings, moto: Any, started: list[Callable[[], None]], session: Any) -> Runtime:
    clients = {name: session.client(name, endpoint_url=settings.aws_endpoint_url) for name in CLIENT_SERVICES}

    resources = provision.provision(clients)
    os.environ.update(function_environment(resources))
    clearinghouse_url, core_simulator = clearinghouse(settings, clients["secretsmanager"], started)
    # The workers inherit the environment now complete, and import the functions while the
    # demo program is seeded.
    pool = WorkerPool(
        settings.workers,
        sorted({e.module for e in ENTRYPOINTS}),
        log,
        max_events=settings.worker_max_events,
        environment={"AWS_ENDPOINT_URL": settings.functions_aws_url} if settings.functions_aws_url else None,
    )
    started.append(pool.stop)
    pool.spawn()
    logins = seed.seed(clients, resources)
    pool.wait_ready(WORKERS_READY_SECONDS)

    document = load_committed()
    verifier = gw.TokenVerifier(
        settings.aws_endpoint_url,
        REGION,
        resources.user_pool_id,
        resources.user_pool_client_id,
        more_pools=[(resources.staff_user_pool_id, resources.staff_user_pool_client_id)],
    )
    gateway = gw.Gateway(
        document=document,
        verifier=verifier,
        api_url=settings.api_url,
        sent_sms=sent_sms,
        invitations=cognito_mail.invitations,
        invoker=pool.invoke,
        web_origins=settings.web_origins,
        web_app=WebApp(
            cognito_endpoint=settings.aws_endpoint_url,
            region=REGION,
            pools={
                "participant": {
                    "user_pool_id": resources.user_pool_id,
                    "client_id": resources.user_pool_client_id,
                },
                "staff": {
                    "user_pool_id": resources.staff_user_pool_id,
                    "client_id": resources.staff_user_pool_client_id,
                },
            },
            api_url=settings.api_url,
            own_origins=settings.own_origins,
            policy=stated_rules(),
        ),
    )
    server = gw.make_server(gateway, settings.host, settings.api_port, log)
    started.append(server.server_close)
    runtime = Runtime(settings, resources, logins, moto, server, pool, clearinghouse_url, core_simulator)

    def serve() -> None:
        signals.main_thread_only()
        server.serve_forever(poll_interval=0.1)

    server_thread = threading.Thread(target=serve, name="gateway", daemon=True)
    server_thread.start()
    started.append(server.shutdown)
    runtime.threads.append(server_thread)

    schedule_table = resources.tables["schedule"]
    streams = pollers.StreamPoller(
        clients["dynamodb"],
        clients["dynamodbstreams"],
        schedule_table,
        log,
        # Delivered records leave moto's memory (DynamoDB Streams would keep them 24 hours).
        trim=lambda sequence: moto_dynamodb.trim_stream(schedule_table, sequence),
        invoker=pool.invoke,
    )
    queue = pollers.QueuePoller(clients["sqs"], resources.queue_url, log, invoker=pool.invoke)
    nightly = pollers.NightlyRunner(log, run=pool.invoke)
    runtime.loops = [
        pollers.Loop("stream-poller", settings.poll_seconds, streams.step, log),
        pollers.Loop("queue-poller", settings.poll_seconds, queue.step, log),
        pollers.Loop("minute-sweep", settings.sweep_seconds, lambda: pollers.run_sweep(pool.invoke), log),
        pollers.Loop("nightly-runner", settings.sweep_seconds, nightly.step, log),
        pollers.Loop("housekeeping", moto_state.HOUSEKEEPING_SECONDS, moto_state.trim, log),
    ]
    runtime.loops += [
        pollers.Loop(f"event-poller-{entry.id}", settings.poll_seconds, poller.step, log)
        for entry, poller in event_pollers(clients["sqs"], resources, log, pool.invoke)
    ]
    runtime.loops += [
        pollers.Loop(f"subscription-poller-{entry.id}", settings.poll_seconds, poller.step, log)
        for entry, poller in subscription_pollers(clients["sqs"], resources, log, pool.invoke)
    ]
    runtime.loops += [
        pollers.Loop(f"topic-poller-{entry.id}", settings.poll_seconds, poller.step, log)
        for entry, poller in topic_pollers(clients["sqs"], resources, log, pool.invoke)
    ]
    for loop in runtime.loops:
        started.append(loop.stop)
        loop.start()
    runtime.write_state()
    return runtime


def event_pollers(
    sqs: Any, resources: provision.Resources, log: pollers.Log, invoker: Invoke | None = None
) -> list[tuple[Entrypoint, pollers.EventPoller]]:
    """One poller per `event` entry point, reading the queue its local rule on the bus fills."""
    found: list[tuple[Entrypoint, pollers.EventPoller]] = []
    for entry in ENTRYPOINTS:
        queue = resources.event_queues.get(entry.id)
        if entry.trigger == "event" and queue is not None:
            poller = pollers.EventPoller(sqs, entry, queue.url, queue.dlq_url, log, invoker=invoker)
            found.append((entry, poller))
    return found


def subscription_pollers(
    sqs: Any, resources: provision.Resources, log: pollers.Log, invoker: Invoke | None = None
) -> list[tuple[Entrypoint, pollers.QueuePoller]]:
    """One poller per `subscription` entry point, reading its FIFO queue on the schedule-events
    topic (one batch at a time: the queue's order per subject holds)."""
    return [
        (entry, pollers.QueuePoller(sqs, queue.url, log, invoker=invoker, consumer=entry, concurrency=1))
        for entry in ENTRYPOINTS
        if entry.trigger == "subscription" and (queue := resources.subscription_queues.get(entry.id))
    ]


def topic_pollers(
    sqs: Any, resources: provision.Resources, log: pollers.Log, invoker: Invoke | None = None
) -> list[tuple[Entrypoint, pollers.TopicPoller]]:
    """One poller per `topic` entry point, reading the queue subscribed to the inbound-SMS topic."""
    found: list[tuple[Entrypoint, pollers.TopicPoller]] = []
    for entry in ENTRYPOINTS:
        queue = resources.topic_queues.get(entry.id)
        if entry.trigger == "topic" and queue is not None:
            poller = pollers.TopicPoller(sqs, entry, queue.url, queue.dlq_url, log, invoker=invoker)
            found.append((entry, poller))
    return found


def banner(runtime: Runtime, started: float) -> str:
    s = runtime.settings
    lines = [
        "",
        f"Tandem local runtime ready in {time.monotonic() - started:.1f}s",
        f"  API          {s.api_url}",
        f"  Web app      {s.api_url}/app/   (sign in as a demo person below)",
        f"  Swagger UI   {s.api_url}/docs",
        f"  AWS (moto)   {s.aws_endpoint_url}   region {REGION}",
        f"  User pool    {runtime.resources.user_pool_id}   client {runtime.resources.user_pool_client_id}"
        "   (participants)",
        f"  Staff pool   {runtime.resources.staff_user_pool_id}   client "
        f"{runtime.resources.staff_user_pool_client_id}   (clinicians, coordinators: TOTP required)",
        f"  State file   {s.state_dir / 'local.json'}",
        f"  Event bus    {runtime.resources.event_bus_name or '-'}   (alerts to {COORDINATOR_ALERT_IDS})",
        f"  Eligibility  {runtime.clearinghouse_url}   (CAQH CORE; "
        + (
            "the local simulator: any member id is an active PPO, SIM-* patterns choose other answers)"
            if runtime.core_simulator is not None
            else "TANDEM_CLEARINGHOUSE_URL)"
        ),
        f"  Two-way SMS  text {PROGRAM_SMS_NUMBER}: .venv/bin/python -m local.sms +15125550101 STOP"
        f"   (texts sent: {s.api_url}{gw.SENT_SMS_PATH})",
        "  Nightly      "
        + (", ".join(f"{e.id} at {e.daily:%H:%M} UTC" for e in pollers.nightly_entries()) or "-")
        + "   (in-process, now: local.pollers.run_nightly())",
        "",
        "Demo logins (password for all: " + (runtime.logins[0].password if runtime.logins else "-") + ")",
    ]
    lines += [login.describe() for login in runtime.logins]
    lines += [
        "",
        "Get a token:  .venv/bin/python -m local.token coordinator   (an ID token; answers staff's TOTP)",
        "In Swagger UI press Authorize and paste the token. Ctrl-C stops.",
        "",
    ]
    return "\n".join(lines)
