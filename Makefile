# iar — build, test and demo. A plain Makefile with pkg-config; see docs/BUILD.md.
#   make            library + the iar binary (build/iar)
#   make test       installs missing Debian packages (when root), builds, runs the whole suite
#   make test-asan  the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       the embedded default: benchmark, training, evaluation, report
#   make bench      benchmarks (results go to docs/PERFORMANCE.md by hand, with the command)
#   make reference  regenerates the PyTorch fixture of the model test (needs python3-torch)
# Options: WERROR=1 (warnings are errors), CUDA=0|1 (default: 1 when nvcc is found),
#          MPI=0|1 (default: 1 when OpenMPI's pkg-config file is found), BUILD=dir, SANITIZE=1.

BUILD ?= build
CC ?= cc
PKGS := cairo fontconfig libpng libjpeg libcjson libcurl libmicrohttpd sqlite3 openblas
NVCC ?= $(shell command -v nvcc 2>/dev/null || ls /usr/local/cuda/bin/nvcc 2>/dev/null)
CUDA ?= $(if $(NVCC),1,0)
MPI ?= $(shell pkg-config --exists ompi-c 2>/dev/null && echo 1 || echo 0)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -fopenmp -march=x86-64-v3 -Isrc $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -lcmocka -fopenmp -lm -lpthread
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

ifeq ($(CUDA),1)
CUDA_HOME ?= $(patsubst %/bin/nvcc,%,$(NVCC))
CFLAGS += -DIAR_HAVE_CUDA -I$(CUDA_HOME)/include
LDLIBS += -L$(CUDA_HOME)/lib64 -lcublas -lcudart -lstdc++
NVCCFLAGS ?= -O2 -std=c++17 -Isrc -arch=sm_90 -Xcompiler -fPIC -MMD -MP
LIB_OBJ += $(CU_SRC:%.cu=$(BUILD)/obj/%.o)
endif

.PHONY: all test test-asan demo bench reference clean deps fuzz
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
	$(CC) $(CFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libiar.a $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.o $(TEST_SUPPORT_OBJ) $(BUILD)/libiar.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(TEST_SUPPORT_OBJ) $(BUILD)/libiar.a $(LDLIBS)

# Building a single test: make build/tests/test_rng
test: deps
	@$(MAKE) --no-print-directory all-tests
	@tools/run_tests.sh $(BUILD)

all-tests: $(BUILD)/iar $(TEST_BIN)

test-asan: deps
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 CUDA=0 all-tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 IAR_SANITIZED=1 tools/run_tests.sh build-asan

demo: deps
	@$(MAKE) --no-print-directory all
	@$(BUILD)/iar demo --out demo

bench: deps all
	@echo "see bench/README.md for each benchmark's command"

reference:
	/usr/bin/python3 tools/reference_model.py tests/fixtures/model_reference.bin

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
