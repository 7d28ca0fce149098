"""The certificate pipeline against WeasyPrint alone, and the batch on two workers against one.

On a small demo data directory (`forms-app demo --units 120`, made in a temporary directory),
for the units recognised for 2021:

  pipeline   forms_app.certificates.issue on a fresh certificate (decision and unit read from
             SQLite, HTML, QR code, WeasyPrint, PDF written, serial recorded) — per unit
  baseline   exports.certificate.render_pdf on the same unit's finished HTML (render_html made
             beforehand, not timed) — WeasyPrint alone
  target     median(pipeline) ÷ median(baseline) ≤ 1.25   (units interleaved, after a warm-up)

  batch      forms_app.certificates.batch for the year on K recognised units (40 full, 16 quick;
             the other decisions of the year are removed from the copy), workers=1 and
             workers=2, each on its own fresh copy of the data directory
  target     time(workers=1) ÷ time(workers=2) ≥ 1.7

    .venv/bin/python benchmarks/certificates.py [--quick] [--units-timed 12] [--batch 40] [--profile]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import FORMS_APP, copy_data_dir, header, profile_summary, ratio_line  # noqa: E402

YEAR = 2021
ASSESSMENT = "tu-danh-gia-3-chu-dong"


def make_demo(path: Path, units: int) -> None:
    import subprocess

    subprocess.run([FORMS_APP, "demo", "--units", str(units), "--years", "2018-2022", "--data-dir", str(path)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def keep_only(data_dir: Path, count: int) -> list[str]:
    """Remove the year's decisions of every recognised unit but the first `count` (in this copy only)."""
    from forms_app import certificates, db as database

    forms = database.open_forms(data_dir)
    try:
        units = certificates.recognised_units(forms, YEAR)
        if len(units) < count:
            raise SystemExit(f"only {len(units)} units recognised for {YEAR}; make a bigger demo")
        dropped = units[count:]
        with database.write(forms):
            for code in dropped:
                forms.execute("DELETE FROM decisions WHERE unit_code = ? AND form_id = ? AND cycle_year = ?",
                              [code, ASSESSMENT, YEAR])
        return certificates.recognised_units(forms, YEAR)
    finally:
        forms.close()


def pipeline_vs_weasyprint(data_dir: Path, units: list[str], profile: bool) -> tuple[float, float, list, list, str | None]:
    from exports.certificate import render_html, render_pdf
    from forms_app import certificates, db as database

    forms = database.open_forms(data_dir)
    try:
        # warm-up on a unit not timed: fonts, fontconfig, WeasyPrint's caches, the first SQLite pages
        warm = units[0]
        certificates.issue(forms, data_dir, warm, YEAR)
        timed = units[1:]
        html = {}
        for code in timed:
            certificate, _decision, _existing = certificates._certificate(forms, data_dir, code, YEAR, ASSESSMENT)
            html[code] = render_html(certificate)
        pipeline, baseline = [], []
        for code in timed:
            t = time.perf_counter()
            render_pdf(html[code])
            baseline.append(time.perf_counter() - t)
            t = time.perf_counter()
            issued = certificates.issue(forms, data_dir, code, YEAR)
            pipeline.append(time.perf_counter() - t)
            assert issued.created, code
        report = None
        if profile:
            # one more fresh certificate per timed unit is impossible (issue reuses stored ones): drop the stored
            # rows and files of the timed units and profile their issue again
            with database.write(forms):
                forms.execute("DELETE FROM certificates WHERE cycle_year = ?", [YEAR])
            report = profile_summary(lambda: [certificates.issue(forms, data_dir, c, YEAR) for c in timed], top=22)
        return statistics.median(pipeline), statistics.median(baseline), pipeline, baseline, report
    finally:
        forms.close()


def run_batch(data_dir: Path, out: Path, workers: int) -> float:
    from forms_app import certificates

    t = time.perf_counter()
    files, merged = certificates.batch(data_dir, YEAR, out, workers=workers)
    elapsed = time.perf_counter() - t
    assert merged is not None and files
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--units-timed", type=int, default=None, help="units issued one by one (12 full, 5 quick)")
    parser.add_argument("--batch", type=int, default=None, help="recognised units in the batch (40 full, 16 quick)")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline and print the hotspots")
    args = parser.parse_args()
    header("certificate pipeline against WeasyPrint alone; batch workers=2 against workers=1", args.quick)
    timed = args.units_timed or (5 if args.quick else 12)
    batch_size = args.batch or (16 if args.quick else 40)

    with tempfile.TemporaryDirectory(prefix="bench-certificates-") as tmp:
        tmp = Path(tmp)
        source = tmp / "demo"
        t = time.perf_counter()
        make_demo(source, 120)
        print(f"demo data (120 units) made in {time.perf_counter() - t:.1f} s")

        single = copy_data_dir(source, tmp / "single")
        units = keep_only(single, max(timed + 1, 2))
        median_pipeline, median_base, pipeline, baseline, report = pipeline_vs_weasyprint(single, units, args.profile)
        ratio = median_pipeline / median_base
        print(f"issue() per unit:           median {median_pipeline * 1000:.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in pipeline)})")
        print(f"render_pdf alone per unit:  median {median_base * 1000:.0f} ms  ({', '.join(f'{x * 1000:.0f}' for x in baseline)})")
        print(f"overhead of the pipeline:   {(median_pipeline - median_base) * 1000:.0f} ms per certificate")

        one = copy_data_dir(source, tmp / "w1")
        two = copy_data_dir(source, tmp / "w2")
        count = len(keep_only(one, batch_size))
        keep_only(two, batch_size)
        t1 = run_batch(one, tmp / "out1", 1)
        t2 = run_batch(two, tmp / "out2", 2)
        speedup = t1 / t2
        print(f"batch of {count} certificates: workers=1 {t1:.2f} s ({t1 / count * 1000:.0f} ms each), "
              f"workers=2 {t2:.2f} s ({t2 / count * 1000:.0f} ms each), speed-up {speedup:.2f}×")
        ok = ratio_line("pipeline_over_weasyprint", ratio, "<=", 1.25)
        ok = ratio_line("batch_speedup_2_workers", speedup, ">=", 1.7, kind="CHECK") and ok
        if report:
            print(report)
        if args.profile and speedup < 1.7:
            three = copy_data_dir(source, tmp / "w3")
            keep_only(three, batch_size)
            print("--- batch(workers=2), main process only (the rendering runs in the pool's processes) ---")
            print(profile_summary(lambda: run_batch(three, tmp / "out3", 2), top=22))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
