#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Produces the real gcc and clang build logs under golden/build/ (gcc-*.log,
# clang-*.log): a small kbuild-like tree of broken C files built by real
# make, gcc, clang, GNU ld and ld.lld, so the logs carry the compilers' and
# make's own wording. Kernel builds are not run here (CPU budget); the
# kernel-style paths and "  CC      path.o" lines mimic kbuild.
#
# Usage: tests/triage/make-build-logs.sh   (then regenerate the expected
# .jsonl files, see docs/triage.md)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/golden/build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/drivers/misc" "$work/scripts" "$work/include/linux"

cat > "$work/include/linux/kci.h" <<'H'
struct kci_dev { int id; unsigned long flags; };
int kci_register(struct kci_dev *dev);
void kci_take_long(long *p);
H
cat > "$work/drivers/misc/kci_undeclared.c" <<'C'
#include <linux/kci.h>
int kci_probe(struct kci_dev *dev)
{
	dev->id = kci_next_id + 1;
	return kci_register(dev);
}
C
cat > "$work/drivers/misc/kci_member.c" <<'C'
#include <linux/kci.h>
int kci_flags(struct kci_dev *dev)
{
	return dev->mode;
}
C
cat > "$work/drivers/misc/kci_implicit.c" <<'C'
#include <linux/kci.h>
int kci_reset(struct kci_dev *dev)
{
	return kci_hw_reset(dev);
}
C
cat > "$work/drivers/misc/kci_warn.c" <<'C'
#include <linux/kci.h>
static int kci_unused_helper(void) { return 1; }
int kci_count(struct kci_dev *dev)
{
	int unused;
	int *p = &dev->id;
	kci_take_long(p);
	return dev->id;
}
C
cat > "$work/drivers/misc/kci_include.c" <<'C'
#include <linux/kci_missing.h>
int kci_x;
C
cat > "$work/drivers/misc/kci_syntax.c" <<'C'
int kci_syntax(void)
{
	int a = 1
	return a;
}
C
cat > "$work/drivers/misc/kci_link.c" <<'C'
extern int kci_missing_symbol(int);
int kci_link_init(void)
{
	return kci_missing_symbol(2);
}
C
cat > "$work/scripts/Makefile.build" <<'M'
obj := $(OBJ)
$(obj): $(obj:.o=.c)
	@echo "  CC      $@"
	@$(CC) -nostdinc -Iinclude -Wall -Wmissing-prototypes -Wno-unused-function -c -o $@ $<
M
cat > "$work/Makefile" <<'M'
CC ?= gcc
LD ?= ld
OBJS := drivers/misc/kci_undeclared.o drivers/misc/kci_member.o drivers/misc/kci_implicit.o \
	drivers/misc/kci_warn.o drivers/misc/kci_include.o drivers/misc/kci_syntax.o
all: $(OBJS) vmlinux
$(OBJS):
	@$(MAKE) -f scripts/Makefile.build OBJ=$@
vmlinux: drivers/misc/kci_link.o
	@echo "  LD      $@"
	@$(LD) -o $@ -e kci_link_init drivers/misc/kci_link.o
drivers/misc/kci_link.o:
	@$(MAKE) -f scripts/Makefile.build OBJ=$@
M

build() {
  name=$1 cc=$2 ld=$3
  rm -f "$work"/drivers/misc/*.o "$work/vmlinux"
  (cd "$work" && LANG=C LC_ALL=C make -k --no-print-directory CC="$cc" LD="$ld" 2>&1 || true) \
    | sed "s|$work/||g" > "$out/$name.log"
}
build gcc-errors gcc ld
build clang-errors clang ld.lld
