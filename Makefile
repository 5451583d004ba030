# iar — build, test and demo. A plain Makefile with pkg-config; see docs/BUILD.md.
#   make            library + the iar binary (build/iar)
#   make test       installs missing Debian packages (when root), builds, runs the whole suite
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       the embedded default: benchmark, training, evaluation, report
#   make bench      builds the benchmark programs (build/bench/) and lists each benchmark's command
#   make fuzz       builds the libFuzzer harnesses (build/fuzz/, clang); fuzz/run.sh runs them
#   make reference  regenerates the PyTorch fixtures of the model and tower tests (needs python3-torch)
# Options: WERROR=1 (warnings are errors), BUILD=dir, SANITIZE=1, LDFLAGS=... (added to every link),
#          NO_OMP=1 (no OpenMP: one thread, same results), PORTABLE=1 (-march=x86-64: no AVX2, the
#          scalar kernels), CUDA=0|1 (default: 1 when nvcc is found and a GPU driver is present),
#          MPI=0|1 (default: 1 when OpenMPI's pkg-config file is found).
# The first lines make prints say what it found and what it left out (✓ / ✗).

BUILD ?= build
CC ?= cc
PKGS := cairo fontconfig libpng libjpeg libcjson libcurl libmicrohttpd sqlite3 openblas libcrypto

# ---- feature detection ---------------------------------------------------------------------------
NO_OMP ?= 0
ifeq ($(NO_OMP),1)
OMP := 0
else
OMP := $(shell printf 'int main(void) { return 0; }\n' | $(CC) -fopenmp -x c - -o /dev/null 2>/dev/null && echo 1 || echo 0)
endif

# AVX2 + FMA kernels when this CPU has them; PORTABLE=1 (or another CPU) builds the scalar fallback
PORTABLE ?= 0
MACHINE := $(shell uname -m)
CPU_AVX2 := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null && echo 1 || echo 0)
ifneq ($(MACHINE),x86_64)
ARCH_FLAGS :=
ARCH_NOTE := ✗ x86-64 SIMD ($(MACHINE): portable C kernels)
else ifeq ($(PORTABLE),1)
ARCH_FLAGS := -march=x86-64
ARCH_NOTE := ✗ AVX2 (PORTABLE=1: -march=x86-64, scalar kernels)
else ifeq ($(CPU_AVX2),1)
ARCH_FLAGS := -march=x86-64-v3
ARCH_NOTE := ✓ AVX2 + FMA (-march=x86-64-v3; PORTABLE=1 for any x86-64)
else
ARCH_FLAGS := -march=x86-64
ARCH_NOTE := ✗ AVX2 (this CPU lacks it: -march=x86-64, scalar kernels)
endif

NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
GPU_DRIVER := $(shell { command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; } || [ -e /dev/nvidia0 ] && echo 1 || echo 0)
CUDA ?= $(if $(NVCC),$(GPU_DRIVER),0)
MPI ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)
HAVE_PKGS := $(shell pkg-config --exists $(PKGS) 2>/dev/null && echo 1 || echo 0)

ifeq ($(MAKELEVEL),0)
ifeq ($(filter clean deps reference,$(MAKECMDGOALS)),)
$(info ---- iar build in $(BUILD)/ with $(CC) ----)
$(info $(if $(filter 1,$(HAVE_PKGS)),✓ libraries: $(PKGS),✗ libraries: some of $(PKGS) are missing (make deps installs them)))
$(info $(if $(filter 1,$(OMP)),✓ OpenMP (NO_OMP=1 to leave it out),✗ OpenMP ($(if $(filter 1,$(NO_OMP)),NO_OMP=1,the compiler lacks -fopenmp)): one thread, same results))
$(info $(ARCH_NOTE))
$(info $(if $(filter 1,$(MPI)),✓ MPI (OpenMPI; MPI=0 to leave it out),✗ MPI (no ompi-c pkg-config file, or MPI=0): one process))
$(info $(if $(filter 1,$(CUDA)),✓ CUDA ($(NVCC)),✗ CUDA ($(if $(NVCC),no GPU driver found: CUDA=1 to build it anyway,no nvcc)): test_cuda skips))
$(info -----------------------------------------------)
endif
endif

