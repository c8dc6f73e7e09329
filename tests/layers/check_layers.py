#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Checks every #include "..." under a source tree against the layer table.

Usage: check_layers.py TABLE SRC_DIR

TABLE is src/layers.txt (see its header for the format). Prints one line per
broken include (file:line: what it includes and what its layer may include)
and exits 1 if there is any, 2 for a bad table or usage, 0 otherwise.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')
SOURCE_SUFFIXES = ('.h', '.hpp', '.cpp', '.cc', '.inc')


def read_table(path):
    layers = {}
    order = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            if ':' not in line:
                raise ValueError(f'{path}:{number}: expected "<folder>: <deps>..."')
            name, deps = line.split(':', 1)
            name = name.strip()
            if not name or name in layers:
                raise ValueError(f'{path}:{number}: empty or repeated folder "{name}"')
            deps = deps.split()
            for dep in deps:
                if dep not in layers:
                    raise ValueError(f'{path}:{number}: "{name}" names "{dep}", '
                                     'which is not listed above it')
            layers[name] = set(deps)
            order.append(name)
    return layers


def owner(relpath, layers):
    """The longest listed folder holding relpath (a path under src/), or None."""
    parts = relpath.split('/')[:-1]
    while parts:
        name = '/'.join(parts)
        if name in layers:
            return name
        parts.pop()
    return None


def check(table, src):
    layers = read_table(table)
    problems = []
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(SOURCE_SUFFIXES):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src).replace(os.sep, '/')
            if '/' not in rel:
                continue  # top-level files of src/ (none today) belong to no layer
            mine = owner(rel, layers)
            if mine is None:
                problems.append(f'{rel}: its folder is not in {table}; add the layer there')
                continue
            with open(path, encoding='utf-8', errors='replace') as f:
                for number, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    theirs = owner(target, layers)
                    if theirs is None:
                        if '/' in target:
                            problems.append(f'{rel}:{number}: includes "{target}", '
                                            'which is in no listed layer')
                        continue  # a sibling include without a folder
                    if theirs != mine and theirs not in layers[mine]:
                        allowed = ' '.join(sorted(layers[mine])) or 'nothing'
                        problems.append(f'{rel}:{number}: {mine} includes "{target}" '
                                        f'({theirs}); {mine} may include: {allowed}')
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        problems = check(argv[1], argv[2])
    except (OSError, ValueError) as e:
        print(f'check_layers: {e}', file=sys.stderr)
        return 2
    for p in problems:
        print(p)
    if problems:
        print(f'{len(problems)} include(s) break the layer table {argv[1]}')
        return 1
    print('every include follows the layer table')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
