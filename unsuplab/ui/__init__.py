"""Everything Qt: the main window, the worker thread, the views, the config form and run controls."""
