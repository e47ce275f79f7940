"""Obvious patient identifiers are found in session notes; ordinary clinical text is not."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.identifiers import IdentifierMatch, describe, find_identifiers

# Pinned so rule 2's "at least ten years ago" bound does not drift with the calendar.
YEAR = 2026


def _only(text: str, identifier: str) -> IdentifierMatch:
    """The expected single match for ``identifier`` placed inside ``text``."""
    start = text.index(identifier)
    return IdentifierMatch(kind="email", start=start, end=start + len(identifier))


@pytest.mark.parametrize(
    ("text", "identifier"),
    [
        ("Contact jane.doe@example.com for records.", "jane.doe@example.com"),
        ("j_smith+notes@mail.example.co.uk", "j_smith+notes@mail.example.co.uk"),
        ("Her partner (PAT.LEE@Clinic-Mail.org) called.", "PAT.LEE@Clinic-Mail.org"),
    ],
)
def test_email_is_found_at_its_position(text: str, identifier: str) -> None:
    assert find_identifiers(text, current_year=YEAR) == [_only(text, identifier)]


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958",
        "+1-202-555-0143",
        "+44 (0)20 7946 0958",
        "+33 1 23 45 67 89",
        "+447700900123",
        "(202) 555-0143",
        "202-555-0143",
        "202.555.0143",
        "1-202-555-0143",
        "020 7946 0958",
        "07700 900123",
        "0161 496 0000",
        "(0161) 496 0000",
    ],
)
def test_phone_is_found_at_its_position(phone: str) -> None:
    text = f"Client asked to be called on {phone} after the session."
    start = text.index(phone)
    expected = [IdentifierMatch("phone", start, start + len(phone))]
    assert find_identifiers(text, current_year=YEAR) == expected


@pytest.mark.parametrize(
    ("text", "date_text"),
    [
        # Rule 1: a cue right before the date, any format, any year.
        ("DOB: 12/03/1985, referred by GP.", "12/03/1985"),
        ("D.O.B. 1985-03-12", "1985-03-12"),
        ("date of birth 12 March 1985", "12 March 1985"),
        ("Date of Birth - 12.03.1985", "12.03.1985"),
        ("born March 12, 1985 in Leeds", "March 12, 1985"),
        ("born on 1st of May 1990", "1st of May 1990"),
        ("Client (b. 3/4/85) attended.", "3/4/85"),
        ("dob=2019-07-01", "2019-07-01"),
        # Rule 2: a full date in a plausible birth year with a birth word nearby.
        ("Her birthday is 12 March 1985 and she", "12 March 1985"),
        ("aged 40 (1985-03-12 per intake)", "1985-03-12"),
        ("Noted 03/12/1979 as date of birth.", "03/12/1979"),
    ],
)
def test_date_of_birth_is_found_at_its_position(text: str, date_text: str) -> None:
    start = text.index(date_text)
    expected = [IdentifierMatch("date_of_birth", start, start + len(date_text))]
    assert find_identifiers(text, current_year=YEAR) == expected


def test_several_identifiers_come_back_in_text_order() -> None:
    text = "DOB 12/03/1985; mail a.b@example.org or ring 020 7946 0958."
    assert [m.kind for m in find_identifiers(text, current_year=YEAR)] == [
        "date_of_birth",
        "email",
        "phone",
    ]


def test_birth_year_bound_follows_current_year() -> None:
    """Rule 2 only trusts years at least ten years back: younger dates are session dates."""
    text = "Her birthday party was on 2016-05-01."
    assert find_identifiers(text, current_year=2026) != []
    assert find_identifiers(text, current_year=2025) == []


CLINICAL_NOTES = [
    "Session lasted 45 min; next session in 2 weeks.",
    "Slept 6 hours after the dosing session.",
    "Psilocybin 25 mg administered at 10:30.",
    "Ketamine 0.5 mg/kg infused over 40 minutes.",
    "PHQ-9 = 14, GAD-7 = 9 at baseline.",
    "MADRS score 3/6 on item 4; mood 7/10 before, 3/10 after.",
    "Session 3 of 12; integration session #4.",
    "Follow-up planned for 2024.",
    "Symptoms returned after 2-3 weeks.",
    "Item B5 rated 4, item C12 rated 2.",
    "Recording timestamp 01:23:45 marks the rupture.",
    "Dosing session on 2026-03-12 went as planned.",
    "Session held 12/03/2025 in room 4.",
    "Client aged 42, in therapy since 2019.",
    "Born in 1985, the client grew up abroad.",
    "Blood pressure 120/80 mmHg, HR 72 bpm.",
    "Heart rate 72-88 bpm across the 6-8 hour session.",
    "Scores went 14, 12, 9, 7 over four sessions.",
    "Ratings: 2 2 3 3 4 4 5 5 3 2 across items.",
    "Therapist spoke 30% of the time; client 70%.",
    "Rated 4 on a 1-5 scale; CAPS-5 total 38.",
    "Between 10:30 and 16:45 the client rested.",
    "Reviewed the 2023-11-05 and 2024-01-14 recordings.",
    "Took 1.5 mg lorazepam at 22:00.",
    "Age at onset 17; 3 prior episodes.",
    "Protocol version 2.10.3 used; dose ladder 100 125 150 mg.",
    "Her mother's birthday was hard; session on 2025-06-01.",
    "Sessions on 3, 10 and 17 March 2025.",
    "Section B. 12/03/2025 review of rubric item A3.",
    "Integration call lasted 1h 15m, 2nd of 6 calls.",
    "Email the supervisor about session 7; phone follow-up at 09:15.",
]


@pytest.mark.parametrize("text", CLINICAL_NOTES)
def test_ordinary_clinical_text_passes(text: str) -> None:
    assert find_identifiers(text, current_year=YEAR) == []


def test_describe_lists_kinds_and_human_positions() -> None:
    matches = [IdentifierMatch("email", 11, 30), IdentifierMatch("phone", 39, 52)]
    assert describe(matches) == (
        "notes: looks like it contains an e-mail address (characters 12-30)"
        " and a phone number (characters 40-52); remove patient identifiers"
    )


def test_describe_joins_three_with_commas_and_names_the_field() -> None:
    text = "DOB 12/03/1985; mail a.b@example.org or ring 020 7946 0958."
    message = describe(find_identifiers(text, current_year=YEAR), field="session.notes")
    assert message.startswith("session.notes: looks like it contains a date of birth (")
    assert "), an e-mail address (" in message
    assert ") and a phone number (" in message


def test_describe_refuses_no_matches() -> None:
    with pytest.raises(ValueError, match="at least one match"):
        describe([])


# Fragments mixing identifiers and near-misses, so generated text actually hits the rules.
_FRAGMENTS = st.sampled_from(
    [
        "jane.doe@example.com",
        "+44 20 7946 0958",
        "(202) 555-0143",
        "07700 900123",
        "DOB: ",
        "born ",
        "b. ",
        "birthday ",
        "12/03/1985",
        "1985-03-12",
        "12 March 1985",
        "March 12, 1985",
        "PHQ-9 = 14",
        "25 mg",
        "10:30",
        " ",
        ".",
        "-",
        "+",
        "@",
        "/",
        "(",
        ")",
        "0",
        "9",
    ]
)
_NOTES = st.lists(_FRAGMENTS | st.text(max_size=12), max_size=20).map("".join)


@given(_NOTES)
def test_find_identifiers_is_total_and_spans_fit_the_text(text: str) -> None:
    matches = find_identifiers(text, current_year=YEAR)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
    spans = [(m.start, m.end) for m in matches]
    assert spans == sorted(spans)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in pairwise(spans))


@given(_NOTES)
def test_describe_never_echoes_an_identifier(text: str) -> None:
    matches = find_identifiers(text, current_year=YEAR)
    if matches:
        message = describe(matches)
        for match in matches:
            assert text[match.start : match.end] not in message
