# arsim: `make run` runs the quickstart scenario, `make test` runs every test.
# Both install missing system packages first (Debian: apt-get install -y).

SWIFT         ?= swift
APT_PACKAGES  := libsqlite3-dev libopenblas-dev liblapacke-dev
ARSIM         := .build/release/arsim

.PHONY: run test deps build bench clean

run: build
	$(ARSIM) run Workloads/scenarios/quickstart.json

# Tests are built in release mode: the queueing-theory tests simulate millions of requests and run
# 10-20x faster than in a debug build, which more than pays for the longer compile.
test: deps
	$(SWIFT) build -c release --build-tests
	$(SWIFT) test -c release --skip-build

build: deps
	$(SWIFT) build -c release --product arsim

bench: build
	$(ARSIM) bench

deps:
	@./scripts/install-deps.sh $(APT_PACKAGES)

clean:
	rm -rf .build
