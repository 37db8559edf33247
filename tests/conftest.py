"""Settings shared by every test."""

import os

# Tests run what `make run` runs: the development environment, whose placeholder secrets the
# production default refuses (tests of that refusal set the environment themselves).
os.environ.setdefault("SWITCHBOARD_ENVIRONMENT", "development")
