# Two commands for a fresh machine:
#   make demo   set up, make the bundled example scene, detect, draw and evaluate
#   make test   set up (QGIS from Debian included, where we may install it) and run the tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO := out/demo

.PHONY: setup qgis demo test lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

qgis:
	@bash scripts/install_qgis.sh

demo: setup
	$(BIN)/python examples/make_demo_scene.py
	mkdir -p $(DEMO)
	$(BIN)/superad-geo detect examples/data/demo_scene.tif -o $(DEMO)/scores.tif --preset fast --overwrite
	$(BIN)/superad-geo quicklook examples/data/demo_scene.tif --scores $(DEMO)/scores.tif \
		--truth examples/data/demo_truth.tif -o $(DEMO)/quicklook.png --overwrite
	$(BIN)/superad-geo evaluate $(DEMO)/scores.tif --truth examples/data/demo_truth.tif \
		--plot $(DEMO)/roc.png --overwrite | tee $(DEMO)/evaluation.txt
	@echo "demo outputs: $(DEMO)/scores.tif quicklook.png roc.png evaluation.txt"

test: setup qgis
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -ra -n 2 --dist loadfile --durations=15

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) out examples/data dist