# ---- flags -----------------------------------------------------------------------------------------
# one package at a time: a missing package leaves out its own flags, not every package's
PKG_CFLAGS := $(foreach p,$(PKGS),$(shell pkg-config --cflags $(p) 2>/dev/null))
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter $(ARCH_FLAGS) -Isrc $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lm -lpthread
TEST_LDLIBS := -lcmocka
ifeq ($(OMP),1)
OMP_FLAGS := -fopenmp
CFLAGS += $(OMP_FLAGS)
LDLIBS += $(OMP_FLAGS)
else
CFLAGS += -Wno-unknown-pragmas
endif
ifeq ($(WERROR),1)
CFLAGS += -Werror
endif
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDLIBS += -fsanitize=address,undefined
endif
ifeq ($(MPI),1)
CFLAGS += -DIAR_HAVE_MPI $(shell pkg-config --cflags ompi-c)
LDLIBS += $(shell pkg-config --libs ompi-c)
endif

# ---- sources -----------------------------------------------------------------------------------------
LIB_DIRS := core image data synth text model screen train eval serve cuda
LIB_SRC := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.c))
CLI_SRC := $(wildcard src/cli/*.c)
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
CU_SRC := $(foreach d,$(LIB_DIRS),$(wildcard src/$(d)/*.cu))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
# LD_PRELOAD shims the crash tests load into the iar binary
TEST_SHIMS := $(BUILD)/tests/kill_in_rename.so

ifeq ($(CUDA),1)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CFLAGS += -DIAR_HAVE_CUDA -I$(CUDA_HOME)/include
LDLIBS += -L$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
NVCCFLAGS ?= -O2 -std=c++17 -Isrc -arch=sm_90 -Xcompiler -fPIC -MMD -MP
LIB_OBJ += $(CU_SRC:%.cu=$(BUILD)/obj/%.o)
endif

# benchmark programs (bench/*.c), linked against the library
BENCH_PROGRAMS := model_bench model_kernels_bench train_tokenizer_bench eval_bench_tool serve_load tower_bench base64_bench \
	screen_inputs realset_build
ifeq ($(MPI),1)
BENCH_PROGRAMS += mpi_bench
endif
ifeq ($(CUDA),1)
BENCH_PROGRAMS += cuda_bench
endif
BENCH_BIN := $(BENCH_PROGRAMS:%=$(BUILD)/bench/%)

# libFuzzer harnesses: built with clang and the sanitizers from the sources they reach
FUZZ_CC ?= clang
FUZZ_PKGS := libpng libjpeg libcjson libcrypto
FUZZ_CFLAGS := -g -O1 -std=c11 -D_GNU_SOURCE -Isrc $(shell pkg-config --cflags $(FUZZ_PKGS) 2>/dev/null) -fno-omit-frame-pointer
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_LIBS := $(shell pkg-config --libs $(FUZZ_PKGS) 2>/dev/null) -lm
FUZZ_LIB_SRC := $(wildcard src/core/*.c src/image/*.c src/text/*.c src/data/*.c)
FUZZ_BIN := $(BUILD)/fuzz/fuzz_jsonl $(BUILD)/fuzz/fuzz_image $(BUILD)/fuzz/serve_fuzz_request $(BUILD)/fuzz/make_seeds

.PHONY: all test test-asan demo bench fuzz reference clean deps all-tests install FORCE
all: $(BUILD)/iar

deps:
	@tools/bootstrap.sh

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.cu
	@mkdir -p $(dir $@)
	$(NVCC) $(NVCCFLAGS) -c $< -o $@

$(BUILD)/libiar.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/iar: $(CLI_OBJ) $(BUILD)/libiar.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libiar.a $(LDLIBS)

# ---- version and install -----------------------------------------------------------------------------
# `iar --version` says `git describe`; the binary looks for the shipped model under PREFIX (cli_util.c).
PREFIX ?= /usr/local
IAR_VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo unknown)
BUILD_INFO := version $(IAR_VERSION) prefix $(PREFIX)
$(BUILD)/build-info.txt: FORCE
	@mkdir -p $(dir $@)
	@[ "$$(cat $@ 2>/dev/null)" = "$(BUILD_INFO)" ] || echo "$(BUILD_INFO)" > $@
$(BUILD)/obj/src/cli/main.o $(BUILD)/obj/src/cli/cli_util.o: $(BUILD)/build-info.txt
$(BUILD)/obj/src/cli/main.o: CFLAGS += -DIAR_VERSION='"$(IAR_VERSION)"'
$(BUILD)/obj/src/cli/cli_util.o: CFLAGS += -DIAR_PREFIX='"$(PREFIX)"'
FORCE:

# make install PREFIX=/opt/iar [DESTDIR=staging]: the binary, the shipped model when present, docs
install: $(BUILD)/iar
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/iar/models $(DESTDIR)$(PREFIX)/share/doc/iar
	install -m 755 $(BUILD)/iar $(DESTDIR)$(PREFIX)/bin/iar
	if [ -f models/iar-small/config.json ]; then rm -rf $(DESTDIR)$(PREFIX)/share/iar/models/iar-small && \
	    cp -r models/iar-small $(DESTDIR)$(PREFIX)/share/iar/models/iar-small; fi
	install -m 644 LICENSE README.md $(DESTDIR)$(PREFIX)/share/doc/iar/

# Tests link cmocka; the product does not. Building a single test: make build/tests/test_rng
# The support code is an archive, so a test links (and needs the libraries of) only what it calls.
$(BUILD)/libiar_test_support.a: $(TEST_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(BUILD)/libiar_test_support.a $(BUILD)/libiar.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libiar_test_support.a $(BUILD)/libiar.a $(LDLIBS) $(TEST_LDLIBS)

# a shim is loaded into other programs: no sanitizer runtime of its own
$(BUILD)/tests/%.so: tests/faults/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -std=c11 -Wall -Wextra -shared -fPIC -o $@ $< -ldl

test: deps
	@$(MAKE) --no-print-directory all-tests
	@tools/run_tests.sh $(BUILD)

all-tests: $(BUILD)/iar $(TEST_BIN) $(TEST_SHIMS)

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 CUDA=0 all-tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 IAR_SANITIZED=1 tools/run_tests.sh build-asan

demo: deps
	@$(MAKE) --no-print-directory all
	@$(BUILD)/iar demo --out demo

# ---- benchmarks -----------------------------------------------------------------------------------
$(BUILD)/bench/%: bench/%.c $(BUILD)/libiar.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Ibench -o $@ $< $(BUILD)/libiar.a $(LDLIBS)

$(BUILD)/bench/eval_bench_tool: bench/eval_bench_tool.c $(BUILD)/obj/tests/support/eval_fake_server.o \
		$(BUILD)/obj/tests/support/loopback_http.o $(BUILD)/obj/tests/support/eval_fixture.o $(BUILD)/libiar.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $^ $(LDLIBS)

# The model benchmark on src/core + src/model alone, for a machine that has OpenBLAS, cJSON and
# OpenSSL's headers but not the other packages (bench/model_device.sh); the archive lets the link
# take only the objects the benchmark reaches.
MODEL_ALONE_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard src/core/*.c src/model/*.c))
MODEL_ALONE_LIBS := $(shell pkg-config --libs openblas libcjson 2>/dev/null || echo -lopenblas -lcjson) -lm -lpthread
$(BUILD)/libiar_model.a: $(MODEL_ALONE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/bench/model_bench_alone: bench/model_bench.c $(BUILD)/libiar_model.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Ibench -o $@ $< $(BUILD)/libiar_model.a $(MODEL_ALONE_LIBS) $(OMP_FLAGS)

bench: $(BUILD)/iar $(BENCH_BIN)
	@echo "benchmark programs in $(BUILD)/bench/: $(BENCH_PROGRAMS)"
	@echo "each benchmark's command and what it measures: bench/README.md"

# ---- fuzzing ----------------------------------------------------------------------------------------
$(BUILD)/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -o $@ $< $(FUZZ_LIB_SRC) $(FUZZ_LIBS)

$(BUILD)/fuzz/serve_fuzz_request: fuzz/serve_fuzz_request.c src/serve/request.c src/serve/multipart.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -o $@ $< src/serve/request.c src/serve/multipart.c $(FUZZ_LIB_SRC) $(FUZZ_LIBS)

$(BUILD)/fuzz/make_seeds: fuzz/make_seeds.c $(FUZZ_LIB_SRC)
	@mkdir -p $(dir $@)
	$(CC) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(FUZZ_LIBS)

fuzz: $(FUZZ_BIN)

reference:
	/usr/bin/python3 tools/reference_model.py tests/fixtures/model_reference.bin
	/usr/bin/python3 tools/reference_tower.py tests/fixtures/tower_reference.bin

clean:
	rm -rf build build-asan build-portable build-gpu

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
