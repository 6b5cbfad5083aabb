"""Clinicians' availability, care teams, couples and caseloads on the seeded program (moto)."""

from __future__ import annotations

import pytest

from tests.integration.scheduling import (
    ALEX,
    COORDINATOR,
    JAMIE,
    LEE,
    PRIYA,
    SAM,
    TAYLOR,
    at,
    book,
    call,
    next_week_day,
)

pytestmark = pytest.mark.usefixtures("program")


def new_participant(email: str, state: str = "TX", **extra) -> str:
    body = {
        "kind": "participant",
        "display_name": "New Person",
        "email": email,
        "time_zone": "America/Chicago",
        "state": state,
        "age_group": "adult",
        **extra,
    }
    reply = call("POST", "/people", caller=COORDINATOR, body=body)
    assert reply.status == 201, reply
    return str(reply.json["person_id"])


class TestAvailability:
    def test_staff_read_it_participants_do_not(self):
        reply = call("GET", "/clinicians/per_demotherapist1/availability", caller=PRIYA)
        assert reply.status == 200
        assert reply.json["time_zone"] == "America/Chicago"
        assert {"weekday": 1, "start": "08:00:00", "end": "20:00:00"} in reply.json["weekly"]
        assert call("GET", "/clinicians/per_demotherapist1/availability", caller=ALEX).status == 404

    def test_only_the_clinician_or_a_coordinator_changes_it(self):
        body = {"weekly": [{"weekday": 0, "start": "09:00", "end": "12:00"}]}
        current = call("GET", "/clinicians/per_demotherapist1/availability", caller=SAM).headers["etag"]
        assert (
            call(
                "PUT",
                "/clinicians/per_demotherapist1/availability",
                caller=LEE,
                body=body,
                headers={"If-Match": current},
            ).status
            == 404
        )
        saved = call(
            "PUT",
            "/clinicians/per_demotherapist1/availability",
            caller=SAM,
            body=body,
            headers={"If-Match": current},
        )
        assert saved.status == 200
        assert saved.json["weekly"] == [{"weekday": 0, "start": "09:00:00", "end": "12:00:00"}]
        assert (
            call(
                "PUT",
                "/clinicians/per_demotherapist1/availability",
                caller=SAM,
                body=body,
                headers={"If-Match": current},
            ).status
            == 412
        )

    def test_windows_must_be_ordered(self):
        body = {"weekly": [{"weekday": 0, "start": "17:00", "end": "09:00"}]}
        reply = call(
            "PUT",
            "/clinicians/per_demotherapist1/availability",
            caller=SAM,
            body=body,
            headers={"If-Match": '"1"'},
        )
        assert reply.status == 422
        assert reply.json["errors"][0]["field"].startswith("body.weekly.0")


class TestCareTeams:
    def test_participant_reads_their_own_team_with_their_couple(self):
        reply = call("GET", "/participants/per_demoalex/care-team", caller=ALEX)
        assert reply.status == 200
        assert reply.json == {
            "participant_id": "per_demoalex",
            "individual_therapist_id": "per_demotherapist1",
            "couples_therapist_id": "per_democouplestherapist",
            "substance_use_counselor_id": "per_democounselor",
            "prescriber_id": "per_demoprescriber",
            "couple_id": "cpl_demorivera",
            "partner_id": "per_demojamie",
        }

    def test_clinicians_on_the_team_see_it_others_do_not(self):
        assert call("GET", "/participants/per_demoalex/care-team", caller=SAM).status == 200
        assert (
            call("GET", "/participants/per_demoalex/care-team", caller=PRIYA).status == 200
        )  # couples therapist
        assert call("GET", "/participants/per_demoalex/care-team", caller=LEE).status == 404

    def test_coordinator_sets_a_team_with_the_right_roles_and_licenses(self):
        person = new_participant("ca.person@example.com", state="CA")
        wrong = call(
            "PUT",
            f"/participants/{person}/care-team",
            caller=COORDINATOR,
            body={"individual_therapist_id": "per_demoprescriber", "prescriber_id": "per_demotherapist1"},
        )
        assert wrong.status == 422
        assert {e["field"] for e in wrong.json["errors"]} == {
            "body.individual_therapist_id",
            "body.prescriber_id",
        }
        ok = call(
            "PUT",
            f"/participants/{person}/care-team",
            caller=COORDINATOR,
            body={"individual_therapist_id": "per_demotherapist2"},
        )
        assert ok.status == 200, ok
        assert ok.json["individual_therapist_id"] == "per_demotherapist2"
        # Lee now has the participant on their caseload
        assert call("GET", f"/people/{person}", caller=LEE).status == 200
        # Replacing the team drops Lee
        call(
            "PUT",
            f"/participants/{person}/care-team",
            caller=COORDINATOR,
            body={"individual_therapist_id": "per_democouplestherapist"},
        )
        assert call("GET", f"/people/{person}", caller=LEE).status == 404

    def test_unlicensed_clinician_cannot_join_the_team(self):
        person = new_participant("ny.person@example.com", state="NY")
        reply = call(
            "PUT",
            f"/participants/{person}/care-team",
            caller=COORDINATOR,
            body={"individual_therapist_id": "per_demotherapist1"},
        )
        assert reply.status == 422
        assert "not licensed in NY" in reply.json["errors"][0]["message"]

    def test_a_plan_needing_counseling_needs_a_counselor(self):
        plan = {
            "sessions_per_week_min": 3,
            "sessions_per_week_max": 5,
            "hours_per_week_min": 9,
            "hours_per_week_max": 12,
            "needs_substance_use_counseling": True,
        }
        person = new_participant("sud@example.com", treatment_plan=plan)
        reply = call(
            "PUT",
            f"/participants/{person}/care-team",
            caller=COORDINATOR,
            body={"individual_therapist_id": "per_demotherapist1"},
        )
        assert reply.status == 422
        assert reply.json["errors"] == [
            {"field": "body.substance_use_counselor_id", "message": "the treatment plan needs one"}
        ]

    def test_only_coordinators_set_teams(self):
        reply = call("PUT", "/participants/per_demoalex/care-team", caller=SAM, body={})
        assert reply.status == 403


