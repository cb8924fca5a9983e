"""`make bench`: a synthetic universe through the real pipeline, timed against TA-Lib and pandas."""
