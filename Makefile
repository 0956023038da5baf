# Set-up is two commands: `make demo` renders the sample episode, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := scripts/season-01/01-listening-to-the-ocean.md

# make season SEASON=DIR [OUT=DIR] [VOICE=PROFILE]
SEASON ?= scripts/season-01
OUT    ?= build/$(notdir $(patsubst %/,%,$(SEASON)))
VOICE  ?=
SEASON_SCRIPTS := $(sort $(wildcard $(SEASON)/*.md $(SEASON)/*.txt))
SEASON_MP3S    := $(patsubst $(SEASON)/%,$(OUT)/%.mp3,$(basename $(SEASON_SCRIPTS)))
# x.md and x.txt would both become x.mp3: refused before anything renders.
SEASON_DUPES := $(filter $(basename $(notdir $(wildcard $(SEASON)/*.md))),$(basename $(notdir $(wildcard $(SEASON)/*.txt))))
ifneq ($(filter season,$(MAKECMDGOALS)),)
ifneq ($(SEASON_DUPES),)
$(error $(SEASON)/$(firstword $(SEASON_DUPES)).md and $(SEASON)/$(firstword $(SEASON_DUPES)).txt would both become $(firstword $(SEASON_DUPES)).mp3; rename or remove one)
endif
endif
# What an episode's audio depends on besides its script.
RENDER_DEPS := $(wildcard voices/*.toml assets/*) $(BIN)/paperledge

.PHONY: setup system-deps demo test bench season clean

setup: $(BIN)/paperledge

$(BIN)/paperledge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $@

# The tests check outputs with ffprobe, which no pip package ships.
system-deps:
	@command -v ffprobe >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg >/dev/null; }

demo: setup
	@mkdir -p build/demo
	$(BIN)/paperledge render $(SAMPLE) -o build/demo/$(notdir $(basename $(SAMPLE))).mp3

test: setup system-deps
	$(BIN)/python -m pytest -q

bench: setup system-deps
	$(BIN)/python bench/bench.py

# One pattern rule per episode: make's own dependency tracking skips unchanged ones,
# and `make -j` renders several at once (the sentence cache is safe to share).
season: $(SEASON_MP3S)
	$(BIN)/paperledge feed $(SEASON) -o $(OUT)

$(OUT)/%.mp3: $(SEASON)/%.md $(RENDER_DEPS)
	@mkdir -p $(@D)
	$(BIN)/paperledge render $< -o $@ --quiet $(if $(VOICE),--voice $(VOICE))

$(OUT)/%.mp3: $(SEASON)/%.txt $(RENDER_DEPS)
	@mkdir -p $(@D)
	$(BIN)/paperledge render $< -o $@ --quiet $(if $(VOICE),--voice $(VOICE))

clean:
	rm -rf build .cache

-include mk/coqui.mk
-include mk/ray.mk
