# mirrorvm top-level build.
#   make             build/mirrorvm and build/mirrorvm-san (ASan+UBSan)
#   make check       every test (tests/run-all.sh): unit (plain and
#                    sanitized), CLI, firmware/iasl, libvirt XML, 20 s of each
#                    fuzzer, guest trials, the kernel series, the KVM engine
#                    (L0 and nested)
#   make install     mirrorvm and its man page under $(PREFIX)
#   make static      build/mirrorvm-static (static, for nested test hosts)
#   make check-nested  tests/nested/run.sh alone (KVM engine inside a TCG L1)
#   make fuzz        the libFuzzer harnesses (tests/fuzz/, clang): each runs
#                    FUZZ_SECONDS (default 60), from the checked-in seeds and
#                    the corpus it grew before (build/fuzz/corpus); any crash
#                    or broken invariant fails.  make check runs them briefly.
#   make fuzz-build  only build them (build/fuzz/fuzz-*)
#
# The code is built in layers, each a static library that may use only the
# layers below it (docs/architecture.md):
#   core    util, the guest spec and flags, layout, kernel image, firmware,
#           the platform's devices and endings: no engine, no host, no XML
#   host    the host's NUMA, huge pages, mirrored memory, placement report
#   engine  the engines (QEMU, KVM)
#   xml     the libvirt converter (libxml2), a plugin: build/mirrorvm-xml.so,
#           loaded only by the commands that need it (xml-plugin.h), so that
#           "mirrorvm run" does not pay for libxml2 and ICU at every start
# Unit tests of the core link the core library alone, so firmware or layout
# code that reaches into an engine fails to link.  The executables export
# their symbols (--export-dynamic) and take the whole core, for the plugin.
CC       ?= gcc
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
               -Ivmm/include -D_GNU_SOURCE -MMD -MP
XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0)
XML_LIBS := $(shell pkg-config --libs libxml-2.0)
# libseccomp (Debian's libseccomp-dev, scripts/setup.sh): the KVM engine's
# system call filter.  Its static archive comes with the package: mirrorvm
# links it in, static build or not, so that the dynamic loader maps and
# relocates only libc before main() (every shared library costs each start,
# scripts/bench-startup.sh: issue 9's start-up target); the XML plugin is
# loaded only for --domain-xml.
ifneq ($(shell pkg-config --exists libseccomp && echo yes),yes)
$(error libseccomp is missing: apt-get install libseccomp-dev (scripts/setup.sh))
endif
SECCOMP_CFLAGS := $(shell pkg-config --cflags libseccomp)
SECCOMP_LIBS := -Wl,-Bstatic $(shell pkg-config --libs libseccomp) -Wl,-Bdynamic
SECCOMP_STATIC_LIBS := $(shell pkg-config --libs --static libseccomp)
BASE_CFLAGS += $(SECCOMP_CFLAGS)
LDLIBS   := $(SECCOMP_LIBS) -pthread
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD    := build
PREFIX   ?= /usr/local

