"""bench/certificate_pdf.py on both backends, so that the measurement cannot rot.

No timing is asserted (a shared machine's figures mean nothing in a test): the program is
built, its trainee certified, and the measured function renders a real PDF.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.services.certificates import certificate_by_public_id
from bench.certificate_pdf import build, certificate_pdf_seconds


def test_the_bench_certifies_a_trainee_and_times_one_render(db_session: Session) -> None:
    certificate_id = build(db_session)
    certificate, program = certificate_by_public_id(db_session, certificate_id)
    assert program.slug == "bench-certificate"
    assert certificate.snapshot["decision"]["value"] == "READY"
    assert certificate.snapshot["evidence"]["sessions"] == 6
    seconds = certificate_pdf_seconds(db_session, certificate_id)
    assert seconds > 0
