# claude-keytray — build, test and lint.
#
#   make build   bin/claude-keytray with the version and commit stamped in, and next to it
#                bin/claude-keytray-key, the helper's small fast path
#   make test    the whole suite, race detector on, against the real components
#                (private D-Bus, gnome-keyring, dunst, Xvfb, pass, the claude CLI)
#   make lint    gofmt, go vet, staticcheck, govulncheck
#   make run     go run ./cmd/claude-keytray (ARGS="status --json" to pass arguments)
#   make dist    .deb, .rpm and the Windows build in dist/ (scripts/dist.sh)
#   make bench   helper latency, slow sources, bursts, idle footprint (scripts/bench.sh)
#   make fuzz    every fuzz target for longer than make test does (scripts/fuzz.sh)
#   make screenshots   the tray icon in every state, its menu, Details, the key dialog and a
#                      notification, in screenshots/ (scripts/screenshots.sh)

SHELL := /bin/bash
GO ?= go

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X main.version=$(VERSION) -X main.commit=$(COMMIT)

BIN := bin/claude-keytray
# The race-enabled build the integration tests run as a subprocess.
TEST_BIN := bin/claude-keytray-race
# The helper's fast path goes next to each; its name is the main program's with -key added.
LEAN_PKG := ./cmd/claude-keytray-key

# A staticcheck release that knows this module's Go version.
STATICCHECK_VERSION := v0.8.2
# Time per target for `make fuzz`; `make test` gives each 4 s.
FUZZTIME ?= 2m
# VULNCHECK=0 accepts, loudly, a lint run in which govulncheck could not be done.
VULNCHECK ?= 1

.PHONY: all build test lint run clean dist bench fuzz screenshots

all: build

build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/claude-keytray
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '-s -w' -o $(BIN)-key $(LEAN_PKG)

test:
	$(GO) build -race -ldflags '$(LDFLAGS)' -o $(TEST_BIN) ./cmd/claude-keytray
	$(GO) build -race -o $(TEST_BIN)-key $(LEAN_PKG)
	CLAUDE_KEYTRAY_BIN='$(abspath $(TEST_BIN))' scripts/test-session.sh $(GO) test -race -count=1 ./...
	scripts/fuzz.sh 4s

lint:
	@echo '== gofmt'
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then \
		echo "lint: these files need gofmt -w:"; echo "$$out"; exit 1; fi
	@echo '== go vet'
	$(GO) vet ./...
	@echo '== staticcheck $(STATICCHECK_VERSION)'
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...
	@echo '== govulncheck'
	@if [ '$(VULNCHECK)' = 0 ]; then \
		echo 'lint: govulncheck SKIPPED (VULNCHECK=0): dependencies were NOT checked for known vulnerabilities'; \
		exit 0; fi; \
	out="$$($(GO) run golang.org/x/vuln/cmd/govulncheck@latest ./... 2>&1)"; rc=$$?; \
	echo "$$out"; \
	if [ $$rc -eq 0 ]; then exit 0; fi; \
	if [ $$rc -eq 3 ]; then echo 'lint: govulncheck found vulnerabilities (above)'; exit 1; fi; \
	if grep -q 'fetching vulnerabilities' <<<"$$out"; then \
		echo 'lint: govulncheck could NOT reach the Go vulnerability database, so dependencies were NOT'; \
		echo '      checked for known vulnerabilities. The other checks passed. Run it where the database'; \
		echo '      is reachable, or accept the gap explicitly with: make lint VULNCHECK=0'; \
	else \
		echo "lint: govulncheck failed (exit $$rc, above)"; \
	fi; \
	exit 1

run:
	$(GO) run -ldflags '$(LDFLAGS)' ./cmd/claude-keytray $(ARGS)

fuzz:
	FUZZ_RACE=0 scripts/fuzz.sh $(FUZZTIME)

dist:
	scripts/dist.sh

bench:
	scripts/bench.sh

screenshots:
	scripts/test-session.sh scripts/screenshots.sh "$(CURDIR)/screenshots"

clean:
	rm -rf bin dist
