# The README's two commands: `make demo` (set up, build, run the main job) and `make test` (every suite).
BUILD ?= build
PY := .venv/bin/python
JOBS ?= 2
export CCACHE_BASEDIR := $(CURDIR)

.PHONY: setup configure build demo test bench clean

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: CMakeLists.txt | setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DPython_EXECUTABLE=$(CURDIR)/$(PY) -DLLVM_EXTERNAL_LIT=$(CURDIR)/.venv/bin/lit >/dev/null

configure: setup $(BUILD)/build.ninja

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@$(PY) examples/fashion_mnist.py $(DEMO_ARGS)

test: build
	@bash scripts/run_tests.sh $(BUILD)

bench: build
	@bash scripts/setup_bench.sh
	@.venv-bench/bin/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(BUILD)
