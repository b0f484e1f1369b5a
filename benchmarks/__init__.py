"""`make bench`: how well and how fast the assistant does its job -> docs/BENCHMARKS.md."""
