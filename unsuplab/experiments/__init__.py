"""The lessons, one file each; every public module here registers its Experiment on import."""
