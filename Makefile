# libsearch - build, test, install.
#
#   make            library (build/libsearch.a, build/libsearch.so) and CLI (build/search)
#   make test       every CUnit suite and the CLI tests; last line "N passed, N failed"
#   make asan       the same tests under AddressSanitizer and UBSan (in build/asan)
#   make tsan       the threaded suites under ThreadSanitizer (in build/tsan)
#   make demo       index the seed article and run a few searches
#   make bench      benchmarks (see bench/README.md)
#   make deps       install the Debian packages the build needs (run by itself when one is missing)
#   make install PREFIX=/usr/local DESTDIR=
#
# Everything built goes under $(BUILD); nothing is written elsewhere in the tree.

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
CXX      ?= c++

SOVERSION := 0
LIBVERSION := 0.1.0

# Debian packages: the build needs the first line, the tests the second, the
# benchmarks and the corpus script the third.
DEPS_BUILD := gcc g++ make pkg-config libicu-dev libstemmer-dev libzstd-dev libxapian-dev
DEPS_TEST  := libcunit1-dev unicode-data
DEPS_MISC  := python3
DEPS       := $(DEPS_BUILD) $(DEPS_TEST) $(DEPS_MISC)

OPT       ?= -O2
SANITIZE  ?=
WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wno-unused-parameter
CPPFLAGS  += -Ilibsearch/include -Ilibsearch/src -I. -D_GNU_SOURCE
CFLAGS    ?= $(OPT) -g
CFLAGS    += -std=c11 -fPIC -fvisibility=hidden -pthread $(WARN)
ifeq ($(SANITIZE),thread)
CFLAGS    += -fsanitize=thread -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=thread
else ifneq ($(SANITIZE),)
CFLAGS    += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS   += -fsanitize=address,undefined
endif

PKGS      := icu-uc icu-i18n libzstd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS      = $(PKG_LIBS) -lstemmer -lpthread -lm

LIB_SRCS  := $(sort $(wildcard libsearch/src/*.c libsearch/src/*/*.c stemmers/*.c))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
TEST_SRCS := $(sort $(wildcard tests/*.c tests/*/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(BUILD)/obj/%.o)

STATIC    := $(BUILD)/libsearch.a
SHARED    := $(BUILD)/libsearch.so.$(LIBVERSION)
CLI       := $(BUILD)/search
TESTBIN   := $(BUILD)/tests/unit
BENCHBINS := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
DEPSTAMP  := $(BUILD)/.deps-ok

.PHONY: all test asan tsan demo bench bench-quick deps install uninstall clean
.DEFAULT_GOAL := all

all: $(STATIC) $(SHARED) $(CLI)

# --- dependencies --------------------------------------------------------

deps:
	@echo "installing Debian packages: $(DEPS)"
	@SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  $$SUDO apt-get install -y -q --no-install-recommends $(DEPS) >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends $(DEPS); }

# Checked once per build tree: any package missing runs `make deps`.
$(DEPSTAMP):
	@mkdir -p $(@D)
	@missing=; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then echo "missing packages:$$missing"; $(MAKE) --no-print-directory deps || exit 1; fi
	@touch $@

# --- objects and libraries -----------------------------------------------

$(BUILD)/obj/%.o: %.c | $(DEPSTAMP)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(STATIC): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJS)
	$(CC) -shared -Wl,-soname,libsearch.so.$(SOVERSION) $(LDFLAGS) -o $@ $^ $(LIBS)
	ln -sf libsearch.so.$(LIBVERSION) $(BUILD)/libsearch.so.$(SOVERSION)
	ln -sf libsearch.so.$(SOVERSION) $(BUILD)/libsearch.so

$(CLI): $(CLI_OBJS) $(STATIC)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(STATIC) $(LIBS)

# --- tests ---------------------------------------------------------------

# The unit tests also cover the CLI's own modules (input readers): every CLI
# object but main.o is linked in.
CLI_MODULE_OBJS = $(filter-out $(BUILD)/obj/cli/main.o,$(CLI_OBJS))

$(TESTBIN): $(TEST_OBJS) $(CLI_MODULE_OBJS) $(STATIC)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(TEST_OBJS) $(CLI_MODULE_OBJS) $(STATIC) $(LIBS) -lcunit

$(BUILD)/obj/tests/%.o: CPPFLAGS += -Itests

test: all $(TESTBIN)
	@BUILD=$(BUILD) CC="$(CC)" SANITIZE="$(SANITIZE)" bash tests/run.sh

asan:
	@$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 OPT=-O1 test

# The suites that run threads (the writer's analysis and flush threads,
# readers shared by searching threads) under ThreadSanitizer.
tsan:
	@$(MAKE) --no-print-directory BUILD=build/tsan SANITIZE=thread OPT=-O1 build/tsan/tests/unit
	@TSAN_OPTIONS=halt_on_error=1 build/tsan/tests/unit index query

# --- demo and benchmarks ---------------------------------------------------

demo: all
	@bash cli/demo.sh $(CLI)

# Benchmark programs link the static library (internal symbols included,
# for the microbenchmarks) and the CLI's JSON Lines parser, which the peers'
# shared driver (bench/peers/peer_common.h) uses.
BENCH_JSONL := $(BUILD)/obj/cli/jsonl.o

$(BUILD)/bench/%: bench/%.c $(STATIC) $(BENCH_JSONL) bench/peers/peer_common.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -o $@ $< $(BENCH_JSONL) $(STATIC) $(LIBS)

bench: all $(BENCHBINS)
	@BUILD=$(BUILD) bash bench/run.sh

bench-quick: all $(BENCHBINS)
	@BUILD=$(BUILD) BENCH_QUICK=1 bash bench/run.sh

# --- install ---------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include \
	  $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 $(STATIC) $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(SHARED) $(DESTDIR)$(PREFIX)/lib/
	ln -sf libsearch.so.$(LIBVERSION) $(DESTDIR)$(PREFIX)/lib/libsearch.so.$(SOVERSION)
	ln -sf libsearch.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libsearch.so
	install -m 644 libsearch/include/libsearch.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(LIBVERSION)|' libsearch/libsearch.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/libsearch.pc
	install -m 755 $(CLI) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 cli/search.1 $(DESTDIR)$(PREFIX)/share/man/man1/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libsearch.a $(DESTDIR)$(PREFIX)/lib/libsearch.so* \
	  $(DESTDIR)$(PREFIX)/include/libsearch.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/libsearch.pc \
	  $(DESTDIR)$(PREFIX)/bin/search $(DESTDIR)$(PREFIX)/share/man/man1/search.1

clean:
	rm -rf $(BUILD)

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(TEST_OBJS:.o=.d)