CORE_SRCS   := vmm/util.c vmm/spec.c vmm/cli.c vmm/layout.c vmm/layout-json.c vmm/kernel-image.c \
               vmm/state-file.c vmm/live-update.c \
               $(wildcard vmm/json.c vmm/fw/*.c vmm/platform/*.c vmm/hw/*.c)
HOST_SRCS   := $(wildcard vmm/host/*.c)
ENGINE_SRCS := $(wildcard vmm/engine/*.c vmm/engine/kvm/*.c vmm/api/*.c)
XML_SRCS    := $(wildcard vmm/xml/*.c)
APP_SRCS    := vmm/main.c vmm/run.c
LAYERS      := core host engine

core_SRCS   := $(CORE_SRCS)
host_SRCS   := $(HOST_SRCS)
engine_SRCS := $(ENGINE_SRCS)
xml_SRCS    := $(XML_SRCS)

# $(call lib,LAYER,OBJDIR): the archive of one layer
lib = $(BUILD)/$(2)/lib$(1).a
objs = $(patsubst %.c,$(BUILD)/$(2)/%.o,$(1))

ALL_LIBS     := $(foreach l,$(LAYERS),$(call lib,$(l),obj))
ALL_SAN_LIBS := $(foreach l,$(LAYERS),$(call lib,$(l),obj-san))
# Link order: a layer before the layers it uses; all of the core, whose
# functions the XML plugin calls.
LINK_LIBS     = $(call lib,engine,$(1)) $(call lib,host,$(1)) \
		-Wl,--whole-archive $(call lib,core,$(1)) -Wl,--no-whole-archive
EXPORT       := -Wl,--export-dynamic

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
# Unit tests that must build from the core library alone.
CORE_TESTS := test-layout test-firmware test-boot test-console test-aml test-json test-devices \
              test-state-file
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%) \
             $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests-san/%)

.PHONY: all check check-unit check-nested clean install static bench-print-static \
	fuzz fuzz-build

all: $(BUILD)/mirrorvm $(BUILD)/mirrorvm-san $(BUILD)/mirrorvm-xml.so $(BUILD)/mirrorvm-xml-san.so

define layer_rules
$(call lib,$(1),obj): $(call objs,$($(1)_SRCS),obj)
	@rm -f $$@
	ar rcs $$@ $$^
$(call lib,$(1),obj-san): $(call objs,$($(1)_SRCS),obj-san)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach l,$(LAYERS),$(eval $(call layer_rules,$(l))))

$(BUILD)/mirrorvm: $(call objs,$(APP_SRCS) vmm/xml-loader.c,obj) $(ALL_LIBS)
	$(CC) $(EXPORT) -o $@ $(call objs,$(APP_SRCS) vmm/xml-loader.c,obj) $(call LINK_LIBS,obj) $(LDLIBS)

$(BUILD)/mirrorvm-san: $(call objs,$(APP_SRCS) vmm/xml-loader.c,obj-san) $(ALL_SAN_LIBS)
	$(CC) $(SANFLAGS) $(EXPORT) -o $@ $(call objs,$(APP_SRCS) vmm/xml-loader.c,obj-san) \
		$(call LINK_LIBS,obj-san) $(LDLIBS)

# The XML plugin: position-independent, only its plugin struct exported.
XML_PIC := -fPIC -fvisibility=hidden
$(BUILD)/mirrorvm-xml.so: $(call objs,$(XML_SRCS),obj)
	$(CC) -shared -o $@ $^ $(XML_LIBS)

$(BUILD)/mirrorvm-xml-san.so: $(call objs,$(XML_SRCS),obj-san)
	$(CC) $(SANFLAGS) -shared -o $@ $^ $(XML_LIBS)

$(BUILD)/obj-san/vmm/xml-loader.o: CFLAGS += -DXML_PLUGIN_NAME='"mirrorvm-xml-san.so"'

# mirrorvm-static: everything but the libvirt XML converter (see nostatic-xml.c).
STATIC_OBJS := $(call objs,$(APP_SRCS) vmm/nostatic-xml.c,obj)
# Everything the static link takes, in order (scripts/bench-startup.sh
# relinks it with its own shim: make bench-print-static).
STATIC_INPUTS := $(STATIC_OBJS) $(call lib,engine,obj) $(call lib,host,obj) $(call lib,core,obj)
static: $(BUILD)/mirrorvm-static

STATIC_LDLIBS := $(SECCOMP_STATIC_LIBS) -pthread
$(BUILD)/mirrorvm-static: $(STATIC_INPUTS)
	$(CC) -static -o $@ $(STATIC_INPUTS) $(STATIC_LDLIBS)

bench-print-static:
	@echo $(STATIC_INPUTS) $(STATIC_LDLIBS)

$(BUILD)/obj/vmm/xml/%.o: vmm/xml/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(XML_CFLAGS) $(XML_PIC) -c -o $@ $<

$(BUILD)/obj-san/vmm/xml/%.o: vmm/xml/%.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(XML_CFLAGS) $(XML_PIC) $(SANFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -c -o $@ $<

$(BUILD)/obj-san/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(SANFLAGS) -c -o $@ $<

# The names of the system calls, by number, for the seccomp handler's
# message (vmm/engine/kvm/seccomp.c): taken from the kernel headers at build
# time, as the handler may not look anything up and a run-time lookup of
# every name cost a tenth of a millisecond at each start.
SYSCALL_NAMES := $(BUILD)/gen/syscall-names.h
$(SYSCALL_NAMES): Makefile
	@mkdir -p $(dir $@)
	echo '#include <asm/unistd.h>' | $(CC) -E -dM - | \
		sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9]*\)$$/\t[\2] = "\1",/p' > $@.tmp
	@test -s $@.tmp || { echo "no __NR_ names in <asm/unistd.h>" >&2; rm -f $@.tmp; exit 1; }
	mv $@.tmp $@
$(BUILD)/obj/vmm/engine/kvm/seccomp.o $(BUILD)/obj-san/vmm/engine/kvm/seccomp.o: $(SYSCALL_NAMES)
$(BUILD)/obj/vmm/engine/kvm/seccomp.o $(BUILD)/obj-san/vmm/engine/kvm/seccomp.o: \
	BASE_CFLAGS += -I$(BUILD)/gen

# $(call test_libs,TEST,OBJDIR): the core library for core tests, else all
# but the XML layer.
test_libs = $(if $(filter $(1),$(CORE_TESTS)),$(call lib,core,$(2)),\
              $(call lib,engine,$(2)) $(call lib,host,$(2)) $(call lib,core,$(2)))

.SECONDEXPANSION:
$(BUILD)/tests/%: tests/unit/%.c $$(call test_libs,%,obj)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -Itests/unit -o $@ $< $(call test_libs,$*,obj) $(LDLIBS)

$(BUILD)/tests-san/%: tests/unit/%.c $$(call test_libs,%,obj-san)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< \
		$(call test_libs,$*,obj-san) $(LDLIBS)

check-unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

-include libvirt-xml/*.mk

# The fuzzers are built for make check only where clang can link libFuzzer;
# elsewhere the fuzz suite reports SKIP and why (tests/fuzz/run.sh --probe).
check: all $(UNIT_BINS) $(BUILD)/mirrorvm-static
	@if tests/fuzz/run.sh --probe $(FUZZ_CC) >/dev/null; then \
		$(MAKE) --no-print-directory fuzz-build; fi
	tests/run-all.sh

check-nested: all $(BUILD)/mirrorvm-static
	tests/nested/run.sh

# libFuzzer harnesses (tests/fuzz/): the sources they reach compiled again
# by clang with coverage feedback and ASan/UBSan, linked with each harness
# (the XML converter's objects directly, not its plugin).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                -fno-sanitize-recover=all
FUZZ_SRCS    := $(CORE_SRCS) vmm/api/commands.c vmm/api/request.c vmm/api/server.c $(XML_SRCS)
FUZZ_LIB     := $(BUILD)/obj-fuzz/libfuzzed.a
FUZZ_BINS    := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz-*.c))

$(BUILD)/obj-fuzz/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(BASE_CFLAGS) $(XML_CFLAGS) -c -o $@ $<

$(FUZZ_LIB): $(call objs,$(FUZZ_SRCS),obj-fuzz)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz.h $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $(BASE_CFLAGS) $(XML_CFLAGS) -Itests/fuzz -Ivmm/api \
		-o $@ $< $(FUZZ_LIB) $(XML_LIBS) -pthread

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_CC=$(FUZZ_CC) tests/fuzz/run.sh --keep $(BUILD)/fuzz/corpus $(FUZZ_SECONDS)

install: $(BUILD)/mirrorvm $(BUILD)/mirrorvm-xml.so
	install -D -m 0755 $(BUILD)/mirrorvm $(DESTDIR)$(PREFIX)/bin/mirrorvm
	install -D -m 0644 $(BUILD)/mirrorvm-xml.so $(DESTDIR)$(PREFIX)/lib/mirrorvm/mirrorvm-xml.so
	install -D -m 0644 docs/mirrorvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/mirrorvm.1

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
