"""`python -m unsuplab` runs the command-line entry point."""

from unsuplab.cli import main

raise SystemExit(main())