class TestCouples:
    def test_partners_and_their_therapist_see_the_couple(self):
        for caller in (ALEX, JAMIE, PRIYA, COORDINATOR):
            assert call("GET", "/couples/cpl_demorivera", caller=caller).status == 200
        for caller in (TAYLOR, SAM):
            assert call("GET", "/couples/cpl_demorivera", caller=caller).status == 404

    def test_forming_a_couple(self):
        a = new_participant("a@example.com")
        b = new_participant("b@example.com")
        reply = call(
            "POST",
            "/couples",
            caller=COORDINATOR,
            body={
                "partner_ids": [a, b],
                "couples_therapist_id": "per_democouplestherapist",
                "join_mode": "two_locations",
            },
            headers={"Idempotency-Key": "couple-ab"},
        )
        assert reply.status == 201, reply
        couple = reply.json
        assert couple["join_mode"] == "two_locations"
        again = call(
            "POST",
            "/couples",
            caller=COORDINATOR,
            body={
                "partner_ids": [a, b],
                "couples_therapist_id": "per_democouplestherapist",
                "join_mode": "two_locations",
            },
            headers={"Idempotency-Key": "couple-ab"},
        )
        assert again.json["couple_id"] == couple["couple_id"]
        team = call("GET", f"/participants/{a}/care-team", caller=COORDINATOR).json
        assert team["partner_id"] == b
        assert team["couples_therapist_id"] == "per_democouplestherapist"

    def test_a_participant_belongs_to_one_couple(self):
        c = new_participant("c@example.com")
        reply = call(
            "POST",
            "/couples",
            caller=COORDINATOR,
            body={"partner_ids": ["per_demoalex", c], "couples_therapist_id": "per_democouplestherapist"},
        )
        assert reply.status == 409
        assert reply.json["errors"] == [{"field": "body.partner_ids.0", "message": "already in a couple"}]

    def test_the_therapist_must_be_a_licensed_couples_therapist(self):
        a = new_participant("d@example.com")
        b = new_participant("e@example.com")
        reply = call(
            "POST",
            "/couples",
            caller=COORDINATOR,
            body={"partner_ids": [a, b], "couples_therapist_id": "per_demotherapist1"},
        )
        assert reply.status == 422
        assert reply.json["errors"] == [
            {"field": "body.couples_therapist_id", "message": "not a couples_therapist"}
        ]

    def test_coordinator_moves_the_couple_to_another_couples_therapist(self):
        # Given the Riveras with Priya as their couples therapist
        path = "/couples/cpl_demorivera"
        # When a coordinator moves them to Lee
        reply = call(
            "PATCH",
            path,
            caller=COORDINATOR,
            body={"couples_therapist_id": "per_demotherapist2"},
            headers={"If-Match": '"1"'},
        )
        # Then the couple, both partners' teams and the two caseloads follow
        assert reply.status == 200, reply
        assert reply.headers["etag"] == '"2"'
        assert reply.json["couples_therapist_id"] == "per_demotherapist2"
        assert reply.json["join_mode"] == "one_location"
        for partner in ("per_demoalex", "per_demojamie"):
            team = call("GET", f"/participants/{partner}/care-team", caller=COORDINATOR).json
            assert team["couples_therapist_id"] == "per_demotherapist2"
        lee = call("GET", "/clinicians/per_demotherapist2/caseload", caller=COORDINATOR).json["items"]
        assert {
            "participant_id": "per_demoalex",
            "display_name": "Alex Rivera",
            "roles": ["couples_therapist"],
        } in lee
        priya = call("GET", "/clinicians/per_democouplestherapist/caseload", caller=COORDINATOR).json
        assert "per_demoalex" not in {e["participant_id"] for e in priya["items"]}
        # And the old version cannot be written over
        stale = call(
            "PATCH",
            path,
            caller=COORDINATOR,
            body={"join_mode": "two_locations"},
            headers={"If-Match": '"1"'},
        )
        assert stale.status == 412

    def test_changing_a_couple_is_checked(self):
        path = "/couples/cpl_demorivera"
        if_match = {"If-Match": '"1"'}
        assert call("PATCH", path, caller=COORDINATOR, body={"join_mode": "two_locations"}).status == 428
        for caller in (ALEX, PRIYA):
            assert (
                call(
                    "PATCH", path, caller=caller, body={"join_mode": "two_locations"}, headers=if_match
                ).status
                == 403
            )
        empty = call("PATCH", path, caller=COORDINATOR, body={}, headers=if_match)
        assert empty.status == 422, empty
        unknown = call("PATCH", path, caller=COORDINATOR, body={"nickname": "x"}, headers=if_match)
        assert unknown.status == 422
        assert unknown.json["errors"][0]["field"] == "body.nickname"
        not_couples = call(
            "PATCH",
            path,
            caller=COORDINATOR,
            body={"couples_therapist_id": "per_demotherapist1"},
            headers=if_match,
        )
        assert not_couples.status == 422
        assert not_couples.json["errors"] == [
            {"field": "body.couples_therapist_id", "message": "not a couples_therapist"}
        ]
        assert (
            call(
                "PATCH",
                "/couples/cpl_nosuchcouple1",
                caller=COORDINATOR,
                body={"join_mode": "two_locations"},
                headers=if_match,
            ).status
            == 404
        )
        assert (
            call("GET", path, caller=COORDINATOR).json["couples_therapist_id"] == "per_democouplestherapist"
        )


