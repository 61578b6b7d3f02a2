# arsim: `make run` runs the quickstart scenario, `make test` runs every test.
# Both install missing system packages first (Debian: apt-get install -y).

SWIFT         ?= swift
APT_PACKAGES  := libsqlite3-dev libopenblas-dev liblapacke-dev libglpk-dev zlib1g-dev
# Only the tests need a browser: the HTML report is rendered in Debian's headless chromium.
TEST_APT_PACKAGES := chromium
ARSIM         := .build/release/arsim
# Release builds link with whole-program LTO: the world's hot calls cross module lines (the run
# loop into EdgeWorld, the policies into its queues), and LTO inlines them. With the cross-module
# optimisation in Package.swift: about 1.08x the events per second at 10,000 clients and 1.10x at
# 1,000 (docs/performance.md, "Whole-program optimisation"). After `make test`, run one test class
# without building again (a `swift test` that builds redoes every module, about three minutes):
#   swift test -c release --skip-build --filter QueueingTheoryTests
RELEASE       := -c release --experimental-lto-mode=full

.PHONY: run test deps build bench clean fuzz ipipe-plans ipipe-serve

run: build
	$(ARSIM) run Workloads/scenarios/quickstart.json

# Tests are built in release mode: the queueing-theory tests simulate millions of requests and run
# 10-20x faster than in a debug build, which more than pays for the longer compile.
# `arsim check` compares the regression scenarios' outcomes with Results/baselines/ (docs/workbench.md);
# it runs before the tests so that the test runner's summary stays the last lines CI reads.
# The fuzz test runs a few hundred seeded mutants of every kind of input through the binary
# (tools/fuzz.py): any trap, hang, unbounded memory or stray exit code fails the build.
test: deps
	@./scripts/install-deps.sh $(TEST_APT_PACKAGES)
	$(SWIFT) build $(RELEASE) --build-tests
	$(ARSIM) check
	@if command -v python3 >/dev/null; then python3 tools/fuzz.py --arsim $(ARSIM) --count 300 --seed 1; \
	 else echo "python3 is not installed: fuzz test skipped"; fi
	$(SWIFT) test -c release --skip-build

# A longer fuzz run, outside make test: `make fuzz SEED=7 COUNT=20000`.
SEED  ?= 1
COUNT ?= 20000
fuzz: build
	python3 tools/fuzz.py --arsim $(ARSIM) --count $(COUNT) --seed $(SEED)

# IPIPE's MILP on the PPipe artifact's 48 reference instances, outside make test (about 2.5
# minutes on the 2-core CI machine; needs ../shared/reference-data/ppipe or PPIPE=<dir>).
PPIPE ?= ../shared/reference-data/ppipe
ipipe-plans: build
	$(ARSIM) ipipe-plans --reference $(PPIPE)

# PPipe's served-throughput experiment on the artifact's reference plans: IPIPE, NP, DART-r and
# Reactive on all 24 groups (about 20 s), then the same on our MILP's plans (about 3 minutes).
ipipe-serve: build
	$(ARSIM) ipipe-serve --reference $(PPIPE)
	$(ARSIM) ipipe-serve --reference $(PPIPE) --plans ours

build: deps
	$(SWIFT) build $(RELEASE) --product arsim

bench: build
	$(ARSIM) bench

deps:
	@./scripts/install-deps.sh $(APT_PACKAGES)

clean:
	rm -rf .build
