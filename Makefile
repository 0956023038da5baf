# Set-up is two commands: `make demo` renders the sample episode, `make test` runs the tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := scripts/season-01/01-listening-to-the-ocean.md
# The checkout keeps its sentence cache beside it (`make clean` empties it); an installed
# paperledge uses $XDG_CACHE_HOME/paperledge. A PAPERLEDGE_CACHE_DIR already set wins.
export PAPERLEDGE_CACHE_DIR ?= $(CURDIR)/.cache/paperledge

# make season SEASON=DIR [OUT=DIR] [VOICE=PROFILE]
SEASON ?= scripts/season-01
OUT    ?= build/$(notdir $(patsubst %/,%,$(SEASON)))
VOICE  ?=
# make season CHECK=1 [MAX_WER=0.1]: every episode rendered with --check; the feed leaves
# out episodes heard worse than MAX_WER (and make stops with status 3 at the first one).
# make season APPROVED=1: the feed holds only episodes approved in `paperledge studio`.
CHECK   ?=
MAX_WER ?=
CHECK_ARGS := $(if $(or $(CHECK),$(MAX_WER)),--check) $(if $(MAX_WER),--max-wer $(MAX_WER))
# make season VIDEO=1: each episode's video (EPISODE.mp4) too, made from its MP3 and sidecars
# (`paperledge video`, as `render --video` does); one older than its MP3, or missing, is made again.
VIDEO ?=
# make season ALTERNATES=aac,opus: EPISODE.m4a (AAC 96 kbps) and EPISODE.opus (48 kbps) made from
# each MP3, again only where it changed; each becomes a podcast:alternateEnclosure
ALTERNATES ?=
SEASON_SCRIPTS := $(sort $(wildcard $(SEASON)/*.md $(SEASON)/*.txt))
SEASON_MP3S    := $(patsubst $(SEASON)/%,$(OUT)/%.mp3,$(basename $(SEASON_SCRIPTS)))
SEASON_MP4S    := $(if $(VIDEO),$(SEASON_MP3S:.mp3=.mp4))
# x.md and x.txt would both become x.mp3: refused before anything renders.
SEASON_DUPES := $(filter $(basename $(notdir $(wildcard $(SEASON)/*.md))),$(basename $(notdir $(wildcard $(SEASON)/*.txt))))
ifneq ($(filter season,$(MAKECMDGOALS)),)
ifneq ($(SEASON_DUPES),)
$(error $(SEASON)/$(firstword $(SEASON_DUPES)).md and $(SEASON)/$(firstword $(SEASON_DUPES)).txt would both become $(firstword $(SEASON_DUPES)).mp3; rename or remove one)
endif
endif
# What an episode's audio and tags depend on besides its script (this checkout is the show folder).
RENDER_DEPS := $(wildcard voices/*.toml assets/* lexicon.toml show.toml $(SEASON)/show.toml) $(BIN)/paperledge

.PHONY: setup system-deps demo test test-fast lint typecheck docs dist bench bench-text bench-floor bench-check bench-video season clean

setup: $(BIN)/paperledge

$(BIN)/paperledge: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,check,studio]'
	@touch $@

# The tests check outputs with ffprobe, which no pip package ships, and open the review
# page in Debian's chromium (playwright cannot fetch a browser of its own here).
system-deps:
	@command -v ffprobe >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq ffmpeg >/dev/null; }
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	@command -v tesseract >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq tesseract-ocr >/dev/null; }

demo: setup
	@mkdir -p build/demo
	$(BIN)/paperledge render $(SAMPLE) -o build/demo/$(notdir $(basename $(SAMPLE))).mp3

# The whole suite (about 6.5 minutes here), naming its slowest tests at the end. One process per
# core (pytest-xdist): run serially, the suite keeps one core busy and takes over 10 minutes.
test: setup system-deps
	$(BIN)/python -m pytest -q -n auto --durations=15

# A developer's loop (about 2 minutes here, on two processes: pytest-xdist): every stage's fast tests, without the slow
# end-to-end renders (Piper, the browser, the studio) and the wheel install.
test-fast: setup system-deps
	$(BIN)/python -m pytest -q -m "not slow and not install" -n 2

# ruff: the mistakes and import order it checks (pyproject.toml), and its formatter's layout.
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The manual (docs/, mkdocs.yml) built into site/ with MkDocs and its Material theme; --strict
# fails on a broken link or a page left out of the navigation.
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

# mypy, configured in pyproject.toml: every function body checked, typed or not.
typecheck: setup
	$(BIN)/mypy

# The sdist and wheel a release uploads, checked as PyPI would.
dist: setup
	rm -rf dist
	$(BIN)/python -m build -o dist .
	$(BIN)/twine check --strict dist/*

bench: setup system-deps
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/video.py
	$(BIN)/python bench/catalogue.py

# Only the video's part of the benchmark (the sample episode and the 30-minute script).
bench-video: setup system-deps
	$(BIN)/python bench/video.py

# Only the text front end's part of the benchmark.
bench-text: setup
	$(BIN)/python bench/bench.py text

# Only a render against its floor (bare synthesis + one MP3 encode), per bundled voice.
bench-floor: setup system-deps
	$(BIN)/python bench/bench.py floor

# Only the check-by-ear part of the benchmark (eight real episodes).
bench-check: setup system-deps
	$(BIN)/python bench/bench.py check

# The feed, then the validator over everything in OUT: a season a directory would refuse
# stops make with status 1, naming each problem.
# One pattern rule per episode: make's own dependency tracking skips unchanged ones,
# and `make -j` renders several at once (the sentence cache is safe to share).
season: $(SEASON_MP3S) $(SEASON_MP4S)
	$(BIN)/paperledge feed $(SEASON) -o $(OUT) --validate $(if $(MAX_WER),--max-wer $(MAX_WER)) $(if $(VOICE),--voice $(VOICE)) $(if $(APPROVED),--approved-only) $(if $(ALTERNATES),--alternates $(ALTERNATES))

$(OUT)/%.mp3: $(SEASON)/%.md $(RENDER_DEPS)
	@mkdir -p $(@D)
	$(BIN)/paperledge render $< -o $@ --quiet $(if $(VOICE),--voice $(VOICE)) $(CHECK_ARGS)

$(OUT)/%.mp3: $(SEASON)/%.txt $(RENDER_DEPS)
	@mkdir -p $(@D)
	$(BIN)/paperledge render $< -o $@ --quiet $(if $(VOICE),--voice $(VOICE)) $(CHECK_ARGS)

$(OUT)/%.mp4: $(OUT)/%.mp3
	$(BIN)/paperledge video $<

clean:
	rm -rf build .cache dist

-include mk/coqui.mk
-include mk/ray.mk
