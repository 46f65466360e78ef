"""Pure functions from arrays to display arrays: filter normalisation, tiling, the pixels of each
picture panel (shared by the window's views and the exported PNGs), PNG writing."""
