# The two commands a new user needs: `make demo` and `make test`.
# Both install what is missing (Debian packages), configure, build, then run.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
DEMO_DIR   ?= $(BUILD_DIR)/demo
JOBS       ?= $(shell nproc)
SANITIZE   ?= OFF

DEB_PACKAGES := g++ cmake ninja-build make openssl curl ccache \
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libssl-dev libpugixml-dev libsqlite3-dev sqlite3 \
  libgtest-dev libgmock-dev libbenchmark-dev libxml2-utils groff-base libjemalloc-dev \
  libpq-dev pkg-config postgresql haproxy python3-jsonschema \
  debhelper lintian systemd prometheus

SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps configure build test tsan demo demo-cluster package clean

all: build

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKETENPOORT_SANITIZE=$(SANITIZE)

configure: $(BUILD_DIR)/build.ninja

build: deps configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

# The threaded parts under ThreadSanitizer, in their own build directory: the exchange-log
# writer and checkpointer, outbox, delivery worker and diagnostic log (unit tests), and the
# network threads with delivery on them, the TLS stream and the drain (the push flow and
# TLS gateway tests), a reload under pushes. Suppressions, each with its reason: tests/tsan.supp.
TSAN_TESTS := unit/store_test unit/exchange_test unit/diagnostics_test unit/concurrency_test integration/push_flow_test integration/tls_gateway_test integration/chain_flows_test integration/reload_test
tsan: deps
	cmake -S . -B build-tsan -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DKETENPOORT_TSAN=ON >/dev/null
	cmake --build build-tsan -j $(JOBS) --target $(notdir $(TSAN_TESTS))
	cmake --build build-tsan -j $(JOBS) --target store_contract_test
	cd build-tsan && for t in $(TSAN_TESTS); do \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" tests/$$t --gtest_brief=1 || exit 1; \
	done
	# The store's tests on SQLite whose threads meet: appends from many threads and writers,
	# a group with a refusing item, a purge racing pushes, a change by another process.
	cd build-tsan && GTEST_FILTER='*Concurrent*:*Racing*:*TwoWriters*:*Refusing*:*Deferred*:*Locked*:*AnotherProcess*-*Postgre*' \
	  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" \
	  tests/unit/store_contract_test --gtest_brief=1

demo: build
	$(BUILD_DIR)/ketenpoort demo --workdir $(DEMO_DIR) --keep-running

# Two nodes on a private PostgreSQL behind HAProxy, one killed mid-run (docs/deployment-ha.md).
demo-cluster: build
	$(BUILD_DIR)/ketenpoort demo --cluster --workdir $(BUILD_DIR)/demo-cluster

# The Debian package from this build tree, checked by lintian (docs/operations.md).
package: build
	packaging/make-deb $(BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR)
