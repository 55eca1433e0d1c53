# relais: one non-recursive GNU Makefile.
#
#   make              build $(BUILD)/relais
#   make check        every test: unit, unit under ASan+UBSan (clang), fuzz-corpus
#                     replay, end-to-end, format and generated-docs checks
#   make demo         build, then run relais on the embedded defaults
#   make fuzz         run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make format       rewrite sources with clang-format
#
# Variants are the same Makefile with other variables (BUILD, CC, SANITIZE),
# never a second Makefile: `make BUILD=build/asan CC=clang SANITIZE=address,undefined unit`.

BUILD    ?= build
CC       := $(if $(filter default,$(origin CC)),cc,$(CC))
CXX      := $(if $(filter default,$(origin CXX)),c++,$(CXX))
SANITIZE ?=
FUZZ     ?=
OPT      ?= -O2
FUZZ_SECONDS ?= 60

PKGS      := jansson sqlite3 libmicrohttpd libuv libsodium icu-uc icu-i18n zlib
TEST_PKGS := cmocka

WARN      := -Wall -Wextra -Wformat=2 -Wshadow -Wvla -Werror
CPPFLAGS  := -D_GNU_SOURCE -Isrc -MMD -MP
RL_CFLAGS := -std=c11 $(OPT) -g $(WARN) -Wstrict-prototypes $(shell pkg-config --cflags $(PKGS))
RL_CXXFLAGS := -std=c++17 $(OPT) -g $(WARN)
RL_LDFLAGS  :=
LIBS      := $(shell pkg-config --libs $(PKGS)) -lcsv -lphonenumber -lstdc++ -lm -lpthread

ifneq ($(SANITIZE),)
SANFLAGS  := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
ifneq ($(FUZZ),)
SANFLAGS  += -fsanitize=fuzzer-no-link
endif
RL_CFLAGS   += $(SANFLAGS)
# The vptr check needs the C++ sanitizer runtime, which a C link does not pull
# in; the C++ shim holds no polymorphic class of ours to check.
RL_CXXFLAGS += $(SANFLAGS) $(if $(SANITIZE),-fno-sanitize=vptr)
RL_LDFLAGS  += $(SANFLAGS)

LIB_SRC   := $(wildcard src/*/*.c)
LIB_CXX   := $(wildcard src/*/*.cc)
MIGRATIONS := $(sort $(wildcard src/store/migrations/*.sql))
GEN_SRC   := $(BUILD)/gen/store_migrations_data.c $(BUILD)/gen/api_openapi_data.c
LIB_OBJ   := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o) $(LIB_CXX:src/%.cc=$(BUILD)/obj/%.o) \
             $(GEN_SRC:$(BUILD)/gen/%.c=$(BUILD)/obj/gen/%.o)
LIB       := $(BUILD)/librelais.a
BIN       := $(BUILD)/relais

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/test/%)
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
BENCH_SRC := $(wildcard bench/*/bench_*.c)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
FUZZ_BIN  := $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzz/%)

.PHONY: all check unit unit-san fuzzers fuzz fuzz-replay e2e demo deps format format-check \
        docs docs-check clean bench

# Benchmarks are built with everything so that they cannot rot unnoticed.
all: $(BIN) $(BENCH_BIN)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: src/%.cc
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(RL_CXXFLAGS) -c $< -o $@

# The schema travels inside the binary (see tools/embed-sql.sh).
$(BUILD)/gen/store_migrations_data.c: $(MIGRATIONS) tools/embed-sql.sh
	@mkdir -p $(@D)
	tools/embed-sql.sh $(MIGRATIONS) > $@

# The OpenAPI document too: /openapi.json is served from the binary.
$(BUILD)/gen/api_openapi_data.c: src/api/openapi.json tools/embed-file.sh
	@mkdir -p $(@D)
	tools/embed-file.sh api_openapi_json $< > $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(BUILD)/obj/main.o $(LIB)
	$(CC) $(RL_LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/obj/main.o: src/main.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) -c $< -o $@

$(BUILD)/test/%: tests/unit/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) $(shell pkg-config --cflags $(TEST_PKGS)) $(RL_LDFLAGS) \
	    -o $@ $< $(LIB) $(LIBS) $(shell pkg-config --libs $(TEST_PKGS))
$(BUILD)/test/test_smpp_interop: LIBS += -lsmpp34

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(BUILD)/bench/%: bench/%.c $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RL_CFLAGS) $(RL_LDFLAGS) -o $@ $< $(LIB) $(LIBS)

# --- tests ------------------------------------------------------------------

deps:
	@scripts/deps.sh

# Runs every stage even when one fails, then prints one summary line.
check: deps
	@tools/check.sh

unit: $(UNIT_BIN) $(BIN)
	@tools/testrun cmocka $(UNIT_BIN)

unit-san:
	@$(MAKE) --no-print-directory BUILD=build/san CC=clang CXX=clang++ \
	    SANITIZE=address,undefined OPT=-O1 unit

fuzzers:
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang CXX=clang++ \
	    SANITIZE=address,undefined FUZZ=1 OPT=-O1 $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/fuzz/%)

# Replays each committed corpus once: a finding fixed stays fixed.
fuzz-replay: fuzzers
	@tools/testrun fuzz-replay $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/fuzz/%)

# Explores: every target for FUZZ_SECONDS, new inputs kept in build/, findings in tests/fuzz/findings/.
fuzz: fuzzers
	@tools/fuzz-all.sh $(FUZZ_SECONDS) $(FUZZ_SRC:tests/fuzz/%.c=build/fuzz/fuzz/%)

e2e: $(BIN)
	@tools/testrun node tests/e2e

format:
	clang-format -i $(shell git ls-files '*.c' '*.h' '*.cc')

format-check:
	@tools/testrun format $(shell git ls-files '*.c' '*.h' '*.cc')

# docs/configuration.md is generated from src/core/cfg.def through the binary,
# docs/api.md from src/api/openapi.json.
docs: $(BIN)
	$(BIN) config --doc > docs/configuration.md
	node tools/api-doc.mjs src/api/openapi.json > docs/api.md

docs-check: $(BIN)
	@tools/testrun docs

# The build runs in a make of its own, after deps: this one read its
# pkg-config flags before the packages were installed (a fresh machine).
demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@tools/demo.sh $(BIN)

# Figures, never assertions: each bench/*/run prints what it measured and how.
bench: $(BIN) $(BENCH_BIN)
	@for b in bench/*/run; do echo "== $$b"; $$b; done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(BUILD)/obj/main.d
