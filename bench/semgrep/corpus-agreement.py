#!/usr/bin/env python3
"""How closely the Semgrep rules follow phiguard's labelled corpus.

Reads the `expect:` annotations of crates/phiguard-scan/tests/corpus (the findings phiguard
scan must report, line by line) and a Semgrep JSON report of the same directory, and prints,
per phiguard rule, how many expected findings Semgrep reported on the same line (matched),
missed, and how many Semgrep findings fall on lines with no such expectation (extra).

    semgrep scan --metrics=off --x-ignore-semgrepignore-files \
        --config bench/semgrep/phi-rules.yml --json crates/phiguard-scan/tests/corpus >sg.json
    bench/semgrep/corpus-agreement.py crates/phiguard-scan/tests/corpus sg.json
"""

import json
import os
import re
import sys
from collections import Counter

ANNOTATION = re.compile(r"expect: ([A-Z0-9@a-z ,-]+)")


def expectations(root):
    """(relative path, line, rule) for every annotation under root."""
    expected = set()
    for directory, _, files in os.walk(root):
        for name in files:
            path = os.path.join(directory, name)
            try:
                with open(path, encoding="utf-8") as handle:
                    lines = handle.read().splitlines()
            except (UnicodeDecodeError, OSError):
                continue
            relative = os.path.relpath(path, root)
            for number, line in enumerate(lines, start=1):
                match = ANNOTATION.search(line)
                if not match:
                    continue
                for item in match.group(1).split(","):
                    rule = item.strip().rstrip("-").split("@")[0].strip()
                    if rule.startswith("PHI-"):
                        expected.add((relative, number, rule))
    return expected


def main():
    root, report_path = sys.argv[1], sys.argv[2]
    with open(report_path, encoding="utf-8") as handle:
        report = json.load(handle)
    expected = expectations(root)

    reported = set()
    for result in report["results"]:
        relative = os.path.relpath(os.path.abspath(result["path"]), os.path.abspath(root))
        stands_for = result["extra"]["metadata"].get("phiguard_rule", "")
        for rule in stands_for.split():
            reported.add((relative, result["start"]["line"], rule))

    expected_lines = {(path, line) for path, line, _ in expected}
    matched = Counter()
    missed = Counter()
    for key in expected:
        (matched if key in reported else missed)[key[2]] += 1
    # A Semgrep rule that stands for several phiguard rules counts once per line.
    extra_lines = {(path, line) for path, line, _ in reported} - expected_lines

    print(f"{'phiguard rule':<18} {'expected':>8} {'matched':>8} {'missed':>7}")
    for rule in sorted({key[2] for key in expected}):
        total = matched[rule] + missed[rule]
        print(f"{rule:<18} {total:>8} {matched[rule]:>8} {missed[rule]:>7}")
    total = sum(matched.values()) + sum(missed.values())
    print(f"{'all':<18} {total:>8} {sum(matched.values()):>8} {sum(missed.values()):>7}")
    print(f"Semgrep findings on lines phiguard's corpus marks safe: {len(extra_lines)}")
    for path, line in sorted(extra_lines):
        print(f"  extra: {path}:{line}")


if __name__ == "__main__":
    main()
