# Thin wrapper over .ci/setup, CMake and ctest. The two commands a newcomer needs:
#   make demo   sets up, builds and runs the end-to-end demo
#   make test   sets up, builds and runs every test (and the unit tests under ASan/UBSan)
# Everything else: see README.md.
BUILD     ?= build
SAN_BUILD ?= build-san
JOBS      ?= $(shell nproc)
GENERATOR := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
CMAKE_ARGS ?=

.PHONY: all setup configure build san-build demo test unit hw e2e interop fuzz bench clean

all: build

setup:
	@bash .ci/setup

configure: setup
	@test -f $(BUILD)/CMakeCache.txt || cmake -S . -B $(BUILD) $(GENERATOR) $(CMAKE_ARGS)

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Sanitizer build: clang so that the same tree also builds the libFuzzer targets.
san-build: setup
	@test -f $(SAN_BUILD)/CMakeCache.txt || CC=clang CXX=clang++ cmake -S . -B $(SAN_BUILD) \
	  $(GENERATOR) -DNICSEC_SANITIZE=ON -DNICSEC_RTL_SIM=OFF -DCMAKE_BUILD_TYPE=Debug $(CMAKE_ARGS)
	@cmake --build $(SAN_BUILD) -j $(JOBS)

demo: build
	@bash tests/e2e/demo.sh $(BUILD)

test: build san-build
	@bash tests/run_all.sh $(BUILD) $(SAN_BUILD)

# One label at a time, in the normal build (fast feedback).
unit hw e2e interop: build
	@cd $(BUILD) && ctest -L '^$@$$' -j $(JOBS) --output-on-failure

fuzz: san-build
	@cd $(SAN_BUILD) && ctest -L '^fuzz$$' --output-on-failure

bench: build
	@bash bench/run_all.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(SAN_BUILD)
