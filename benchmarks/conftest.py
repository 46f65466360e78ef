"""The benchmarks' own tests run without a display, as the package's tests do."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
