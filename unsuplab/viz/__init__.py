"""Pure functions from arrays to display arrays: filter normalisation, tiling, PNG writing."""
