# The Coqui engine lives in its own environment, .venv-coqui: PyTorch from PyPI is a CUDA
# build (about 4 GB to download, 7.6 GB installed) that the default Piper path never needs.
#
#   make setup-coqui   create .venv-coqui with the package, its [coqui] extra and dev tools
#   make test-coqui    run the tests marked `coqui` there (tiny models built on the spot)
#   make gpu-check     render on CUDA with the coqui engine and print the real-time factor

COQUI_VENV := .venv-coqui
COQUI_BIN  := $(COQUI_VENV)/bin
# The environment gpu-check runs in: .venv-coqui when it exists, else the python3 on PATH
# (a GPU machine may come with torch preinstalled).
GPU_PYTHON ?= $(if $(wildcard $(COQUI_BIN)/python),$(COQUI_BIN)/python,python3)

.PHONY: setup-coqui test-coqui gpu-check bench-watermark

setup-coqui: $(COQUI_BIN)/paperledge

$(COQUI_BIN)/paperledge: pyproject.toml
	@[ -x $(COQUI_BIN)/python ] || { free=$$(df -Pk . | awk 'NR==2 {print $$4}'); [ "$$free" -ge 10485760 ] || { \
	  echo "setup-coqui: PyTorch's CUDA build needs about 10 GB free here, and $$((free / 1048576)) GB are left" >&2; exit 1; }; }
	$(PYTHON) -m venv $(COQUI_VENV)
	$(COQUI_BIN)/python -m pip install -q --upgrade pip
	$(COQUI_BIN)/python -m pip install -q -e '.[coqui,watermark,dev]'
	@touch $@

# Importing TTS first turns a half-installed environment into a failure, not a silent skip.
test-coqui: setup-coqui system-deps
	$(COQUI_BIN)/python -c "import TTS.api"
	$(COQUI_BIN)/python -c "import perth"
	$(COQUI_BIN)/python -m pytest -q -m "coqui or watermark"

gpu-check:
	$(GPU_PYTHON) tools/gpu_check.py

# The inaudible mark against its goals (survival after re-encodes, false alarms, PESQ, cost),
# in the environment that has PyTorch; pesq builds from its sdist (a C compiler and numpy).
bench-watermark: setup-coqui system-deps
	$(COQUI_BIN)/python -m pip install -q "pesq>=0.0.4"
	$(COQUI_BIN)/python bench/watermark.py
