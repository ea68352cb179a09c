# imgtool: build, run on the sample archive, test, benchmark, install.
SWIFT ?= swift
PREFIX ?= /usr/local
CONFIGURATION ?= debug
WARNINGS_AS_ERRORS ?= true
BENCH_DIR ?= $(HOME)/.cache/imgtool-bench
BENCH_SIZE ?= 1024

# A module may import only the modules Package.swift lists as its dependencies. The compiler
# alone lets an undeclared import through when that module happens to be built already; this
# check makes it an error (e.g. "Target Tar imports another target (OCI) in the package without
# declaring it a dependency").
IMPORT_CHECK := --explicit-target-dependency-import-check error
SWIFT_FLAGS := -c $(CONFIGURATION) $(IMPORT_CHECK)
ifeq ($(WARNINGS_AS_ERRORS),true)
SWIFT_FLAGS += -Xswiftc -warnings-as-errors
endif
# Release binaries link the Swift runtime and Foundation statically on Linux: only the pages
# used are loaded, so imgtool starts faster and uses about 6 MiB less memory than with the
# shared libFoundation and ICU (see the README's Performance section). STATIC= turns it off.
STATIC ?= $(if $(filter Linux,$(shell uname -s)),--static-swift-stdlib,)
RELEASE_FLAGS := -c release $(STATIC) $(IMPORT_CHECK) $(filter -Xswiftc -warnings-as-errors,$(SWIFT_FLAGS))

SAMPLE := Tests/Fixtures/skopeo-docker-archive.tar.gz

.PHONY: all build release run test bench bench-cache bench-zstd bench-push fixtures install clean format lint deps fuzz

all: build

build:
	@echo "Building imgtool ($(CONFIGURATION))..."
	$(SWIFT) build $(SWIFT_FLAGS)

release:
	@echo "Building imgtool (release)..."
	$(SWIFT) build $(RELEASE_FLAGS)

# The main job on the sample archive the repository carries.
run: build
	@echo "Running imgtool inspect on $(SAMPLE)..."
	$$($(SWIFT) build $(SWIFT_FLAGS) --show-bin-path)/imgtool inspect $(SAMPLE)

# Every Debian/Ubuntu package the build and the tests need, in one place (.ci/run calls
# `make deps`; the README's Set-up explains what each is for). Swift itself is not among them.
#   build:   zlib1g-dev libzstd-dev libssl-dev pkg-config, libcurl4-openssl-dev (FoundationNetworking's
#            libcurl, which the statically linked release binary links: push speaks HTTP through it)
#   interop: gzip pigz zstd xz-utils bzip2 tar python3 (the independent readers and writers),
#            python3-zstandard golang-go golang-github-klauspost-compress-dev (Python's and Go's
#            zstd readers, which read back what pack --zstd writes)
#   ship:    openssh-server openssh-client openssl coreutils findutils (a real sshd on 127.0.0.1)
#   root-only tests: util-linux (mount: small tmpfs for the disk-full ship tests)
#   bsdutils (script(1): the terminal of the progress test), time (GNU time: peak memory of the
#   hostile-input tests)
#   docker.io, containerd (a real Docker daemon the ship tests start on their own socket),
#   busybox-static (the static busybox their images run), tmux (the first-contact terminal test),
#   podman (ship --load to a server without docker)
#   push:    docker-registry (the CNCF distribution registry 2.8, started on loopback by the push
#            tests), apache2-utils (htpasswd: its Basic-auth users), skopeo (the independent client
#            that pulls back what push put)
DEPS := zlib1g-dev libzstd-dev libssl-dev pkg-config libcurl4-openssl-dev gzip pigz zstd xz-utils bzip2 tar python3 \
	python3-zstandard golang-go golang-github-klauspost-compress-dev \
	openssh-server openssh-client openssl coreutils findutils util-linux bsdutils time \
	docker.io containerd busybox-static tmux podman docker-registry apache2-utils skopeo umoci rsync
# apt-get needs root: sudo when not run as root.
SUDO ?= $(shell [ "$$(id -u)" = 0 ] || echo sudo)

