# Season renders on a Ray cluster live in their own environment, .venv-ray (the [ray]
# extra): the default install never pulls Ray.
#
#   make setup-ray     create .venv-ray with the package, its [ray] extra and dev tools
#   make test-ray      run the tests marked `ray` there (each starts a small local Ray instance)
#   make season-ray    render SEASON with --executor ray [RAY_ADDRESS=auto joins a running cluster]

RAY_VENV := .venv-ray
RAY_BIN  := $(RAY_VENV)/bin
RAY_ADDRESS ?=

.PHONY: setup-ray test-ray season-ray

setup-ray: $(RAY_BIN)/paperledge

$(RAY_BIN)/paperledge: pyproject.toml
	$(PYTHON) -m venv $(RAY_VENV)
	$(RAY_BIN)/python -m pip install -q --upgrade pip
	$(RAY_BIN)/python -m pip install -q -e '.[ray,dev]'
	@touch $@

# Importing ray first turns a half-installed environment into a failure, not a silent skip.
test-ray: setup-ray system-deps
	$(RAY_BIN)/python -c "import ray"
	$(RAY_BIN)/python -m pytest -q -m ray

# make season-ray SEASON=DIR [OUT=DIR] [VOICE=PROFILE] [VIDEO=1] [RAY_ADDRESS=auto|HOST:PORT|ray://HOST:PORT]
season-ray: setup-ray
	@mkdir -p $(OUT)
	$(RAY_BIN)/paperledge season $(SEASON) -o $(OUT) --executor ray \
	  $(if $(RAY_ADDRESS),--ray-address $(RAY_ADDRESS)) $(if $(VOICE),--voice $(VOICE)) $(if $(VIDEO),--video)

# make bench compares --executor ray with --executor local: it needs this environment too.
bench: setup-ray
