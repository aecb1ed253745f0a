# carm — the README's commands. Every target installs what is missing first.
#   make demo    install, build, run the main job on the digital liver twin
#   make check   install, build (warnings are errors), run every test
#   make bench   install, build, run the benchmarks (carm beside plastimatch)
#                FDK case (b), 512³ (8-30 min, not in make bench):
#                bench/fdk_vs_plastimatch.sh build b
#   make asan    the tests under AddressSanitizer + UBSan
#   make format  reformat the sources with clang-format

BUILD ?= build
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_ARGS ?=

.PHONY: all deps build demo check bench asan format clean

all: build

deps:
	@scripts/install-deps

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)
	@scripts/build-web

demo: build
	@scripts/demo $(BUILD)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: build
	@scripts/bench $(BUILD)

asan: deps
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCARM_SANITIZE=ON
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp ctest --output-on-failure -j $(JOBS) -LE slow

format:
	@scripts/check-format --fix

clean:
	rm -rf $(BUILD) build-asan
