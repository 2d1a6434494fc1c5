# Cairn's build. `make` builds build/cairn; `make test` runs every test and
# ends with one summary line; `make bench`, `make fuzz`, `make run`.
# Sources are found by wildcard: adding a module is adding a file.

CC ?= cc
PKGS := libmicrohttpd jansson yajl expat sqlite3 libsodium vips libavformat libavcodec libavutil libswscale libarchive libpng libjpeg zlib
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libvips is not linked: src/media/vips_dl.c loads it on first use (it
# brings ~100 libraries, most of the start-up time otherwise).
PKG_LIBS := $(filter-out -lvips,$(shell pkg-config --libs $(PKGS) 2>/dev/null)) -ldl -lm -lpthread

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter -Wstrict-prototypes -Wvla
BASE_CFLAGS := -std=c17 -D_GNU_SOURCE -Isrc -Ibuild/gen $(WARN) $(PKG_CFLAGS) -DCAIRN_VERSION='"$(VERSION)"'
CFLAGS ?= -O2 -g
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC := $(sort $(shell find src -name '*.c' ! -name main.c))
UNIT_SRC := $(sort $(shell find tests/unit -name '*.c' 2>/dev/null))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/bench_*.c))
WEB_FILES := $(sort $(shell find web -type f 2>/dev/null))
GEN := build/gen/web_assets.c build/gen/migrations.c
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))

REL_OBJ := $(patsubst %.c,build/rel/%.o,$(LIB_SRC)) build/rel/gen/web_assets.o build/rel/gen/migrations.o
ASAN_OBJ := $(patsubst %.c,build/asan/%.o,$(LIB_SRC)) build/asan/gen/web_assets.o build/asan/gen/migrations.o
FUZZ_OBJ := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC)) build/fuzz/gen/web_assets.o build/fuzz/gen/migrations.o
UNIT_OBJ := $(patsubst %.c,build/asan/%.o,$(UNIT_SRC))

.PHONY: all test unit system browser fuzz fuzz-short bench run deps clean demo
all: build/cairn

# Release build.
build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC      $<'
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@
build/rel/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -c $< -o $@
build/cairn: build/rel/src/main.o $(REL_OBJ)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS)

# Sanitizer build: the unit tests and the binary the system tests drive.
build/asan/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC-SAN  $<'
	@$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -MMD -MP -c $< -o $@
build/asan/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@$(CC) $(BASE_CFLAGS) -O1 -g $(SAN) -c $< -o $@
build/asan/cairn: build/asan/src/main.o $(ASAN_OBJ)
	@echo "  LD-SAN  $@"
	@$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)
build/asan/unit: $(UNIT_OBJ) $(ASAN_OBJ)
	@echo "  LD-SAN  $@"
	@$(CC) $(SAN) -o $@ $^ $(PKG_LIBS) -lvips -lcriterion

# Web assets are embedded into the binary at build time.
build/gen/web_assets.c: scripts/embed-files $(WEB_FILES)
	@mkdir -p $(dir $@)
	@sh scripts/embed-files web web_assets > $@.tmp && mv $@.tmp $@
build/gen/migrations.c: scripts/embed-files $(MIGRATIONS)
	@mkdir -p $(dir $@)
	@sh scripts/embed-files src/store/migrations migration_files > $@.tmp && mv $@.tmp $@

# libFuzzer build (clang), one binary per parser.
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo '  CC-FUZZ $<'
	@clang $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c $< -o $@
build/fuzz/gen/%.o: build/gen/%.c
	@mkdir -p $(dir $@)
	@clang $(BASE_CFLAGS) -O1 -g -c $< -o $@
build/fuzz/bin/%: tests/fuzz/%.c $(FUZZ_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LD-FUZZ $@'
	@clang $(BASE_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS)

# Benchmarks are optimised builds.
build/bench/%: bench/%.c $(REL_OBJ)
	@mkdir -p $(dir $@)
	@echo '  LD-BENCH $@'
	@$(CC) $(BASE_CFLAGS) $(CFLAGS) -o $@ $^ $(PKG_LIBS) -lvips

deps:
	@sh scripts/install-deps

unit: build/asan/unit
system: build/asan/cairn build/cairn
fuzz-bins: $(patsubst tests/fuzz/%.c,build/fuzz/bin/%,$(FUZZ_SRC))

test: deps
	@$(MAKE) --no-print-directory build/asan/unit build/asan/cairn build/cairn fuzz-bins
	@sh scripts/run-tests

fuzz: deps fuzz-bins
	@sh scripts/run-fuzz long

bench: deps build/cairn $(patsubst bench/%.c,build/bench/%,$(BENCH_SRC))
	@sh scripts/run-bench

run: deps build/cairn
	@sh scripts/run-demo

clean:
	rm -rf build

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
