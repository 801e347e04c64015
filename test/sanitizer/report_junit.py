#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Turns the sanitizer report files of a run (ASan/UBSan/LSan log_path
files, one per process that reported) into a JUnit file with one test case,
"sanitizer_reports", that fails when any report exists, printing them.
Usage: report_junit.py LOG_DIR OUT_XML"""

import glob
import os
import sys
from xml.sax.saxutils import escape


def main(log_dir, out):
    reports = sorted(p for p in glob.glob(os.path.join(log_dir, "*")) if os.path.getsize(p) > 0)
    text = ""
    for p in reports:
        with open(p, errors="replace") as f:
            body = f.read()
        text += f"==== {p}\n{body[:20000]}\n"
    case = '<testcase classname="sanitizer" name="sanitizer_reports"'
    if reports:
        print(text, file=sys.stderr)
        case += f'><failure message="{len(reports)} sanitizer report(s)">{escape(text)}</failure></testcase>'
    else:
        case += "/>"
    with open(out, "w") as f:
        f.write(f'<?xml version="1.0"?>\n<testsuite name="sanitizer" tests="1">{case}</testsuite>\n')
    return 1 if reports else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