class TestCaseload:
    def test_clinicians_see_staff_and_their_caseload_only(self):
        assert call("GET", "/people/per_demoalex", caller=SAM).status == 200
        assert call("GET", "/people/per_demoalex", caller=LEE).status == 404
        assert call("GET", "/people/per_demotherapist2", caller=SAM).status == 200  # a colleague

    def test_clinician_reads_a_caseload_participants_week(self):
        session = book(start=at(next_week_day(0), 10)).json
        year, week, _ = next_week_day(0).isocalendar()
        reply = call("GET", f"/people/per_demoalex/schedule?week={year}-W{week:02d}", caller=SAM)
        assert reply.status == 200
        assert [i["session_id"] for i in reply.json["items"] if not i["group_id"]] == [session["session_id"]]
        assert call("GET", f"/people/per_demoalex/schedule?week={year}-W{week:02d}", caller=LEE).status == 404


class TestCaseloadList:
    def test_a_clinician_lists_their_own_caseload_with_positions(self):
        reply = call("GET", "/clinicians/per_democouplestherapist/caseload", caller=PRIYA)
        assert reply.status == 200, reply
        items = {i["participant_id"]: i["roles"] for i in reply.json["items"]}
        # Priya: the Riveras' couples therapist, and Taylor's individual therapist
        assert items == {
            "per_demoalex": ["couples_therapist"],
            "per_demojamie": ["couples_therapist"],
            "per_demotaylor": ["individual_therapist"],
        }
        # And by name: the people she treats (a clinician reads no directory of participants)
        names = {i["participant_id"]: i["display_name"] for i in reply.json["items"]}
        assert names == {
            "per_demoalex": "Alex Rivera",
            "per_demojamie": "Jamie Rivera",
            "per_demotaylor": "Taylor Brooks",
        }
        # A standard caseload is no Part 2 record: no notice
        assert "tandem-redisclosure-notice" not in reply.headers

    def test_only_the_clinician_and_coordinators_see_it(self):
        assert call("GET", "/clinicians/per_democouplestherapist/caseload", caller=COORDINATOR).status == 200
        assert call("GET", "/clinicians/per_democouplestherapist/caseload", caller=SAM).status == 404
        assert call("GET", "/clinicians/per_democouplestherapist/caseload", caller=ALEX).status == 404