deps:
	@echo "Installing the packages the build and the tests need (apt-get)..."
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(DEPS) >/dev/null

# The tests' packs keep their layers in a cache of their own, emptied first (XDG_CACHE_HOME),
# not in the user's.
test:
	@echo "Running the tests..."
	$(SWIFT) build $(SWIFT_FLAGS) --build-tests
	rm -rf .build/test-cache
	XDG_CACHE_HOME=$(CURDIR)/.build/test-cache $(SWIFT) test $(SWIFT_FLAGS) --skip-build

# libFuzzer harnesses (Fuzz/README.md): the libraries built with -sanitize=fuzzer,address into
# .build-fuzz, then each harness of Fuzz/Harnesses run for FUZZ_SECONDS; fails when one crashes,
# hangs or runs out of memory (the input is kept in .build-fuzz/fuzz/artifacts).
FUZZ_SECONDS ?= 60

fuzz:
	@echo "Fuzzing every harness for $(FUZZ_SECONDS) s (instrumented build in .build-fuzz)..."
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) Fuzz/fuzz.sh

# The toolchain's own formatter (swift format, no package), configured by .swift-format.
FORMAT_PATHS := Package.swift Sources Tests Fuzz

format:
	@echo "Formatting the tree..."
	$(SWIFT) format --configuration .swift-format --in-place --recursive --parallel $(FORMAT_PATHS)

# Fails (and names each file and line) when the tree is not formatted; CI runs it.
lint:
	@echo "Checking the formatting..."
	$(SWIFT) format lint --configuration .swift-format --strict --recursive --parallel $(FORMAT_PATHS)

# Regenerates Tests/Fixtures with real tools (root, Debian: see Tests/Fixtures/README.md).
fixtures:
	Tests/Fixtures/make-fixtures.sh

bench:
	@echo "Benchmarking (release build; archives cached in $(BENCH_DIR))..."
	$(SWIFT) build $(RELEASE_FLAGS)
	bash ../shared/bench/make-bench-archive.sh $(BENCH_DIR) $(BENCH_SIZE)
	bash bench/make-big-archive.sh $(BENCH_DIR)
	bash bench/make-v2-archive.sh $(BENCH_DIR)
	bash bench/make-v3-archive.sh $(BENCH_DIR)
	bash bench/run.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool
	bash bench/pack.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool
	bash bench/ship.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool
	bash bench/cache.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool
	bash bench/zstd.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool
	bash bench/push.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool

# The zstd rows alone (bench/zstd.sh): verify, pack --zstd and the deploy loop.
bench-zstd:
	$(SWIFT) build $(RELEASE_FLAGS)
	bash ../shared/bench/make-bench-archive.sh $(BENCH_DIR) $(BENCH_SIZE)
	bash bench/zstd.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool

# The pack-cache rows alone (bench/cache.sh): warm pack, the re-deploy, in-layer deltas.
bench-cache:
	$(SWIFT) build $(RELEASE_FLAGS)
	bash ../shared/bench/make-bench-archive.sh $(BENCH_DIR) $(BENCH_SIZE)
	bash bench/make-v2-archive.sh $(BENCH_DIR)
	bash bench/make-v3-archive.sh $(BENCH_DIR)
	bash bench/cache.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool

# The push rows alone (bench/push.sh): imgtool push against skopeo copy, to a loopback registry.
bench-push:
	$(SWIFT) build $(RELEASE_FLAGS)
	bash ../shared/bench/make-bench-archive.sh $(BENCH_DIR) $(BENCH_SIZE)
	bash bench/make-v2-archive.sh $(BENCH_DIR)
	bash bench/push.sh $(BENCH_DIR) $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool

# The installed binary is stripped of its symbols (STRIP=no keeps them, for profiling).
STRIP ?= yes
install: release
	install -d $(DESTDIR)$(PREFIX)/bin
	install $(if $(filter yes,$(STRIP)),-s) -m 0755 $$($(SWIFT) build $(RELEASE_FLAGS) --show-bin-path)/imgtool $(DESTDIR)$(PREFIX)/bin/imgtool

clean:
	$(SWIFT) package clean
	rm -rf .build
