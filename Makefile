# The two commands of the README: `make serve` and `make test`. Everything else is optional.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: serve test lint bench bench-quick clean browser-deps cluster-deps

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(VENV)/bin/python pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check -U pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/rucket serve --data-dir ./data $(ARGS)

test: $(STAMP) browser-deps cluster-deps
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The console's browser tests drive Debian chromium + chromium-driver: installed here when running
# as root with apt and the binaries are missing (CI); otherwise those tests skip locally, fail in CI.
browser-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    ! { command -v chromium && command -v chromedriver; } >/dev/null 2>&1; then \
	  echo "installing chromium + chromium-driver (apt)"; \
	  for i in 1 2 3; do \
	    apt-get update -q >/tmp/rucket-apt.log 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >>/tmp/rucket-apt.log 2>&1 \
	    && break; sleep 5; done; \
	  command -v chromedriver >/dev/null 2>&1 || { tail -20 /tmp/rucket-apt.log; echo "chromium install failed"; }; \
	fi

# Cluster tests (tests/cluster/) run Debian etcd-server 3.4.23 in network namespaces and partition them with
# iptables: installed here when running as root with apt and missing (CI); without root those tests skip.
cluster-deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	    ! { test -x /usr/bin/etcd && command -v iptables; } >/dev/null 2>&1; then \
	  echo "installing etcd-server + iptables (apt)"; \
	  for i in 1 2 3; do \
	    apt-get update -q >/tmp/rucket-apt-etcd.log 2>&1 && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server iptables >>/tmp/rucket-apt-etcd.log 2>&1 \
	    && break; sleep 5; done; \
	  test -x /usr/bin/etcd || { tail -20 /tmp/rucket-apt-etcd.log; echo "etcd-server install failed"; }; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy  # --strict over src/, settings in pyproject.toml [tool.mypy]

bench: $(STAMP)
	$(PY) bench/run.py $(ARGS)

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
