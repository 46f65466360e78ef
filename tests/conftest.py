"""Test-wide set-up: Qt renders offscreen, and torch uses few threads on the 2-core CI machine."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
