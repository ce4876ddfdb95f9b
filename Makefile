# mirrorvm top-level build.  "make" builds build/mirrorvm; "make check" runs
# every test (unit, firmware, guest trials); see README.md.
CC       ?= gcc
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
            -Ivmm/include -D_GNU_SOURCE
LDLIBS   +=
BUILD    := build
SAN      ?=

VMM_SRCS := $(wildcard vmm/*.c vmm/fw/*.c vmm/engine/*.c vmm/xml/*.c)
LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS))
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/obj$(SAN)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj$(SAN)/%.o)

XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null)
XML_LIBS   := $(shell pkg-config --libs libxml-2.0 2>/dev/null)
CFLAGS     += $(XML_CFLAGS)
LDLIBS     += $(XML_LIBS)

ifeq ($(SAN),-san)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

UNIT_SRCS  := $(wildcard tests/unit/test-*.c)
UNIT_BINS  := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests$(SAN)/%)

.PHONY: all check check-unit check-san check-fw check-guest clean man

all: $(BUILD)/mirrorvm $(BUILD)/mirrorvm-san

$(BUILD)/mirrorvm: $(VMM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The same VMM under ASan/UBSan, for the tests that run it on bad input.
$(BUILD)/mirrorvm-san:
	$(MAKE) --no-print-directory SAN=-san $(BUILD)/mirrorvm-san-bin
	cp $(BUILD)/mirrorvm-san-bin $@

$(BUILD)/mirrorvm-san-bin: $(VMM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj$(SAN)/%.o: %.c $(wildcard vmm/include/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests$(SAN)/%: tests/unit/%.c tests/unit/unit.h $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

-include libvirt-xml/*.mk

check: all
	tests/run-all.sh

check-unit: $(UNIT_BINS)
	@tests/unit/run.sh $(UNIT_BINS)

clean:
	rm -rf $(BUILD)
