# Tongxin — the two commands a new user needs are `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_ENV := DEBUG=1 TONGXIN_REQUIRE_ADMIN_2FA=0
HOST ?= 127.0.0.1:8000

.PHONY: install demo test browser-deps lint format migrations-check serve worker bench clean

$(BIN)/tongxin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(BIN)/tongxin

demo: install
	$(DEMO_ENV) $(BIN)/tongxin migrate --no-input
	$(DEMO_ENV) $(BIN)/tongxin load_calendar
	$(DEMO_ENV) $(BIN)/tongxin seed --scale demo
	@echo "同心 Tongxin: http://$(HOST)/  (Ctrl-C stops the server)"
	$(DEMO_ENV) $(BIN)/tongxin runserver $(HOST)

# Debian's Chromium and CJK fonts for the browser journeys and the printable PDFs (fonts-noto-cjk:
# CFF outlines, fonts-wqy-zenhei: TrueType outlines, both embedded by core/pdf.py), and
# poppler-utils to read the PDFs back in tests (installed when run as root).
BROWSER_PACKAGES := chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils
browser-deps:
	@if { ! command -v chromium >/dev/null 2>&1 && [ -z "$$CHROMIUM_PATH" ]; } \
	    || [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] || ! command -v pdftotext >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	  else echo "Missing: install Debian's $(BROWSER_PACKAGES) (or set CHROMIUM_PATH for the browser)"; exit 1; fi; \
	fi

test: install browser-deps
	$(BIN)/pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	DEBUG=1 $(BIN)/tongxin makemigrations --check --dry-run

worker: install
	$(BIN)/tongxin db_worker

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) data
