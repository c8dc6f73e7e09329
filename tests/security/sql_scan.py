#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""SQL built by string concatenation, checked against a reviewed list.

Values always travel as bound parameters ($N, store/sql.h). Concatenation
is only for identifiers and fragments that are kci's own (table and column
names from the schema, placeholder lists, ORDER BY directions, numbers from
std::to_string). Every source line that joins an SQL literal with '+' is
counted per file; the counts must equal sql_concat_allowlist.txt, where each
file has a reason. A new concatenation fails this test until someone has
looked at it and raised the count (docs/security.md, "SQL").

Also refused anywhere: a request parameter or report field spliced into SQL
(get_param_value, req., params[, .id, ->id next to a '+' on an SQL line).

  sql_scan.py SOURCE_DIR
"""
import os
import re
import sys

SQL = re.compile(r'\b(SELECT|INSERT INTO|UPDATE|DELETE FROM|WHERE|FROM|VALUES|SET|JOIN|'
                 r'ORDER BY|GROUP BY|LIMIT|CREATE TABLE|ALTER TABLE|DROP TABLE|ON CONFLICT|'
                 r'RETURNING|UNION)\b')
LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')
DANGEROUS = re.compile(r'get_param_value|\breq\.|\bparams\[|\brequest\.')


def scan(root):
    counts, findings, bad = {}, {}, []
    for base, _, files in os.walk(os.path.join(root, 'src')):
        for name in sorted(files):
            if not name.endswith(('.cpp', '.h')) or name.endswith('_test.cpp'):
                continue
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root)
            lines = open(path, encoding='utf-8', errors='replace').read().split('\n')
            for i, line in enumerate(lines):
                code = line.split('//')[0] if '"' not in line else line
                literals = LITERAL.findall(code)
                if not any(SQL.search(l) for l in literals):
                    continue
                # '+' outside the literals of this line, or a line that
                # continues a concatenation started above or below.
                outside = LITERAL.sub('""', code)
                joined = '+' in outside.replace('++', '').replace('+=', '+')
                if not joined:
                    nxt = lines[i + 1].strip() if i + 1 < len(lines) else ''
                    joined = nxt.startswith('+')
                if not joined:
                    continue
                counts[rel] = counts.get(rel, 0) + 1
                findings.setdefault(rel, []).append('%s:%d: %s' % (rel, i + 1, line.strip()))
                if DANGEROUS.search(outside):
                    bad.append('%s:%d: request data next to SQL: %s' % (rel, i + 1, line.strip()))
    return counts, findings, bad


def main():
    root = sys.argv[1]
    allow = {}
    here = os.path.dirname(os.path.abspath(__file__))
    for n, line in enumerate(open(os.path.join(here, 'sql_concat_allowlist.txt'))):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            print('sql_concat_allowlist.txt:%d: expected "PATH COUNT REASON"' % (n + 1))
            return 1
        allow[parts[0]] = int(parts[1])
    counts, findings, bad = scan(root)
    failed = False
    for line in bad:
        print(line)
        failed = True
    for rel in sorted(set(counts) | set(allow)):
        got, want = counts.get(rel, 0), allow.get(rel, 0)
        if got == want:
            continue
        failed = True
        if got > want:
            print('%s: %d SQL concatenation line(s), %d reviewed: check the new ones bind every '
                  'value as a $N parameter, then update sql_concat_allowlist.txt' % (rel, got, want))
            for f in findings.get(rel, []):
                print('  ' + f)
        else:
            print('%s: %d SQL concatenation line(s), the list says %d: lower it' % (rel, got, want))
    total = sum(counts.values())
    print('%d SQL concatenation lines in %d files, all reviewed' % (total, len(counts))
          if not failed else 'FAILED')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
