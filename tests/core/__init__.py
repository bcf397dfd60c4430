"""Tests of streamfold.core: the apply table, FoldState, lifecycles, search events."""
