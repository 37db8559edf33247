# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON_VERSION ?= 3.10
VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
MODEL := models/nimbus.tar.gz
# The widget's socket.io client, from npm, served by the gateway at /vendor.
SOCKETIO_CLIENT := 4.8.4
VENDOR_JS := build/vendor/socket.io.min.js
# The third-party rasa-webchat widget, for tests/e2e/test_rasa_webchat.py and /static/rasa-webchat.html.
# 1.0.1 is the first (and latest) release that bundles socket.io-client 3, i.e. Engine.IO protocol 4
# as python-socketio 5 speaks it; 1.0.0 and older bundle socket.io-client 2 (protocol 3).
RASA_WEBCHAT := 1.0.1
WEBCHAT_JS := build/vendor/rasa-webchat.js
# Swagger UI for the gateway's /docs (handover/docs.py), served from /vendor so it works offline.
SWAGGER_UI := 5.35.0
SWAGGER_DIR := build/vendor/swagger-ui
SWAGGER_FILES := swagger-ui-bundle.js swagger-ui.css favicon-32x32.png
DOCS_JS := $(SWAGGER_DIR)/swagger-ui-bundle.js
# Apache ECharts for the managers' dashboard (/dashboard): the one-file build, served from /vendor.
ECHARTS := 6.1.0
CHARTS_JS := build/vendor/echarts.min.js
TRAINING_FILES := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null) \
	nlu/tokenizer.py nlu/featurizer.py nlu/encoders.py nlu/use_onnx.py nlu/guard.py \
	nlu/faq_selector.py dialogue/ted.py
# Fixed seeds in config.yml, and deterministic TensorFlow ops, make training reproducible.
export TF_DETERMINISTIC_OPS := 1
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Training and the tests stay on this machine: no usage telemetry, no crash reports to Sentry.
export RASA_TELEMETRY_ENABLED := false

.PHONY: run test install model lint chat clean

# Development on purpose: every process refuses placeholder secrets in the production default.
run: export SWITCHBOARD_ENVIRONMENT ?= development
# A second Rasa server for the trainer's canary roll-outs (docs/rollout.md).
run: export BOT_CANARY ?= true
run: install $(MODEL)
	$(PY) -m handover demo-agent
	$(PY) -m handover reports seed --conversations 300 --days 14 --if-empty
	$(PY) -m bot.run

test: install $(MODEL)
	$(PY) -m pytest -q -p no:cacheprovider

install: $(VENV)/.installed $(VENDOR_JS) $(WEBCHAT_JS) $(DOCS_JS) $(CHARTS_JS)

$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || bash .ci/find-python.sh $(PYTHON_VERSION) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

$(VENDOR_JS):
	mkdir -p build/npm build/vendor
	cd build/npm && npm pack --silent socket.io-client@$(SOCKETIO_CLIENT) >/dev/null
	tar -xzf build/npm/socket.io-client-$(SOCKETIO_CLIENT).tgz -C build/npm package/dist/socket.io.min.js
	cp build/npm/package/dist/socket.io.min.js $@

# lib/index.js is the UMD build: it defines window.WebChat.
$(WEBCHAT_JS):
	mkdir -p build/npm build/vendor
	cd build/npm && npm pack --silent rasa-webchat@$(RASA_WEBCHAT) >/dev/null
	tar -xzf build/npm/rasa-webchat-$(RASA_WEBCHAT).tgz -C build/npm package/lib/index.js
	cp build/npm/package/lib/index.js $@

# The target is the bundle; the stylesheet and icon come with it from the same pinned package.
$(DOCS_JS):
	mkdir -p build/npm $(SWAGGER_DIR)
	cd build/npm && npm pack --silent swagger-ui-dist@$(SWAGGER_UI) >/dev/null
	tar -xzf build/npm/swagger-ui-dist-$(SWAGGER_UI).tgz -C build/npm $(addprefix package/,$(SWAGGER_FILES))
	cp $(addprefix build/npm/package/,$(SWAGGER_FILES)) $(SWAGGER_DIR)/

$(CHARTS_JS):
	mkdir -p build/npm build/vendor
	cd build/npm && npm pack --silent echarts@$(ECHARTS) >/dev/null
	tar -xzf build/npm/echarts-$(ECHARTS).tgz -C build/npm package/dist/echarts.min.js
	cp build/npm/package/dist/echarts.min.js $@

model: $(MODEL)

$(MODEL): $(TRAINING_FILES) | install
	$(RASA) train --fixed-model-name nimbus --out models --quiet
	touch $@

lint: install
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) models results build .pytest_cache

# Development too: the settings refuse placeholder tokens in the production default.
chat: export SWITCHBOARD_ENVIRONMENT ?= development
chat: install
	$(PY) -m bot.chat
