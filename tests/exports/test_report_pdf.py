"""Report PDFs: they open, and their text says who, what was decided, and how to verify it."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from app.exports.pdf import certificate_pdf, program_report_pdf, trainee_report_pdf
from tests.support.reports import certificate_report, program_report, trainee_report


def text_of(pdf: bytes) -> str:
    """The PDF's text as pypdf extracts it, whitespace folded (lines wrap where they fit)."""
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def pages(pdf: bytes) -> list[tuple[float, float]]:
    reader = PdfReader(io.BytesIO(pdf))
    return [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]


A4 = (595.28, 841.89)  # points


def _a4(pdf: bytes) -> None:
    assert pdf.startswith(b"%PDF-")
    for width, height in pages(pdf):
        assert (round(width), round(height)) == (round(A4[0]), round(A4[1]))


def test_trainee_pdf_states_the_decision_its_reasons_and_the_evidence() -> None:
    ready = trainee_report("Ana Ruiz", 4)
    pdf = trainee_report_pdf(ready)
    _a4(pdf)
    text = text_of(pdf)
    assert "Ana Ruiz" in text
    assert "READY" in text
    assert "Sessions used as evidence" in text
    assert "Latest signed-off decision: READY, signed off by Priya Natarajan" in text
    for f in ready.result.strengths:
        assert f.key in text
    # One row per session: its date as the table prints it.
    assert "2 Mar 2026" in text
    assert "13 Apr 2026" in text
    # The charts' own text (axis labels) is text in the PDF, not pixels.
    assert "mean over sessions (bar), 95% interval (line), minimum (dark tick)" in text

    not_yet = trainee_report("Ben Carter", 2, released_only=True)
    text = text_of(trainee_report_pdf(not_yet))
    assert "Ben Carter" in text
    assert "NOT_YET" in text
    assert "Rules not met" in text
    assert "B5 safety gate 2 < 3 in the latest preparation session" in text
    assert "From your released sessions" in text


def test_a_rater_certification_shows_only_where_the_evidence_has_one() -> None:
    plain = text_of(trainee_report_pdf(trainee_report()))
    assert "certified" not in plain
    marked = text_of(trainee_report_pdf(trainee_report(certified=True)))
    assert marked.count("2 (1 certified)") == 6, "one mark per session"


def test_trainee_pdf_escapes_what_people_typed() -> None:
    text = text_of(trainee_report_pdf(trainee_report("<b>Zoë</b> & Co")))
    assert "<b>Zoë</b> & Co" in text, "shown as typed, never interpreted as markup"


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_same_pdf() -> None:
    """A second, independent reader (poppler) finds the name and the decision too."""
    pdf = trainee_report_pdf(trainee_report("Ana Ruiz", 4))
    done = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    text = done.stdout.decode("utf-8")
    assert "Ana Ruiz" in text
    assert "READY" in text


def test_program_pdf_has_the_matrix_and_says_what_is_missing() -> None:
    report = program_report(("Ana Ruiz", "Ben Carter", "Chiara Rossi"))
    pdf = program_report_pdf(report)
    _a4(pdf)
    text = text_of(pdf)
    assert "Cohort readiness matrix" in text
    assert "Spring 2026" in text
    for name in ("Ana Ruiz", "Ben Carter", "Chiara Rossi"):
        assert name in text
    assert "READY" in text
    assert "NOT_YET" in text
    assert "No complete session has two raters yet." in text
    assert "the program has no rated sessions" in text


def test_certificate_pdf_shows_who_what_and_how_to_verify() -> None:
    report = certificate_report("Ana Ruiz")
    pdf = certificate_pdf(report)
    _a4(pdf)
    assert len(pages(pdf)) == 1, "a certificate is one page"
    text = text_of(pdf)
    assert "Ana Ruiz" in text
    assert "READY" in text
    assert "Alpha Training" in text
    assert "pat-competency, version 1.0.0" in text
    assert report.verification_code in text
    assert report.verify_url in text.replace(" ", "")
    assert report.certificate_id in text
    assert "ICC2k 0.84" in text
    assert "Omar Haddad" in text
    assert "24 November 2026" in text
    assert "entrustment level 4 of 5" in text
    assert "Preparation, Medication, Integration" in text, "phases in the order of care"
    assert "REVOKED" not in text


def test_a_revoked_certificate_says_so() -> None:
    text = text_of(certificate_pdf(certificate_report(revoked="Evidence re-rated on appeal")))
    assert "REVOKED" in text
    assert "This certificate was revoked on 24 December 2026: Evidence re-rated on appeal" in text
