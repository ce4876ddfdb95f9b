# mirrorvm top-level build.
#   make             build/mirrorvm and build/mirrorvm-san (ASan+UBSan)
#   make check       every test (tests/run-all.sh): unit (plain and
#                    sanitized), CLI, firmware/iasl, libvirt XML, guest trials,
#                    the kernel series, the KVM engine (L0 and nested)
#   make install     mirrorvm and its man page under $(PREFIX)
#   make static      build/mirrorvm-static (static, for nested test hosts)
#   make check-nested  tests/nested/run.sh alone (KVM engine inside a TCG L1)
CC       ?= gcc
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
               -Ivmm/include -D_GNU_SOURCE $(shell pkg-config --cflags libxml-2.0)
LDLIBS   := $(shell pkg-config --libs libxml-2.0) -pthread
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD    := build
PREFIX   ?= /usr/local

VMM_SRCS := $(filter-out vmm/nostatic-xml.c,\
              $(wildcard vmm/*.c vmm/fw/*.c vmm/platform/*.c vmm/engine/*.c vmm/engine/kvm/*.c vmm/host/*.c \
                         vmm/xml/*.c))
# mirrorvm-static: everything but the libvirt XML converter (see nostatic-xml.c)
STATIC_SRCS := $(filter-out vmm/xml/%,$(VMM_SRCS)) vmm/nostatic-xml.c
STATIC_OBJS := $(STATIC_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS))
HEADERS  := $(wildcard vmm/include/*.h)
UNIT_SRCS := $(wildcard tests/unit/test-*.c)

OBJS      := $(VMM_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS  := $(VMM_SRCS:%.c=$(BUILD)/obj-san/%.o)
LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
LIB_SAN_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj-san/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%) \
             $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests-san/%)

.PHONY: all check check-unit check-nested clean install static

all: $(BUILD)/mirrorvm $(BUILD)/mirrorvm-san

$(BUILD)/mirrorvm: $(OBJS)
	$(CC) -o $@ $^ $(LDLIBS)

static: $(BUILD)/mirrorvm-static

$(BUILD)/mirrorvm-static: $(STATIC_OBJS)
	$(CC) -static -o $@ $^ -pthread

$(BUILD)/mirrorvm-san: $(SAN_OBJS)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -c -o $@ $<

$(BUILD)/obj-san/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(SANFLAGS) -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) -Itests/unit -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD)/tests-san/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(LIB_SAN_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE_CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(LIB_SAN_OBJS) $(LDLIBS)

check-unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

-include libvirt-xml/*.mk

check: all $(UNIT_BINS) $(BUILD)/mirrorvm-static
	tests/run-all.sh

check-nested: all $(BUILD)/mirrorvm-static
	tests/nested/run.sh

install: $(BUILD)/mirrorvm
	install -D -m 0755 $(BUILD)/mirrorvm $(DESTDIR)$(PREFIX)/bin/mirrorvm
	install -D -m 0644 docs/mirrorvm.1 $(DESTDIR)$(PREFIX)/share/man/man1/mirrorvm.1

clean:
	rm -rf $(BUILD)
