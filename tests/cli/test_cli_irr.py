"""``guidinghand irr``: a researcher's ratings file in, every coefficient out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import ROOT, Cli

KRIPPENDORFF_2011 = ROOT / "tests" / "fixtures" / "ratings" / "krippendorff-2011.csv"


def test_json_output_on_krippendorffs_published_example(cli: Cli) -> None:
    result = cli("irr", str(KRIPPENDORFF_2011), "--level", "interval", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["n_subjects"], report["n_raters"], report["n_ratings"]) == (12, 4, 41)
    assert report["level"] == "interval"
    coefficients = report["coefficients"]
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C.
    assert round(coefficients["krippendorff_alpha_nominal"]["value"], 3) == 0.743
    assert round(coefficients["krippendorff_alpha_ordinal"]["value"], 3) == 0.815
    assert round(coefficients["krippendorff_alpha_interval"]["value"], 3) == 0.849
    assert "krippendorff_alpha_ratio" not in coefficients
    assert "cohen_kappa" not in coefficients  # four raters
    assert any(n.startswith("cohen_kappa") for n in report["notes"])
    assert any("krippendorff_alpha_ratio" in n for n in report["notes"])
    icc = coefficients["ICC2k"]
    assert set(icc) >= {"value", "ci95", "ci_method", "interpretation", "interpretation_source"}
    assert icc["details"]["n_subjects_dropped"] > 0
    assert {"F", "df1", "df2", "p"} <= set(icc["details"])


def test_nominal_level_leaves_out_what_needs_order(cli: Cli) -> None:
    result = cli("irr", str(KRIPPENDORFF_2011), "--level", "nominal", "--json")
    coefficients = json.loads(result.stdout)["coefficients"]
    assert "krippendorff_alpha_nominal" in coefficients
    assert "krippendorff_alpha_ordinal" not in coefficients
    assert "gwet_ac2_quadratic" not in coefficients
    assert not any(name.startswith("ICC") for name in coefficients)


def test_table_output(cli: Cli) -> None:
    result = cli("irr", str(KRIPPENDORFF_2011))
    assert result.returncode == 0, result.stderr
    assert "krippendorff_alpha_ordinal" in result.stdout
    assert "0.815" in result.stdout
    assert "12 subjects, 4 raters, 41 ratings; level ordinal" in result.stdout


def test_bootstrap_is_seeded(cli: Cli) -> None:
    args = ("irr", str(KRIPPENDORFF_2011), "--json", "--bootstrap", "200", "--seed", "3")
    first, second = (json.loads(cli(*args).stdout) for _ in range(2))
    ci = first["coefficients"]["krippendorff_alpha_ordinal"]["ci95"]
    assert ci == second["coefficients"]["krippendorff_alpha_ordinal"]["ci95"]
    assert ci[0] < 0.815 < ci[1]


def test_scale_puts_unused_points_in_the_category_set(cli: Cli) -> None:
    narrow = json.loads(cli("irr", str(KRIPPENDORFF_2011), "--json").stdout)
    wide = json.loads(cli("irr", str(KRIPPENDORFF_2011), "--json", "--scale", "0..9").stdout)
    key = "gwet_ac2_quadratic"
    assert narrow["coefficients"][key]["value"] != wide["coefficients"][key]["value"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", ":1: the file is empty"),
        ("subject,score\ns1,3\n", ":1: missing column(s) rater"),
        ("subject,rater,score\ns1,a,3\ns1,b,x\n", ":3: score 'x' is not a number"),
        (
            "subject,rater,score\ns1,a,3\ns1,a,4\n",
            ":3: rater 'a' scored subject 's1' more than once",
        ),
    ],
)
def test_bad_files_exit_2_naming_the_line(
    cli: Cli, tmp_path: Path, content: str, expected: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    result = cli("irr", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().startswith(f"error: {path}{expected}")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--scale", "6..0"), "--scale"),
        (("--scale", "0..6", "--level", "fuzzy"), "--level"),
        (("--item", "A1"), "needs an 'item' column"),
    ],
)
def test_bad_options_exit_2(cli: Cli, args: tuple[str, ...], fragment: str) -> None:
    result = cli("irr", str(KRIPPENDORFF_2011), *args)
    assert result.returncode == 2
    assert fragment in result.stderr


def test_missing_file(cli: Cli, tmp_path: Path) -> None:
    result = cli("irr", str(tmp_path / "nope.csv"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr
